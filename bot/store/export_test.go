package store

import "context"

// What the store's external tests may reach that the product may not.

// Exec runs a statement written with ? placeholders.
func (d *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(q), args...)
	return err
}
