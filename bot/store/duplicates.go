package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Duplicates and similarity: votes copied from a duplicate onto the item it
// was merged into (remembering where they came from, so that unmerging
// takes back exactly those), and what the similarity index (in memory,
// handlers' similarIndex) reads: the texts it is built from, the items
// changed since, and the open ones among those it ranks.

// AddVoteVia counts voter's vote on item id as one that came from item via
// (merged into id), unless voter has a vote on id already, and reports
// whether it was new. The item's count is recomputed.
func (tx *Tx) AddVoteVia(ctx context.Context, now time.Time, id int64, voter string, via int64) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO feedback_votes (feedback_id, voter, created_at, via) VALUES (?, ?, ?, ?) ON CONFLICT (feedback_id, voter) DO NOTHING`,
		id, voter, now.UTC(), via)
	if err != nil {
		return false, fmt.Errorf("vote on feedback %d via %d: %w", id, via, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, tx.recountVotes(ctx, now, id)
}

// RemoveVotesVia takes back from item id the votes that came from item via
// (all of them when voter is "", else voter's), and reports how many.
func (tx *Tx) RemoveVotesVia(ctx context.Context, now time.Time, id int64, via int64, voter string) (int, error) {
	q, args := `DELETE FROM feedback_votes WHERE feedback_id = ? AND via = ?`, []any{id, via}
	if voter != "" {
		q += ` AND voter = ?`
		args = append(args, voter)
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("take back votes of %d from %d: %w", via, id, err)
	}
	n, _ := res.RowsAffected()
	return int(n), tx.recountVotes(ctx, now, id)
}

func (tx *Tx) recountVotes(ctx context.Context, now time.Time, id int64) error {
	_, err := tx.exec(ctx, `UPDATE feedback_items SET votes = (SELECT COUNT(*) FROM feedback_votes WHERE feedback_id = ?), updated_at = ? WHERE id = ?`,
		id, now.UTC(), id)
	if err != nil {
		return fmt.Errorf("count votes of feedback %d: %w", id, err)
	}
	return nil
}

// Duplicates returns the ids of the items merged into item id, oldest
// first.
func (tx *Tx) Duplicates(ctx context.Context, id int64) ([]int64, error) {
	var out []int64
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT id FROM feedback_items WHERE duplicate_of = ? ORDER BY id`), id); err != nil {
		return nil, fmt.Errorf("duplicates of feedback %d: %w", id, err)
	}
	return out, nil
}

// Ranked is an item the similarity index (in memory, see handlers)
// found like a text, and how many of its keys it shares.
type Ranked struct {
	ID     int64
	Shared int
}

// SimilarCandidate is an open item like a text: what the index ranked,
// read back from the items.
type SimilarCandidate struct {
	ID     int64  `db:"id"`
	Title  string `db:"title"`
	Text   string `db:"text"`
	Shared int    `db:"-"`
}

// SimilarItems returns those of ranked (best first) that are open (not
// closed, shipped, declined or merged) and created since, in that order, at
// most limit: the index ranks by text, the items say which are still open.
// They are read a batch of 2×limit at a time, until limit are found.
func (tx *Tx) SimilarItems(ctx context.Context, ranked []Ranked, limit int, since time.Time) ([]SimilarCandidate, error) {
	out := make([]SimilarCandidate, 0, limit)
	for len(ranked) > 0 && len(out) < limit {
		batch := ranked[:min(len(ranked), 2*limit)]
		ranked = ranked[len(batch):]
		ids := make([]int64, len(batch))
		for i, r := range batch {
			ids[i] = r.ID
		}
		items, err := tx.openItemsByID(ctx, ids, since)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]SimilarCandidate, len(items))
		for _, it := range items {
			byID[it.ID] = it
		}
		for _, r := range batch {
			if it, ok := byID[r.ID]; ok && len(out) < limit {
				it.Shared = r.Shared
				out = append(out, it)
			}
		}
	}
	return out, nil
}

// Like is an item a new one looks like, and how much (0 to 1).
type Like struct {
	ID    int64
	Score float64
	// Open says the item was read open and created since the window's
	// start before the new one's transaction (DB.FirstOpenLike), so a
	// batched intake takes it without reading it again.
	Open bool
}

// FirstOpenLike returns the first of like that is open and created since,
// read now, outside any transaction, marked Open; none when none is. It is
// for intake to choose its look-alike before its transaction, whose turn in
// a group commit then makes no round trip for it (chooseLike). On SQLite,
// where nothing is batched, it returns like as it is.
func (d *DB) FirstOpenLike(ctx context.Context, like []Like, since time.Time) ([]Like, error) {
	if d.dialect.name != Postgres || len(like) == 0 {
		return like, nil
	}
	return d.readOpenLike(ctx, like, since)
}

