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

func TestOnlyTheLeaseHolderRunsJobsAndAnotherTakesOverWhenItDies(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	db1, db2 := dbs[0], dbs[1]
	clock := bot.NewManualClock(t0)
	var runs [2]atomic.Int32
	scheds := make([]*jobs.Scheduler, 2)
	for i, db := range []*store.DB{db1, db2} {
		scheds[i] = &jobs.Scheduler{Leases: db, Clock: clock, Holder: []string{"a", "b"}[i], Logger: quiet}
		scheds[i].Add(jobs.Job{Name: "count", Every: time.Minute, Run: func(context.Context, time.Time) (int, error) {
			runs[i].Add(1)
			return 1, nil
		}})
	}
	ctx := context.Background()
	tick := func(which ...int) {
		t.Helper()
		for _, i := range which {
			if _, err := scheds[i].RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	tick(0, 1)
	if !scheds[0].Leader() || scheds[1].Leader() || runs[0].Load() != 1 || runs[1].Load() != 0 {
		t.Fatalf("first tick: leaders %v/%v runs %d/%d, want a alone", scheds[0].Leader(), scheds[1].Leader(), runs[0].Load(), runs[1].Load())
	}
	// Within the period nothing runs again; at the next period only a runs.
	clock.Advance(30 * time.Second)
	tick(0, 1)
	clock.Advance(30 * time.Second)
	tick(0, 1)
	if runs[0].Load() != 2 || runs[1].Load() != 0 {
		t.Fatalf("after a minute: runs %d/%d, want 2/0", runs[0].Load(), runs[1].Load())
	}
	// a dies (stops ticking). Before its lease expires b still waits…
	clock.Advance(9 * time.Second)
	tick(1)
	if scheds[1].Leader() {
		t.Fatal("b took the lease before it expired")
	}
	// …and takes over once it has: within 15 seconds of a's last renewal.
	clock.Advance(2 * time.Second)
	tick(1)
	if !scheds[1].Leader() || runs[1].Load() != 1 {
		t.Fatalf("b did not take over 11s after a's last renewal: leader %v runs %d", scheds[1].Leader(), runs[1].Load())
	}
}

func TestASchedulerLateBySeveralPeriodsRunsOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := bot.NewManualClock(t0)
		var runs int
		s := &jobs.Scheduler{Leases: db, Clock: clock, Holder: "a", Logger: quiet}
		s.Add(jobs.Job{Name: "j", Every: time.Minute, Run: func(context.Context, time.Time) (int, error) { runs++; return 0, nil }})
		s.RunDue(context.Background())
		clock.Advance(7 * 24 * time.Hour)
		s.RunDue(context.Background())
		if runs != 2 {
			t.Errorf("runs = %d, want 2", runs)
		}
	})
}

func TestRunReleasesTheLeaseOnShutdown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &jobs.Scheduler{Leases: db, Clock: bot.SystemClock{}, Holder: "a", Logger: quiet, Tick: 10 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for !s.Leader() {
			if time.Now().After(deadline) {
				t.Fatal("the scheduler did not take the free lease within 10s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		ok, err := db.AcquireLease(context.Background(), jobs.LeaseName, "b", time.Now(), time.Minute)
		if err != nil || !ok {
			t.Errorf("b could not take the lease a released: %v %v", ok, err)
		}
	})
}

// countingLeases counts the lease renewals a scheduler makes and can refuse
// them, as when another replica has taken the lease.
type countingLeases struct {
	*store.DB
	calls  atomic.Int32
	refuse atomic.Bool
}

func (c *countingLeases) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	defer c.calls.Add(1)
	if c.refuse.Load() {
		return false, nil
	}
	return c.DB.AcquireLease(ctx, name, holder, now, ttl)
}

func TestAJobLongerThanTheLeaseKeepsItAndALostLeaseStopsIt(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	clock := bot.NewManualClock(t0)
	leases := &countingLeases{DB: dbs[0]}
	a := &jobs.Scheduler{Leases: leases, Clock: clock, Holder: "a", Logger: quiet, Renew: time.Millisecond}
	b := &jobs.Scheduler{Leases: dbs[1], Clock: clock, Holder: "b", Logger: quiet}
	started, release := make(chan struct{}), make(chan struct{})
	var stopped atomic.Bool
	a.Add(jobs.Job{Name: "slow poll", Every: time.Minute, Run: func(ctx context.Context, _ time.Time) (int, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			stopped.Store(true)
		}
		return 1, nil
	}})
	var bRuns atomic.Int32
	b.Add(jobs.Job{Name: "slow poll", Every: time.Minute, Run: func(context.Context, time.Time) (int, error) {
		bRuns.Add(1)
		return 1, nil
	}})
	ctx := context.Background()
	result := make(chan int, 1)
	go func() { n, _ := a.RunDue(ctx); result <- n }()
	<-started
	// The job runs for 40 s of the lease's time, four times its length: a
	// renews as it goes, so b never takes over.
	for range 8 {
		clock.Advance(5 * time.Second)
		seen := leases.calls.Load()
		waitFor(t, "a renewal of a's lease", func() bool { return leases.calls.Load() > seen+1 })
		if _, err := b.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if b.Leader() || bRuns.Load() != 0 {
			t.Fatalf("b took the lease %v after a's job started, while it still ran", clock.Now().Sub(t0))
		}
	}
	close(release)
	if n := <-result; n != 1 || stopped.Load() {
		t.Fatalf("a's job did %d (stopped: %v), want it finished", n, stopped.Load())
	}
	// Next period: the lease goes to another replica while a's job runs, so
	// the job is stopped rather than left to run beside b's.
	clock.Advance(time.Minute)
	release = make(chan struct{})
	go func() { n, _ := a.RunDue(ctx); result <- n }()
	<-started
	leases.refuse.Store(true)
	<-result
	if !stopped.Load() || a.Leader() {
		t.Fatalf("after losing the lease: job stopped %v, a leader %v; want stopped and not leader", stopped.Load(), a.Leader())
	}
}
