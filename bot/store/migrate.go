package store

import (
	"context"
	"fmt"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/liaison-bot/liaison/migrations"
)

// MigrationStatus describes one embedded migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

func (d *DB) provider() (*goose.Provider, error) {
	fsys, err := migrations.FS(d.dialect.name)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectPostgres
	if d.dialect.name == SQLite {
		gd = goose.DialectSQLite3
	}
	return goose.NewProvider(gd, d.db.DB, fsys, goose.WithDisableGlobalRegistry(true))
}

// Migrate applies every pending migration and returns how many it applied.
// On Postgres, concurrent Migrate calls (two replicas starting at once) are
// serialised by an advisory lock held for the duration, scoped to the
// current schema; the second finds nothing left to do. On SQLite the
// single-process lock and SQLite's write lock do the same.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	return d.migrate(ctx, func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.Up(ctx) })
}

// MigrateTo applies the pending migrations up to version, as Migrate does,
// and returns how many it applied: a test of what a migration does to the
// rows it finds starts from the version before.
func (d *DB) MigrateTo(ctx context.Context, version int64) (int, error) {
	return d.migrate(ctx, func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.UpTo(ctx, version) })
}

func (d *DB) migrate(ctx context.Context, up func(p *goose.Provider) ([]*goose.MigrationResult, error)) (int, error) {
	p, err := d.provider()
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	if d.dialect.name == Postgres {
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		// Blocking, not a try-lock: the second migrator waits for the first
		// instead of polling. The lock dies with the connection, which is
		// what a migration wants (unlike cron leadership, see leases).
		const key = `hashtext('liaison-migrate:' || current_schema())`
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
			return 0, fmt.Errorf("migrate: take lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`) //nolint:errcheck // released with the connection anyway
	}
	res, err := up(p)
	if err != nil {
		return len(res), fmt.Errorf("migrate %s database: %w", d.dialect.name, err)
	}
	return len(res), nil
}

// MigrationStatus lists the embedded migrations and which are applied.
func (d *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{
			Version:   s.Source.Version,
			Name:      baseName(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// Ready reports whether the database answers and every migration is applied:
// the answer behind /readyz.
func (d *DB) Ready(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	p, err := d.provider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("read migration state: %w", err)
	}
	if pending {
		return fmt.Errorf("database has pending migrations: run liaison migrate")
	}
	return nil
}

// Tables returns each table of Liaison's schema with its column names in
// order, as the database reports them (goose's own bookkeeping excluded). The
// migration tests use it to prove both dialects build the same schema.
func (d *DB) Tables(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	var q string
	switch d.dialect.name {
	case Postgres:
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	default:
		q = `SELECT m.name AS table_name, c.name AS column_name
			FROM sqlite_master m JOIN pragma_table_info(m.name) c
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`
	}
	if err := d.db.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		if r.Table == "goose_db_version" {
			continue
		}
		out[r.Table] = append(out[r.Table], r.Column)
	}
	return out, nil
}