// createLike creates it as createFeedback does (id drawn, or 0), noting as
// the item it looks like the first of like that is open and created since
// (CreateFeedbackRelayed): on Postgres in the item's INSERT.
func (tx *Tx) createLike(ctx context.Context, now time.Time, it *FeedbackItem, like []Like, since time.Time, id int64) (bool, error) {
	it.SimilarTo, it.SimilarScore = nil, 0
	if len(like) == 0 {
		return tx.createFeedback(ctx, now, it, id)
	}
	ids := make([]int64, len(like))
	for i, l := range like {
		ids[i] = l.ID
	}
	if tx.db.dialect.name != Postgres {
		open, err := tx.openItemsByID(ctx, ids, since)
		if err != nil {
			return false, err
		}
		for _, l := range like {
			if slices.ContainsFunc(open, func(c SimilarCandidate) bool { return c.ID == l.ID }) {
				it.SimilarTo, it.SimilarScore = &l.ID, l.Score
				break
			}
		}
		return tx.createFeedback(ctx, now, it, id)
	}
	it.defaults(now)
	scores := make([]float64, len(like))
	for i, l := range like {
		scores[i] = l.Score
	}
	// The first open one of like, in like's order, each looked up by
	// primary key (LATERAL … LIMIT 1): as EXISTS, the look-up was planned
	// as a scan of all the items, six times the insert's cost.
	insert, insertArgs := insertFeedback(it, id)
	q := `WITH best AS (` + openLikeFirst + `) ` +
		strings.Replace(insert, feedbackInsertLike, `(SELECT id FROM best), COALESCE((SELECT score FROM best), 0)`, 1) +
		` RETURNING id, similar_to, similar_score`
	args := append([]any{pq.Array(ids), pq.Array(scores), since.UTC(), FeedbackClosed, FeedbackShipped, FeedbackDeclined}, insertArgs...)
	args = args[:len(args)-2] // the similar item and score are chosen above
	var row struct {
		ID    int64         `db:"id"`
		Like  sql.NullInt64 `db:"similar_to"`
		Score float64       `db:"similar_score"`
	}
	err := tx.tx.QueryRowxContext(ctx, tx.rebind(q), args...).Scan(&row.ID, &row.Like, &row.Score)
	if errors.Is(err, sql.ErrNoRows) {
		return false, tx.loadExisting(ctx, it)
	}
	if err != nil {
		return false, fmt.Errorf("create feedback %s: %w", it.SourceKey, err)
	}
	it.ID = row.ID
	if row.Like.Valid {
		it.SimilarTo, it.SimilarScore = &row.Like.Int64, row.Score
	}
	return true, nil
}

// openLikeFirst selects, on Postgres, the first of the items whose ids
// are its first argument (an array, their scores the second) that is open
// and created since its third.
const openLikeFirst = `SELECT u.id, u.score FROM unnest(?::bigint[], ?::float8[]) WITH ORDINALITY AS u(id, score, ord)
	` + openLikeLateral + ` ORDER BY u.ord LIMIT 1`

// openLikeLateral keeps the rows of u (an id each) whose item is open and
// created since its argument, each looked up by primary key.
const openLikeLateral = `CROSS JOIN LATERAL (SELECT 1 FROM feedback_items f WHERE f.id = u.id AND f.created_at >= ? AND f.duplicate_of IS NULL AND f.status NOT IN (?, ?, ?) LIMIT 1) f`

// openByID selects, on Postgres, those of the items whose ids are its first
// argument (an array) that are open and created since its second: each
// looked up by primary key (LATERAL … LIMIT 1), where a list of ids in
// IN (…) or a join was planned as a scan of the table when it had no
// statistics (never analyzed, as after a bulk load).
const openByID = `SELECT f.id, f.title, f.text FROM unnest(?::bigint[]) AS u(id) CROSS JOIN LATERAL
			(SELECT id, title, text FROM feedback_items WHERE id = u.id AND created_at >= ? AND duplicate_of IS NULL AND status NOT IN (?, ?, ?) LIMIT 1) f`

