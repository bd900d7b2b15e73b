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

// outboxCompactor is implemented by *store.DB.
type outboxCompactor interface {
	CompactSentOutbox(ctx context.Context, before time.Time, limit int) (int, error)
}

// SentPayloadRetention is how long a sent outbox message keeps its whole
// payload (for diagnosis) before it is shrunk to its channel.
const SentPayloadRetention = 30 * 24 * time.Hour

// CompactOutbox returns the job that shrinks the payloads of outbox
// messages sent over SentPayloadRetention ago, daily, in batches, so the
// outbox grows by a few dozen bytes per message sent rather than by their
// whole text.
func CompactOutbox(store outboxCompactor, logger *slog.Logger) Job {
	const batch = 5000
	return Job{Name: "compact-outbox", Every: 24 * time.Hour, Run: func(ctx context.Context, now time.Time) (int, error) {
		total := 0
		for {
			n, err := store.CompactSentOutbox(ctx, now.Add(-SentPayloadRetention), batch)
			total += n
			if err != nil || n < batch {
				if total > 0 && logger != nil {
					logger.Debug("compacted sent outbox messages", "count", total)
				}
				return total, err
			}
		}
	}}
}
