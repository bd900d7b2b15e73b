package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

var similarNow = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// openItems creates n open items, the i-th created at similarNow less i
// hours, and returns their ids.
func openItems(t *testing.T, db *store.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, n)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			it := &store.FeedbackItem{SourceKey: fmt.Sprint("discord:c:", i), Source: "discord", Intake: "message", Text: fmt.Sprint("item ", i)}
			if _, err := tx.CreateFeedback(ctx, similarNow.Add(-time.Duration(i)*time.Hour), it); err != nil {
				return err
			}
			ids[i] = it.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// change applies fn to each of items ids, saved at similarNow.
func change(t *testing.T, db *store.DB, fn func(it *store.FeedbackItem), ids ...int64) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			it, err := tx.Feedback(ctx, id)
			if err != nil {
				return err
			}
			fn(it)
			if err := tx.SaveFeedback(ctx, similarNow, it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rankedAs ranks ids in order, the first sharing len(ids) keys, the last 1.
func rankedAs(ids ...int64) []store.Ranked {
	out := make([]store.Ranked, len(ids))
	for i, id := range ids {
		out[i] = store.Ranked{ID: id, Shared: len(ids) - i}
	}
	return out
}

func found(cs []store.SimilarCandidate) string {
	var out string
	for _, c := range cs {
		out += fmt.Sprintf("#%d:%d ", c.ID, c.Shared)
	}
	return out
}

// The index ranks, the items say which are open: closed, merged and old
// items are left out, the order and the counts kept; when a first batch
// (twice the limit) holds only closed items, the next ones are read.
func TestSimilarItemsAreTheOpenOnesOfTheRankedInTheirOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := openItems(t, db, 12)
		change(t, db, func(it *store.FeedbackItem) { it.Status = store.FeedbackClosed }, ids[4:10]...)
		change(t, db, func(it *store.FeedbackItem) { it.DuplicateOf = &ids[0] }, ids[10])
		read := func(limit int, since time.Time, ranked ...int64) string {
			t.Helper()
			var out string
			err := db.InTx(ctx, func(tx *store.Tx) error {
				cs, err := tx.SimilarItems(ctx, rankedAs(ranked...), limit, since)
				out = found(cs)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		// Ranked newest first: ten closed or merged before the open ones.
		newest := []int64{ids[4], ids[5], ids[6], ids[7], ids[8], ids[9], ids[10], ids[11], ids[3], ids[2], ids[1], ids[0]}
		if got, want := read(2, similarNow.Add(-24*time.Hour), newest...), fmt.Sprintf("#%d:5 #%d:4 ", ids[11], ids[3]); got != want {
			t.Errorf("the two best open = %q, want %q", got, want)
		}
		// Created before since: left out.
		if got, want := read(10, similarNow.Add(-90*time.Minute), ids[0], ids[1], ids[2]), fmt.Sprintf("#%d:3 #%d:2 ", ids[0], ids[1]); got != want {
			t.Errorf("created since 90 minutes ago = %q, want %q", got, want)
		}
		if got := read(10, similarNow, nil...); got != "" {
			t.Errorf("nothing ranked: %q", got)
		}
	})
}

// CreateFeedbackRelayed is intake's creation: the item with the first open
// one of those it looks like, and its relays; a second creation for the
// same source message changes nothing and enqueues nothing.
func TestCreateFeedbackRelayedNotesTheFirstOpenItemItLooksLike(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := openItems(t, db, 4)
		change(t, db, func(it *store.FeedbackItem) { it.Status = store.FeedbackShipped }, ids[0])
		change(t, db, func(it *store.FeedbackItem) { it.DuplicateOf = &ids[3] }, ids[1])
		create := func(source string, like ...store.Like) (bool, *store.FeedbackItem) {
			t.Helper()
			it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "message", Text: "new"}
			var created bool
			relays := func(it *store.FeedbackItem) ([]store.RelayOut, error) {
				return []store.RelayOut{{Destination: "product", Route: "bugs", Message: &bot.OutboxMessage{
					Key: fmt.Sprintf("relay:%d:product", it.ID), Platform: bot.PlatformSlack, Kind: bot.KindPost,
					Payload: json.RawMessage(fmt.Sprintf(`{"channel":"C1","text":"#%d %s"}`, it.ID, it.Text))}}}, nil
			}
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				created, err = tx.CreateFeedbackRelayed(ctx, similarNow, it, like, similarNow.Add(-48*time.Hour), relays)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return created, it
		}
		likeOf := func(it *store.FeedbackItem) string {
			if it.SimilarTo == nil {
				return "-"
			}
			return fmt.Sprintf("#%d %.2f", *it.SimilarTo, it.SimilarScore)
		}
		// The shipped and the merged ones score best: the next one, open.
		created, it := create("discord:c:new", store.Like{ID: ids[0], Score: 0.99}, store.Like{ID: ids[1], Score: 0.95},
			store.Like{ID: ids[2], Score: 0.9}, store.Like{ID: ids[3], Score: 0.8})
		if want := fmt.Sprintf("#%d 0.90", ids[2]); !created || it.ID == 0 || likeOf(it) != want {
			t.Fatalf("created %v, #%d like %s, want %s", created, it.ID, likeOf(it), want)
		}
		stored, err := db.Feedback(ctx, it.ID)
		if err != nil || stored.Text != "new" || likeOf(stored) != likeOf(it) || stored.Status != store.FeedbackOpen {
			t.Errorf("as stored: %+v like %s, %v", stored, likeOf(stored), err)
		}
		// None of them open: like none.
		if created, it := create("discord:c:closed", store.Like{ID: ids[0], Score: 0.99}); !created || likeOf(it) != "-" {
			t.Errorf("like only a shipped item: created %v, like %s", created, likeOf(it))
		}
		// Nothing like it.
		if created, it := create("discord:c:alone"); !created || likeOf(it) != "-" {
			t.Errorf("like nothing: created %v, like %s", created, likeOf(it))
		}
		// The same source message again, whether it looks like another or
		// not: the item it has.
		again, existing := create("discord:c:new", store.Like{ID: ids[3], Score: 1})
		if again || existing.ID != it.ID || likeOf(existing) != likeOf(it) {
			t.Errorf("again: created %v, #%d like %s (want #%d like %s)", again, existing.ID, likeOf(existing), it.ID, likeOf(it))
		}
		again, existing = create("discord:c:alone")
		if again || existing.Source != "discord" || existing.Text != "new" {
			t.Errorf("again, like nothing: created %v, %+v", again, existing)
		}
		// Each item created has its relay: its outbox message, naming it,
		// and the relay's record; the creations that found an item
		// enqueued nothing.
		var relayed []string
		for _, source := range []string{"discord:c:new", "discord:c:closed", "discord:c:alone"} {
			var stored *store.FeedbackItem
			var rs []store.Relay
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				if stored, err = tx.FeedbackBySource(ctx, source); err != nil {
					return err
				}
				rs, err = tx.Relays(ctx, stored.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				relayed = append(relayed, fmt.Sprintf("#%d %s %s %s", stored.ID, r.Destination, r.Route, r.OutboxKey))
			}
			m, err := db.OutboxByKey(ctx, fmt.Sprintf("relay:%d:product", stored.ID))
			if err != nil || !strings.Contains(m.Payload, fmt.Sprintf("#%d new", stored.ID)) {
				t.Errorf("#%d's relay message: %+v, %v", stored.ID, m, err)
			}
		}
		if len(relayed) != 3 {
			t.Errorf("relays: %q, want one for each item", relayed)
		}
		if backlog, err := db.OutboxBacklog(ctx); err != nil || backlog[store.OutboxPending] != 3 {
			t.Errorf("outbox: %v pending, want 3 (%v)", backlog, err)
		}
	})
}

