package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

const approvalsWorld = `slack:
  channels: {approvals: C01APPROVALS, product: C01PRODUCT}
discord:
  guild: "998877665544332211"
  channels: {feedback: "1100000000000000001", general: "1100000000000000002", announcements: "1100000000000000004"}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
  - {name: erin, discord: "1300000000000000005"}
`

func TestApprovalsSectionResolvesApproversAndOverrides(t *testing.T) {
	t.Parallel()
	// The section comes before the people and channels it names.
	c, err := config.Parse("liaison.yaml", []byte(`approvals:
  channel: approvals
  approvers: [carol, dave, {slack_group: S01LEADS, handle: "@community-leads"}]
  quorum: 2
  expire_after: 2d
  overrides:
    announcements: {quorum: all, ping_author: true}
    general: {approvers: [dave], quorum: any, expire_after: 6h}
`+approvalsWorld))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Approvals
	if !a.Enabled || a.Channel.ID != "C01APPROVALS" {
		t.Fatalf("approvals = %+v", a)
	}
	want := config.ApprovalPolicy{
		Approvers: []config.Approver{{Person: "carol", Slack: "U01CAROL"}, {Person: "dave", Slack: "U01DAVE"}, {Group: "S01LEADS", Handle: "community-leads"}},
		Quorum:    bot.Quorum{N: 2}, ExpireAfter: 48 * time.Hour,
	}
	if diff := cmp.Diff(want, a.For("1100000000000000001")); diff != "" {
		t.Errorf("default policy, for #feedback (-want +got):\n%s", diff)
	}
	ann := want
	ann.Quorum, ann.PingAuthor = bot.Quorum{All: true}, true
	if diff := cmp.Diff(ann, a.For("1100000000000000004")); diff != "" {
		t.Errorf("#announcements keeps what it does not set (-want +got):\n%s", diff)
	}
	gen := config.ApprovalPolicy{Approvers: []config.Approver{{Person: "dave", Slack: "U01DAVE"}}, Quorum: bot.Quorum{N: 1}, ExpireAfter: 6 * time.Hour}
	if diff := cmp.Diff(gen, a.For("1100000000000000002")); diff != "" {
		t.Errorf("#general (-want +got):\n%s", diff)
	}
	if got := a.Policy.Approvers[2].Label(); got != "@community-leads" {
		t.Errorf("group label = %q", got)
	}
}

func TestApprovalsDefaultsAndAbsence(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(approvalsWorld+"approvals: {channel: approvals, approvers: [carol]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Approvals.Policy; p.Quorum != (bot.Quorum{N: 1}) || p.ExpireAfter != config.DefaultExpireAfter || p.PingAuthor {
		t.Errorf("defaults = %+v, want any, 48h, no ping", p)
	}
	c, err = config.Parse("liaison.yaml", []byte(approvalsWorld))
	if err != nil || c.Approvals.Enabled {
		t.Errorf("without the section: %+v, %v", c.Approvals, err)
	}
}

func TestApprovalsMistakesAreNamedWithLineAndKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"no approvers", "approvals: {channel: approvals}", []string{
			"approvals.approvers: missing: who approves replies"}},
		{"no channel", "approvals: {approvers: [carol]}", []string{
			"approvals.channel: missing: the Slack channel where drafts wait for approval"}},
		{"a Discord channel", "approvals: {channel: discord:general, approvers: [carol]}", []string{
			"approvals.channel: drafts are approved in Slack"}},
		{"an unknown person", "approvals: {channel: approvals, approvers: [carol, zoe]}", []string{
			`approvals.approvers[1]: nobody called "zoe" is declared under people: defined are carol, dave, erin`}},
		{"a person without Slack", "approvals: {channel: approvals, approvers: [erin]}", []string{
			"approvals.approvers[0]: erin has no slack: id under people:"}},
		{"a bad group id", "approvals: {channel: approvals, approvers: [{slack_group: leads}]}", []string{
			`approvals.approvers[0].slack_group: "leads" is not a Slack user group id`}},
		{"twice the same", "approvals: {channel: approvals, approvers: [carol, carol]}", []string{
			"approvals.approvers[1]: carol is listed twice"}},
		{"a bad quorum", "approvals: {channel: approvals, approvers: [carol], quorum: most}", []string{
			`approvals.quorum: "most" is not a quorum: use any (one approval), all (every approver) or a number like 2`}},
		{"a zero quorum", "approvals: {channel: approvals, approvers: [carol], quorum: 0}", []string{
			"approvals.quorum: must be at least 1, got 0"}},
		{"a quorum nobody reaches", "approvals: {channel: approvals, approvers: [carol, dave], quorum: 3}", []string{
			"approvals.quorum: a quorum of 3 needs at least 3 approvers, and only 2 are listed (carol, dave): nothing could ever be published"}},
		{"an override's quorum nobody reaches", "approvals: {channel: approvals, approvers: [carol, dave], overrides: {general: {approvers: [dave], quorum: 2}}}", []string{
			"approvals.overrides.general.quorum: a quorum of 2 needs at least 2 approvers, and only 1 is listed (dave)"}},
		{"an override for an unknown channel", "approvals: {channel: approvals, approvers: [carol], overrides: {random: {quorum: 1}}}", []string{
			`approvals.overrides.random: no Discord channel named "random"`}},
		{"a bad key in an override", "approvals: {channel: approvals, approvers: [carol], overrides: {general: {quorom: 1}}}", []string{
			`approvals.overrides.general.quorom: unknown key "quorom" in approvals.overrides.general: expected one of approvers, quorum, expire_after, ping_author`}},
		{"ping_author is yes or no", "approvals: {channel: approvals, approvers: [carol], ping_author: sometimes}", []string{
			`approvals.ping_author: expected true or false, got "sometimes"`}},
	}
	for _, tt := range tests {
		_, err := config.Parse("liaison.yaml", []byte(approvalsWorld+tt.yaml+"\n"))
		var errs config.Errors
		if !errors.As(err, &errs) {
			t.Errorf("%s: Parse = %v, want config.Errors", tt.name, err)
			continue
		}
		if len(errs) != len(tt.want) {
			t.Errorf("%s: %d errors, want %d:\n%v", tt.name, len(errs), len(tt.want), err)
			continue
		}
		for i, w := range tt.want {
			if got := errs[i].Key + ": " + errs[i].Msg; !strings.HasPrefix(got, w) || errs[i].Line != 10 {
				t.Errorf("%s: error %d = line %d %q, want line 10 %q", tt.name, i, errs[i].Line, got, w)
			}
		}
	}
}