// openItemsByID returns those of items ids that are open (not closed,
// shipped, declined or merged) and created since, in no order.
func (tx *Tx) openItemsByID(ctx context.Context, ids []int64, since time.Time) ([]SimilarCandidate, error) {
	var items []SimilarCandidate
	var err error
	if tx.db.dialect.name == Postgres {
		err = tx.tx.SelectContext(ctx, &items, tx.rebind(openByID), pq.Array(ids), since.UTC(), FeedbackClosed, FeedbackShipped, FeedbackDeclined)
	} else {
		args := make([]any, 0, len(ids)+4)
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, since.UTC(), FeedbackClosed, FeedbackShipped, FeedbackDeclined)
		err = tx.tx.SelectContext(ctx, &items, tx.rebind(`SELECT id, title, text FROM feedback_items
			WHERE id IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`) AND created_at >= ? AND duplicate_of IS NULL AND status NOT IN (?, ?, ?)`), args...)
	}
	if err != nil {
		return nil, fmt.Errorf("similar feedback: %w", err)
	}
	return items, nil
}

// IndexedText is what the similarity index reads of an item.
type IndexedText struct {
	ID        int64     `db:"id"`
	Title     string    `db:"title"`
	Text      string    `db:"text"`
	Merged    bool      `db:"merged"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

const indexedColumns = `id, title, text, duplicate_of IS NOT NULL AS merged, created_at, updated_at`

// TextsToIndex calls fn with each item created since that is not merged,
// in the order of their ids, and returns the latest updated_at of all the
// items (what a later FeedbackChangedSince starts from): how the similarity
// index is loaded, in this transaction.
func (tx *Tx) TextsToIndex(ctx context.Context, since time.Time, fn func(IndexedText) error) (time.Time, error) {
	// Not MAX(updated_at): SQLite's aggregate loses the column's type.
	var latest []time.Time
	if err := tx.tx.SelectContext(ctx, &latest, `SELECT updated_at FROM feedback_items ORDER BY updated_at DESC LIMIT 1`); err != nil {
		return time.Time{}, fmt.Errorf("feedback to index: %w", err)
	}
	rows, err := tx.tx.QueryxContext(ctx, tx.rebind(`SELECT `+indexedColumns+` FROM feedback_items WHERE created_at >= ? AND duplicate_of IS NULL ORDER BY id`), since.UTC())
	if err != nil {
		return time.Time{}, fmt.Errorf("feedback to index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it IndexedText
		if err := rows.StructScan(&it); err != nil {
			return time.Time{}, fmt.Errorf("feedback to index: %w", err)
		}
		it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
		if err := fn(it); err != nil {
			return time.Time{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("feedback to index: %w", err)
	}
	if len(latest) == 0 {
		return time.Time{}, nil
	}
	return latest[0].UTC(), nil
}

// FeedbackChange is an item's id and when it last changed.
type FeedbackChange struct {
	ID        int64     `db:"id"`
	UpdatedAt time.Time `db:"updated_at"`
}

// FeedbackChangedSince returns the items changed (updated_at) since, oldest
// change first: how one replica's similarity index learns of the items
// other replicas created, edited or merged. Postgres only, where
// feedback_items_updated serves it (SQLite has one replica).
func (d *DB) FeedbackChangedSince(ctx context.Context, since time.Time) ([]FeedbackChange, error) {
	var out []FeedbackChange
	if err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT id, updated_at FROM feedback_items WHERE updated_at >= ? ORDER BY updated_at`), since.UTC()); err != nil {
		return nil, fmt.Errorf("feedback changed since %s: %w", since.Format(time.RFC3339), err)
	}
	for i := range out {
		out[i].UpdatedAt = out[i].UpdatedAt.UTC()
	}
	return out, nil
}

// TextsByID returns the items ids as the similarity index reads them, in
// no order.
func (d *DB) TextsByID(ctx context.Context, ids []int64) ([]IndexedText, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []IndexedText
	q, args, err := sqlx.In(`SELECT `+indexedColumns+` FROM feedback_items WHERE id IN (?)`, ids)
	if err == nil {
		err = d.db.SelectContext(ctx, &out, d.db.Rebind(q), args...)
	}
	if err != nil {
		return nil, fmt.Errorf("feedback to index: %w", err)
	}
	for i := range out {
		out[i].CreatedAt, out[i].UpdatedAt = out[i].CreatedAt.UTC(), out[i].UpdatedAt.UTC()
	}
	return out, nil
}

// PostedReplies returns the replies posted in Discord for item id, oldest
// first.
func (d *DB) PostedReplies(ctx context.Context, id int64) ([]Draft, error) {
	var out []Draft
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT `+draftColumns+` FROM drafts WHERE feedback_id = ? AND status = 'posted' ORDER BY posted_at, id`), id)
	if err != nil {
		return nil, fmt.Errorf("replies to feedback %d: %w", id, err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}
