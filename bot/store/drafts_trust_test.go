package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// One answer per message, in the store: one pending draft per target,
// enforced by a unique index (no read-then-write), and the reply a target
// last received, claimed by one publishing transaction at a time.

func TestASecondPendingDraftForAMessageIsRefusedByTheIndex(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		first := newDraft(t, db, "one")
		second := &store.Draft{TargetGuildID: "998877665544332211", TargetChannelID: "1100", TargetMessageID: "42", Text: "two", TextHash: "h2",
			Author: "U01BOB", AuthorName: "bob"}
		err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDraft(ctx, draftT0, second) })
		if !errors.Is(err, store.ErrPendingDraft) {
			t.Fatalf("a second pending draft = %v, want ErrPendingDraft", err)
		}
		if all, _ := db.ListDrafts(ctx, store.DraftFilter{}); len(all) != 1 {
			t.Errorf("%d drafts, want the first alone", len(all))
		}
		if p, err := db.PendingDraft(ctx, "1100", "42"); err != nil || p.ID != first.ID {
			t.Errorf("PendingDraft = %+v, %v", p, err)
		}
		if _, err := db.PendingDraft(ctx, "1100", "43"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("PendingDraft of a message without one = %v", err)
		}
		// Rejected, the first no longer holds the message: the second waits
		// instead, and the first cannot wait again beside it.
		first.Status = bot.DraftRejected
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveDraft(ctx, draftT0, first) }); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDraft(ctx, draftT0, second) }); err != nil {
			t.Fatalf("a pending draft once the first is rejected: %v", err)
		}
		first.Status = bot.DraftPending
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveDraft(ctx, draftT0, first) }); !errors.Is(err, store.ErrPendingDraft) {
			t.Errorf("the first pending again = %v, want ErrPendingDraft", err)
		}
		// A draft for another message is not concerned.
		newDraftFor(t, db, "43", "three")
	})
}

