package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

// digestStore is implemented by *store.DB.
type digestStore interface {
	LastJobRun(ctx context.Context, job string) (time.Time, bool, error)
	SkipJobRun(ctx context.Context, now time.Time, job string, slot time.Time, owner, why string) error
	TrackPeriod(ctx context.Context, now time.Time, key string, startsAt time.Time) error
}

// digestPoster is implemented by *handlers.Digest.
type digestPoster interface {
	Publish(ctx context.Context, name string, slot time.Time, delayed bool, owner string) (bool, error)
}

// Digests posts the configured digests on their schedules. Each scheduled
// time (slot) of a digest is recorded in job_runs, keyed (digest, slot): the
// row is inserted in the transaction that enqueues the digest's messages,
// so however many replicas or restarts reach a slot, one posts it.
//
// A slot is posted when it comes due. After downtime, the latest missed
// slot is posted at start-up, marked "(delayed)", if it is no older than
// the digest's grace; older misses, and misses a later slot supersedes, are
// recorded as skipped and not posted. A slot that fell while this process
// was running the job (a clock the console or a test moves) is on time.
// A digest seen for the first time starts with its next slot: the slots
// before are not owed.
//
// Its Job runs every minute on the scheduler's lease holder.
type Digests struct {
	Store   digestStore
	Poster  digestPoster
	Digests []config.Digest
	Owner   string // this replica's name, recorded on each run
	Logger  *slog.Logger
	// OnTime is how late a slot may run and still not be "delayed";
	// default 5m.
	OnTime time.Duration

	mu      sync.Mutex
	lastRun time.Time // when this process last ran the job
}

// maxSkips bounds the skipped slots one run records (a digest every
// minute, after a week of downtime): the latest are kept.
const maxSkips = 500

// Job returns the scheduler job that runs the digests.
func (j *Digests) Job() Job { return Job{Name: "digests", Every: time.Minute, Run: j.Run} }

// Run posts every digest whose slot has come, and returns how many it
// posted. A failed digest does not stop the others; its slot is retried on
// the next run (and is delayed, then skipped, as time passes).
func (j *Digests) Run(ctx context.Context, now time.Time) (int, error) {
	j.mu.Lock()
	prevRun := j.lastRun
	j.lastRun = now
	j.mu.Unlock()
	posted := 0
	var errs []error
	for _, d := range j.Digests {
		if d.Schedule == nil {
			continue
		}
		if err := j.track(ctx, d, now); err != nil {
			errs = append(errs, err)
		}
		n, err := j.runDigest(ctx, d, now, prevRun)
		posted += n
		if err != nil {
			errs = append(errs, fmt.Errorf("digest %s: %w", d.Name, err))
		}
	}
	return posted, errors.Join(errs...)
}

// track registers the periods of the next two runs, so the per-period
// statistics of any period that has not begun are known to be complete.
func (j *Digests) track(ctx context.Context, d config.Digest, now time.Time) error {
	next := now
	for range 2 {
		if next = d.Schedule.Next(next); next.IsZero() {
			return nil
		}
		p := bot.PeriodEnding(next, d.Location, string(d.Period))
		if err := j.Store.TrackPeriod(ctx, now, p.Key(), p.Start); err != nil {
			return err
		}
	}
	return nil
}

func (j *Digests) runDigest(ctx context.Context, d config.Digest, now, prevRun time.Time) (int, error) {
	job := bot.DigestJob(d.Name)
	last, ok, err := j.Store.LastJobRun(ctx, job)
	if err != nil {
		return 0, err
	}
	if !ok {
		// First sight of this digest: owe nothing from before it.
		if s, found := bot.PreviousRun(d.Schedule, now); found {
			return 0, j.Store.SkipJobRun(ctx, now, job, s, j.Owner, "before Liaison ran this digest")
		}
		return 0, nil
	}
	plan := planSlots(slotsAfter(d.Schedule, last, now), now, prevRun, d.Grace, orDur(j.OnTime, 5*time.Minute))
	posted := 0
	for _, a := range plan {
		if !a.post {
			if err := j.Store.SkipJobRun(ctx, now, job, a.slot, j.Owner, a.why); err != nil {
				return posted, err
			}
			continue
		}
		ok, err := j.Poster.Publish(ctx, d.Name, a.slot, a.delayed, j.Owner)
		if err != nil {
			return posted, err
		}
		if ok {
			posted++
			j.logger().Info("digest posted", "digest", d.Name, "slot", a.slot, "delayed", a.delayed)
		}
	}
	return posted, nil
}

func (j *Digests) logger() *slog.Logger {
	if j.Logger != nil {
		return j.Logger
	}
	return slog.Default()
}

// slotAction is what becomes of one slot.
type slotAction struct {
	slot    time.Time
	post    bool
	delayed bool
	why     string // for a skip
}

// planSlots decides the fate of the slots that have come since the last
// recorded one (oldest first): the latest is posted, on time when it is
// less than onTime late or fell after this process's previous run, else
// delayed when within grace, else skipped; every earlier one is skipped,
// superseded by it. At most maxSkips skips are kept, the latest.
func planSlots(slots []time.Time, now, prevRun time.Time, grace, onTime time.Duration) []slotAction {
	if len(slots) == 0 {
		return nil
	}
	latest := slots[len(slots)-1]
	var out []slotAction
	for _, s := range slots[max(0, len(slots)-1-maxSkips) : len(slots)-1] {
		out = append(out, slotAction{slot: s, why: "superseded by the run at " + latest.UTC().Format(time.RFC3339)})
	}
	late := now.Sub(latest)
	switch {
	case late <= onTime || (!prevRun.IsZero() && latest.After(prevRun)):
		out = append(out, slotAction{slot: latest, post: true})
	case late <= grace:
		out = append(out, slotAction{slot: latest, post: true, delayed: true})
	default:
		out = append(out, slotAction{slot: latest, why: fmt.Sprintf("missed by %s, more than the grace of %s", bot.FormatDuration(late.Round(time.Second)), bot.FormatDuration(grace))})
	}
	return out
}

// slotsAfter lists the slots of sched after last and up to now, oldest
// first; at most a year's worth of days is searched.
func slotsAfter(sched bot.Schedule, last, now time.Time) []time.Time {
	from := last
	if floor := now.AddDate(-1, 0, 0); from.Before(floor) {
		from = floor
	}
	var out []time.Time
	for s := sched.Next(from); !s.IsZero() && !s.After(now); s = sched.Next(s) {
		out = append(out, s)
		if len(out) > 4*maxSkips {
			out = out[len(out)-maxSkips-1:]
		}
	}
	return out
}
