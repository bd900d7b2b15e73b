package bot_test

import (
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestAnApprovalIsBoundToTheExactTextAndTarget(t *testing.T) {
	t.Parallel()
	target := bot.DraftTarget{GuildID: "1", ChannelID: "2", MessageID: "3"}
	h := bot.DraftHash("Thanks!", target)
	if len(h) != 64 || h != bot.DraftHash("Thanks!", target) {
		t.Fatalf("DraftHash = %q, want a stable hex SHA-256", h)
	}
	for name, other := range map[string]string{
		"another text":         bot.DraftHash("Thanks", target),
		"another message":      bot.DraftHash("Thanks!", bot.DraftTarget{GuildID: "1", ChannelID: "2", MessageID: "4"}),
		"ids shifted together": bot.DraftHash("Thanks!", bot.DraftTarget{GuildID: "12", ChannelID: "", MessageID: "3"}),
	} {
		if other == h {
			t.Errorf("%s gives the same hash", name)
		}
	}
}

func TestQuorumAnyAllAndN(t *testing.T) {
	t.Parallel()
	const carol, dave, erin, frank = "U01CAROL", "U01DAVE", "U01ERIN", "U01FRANK"
	approvers := []string{carol, dave, erin}
	tests := []struct {
		name     string
		quorum   bot.Quorum
		author   string
		approved []string
		reached  bool
		needed   int
	}{
		{"any: one approval publishes", bot.Quorum{N: 1}, frank, []string{dave}, true, 1},
		{"any: no approval yet", bot.Quorum{N: 1}, frank, nil, false, 1},
		{"all: every approver must approve", bot.Quorum{All: true}, frank, []string{carol, dave}, false, 3},
		{"all: done when all three have", bot.Quorum{All: true}, frank, []string{carol, dave, erin}, true, 3},
		{"all: the author is not counted among all", bot.Quorum{All: true}, carol, []string{dave, erin}, true, 2},
		{"N=2: one is not enough", bot.Quorum{N: 2}, frank, []string{dave}, false, 2},
		{"N=2: two are", bot.Quorum{N: 2}, frank, []string{dave, erin}, true, 2},
		{"N=2: the same approver twice counts once", bot.Quorum{N: 2}, frank, []string{dave, dave}, false, 2},
		{"N=2: an approval by someone else does not count", bot.Quorum{N: 2}, frank, []string{dave, frank}, false, 2},
		{"N=2: the author's own approval never counts", bot.Quorum{N: 2}, carol, []string{carol, dave}, false, 2},
	}
	for _, tt := range tests {
		p := bot.ApprovalPolicy{Approvers: approvers, Quorum: tt.quorum}
		if got := p.Reached(tt.author, tt.approved); got != tt.reached {
			t.Errorf("%s: Reached(%v) = %v, want %v", tt.name, tt.approved, got, tt.reached)
		}
		if got := p.Needed(tt.author); got != tt.needed {
			t.Errorf("%s: Needed = %d, want %d", tt.name, got, tt.needed)
		}
	}
}

func TestOnlyApproversDecideAndNeverOnAVersionTheyWrote(t *testing.T) {
	t.Parallel()
	p := bot.ApprovalPolicy{Approvers: []string{"U01CAROL", "U01DAVE"}, Quorum: bot.Quorum{N: 1},
		Names: []string{"carol", "dave"}, NamesOf: map[string]string{"U01CAROL": "carol", "U01DAVE": "dave"}}
	if err := p.Check("U01DAVE", "U01CAROL", "carol", "approve"); err != nil {
		t.Errorf("dave approving carol's version: %v", err)
	}
	err := p.Check("U01BOB", "U01CAROL", "carol", "approve")
	if bot.ErrorCode(err) != bot.EForbidden || bot.ErrorMessage(err) != "You are not an approver for this draft: it needs 1 of carol, dave — carol wrote this version, so only dave can approve it. Nothing was changed." {
		t.Errorf("bob approving = %v", err)
	}
	// dave edited carol's draft: the version is his, so only carol may approve it.
	err = p.Check("U01DAVE", "U01DAVE", "dave", "approve")
	if bot.ErrorCode(err) != bot.EForbidden || bot.ErrorMessage(err) != "You wrote this version of the draft, so you cannot approve it: it needs 1 of carol, dave — dave wrote this version, so only carol can approve it. Nothing was changed." {
		t.Errorf("dave approving his own version = %v", err)
	}
	if err := p.Check("U01CAROL", "U01DAVE", "dave", "approve"); err != nil {
		t.Errorf("carol approving dave's version of her draft: %v", err)
	}
	if !p.Possible("U01CAROL") || (bot.ApprovalPolicy{Approvers: []string{"U01CAROL"}, Quorum: bot.Quorum{N: 1}}).Possible("U01CAROL") {
		t.Error("Possible: a version by the only approver cannot be approved by anyone")
	}
	three := bot.ApprovalPolicy{Approvers: []string{"U01CAROL", "U01DAVE", "U01ERIN", "U01LEAD"}, Quorum: bot.Quorum{All: true},
		Names: []string{"carol", "dave", "erin", "@leads"}, NamesOf: map[string]string{"U01CAROL": "carol", "U01DAVE": "dave", "U01ERIN": "erin"}}
	for _, tt := range []struct {
		p            bot.ApprovalPolicy
		author, name string
		want         string
	}{
		{bot.ApprovalPolicy{Approvers: []string{"U1"}, Quorum: bot.Quorum{All: true}, Names: []string{"@leads"}}, "U9", "bob", "needs all of @leads"},
		{three, "U01BOB", "bob", "needs all of carol, dave, erin, @leads"},
		{three, "U01DAVE", "dave", "needs all of carol, dave, erin, @leads — dave wrote this version, so only carol, erin and @leads can approve it"},
		{three, "U01LEAD", "lee", "needs all of carol, dave, erin, @leads (not lee, who wrote this version)"},
		{bot.ApprovalPolicy{Approvers: []string{"U01DAVE"}, Names: []string{"dave"}, NamesOf: map[string]string{"U01DAVE": "dave"}}, "U01DAVE", "dave",
			"needs 1 of dave — dave wrote this version, so nobody else can approve it"},
	} {
		if got := tt.p.Describe(tt.author, tt.name); got != tt.want {
			t.Errorf("Describe(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTheDraftStateMachine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, action, to string
	}{
		{bot.DraftPending, bot.DraftApprove, bot.DraftPending},
		{bot.DraftPending, bot.DraftPublish, bot.DraftApproved},
		{bot.DraftPending, bot.DraftReject, bot.DraftRejected},
		{bot.DraftRejected, bot.DraftEdit, bot.DraftPending},
		{bot.DraftApproved, bot.DraftSent, bot.DraftPosted},
		{bot.DraftApproved, bot.DraftFail, bot.DraftFailed},
		{bot.DraftFailed, bot.DraftRetry, bot.DraftApproved},
		{bot.DraftFailed, bot.DraftSent, bot.DraftPosted},
		{bot.DraftPending, bot.DraftExpire, bot.DraftExpired},
		{bot.DraftPending, bot.DraftGoStale, bot.DraftStale},
	}
	for _, tt := range tests {
		if got, err := bot.DraftTransition(1, tt.from, tt.action); err != nil || got != tt.to {
			t.Errorf("DraftTransition(%s, %s) = %q, %v; want %q", tt.from, tt.action, got, err, tt.to)
		}
	}
	refused := []struct{ from, action, msg string }{
		{bot.DraftApproved, bot.DraftApprove, "Draft #7 is approved and being posted in Discord, so it cannot be approved."},
		{bot.DraftPosted, bot.DraftEdit, "Draft #7 was already posted in Discord, so it cannot be edited."},
		{bot.DraftExpired, bot.DraftApprove, "Draft #7 expired before anyone approved it, so it cannot be approved."},
		{bot.DraftStale, bot.DraftReject, "Draft #7 answers a Discord message that no longer exists, so it cannot be rejected."},
		{bot.DraftRejected, bot.DraftApprove, "Draft #7 was rejected, so it cannot be approved."},
		{bot.DraftPosted, bot.DraftFail, "Draft #7 was already posted in Discord, so it cannot be marked refused."},
		{bot.DraftRejected, bot.DraftExpire, "Draft #7 was rejected, so it cannot be expired."},
		{bot.DraftRejected, bot.DraftGoStale, "Draft #7 was rejected, so it cannot be marked stale."},
	}
	for _, tt := range refused {
		_, err := bot.DraftTransition(7, tt.from, tt.action)
		if bot.ErrorCode(err) != bot.EConflict || bot.ErrorMessage(err) != tt.msg {
			t.Errorf("DraftTransition(%s, %s) = %v, want %q", tt.from, tt.action, err, tt.msg)
		}
	}
}

func TestParseMessageLink(t *testing.T) {
	t.Parallel()
	want := bot.DraftTarget{GuildID: "998877665544332211", ChannelID: "1100000000000000001", MessageID: "1574333684121604096"}
	for _, in := range []string{
		"https://discord.com/channels/998877665544332211/1100000000000000001/1574333684121604096",
		"<https://ptb.discord.com/channels/998877665544332211/1100000000000000001/1574333684121604096>",
		"<https://discordapp.com/channels/998877665544332211/1100000000000000001/1574333684121604096|the message>",
	} {
		if got, err := bot.ParseMessageLink(in); err != nil || got != want {
			t.Errorf("ParseMessageLink(%q) = %+v, %v", in, got, err)
		}
	}
	if got := want.Link(); got != "https://discord.com/channels/998877665544332211/1100000000000000001/1574333684121604096" {
		t.Errorf("Link = %q", got)
	}
	for _, in := range []string{
		"https://evil.example/channels/998877665544332211/1100000000000000001/1574333684121604096",
		"https://discord.com/channels/@me/1100000000000000001/1574333684121604096",
		"https://discord.com/channels/998877665544332211/1100000000000000001",
		"12",
	} {
		if _, err := bot.ParseMessageLink(in); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("ParseMessageLink(%q) = %v, want invalid", in, err)
		}
	}
}
