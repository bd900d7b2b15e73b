package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestALeaseHasOneHolderUntilItExpires(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acquire := func(holder string, at time.Time) bool {
			t.Helper()
			ok, err := db.AcquireLease(ctx, "scheduler", holder, at, 15*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		steps := []struct {
			name   string
			holder string
			at     time.Time
			want   bool
		}{
			{"a takes the free lease", "a", t0, true},
			{"b cannot take a's lease", "b", t0.Add(5 * time.Second), false},
			{"a renews its own lease", "a", t0.Add(10 * time.Second), true},
			{"b still cannot take it before the renewed expiry", "b", t0.Add(20 * time.Second), false},
			{"b takes it once a stopped renewing and it expired", "b", t0.Add(25 * time.Second), true},
			{"a cannot take it back while b holds it", "a", t0.Add(30 * time.Second), false},
		}
		for _, s := range steps {
			if got := acquire(s.holder, s.at); got != s.want {
				t.Fatalf("%s: AcquireLease = %v, want %v", s.name, got, s.want)
			}
		}
		holder, until, err := db.LeaseHolder(ctx, "scheduler", t0.Add(30*time.Second))
		if err != nil || holder != "b" || !until.Equal(t0.Add(40*time.Second)) {
			t.Errorf("LeaseHolder = %q until %v, %v; want b until +40s", holder, until, err)
		}
		if err := db.ReleaseLease(ctx, "scheduler", "b"); err != nil {
			t.Fatal(err)
		}
		if !acquire("a", t0.Add(31*time.Second)) {
			t.Errorf("a could not take the lease b released")
		}
	})
}

func TestFirstSeenIsTrueOncePerIdentity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		check := func(kind, key string, want bool) {
			t.Helper()
			got, err := db.FirstSeen(ctx, t0, kind, key)
			if err != nil || got != want {
				t.Errorf("FirstSeen(%s, %s) = %v, %v; want %v", kind, key, got, err, want)
			}
		}
		check("slack_event", "T1:Ev1", true)
		check("slack_event", "T1:Ev1", false)
		check("slack_event", "T2:Ev1", true) // another team's event with the same id
		check("slack_message", "T1:Ev1", true)
		n, err := db.PruneInbound(ctx, t0.Add(time.Second))
		if err != nil || n != 3 {
			t.Errorf("PruneInbound = %d, %v; want 3", n, err)
		}
		check("slack_event", "T1:Ev1", true)
	})
}
