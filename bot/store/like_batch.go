package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// openBatcher reads FirstOpenLike's look-alikes on Postgres: the caller
// that finds no read under way reads what is waiting, its own request with
// it, in one statement, and returns; whatever came meanwhile is read by a
// goroutine until nothing waits. One statement a batch instead of one a
// command: each was a round trip, a statement for Postgres to run, and a
// tenth of the /feedback server's CPU in lib/pq and database/sql.
type openBatcher struct {
	mu      sync.Mutex
	waiting []*openRequest
	reading bool
}

type openRequest struct {
	like  []Like
	since time.Time
	done  chan openResult
}

type openResult struct {
	best []Like
	err  error
}

// openBatchMax bounds a statement's requests, and openReadTimeout how long
// one may take: a read that does not come back must not hold up the reads
// queued behind it for good (a caller whose own context ends goes on
// without its answer, and its transaction reads the look-alike instead).
const (
	openBatchMax    = 128
	openReadTimeout = 5 * time.Second
)

func (b *openBatcher) read(ctx context.Context, d *DB, like []Like, since time.Time) ([]Like, error) {
	r := &openRequest{like: like, since: since, done: make(chan openResult, 1)}
	b.mu.Lock()
	b.waiting = append(b.waiting, r)
	if !b.reading {
		b.reading = true
		batch := b.take()
		b.mu.Unlock()
		d.readOpen(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
		if len(b.waiting) > 0 {
			go b.drain(ctx, d) // the read goes on without this caller, who has its answer
		} else {
			b.reading = false
		}
	}
	b.mu.Unlock()
	select {
	case res := <-r.done:
		return res.best, res.err
	case <-ctx.Done():
		return nil, ctx.Err() // the answer, when it comes, goes to r.done's buffer
	}
}

func (b *openBatcher) drain(ctx context.Context, d *DB) {
	b.mu.Lock()
	for len(b.waiting) > 0 {
		batch := b.take()
		b.mu.Unlock()
		d.readOpen(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
	}
	b.reading = false
	b.mu.Unlock()
}

// take removes the next statement's requests from waiting; b.mu is held.
func (b *openBatcher) take() []*openRequest {
	batch := b.waiting[:min(len(b.waiting), openBatchMax)]
	b.waiting = b.waiting[len(batch):]
	return batch
}

// readOpen answers each request of batch with the first of its like that
// is open and created since its since, marked Open, in one statement. The
// window starts at the batch's earliest since: the requests of a batch
// came within a few milliseconds, and the window is 90 days.
func (d *DB) readOpen(ctx context.Context, batch []*openRequest) {
	ctx, cancel := context.WithTimeout(ctx, openReadTimeout)
	defer cancel()
	var reqs []int64
	var ids []int64
	var scores []float64
	since := batch[0].since
	for i, r := range batch {
		for _, l := range r.like {
			reqs, ids, scores = append(reqs, int64(i)), append(ids, l.ID), append(scores, l.Score)
		}
		if r.since.Before(since) {
			since = r.since
		}
	}
	var rows []struct {
		Req   int     `db:"req"`
		ID    int64   `db:"id"`
		Score float64 `db:"score"`
	}
	err := sqlx.SelectContext(ctx, d.db, &rows, openLikeEach, pq.Array(reqs), pq.Array(ids), pq.Array(scores), since.UTC(),
		FeedbackClosed, FeedbackShipped, FeedbackDeclined)
	best := make([][]Like, len(batch))
	for _, row := range rows {
		if row.Req >= 0 && row.Req < len(best) {
			best[row.Req] = []Like{{ID: row.ID, Score: row.Score, Open: true}}
		}
	}
	for i, r := range batch {
		if err != nil {
			r.done <- openResult{err: fmt.Errorf("open look-alikes: %w", err)}
			continue
		}
		r.done <- openResult{best: best[i]}
	}
}

// openLikeEach is openLikeFirst for many requests at once: for each
// request (req, a batch's index), the first of its look-alikes, in their
// order, that is open and created since.
var openLikeEach = sqlx.Rebind(sqlx.DOLLAR, `SELECT DISTINCT ON (u.req) u.req, u.id, u.score
	FROM unnest(?::int[], ?::bigint[], ?::float8[]) WITH ORDINALITY AS u(req, id, score, ord)
	CROSS JOIN LATERAL (SELECT 1 FROM feedback_items f WHERE f.id = u.id AND f.created_at >= ? AND f.duplicate_of IS NULL AND f.status NOT IN (?, ?, ?) LIMIT 1) f
	ORDER BY u.req, u.ord`)
