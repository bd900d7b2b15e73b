package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
			"Versions:\nv1 by carol, text " + bot.ShortHash(d.TextHash) + ", 2026-11-23 10:00: “Thanks alice, we are on it.”\n" +
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
		if !strings.Contains(show.Text, "v2 by dave, text "+bot.ShortHash(v2.TextHash)+", 2026-11-23 10:00 (current); approved by carol (2026-11-23 10:00)") {
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

// A ✅ approves the version its message shows. An edit posts the new
// version as a new message in the first one's thread and marks the old one
// superseded; a reaction or a button on the old one is refused and shows
// the new text.
func TestAnEditBetweenTheRenderAndTheCheckMarkRefusesTheReaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		v1 := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "refund?"), "We refund within 30 days.")
		b.editDraft(t, v1, apBob, "We refund within 14 days.")
		v2 := b.get(t, v1.ID)
		before := len(b.outboxKeys(t))

		// dave reacts on the message he was looking at: version 1's.
		b.react(t, v1, apDave, "white_check_mark")
		want := apDave + ": This message shows version 1 of draft #1, which is superseded: the text changed since this message was shown. " +
			"Here is the new one, version 2 by bob (text " + bot.ShortHash(v2.TextHash) + "): “We refund within 14 days.”. React on its message in this message's thread. Nothing was changed."
		if got := b.direct.last(); got != want {
			t.Errorf("dave's ✅ on version 1 answered\n%q, want\n%q", got, want)
		}
		b.react(t, v1, apErin, "x")
		if got := b.direct.last(); !strings.HasPrefix(got, apErin+": This message shows version 1 of draft #1, which is superseded") {
			t.Errorf("erin's ❌ on version 1 answered %q", got)
		}
		// …and its buttons, and a form opened from them.
		for _, action := range []string{"approvals.approve", "approvals.reject", "approvals.edit"} {
			_, err := b.click(v1, apDave, action)
			if bot.ErrorCode(err) != bot.EConflict || !strings.HasPrefix(bot.ErrorMessage(err),
				"The text of draft #1 changed since this message was shown: here is the new one, version 2 by bob (text "+bot.ShortHash(v2.TextHash)+"): “We refund within 14 days.”.") {
				t.Errorf("%s on version 1 = %v", action, err)
			}
		}
		if _, err := b.submit(apDave, "approvals.reject", fmt.Sprintf("1:v1:%s", v1.TextHash), map[string]string{"reason": "no"}); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("a Reject form of version 1 = %v", err)
		}
		if got := b.get(t, v1.ID); got.Status != bot.DraftPending || len(b.approvalRows(t, v1.ID)) != 0 || len(b.outboxKeys(t)) != before {
			t.Fatalf("refusals changed something: %s, approvals %+v, outbox %v", got.Status, b.approvalRows(t, v1.ID), b.outboxKeys(t)[before:])
		}

		// Version 1's message says it is superseded, without buttons; version
		// 2's is a reply in its thread, pointing back.
		text, buttons := b.approvalMessage(t, v1)
		if !strings.Contains(text, "Status: superseded by version 2 ↓ (in this message's thread): decide on that one") || len(buttons) != 0 ||
			!strings.Contains(text, "Reply: We refund within 30 days.") {
			t.Errorf("version 1's message %v:\n%s", apLabels(buttons), text)
		}
		e, p := b.lastPost(t, store.DraftVersionKey(1, 2))
		top, _ := b.db.OutboxByKey(context.Background(), store.DraftOutboxKey(1))
		if e.Key != "draft:1:v2" || e.ParentID == nil || *e.ParentID != top.ID || p.ThreadOf != "" || e.PlatformID == "" {
			t.Errorf("version 2's message = %+v, want a reply in the thread of %+v", e, top)
		}
		for _, m := range b.sender.posts {
			if m.Key == "draft:1:v2" && m.ParentRef != top.PlatformID {
				t.Errorf("version 2 was sent under %q, want the thread of %q", m.ParentRef, top.PlatformID)
			}
		}
		text = apPostText(p)
		for _, want := range []string{"Draft reply #1 to alice in #feedback (feedback #1), version 2", "Reply: We refund within 14 days.",
			"Version: 2 by bob · text " + bot.ShortHash(v2.TextHash), "Replaces: version 1 ↑ (the message this thread starts from)"} {
			if !strings.Contains(text, want) {
				t.Errorf("version 2's message lacks %q:\n%s", want, text)
			}
		}
		if apLabels(p.Buttons) != "Approve,Reject,Edit" || p.Buttons[0].Value != fmt.Sprintf("1:v2:%s", v2.TextHash) {
			t.Errorf("version 2's buttons = %+v", p.Buttons)
		}

		// On version 2's message, dave's ✅ approves version 2, which is published.
		b.react(t, v2, apDave, "white_check_mark")
		if got := b.direct.last(); got != apDave+": You approved draft #1: it is being posted in Discord." {
			t.Errorf("dave's ✅ on version 2 answered %q", got)
		}
		b.settle(t)
		if pubs := b.publishes(t); len(pubs) != 1 || !strings.Contains(string(pubs[0].Payload), "14 days") {
			t.Fatalf("published %d", len(pubs))
		}
		if text, _ := b.approvalMessage(t, v2); !strings.Contains(text, "Status: posted in Discord") {
			t.Errorf("version 2's message after posting:\n%s", text)
		}
	})
}

