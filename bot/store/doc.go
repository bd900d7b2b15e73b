// Package store persists Liaison's state with sqlx, on Postgres (lib/pq, the
// production store and the coordination engine between replicas) or SQLite
// (modernc.org/sqlite, pure Go, the embedded single-replica default).
//
// Each exported method of *DB is one transaction boundary. Work that must be
// atomic with other work (a state change and the outbox message it causes)
// runs inside DB.InTx, whose *Tx offers the same operations. Dialect
// differences live in dialect.go and nowhere else.
//
// Every time written is converted to UTC first; callers pass the time from
// their bot.Clock, never the database's own clock, so tests control time.
package store
