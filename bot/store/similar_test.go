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
		// An edit replaces the item's keys, found by the old ones: item
		// 1's keys stay, the one both items had included.
		set := func(id int64, old, terms []string) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetFeedbackTerms(ctx, id, old, terms) }); err != nil {
				t.Fatal(err)
			}
		}
		set(ids[0], []string{"w:csv", "w:export"}, []string{"w:parquet"})
		if got, want := candidates(t, db, 10, "w:export", "w:csv"), fmt.Sprintf("#%d:1 ", ids[1]); got != want {
			t.Errorf("after the edit: %q, want %q", got, want)
		}
		if got, want := candidates(t, db, 10, "w:parquet"), fmt.Sprintf("#%d:1 ", ids[0]); got != want {
			t.Errorf("the edited item's new key: %q, want %q", got, want)
		}
		// A key stored already (its text changed once without its keys)
		// is kept once; a key kept by the edit is not written again.
		set(ids[1], []string{"w:pdf"}, []string{"w:export", "w:pdf", "w:xml"})
		if got, want := candidates(t, db, 10, "w:export", "w:pdf", "w:xml"), fmt.Sprintf("#%d:3 ", ids[1]); got != want {
			t.Errorf("after an edit adding a key it had: %q, want %q", got, want)
		}
		// A merge takes all of its keys away.
		set(ids[1], []string{"w:export", "w:pdf", "w:xml"}, nil)
		if got := candidates(t, db, 10, "w:export", "w:pdf", "w:xml", "w:parquet"); got != fmt.Sprintf("#%d:1 ", ids[0]) {
			t.Errorf("after item %d lost its keys: %q, want only #%d", ids[1], got, ids[0])
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

// CreateFeedbackLike is intake's creation: the item, its keys, and the
// open items like it (not itself), in one statement on Postgres; a second
// creation for the same source message changes nothing and finds nothing.
func TestCreateFeedbackLikeStoresTheItemAndItsKeysAndFindsTheOthers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := itemsWithKeys(t, db, []string{"b0:x", "b1:y"}, []string{"b0:x"}, []string{"b9:z"})
		create := func(source string, keys ...string) (bool, *store.FeedbackItem, string) {
			t.Helper()
			it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "message", Text: "new"}
			var created bool
			var found string
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var cs []store.SimilarCandidate
				var err error
				created, cs, err = tx.CreateFeedbackLike(ctx, similarNow, it, append(keys, "w:new"), keys, similarNow.Add(-time.Hour), 10)
				for _, c := range cs {
					found += fmt.Sprintf("#%d:%d ", c.ID, c.Shared)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return created, it, found
		}
		created, it, found := create("discord:c:new", "b0:x", "b1:y", "b1:y")
		if !created || it.ID == 0 || it.Status != store.FeedbackOpen {
			t.Fatalf("created %v, item %+v", created, it)
		}
		if want := fmt.Sprintf("#%d:2 #%d:1 ", ids[0], ids[1]); found != want {
			t.Errorf("like the new item: %q, want %q", found, want)
		}
		// Its keys are stored: the next look-up finds it, by each key.
		if got, want := candidates(t, db, 10, "w:new", "b1:y"), fmt.Sprintf("#%d:2 #%d:1 ", it.ID, ids[0]); got != want {
			t.Errorf("after: %q, want %q", got, want)
		}
		// Nothing like it: created, no candidates.
		if created, _, found := create("discord:c:alone", "b5:q"); !created || found != "" {
			t.Errorf("an item like none: created %v, found %q", created, found)
		}
		// The same source message again: the item it has, nothing found.
		again, existing, found := create("discord:c:new", "b0:x")
		if again || existing.ID != it.ID || found != "" {
			t.Errorf("again: created %v, id %d (want %d), found %q", again, existing.ID, it.ID, found)
		}
	})
}