// An edit and a ✅ on the message being replaced, at the same moment: the
// ✅ approves what its message showed, or is refused; never the new text.
func TestAnEditRacingACheckMarkNeverPublishesUnseenText(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		for round := range 5 {
			d := b.draft(t, apBob, b.target(t, apFeedback, fmt.Sprint(1500000000000006000+round), "hello"), fmt.Sprintf("Hi %d!", round))
			form, err := b.click(d, apBob, "approvals.edit")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var editErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, editErr = b.submit(apBob, form.Modal.CallbackID, form.Modal.Meta, map[string]string{"text": fmt.Sprintf("Unseen %d!", round)})
			}()
			go func() { defer wg.Done(); b.react(t, d, apDave, "white_check_mark") }()
			wg.Wait()
			b.settle(t)
			got := b.get(t, d.ID)
			pubs := 0
			for _, m := range b.publishes(t) {
				if m.Key == store.PublishOutboxKey(d.ID) {
					pubs++
					if !strings.Contains(string(m.Payload), fmt.Sprintf("Hi %d!", round)) {
						t.Errorf("round %d: published %s, which dave never saw", round, m.Payload)
					}
				}
			}
			switch {
			case pubs == 1 && editErr != nil && got.Version == 1:
				// The ✅ came first: version 1 is published, the edit is refused.
			case pubs == 0 && editErr == nil && got.Version == 2 && got.Status == bot.DraftPending:
				if as, _ := b.db.Approvals(context.Background(), d.ID, 2); len(as) != 0 {
					t.Errorf("round %d: version 2 has approvals %+v", round, as)
				}
			default:
				t.Errorf("round %d: %d publishes, edit %v, draft %s v%d", round, pubs, editErr, got.Status, got.Version)
			}
		}
	})
}

// draftLink is the /liaison draft command answering target with text.
func draftLink(target *bot.Message, text string) string {
	return fmt.Sprintf("draft https://discord.com/channels/%s/%s/%s %s", apGuild, target.ChannelID, target.ID, text)
}

