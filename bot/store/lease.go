package store

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes or renews the lease called name for holder until
// now+ttl, and reports whether holder has it. It succeeds when the lease is
// free, expired, or already holder's; the row, not a session lock, carries
// ownership, so a holder that loses its connection or dies simply stops
// renewing and another takes over once the lease expires.
func (d *DB) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO leases (name, holder, locked_until, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, locked_until = excluded.locked_until, updated_at = excluded.updated_at
		WHERE leases.holder = excluded.holder OR leases.locked_until <= excluded.updated_at`),
		name, holder, now.Add(ttl).UTC(), now.UTC())
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n > 0, nil
}

// ReleaseLease gives the lease up if holder has it, so another replica can
// take over at once instead of waiting for the expiry.
func (d *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder)
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// LeaseHolder returns who holds the lease and until when; "" when nobody
// does or it has expired at now.
func (d *DB) LeaseHolder(ctx context.Context, name string, now time.Time) (string, time.Time, error) {
	var rows []struct {
		Holder      string    `db:"holder"`
		LockedUntil time.Time `db:"locked_until"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT holder, locked_until FROM leases WHERE name = ?`), name)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("lease %s: %w", name, err)
	}
	if len(rows) == 0 || !rows[0].LockedUntil.After(now) {
		return "", time.Time{}, nil
	}
	return rows[0].Holder, rows[0].LockedUntil.UTC(), nil
}
