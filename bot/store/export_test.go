package store

import "context"

// What the store's external tests may reach that the product may not.

// MigrateTo applies the migrations up to version, so that a test can write
// data as an older Liaison did before migrating the rest.
func (d *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// Exec runs a statement written with ? placeholders.
func (d *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(q), args...)
	return err
}
