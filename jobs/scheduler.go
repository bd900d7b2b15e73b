package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// leaseStore is implemented by *store.DB.
type leaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Job is a named piece of periodic work. Run is given the scheduler's time
// and returns how much it did (the console settles until nothing is left).
// A job must be safe to run again after a crash: it writes through the
// outbox with deterministic keys, so a repeated run posts nothing twice.
type Job struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context, now time.Time) (int, error)
}

// Scheduler runs jobs on one replica at a time: the holder of the
// "scheduler" lease, a row with an expiry that the holder renews on every
// tick. When the holder dies, its lease expires and another replica takes
// over within TTL plus one tick. Time comes from Clock, so tests and the
// console drive it.
type Scheduler struct {
	Leases leaseStore
	Clock  bot.Clock
	Holder string // this replica's name
	Logger *slog.Logger
	TTL    time.Duration // lease length; default 10s
	Tick   time.Duration // real time between ticks in Run; default 1s
	// Renew is the real time between renewals of the lease while jobs run
	// (a poll waiting on a slow web source can outlast the lease); default
	// TTL/3.
	Renew time.Duration

	mu     sync.Mutex
	jobs   []*scheduled
	leader bool
}

type scheduled struct {
	Job
	next time.Time // zero: due at once
}

// LeaseName is the lease the scheduler holds while it runs jobs.
const LeaseName = "scheduler"

// Add registers a job; it first runs on the next tick.
func (s *Scheduler) Add(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, &scheduled{Job: j})
}

// Leader reports whether this scheduler held the lease at its last tick.
func (s *Scheduler) Leader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

// RunDue takes or renews the lease and, when this replica holds it, runs
// every job that is due, once each (a job late by several periods runs
// once, not once per missed period). It returns the work the jobs did.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	ok, err := s.Leases.AcquireLease(ctx, LeaseName, s.Holder, now, orDur(s.TTL, 10*time.Second))
	if err != nil {
		return 0, fmt.Errorf("scheduler lease: %w", err)
	}
	s.mu.Lock()
	if ok != s.leader {
		s.logger().Info("scheduler leadership changed", "leader", ok, "holder", s.Holder)
	}
	s.leader = ok
	var due []*scheduled
	if ok {
		for _, j := range s.jobs {
			if !now.Before(j.next) {
				due = append(due, j)
				j.next = now.Add(j.Every)
			}
		}
	}
	s.mu.Unlock()
	if len(due) == 0 {
		return 0, nil
	}
	// The lease is renewed while the jobs run, so a long job keeps it; a
	// lease lost meanwhile (another replica took it) cancels what runs, so
	// two replicas never run the same job at once.
	runCtx, lost := context.WithCancel(ctx)
	defer lost()
	done := make(chan struct{})
	var held sync.WaitGroup
	held.Go(func() { s.holdWhileRunning(runCtx, lost, done) })
	total := 0
	for _, j := range due {
		if runCtx.Err() != nil {
			break
		}
		n, err := j.Run(runCtx, now)
		total += n
		if err != nil {
			// The job runs again next period; its outbox keys keep it idempotent.
			s.logger().Error("job failed", "job", j.Name, "err", err)
		}
	}
	close(done)
	held.Wait()
	return total, nil
}

// holdWhileRunning renews the scheduler's lease every Renew until done, and
// calls lost when the lease went to another replica or could not be renewed
// for a whole TTL.
func (s *Scheduler) holdWhileRunning(ctx context.Context, lost context.CancelFunc, done <-chan struct{}) {
	ttl := orDur(s.TTL, 10*time.Second)
	t := time.NewTicker(orDur(s.Renew, ttl/3))
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := s.Leases.AcquireLease(ctx, LeaseName, s.Holder, s.Clock.Now(), ttl)
		switch {
		case err == nil && ok:
			renewed = time.Now()
			continue
		case err == nil:
			s.logger().Warn("scheduler lease taken by another replica while jobs ran: stopping them", "holder", s.Holder)
		case time.Since(renewed) < ttl:
			s.logger().Warn("renewing the scheduler lease failed; trying again", "err", err)
			continue
		default:
			s.logger().Error("the scheduler lease could not be renewed for its whole length: stopping the jobs", "err", err)
		}
		s.mu.Lock()
		s.leader = false
		s.mu.Unlock()
		lost()
		return
	}
}

// Run ticks until ctx ends, then gives the lease up so another replica can
// take over at once.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(orDur(s.Tick, time.Second))
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			if s.Leader() {
				if err := s.Leases.ReleaseLease(context.WithoutCancel(ctx), LeaseName, s.Holder); err != nil {
					s.logger().Warn("release scheduler lease", "err", err)
				}
			}
			return nil
		case <-t.C:
		}
	}
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
