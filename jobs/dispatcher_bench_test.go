package jobs_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

type noopSender struct{}

func (noopSender) Send(context.Context, *bot.OutboxMessage) (bot.SendResult, error) {
	return bot.SendResult{PlatformID: "1"}, nil
}

// BenchmarkOutboxEnqueue measures transactions that record an inbound event
// (the state row) and enqueue the message it causes, in parallel as the
// adapters do. Report: transactions/s.
func BenchmarkOutboxEnqueue(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			ctx := context.Background()
			now := time.Now()
			var seq atomic.Int64
			payload := []byte(`{"channel":"C01PRODUCT","text":"the export button crashes on big files"}`)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					err := db.InTx(ctx, func(tx *store.Tx) error {
						if _, err := tx.FirstSeen(ctx, now, "discord_message", fmt.Sprint(i)); err != nil {
							return err
						}
						_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("relay:%d:C01PRODUCT", i), Platform: bot.PlatformSlack, Kind: "post", Payload: payload})
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// BenchmarkOutboxDispatch measures claim → send (no-op) → mark, in batches,
// with two dispatchers sharing the database: messages each in a lane of
// their own (no channel), and messages to five channels, where each
// channel's messages go one after the other. Report: rows/s.
func BenchmarkOutboxDispatch(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		for _, channels := range []int{0, 5} {
			name := dialect + "/no-channel"
			if channels > 0 {
				name = fmt.Sprintf("%s/%d-channels", dialect, channels)
			}
			b.Run(name, func(b *testing.B) { benchDispatch(b, dialect, channels) })
		}
	}
}

func benchDispatch(b *testing.B, dialect string, channels int) {
	db := storetest.Open(b, dialect)
	ctx := context.Background()
	now := time.Now()
	payload := func(j int) []byte {
		if channels == 0 {
			return []byte(`{}`)
		}
		return []byte(fmt.Sprintf(`{"channel_id":"C%d"}`, j%channels))
	}
	const chunk = 1000
	for i := 0; i < b.N; i += chunk {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+chunk, b.N); j++ {
				if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprint(j), Platform: bot.PlatformSlack, Kind: "post", Payload: payload(j)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	clock := bot.NewManualClock(now.Add(time.Second))
	var sent atomic.Int64
	b.ResetTimer()
	done := make(chan struct{})
	for w := range 2 {
		d := &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: noopSender{}}, Clock: clock,
			Owner: fmt.Sprint("bench-", w), BatchSize: 200, Concurrency: 32, Logger: quiet}
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				n, err := d.DispatchOnce(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				sent.Add(int64(n))
				if n > 0 {
					continue
				}
				// Nothing this dispatcher may take: the outbox is empty,
				// or the other one is sending every lane that is left
				// (each lane goes to one dispatcher at a time); it polls
				// again, as Run would, only sooner.
				left, err := db.OutboxBacklog(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if left[store.OutboxPending]+left[store.OutboxSending] == 0 {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	<-done
	<-done
	b.StopTimer()
	if int(sent.Load()) != b.N {
		b.Fatalf("dispatched %d of %d", sent.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkOutboxLanes plays the case lanes are for, on a fake clock: the
// dispatcher passes every 250 ms (an iteration is a pass) while #product
// holds a backlog longer than the run and #marketing, with 3 messages due
// at the start, gets one more every 2 seconds, against a Slack that allows
// each channel a post a second after a burst of 3 and answers 429 beyond.
// Report: each channel's posts as a share of its allowance (what an ideal
// sender could have posted of what was due), and the 429s provoked.
func BenchmarkOutboxLanes(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			s := newLaneScenario(b, storetest.Open(b, dialect), b.N/4+10)
			b.ResetTimer()
			s.run(b, b.N)
			b.StopTimer()
			b.ReportMetric(s.share(product, b.N), "product-%")
			b.ReportMetric(s.share(marketing, b.N), "marketing-%")
			b.ReportMetric(float64(s.slack.refusals()), "429s")
		})
	}
}
