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
	// pairs reads one parameter, a JSON array of {"k": text, "n": integer},
	// as rows (k, n): how a claim passes its per-lane caps in one value.
	pairs string
	// lockHeads is appended to the SELECT of the rows a claim starts each
	// lane with (the alias o): locked, and skipped when another claimer
	// holds them. Postgres re-reads a row it locks, so a lane another
	// replica claimed and committed since this statement's snapshot is
	// skipped too. SQLite's writers run one at a time.
	lockHeads string
	// idIn returns the condition that the column col is among the ids the
	// query q returns, in the form the planner turns into primary-key
	// lookups (for IN, Postgres may rather hash the whole table).
	idIn func(col, q string) string
}

var dialects = map[string]dialect{
	Postgres: {name: Postgres, skipLocked: " FOR UPDATE SKIP LOCKED", arrays: true, forUpdate: " FOR UPDATE",
		pairs:     `SELECT k, n FROM json_to_recordset(?::json) AS x(k text, n int)`,
		lockHeads: " FOR UPDATE OF o SKIP LOCKED",
		idIn:      func(col, q string) string { return col + " = ANY(ARRAY(" + q + "))" }},
	SQLite: {name: SQLite,
		pairs: `SELECT json_extract(value, '$.k') AS k, json_extract(value, '$.n') AS n FROM json_each(?)`,
		idIn:  func(col, q string) string { return col + " IN (" + q + ")" }},
}
