package jobs

import (
	"context"
	"log/slog"
	"time"
)

// inboundPruner is implemented by *store.DB.
type inboundPruner interface {
	PruneInbound(ctx context.Context, before time.Time) (int, error)
}

// InboundRetention is how long an inbound event's identity is kept for
// de-duplication: Slack retries within an hour and Discord replays on RESUME
// within minutes, so a week leaves a wide margin.
const InboundRetention = 7 * 24 * time.Hour

// PruneInbound returns the job that forgets inbound event identities older
// than InboundRetention, hourly, so the de-duplication table does not grow
// forever.
func PruneInbound(store inboundPruner, logger *slog.Logger) Job {
	return Job{Name: "prune-inbound", Every: time.Hour, Run: func(ctx context.Context, now time.Time) (int, error) {
		n, err := store.PruneInbound(ctx, now.Add(-InboundRetention))
		if n > 0 && logger != nil {
			logger.Debug("pruned inbound event identities", "count", n)
		}
		return n, err
	}}
}
