package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/liaison-bot/liaison/bot"
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

// FirstSeen is Tx.FirstSeen committed (and, on Postgres, flushed) before
// it returns, outside any transaction: the path that answers a slash
// command, a click or a form. Calls that come while others are being
// written are written together, in one statement and one commit, each
// caller told whether its own key was new: one flush of the database's
// log per statement was what capped a busy app's commands (Postgres
// backends waiting on WALWrite, BenchmarkSlashCommand / bench/compare.sh).
func (d *DB) FirstSeen(ctx context.Context, now time.Time, kind, key string) (bool, error) {
	return d.recordSeen(ctx, kind, key, now.UTC())
}

type seenRequest struct {
	kind, key string
	now       time.Time
	done      chan seenResult
}

type seenResult struct {
	first bool
	err   error
}

// seenWriters is how many statements FirstSeen has in flight at most; the
// rest wait and go together in the next. One, on both dialects: SQLite has
// one writer anyway, and on Postgres a second writer (which measured best
// when each row was checked by ON CONFLICT) now only halves the batches.
// Signed /liaison help on one core (bench/slack-load, alternated), one
// writer against two: the same throughput when saturated (~20,000/s),
// Postgres CPU per command 11 µs against 15, and at 10,000/s a p99 of
// 7.5 ms against 8.7–20 ms with 30 µs against 43.
const seenWriters = 1

// seenBatchMax bounds a statement's records: SQLite's parameters, and a
// statement's size.
const seenBatchMax = 256

// seenRequests are FirstSeen's requests free for another call, each with
// its answer's channel: one of each a call was a fifth of a busy
// FirstSeen's allocations.
var seenRequests = sync.Pool{New: func() any { return &seenRequest{done: make(chan seenResult, 1)} }}

// recordSeen records a key with FirstSeen's batcher and waits for its
// answer.
func (d *DB) recordSeen(ctx context.Context, kind, key string, now time.Time) (bool, error) {
	r := seenRequests.Get().(*seenRequest)
	r.kind, r.key, r.now = kind, key, now
	d.seen.add(ctx, r, seenWriters, seenBatchMax, d.writeSeen)
	// Taken by a writer, it is written whatever ctx does: the answer must
	// say what happened.
	res := <-r.done
	*r = seenRequest{done: r.done} // its answer read, nothing refers to it
	seenRequests.Put(r)
	return res.first, res.err
}

// writeSeen records batch in one statement and answers each request: a key
// given twice in it is new for its first request only.
func (d *DB) writeSeen(ctx context.Context, batch []*seenRequest) {
	answer := func(err error, inserted map[[2]string]bool) {
		for _, r := range batch {
			k := [2]string{r.kind, r.key}
			r.done <- seenResult{first: inserted[k], err: err}
			delete(inserted, k) // a later request for the same key was not first
		}
	}
	q, args := d.seenInsert(batch)
	if d.dialect.name == Postgres {
		// All the keys are new, as they almost always are: when one was
		// seen before (a redelivery, or a key given twice in the batch)
		// the statement writes nothing and fails with a unique violation,
		// and seenInsert's runs instead.
		switch _, err := d.db.ExecContext(ctx, seenInsertNew, args...); {
		case err == nil:
			for _, r := range batch {
				r.done <- seenResult{first: true}
			}
			return
		case !isUniqueViolation(err) && !isDeadlock(err):
			answer(fmt.Errorf("record inbound events: %w", err), nil)
			return
		}
	}
	// A deadlock is still possible with a transaction writing the same
	// keys in another order (a delivery with several keys): the statement
	// that Postgres stopped wrote nothing, and runs again.
	var inserted map[[2]string]bool
	var err error
	for try := 1; ; try++ {
		inserted = map[[2]string]bool{}
		err = insertSeen(ctx, d.db, q, args, inserted)
		if !isDeadlock(err) || try == 3 {
			break
		}
	}
	if err != nil {
		answer(fmt.Errorf("record inbound events: %w", err), nil)
		return
	}
	answer(nil, inserted)
}

// seenInsertNew records a batch's keys (seenInsert's arguments) that
// are all new, and fails on one that is not: without ON CONFLICT, whose
// check before each row was two fifths of the statement's time in
// Postgres, and without returning the keys.
const seenInsertNew = `INSERT INTO inbound_events (kind, key, received_at)
	SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(kind, key, at) ORDER BY kind, key`

// isUniqueViolation reports whether err is Postgres refusing a row that
// repeats a unique key.
func isUniqueViolation(err error) bool { return pqCode(err) == "23505" }

// pqCode is the SQLSTATE of the Postgres error in err's chain; "" when
// there is none.
func pqCode(err error) pq.ErrorCode {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code
	}
	return ""
}

