package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestSimilarityKeysFindTheItemsSharingThemAndFollowEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		ids := make([]int64, 3)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range ids {
				it := &store.FeedbackItem{SourceKey: fmt.Sprint("discord:c:", i), Source: "discord", Intake: "message", Text: fmt.Sprint("item ", i)}
				if _, err := tx.CreateFeedback(ctx, now, it); err != nil {
					return err
				}
				ids[i] = it.ID
			}
			// A new item's keys, a key given twice stored once.
			if err := tx.AddFeedbackTerms(ctx, ids[0], []string{"w:export", "w:csv", "w:csv"}); err != nil {
				return err
			}
			if err := tx.AddFeedbackTerms(ctx, ids[1], []string{"w:export", "w:pdf"}); err != nil {
				return err
			}
			return tx.AddFeedbackTerms(ctx, ids[2], nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		found := func(terms ...string) string {
			var out string
			err := db.InTx(ctx, func(tx *store.Tx) error {
				cs, err := tx.SimilarCandidates(ctx, terms, now.Add(-time.Hour), 0, 10)
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
		if got, want := found("w:export", "w:csv"), fmt.Sprintf("#%d:2 #%d:1 ", ids[0], ids[1]); got != want {
			t.Errorf("candidates for export csv: %q, want %q", got, want)
		}
		// An edit replaces the item's keys.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetFeedbackTerms(ctx, ids[0], []string{"w:parquet"}) }); err != nil {
			t.Fatal(err)
		}
		if got, want := found("w:export", "w:csv"), fmt.Sprintf("#%d:1 ", ids[1]); got != want {
			t.Errorf("after the edit: %q, want %q", got, want)
		}
		if got, want := found("w:parquet"), fmt.Sprintf("#%d:1 ", ids[0]); got != want {
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
		now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		var ids []int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range 12 {
				it := &store.FeedbackItem{SourceKey: fmt.Sprint("discord:c:", i), Source: "discord", Intake: "message", Text: fmt.Sprint("item ", i)}
				if _, err := tx.CreateFeedback(ctx, now, it); err != nil {
					return err
				}
				ids = append(ids, it.ID)
				if err := tx.AddFeedbackTerms(ctx, it.ID, []string{"w:export"}); err != nil {
					return err
				}
				if i >= 4 { // the eight newest are closed
					it.Status = store.FeedbackClosed
					if err := tx.SaveFeedback(ctx, now, it); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		err = db.InTx(ctx, func(tx *store.Tx) error {
			cs, err := tx.SimilarCandidates(ctx, []string{"w:export"}, now.Add(-time.Hour), 0, 2)
			for _, c := range cs {
				got = append(got, c.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{ids[3], ids[2]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("candidates = %v, want the two newest open items %v", got, want)
		}
	})
}
