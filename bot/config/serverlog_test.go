package config_test

import (
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/config"
)

func TestServerLogsAndModmailDecode(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(moderationWorld+`moderation:
  logs: {edits: discord:mod-log, deletes: [discord:mod-log, mod-log], joins: mod-log, cache: 500}
  modmail: {slack: mod-log, sign_with_name: true}
  appeals_url: https://example.com/appeal
`))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Moderation.Logs
	if len(l.Edits) != 1 || l.Edits[0].ID != "1100000000000000003" || len(l.Deletes) != 2 || l.Deletes[1].ID != "C01MODLOG" ||
		len(l.Joins) != 1 || l.Joins[0].ID != "C01MODLOG" || l.Leaves != nil || l.Cache != 500 {
		t.Errorf("logs = %+v", l)
	}
	if got := len(l.All()); got != 2 {
		t.Errorf("All() = %d channels, want 2 (each once)", got)
	}
	mm := c.Moderation.Modmail
	if !mm.Enabled || mm.Slack.ID != "C01MODLOG" || !mm.SignWithName || mm.Approval {
		t.Errorf("modmail = %+v", mm)
	}
	if c.Moderation.AppealsURL != "https://example.com/appeal" {
		t.Errorf("appeals_url = %q", c.Moderation.AppealsURL)
	}
	c, err = config.Parse("liaison.yaml", []byte(moderationWorld+"moderation:\n  logs: {edits: discord:mod-log}\n"))
	if err != nil || c.Moderation.Logs.Cache != config.DefaultLogCache {
		t.Errorf("cache default = %d, %v; want %d", c.Moderation.Logs.Cache, err, config.DefaultLogCache)
	}
}

func TestServerLogsBadInputSaysWhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"  logs: {edits: discord:nowhere}\n", `moderation.logs.edits: no Discord channel named "nowhere"`},
		{"  logs: {typos: mod-log}\n", `unknown key "typos"`},
		{"  logs: {cache: 5}\n", "must be at least 100"},
		{"  modmail: {sign_with_name: yes}\n", "missing: the Slack channel tickets open in"},
		{"  modmail: {slack: mod-log, approval: maybe}\n", "expected true or false"},
		{"  appeals_url: example.com\n", "is not a web link"},
		{"  modmail: {slack: mod-log, approval: true}\n", "moderation.modmail.approval: answers wait for approval in the approvals: section's channel, and this file has no approvals: section"},
	} {
		_, err := config.Parse("liaison.yaml", []byte(moderationWorld+"moderation:\n"+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.yaml, err, tc.want)
		}
	}
}

func TestModmailApprovalUsesTheApprovalsPolicy(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(`slack:
  channels: {mod-log: C01MODLOG, approvals: C01APPROVALS}
discord:
  guild: "998877665544332211"
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE}
approvals: {channel: approvals, approvers: [carol, dave]}
moderation:
  modmail: {slack: mod-log, approval: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Moderation.Modmail.Approval || !c.Approvals.Enabled {
		t.Errorf("modmail = %+v, approvals on: %v", c.Moderation.Modmail, c.Approvals.Enabled)
	}
}
