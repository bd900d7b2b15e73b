package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// indexed is the items b's similarity index holds under one of text's
// keys, by id.
func (b *fbBundle) indexed(text string) []int64 {
	var ids []int64
	for _, r := range b.caps.Feedback.index.rank(textKeys(bot.ShinglesOf(text)), 0, postingCap, 0) {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

// syncIndex has b's similarity index read the items changed since it last
// looked, as FollowItems does every similarSyncEvery.
func (b *fbBundle) syncIndex(t *testing.T) {
	t.Helper()
	if err := b.caps.Feedback.index.sync(context.Background(), b.db, b.clock.Now().Add(-similarWindow)); err != nil {
		t.Fatal(err)
	}
}

// Replicas share one Postgres, each with its own similarity index in
// memory: each learns of the items the others took in, edited and merged
// by reading the items changed since it last looked; one started later
// loads them all at its first look-up. (Each replica draws item numbers
// in blocks of its own: the items are named by their messages.)
func TestEachReplicaFindsTheItemsTheOthersTookIn(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	a, b := setupFeedback(t, dbs[0]), setupFeedback(t, dbs[1])
	const calendar, export, theme = "calendar view for weekly planning", "The export button crashes on big files", "dark theme for the dashboard"
	// b's index is loaded by its first item, before a takes any in.
	b.event(t, discordMsg(feedbackCh, "1", eveID, "eve", calendar))
	a.event(t, discordMsg(feedbackCh, "2", aliceID, "alice", export))
	n1, n2 := b.itemOf(t, "1").ID, b.itemOf(t, "2").ID
	if got := b.indexed(export); len(got) != 0 {
		t.Fatalf("b's index before it read a's items: %v", got)
	}
	b.syncIndex(t)
	if got := b.indexed(export); !slices.Equal(got, []int64{n2}) {
		t.Errorf("b's index under #%d's keys, after reading a's items: %v, want #%d", n2, got, n2)
	}
	b.event(t, discordMsg(feedbackCh, "3", eveID, "eve", export))
	n3 := b.itemOf(t, "3").ID
	if got, want := likeOf(b.item(t, n3)), fmt.Sprintf("#%d (1.00)", n2); got != want {
		t.Errorf("#%d, taken in by b, looked like %s, want %s (taken in by a)", n3, got, want)
	}

	// An edit through a: b finds #2 by its new text, not its former one.
	a.clock.Advance(time.Minute)
	edit := discordMsg(feedbackCh, "2", aliceID, "alice", theme)
	edit.Edited = true
	edit.Delivery.Keys[0].Key = "2:edit"
	a.event(t, edit)
	b.syncIndex(t)
	if got, got2 := b.indexed(export), b.indexed(theme); !slices.Equal(got, []int64{n3}) || !slices.Equal(got2, []int64{n2}) {
		t.Errorf("b's index after a's edit of #%d: under its former text %v (want #%d), under its new one %v (want #%d)", n2, got, n3, got2, n2)
	}
	// A merge through a takes #2 out of b's index.
	a.clock.Advance(time.Minute)
	if _, err := a.liaison(t, "U01CAROL", fmt.Sprintf("feedback merge %d into %d", n2, n1)); err != nil {
		t.Fatal(err)
	}
	b.syncIndex(t)
	if got := b.indexed(theme); len(got) != 0 {
		t.Errorf("b's index after a merged #%d: %v, want none", n2, got)
	}

	// A replica started now loads the items at its first look-up.
	c := setupFeedback(t, dbs[0])
	c.event(t, discordMsg(feedbackCh, "4", eveID, "eve", calendar))
	if got, want := likeOf(c.itemOf(t, "4")), fmt.Sprintf("#%d (1.00)", n1); got != want {
		t.Errorf("the item taken in by a replica started after #%d looked like %s, want %s", n1, got, want)
	}
}

// The index forgets the items older than the window, and a merged item is
// held without keys, so that reading it again does not bring them back.
func TestTheSimilarityIndexForgetsOldItemsAndHoldsMergedOnesWithoutKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		const text = "The export button crashes on big files"
		b.event(t, discordMsg(feedbackCh, "1", eveID, "eve", text))
		b.clock.Advance(24 * time.Hour)
		b.event(t, discordMsg(feedbackCh, "2", eveID, "eve", text))
		if got := b.indexed(text); !slices.Equal(got, []int64{1, 2}) {
			t.Fatalf("indexed: %v, want #1 and #2", got)
		}
		b.caps.Feedback.index.prune(b.clock.Now().Add(-time.Hour))
		if got := b.indexed(text); !slices.Equal(got, []int64{2}) {
			t.Errorf("after forgetting what is older than an hour: %v, want #2", got)
		}
		b.clock.Advance(time.Minute)
		if _, err := b.liaison(t, "U01CAROL", "feedback merge 2 into 1"); err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == store.Postgres {
			b.syncIndex(t)
		}
		// (#1 gained #2's votes: on Postgres, reading it again indexes it
		// again, within the window.)
		if got := b.indexed(text); slices.Contains(got, 2) {
			t.Errorf("after #2's merge: %v, want no #2", got)
		}
	})
}

