package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

var similarNow = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// itemsWithKeys creates one open item per list of similarity keys, in
// order, and returns their ids.
func itemsWithKeys(t *testing.T, db *store.DB, keys ...[]string) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, len(keys))
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, k := range keys {
			it := &store.FeedbackItem{SourceKey: fmt.Sprint("discord:c:", i), Source: "discord", Intake: "message", Text: fmt.Sprint("item ", i)}
			if _, err := tx.CreateFeedback(ctx, similarNow, it); err != nil {
				return err
			}
			ids[i] = it.ID
			if err := tx.AddFeedbackTerms(ctx, it.ID, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// candidates are the open items sharing terms, at most limit, as
// "#id:shared " each.
func candidates(t *testing.T, db *store.DB, limit int, terms ...string) string {
	t.Helper()
	ctx := context.Background()
	var out string
	err := db.InTx(ctx, func(tx *store.Tx) error {
		cs, err := tx.SimilarCandidates(ctx, terms, similarNow.Add(-time.Hour), 0, limit)
		for _, c := range cs {
			out += fmt.Sprintf("#%d:%d ", c.ID, c.Shared)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSimilarityKeysFindTheItemsSharingThemAndFollowEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A new item's keys, a key given twice stored once.
		ids := itemsWithKeys(t, db, []string{"w:export", "w:csv", "w:csv"}, []string{"w:export", "w:pdf"}, nil)
		if got, want := candidates(t, db, 10, "w:export", "w:csv"), fmt.Sprintf("#%d:2 #%d:1 ", ids[0], ids[1]); got != want {
			t.Errorf("candidates for export csv: %q, want %q", got, want)
		}
		// An edit replaces the item's keys.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetFeedbackTerms(ctx, ids[0], []string{"w:parquet"}) }); err != nil {
			t.Fatal(err)
		}
		if got, want := candidates(t, db, 10, "w:export", "w:csv"), fmt.Sprintf("#%d:1 ", ids[1]); got != want {
			t.Errorf("after the edit: %q, want %q", got, want)
		}
		if got, want := candidates(t, db, 10, "w:parquet"), fmt.Sprintf("#%d:1 ", ids[0]); got != want {
			t.Errorf("the edited item's new key: %q, want %q", got, want)
		}
	})
}

// The best ranked are read first, a batch at a time: when the first batch
// holds only closed items, the next ones are read.
func TestSimilarCandidatesReadPastAFirstBatchOfClosedItems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := make([][]string, 12)
		for i := range keys {
			keys[i] = []string{"w:export"}
		}
		ids := itemsWithKeys(t, db, keys...)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, id := range ids[4:] { // the eight newest are closed
				it, err := tx.Feedback(ctx, id)
				if err != nil {
					return err
				}
				it.Status = store.FeedbackClosed
				if err := tx.SaveFeedback(ctx, similarNow, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := candidates(t, db, 2, "w:export"), fmt.Sprintf("#%d:1 #%d:1 ", ids[3], ids[2]); got != want {
			t.Errorf("candidates = %q, want the two newest open items %q", got, want)
		}
	})
}
