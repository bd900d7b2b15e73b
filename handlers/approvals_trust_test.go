package handlers

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The trust of public speech (issue 13): four eyes on every exact text, an
// approval bound to what the approver saw, one answer per message, and
// rejections that stay rejections; each refusal changes nothing.

// setupApprovalsWith is setupApprovals with approvalsYAML changed by the
// replacements old, new, ….
func setupApprovalsWith(t *testing.T, db *store.DB, replacements ...string) *apBundle {
	t.Helper()
	yaml := approvalsYAML
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(yaml, replacements[i]) {
			t.Fatalf("approvalsYAML lacks %q", replacements[i])
		}
		yaml = strings.Replace(yaml, replacements[i], replacements[i+1], 1)
	}
	cfg, err := config.Parse("liaison.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	b := setupApprovals(t, db)
	b.caps = Build(Deps{DB: db, Config: cfg, Clock: b.clock, Logger: slog.New(slog.DiscardHandler), Discord: b.msgs, SlackDirect: b.direct})
	b.r = b.caps.Router
	b.disp.Senders = map[string]bot.Sender{bot.PlatformSlack: b.sender, bot.PlatformDiscord: b.sender}
	return b
}

// editDraft saves text as user's edit of d, through its Edit form.
func (b *apBundle) editDraft(t *testing.T, d *store.Draft, user, text string) string {
	t.Helper()
	form, err := b.click(d, user, "approvals.edit")
	if err != nil || form.Modal == nil {
		t.Fatalf("%s's Edit = %+v, %v", user, form, err)
	}
	reply, err := b.submit(user, form.Modal.CallbackID, form.Modal.Meta, map[string]string{"text": text})
	if err != nil {
		t.Fatalf("%s's edit: %v", user, err)
	}
	b.settle(t)
	return reply.Text
}

// approvalRows returns every approval of draft id, of every version.
func (b *apBundle) approvalRows(t *testing.T, id int64) []store.Approval {
	t.Helper()
	as, err := b.db.Approvals(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// outboxKeys returns the keys of every outbox message, oldest first.
func (b *apBundle) outboxKeys(t *testing.T) []string {
	t.Helper()
	entries, err := b.db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	return keys
}

// The first story: carol drafts, dave rewrites it and approves his
// own words. The version is his: he may not approve it, by button or by
// reaction; only carol may, and whoever approves sees his text.
func TestAnApproverCannotApproveTheVersionTheyWrote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovalsWith(t, db, "approvers: [carol, dave, erin]", "approvers: [carol, dave]")
		d := b.draft(t, apCarol, b.target(t, apFeedback, "1500000000000005001", "the export crashes"), "Thanks alice, we are on it.")

		saved := b.editDraft(t, d, apDave, "Our product is garbage, sorry.")
		const left = "needs 1 of carol, dave — dave wrote this version, so only carol can approve it"
		if saved != "Draft #1 is saved as version 2: it "+left+"." {
			t.Errorf("dave was told %q on saving", saved)
		}
		v2 := b.get(t, d.ID)
		if v2.Version != 2 || v2.VersionAuthor != apDave || v2.Author != apCarol || v2.Text != "Our product is garbage, sorry." {
			t.Fatalf("after dave's edit: %+v", v2)
		}
		b.react(t, v2, apDave, "white_check_mark")
		if got := b.direct.last(); got != apDave+": You wrote this version of the draft, so you cannot approve it: it "+left+". Nothing was changed." {
			t.Errorf("dave's ✅ answered %q", got)
		}
		if _, err := b.click(v2, apDave, "approvals.approve"); bot.ErrorCode(err) != bot.EForbidden ||
			!strings.HasPrefix(bot.ErrorMessage(err), "You wrote this version of the draft, so you cannot approve it") {
			t.Errorf("dave's Approve = %v", err)
		}
		if _, err := b.click(v2, apDave, "approvals.reject"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("dave's Reject of his own version = %v", err)
		}
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftPending || len(b.publishes(t)) != 0 || len(b.approvalRows(t, d.ID)) != 0 {
			t.Fatalf("after dave's refusals: %s, %d publishes, approvals %+v", got.Status, len(b.publishes(t)), b.approvalRows(t, d.ID))
		}
		for _, k := range b.outboxKeys(t) {
			if strings.HasPrefix(k, "publish:") {
				t.Errorf("an outbox row to publish: %s", k)
			}
		}
		text, _ := b.approvalMessage(t, v2)
		for _, want := range []string{"Reply: Our product is garbage, sorry.", "Drafted by: carol", "Version: 2 by dave · text " + bot.ShortHash(v2.TextHash),
			"Policy: " + left, "Status: waiting for approval (0 of 1)"} {
			if !strings.Contains(text, want) {
				t.Errorf("the approval message lacks %q:\n%s", want, text)
			}
		}
		show, err := b.command(t, apCarol, "draft show 1")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Policy: " + left + " · version 2 by dave · text " + bot.ShortHash(v2.TextHash),
			"Versions:\nv1 by carol, text " + bot.ShortHash(d.TextHash) + ", 2026-11-23 10:00: Thanks alice, we are on it.\n" +
				"v2 by dave, text " + bot.ShortHash(v2.TextHash) + ", 2026-11-23 10:00 (current)\n"} {
			if !strings.Contains(show.Text, want) {
				t.Errorf("draft show lacks %q:\n%s", want, show.Text)
			}
		}

		// carol, who did not write version 2, may approve it: two people saw it.
		if reply, err := b.click(v2, apCarol, "approvals.approve"); err != nil || !strings.Contains(reply.Text, "being posted") {
			t.Fatalf("carol's approval of dave's version = %+v, %v", reply, err)
		}
		b.settle(t)
		if pubs := b.publishes(t); len(pubs) != 1 || !strings.Contains(string(pubs[0].Payload), "Our product is garbage") {
			t.Errorf("published %d", len(pubs))
		}
		as := b.approvalRows(t, d.ID)
		if len(as) != 1 || as[0].Approver != apCarol || as[0].Version != 2 || as[0].TextHash != v2.TextHash {
			t.Errorf("approvals = %+v", as)
		}
		show, _ = b.command(t, apCarol, "draft show 1")
		if !strings.Contains(show.Text, "v2 by dave, text "+bot.ShortHash(v2.TextHash)+", 2026-11-23 10:00: approved by carol (2026-11-23 10:00) (current)") {
			t.Errorf("draft show:\n%s", show.Text)
		}
	})
}