// seenInsert is the statement that records batch's keys, returning those
// it added.
func (d *DB) seenInsert(batch []*seenRequest) (string, []any) {
	if d.dialect.name == Postgres {
		kinds, keys, times := make([]string, len(batch)), make([]string, len(batch)), make([]string, len(batch))
		for i, r := range batch {
			kinds[i], keys[i], times[i] = r.kind, r.key, r.now.Format(time.RFC3339Nano)
		}
		// One statement text whatever the batch's size: prepared once.
		// The rows go in key order: two statements that share keys (a
		// request Slack delivered twice at once) then wait for each other
		// in the same order, never in a cycle.
		return `INSERT INTO inbound_events (kind, key, received_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(kind, key, at) ORDER BY kind, key
			ON CONFLICT (kind, key) DO NOTHING RETURNING kind, key`,
			[]any{textArray(kinds), textArray(keys), textArray(times)}
	}
	q := `INSERT INTO inbound_events (kind, key, received_at) VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, len(batch)-1) +
		` ON CONFLICT (kind, key) DO NOTHING RETURNING kind, key`
	args := make([]any, 0, 3*len(batch))
	for _, r := range batch {
		args = append(args, r.kind, r.key, r.now)
	}
	return q, args
}

// querier runs a statement that returns rows: the database or a
// transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// insertSeen runs seenInsert's statement and adds the records it added to
// inserted.
func insertSeen(ctx context.Context, db querier, q string, args []any, inserted map[[2]string]bool) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, key string
		if err := rows.Scan(&kind, &key); err != nil {
			return err
		}
		inserted[[2]string{kind, key}] = true
	}
	return rows.Err()
}

// InTxFirst runs fn as InTx does, for an event seen for the first time
// only: it records the event's identities (keys, as FirstSeen does) in
// fn's transaction, runs fn when every one of them was new, and reports
// whether it did. A redelivered event records nothing new and runs
// nothing; a failing fn rolls its records back, so the retry is processed.
//
// A group run without savepoints records the keys of all its items in
// one statement before the first runs: one round trip a group instead of
// one an item (BenchmarkDiscordIntake).
func (d *DB) InTxFirst(ctx context.Context, now time.Time, keys []bot.InboundKey, fn func(tx *Tx) error) (bool, error) {
	return d.inTxFirst(ctx, now, keys, fn, false)
}

// InTxFirstPure is InTxFirst for an fn whose only effects are tx's writes
// and its OnCommit functions: it keeps nothing else and changes nothing
// elsewhere. Its group may then run it before its keys are recorded, and
// record them with the group's intake in one statement (intake_batch.go):
// a group of such items is one round trip on Postgres. A redelivery's fn
// runs too, then; its group fails as it commits, writing nothing, and runs
// again with each item recording its own keys, so that nothing of the
// first run is kept and the caller hears that the event was not new, as
// from InTxFirst.
func (d *DB) InTxFirstPure(ctx context.Context, now time.Time, keys []bot.InboundKey, fn func(tx *Tx) error) (bool, error) {
	return d.inTxFirst(ctx, now, keys, fn, true)
}

func (d *DB) inTxFirst(ctx context.Context, now time.Time, keys []bot.InboundKey, fn func(tx *Tx) error, pure bool) (bool, error) {
	seen := make([]*seenRequest, len(keys))
	for i, k := range keys {
		seen[i] = &seenRequest{kind: k.Kind, key: k.Key, now: now.UTC()}
	}
	var first bool
	run := func(tx *Tx) (err error) {
		// Set on every run: the last one, which committed, is the answer.
		if first, err = tx.firstSeenAll(ctx, seen); err != nil || !first {
			return err
		}
		return fn(tx)
	}
	var err error
	if d.group == nil {
		err = d.plainTx(ctx, run)
	} else {
		err = d.groupTx(ctx, &groupItem{fn: run, seen: seen, pure: pure})
	}
	if err != nil {
		return false, err
	}
	return first, nil
}

// firstSeenAll records seen and reports whether every one was new: from
// what its group recorded ahead (Tx.seenAhead), or one by one.
func (tx *Tx) firstSeenAll(ctx context.Context, seen []*seenRequest) (bool, error) {
	all := true
	for _, r := range seen {
		var first bool
		if tx.seenAhead != nil {
			k := [2]string{r.kind, r.key}
			first = tx.seenAhead[k]
			delete(tx.seenAhead, k) // a later item with the same key is not first
		} else {
			var err error
			if first, err = tx.FirstSeen(ctx, r.now, r.kind, r.key); err != nil {
				return false, err
			}
		}
		all = all && first
	}
	return all, nil
}

// recordSeenAhead records, in sqltx, the keys of items that go through
// InTxFirst, in statements of at most seenBatchMax, and returns those it
// added.
func (d *DB) recordSeenAhead(ctx context.Context, sqltx querier, items []*groupItem) (map[[2]string]bool, error) {
	var batch []*seenRequest
	for _, it := range items {
		batch = append(batch, it.seen...)
	}
	inserted := map[[2]string]bool{}
	for len(batch) > 0 {
		n := min(len(batch), seenBatchMax)
		q, args := d.seenInsert(batch[:n])
		if err := insertSeen(ctx, sqltx, q, args, inserted); err != nil {
			return nil, fmt.Errorf("record inbound events: %w", err)
		}
		batch = batch[n:]
	}
	return inserted, nil
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
