package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Concurrent FirstSeen calls are written together: each key is new for
// exactly one caller, however the calls fall into statements, and each
// record keeps its own time.
func TestConcurrentFirstSeenCallsTellExactlyOneCallerPerKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const keys, callers = 150, 4
		var mu sync.Mutex
		firsts := map[string]int{}
		var wg sync.WaitGroup
		for c := range callers {
			for k := range keys {
				wg.Go(func() {
					key := fmt.Sprint("T1:Ev", k)
					at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(k) * time.Hour)
					first, err := db.FirstSeen(ctx, at.Add(time.Duration(c)*time.Minute), "slack_event", key)
					if err != nil {
						t.Error(err)
						return
					}
					if first {
						mu.Lock()
						firsts[key]++
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if len(firsts) != keys {
			t.Errorf("%d keys were new for someone, want %d", len(firsts), keys)
		}
		for k, n := range firsts {
			if n != 1 {
				t.Errorf("%s was new for %d callers, want 1", k, n)
			}
		}
		// Each record kept its own time: pruning before the 100th hour
		// forgets the first 100 keys (whichever caller's minute it got).
		n, err := db.PruneInbound(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(100*time.Hour))
		if err != nil || n != 100 {
			t.Errorf("pruned %d, %v; want 100", n, err)
		}
		if first, err := db.FirstSeen(ctx, time.Now(), "slack_event", "T1:Ev3"); err != nil || !first {
			t.Errorf("a pruned key seen again: first %v, %v", first, err)
		}
		if first, err := db.FirstSeen(ctx, time.Now(), "slack_event", "T1:Ev120"); err != nil || first {
			t.Errorf("a kept key seen again: first %v, %v", first, err)
		}
	})
}

// Two statements writing the same keys in opposite orders (a request
// Slack delivered twice at once, in two batches) wait for each other in
// one order and never deadlock: each key is new for one of them.
func TestFirstSeenStatementsSharingKeysInOppositeOrdersDoNotDeadlock(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	for round := range 10 {
		keys := make([]string, 200)
		for i := range keys {
			keys[i] = fmt.Sprintf("r%d:k%03d", round, i)
		}
		reversed := slices.Clone(keys)
		slices.Reverse(reversed)
		var firsts [2][]bool
		var errs [2]error
		var wg sync.WaitGroup
		for i, ks := range [][]string{keys, reversed} {
			wg.Go(func() { firsts[i], errs[i] = db.WriteSeen(ctx, time.Now(), "slack_event", ks) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v, %v", round, errs[0], errs[1])
		}
		for i := range keys {
			if a, b := firsts[0][i], firsts[1][len(keys)-1-i]; a == b {
				t.Fatalf("round %d: %s new for %v and %v, want for exactly one", round, keys[i], a, b)
			}
		}
	}
}
