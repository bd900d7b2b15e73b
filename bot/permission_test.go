package bot_test

import (
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestNeedsNamesTheActionOfEachVerb(t *testing.T) {
	t.Parallel()
	feedback := bot.Needs{Action: "feedback.view", Verbs: map[string]string{"close": "feedback.close"}}
	mod := bot.Needs{Verbs: map[string]string{"ban": "moderation.ban"}, VerbOf: func(args string) string {
		f := strings.Fields(args)
		if len(f) > 1 && strings.HasPrefix(f[0], "in:") {
			return f[1]
		}
		if len(f) > 0 {
			return f[0]
		}
		return ""
	}}
	for _, tt := range []struct {
		needs bot.Needs
		args  string
		want  string
	}{
		{feedback, "", "feedback.view"},
		{feedback, "list mine", "feedback.view"},
		{feedback, "CLOSE 3 done", "feedback.close"},
		{feedback, "  close 3", "feedback.close"},
		{feedback, "closed 3", "feedback.view"},
		{mod, "ban mallory spam", "moderation.ban"},
		{mod, "in:beta BAN mallory spam", "moderation.ban"},
		{mod, "help", ""},
		{mod, "", ""},
		{bot.Need("digest.preview"), "preview weekly", "digest.preview"},
	} {
		if got := tt.needs.For(tt.args); got != tt.want {
			t.Errorf("For(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestEveryActionIsDeclaredOnceWithWhatItIsAndWhoMayByDefault(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, p := range bot.Permissions {
		capability, verb, ok := strings.Cut(p.Action, ".")
		if !ok || capability == "" || verb == "" || strings.Contains(verb, ".") {
			t.Errorf("action %q is not capability.verb", p.Action)
		}
		if seen[p.Action] {
			t.Errorf("action %q is declared twice", p.Action)
		}
		seen[p.Action] = true
		if p.Doing == "" || p.Default.IsZero() {
			t.Errorf("action %q lacks what it is (%q) or who may by default (%v)", p.Action, p.Doing, p.Default)
		}
	}
}
