package handlers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

var benchTexts = []string{
	"the export button crashes on big files",
	"I love the new dashboard, thank you!",
	"how do I export to CSV?",
	"search is slow since the last update",
}

// BenchmarkFeedbackIntake measures Discord messages in a feedback channel
// going through the router: de-duplicated, stored, scored, routed and their
// relays outboxed, in one transaction each, in parallel as the adapter's
// workers do, while the digest's statistics are folded into the roll-ups as
// liaison run's job does (every second here; the timer stops after the last
// fold). Report: events/s and transactions per group. Each database runs
// with group commit off, with its defaults, and with other bounds:
//
//	go test ./handlers -run '^$' -bench FeedbackIntake$ -benchtime 3000x
func BenchmarkFeedbackIntake(b *testing.B) {
	groups := []struct {
		name string
		opts store.GroupOptions
	}{
		{"group=off", store.GroupOptions{Off: true}},
		{"group=default", store.GroupOptions{}},
		{"group=nowait", store.GroupOptions{Wait: -1}},
		{"group=wait1ms", store.GroupOptions{Wait: time.Millisecond}},
		{"group=1committer", store.GroupOptions{Committers: 1}},
		{"group=8committers", store.GroupOptions{Committers: 8}},
	}
	for _, dialect := range storetest.Dialects() {
		for _, g := range groups {
			b.Run(dialect+"/"+g.name, func(b *testing.B) {
				benchFeedbackIntake(b, dialect, g.opts)
			})
		}
	}
}

func benchFeedbackIntake(b *testing.B, dialect string, group store.GroupOptions) {
	{
		{
			db := storetest.OpenURL(b, storetest.URL(b, dialect), store.Options{Group: group})
			if _, err := db.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			fb := setupBench(b, db)
			var seq atomic.Int64
			stop := make(chan struct{})
			folded := make(chan error, 1)
			b.SetParallelism(4)
			b.ResetTimer()
			go func() {
				tick := time.NewTicker(time.Second)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						_, err := db.FoldStats(context.Background())
						folded <- err
						return
					case <-tick.C:
						if _, err := db.FoldStats(context.Background()); err != nil {
							folded <- err
							return
						}
					}
				}
			}()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					m := discordMsg(feedbackCh, fmt.Sprint(1_000_000+i), aliceID, "alice", benchTexts[i%int64(len(benchTexts))])
					if err := fb.r.HandleEvent(context.Background(), m); err != nil {
						b.Fatal(err)
					}
				}
			})
			close(stop)
			if err := <-folded; err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			cs, _, _, err := db.DailyStats(context.Background(), "2000-01-01", "2999-12-31")
			if err != nil {
				b.Fatal(err)
			}
			var counted int64
			for _, c := range cs {
				counted += c.Messages
			}
			if counted != int64(b.N) {
				b.Fatalf("%d messages handled, %d counted in the roll-ups", b.N, counted)
			}
			if groups, items := db.GroupCommits(); groups > 0 {
				b.ReportMetric(float64(items)/float64(groups), "tx/group")
			}
		}
	}
}

// BenchmarkFeedbackIntakeDeliveredFourTimes delivers every event four times
// (two at once, then two retries) and checks afterwards that there is
// exactly one item and one relay per event. Report: deliveries/s.
func BenchmarkFeedbackIntakeDeliveredFourTimes(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			fb := setupBench(b, db)
			var seq atomic.Int64
			b.SetParallelism(2)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					m := discordMsg(feedbackCh, fmt.Sprint(2_000_000+i), aliceID, "alice", benchTexts[i%int64(len(benchTexts))])
					var wg sync.WaitGroup
					for range 2 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							if err := fb.r.HandleEvent(context.Background(), m); err != nil {
								b.Error(err)
							}
						}()
					}
					wg.Wait()
					for range 2 {
						if err := fb.r.HandleEvent(context.Background(), m); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(4*b.N)/b.Elapsed().Seconds(), "deliveries/s")
			items, err := db.ListFeedback(context.Background(), store.FeedbackFilter{Limit: b.N + 10})
			if err != nil {
				b.Fatal(err)
			}
			entries, err := db.OutboxEntries(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if len(items) != b.N || len(entries) != b.N {
				b.Fatalf("%d events delivered four times: %d items and %d outbox rows, want %d of each", b.N, len(items), len(entries), b.N)
			}
			b.ReportMetric(0, "duplicates")
		})
	}
}

func setupBench(b *testing.B, db *store.DB) *fbBundle {
	b.Helper()
	return setupFeedbackTB(b, db)
}
