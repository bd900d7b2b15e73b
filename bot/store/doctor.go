package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// DefaultPostgresConns is how many connections one Liaison process opens to
// Postgres at most (Options.MaxOpenConns unset): what each replica takes of
// the server's max_connections.
const DefaultPostgresConns = 16

// SQLiteFile returns the absolute path of the SQLite file rawURL names ("",
// "sqlite:PATH"; see Open), and ok false for a Postgres URL. An in-memory
// database is an error: each connection would see its own.
func SQLiteFile(rawURL string) (path string, ok bool, err error) {
	if rawURL != "" && !strings.HasPrefix(rawURL, "sqlite:") {
		return "", false, nil
	}
	path = strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
	if path == "" {
		path = DefaultSQLitePath
	}
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		return "", true, fmt.Errorf("open database: in-memory SQLite is not supported (each connection would see its own database); use a file path like sqlite:./liaison.db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", true, fmt.Errorf("open database %q: %w", path, err)
	}
	return abs, true, nil
}

// LockState says whether a SQLite database's single-process lock (see
// Options.Exclusive) is held, and by whom.
type LockState struct {
	// Path is the lock file, beside the database.
	Path string
	Held bool
	// PID is the process holding it as that process recorded it, or 0 when
	// unknown.
	PID int
}

// ProbeLock reports whether the single-process lock of the SQLite database
// at dbPath (see SQLiteFile) is held. It takes the lock for an instant when
// it is free, and creates no lock file: a database never opened is free.
func ProbeLock(dbPath string) (LockState, error) {
	st := LockState{Path: dbPath + ".lock"}
	held, pid, err := probeLock(st.Path)
	st.Held, st.PID = held, pid
	return st, err
}

// ServerFacts are what an operator checks about the database server.
type ServerFacts struct {
	// Version is the server's version: "16.4" on Postgres, the library's
	// "3.49.1" on SQLite.
	Version string
	// MaxConnections, Reserved and InUse are Postgres's max_connections,
	// its superuser_reserved_connections, and the client connections open
	// now (this one included); zero on SQLite.
	MaxConnections, Reserved, InUse int
}

// Server reads the database server's version and, on Postgres, its
// connection budget.
func (d *DB) Server(ctx context.Context) (ServerFacts, error) {
	var f ServerFacts
	if d.dialect.name == SQLite {
		err := d.db.GetContext(ctx, &f.Version, `SELECT sqlite_version()`)
		return f, err
	}
	row := d.db.QueryRowxContext(ctx, `SELECT current_setting('server_version'),
		current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int,
		(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')`)
	if err := row.Scan(&f.Version, &f.MaxConnections, &f.Reserved, &f.InUse); err != nil {
		return f, fmt.Errorf("read the Postgres server's settings: %w", err)
	}
	return f, nil
}
