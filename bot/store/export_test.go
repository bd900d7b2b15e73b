package store

import (
	"context"
	"database/sql/driver"
	"time"

	"github.com/jmoiron/sqlx"
)

// What the store's external tests may reach that the product may not.

// Exec runs a statement written with ? placeholders.
func (d *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(q), args...)
	return err
}

// Exec runs a statement written with ? placeholders in the transaction.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) error {
	_, err := tx.exec(ctx, q, args...)
	return err
}

// Queued is how many transactions wait for a committer.
func (d *DB) Queued() int {
	if d.group == nil {
		return 0
	}
	return len(d.group.queue)
}

// Conn is one connection of the pool, for tests of what a connection keeps.
func (d *DB) Conn(ctx context.Context) (*sqlx.Conn, error) { return d.db.Connx(ctx) }

// WithBusyTimeout sets SQLite's busy_timeout, so that a test sees in
// milliseconds what a writer left to SQLite's polling would see in 10 s.
func WithBusyTimeout(o Options, d time.Duration) Options {
	o.busyTimeout = d
	return o
}

// Get reads one row in tx, written with ? placeholders.
func (tx *Tx) Get(ctx context.Context, dest any, q string, args ...any) error {
	return tx.tx.GetContext(ctx, dest, tx.tx.Rebind(q), args...)
}

// Get reads one row written with ? placeholders.
func (d *DB) Get(ctx context.Context, dest any, q string, args ...any) error {
	return d.db.GetContext(ctx, dest, d.db.Rebind(q), args...)
}

// WriteSeen writes records of kind for keys in one of FirstSeen's
// statements, in the order given, and returns which were new.
func (d *DB) WriteSeen(ctx context.Context, now time.Time, kind string, keys []string) ([]bool, error) {
	batch := make([]*seenRequest, len(keys))
	for i, k := range keys {
		batch[i] = &seenRequest{kind: kind, key: k, now: now, done: make(chan seenResult, 1)}
	}
	d.writeSeen(ctx, batch)
	firsts := make([]bool, len(keys))
	for i, r := range batch {
		res := <-r.done
		if res.err != nil {
			return nil, res.err
		}
		firsts[i] = res.first
	}
	return firsts, nil
}

// StopFeedbackIDClock makes the item id blocks of d see time stand still,
// as if every item came at once.
func (d *DB) StopFeedbackIDClock() {
	at := time.Now()
	d.feedbackIDs.mu.Lock()
	d.feedbackIDs.now = func() time.Time { return at }
	d.feedbackIDs.mu.Unlock()
}

// FeedbackIDDraws counts the blocks of item ids d drew in a group and
// ahead of need.
func (d *DB) FeedbackIDDraws() (inGroup, ahead int) {
	d.feedbackIDs.mu.Lock()
	defer d.feedbackIDs.mu.Unlock()
	return d.feedbackIDs.inGroup, d.feedbackIDs.drawnAhead
}

// BinaryTextArray is a as a text[] parameter in binary form.
func BinaryTextArray(a []string) driver.Valuer { return binaryTextArray(a) }
