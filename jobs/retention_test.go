package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
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

func TestCompactOutboxShrinksOnlyMessagesSentOverAMonthAgo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db)
		long := []byte(`{"channel_id":"C1","text":"` + strings.Repeat("a long relay ", 40) + `"}`)
		b.enqueue(t, &bot.OutboxMessage{Key: "relay:1:product", Platform: bot.PlatformSlack, Kind: "post", Payload: long},
			&bot.OutboxMessage{Key: "relay:2:product", Platform: bot.PlatformSlack, Kind: "post", Payload: long})
		if n := b.dispatch(t); n != 2 {
			t.Fatalf("dispatched %d", n)
		}
		b.enqueue(t, &bot.OutboxMessage{Key: "relay:3:product", Platform: bot.PlatformSlack, Kind: "post", Payload: long}) // still pending
		job := jobs.CompactOutbox(db, quiet)
		if n, err := job.Run(ctx, t0.Add(29*24*time.Hour)); n != 0 || err != nil {
			t.Fatalf("compact after 29 days = %d, %v; want nothing", n, err)
		}
		if n, err := job.Run(ctx, t0.Add(31*24*time.Hour)); n != 2 || err != nil {
			t.Fatalf("compact after 31 days = %d, %v; want the 2 sent messages", n, err)
		}
		for key, want := range map[string]string{"relay:1:product": `{"channel_id":"C1"}`, "relay:2:product": `{"channel_id":"C1"}`, "relay:3:product": string(long)} {
			e := b.entry(t, key)
			if e.Payload != want {
				t.Errorf("%s payload = %s, want %s", key, e.Payload, want)
			}
		}
		if e := b.entry(t, "relay:1:product"); e.State != store.OutboxSent || e.PlatformID == "" {
			t.Errorf("a compacted message lost its state or platform id: %+v", e)
		}
	})
}
