package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

const permissionsWorld = `discord:
  guild: "998877665544332211"
  roles: {moderators: ["1200000000000000002"], helpers: ["1200000000000000005"]}
people:
  - {name: bob, slack: U01BOB}
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
`

func TestWhoMayFallsBackToTheCatalogueDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(permissionsWorld))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bot.Who{People: []string{"bob", "carol", "dave"}}, c.Staff); diff != "" {
		t.Errorf("staff without staff: is every person (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(bot.Who{Staff: true}, c.Admins); diff != "" {
		t.Errorf("admins without admins: are the staff (-want +got):\n%s", diff)
	}
	for action, want := range map[string]string{
		"feedback.close":   "staff",
		"drafts.create":    "staff",
		"moderation.ban":   "moderators",
		"giveaways.manage": "[admins, moderators]",
		"watch.mute":       "staff",
		"watch.configure":  "admins",
		"route.replay":     "admins",
		"no.such":          "[]",
	} {
		if got := c.Who(action).String(); got != want && !(want == "[]" && c.Who(action).IsZero()) {
			t.Errorf("Who(%q) = %s, want %s", action, got, want)
		}
	}
	if got := config.Default().Admins; got.String() != "staff" {
		t.Errorf("Default().Admins = %v, want staff", got)
	}
}

func TestPermissionsOverrideByActionAndByCapability(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(permissionsWorld+`staff: [bob, carol, {slack_group: S01SUPPORT, handle: support}]
admins: [carol]
permissions:
  moderation.ban: [dave]
  moderation.*: [discord:helpers, moderators]
  feedback.close: staff
  watch.mute: everyone
  giveaways.manage: [discord:moderators, admins]
`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bot.Who{People: []string{"bob", "carol"}, SlackGroups: []string{"S01SUPPORT"}}, c.Staff); diff != "" {
		t.Errorf("staff (-want +got):\n%s", diff)
	}
	if got := c.GroupLabel("S01SUPPORT"); got != "@support" {
		t.Errorf("GroupLabel = %q, want @support", got)
	}
	for action, want := range map[string]string{
		"moderation.ban":   "dave", // the exact key wins over moderation.*, whatever the order
		"moderation.kick":  "[moderators, discord:helpers]",
		"feedback.close":   "staff",
		"feedback.tag":     "staff", // untouched: the default
		"watch.mute":       "everyone",
		"giveaways.manage": "[admins, discord:moderators]",
	} {
		if got := c.Who(action).String(); got != want {
			t.Errorf("Who(%q) = %s, want %s", action, got, want)
		}
	}
	// By place, every action answers as by name: in the parsed file, and
	// in a configuration not made by Parse.
	for _, c := range []*config.Config{c, config.Default()} {
		for i, p := range bot.Permissions {
			if got, want := c.WhoAt(i).String(), c.Who(p.Action).String(); got != want {
				t.Errorf("WhoAt(%d) (%s) = %s, want %s", i, p.Action, got, want)
			}
		}
	}
}

func TestPermissionMistakesAreNamedWithLineAndKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"an unknown action", "permissions: {feedback.shred: staff}",
			`permissions.feedback.shred: unknown action "feedback.shred": expected one of feedback.log, feedback.acknowledge`},
		{"an unknown capability", "permissions: {weather.*: staff}",
			`permissions.weather.*: unknown action "weather.*"`},
		{"an unknown person", "permissions: {feedback.close: [carol, zoe]}",
			`permissions.feedback.close[1]: nobody called "zoe" is declared under people: defined are bob, carol, dave`},
		{"an unknown role", "permissions: {feedback.close: discord:admins}",
			`permissions.feedback.close: no Discord role named "admins": defined are helpers, moderators`},
		{"a bad group", "permissions: {feedback.close: [{slack_group: leads}]}",
			`permissions.feedback.close[0].slack_group: "leads" is not a Slack user group id`},
		{"staff naming admins", "staff: [carol, admins]",
			`staff[1]: admins cannot be used here: list people's names and Slack user groups`},
		{"staff not a list", "staff: carol",
			`staff: expected a list of people's names and Slack user groups`},
		{"an unknown person in admins", "admins: [zoe]",
			`admins[0]: nobody called "zoe" is declared under people:`},
	}
	for _, tt := range tests {
		_, err := config.Parse("liaison.yaml", []byte(permissionsWorld+tt.yaml+"\n"))
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) != 1 {
			t.Errorf("%s: Parse = %v, want one error", tt.name, err)
			continue
		}
		if got := errs[0].Key + ": " + errs[0].Msg; !strings.HasPrefix(got, tt.want) || errs[0].Line != 8 {
			t.Errorf("%s: error = line %d %q, want line 8 %q", tt.name, errs[0].Line, got, tt.want)
		}
	}
}
