package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func newCase(guild, target string) *bot.Case {
	return &bot.Case{GuildID: guild, Action: bot.ActionWarn, TargetID: target, TargetName: target, ModeratorID: "dave", ModeratorName: "dave",
		Reason: "spam", Source: bot.SourceDiscord, Points: 1}
}

func TestCaseNumbersHaveNoGapsNorDuplicatesUnder20ConcurrentModerators(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const moderators, each = 20, 5
		var wg sync.WaitGroup
		var mu sync.Mutex
		var numbers []int64
		var failed atomic.Int32
		for i := range moderators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range each {
					c := newCase("g1", fmt.Sprint("member", i))
					err := db.InTx(ctx, func(tx *store.Tx) error {
						if err := tx.CreateCase(ctx, t0, c); err != nil {
							return err
						}
						// Every third transaction fails after taking its number.
						if j%3 == 2 {
							return errors.New("rolled back")
						}
						_, err := tx.Enqueue(ctx, t0, &bot.OutboxMessage{Key: c.Key() + ":apply", Platform: bot.PlatformDiscord, Kind: bot.KindModerate})
						return err
					})
					if err != nil {
						if err.Error() != "rolled back" {
							t.Error(err)
						}
						failed.Add(1)
						continue
					}
					mu.Lock()
					numbers = append(numbers, c.Number)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(numbers)
		want := moderators*each - int(failed.Load())
		if len(numbers) != want {
			t.Fatalf("%d cases committed, want %d", len(numbers), want)
		}
		for i, n := range numbers {
			if n != int64(i+1) {
				t.Fatalf("committed numbers = %v: want 1…%d with no gap or duplicate", numbers, want)
			}
		}
		// Another server counts on its own.
		other := newCase("g2", "x")
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateCase(ctx, t0, other) }); err != nil || other.Number != 1 {
			t.Errorf("first case of another server = %d, %v", other.Number, err)
		}
		got, err := db.Case(ctx, "g1", int64(want))
		if err != nil || got.Action != bot.ActionWarn || got.Points != 1 || !got.CreatedAt.Equal(t0) {
			t.Errorf("Case = %+v, %v", got, err)
		}
		if _, err := db.Case(ctx, "g1", int64(want+1)); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("a case past the last: %v", err)
		}
	})
}

func TestAnExpiryIsClaimedOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newCase("g1", "mallory")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateCase(ctx, t0, c); err != nil {
				return err
			}
			if err := tx.AddExpiry(ctx, "g1", c.Number, store.ExpiryUnban, "mallory", t0.Add(time.Hour)); err != nil {
				return err
			}
			return tx.AddExpiry(ctx, "g1", c.Number, store.ExpiryUnban, "mallory", t0.Add(2*time.Hour)) // a duplicate is ignored
		})
		if err != nil {
			t.Fatal(err)
		}
		if due, _ := db.DueExpiries(ctx, t0.Add(59*time.Minute), 10); len(due) != 0 {
			t.Errorf("due before its time: %+v", due)
		}
		due, err := db.DueExpiries(ctx, t0.Add(time.Hour), 10)
		if err != nil || len(due) != 1 || !due[0].DueAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("due = %+v, %v", due, err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					ok, err := tx.ClaimExpiry(ctx, t0.Add(time.Hour), due[0], time.Time{}, "done")
					if ok {
						wins.Add(1)
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("claimed %d times, want once", wins.Load())
		}
		if due, _ := db.DueExpiries(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
			t.Errorf("still due after the claim: %+v", due)
		}
	})
}

func TestCancelledExpiriesAreNeverDue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.AddExpiry(ctx, "g1", 1, store.ExpiryUnban, "mallory", t0); err != nil {
				return err
			}
			if err := tx.AddExpiry(ctx, "g1", 2, store.ExpiryRenewTimeout, "mallory", t0); err != nil {
				return err
			}
			n, err := tx.CancelExpiries(ctx, t0, "g1", "mallory", "banned for good in case 3", store.ExpiryUnban)
			if n != 1 {
				return fmt.Errorf("cancelled %d, want 1", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		due, _ := db.DueExpiries(ctx, t0, 10)
		if len(due) != 1 || due[0].Action != store.ExpiryRenewTimeout {
			t.Errorf("due = %+v, want the renewal only", due)
		}
	})
}

func TestAPendingQuestionIsAnsweredOnceAndExpires(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := &store.Pending{GuildID: "g1", Kind: "purge", ModeratorID: "dave", Payload: "{}", ExpiresAt: t0.Add(15 * time.Minute)}
		q := &store.Pending{GuildID: "g1", Kind: "purge", ModeratorID: "dave", Payload: "{}", ExpiresAt: t0.Add(15 * time.Minute)}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreatePending(ctx, t0, p); err != nil {
				return err
			}
			return tx.CreatePending(ctx, t0, q)
		}); err != nil {
			t.Fatal(err)
		}
		take := func(id int64, at time.Time) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.TakePending(ctx, at, id, "done")
				return err
			})
		}
		if err := take(p.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := take(p.ID, t0.Add(time.Minute)); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("a second answer: %v, want a conflict", err)
		}
		if err := take(q.ID, t0.Add(16*time.Minute)); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("an answer too late: %v, want a conflict", err)
		}
	})
}

// BenchmarkCasesConcurrentPostgres creates cases from 20 concurrent
// moderators in one server on Postgres, each case in its own transaction
// with its outbox row, and checks afterwards that the numbers have no gap.
// Run with LIAISON_TEST_DATABASE_URL set:
//
//	go test ./bot/store -run xxx -bench CasesConcurrent -benchtime 2000x
func BenchmarkCasesConcurrentPostgres(b *testing.B) {
	db := storetest.Open(b, store.Postgres)
	ctx := context.Background()
	const moderators = 20
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range moderators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				c := newCase("bench", fmt.Sprint("member", w))
				err := db.InTx(ctx, func(tx *store.Tx) error {
					if err := tx.CreateCase(ctx, t0, c); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, t0, &bot.OutboxMessage{Key: c.Key() + ":apply", Platform: bot.PlatformDiscord, Kind: bot.KindModerate})
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cases/s")
	last, err := db.Case(ctx, "bench", int64(b.N))
	if err != nil || last.Number != int64(b.N) {
		b.Fatalf("case %d: %v", b.N, err)
	}
	if _, err := db.Case(ctx, "bench", int64(b.N+1)); bot.ErrorCode(err) != bot.ENotFound {
		b.Fatalf("a case past %d exists: %v", b.N, err)
	}
	if counts, err := db.CaseCounts(ctx, t0, t0.Add(time.Second)); err != nil || counts[bot.ActionWarn] != b.N {
		b.Fatalf("%d cases stored (%v), want %d numbered 1…%d", counts[bot.ActionWarn], err, b.N, b.N)
	}
}

func TestCaseCountsAreByActionWithinAPeriod(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i, a := range []string{bot.ActionWarn, bot.ActionWarn, bot.ActionBan, bot.ActionTimeout} {
			c := newCase("g1", "mallory")
			c.Action = a
			at := t0.Add(time.Duration(i) * 24 * time.Hour)
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateCase(ctx, at, c) }); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.CaseCounts(ctx, t0, t0.Add(3*24*time.Hour))
		if err != nil || len(got) != 2 || got[bot.ActionWarn] != 2 || got[bot.ActionBan] != 1 {
			t.Errorf("CaseCounts = %v, %v; want 2 warns and 1 ban (the timeout is after the period)", got, err)
		}
	})
}
