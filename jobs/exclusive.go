package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Exclusive runs something on one replica at a time: the holder of a lease
// row. The Discord gateway is one such thing: two replicas connected with
// one bot token would each receive every event and race to answer every
// interaction. The lease is renewed every TTL/3; a holder that cannot renew
// it for TTL, or finds another replica holding it, stops, and another
// replica takes over within TTL plus one poll.
type Exclusive struct {
	Leases leaseStore
	Name   string // the lease, e.g. "discord-gateway"
	Holder string // this replica's name
	Clock  bot.Clock
	TTL    time.Duration // default 30s
	Logger *slog.Logger
}

// Run waits for the lease, runs run with a context that ends when ctx does
// or the lease is lost, gives the lease up when run returns, and waits for
// it again. It returns nil once ctx ends, or run's error.
func (e *Exclusive) Run(ctx context.Context, run func(ctx context.Context) error) error {
	for {
		if !e.acquire(ctx) {
			return nil
		}
		e.logger().Info("holding the lease: running", "lease", e.Name, "holder", e.Holder)
		held, lose := context.WithCancel(ctx)
		renewed := make(chan struct{})
		go func() {
			defer close(renewed)
			e.renew(held, lose)
		}()
		err := run(held)
		lose()
		<-renewed
		if rerr := e.Leases.ReleaseLease(context.WithoutCancel(ctx), e.Name, e.Holder); rerr != nil {
			e.logger().Warn("give the lease up", "lease", e.Name, "err", rerr)
		}
		if err != nil || ctx.Err() != nil {
			return err
		}
		e.logger().Warn("lost the lease: stopped, waiting to take it again", "lease", e.Name, "holder", e.Holder)
	}
}

// acquire polls for the lease until this replica holds it (true) or ctx
// ends (false).
func (e *Exclusive) acquire(ctx context.Context) bool {
	waiting := false
	for {
		ok, err := e.Leases.AcquireLease(ctx, e.Name, e.Holder, e.Clock.Now(), e.ttl())
		switch {
		case err != nil && ctx.Err() == nil:
			e.logger().Error("take the lease", "lease", e.Name, "err", err)
		case ok:
			return true
		case !waiting:
			waiting = true
			e.logger().Info("another replica holds the lease: waiting", "lease", e.Name, "holder", e.Holder)
		}
		t := time.NewTimer(e.ttl() / 3)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// renew keeps the lease until ctx ends, and calls lose when it is lost:
// another replica holds it, or it could not be renewed for a whole TTL.
func (e *Exclusive) renew(ctx context.Context, lose context.CancelFunc) {
	t := time.NewTicker(e.ttl() / 3)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := e.Leases.AcquireLease(ctx, e.Name, e.Holder, e.Clock.Now(), e.ttl())
		switch {
		case err == nil && ok:
			last = time.Now()
		case err == nil:
			e.logger().Error("another replica took the lease", "lease", e.Name, "holder", e.Holder)
			lose()
			return
		case ctx.Err() != nil:
			return
		case time.Since(last) >= e.ttl():
			e.logger().Error("could not renew the lease for its whole term: stopping", "lease", e.Name, "err", err)
			lose()
			return
		default:
			e.logger().Warn("renew the lease", "lease", e.Name, "err", err)
		}
	}
}

func (e *Exclusive) ttl() time.Duration { return orDur(e.TTL, 30*time.Second) }

func (e *Exclusive) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}
