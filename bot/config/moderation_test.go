package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

const moderationWorld = `slack:
  channels: {mod-log: C01MODLOG}
discord:
  guild: "998877665544332211"
  channels: {general: "1100000000000000002", mod-log: "1100000000000000003"}
  roles: {staff: ["1200000000000000001"], moderators: ["1200000000000000002"], protected: ["1200000000000000003"]}
`

func TestModerationSectionDecodesEveryPart(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(moderationWorld+`moderation:
  mod_log: {discord: mod-log, slack: mod-log}
  escalation:
    points: {warn: 1, ban: 5}
    decay: {points: 1, every: 30d}
    thresholds:
      - {points: 5, action: ban, duration: 7d}
      - {points: 3, action: timeout, duration: 1h}
  automod:
    exempt_roles: [staff]
    exempt_channels: [mod-log]
    rules:
      - {name: scams, words: [free nitro], actions: [delete, warn]}
      - {name: mentions, mentions: 5, channels: [general], actions: [timeout], timeout: 10m}
      - {name: flood, flood: {messages: 6, within: 10s}, actions: [alert]}
  welcome: {channel: general, text: "Welcome {user}!"}
  rules: |
    Be kind.
`))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Moderation
	if !m.Enabled || m.ModLog.Discord.ID != "1100000000000000003" || m.ModLog.Discord.GuildID != "998877665544332211" || m.ModLog.Slack.ID != "C01MODLOG" {
		t.Errorf("mod_log = %+v", m.ModLog)
	}
	if diff := cmp.Diff([]string{"moderators"}, m.ModeratorRoles); diff != "" {
		t.Errorf("moderator roles default to moderators (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1200000000000000003"}, c.RoleIDs("998877665544332211", m.ProtectedRoles)); diff != "" {
		t.Errorf("protected roles default to protected (-want +got):\n%s", diff)
	}
	want := bot.Escalation{Points: map[string]int{"warn": 1, "ban": 5}, DecayPoints: 1, DecayEvery: 30 * 24 * time.Hour,
		Thresholds: []bot.Threshold{{Points: 3, Action: "timeout", Duration: time.Hour}, {Points: 5, Action: "ban", Duration: 7 * 24 * time.Hour}}}
	if diff := cmp.Diff(want, m.Escalation); diff != "" {
		t.Errorf("escalation, thresholds sorted (-want +got):\n%s", diff)
	}
	rules := c.AutomodRules("998877665544332211")
	if len(rules) != 3 || rules[0].Kind != bot.AutomodWords || rules[1].Kind != bot.AutomodMentions || rules[2].Kind != bot.AutomodFlood {
		t.Fatalf("rules = %+v", rules)
	}
	if diff := cmp.Diff([]string{"1200000000000000001"}, rules[0].ExemptRoles); diff != "" {
		t.Errorf("the section's exempt roles apply to each rule (-want +got):\n%s", diff)
	}
	if rules[0].ExemptChannels[0] != "1100000000000000003" || rules[1].Channels[0] != "1100000000000000002" || rules[1].Timeout != 10*time.Minute {
		t.Errorf("rules = %+v", rules)
	}
	if rules[2].Count != 6 || rules[2].Within != 10*time.Second {
		t.Errorf("flood = %+v", rules[2])
	}
	if m.Welcome.Channel.ID != "1100000000000000002" || m.Welcome.Text != "Welcome {user}!" || m.Rules != "Be kind." {
		t.Errorf("welcome %+v rules %q", m.Welcome, m.Rules)
	}
}

func TestModerationMistakesAreNamedWithTheirKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"an unknown channel", "mod_log: {discord: nowhere}", `moderation.mod_log.discord: no Discord channel named "nowhere"`},
		{"an unknown role", "moderator_roles: [admins]", `moderation.moderator_roles[0]: no Discord role named "admins"`},
		{"a threshold action", "escalation: {thresholds: [{points: 3, action: mute}]}", `"mute" is not an action a threshold can take`},
		{"a timeout without duration", "escalation: {thresholds: [{points: 3, action: timeout}]}", "moderation.escalation.thresholds[0].duration: missing: how long the timeout lasts"},
		{"two kinds in a rule", "automod: {rules: [{name: x, words: [a], mentions: 3, actions: [delete]}]}", "rule x looks for words and mentions"},
		{"a rule with no kind", "automod: {rules: [{name: x, actions: [delete]}]}", "say what rule x looks for"},
		{"a timeout action without its length", "automod: {rules: [{name: x, mentions: 3, actions: [timeout]}]}", "moderation.automod.rules[0].timeout: missing"},
		{"an unknown action", "automod: {rules: [{name: x, mentions: 3, actions: [ban]}]}", `"ban" is not an automod action`},
		{"a bad pattern", "automod: {rules: [{name: x, patterns: ['(('], actions: [alert]}]}", "is not a regular expression"},
		{"an unknown key", "automod: {rulez: []}", `unknown key "rulez" in moderation.automod`},
	}
	for _, tt := range tests {
		_, err := config.Parse("liaison.yaml", []byte(moderationWorld+"moderation:\n  "+tt.yaml+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