// What the similarity index is built from: the texts of the items created
// since, but the merged ones, and the latest change of all; then the
// items changed since a time, and their texts.
func TestTheSimilarityIndexReadsTheTextsAndTheChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := openItems(t, db, 4)
		change(t, db, func(it *store.FeedbackItem) { it.DuplicateOf = &ids[0] }, ids[1])
		var texts []string
		var latest time.Time
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			latest, err = tx.TextsToIndex(ctx, similarNow.Add(-150*time.Minute), func(it store.IndexedText) error {
				texts = append(texts, fmt.Sprintf("#%d %s %s", it.ID, it.Text, it.CreatedAt.Format("15:04")))
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("[#%d item 0 10:00 #%d item 2 08:00]", ids[0], ids[2])
		if got := fmt.Sprint(texts); got != want || !latest.Equal(similarNow) {
			t.Errorf("texts to index: %s, latest %s; want %s, %s", got, latest, want, similarNow)
		}
		// Changed since: the merged item (saved at similarNow), then the
		// one edited a minute later.
		later := similarNow.Add(time.Minute)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			it, err := tx.Feedback(ctx, ids[3])
			if err != nil {
				return err
			}
			it.Text = "edited"
			return tx.SaveFeedback(ctx, later, it)
		}); err != nil {
			t.Fatal(err)
		}
		changes, err := db.FeedbackChangedSince(ctx, similarNow.Add(-30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(changes), fmt.Sprintf("[{%d %s} {%d %s}]", ids[0], similarNow, ids[1], similarNow); len(changes) != 3 || fmt.Sprint(changes[2]) != fmt.Sprintf("{%d %s}", ids[3], later) {
			t.Errorf("changed since: %s, want %s then #%d at %s", got, want, ids[3], later)
		}
		byID, err := db.TextsByID(ctx, []int64{ids[1], ids[3]})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]string{}
		for _, it := range byID {
			got[it.ID] = fmt.Sprintf("%s merged=%v", it.Text, it.Merged)
		}
		if got[ids[1]] != "item 1 merged=true" || got[ids[3]] != "edited merged=false" || len(got) != 2 {
			t.Errorf("texts by id: %v", got)
		}
	})
}

