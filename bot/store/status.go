package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What `/liaison status` and GET /status read: computed from the leases
// and the outbox, which hold them already.

// Replicas returns the replicas whose replica lease was renewed at or after
// since, by name.
func (d *DB) Replicas(ctx context.Context, since time.Time) ([]string, error) {
	var names []string
	err := d.db.SelectContext(ctx, &names, d.db.Rebind(`SELECT name FROM leases WHERE name >= ? AND name < ? AND updated_at >= ? ORDER BY name`),
		replicaLeasePrefix, prefixEnd(replicaLeasePrefix), since.UTC())
	if err != nil {
		return nil, fmt.Errorf("replicas: %w", err)
	}
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, replicaLeasePrefix)
	}
	return names, nil
}

// OldestDue returns when the oldest message due at now (pending, its time
// come, its parent sent) was enqueued, and false when none is due.
func (d *DB) OldestDue(ctx context.Context, now time.Time) (time.Time, bool, error) {
	var t []time.Time
	err := d.db.SelectContext(ctx, &t, d.db.Rebind(`SELECT o.created_at FROM outbox o WHERE `+laneDue+` ORDER BY o.id LIMIT 1`), now.UTC())
	if err != nil {
		return time.Time{}, false, fmt.Errorf("oldest due outbox message: %w", err)
	}
	if len(t) == 0 {
		return time.Time{}, false, nil
	}
	return t[0].UTC(), true, nil
}

// DeadSince counts the messages given up at or after since.
func (d *DB) DeadSince(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := d.db.GetContext(ctx, &n, d.db.Rebind(`SELECT COUNT(*) FROM outbox WHERE state = 'dead' AND updated_at >= ?`), since.UTC())
	if err != nil {
		return 0, fmt.Errorf("dead outbox messages: %w", err)
	}
	return n, nil
}

// RetryDeadSince makes the messages given up at or after since pending
// again, due now, with a fresh attempt count, and returns how many: the
// Retry dead button of the status, once the cause is fixed.
func (d *DB) RetryDeadSince(ctx context.Context, now, since time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, reported_at = NULL
		WHERE state = 'dead' AND updated_at >= ?`), now.UTC(), now.UTC(), since.UTC())
	if err != nil {
		return 0, fmt.Errorf("retry dead outbox messages: %w", err)
	}
	n, err := res.RowsAffected()
	if n > 0 {
		d.signalEnqueued(nil)
	}
	return int(n), err
}