// An item this replica took in is indexed as changed when Postgres says
// it was, to the microsecond Postgres keeps (rounded): sync, which reads
// back every item changed in its last seconds, this replica's own
// included, then finds nothing new in it. Compared at the nanosecond,
// half of them looked changed and were indexed a second time, a twelfth
// of a busy intake's CPU.
func TestTheIndexHoldsAnItemsChangeAsPostgresDoes(t *testing.T) {
	t.Parallel()
	b := setupFeedback(t, storetest.Open(t, store.Postgres))
	b.clock.Set(time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)) // kept as .123457
	b.event(t, discordMsg(feedbackCh, "1", eveID, "eve", "The export button crashes on big files"))
	it := b.itemOf(t, "1")
	x := &b.caps.Feedback.index
	x.mu.RLock()
	indexed := x.items[it.ID].updated
	x.mu.RUnlock()
	if !indexed.Equal(it.UpdatedAt) {
		t.Errorf("#%d indexed as changed at %s, Postgres holds %s", it.ID, indexed.Format(time.RFC3339Nano), it.UpdatedAt.Format(time.RFC3339Nano))
	}
}

// FollowItems, as liaison run starts it on each replica, reads what the
// other replicas took in every similarSyncEvery, forgets the items that
// have left the window, and stops when its context ends.
func TestFollowItemsKeepsAReplicasIndexCurrentUntilItStops(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	a, b := setupFeedback(t, dbs[0]), setupFeedback(t, dbs[1])
	const calendar, export = "calendar view for weekly planning", "The export button crashes on big files"
	b.event(t, discordMsg(feedbackCh, "1", eveID, "eve", calendar)) // loads b's index
	if got, n1 := b.indexed(calendar), b.itemOf(t, "1").ID; !slices.Equal(got, []int64{n1}) {
		t.Fatalf("b's index under its own item's keys: %v, want #%d", got, n1)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b.caps.Feedback.FollowItems(ctx, slog.New(slog.DiscardHandler))
	}()
	defer func() { cancel(); <-stopped }()

	a.event(t, discordMsg(feedbackCh, "2", aliceID, "alice", export))
	n2 := a.itemOf(t, "2").ID
	waitIndexed := func(what, text string, want []int64) {
		t.Helper()
		deadline := time.Now().Add(3*similarSyncEvery + 5*time.Second)
		for got := b.indexed(text); !slices.Equal(got, want); got = b.indexed(text) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: b's index holds %v, want %v", what, got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitIndexed("an item a took in", export, []int64{n2})

	// Past the window (and an hour since the last prune), both items are
	// forgotten at the next tick.
	b.clock.Advance(similarWindow + 2*time.Hour)
	waitIndexed("b's own item past the window", calendar, nil)
	waitIndexed("a's item past the window", export, nil)

	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("FollowItems did not return once its context ended")
	}
}
