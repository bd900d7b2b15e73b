package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

var draftT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// newDraft stores a pending draft of text answering message 42.
func newDraft(t *testing.T, db *store.DB, text string) *store.Draft {
	t.Helper()
	return newDraftFor(t, db, "42", text)
}

// newDraftFor stores a pending draft of text answering message.
func newDraftFor(t *testing.T, db *store.DB, message, text string) *store.Draft {
	t.Helper()
	exp := draftT0.Add(48 * time.Hour)
	d := &store.Draft{
		TargetGuildID: "998877665544332211", TargetChannelID: "1100", TargetMessageID: message, TargetAuthorID: "7",
		TargetAuthorName: "alice", TargetChannelName: "feedback", TargetText: "the export crashes",
		Text: text, Author: "U01CAROL", AuthorName: "carol", SlackChannelID: "C01APPROVALS", ExpiresAt: &exp,
	}
	d.TextHash = bot.DraftHash(text, d.Target())
	err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.CreateDraft(context.Background(), draftT0, d) })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestADraftIsStoredWithItsApprovalsAndHistory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := newDraft(t, db, "Thanks alice!")
		if d.ID == 0 || d.Status != bot.DraftPending {
			t.Fatalf("created %+v", d)
		}
		got, err := db.Draft(ctx, d.ID)
		if err != nil || got.Text != "Thanks alice!" || got.TargetAuthorName != "alice" || !got.ExpiresAt.Equal(*d.ExpiresAt) || got.FeedbackID != nil {
			t.Fatalf("Draft = %+v, %v", got, err)
		}
		if _, err := db.Draft(ctx, 99); bot.ErrorCode(err) != bot.ENotFound || bot.ErrorMessage(err) != "There is no draft #99. /liaison drafts lists them." {
			t.Errorf("unknown draft: %v", err)
		}
		if got.Version != 1 || got.VersionAuthor != "U01CAROL" || got.VersionAuthorName != "carol" {
			t.Errorf("a new draft's text is version 1, by its drafter: %+v", got)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for _, who := range []string{"U01DAVE", "U01DAVE", "U01ERIN"} {
				if _, err := tx.AddApproval(ctx, draftT0, d.ID, 1, who, who, d.TextHash); err != nil {
					return err
				}
			}
			// dave edits: version 2 is his, and nobody has approved it.
			got.Text, got.TextHash, got.Version, got.VersionAuthor, got.VersionAuthorName = "Thanks!", "b", 2, "U01DAVE", "dave"
			if err := tx.AddDraftVersion(ctx, draftT0.Add(time.Minute), got); err != nil {
				return err
			}
			if added, err := tx.AddApproval(ctx, draftT0, d.ID, 2, "U01DAVE", "dave", d.TextHash); err != nil || !added {
				t.Errorf("an approval of another version is another approval: %v %v", added, err)
			}
			if as, err := tx.Approvals(ctx, d.ID, 1); err != nil || len(as) != 2 || as[0].Version != 1 {
				t.Errorf("Approvals of version 1 = %+v, %v; want dave and erin once each", as, err)
			}
			if as, _ := tx.Approvals(ctx, d.ID, 2); len(as) != 1 {
				t.Errorf("Approvals of version 2 = %+v", as)
			}
			if removed, err := tx.RemoveApproval(ctx, d.ID, 2, "U01DAVE"); err != nil || !removed {
				t.Errorf("RemoveApproval = %v, %v", removed, err)
			}
			if as, _ := tx.Approvals(ctx, d.ID, 0); len(as) != 2 {
				t.Errorf("every approval after a withdrawal of version 2's: %+v", as)
			}
			got.Status, got.Reason, got.DecidedBy = bot.DraftRejected, "too harsh", "U01DAVE"
			if err := tx.SaveDraft(ctx, draftT0.Add(time.Hour), got); err != nil {
				return err
			}
			for _, e := range []store.DraftEvent{{Actor: "carol", Action: "created", TextHash: "a"}, {Actor: "carol", Action: "edited", OldHash: "a", TextHash: "b"}} {
				if err := tx.LogDraft(ctx, draftT0, d.ID, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		hist, err := db.DraftHistory(ctx, d.ID)
		if err != nil || len(hist) != 2 || hist[1].OldHash != "a" || hist[1].TextHash != "b" || hist[1].Action != "edited" {
			t.Errorf("history = %+v, %v", hist, err)
		}
		if got, _ := db.Draft(ctx, d.ID); got.Status != bot.DraftRejected || got.Reason != "too harsh" || !got.UpdatedAt.Equal(draftT0.Add(time.Hour)) ||
			got.Version != 2 || got.VersionAuthor != "U01DAVE" || got.Text != "Thanks!" {
			t.Errorf("saved = %+v", got)
		}
		vs, err := db.DraftVersions(ctx, d.ID)
		if err != nil || len(vs) != 2 || vs[0].Text != "Thanks alice!" || vs[0].Author != "U01CAROL" || vs[1].Author != "U01DAVE" ||
			vs[1].TextHash != "b" || !vs[1].CreatedAt.Equal(draftT0.Add(time.Minute)) {
			t.Errorf("versions = %+v, %v", vs, err)
		}
	})
}

