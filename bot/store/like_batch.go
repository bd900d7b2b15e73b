package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// openRequest is a FirstOpenLike read on Postgres. The reads go through a
// batcher (DB.opens): those of the commands that come together are one
// statement. Each was a round trip, a statement for Postgres to run, and
// 7-8 % of the saturated /feedback server's CPU in lib/pq and database/sql.
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

// readOpenLike reads like's first open look-alike with the batcher. A
// caller whose ctx ends goes on without its answer (which, when it comes,
// goes to r.done's buffer).
func (d *DB) readOpenLike(ctx context.Context, like []Like, since time.Time) ([]Like, error) {
	r := &openRequest{like: like, since: since, done: make(chan openResult, 1)}
	d.opens.add(ctx, r, 1, openBatchMax, d.readOpen)
	select {
	case res := <-r.done:
		return res.best, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readOpen answers each request of batch with the first of its like that
// is open and created since its since, marked Open, in one statement. The
// window starts at the batch's earliest since: the requests of a batch
// came within a few milliseconds, and the window is 90 days.
func (d *DB) readOpen(ctx context.Context, batch []*openRequest) {
	ctx, cancel := context.WithTimeout(ctx, openReadTimeout)
	defer cancel()
	likes := make([][]Like, len(batch))
	since := batch[0].since
	for i, r := range batch {
		likes[i] = r.like
		if r.since.Before(since) {
			since = r.since
		}
	}
	best, err := firstOpenOfEach(ctx, d.db, likes, since)
	for i, r := range batch {
		if err != nil {
			r.done <- openResult{err: fmt.Errorf("open look-alikes: %w", err)}
			continue
		}
		r.done <- openResult{best: best[i]}
	}
}

// firstOpenOfEach reads through q (Postgres), in one statement, the first
// of each of likes that is open and created since, marked Open: none for
// a list of which none is.
func firstOpenOfEach(ctx context.Context, q sqlx.QueryerContext, likes [][]Like, since time.Time) ([][]Like, error) {
	var reqs, ids []int64
	var scores []float64
	for i, like := range likes {
		for _, l := range like {
			reqs, ids, scores = append(reqs, int64(i)), append(ids, l.ID), append(scores, l.Score)
		}
	}
	var rows []struct {
		Req   int     `db:"req"`
		ID    int64   `db:"id"`
		Score float64 `db:"score"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, firstOpenLike, pq.Array(reqs), pq.Array(ids), pq.Array(scores), since.UTC(),
		FeedbackClosed, FeedbackShipped, FeedbackDeclined); err != nil {
		return nil, err
	}
	best := make([][]Like, len(likes))
	for _, row := range rows {
		if row.Req >= 0 && row.Req < len(best) {
			best[row.Req] = []Like{{ID: row.ID, Score: row.Score, Open: true}}
		}
	}
	return best, nil
}

// firstOpenLike is openLikeFirst for many lists at once: for each list
// (req, its index), the first of its look-alikes, in their order, that is
// open and created since. It reads only items that were in the similarity
// index, which holds committed items, never the new ones a batch puts off:
// so in a group it runs before the batch is written (see
// stmtCacheConn.beforeStatement), and an item with look-alikes stays in it.
var firstOpenLike = sqlx.Rebind(sqlx.DOLLAR, `SELECT DISTINCT ON (u.req) u.req, u.id, u.score
	FROM unnest(?::int[], ?::bigint[], ?::float8[]) WITH ORDINALITY AS u(req, id, score, ord)
	`+openLikeLateral+` ORDER BY u.req, u.ord`)