// A message gets one answer: a second draft while one waits is refused by
// the store, naming the waiting one and offering its Edit to whoever may
// use it; nothing is saved.
func TestASecondDraftForAMessageIsRefusedAndOffersTheFirstsEdit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		m := b.target(t, apFeedback, "1500000000000005001", "the export crashes")
		first := b.draft(t, apCarol, m, "Thanks alice, we are on it.")
		before := b.outboxKeys(t)

		const named = "Draft #1 by carol is already waiting for approval as the answer to that message (version 1 by carol: “Thanks alice, we are on it.”). " +
			"A message gets one answer: change that draft instead of writing a second. Nothing was saved."
		reply, err := b.command(t, apDave, draftLink(m, "Hello alice!"))
		if err != nil || reply.Text != named+" Edit it here, or on its message in #approvals." || len(reply.Buttons) != 1 ||
			reply.Buttons[0].ActionID != "approvals.edit" || reply.Buttons[0].Value != fmt.Sprintf("1:v1:%s", first.TextHash) {
			t.Fatalf("dave's second draft = %+v, %v", reply, err)
		}
		// The offered Edit opens the waiting draft's form.
		form, err := b.r.HandleAction(ctx, &bot.Action{Delivery: b.key(), ActionID: reply.Buttons[0].ActionID, Value: reply.Buttons[0].Value, User: apUser(apDave)})
		if err != nil || form.Modal == nil || form.Modal.Fields[0].Value != "Thanks alice, we are on it." {
			t.Errorf("the offered Edit = %+v, %v", form, err)
		}
		// bob (no approver, not its author) is told who can change it; so is
		// the relay's form.
		reply, err = b.command(t, apBob, "reply 1 Hello again!")
		if err != nil || reply.Text != named+" carol or one of its approvers can edit it." || len(reply.Buttons) != 0 {
			t.Errorf("bob's second draft = %+v, %v", reply, err)
		}
		reply, err = b.submit(apBob, "approvals.draft", "feedback:1", map[string]string{"text": "Hello from the form!"})
		if err != nil || !strings.HasPrefix(reply.Text, named) {
			t.Errorf("the form's second draft = %+v, %v", reply, err)
		}
		all, _ := db.ListDrafts(ctx, store.DraftFilter{})
		if len(all) != 1 || !slices.Equal(b.outboxKeys(t), before) {
			t.Errorf("refusals saved %d drafts, outbox %v → %v", len(all), before, b.outboxKeys(t))
		}
		// Another message is another answer.
		b.draft(t, apDave, b.target(t, apFeedback, "1500000000000005002", "and the import"), "Looking into it.")
	})
}

// A message already answered gets a follow-up: its approvers see the reply
// before it (posted, or approved and being posted), it needs its own
// approvals, and it is posted as another reply to the same message.
func TestADraftForAnAnsweredMessageIsAFollowUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		m := b.target(t, apFeedback, "1500000000000005001", "the export crashes")
		first := b.draft(t, apCarol, m, "Thanks alice, we are on it.")
		if _, err := b.click(first, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		// Between approval and publication (nothing sent yet).
		reply, err := b.command(t, apBob, draftLink(m, "A fix ships on Monday."))
		if err != nil || reply.Text != "Draft #2 is waiting for approval in #approvals: it needs 1 of carol, dave, erin. It is a follow-up: #1 is approved and being posted." {
			t.Fatalf("a follow-up before the first reply is posted = %+v, %v", reply, err)
		}
		b.settle(t)
		second := b.get(t, 2)
		text, _ := b.approvalMessage(t, second)
		if !strings.Contains(text, "Follow-up: #1 is approved and being posted: “Thanks alice, we are on it.”") || !strings.Contains(text, "(0 of 1)") ||
			second.FollowsID == nil || *second.FollowsID != first.ID {
			t.Errorf("the follow-up %+v:\n%s", second, text)
		}
		if got := b.get(t, first.ID); got.Status != bot.DraftPosted {
			t.Fatalf("the first reply: %s", got.Status)
		}
		if _, err := b.click(second, apErin, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		// Once the first is posted, a third draft shows it so.
		b.clock.Advance(time.Hour)
		reply, err = b.command(t, apBob, draftLink(m, "It shipped."))
		if err != nil || !strings.HasSuffix(reply.Text, "It is a follow-up: #2 was already posted on Mon 23 Nov 10:00.") {
			t.Fatalf("a follow-up of a posted reply = %+v, %v", reply, err)
		}
		b.settle(t)
		if text, _ := b.approvalMessage(t, b.get(t, 3)); !strings.Contains(text, "Follow-up: #2 was already posted on Mon 23 Nov 10:00: “A fix ships on Monday.”") {
			t.Errorf("the third draft's message:\n%s", text)
		}
		pubs := b.publishes(t)
		if len(pubs) != 2 {
			t.Fatalf("%d replies published, want the first and its follow-up", len(pubs))
		}
		for _, p := range pubs {
			var post bot.Post
			if err := json.Unmarshal(p.Payload, &post); err != nil || post.ThreadOf != m.ID {
				t.Errorf("%s answers %q, want alice's message", p.Key, post.ThreadOf)
			}
		}
	})
}