// createNumbered creates an item of message source in its own
// transaction, as intake does, and returns its number.
func createNumbered(t *testing.T, db *store.DB, source string) int64 {
	t.Helper()
	ctx := context.Background()
	it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "message", Text: "the export crashes"}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateFeedbackRelayed(ctx, similarNow, it, nil, similarNow.Add(-48*time.Hour),
			func(*store.FeedbackItem) ([]store.RelayOut, error) { return nil, nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return it.ID
}

// Item numbers are drawn ahead in blocks on Postgres: within a process
// they stay consecutive however fast items come (in blocks, under load),
// and a process that stops skips at most the rest of what it holds: here,
// 40 items in quick succession, fewer than 64.
func TestItemNumbersStayConsecutiveAndAStoppedProcessSkipsFew(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	create := func(db *store.DB, source string) int64 { return createNumbered(t, db, source) }
	var ids []int64
	for i := range 40 {
		ids = append(ids, create(dbs[0], fmt.Sprintf("discord:c:%d", i)))
	}
	for i, id := range ids {
		if id != ids[0]+int64(i) {
			t.Fatalf("ids %v: not consecutive", ids)
		}
	}
	// The first process stops; the next draws after what it held.
	next := create(dbs[1], "discord:c:next")
	if last := ids[len(ids)-1]; next <= last || next > last+64 {
		t.Errorf("after #%d, a new process's first item is #%d: want at most 63 skipped", last, next)
	}
}

// Under heavy load the next block of item numbers is drawn in the
// background, before the current one runs out, so that a group of
// transactions seldom waits for a draw: numbers stay consecutive, and a
// process that stops skips fewer than 384 (a block and a half).
func TestItemNumbersAreDrawnAheadUnderLoad(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	create := func(db *store.DB, source string) int64 { return createNumbered(t, db, source) }
	// Every item at the same instant: blocks grow to their largest.
	dbs[0].StopFeedbackIDClock()
	var ids []int64
	for i := range 1500 {
		ids = append(ids, create(dbs[0], fmt.Sprintf("discord:c:%d", i)))
	}
	for i, id := range ids {
		if id != ids[0]+int64(i) {
			t.Fatalf("item %d is #%d after #%d: numbers not consecutive", i, id, ids[i-1])
		}
	}
	// 1, 2, 4 … 256 in groups (511 ids), then drawn ahead: a group draws
	// again only if a draw ahead has not come back before its block ran out.
	inGroup, ahead := dbs[0].FeedbackIDDraws()
	if inGroup > 12 || ahead < 3 {
		t.Errorf("blocks drawn in a group %d, ahead %d: want the ramp (9) in groups, then ahead (at least 3)", inGroup, ahead)
	}
	if err := dbs[0].Close(); err != nil {
		t.Fatal(err)
	}
	next := create(dbs[1], "discord:c:next")
	if last := ids[len(ids)-1]; next <= last || next > last+384 {
		t.Errorf("after #%d, a new process's first item is #%d: want fewer than 384 skipped", last, next)
	}
}
