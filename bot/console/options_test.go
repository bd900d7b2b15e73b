package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
)

var (
	warnSpec = bot.CommandSpec{Name: "warn", Options: []bot.OptionSpec{
		{Name: "user", Type: "user", Required: true},
		{Name: "reason", Type: "string", Required: true},
	}}
	banSpec = bot.CommandSpec{Name: "ban", Options: []bot.OptionSpec{
		{Name: "user", Type: "user", Required: true},
		{Name: "reason", Type: "string", Required: true},
		{Name: "duration", Type: "string"},
		{Name: "delete_messages", Type: "boolean"},
	}}
	// As the moderation commands declare them.
	slowmodeSpec = bot.CommandSpec{Name: "slowmode", Options: []bot.OptionSpec{
		{Name: "seconds", Type: "string", Required: true},
		{Name: "channel", Type: "channel"},
	}}
	banAsDeclared = bot.CommandSpec{Name: "ban", Options: []bot.OptionSpec{
		{Name: "user", Type: "user", Required: true},
		{Name: "reason", Type: "string", Required: true},
		{Name: "duration", Type: "string"},
		{Name: "delete_messages", Type: "string"},
	}}
	purgeAsDeclared = bot.CommandSpec{Name: "purge", Options: []bot.OptionSpec{
		{Name: "count", Type: "integer", Required: true},
		{Name: "user", Type: "user"},
		{Name: "contains", Type: "string"},
		{Name: "bots", Type: "boolean"},
	}}
	timeoutSpec = bot.CommandSpec{Name: "timeout", Options: []bot.OptionSpec{
		{Name: "user", Type: "user", Required: true},
		{Name: "duration", Type: "string", Required: true},
		{Name: "reason", Type: "string", Required: true},
	}}
	purgeSpec = bot.CommandSpec{Name: "purge", Options: []bot.OptionSpec{
		{Name: "count", Type: "integer", Required: true},
		{Name: "channel", Type: "channel"},
	}}
	// As /giveaway start declares it, with fewer of its optional options.
	giveawayStartSpec = bot.CommandSpec{Name: "giveaway start", Options: []bot.OptionSpec{
		{Name: "prize", Type: "string", Required: true},
		{Name: "duration", Type: "string", Required: true},
		{Name: "winners", Type: "integer"},
		{Name: "channel", Type: "channel"},
		{Name: "min_account_age", Type: "string"},
		{Name: "description", Type: "string"},
	}}
)

// fakeResolve knows mallory and #general.
func fakeResolve(typ, v string) (string, error) {
	switch {
	case typ == "user" && strings.TrimPrefix(v, "@") == "mallory":
		return "1300000000000000102", nil
	case typ == "channel" && strings.TrimPrefix(v, "#") == "general":
		return "1100000000000000002", nil
	}
	return "", fmt.Errorf("nobody called %q", v)
}

func TestCommandOptionsFollowTheDeclaredOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec bot.CommandSpec
		args string
		want []bot.Option
	}{
		{"positional values fill the options in order; the last text one takes the rest", warnSpec, "mallory spamming links in #general",
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "spamming links in #general"}}},
		{"the rest of the line keeps its quotes", warnSpec, `@mallory said "buy now" twice`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: `said "buy now" twice`}}},
		{"a rest that is one quoted value loses its quotes", warnSpec, `mallory "spam"`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "spam"}}},
		{"name:value options come in any order", warnSpec, `reason:"spam links" user:mallory`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "spam links"}}},
		{"a colon in a positional value is kept", warnSpec, "mallory note: see #general",
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "note: see #general"}}},
		{"named options free the positional ones", banSpec, `mallory duration:7d "being rude"`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "being rude"}, {Name: "duration", Value: "7d"}}},
		{"when the last text option is named, the others take one word each", banSpec, `mallory rude duration:7d delete_messages:yes`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "rude"}, {Name: "duration", Value: "7d"}, {Name: "delete_messages", Value: "true"}}},
		{"a required text option takes the rest before optional ones", banSpec, `mallory being rude for 7 days`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "being rude for 7 days"}}},
		{"a duration may come right after the user", banSpec, `mallory 7d raid spam`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "raid spam"}, {Name: "duration", Value: "7d"}}},
		{"or last", banSpec, `mallory raid spam 7d`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "raid spam"}, {Name: "duration", Value: "7d"}}},
		{"a quoted duration is text", banSpec, `mallory raid "7d"`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: `raid "7d"`}}},
		{"a named duration is never reinterpreted", banSpec, `mallory 2d duration:7d`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "2d"}, {Name: "duration", Value: "7d"}}},
		{"a timeout's duration comes after the user", timeoutSpec, `mallory 10m spamming links`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "duration", Value: "10m"}, {Name: "reason", Value: "spamming links"}}},
		{"or last", timeoutSpec, `mallory spamming links 10m`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "duration", Value: "10m"}, {Name: "reason", Value: "spamming links"}}},
		{"a word that is no duration, with a reason after it, is left for the command to refuse", timeoutSpec, `mallory soon spamming`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "duration", Value: "soon"}, {Name: "reason", Value: "spamming"}}},
		{"integers and channels are checked and resolved", purgeSpec, "20 #general",
			[]bot.Option{{Name: "count", Value: "20"}, {Name: "channel", Value: "1100000000000000002"}}},
		{"an optional option may be left out", purgeSpec, "20", []bot.Option{{Name: "count", Value: "20"}}},
		{"a channel typed after the text option that takes the rest is the channel's", slowmodeSpec, "10 general",
			[]bot.Option{{Name: "seconds", Value: "10"}, {Name: "channel", Value: "1100000000000000002"}}},
		{"with its #", slowmodeSpec, "0 #general",
			[]bot.Option{{Name: "seconds", Value: "0"}, {Name: "channel", Value: "1100000000000000002"}}},
		{"and it may be left out", slowmodeSpec, "30", []bot.Option{{Name: "seconds", Value: "30"}}},
		{"a word that is no channel stays in the text", slowmodeSpec, "10 elsewhere", []bot.Option{{Name: "seconds", Value: "10 elsewhere"}}},
		{"a yes/no typed last is the yes/no option's", purgeAsDeclared, "5 mallory spam links true",
			[]bot.Option{{Name: "count", Value: "5"}, {Name: "user", Value: "1300000000000000102"}, {Name: "contains", Value: "spam links"}, {Name: "bots", Value: "true"}}},
		{"two durations last: how long, then the messages to delete", banAsDeclared, "mallory harassment 7d 1d",
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "harassment"}, {Name: "duration", Value: "7d"}, {Name: "delete_messages", Value: "1d"}}},
		{"one duration last is how long", banAsDeclared, "mallory raid spam 7d",
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "raid spam"}, {Name: "duration", Value: "7d"}}},
		{"a required duration is one word: what follows is the next options'", giveawayStartSpec, "Mug 1d 2 #general",
			[]bot.Option{{Name: "prize", Value: "Mug"}, {Name: "duration", Value: "1d"}, {Name: "winners", Value: "2"}, {Name: "channel", Value: "1100000000000000002"}}},
		{"and the last text option takes the rest", giveawayStartSpec, "Mug 1d 2 #general 7d read the rules",
			[]bot.Option{{Name: "prize", Value: "Mug"}, {Name: "duration", Value: "1d"}, {Name: "winners", Value: "2"}, {Name: "channel", Value: "1100000000000000002"},
				{Name: "min_account_age", Value: "7d"}, {Name: "description", Value: "read the rules"}}},
		{"a prize of several words is quoted", giveawayStartSpec, `"a Liaison hoodie" 1d`,
			[]bot.Option{{Name: "prize", Value: "a Liaison hoodie"}, {Name: "duration", Value: "1d"}}},
		{"a quoted reason may end with a word like a duration", banSpec, `mallory "posted 4chan"`,
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "posted 4chan"}}},
		{"a word with a number inside the reason stays in it", banSpec, "mallory 2nd raid of the day",
			[]bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "2nd raid of the day"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := commandOptions(tt.spec, tt.args, fakeResolve)
			if err != nil {
				t.Fatalf("commandOptions(/%s %s): %v", tt.spec.Name, tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("commandOptions(/%s %s) (-want +got):\n%s", tt.spec.Name, tt.args, diff)
			}
		})
	}
}

func TestCommandOptionsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec bot.CommandSpec
		args string
		want string
	}{
		{"a missing required option shows the usage", warnSpec, "mallory", "/warn needs reason: type /warn user reason"},
		{"a reason without a duration: the word is not a duration, not a missing reason", timeoutSpec, "mallory spamming",
			`"spamming" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m. /timeout needs one: type /timeout user duration reason`},
		{"a named duration that is none is left for the command", timeoutSpec, "mallory duration:soon", "/timeout needs reason: type /timeout user duration reason"},
		{"a duration without a reason", timeoutSpec, "mallory 10m", "/timeout needs reason: type /timeout user duration reason"},
		{"a member only", timeoutSpec, "mallory", "/timeout needs duration: type /timeout user duration reason"},
		{"a ban's duration without a reason", banSpec, "mallory 7d", "/ban needs reason: type /ban user reason [duration] [delete_messages]"},
		{"a mistyped duration after the reason is no part of it", banSpec, "mallory spamming 7dd",
			`"7dd" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m. Type /ban user reason [duration] [delete_messages], and quote a reason that starts or ends with such a word`},
		{"nor before it", banSpec, "mallory 3days spamming", `"3days" is not a duration`},
		{"nor as the messages to delete", banAsDeclared, "mallory harassment 7d 1dd", `"1dd" is not a duration`},
		{"nothing at all", banSpec, "", "/ban needs user: type /ban user reason [duration] [delete_messages]"},
		{"an unknown member", warnSpec, "zoe spam", `nobody called "zoe"`},
		{"a word for a number", purgeSpec, "many", `/purge count takes a whole number, not "many"`},
		{"a yes-or-no that is neither", banSpec, "mallory rude delete_messages:maybe", `/ban delete_messages takes true or false, not "maybe"`},
		{"one value too many", purgeSpec, "20 #general extra", `/purge takes count [channel]; "extra" is one value too many`},
		{"an option given twice", warnSpec, "user:mallory user:mallory spam", "/warn was given user twice"},
		{"an example when the command has one", bot.CommandSpec{Name: "ban", Example: `/ban user:mallory reason:"spam" duration:7d`, Options: banSpec.Options}, "",
			`/ban needs user: type /ban user reason [duration] [delete_messages], like: /ban user:mallory reason:"spam" duration:7d`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := commandOptions(tt.spec, tt.args, fakeResolve)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("commandOptions(/%s %s) = %v, %v; want an error saying %q", tt.spec.Name, tt.args, got, err, tt.want)
			}
		})
	}
}