func TestDraftsAreFoundByTheirApprovalMessageTargetAndDeadline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newDraft(t, db, "one"), newDraftFor(t, db, "43", "two")
		post, _ := json.Marshal(bot.Post{ChannelID: "C01APPROVALS", Text: "x"})
		keys := []string{store.DraftOutboxKey(a.ID), store.DraftOutboxKey(a.ID) + ":thread:1", store.DraftOutboxKey(b.ID), store.DraftVersionKey(a.ID, 2)}
		for _, k := range keys {
			if err := db.Enqueue(ctx, draftT0, &bot.OutboxMessage{Key: k, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: post}); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := db.ClaimOutbox(ctx, "test", draftT0, 10)
		if err != nil || len(msgs) != 4 {
			t.Fatalf("claim = %d, %v", len(msgs), err)
		}
		ts := map[string]string{keys[0]: "1700000000.000001", keys[1]: "1700000000.000002", keys[2]: "1700000000.000003", keys[3]: "1700000000.000004"}
		var outcomes []store.OutboxOutcome
		for _, m := range msgs {
			outcomes = append(outcomes, store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts, State: store.OutboxSent,
				Result: bot.SendResult{PlatformID: ts[m.Key], Channel: "C01APPROVALS"}})
		}
		if err := db.FinishOutbox(ctx, draftT0, outcomes); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if d, v, err := tx.DraftByMessage(ctx, "C01APPROVALS", "1700000000.000001"); err != nil || d.ID != a.ID || v != 1 {
				t.Errorf("by the approval message = %+v, %d, %v", d, v, err)
			}
			if _, _, err := tx.DraftByMessage(ctx, "C01APPROVALS", "1700000000.000002"); bot.ErrorCode(err) != bot.ENotFound {
				t.Errorf("a reply in the thread is not the approval message: %v", err)
			}
			if d, v, err := tx.DraftByMessage(ctx, "C01APPROVALS", "1700000000.000003"); err != nil || d.ID != b.ID || v != 1 {
				t.Errorf("b = %+v, %d, %v", d, v, err)
			}
			if d, v, err := tx.DraftByMessage(ctx, "C01APPROVALS", "1700000000.000004"); err != nil || d.ID != a.ID || v != 2 {
				t.Errorf("version 2's message = %+v, %d, %v", d, v, err)
			}
			ids, err := tx.DraftsByTarget(ctx, "1100", "42", bot.DraftPending)
			if err != nil || len(ids) != 1 || ids[0] != a.ID {
				t.Errorf("DraftsByTarget = %v, %v", ids, err)
			}
			if ids, _ := tx.DraftsByTarget(ctx, "1100", "", bot.DraftPending); len(ids) != 2 {
				t.Errorf("DraftsByTarget of the channel = %v", ids)
			}
			if _, err := tx.PublishState(ctx, a.ID); bot.ErrorCode(err) != bot.ENotFound {
				t.Errorf("PublishState of a draft never approved = %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Read before a transaction, outside any, the same.
		if d, v, err := db.DraftByMessage(ctx, "C01APPROVALS", "1700000000.000004"); err != nil || d.ID != a.ID || d.Text != "one" || v != 2 {
			t.Errorf("DraftByMessage of version 2's message = %+v, %d, %v", d, v, err)
		}
		if _, _, err := db.DraftByMessage(ctx, "C01APPROVALS", "1700000000.000002"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("DraftByMessage of a reply in the thread = %v", err)
		}
		if d, err := db.Draft(ctx, b.ID); err != nil || d.ID != b.ID || d.Text != "two" || d.TargetMessageID != "43" {
			t.Errorf("Draft = %+v, %v", d, err)
		}
		if _, err := db.Draft(ctx, 999); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("Draft of no draft = %v", err)
		}
		due, err := db.ListDrafts(ctx, store.DraftFilter{Statuses: []string{bot.DraftPending}, ExpiresUntil: draftT0.Add(48 * time.Hour)})
		if err != nil || len(due) != 2 || due[0].ID != a.ID {
			t.Errorf("due = %+v, %v", due, err)
		}
		if due, _ := db.ListDrafts(ctx, store.DraftFilter{ExpiresUntil: draftT0.Add(47 * time.Hour)}); len(due) != 0 {
			t.Errorf("nothing is due before the deadline: %+v", due)
		}
		if mine, _ := db.ListDrafts(ctx, store.DraftFilter{Author: "U01DAVE"}); len(mine) != 0 {
			t.Errorf("dave drafted nothing: %+v", mine)
		}
	})
}

func TestPostedDraftsCountAsRepliesPublishedInTheDigest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := newDraft(t, db, "Thanks!")
		newDraftFor(t, db, "43", "still waiting")
		posted := draftT0.Add(2 * time.Hour)
		d.Status, d.PostedAt, d.DiscordMessageID = bot.DraftPosted, &posted, "1900000000000000001"
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveDraft(ctx, posted, d) }); err != nil {
			t.Fatal(err)
		}
		if n, err := db.RepliesPublished(ctx, draftT0, draftT0.Add(24*time.Hour)); err != nil || n != 1 {
			t.Errorf("RepliesPublished this day = %d, %v; want the posted draft", n, err)
		}
		if n, _ := db.RepliesPublished(ctx, draftT0.Add(24*time.Hour), draftT0.Add(48*time.Hour)); n != 0 {
			t.Errorf("RepliesPublished the next day = %d", n)
		}
	})
}