// Two drafts for one message reaching their approvals at the same moment
// (the second drafted a moment before the first's publication committed,
// so its approvers never saw the first): the publishing transaction lets
// the first have the message; the second is not posted, becomes a
// follow-up showing the first, and needs its approvals again.
func TestTheLoserOfTwoDraftsForOneMessageBecomesAFollowUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		m := b.target(t, apFeedback, "1500000000000005001", "the export crashes")
		first := b.draft(t, apCarol, m, "Thanks alice, we are on it.")
		if _, err := b.click(first, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		second := b.draft(t, apBob, m, "A fix ships on Monday.")
		// As its drafting transaction saw it: no reply yet.
		second.FollowsID = nil
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveDraft(ctx, b.clock.Now(), second) }); err != nil {
			t.Fatal(err)
		}
		reply, err := b.click(second, apErin, "approvals.approve")
		if err != nil || reply.Text != "Draft #2 was not posted: draft #1 answered the same message first. #2 is now a follow-up showing #1's reply (version 2), and needs its approvals again." {
			t.Fatalf("the late approval = %+v, %v", reply, err)
		}
		b.settle(t)
		if n := b.sender.count(store.PublishOutboxKey(second.ID)); n != 0 || slices.Contains(b.outboxKeys(t), store.PublishOutboxKey(second.ID)) {
			t.Fatalf("the loser was queued for Discord (%d sends)", n)
		}
		got := b.get(t, second.ID)
		if got.Status != bot.DraftPending || got.Version != 2 || got.FollowsID == nil || *got.FollowsID != first.ID || got.Text != second.Text || got.VersionAuthor != apBob {
			t.Fatalf("the loser = %+v", got)
		}
		text, buttons := b.approvalMessage(t, got)
		for _, want := range []string{"Follow-up: #1 was already posted on Mon 23 Nov 10:00: “Thanks alice, we are on it.”", "Reply: A fix ships on Monday.",
			"Version: 2 by bob", "Status: waiting for approval (0 of 1)"} {
			if !strings.Contains(text, want) {
				t.Errorf("the loser's new message lacks %q:\n%s", want, text)
			}
		}
		if apLabels(buttons) != "Approve,Reject,Edit" {
			t.Errorf("buttons %v", apLabels(buttons))
		}
		if text, _ := b.approvalMessage(t, second); !strings.Contains(text, "superseded by version 2") {
			t.Errorf("the loser's first message:\n%s", text)
		}
		_, note := b.lastPost(t, "draft:2:thread:")
		if !strings.HasPrefix(note.Text, "Draft #1 answered the same message first, so this draft was not posted.") || !slices.Contains(note.Notify, apErin) {
			t.Errorf("the thread was told %+v", note)
		}
		// erin's approval was of what she saw, and stays with version 1.
		if as := b.approvalRows(t, second.ID); len(as) != 1 || as[0].Version != 1 {
			t.Errorf("approvals = %+v", as)
		}
		if _, err := b.click(got, apErin, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		if got := b.get(t, second.ID); got.Status != bot.DraftPosted || b.sender.count(store.PublishOutboxKey(second.ID)) != 1 {
			t.Errorf("the follow-up, approved again: %s", got.Status)
		}
	})
}

