package bot_test

import (
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestSentenceEndsAMessageBeforeMoreIsAppended(t *testing.T) {
	t.Parallel()
	_, err := bot.ParseDuration("soon")
	tests := []struct {
		name, in, want string
	}{
		{"a duration's mistake gets its full stop", bot.ErrorMessage(err), `"soon" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m.`},
		{"a sentence keeps its own", "Give a reason.", "Give a reason."},
		{"a question keeps its mark", "Extend it instead?", "Extend it instead?"},
		{"an exclamation keeps its mark", "Done!", "Done!"},
		{"an ellipsis is an end", "and more…", "and more…"},
		{"trailing spaces go", "no stop  ", "no stop."},
		{"nothing stays nothing", "", ""},
	}
	for _, tt := range tests {
		if got := bot.Sentence(tt.in); got != tt.want {
			t.Errorf("%s: Sentence(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
