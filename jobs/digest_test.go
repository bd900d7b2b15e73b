package jobs_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

const digestConfig = `timezone: Europe/Paris
slack:
  channels: {community: C01COMMUNITY}
digests:
  - {name: weekly, cron: "0 9 * * MON", to: [community]}
`

var digestParis, _ = time.LoadLocation("Europe/Paris")

// nov is a time in Paris, in November (or, past 30, December) 2026.
func nov(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, digestParis)
}

func newDigest(t *testing.T, db *store.DB, clock bot.Clock) (*handlers.Digest, *config.Config) {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte(digestConfig))
	if err != nil {
		t.Fatal(err)
	}
	return handlers.Build(handlers.Deps{DB: db, Config: cfg, Clock: clock, Logger: quiet}).Digest, cfg
}

// digestRuns lists the job_runs of the weekly digest as "slot status".
func digestRuns(t *testing.T, db *store.DB) []string {
	t.Helper()
	runs, err := db.JobRuns(context.Background(), bot.DigestJob("weekly"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range runs {
		s := r.Slot.In(digestParis).Format("Jan 2 15:04") + " " + r.Status
		if r.Delayed {
			s += " delayed"
		}
		if r.Owner != "" {
			s += " by " + r.Owner
		}
		out = append(out, s)
	}
	return out
}

// digestPosts lists the titles of the weekly digest's posts in the outbox.
func digestPosts(t *testing.T, db *store.DB) []string {
	t.Helper()
	entries, err := db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Key, "digest:weekly:") && e.Kind == bot.KindPost {
			var p bot.Post
			if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Title)
		}
	}
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAMissedDigestIsPostedDelayedWithinGraceAndSkippedAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := bot.NewManualClock(nov(22, 12, 0))
		digest, cfg := newDigest(t, db, clock)
		// A fresh process each time: what a restart after downtime is.
		start := func(at time.Time) int {
			t.Helper()
			clock.Set(at)
			j := &jobs.Digests{Store: db, Poster: digest, Digests: cfg.Digests, Owner: "r1", Logger: quiet}
			n, err := j.Run(ctx, at)
			if err != nil {
				t.Fatalf("Run at %s: %v", at, err)
			}
			return n
		}
		// First start: the slots before it are not owed.
		if n := start(nov(22, 12, 0)); n != 0 {
			t.Errorf("the first run posted %d digests, want none", n)
		}
		// Down over Monday morning, back at 12:00: within the 24h grace.
		if n := start(nov(23, 12, 0)); n != 1 {
			t.Errorf("the restart 3h after the slot posted %d digests, want 1", n)
		}
		// Down from Sunday to Tuesday 10:00: 25h late, outside the grace.
		if n := start(nov(31, 10, 0)); n != 0 {
			t.Errorf("the restart 25h after the slot posted %d digests, want none", n)
		}
		// Running again normally: the next Monday is on time.
		if n := start(nov(37, 9, 0)); n != 1 {
			t.Errorf("the next slot posted %d digests, want 1", n)
		}
		equal(t, "job runs", digestRuns(t, db), []string{
			"Nov 16 09:00 skipped by r1",
			"Nov 23 09:00 done delayed by r1",
			"Nov 30 09:00 skipped by r1",
			"Dec 7 09:00 done by r1",
		})
		runs, _ := db.JobRuns(ctx, bot.DigestJob("weekly"))
		if d := runs[2].Detail; d != "missed by 1d1h, more than the grace of 1d" {
			t.Errorf("the skip says %q", d)
		}
		equal(t, "posts", digestPosts(t, db), []string{
			"Weekly community digest · 16–22 Nov 2026 (delayed)",
			"Weekly community digest · 30 Nov – 6 Dec 2026",
		})
	})
}

func TestTwoSchedulersPostEachDigestOnceEvenWhenTheLeaseHolderDies(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 2)
	ctx := context.Background()
	clock := bot.NewManualClock(nov(22, 0, 0))
	names := []string{"a", "b"}
	scheds := make([]*jobs.Scheduler, 2)
	digests := make([]*handlers.Digest, 2)
	for i, db := range dbs {
		digest, cfg := newDigest(t, db, clock)
		digests[i] = digest
		// Time is scaled: the clock moves 15 minutes a tick and the lease
		// lasts 20, so the holder keeps it from tick to tick.
		scheds[i] = &jobs.Scheduler{Leases: db, Clock: clock, Holder: names[i], Logger: quiet, TTL: 20 * time.Minute}
		scheds[i].Add((&jobs.Digests{Store: db, Poster: digest, Digests: cfg.Digests, Owner: names[i], Logger: quiet}).Job())
	}
	if _, err := scheds[0].RunDue(ctx); err != nil || !scheds[0].Leader() { // a starts first and leads
		t.Fatalf("a did not take the lease: %v", err)
	}
	killed := nov(33, 12, 0) // Thursday 3 December: a dies mid-period
	var takeover time.Time
	for now := clock.Advance(15 * time.Minute); now.Before(nov(38, 12, 0)); now = clock.Advance(15 * time.Minute) {
		var wg sync.WaitGroup
		for i, s := range scheds {
			if i == 0 && !now.Before(killed) {
				continue
			}
			wg.Go(func() {
				if _, err := s.RunDue(ctx); err != nil {
					t.Errorf("%s at %s: %v", names[i], now, err)
				}
			})
		}
		wg.Wait()
		if scheds[1].Leader() && takeover.IsZero() {
			takeover = now
		}
	}
	if takeover.Before(killed) || takeover.Sub(killed) > 20*time.Minute+15*time.Minute {
		t.Errorf("b took over at %s; a died at %s, the lease lasts 20m", takeover, killed)
	}
	equal(t, "job runs", digestRuns(t, dbs[0]), []string{
		"Nov 16 09:00 skipped by a",
		"Nov 23 09:00 done by a",
		"Nov 30 09:00 done by a",
		"Dec 7 09:00 done by b",
	})
	equal(t, "posts", digestPosts(t, dbs[0]), []string{
		"Weekly community digest · 16–22 Nov 2026",
		"Weekly community digest · 23–29 Nov 2026",
		"Weekly community digest · 30 Nov – 6 Dec 2026",
	})

	// Without the lease too: both replicas publishing one slot at once
	// post it once, the job_runs row being the claim.
	slot := nov(37, 9, 0).AddDate(0, 0, 7)
	clock.Set(slot)
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed := 0
	for _, r := range digests {
		wg.Go(func() {
			ok, err := r.Publish(ctx, "weekly", slot, false, "race")
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				claimed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if claimed != 1 || len(digestPosts(t, dbs[0])) != 4 {
		t.Errorf("two concurrent publishers claimed the slot %d times and left %d posts, want 1 and 4", claimed, len(digestPosts(t, dbs[0])))
	}
}
