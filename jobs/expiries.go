package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
)

// expiryStore is implemented by *store.DB.
type expiryStore interface {
	DueExpiries(ctx context.Context, now time.Time, limit int) ([]store.Expiry, error)
}

// Expiries acts on moderation expiries as they fall due: temporary bans
// lifted, long timeouts renewed, ended timeouts noted in the mod log. The
// rows survive restarts; Apply (Moderation.ApplyExpiry, in handlers/moderation) claims each in
// the transaction that enqueues its action, so an expiry acts once even
// when two schedulers run it at the same moment.
type Expiries struct {
	Store expiryStore
	Apply func(ctx context.Context, e store.Expiry, now time.Time) (bool, error)
	// Batch is how many due expiries one run reads at a time; default 100.
	Batch int
}

// ExpiriesJobName names the job in the scheduler.
const ExpiriesJobName = "moderation-expiries"

// Job returns the scheduler job, run every 30 seconds.
func (x *Expiries) Job() Job {
	return Job{Name: ExpiriesJobName, Every: 30 * time.Second, Run: x.Run}
}

// Run acts on every expiry due at now and returns how many it acted on.
func (x *Expiries) Run(ctx context.Context, now time.Time) (int, error) {
	acted := 0
	for {
		due, err := x.Store.DueExpiries(ctx, now, orInt(x.Batch, 100))
		if err != nil {
			return acted, err
		}
		progress := false
		for _, e := range due {
			ok, err := x.Apply(ctx, e, now)
			if err != nil {
				return acted, fmt.Errorf("expiry %d (case %d, %s): %w", e.ID, e.CaseNumber, e.Action, err)
			}
			if ok {
				acted++
				progress = true
			}
		}
		if len(due) < orInt(x.Batch, 100) || !progress {
			return acted, nil
		}
	}
}