// Approvals belong to one version: those of version 1 do not carry to
// version 2, nor to version 3 when it is version 1's text again; `all`
// means every approver who did not write the version.
func TestApprovalsOfOneVersionNeverCountForAnother(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		d := b.draft(t, apBob, b.target(t, apAnnounce, "1500000000000005001", "when?"), "Soon!") // quorum all
		for _, who := range []string{apCarol, apDave} {
			if _, err := b.click(d, who, "approvals.approve"); err != nil {
				t.Fatal(err)
			}
		}
		b.editDraft(t, d, apErin, "Next week!")
		v2 := b.get(t, d.ID)
		// Version 2 is erin's: all means carol and dave, and only them.
		if text, _ := b.approvalMessage(t, v2); !strings.Contains(text, "Status: waiting for approval (0 of 2)") ||
			!strings.Contains(text, "erin wrote this version, so only carol and dave can approve it") {
			t.Errorf("version 2's message:\n%s", text)
		}
		b.editDraft(t, v2, apBob, "Soon!")
		v3 := b.get(t, d.ID)
		if v3.Version != 3 || v3.TextHash != d.TextHash {
			t.Fatalf("version 3 = %+v", v3)
		}
		// Version 1's text again, but carol's and dave's approvals were of version 1.
		if text, _ := b.approvalMessage(t, v3); !strings.Contains(text, "Status: waiting for approval (0 of 3)") {
			t.Errorf("version 3's message:\n%s", text)
		}
		for _, who := range []string{apCarol, apDave} {
			if _, err := b.click(v3, who, "approvals.approve"); err != nil {
				t.Fatal(err)
			}
		}
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftPending {
			t.Fatalf("two of three approvals published version 3: %s", got.Status)
		}
		if _, err := b.click(v3, apErin, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftPosted || len(b.publishes(t)) != 1 {
			t.Errorf("after all three: %s, %d publishes", got.Status, len(b.publishes(t)))
		}
		if n := len(b.approvalRows(t, d.ID)); n != 5 {
			t.Errorf("%d approvals kept, want 5 (two of version 1, three of version 3)", n)
		}
	})
}
