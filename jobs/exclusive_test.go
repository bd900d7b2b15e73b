package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

// Two replicas share a lease: one runs at a time; when it stops, the other
// takes over; when a third holder takes the lease from the runner, the
// runner stops.
func TestExclusiveRunsOnOneReplicaAtATime(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	dbA, dbB := dbs[0], dbs[1]
	const ttl = 300 * time.Millisecond
	var running, most atomic.Int32
	var ran [2]atomic.Int32
	run := func(i int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			ran[i].Add(1)
			<-ctx.Done()
			running.Add(-1)
			return nil
		}
	}
	start := func(i int, db *store.DB) (stop func()) {
		e := &jobs.Exclusive{Leases: db, Name: "gateway", Holder: []string{"a", "b"}[i], Clock: bot.SystemClock{}, TTL: ttl, Logger: quiet}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx, run(i)) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	stopA := start(0, dbA)
	waitFor(t, "a to run", func() bool { return ran[0].Load() == 1 })
	stopB := start(1, dbB)
	defer stopB()
	time.Sleep(2 * ttl) // b polls, a renews
	if ran[1].Load() != 0 {
		t.Fatal("b ran while a held the lease")
	}
	stopA() // gives the lease up
	waitFor(t, "b to take over", func() bool { return ran[1].Load() == 1 })
	// A third holder takes the lease once b's term has passed (a replica
	// that believed b dead): b stops.
	later := time.Now().Add(2 * ttl)
	if ok, err := dbA.AcquireLease(context.Background(), "gateway", "c", later, time.Hour); err != nil || !ok {
		t.Fatalf("c took the lease: %v, %v", ok, err)
	}
	waitFor(t, "b to stop", func() bool { return running.Load() == 0 })
	if m := most.Load(); m != 1 {
		t.Errorf("%d replicas ran at once, want 1", m)
	}
}
