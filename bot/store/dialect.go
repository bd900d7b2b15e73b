package store

import "github.com/jmoiron/sqlx"

func init() {
	// modernc.org/sqlite registers itself as "sqlite", a name sqlx does not
	// know; tell it the driver uses ? placeholders.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Dialect names, as used by goose and the migrations directory.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// dialect holds the few pieces of SQL that differ between Postgres and SQLite.
// Queries are written with ? placeholders and rebound by sqlx.
type dialect struct {
	name string
	// skipLocked is appended to the SELECT that picks outbox rows to claim,
	// so several dispatchers on one Postgres never claim the same row. SQLite
	// has one writer at a time, which gives the same guarantee.
	skipLocked string
	// arrays: the driver binds Go slices as SQL arrays that unnest() reads,
	// so a batch of rows is updated in one statement (Postgres). Elsewhere a
	// batch is one statement per row inside one transaction, which on an
	// embedded database costs no round trips.
	arrays bool
	// forUpdate locks the rows a read-modify-write transaction selects, so
	// two clicks on one item serialise (Postgres, read committed). SQLite's
	// write transactions already run one at a time.
	forUpdate string
}

var dialects = map[string]dialect{
	Postgres: {name: Postgres, skipLocked: " FOR UPDATE SKIP LOCKED", arrays: true, forUpdate: " FOR UPDATE"},
	SQLite:   {name: SQLite},
}