func TestTheReplyToAMessageIsClaimedFromTheOneItsApproversSaw(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newDraft(t, db, "one")
		b := newDraftFor(t, db, "43", "two")
		b.TargetMessageID = "42" // as if it answered the same message
		claim := func(d *store.Draft, follows int64) (last int64) {
			t.Helper()
			err := db.InTx(ctx, func(tx *store.Tx) (err error) { last, err = tx.ClaimReply(ctx, draftT0, d, follows); return err })
			if err != nil {
				t.Fatal(err)
			}
			return last
		}
		if got := claim(a, 0); got != a.ID {
			t.Errorf("the first claim = %d, want %d", got, a.ID)
		}
		if got := claim(b, 0); got != a.ID {
			t.Errorf("a claim that did not see the first reply = %d, want it lost to %d", got, a.ID)
		}
		if got := claim(b, a.ID); got != b.ID {
			t.Errorf("a follow-up of the first = %d, want %d", got, b.ID)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if last, err := tx.LastReply(ctx, "1100", "42"); err != nil || last != b.ID {
				t.Errorf("LastReply = %d, %v", last, err)
			}
			if last, err := tx.LastReply(ctx, "1100", "44"); err != nil || last != 0 {
				t.Errorf("LastReply of a message never answered = %d, %v", last, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Two replicas publishing two drafts for one message at the same moment:
// the store lets exactly one of them have it.
func TestTwoReplicasClaimingOneMessageAtOnceOneWins(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	ctx := context.Background()
	for round := range 10 {
		message := fmt.Sprint(500 + round)
		a := newDraftFor(t, dbs[0], message, "one")
		b := newDraftFor(t, dbs[0], fmt.Sprint(600+round), "two")
		b.TargetMessageID = message
		var wg sync.WaitGroup
		wins := make([]int64, 2)
		for i, d := range []*store.Draft{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := dbs[i].InTx(ctx, func(tx *store.Tx) (err error) {
					wins[i], err = tx.ClaimReply(ctx, draftT0, d, 0)
					time.Sleep(5 * time.Millisecond) // hold the claim while the other tries
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins[0] != wins[1] || (wins[0] != a.ID && wins[0] != b.ID) {
			t.Errorf("round %d: the claims saw %v, want one winner both agree on (%d or %d)", round, wins, a.ID, b.ID)
		}
	}
}

// Data written before four eyes and one answer per message: versions and
// approvals by version are filled in, the oldest of two pending drafts for
// one message holds it (the other keeps waiting), and a message already
// answered is known as such.
func TestTheTrustMigrationKeepsWhatWasThere(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.OpenURL(t, storetest.URL(t, dialect), store.Options{})
			if _, err := db.MigrateTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			insert := `INSERT INTO drafts (target_guild_id, target_channel_id, target_message_id, text, text_hash, author, author_name, status,
				created_at, updated_at) VALUES ('g', '1100', ?, ?, ?, 'U01BOB', 'bob', ?, ?, ?)`
			for _, r := range [][]any{{"42", "first", "h1", "pending"}, {"42", "second", "h2", "pending"}, {"43", "posted", "h3", "posted"}} {
				if err := db.Exec(ctx, insert, append(r, draftT0, draftT0)...); err != nil {
					t.Fatal(err)
				}
			}
			// Rejected by dave, then relabelled expired by the old expiry.
			if err := db.Exec(ctx, `INSERT INTO drafts (target_guild_id, target_channel_id, target_message_id, text, text_hash, author, author_name,
				status, reason, decided_by, created_at, updated_at) VALUES ('g', '1100', '44', 'rude', 'h4', 'U01BOB', 'bob', 'expired', 'too harsh', 'U01DAVE', ?, ?)`,
				draftT0, draftT0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(ctx, `INSERT INTO approvals (draft_id, approver, approver_name, text_hash, created_at) VALUES
				(2, 'U01DAVE', 'dave', 'h2', ?), (2, 'U01ERIN', 'erin', 'old', ?)`, draftT0, draftT0); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			d2, err := db.Draft(ctx, 2)
			if err != nil || d2.Version != 1 || d2.VersionAuthor != "U01BOB" || d2.VersionAuthorName != "bob" || d2.Status != bot.DraftPending {
				t.Fatalf("draft 2 = %+v, %v", d2, err)
			}
			if vs, err := db.DraftVersions(ctx, 2); err != nil || len(vs) != 1 || vs[0].Text != "second" || vs[0].TextHash != "h2" || vs[0].Author != "U01BOB" {
				t.Errorf("versions of draft 2 = %+v, %v", vs, err)
			}
			if as, err := db.Approvals(ctx, 2, 1); err != nil || len(as) != 1 || as[0].Approver != "U01DAVE" {
				t.Errorf("approvals of draft 2 = %+v, %v; want dave's, of its text", as, err)
			}
			if d4, err := db.Draft(ctx, 4); err != nil || d4.Status != bot.DraftRejected || d4.Reason != "too harsh" {
				t.Errorf("the draft relabelled expired = %+v, %v; want rejected again", d4, err)
			}
			if vs, err := db.DraftVersions(ctx, 4); err != nil || len(vs) != 1 || vs[0].RejectedBy != "U01DAVE" || vs[0].Reason != "too harsh" ||
				vs[0].RejectedAt == nil || !vs[0].RejectedAt.Equal(draftT0.Add(time.Hour)) {
				t.Errorf("its version = %+v, %v", vs, err)
			}
			if p, err := db.PendingDraft(ctx, "1100", "42"); err != nil || p.ID != 1 {
				t.Errorf("the draft holding message 42 = %+v, %v; want the oldest", p, err)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				if last, err := tx.LastReply(ctx, "1100", "43"); err != nil || last != 3 {
					t.Errorf("the reply to message 43 = %d, %v; want the posted draft 3", last, err)
				}
				// The second legacy draft is published first: it wins the
				// message; the first, approved later, would lose it.
				if last, err := tx.ClaimReply(ctx, draftT0, d2, 0); err != nil || last != 2 {
					t.Errorf("ClaimReply(2) = %d, %v", last, err)
				}
				d1, _ := tx.Draft(ctx, 1)
				if last, err := tx.ClaimReply(ctx, draftT0, d1, 0); err != nil || last != 2 {
					t.Errorf("ClaimReply(1) = %d, %v; want lost to 2", last, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
