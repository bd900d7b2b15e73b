package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestWatchCursorsAreKeptPerSourceAndKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c, err := db.WatchCursor(ctx, "hn", "acme")
		if err != nil || c.Value != "" || c.Source != "hn" || c.Key != "acme" {
			t.Fatalf("cursor of a new database = %+v, %v; want an empty one", c, err)
		}
		for _, w := range []store.WatchCursor{
			{Source: "hn", Key: "acme", Value: `{"t":1}`},
			{Source: "reddit", Key: "acme", Value: "r1"},
			{Source: "feeds", Key: "tech", Value: "f1", ETag: `"e1"`, LastModified: "Mon, 23 Nov 2026 10:00:00 GMT"},
			{Source: "hn", Key: "acme", Value: `{"t":2}`}, // replaces the first
		} {
			if err := db.SaveWatchCursor(ctx, t0, w); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []store.WatchCursor{
			{Source: "hn", Key: "acme", Value: `{"t":2}`, UpdatedAt: t0},
			{Source: "reddit", Key: "acme", Value: "r1", UpdatedAt: t0},
			{Source: "feeds", Key: "tech", Value: "f1", ETag: `"e1"`, LastModified: "Mon, 23 Nov 2026 10:00:00 GMT", UpdatedAt: t0},
		} {
			got, err := db.WatchCursor(ctx, want.Source, want.Key)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("cursor %s %s (-want +got):\n%s", want.Source, want.Key, diff)
			}
		}
	})
}

func TestWatchHealthReportsAnOutageOnceInTheTransactionThatRecordsIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		report := func(key, text string) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				_, err := tx.Enqueue(ctx, t0, &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost,
					Payload: bot.Payload(map[string]string{"channel_id": "C01WATCH", "text": text})})
				return err
			}
		}
		// A failing notify rolls the failure back with the message.
		_, err := db.RecordWatchFailure(ctx, t0, "hn", "503", func(tx *store.Tx, h store.WatchHealth) (bool, error) {
			report("watch-health:hn:x", "down")(tx)
			return false, errors.New("boom")
		})
		if err == nil {
			t.Fatal("RecordWatchFailure with a failing notify succeeded")
		}
		if hs, _ := db.WatchHealths(ctx); len(hs) != 0 {
			t.Fatalf("health after a rolled back failure = %+v, want none", hs)
		}
		calls := 0
		for i, at := range []time.Duration{0, 10 * time.Minute, 31 * time.Minute, 40 * time.Minute} {
			h, err := db.RecordWatchFailure(ctx, t0.Add(at), "hn", "hn answered 503", func(tx *store.Tx, h store.WatchHealth) (bool, error) {
				calls++
				if !h.FailingSince.Equal(t0) {
					t.Errorf("failure %d: failing since %v, want %v", i, h.FailingSince, t0)
				}
				if t0.Add(at).Sub(*h.FailingSince) < 30*time.Minute {
					return false, nil
				}
				return true, report("watch-health:hn:down", "hn is down")(tx)
			})
			if err != nil {
				t.Fatal(err)
			}
			if h.Failures != i+1 || h.LastError != "hn answered 503" {
				t.Errorf("failure %d: health %+v", i, h)
			}
		}
		if calls != 3 {
			t.Errorf("notify was asked %d times, want 3 (never again once it reported)", calls)
		}
		hs, err := db.WatchHealths(ctx)
		if err != nil || len(hs) != 1 || !hs[0].Notified || !hs[0].Failing() {
			t.Fatalf("health = %+v, %v; want hn failing and notified", hs, err)
		}
		recovered := 0
		was, err := db.RecordWatchSuccess(ctx, t0.Add(time.Hour), "hn", func(tx *store.Tx, was store.WatchHealth) error {
			recovered++
			return report("watch-health:hn:up", "hn is back")(tx)
		})
		if err != nil || !was.Notified || recovered != 1 {
			t.Fatalf("success after an outage = %+v, %v, notify called %d times", was, err, recovered)
		}
		if _, err := db.RecordWatchSuccess(ctx, t0.Add(2*time.Hour), "hn", func(tx *store.Tx, was store.WatchHealth) error {
			recovered++
			return nil
		}); err != nil || recovered != 1 {
			t.Fatalf("a success while working called notify (%d) or failed: %v", recovered, err)
		}
		hs, _ = db.WatchHealths(ctx)
		if len(hs) != 1 || hs[0].Failing() || hs[0].Notified || hs[0].Failures != 0 {
			t.Errorf("health after recovery = %+v, want working", hs)
		}
		msgs, err := db.ClaimOutbox(ctx, "test", t0.Add(3*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, m := range msgs {
			keys = append(keys, m.Key)
		}
		if diff := cmp.Diff([]string{"watch-health:hn:down", "watch-health:hn:up"}, keys); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
	})
}
