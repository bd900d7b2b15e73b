package store

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen records an inbound event by its platform identity and reports
// whether this is the first time it was seen. kind names the identity space
// ("slack_event" keyed by team:event_id, "slack_message" by channel:ts,
// "discord_message" by message id, "discord_interaction" by interaction id);
// key is unique within it. A redelivered event returns false and the caller
// does nothing; because the record is written in the caller's transaction, a
// handler that fails rolls it back and the retry is processed.
func (tx *Tx) FirstSeen(ctx context.Context, now time.Time, kind, key string) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO inbound_events (kind, key, received_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO NOTHING`,
		kind, key, now.UTC())
	if err != nil {
		return false, fmt.Errorf("record inbound %s %s: %w", kind, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record inbound %s %s: %w", kind, key, err)
	}
	return n > 0, nil
}

// FirstSeen is Tx.FirstSeen as one statement of its own, committed (and,
// on Postgres, flushed) before it returns: one round trip instead of a
// transaction's three, on the path that answers a slash command.
func (d *DB) FirstSeen(ctx context.Context, now time.Time, kind, key string) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO inbound_events (kind, key, received_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO NOTHING`),
		kind, key, now.UTC())
	if err != nil {
		return false, fmt.Errorf("record inbound %s %s: %w", kind, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record inbound %s %s: %w", kind, key, err)
	}
	return n > 0, nil
}

// PruneInbound forgets inbound events received before before; platforms stop
// redelivering long before (Slack within an hour, Discord on RESUME only).
func (d *DB) PruneInbound(ctx context.Context, before time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM inbound_events WHERE received_at < ?`), before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune inbound events: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
