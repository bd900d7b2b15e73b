package store

import (
	"context"
	"database/sql"
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
	res, err := tx.exec(ctx, insertInbound, kind, key, now.UTC())
	return inserted(res, err, kind, key)
}

// FirstSeen is Tx.FirstSeen as one statement of its own, committed (and,
// on Postgres, flushed) before it returns: one round trip instead of a
// transaction's three, on the path that answers a slash command.
func (d *DB) FirstSeen(ctx context.Context, now time.Time, kind, key string) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(insertInbound), kind, key, now.UTC())
	return inserted(res, err, kind, key)
}

const insertInbound = `INSERT INTO inbound_events (kind, key, received_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO NOTHING`

// inserted reports whether insertInbound added its row.
func inserted(res sql.Result, err error, kind, key string) (bool, error) {
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
