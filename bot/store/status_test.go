package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestStatusFactsComeFromLeasesAndTheOutbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		for _, l := range []struct {
			name string
			at   time.Time
		}{{store.ReplicaLease("a"), t0}, {store.ReplicaLease("b"), t0.Add(-2 * time.Minute)}, {"scheduler", t0}} {
			if _, err := db.AcquireLease(ctx, l.name, "x", l.at, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Replicas(ctx, t0.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a"}, got); diff != "" {
			t.Errorf("Replicas seen in the last minute (-want +got):\n%s", diff)
		}

		post := func(key string) *bot.OutboxMessage {
			return &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(bot.Post{ChannelID: "C1", Text: key})}
		}
		if err := db.Enqueue(ctx, t0.Add(-10*time.Minute), post("old"), post("dead")); err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, t0.Add(time.Hour), post("later")); err != nil {
			t.Fatal(err)
		}
		oldest, ok, err := db.OldestDue(ctx, t0)
		if err != nil || !ok || !oldest.Equal(t0.Add(-10*time.Minute)) {
			t.Errorf("OldestDue = %v %v %v, want %v", oldest, ok, err, t0.Add(-10*time.Minute))
		}
		if _, ok, _ := db.OldestDue(ctx, t0.Add(-11*time.Minute)); ok {
			t.Error("OldestDue found a message before any was due")
		}
		if err != nil || !ok || !oldest.Equal(t0.Add(-10*time.Minute)) {
			t.Errorf("OldestDue = %v %v %v, want %v", oldest, ok, err, t0.Add(-10*time.Minute))
		}
		claimed, err := db.ClaimOutbox(ctx, "a", t0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range claimed {
			if m.Key == "dead" {
				if err := db.FinishOutbox(ctx, t0, []store.OutboxOutcome{{ID: m.ID, Attempts: m.Attempts, State: store.OutboxDead, Error: "refused"}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n, err := db.DeadSince(ctx, t0.Add(-24*time.Hour)); err != nil || n != 1 {
			t.Errorf("DeadSince = %d %v, want 1", n, err)
		}
		if n, err := db.DeadSince(ctx, t0.Add(time.Second)); err != nil || n != 0 {
			t.Errorf("DeadSince after its death = %d %v, want 0", n, err)
		}
		if n, err := db.RetryDeadSince(ctx, t0.Add(time.Minute), t0.Add(-24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("RetryDeadSince = %d %v, want 1", n, err)
		}
		again, _ := db.OutboxByKey(ctx, "dead")
		if again.State != store.OutboxPending || again.Attempts != 0 {
			t.Errorf("after Retry dead: state %s, %d attempts; want pending, 0", again.State, again.Attempts)
		}
	})
}
