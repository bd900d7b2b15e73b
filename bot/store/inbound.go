package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
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
	return d.seen.record(ctx, d, seenRequest{kind: kind, key: key, now: now.UTC()})
}

// seenBatcher writes FirstSeen's records: the caller that finds a writer
// slot free writes what is waiting, its own record with it, and returns;
// whatever came meanwhile is written by a goroutine holding the slot until
// nothing waits. A caller that finds every slot taken waits for a writer
// to take its record.
type seenBatcher struct {
	mu      sync.Mutex
	waiting []*seenRequest
	writing int // writers holding a slot
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
// rest wait and go together in the next.
func (d *DB) seenWriters() int {
	if d.dialect.name == SQLite {
		return 1 // one writer at a time anyway
	}
	return 2
}

// seenBatchMax bounds a statement's records: SQLite's parameters, and a
// statement's size.
const seenBatchMax = 256

func (b *seenBatcher) record(ctx context.Context, d *DB, r seenRequest) (bool, error) {
	r.done = make(chan seenResult, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, &r)
	if b.writing < d.seenWriters() {
		b.writing++
		batch := b.take()
		b.mu.Unlock()
		d.writeSeen(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
		if len(b.waiting) > 0 {
			go b.drain(ctx, d) // the slot goes with it: this caller has its answer
		} else {
			b.writing--
		}
	}
	b.mu.Unlock()
	// Taken by a writer, it is written whatever ctx does: the answer must
	// say what happened.
	res := <-r.done
	return res.first, res.err
}

// drain writes what waits until nothing does, then gives its slot up.
func (b *seenBatcher) drain(ctx context.Context, d *DB) {
	b.mu.Lock()
	for len(b.waiting) > 0 {
		batch := b.take()
		b.mu.Unlock()
		d.writeSeen(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
	}
	b.writing--
	b.mu.Unlock()
}

// take removes the next statement's records from waiting; b.mu is held.
func (b *seenBatcher) take() []*seenRequest {
	batch := b.waiting[:min(len(b.waiting), seenBatchMax)]
	b.waiting = b.waiting[len(batch):]
	return batch
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
	var q string
	var args []any
	if d.dialect.name == Postgres {
		kinds, keys, times := make([]string, len(batch)), make([]string, len(batch)), make([]string, len(batch))
		for i, r := range batch {
			kinds[i], keys[i], times[i] = r.kind, r.key, r.now.Format(time.RFC3339Nano)
		}
		// One statement text whatever the batch's size: prepared once.
		// The rows go in key order: two statements that share keys (a
		// request Slack delivered twice at once) then wait for each other
		// in the same order, never in a cycle.
		q = `INSERT INTO inbound_events (kind, key, received_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(kind, key, at) ORDER BY kind, key
			ON CONFLICT (kind, key) DO NOTHING RETURNING kind, key`
		args = []any{pq.Array(kinds), pq.Array(keys), pq.Array(times)}
	} else {
		q = `INSERT INTO inbound_events (kind, key, received_at) VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, len(batch)-1) +
			` ON CONFLICT (kind, key) DO NOTHING RETURNING kind, key`
		for _, r := range batch {
			args = append(args, r.kind, r.key, r.now)
		}
	}
	// A deadlock is still possible with a transaction writing the same
	// keys in another order (a delivery with several keys): the statement
	// that Postgres stopped wrote nothing, and runs again.
	var inserted map[[2]string]bool
	var err error
	for try := 1; ; try++ {
		inserted, err = d.insertSeen(ctx, q, args)
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

// insertSeen runs writeSeen's statement and returns the records it added.
func (d *DB) insertSeen(ctx context.Context, q string, args []any) (map[[2]string]bool, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	inserted := map[[2]string]bool{}
	for rows.Next() {
		var kind, key string
		if err := rows.Scan(&kind, &key); err != nil {
			return nil, err
		}
		inserted[[2]string{kind, key}] = true
	}
	return inserted, rows.Err()
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
