package store_test

import (
	"context"
	"fmt"
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
