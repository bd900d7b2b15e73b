package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

func TestPruneInboundForgetsOnlyIdentitiesOlderThanAWeek(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, at := range []time.Time{t0.Add(-8 * 24 * time.Hour), t0.Add(-6 * 24 * time.Hour)} {
			if _, err := db.FirstSeen(ctx, at, "slack_event", at.String()); err != nil {
				t.Fatal(err)
			}
		}
		job := jobs.PruneInbound(db, quiet)
		n, err := job.Run(ctx, t0)
		if err != nil || n != 1 {
			t.Fatalf("prune = %d, %v; want the one identity older than a week", n, err)
		}
		// The recent one is still remembered: a redelivery stays a no-op.
		recent := t0.Add(-6 * 24 * time.Hour)
		if first, err := db.FirstSeen(ctx, t0, "slack_event", recent.String()); err != nil || first {
			t.Errorf("the recent identity was forgotten: first = %v, %v", first, err)
		}
	})
}