// On two replicas, one approving a draft while the other drafts a second
// reply to the same message and approves it at once: the second is either
// refused (the first still waited), or posted only as a follow-up of the
// first, whose approvers saw it; the first is posted once.
func TestTwoReplicasNeverPostASecondAnswerItsApproversDidNotSee(t *testing.T) {
	t.Parallel()
	one, two := approvalReplicas(t)
	ctx := context.Background()
	for round := range 8 {
		m := one.target(t, apFeedback, fmt.Sprint(1500000000000008000+round), "hello")
		first := one.draft(t, apCarol, m, fmt.Sprintf("Hi %d!", round))
		var wg sync.WaitGroup
		var secondID int64
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := one.click(first, apDave, "approvals.approve"); err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}()
		go func() {
			defer wg.Done()
			reply, err := two.command(t, apBob, draftLink(m, fmt.Sprintf("And %d!", round)))
			if err != nil || len(reply.Buttons) > 0 || strings.Contains(reply.Text, "already waiting") {
				return // refused: the first still waited
			}
			fmt.Sscanf(reply.Text, "Draft #%d", &secondID)
			for range 2 { // approved; and again if it became a follow-up
				d, err := two.db.Draft(ctx, secondID)
				if err != nil || d.Status != bot.DraftPending {
					return
				}
				if _, err := two.click(d, apErin, "approvals.approve"); err != nil && bot.ErrorCode(err) != bot.EConflict {
					t.Errorf("round %d: %v", round, err)
				}
			}
		}()
		wg.Wait()
		settleAll(t, one, two)
		if n := one.sender.count(store.PublishOutboxKey(first.ID)) + two.sender.count(store.PublishOutboxKey(first.ID)); n != 1 {
			t.Errorf("round %d: the first reply was published %d times", round, n)
		}
		if secondID == 0 {
			continue
		}
		second, err := one.db.Draft(ctx, secondID)
		if err != nil {
			t.Fatal(err)
		}
		published := one.sender.count(store.PublishOutboxKey(secondID)) + two.sender.count(store.PublishOutboxKey(secondID))
		if published > 1 || (published == 1 && (second.FollowsID == nil || *second.FollowsID != first.ID)) {
			t.Errorf("round %d: the second reply was published %d times following %v, want only as a follow-up of #%d", round, published, second.FollowsID, first.ID)
		}
	}
}

// A rejection stays a rejection: time does not relabel it expired, nor the
// deletion of its message stale. Editing it makes a new version that waits
// again; the rejected version keeps who rejected it and why.
func TestARejectionStaysARejectionAndAnEditWaitsAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "your app is bad"), "No it is not.")
		form, err := b.click(d, apDave, "approvals.reject")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.submit(apDave, "approvals.reject", form.Modal.Meta, map[string]string{"reason": "too defensive"}); err != nil {
			t.Fatal(err)
		}
		// ❌ on another draft, its reason given later in the thread.
		m2 := b.target(t, apFeedback, "1500000000000005002", "refund?")
		crossed := b.draft(t, apBob, m2, "No refunds.")
		b.react(t, crossed, apErin, "x")
		b.settle(t)
		ev := &bot.Message{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_message", Key: "reason"}}},
			Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}, ID: "1700000100.000001",
			ThreadID: b.slackTS(t, crossed), Author: apUser(apErin), Text: "we do refund within 30 days"}
		if err := b.r.HandleEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}

		// Past the deadline, and alice deletes the second message.
		b.clock.Advance(49 * time.Hour)
		b.msgs.remove(apFeedback, m2.ID)
		if err := b.r.HandleEvent(ctx, &bot.MessageDeleted{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_delete", Key: m2.ID}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ChannelID: apFeedback}, ID: m2.ID}); err != nil {
			t.Fatal(err)
		}
		if n, err := b.caps.Approvals.CheckDraftTargets(ctx, b.clock.Now()); err != nil || n != 0 {
			t.Errorf("CheckDraftTargets = %d, %v", n, err)
		}
		b.settle(t)
		for _, tc := range []struct {
			d      *store.Draft
			status string
		}{{d, "Status: rejected by dave: too defensive. Edit it to resubmit."}, {crossed, "Status: rejected by erin: we do refund within 30 days. Edit it to resubmit."}} {
			got := b.get(t, tc.d.ID)
			text, buttons := b.approvalMessage(t, got)
			if got.Status != bot.DraftRejected || !strings.Contains(text, tc.status) || apLabels(buttons) != "Edit" {
				t.Errorf("draft %d after its deadline: %s %v\n%s", got.ID, got.Status, apLabels(buttons), text)
			}
			hist, _ := db.DraftHistory(ctx, got.ID)
			for _, h := range hist {
				if h.Action == "expired" || h.Action == "stale" {
					t.Errorf("draft %d history: %s", got.ID, h.Action)
				}
			}
		}
		// Its message gone, the second cannot be resubmitted: it stays rejected.
		before := b.outboxKeys(t)
		_, err = b.submit(apBob, "approvals.edit", fmt.Sprintf("%d:v1:%s", crossed.ID, crossed.TextHash), map[string]string{"text": "Yes, within 30 days."})
		if bot.ErrorCode(err) != bot.EInvalid || bot.ErrorMessage(err) != "Draft #2 can't be posted any more: the Discord message it answers was deleted. Nothing was saved." {
			t.Errorf("resubmitting a draft whose message is gone = %v", err)
		}
		if got := b.get(t, crossed.ID); got.Status != bot.DraftRejected || got.Version != 1 || !slices.Equal(b.outboxKeys(t), before) {
			t.Errorf("after the refused resubmission: %s v%d, outbox %v", got.Status, got.Version, b.outboxKeys(t)[len(before):])
		}

		// The first is resubmitted: version 2 waits, with a new deadline;
		// version 1's rejection is kept.
		reply := b.editDraft(t, b.get(t, d.ID), apBob, "Thank you for telling us! What went wrong?")
		if reply != "Draft #1 is resubmitted for approval as version 2: it needs 1 of carol, dave, erin." {
			t.Errorf("resubmit = %q", reply)
		}
		v2 := b.get(t, d.ID)
		if v2.Status != bot.DraftPending || v2.Version != 2 || !v2.ExpiresAt.After(b.clock.Now()) {
			t.Fatalf("resubmitted = %+v", v2)
		}
		text, _ := b.approvalMessage(t, d)
		if !strings.Contains(text, "Status: superseded by version 2 ↓") || !strings.Contains(text, "Rejected: by dave on Mon 23 Nov 10:00: too defensive") {
			t.Errorf("version 1's message:\n%s", text)
		}
		show, _ := b.command(t, apBob, "draft show 1")
		if !strings.Contains(show.Text, "v1 by bob, text "+bot.ShortHash(d.TextHash)+", 2026-11-23 10:00: “No it is not.”; rejected by dave (2026-11-23 10:00): too defensive\n") {
			t.Errorf("draft show:\n%s", show.Text)
		}
		hist, _ := db.DraftHistory(ctx, d.ID)
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		if strings.Join(actions, ",") != "created,rejected,resubmitted" {
			t.Errorf("history = %v", actions)
		}
		if vs, _ := db.DraftVersions(ctx, crossed.ID); vs[0].Reason != "we do refund within 30 days" || vs[0].RejectedByName != "erin" {
			t.Errorf("the crossed version = %+v", vs[0])
		}
		// Version 2 expires like any waiting version.
		b.clock.Advance(49 * time.Hour)
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftExpired {
			t.Errorf("version 2 after its deadline: %s", got.Status)
		}
	})
}

// Every bad decision is refused with what happened and what to do, and
// leaves no approval and no outbox message behind.
func TestEachBadDecisionIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := 0
		target := func(b *apBundle, channel string) *bot.Message {
			n++
			return b.target(t, channel, fmt.Sprint(1500000000000009000+n), "a question")
		}
		tests := []struct {
			name string
			// setup prepares a draft and returns the attempt, which returns
			// what the person was told.
			setup func(b *apBundle) func() (string, error)
			want  string
		}{
			{"approving a superseded version by its button", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apBob, target(b, apFeedback), "Version one.")
				b.editDraft(t, d, apBob, "Version two.")
				return func() (string, error) { _, err := b.click(d, apDave, "approvals.approve"); return "", err }
			}, "The text of draft #%d changed since this message was shown: here is the new one, version 2 by bob (text "},
			{"approving a superseded version by ✅", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apBob, target(b, apFeedback), "Version one.")
				b.editDraft(t, d, apBob, "Version two.")
				return func() (string, error) { b.react(t, d, apDave, "white_check_mark"); return b.direct.last(), nil }
			}, apDave + ": This message shows version 1 of draft #%d, which is superseded"},
			{"approving twice", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apBob, target(b, apGeneral), "Needs two.") // quorum 2
				if _, err := b.click(d, apDave, "approvals.approve"); err != nil {
					t.Fatal(err)
				}
				return func() (string, error) { _, err := b.click(d, apDave, "approvals.approve"); return "", err }
			}, "You already approved version 1 of draft #%d, and an approval counts once: it needs 1 more, from someone else"},
			{"approving your own version", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apCarol, target(b, apFeedback), "Mine.")
				return func() (string, error) { _, err := b.click(d, apCarol, "approvals.approve"); return "", err }
			}, "You wrote this version of the draft, so you cannot approve it: it needs 1 of carol, dave, erin — carol wrote this version, so only dave or erin can approve it."},
			{"approving after expiry", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apBob, target(b, apFeedback), "Too late.")
				b.clock.Advance(49 * time.Hour)
				return func() (string, error) { _, err := b.click(d, apDave, "approvals.approve"); return "", err }
			}, "Draft #%d expired Wed 25 Nov 10:00, before it had its approvals: it can't be approved any more. Draft the reply again to answer."},
			{"deciding with a stale form", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apBob, target(b, apFeedback), "Version one.")
				form, err := b.click(d, apDave, "approvals.reject")
				if err != nil {
					t.Fatal(err)
				}
				b.editDraft(t, d, apBob, "Version two.")
				return func() (string, error) {
					_, err := b.submit(apDave, "approvals.reject", form.Modal.Meta, map[string]string{"reason": "no"})
					return "", err
				}
			}, "The text of draft #%d changed since this message was shown"},
			{"drafting a second pending reply", func(b *apBundle) func() (string, error) {
				m := target(b, apFeedback)
				b.draft(t, apBob, m, "First.")
				return func() (string, error) {
					r, err := b.command(t, apDave, draftLink(m, "Second."))
					if r == nil {
						return "", err
					}
					return r.Text, err
				}
			}, "Draft #%d by bob is already waiting for approval as the answer to that message"},
			{"editing a published draft", func(b *apBundle) func() (string, error) {
				d := b.draft(t, apBob, target(b, apFeedback), "Posted.")
				form, err := b.click(d, apBob, "approvals.edit")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := b.click(d, apDave, "approvals.approve"); err != nil {
					t.Fatal(err)
				}
				b.settle(t)
				return func() (string, error) {
					_, err := b.submit(apBob, "approvals.edit", form.Modal.Meta, map[string]string{"text": "Changed after the fact."})
					return "", err
				}
			}, "Draft #%d was already posted in Discord, so it cannot be edited. What was approved is what Discord shows. To say more, draft a follow-up to the same message: /liaison draft https://discord.com/channels/"},
			{"drafting for a deleted message", func(b *apBundle) func() (string, error) {
				m := target(b, apGeneral)
				b.msgs.remove(apGeneral, m.ID)
				n++ // no draft: the message below names none
				return func() (string, error) { _, err := b.command(t, apBob, draftLink(m, "Too late.")); return "", err }
			}, "That Discord message no longer exists, or Liaison cannot see its channel."},
		}
		for i, tt := range tests {
			b := setupApprovals(t, db)
			b.n.Store(int64(i+1) * 1_000_000) // deliveries and message ids of its own
			b.sender.n = (i + 1) * 1000
			attempt := tt.setup(b)
			b.settle(t)
			drafts, _ := db.ListDrafts(ctx, store.DraftFilter{Limit: 100})
			approvals := 0
			for _, d := range drafts {
				approvals += len(b.approvalRows(t, d.ID))
			}
			before := b.outboxKeys(t)
			told, err := attempt()
			if err != nil {
				told = bot.ErrorMessage(err)
			}
			want := tt.want
			if strings.Contains(want, "%d") && len(drafts) > 0 {
				want = fmt.Sprintf(want, drafts[0].ID)
			}
			if !strings.Contains(told, want) || !strings.Contains(told, "Nothing was") && !strings.Contains(told, "no longer exists") {
				t.Errorf("%s: told %q, want %q and that nothing changed", tt.name, told, want)
			}
			after, _ := db.ListDrafts(ctx, store.DraftFilter{Limit: 100})
			afterApprovals := 0
			for _, d := range after {
				afterApprovals += len(b.approvalRows(t, d.ID))
			}
			if len(after) != len(drafts) || afterApprovals != approvals || !slices.Equal(b.outboxKeys(t), before) {
				t.Errorf("%s: drafts %d → %d, approvals %d → %d, new outbox messages %v", tt.name, len(drafts), len(after), approvals, afterApprovals,
					b.outboxKeys(t)[min(len(before), len(b.outboxKeys(t))):])
			}
		}
	})
}
