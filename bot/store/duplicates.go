package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Duplicates and similarity: votes copied from a duplicate onto the item it
// was merged into (remembering where they came from, so that unmerging
// takes back exactly those), and the MinHash band keys that find the open
// items like a new one.

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

// SetFeedbackTerms replaces the similarity keys of item id, old, by terms.
// old are the keys of the text the item had, which the caller computes
// again: a key is found by itself ((term, feedback_id) is the primary key),
// so intake writes no index by item for this. Only the keys that changed
// are written; a key of terms stored already is kept.
func (tx *Tx) SetFeedbackTerms(ctx context.Context, id int64, old, terms []string) error {
	old, terms = distinct(old), distinct(terms)
	gone := slices.DeleteFunc(slices.Clone(old), func(k string) bool { _, found := slices.BinarySearch(terms, k); return found })
	added := slices.DeleteFunc(slices.Clone(terms), func(k string) bool { _, found := slices.BinarySearch(old, k); return found })
	if len(gone) > 0 {
		var err error
		if tx.db.dialect.name == Postgres {
			_, err = tx.exec(ctx, `DELETE FROM feedback_terms WHERE feedback_id = ? AND term = ANY(?::text[])`, id, pq.Array(gone))
		} else {
			keys, _ := json.Marshal(gone)
			_, err = tx.exec(ctx, `DELETE FROM feedback_terms WHERE feedback_id = ? AND term IN (SELECT value FROM json_each(?))`, id, string(keys))
		}
		if err != nil {
			return fmt.Errorf("similarity keys of feedback %d: %w", id, err)
		}
	}
	// A key may be stored already (the item's text changed once without
	// its keys): it stays, once.
	return tx.insertTerms(ctx, id, added, ` ON CONFLICT (term, feedback_id) DO NOTHING`)
}

// AddFeedbackTerms stores the similarity keys of a new item, which has
// none yet. The keys are made distinct here, so the insert needs no ON
// CONFLICT: on Postgres that made each key a speculative insertion, three
// times the cost of a plain one (~30 keys an item, the most expensive
// statement of intake).
func (tx *Tx) AddFeedbackTerms(ctx context.Context, id int64, terms []string) error {
	return tx.insertTerms(ctx, id, distinct(terms), "")
}

// insertTerms inserts the keys terms, distinct, of item id, the statement
// ending with onConflict.
func (tx *Tx) insertTerms(ctx context.Context, id int64, terms []string, onConflict string) error {
	if len(terms) == 0 {
		return nil
	}
	var err error
	if tx.db.dialect.name == Postgres {
		// One statement text whatever the number of keys: prepared once.
		_, err = tx.exec(ctx, `INSERT INTO feedback_terms (term, feedback_id) SELECT k.term, ?::bigint FROM unnest(?::text[]) AS k(term)`+onConflict, id, pq.Array(terms))
	} else {
		q := `INSERT INTO feedback_terms (term, feedback_id) VALUES (?, ?)` + strings.Repeat(`, (?, ?)`, len(terms)-1) + onConflict
		args := make([]any, 0, 2*len(terms))
		for _, t := range terms {
			args = append(args, t, id)
		}
		_, err = tx.exec(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("similarity keys of feedback %d: %w", id, err)
	}
	return nil
}

// distinct returns terms sorted, each once.
func distinct(terms []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(terms)))
}

// SimilarCandidate is an open item sharing similarity keys with a text.
type SimilarCandidate struct {
	ID     int64  `db:"id"`
	Title  string `db:"title"`
	Text   string `db:"text"`
	Shared int    `db:"shared"`
}

// postingCap is how many items of one similarity key's posting list
// SimilarCandidates reads, newest first: a key shared by thousands of items
// (a common word, a text posted again and again) costs as much as a rare
// one. The ranking prefers the newest items among equals anyway, so the
// candidates change only when an older item shares more keys than the
// postingCap newer ones sharing each of them.
const postingCap = 64

// rankedItem is an item of the similarity look-up and how many of its
// keys it shares.
type rankedItem struct {
	ID     int64 `db:"feedback_id"`
	Shared int   `db:"shared"`
}

// SimilarCandidates returns the open items (not closed, shipped, declined
// or merged) created since, but exclude, that share at least one of terms,
// most shared first (then newest first), at most limit.
//
// It reads the inverted index alone first (each key's posting list, newest
// first, at most postingCap items), then the items it ranks best, by id:
// index look-ups whose plan does not depend on the database's statistics,
// where one join of both tables was planned as a scan of all the items
// when they were missing (20 to 75 times slower in the benchmark).
func (tx *Tx) SimilarCandidates(ctx context.Context, terms []string, since time.Time, exclude int64, limit int) ([]SimilarCandidate, error) {
	if len(terms) == 0 || limit <= 0 {
		return nil, nil
	}
	terms = distinct(terms)
	var ranked []rankedItem
	var err error
	out := make([]SimilarCandidate, 0, limit)
	if tx.db.dialect.name == Postgres {
		var rows []similarRow
		err = tx.tx.SelectContext(ctx, &rows, tx.rebind(`WITH `+similarCTEs+` SELECT * FROM cands ORDER BY rn`),
			similarArgs(terms, exclude, limit, since)...)
		if err != nil {
			return nil, fmt.Errorf("similar feedback: %w", err)
		}
		out, ranked = firstBatch(rows, limit)
		if len(out) == limit {
			return out, nil
		}
	} else {
		// Each key's range of ids from its postingCap-th newest: a short
		// statement (SQLite parses every one it runs) served by the
		// primary key (term, feedback_id).
		keys, _ := json.Marshal(terms)
		err = tx.tx.SelectContext(ctx, &ranked, `SELECT t.feedback_id, COUNT(*) AS shared FROM json_each(?) AS k
			JOIN feedback_terms t ON t.term = k.value AND t.feedback_id >= COALESCE((SELECT feedback_id FROM feedback_terms
				WHERE term = k.value AND feedback_id <> ? ORDER BY feedback_id DESC LIMIT 1 OFFSET ?), 0)
			WHERE t.feedback_id <> ?
			GROUP BY t.feedback_id ORDER BY shared DESC, t.feedback_id DESC`, string(keys), exclude, postingCap-1, exclude)
	}
	if err != nil {
		return nil, fmt.Errorf("similar feedback: %w", err)
	}
	return tx.readRanked(ctx, out, ranked, limit, since)
}

// readRanked appends to out the open items of ranked, best first, a batch
// at a time, until out has limit.
func (tx *Tx) readRanked(ctx context.Context, out []SimilarCandidate, ranked []rankedItem, limit int, since time.Time) ([]SimilarCandidate, error) {
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

// similarCTEs is SimilarCandidates's look-up on Postgres, as common table
// expressions ending in cands (similarRow's columns, and rn, the rank):
// LATERAL … LIMIT, one backward index scan per key, whatever the planner
// guesses about the tables. The items ranked best (a first batch) are
// read by id in the same statement, each by its primary key: one round
// trip, most often the only one. Its arguments are similarArgs.
const similarCTEs = `ranked AS (
		SELECT p.feedback_id, COUNT(*) AS shared FROM unnest(?::text[]) AS k(term) CROSS JOIN LATERAL
			(SELECT t.feedback_id FROM feedback_terms t WHERE t.term = k.term AND t.feedback_id <> ? ORDER BY t.feedback_id DESC LIMIT ?) p
		GROUP BY p.feedback_id),
	numbered AS (SELECT feedback_id, shared, row_number() OVER (ORDER BY shared DESC, feedback_id DESC) AS rn FROM ranked),
	cands AS (SELECT n.feedback_id, n.shared, n.rn, n.rn <= ? AS looked, f.id IS NOT NULL AS open, COALESCE(f.title, '') AS title, COALESCE(f.text, '') AS text
		FROM numbered n LEFT JOIN LATERAL (SELECT id, title, text FROM feedback_items
			WHERE n.rn <= ? AND id = n.feedback_id AND created_at >= ? AND duplicate_of IS NULL AND status NOT IN (?, ?, ?) LIMIT 1) f ON TRUE)`

func similarArgs(terms []string, exclude int64, limit int, since time.Time) []any {
	return []any{pq.Array(terms), exclude, postingCap, 2 * limit, 2 * limit, since.UTC(), FeedbackClosed, FeedbackShipped, FeedbackDeclined}
}

// similarRow is a row of similarCTEs' cands.
type similarRow struct {
	rankedItem
	Rank   int64  `db:"rn"`
	Looked bool   `db:"looked"`
	Open   bool   `db:"open"`
	Title  string `db:"title"`
	Text   string `db:"text"`
}

// firstBatch splits rows into the open items of the first batch (at most
// limit) and the ranked items left to read.
func firstBatch(rows []similarRow, limit int) (out []SimilarCandidate, ranked []rankedItem) {
	out = make([]SimilarCandidate, 0, limit)
	for _, r := range rows {
		switch {
		case !r.Looked:
			ranked = append(ranked, r.rankedItem) // read after if the first batch is short
		case r.Open && len(out) < limit:
			out = append(out, SimilarCandidate{ID: r.ID, Title: r.Title, Text: r.Text, Shared: r.Shared})
		}
	}
	return out, ranked
}

// CreateFeedbackLike creates it as CreateFeedback does, stores its
// similarity keys (AddFeedbackTerms), and returns the open items sharing
// lookup as SimilarCandidates does (since, at most limit): on Postgres in
// one statement (what intake does for every message), whose look-up does
// not see the keys it stores. When it is not created (its source message
// has an item already) it is filled with that item and nothing is looked up.
func (tx *Tx) CreateFeedbackLike(ctx context.Context, now time.Time, it *FeedbackItem, keys, lookup []string, since time.Time, limit int) (bool, []SimilarCandidate, error) {
	if tx.db.dialect.name != Postgres || len(lookup) == 0 || limit <= 0 {
		created, err := tx.CreateFeedback(ctx, now, it)
		if err != nil || !created {
			return created, nil, err
		}
		if err := tx.AddFeedbackTerms(ctx, it.ID, keys); err != nil {
			return true, nil, err
		}
		cands, err := tx.SimilarCandidates(ctx, lookup, since, it.ID, limit)
		return true, cands, err
	}
	it.defaults(now)
	keys = distinct(keys)
	lookup = distinct(lookup)
	q := `WITH item AS (` + feedbackInsert + ` RETURNING id),
		keys AS (INSERT INTO feedback_terms (term, feedback_id) SELECT k.term, item.id FROM item CROSS JOIN unnest(?::text[]) AS k(term)),
		` + similarCTEs + `
		SELECT item.id, c.feedback_id, COALESCE(c.shared, 0), COALESCE(c.looked, FALSE), COALESCE(c.open, FALSE), COALESCE(c.title, ''), COALESCE(c.text, '')
		FROM item LEFT JOIN cands c ON TRUE ORDER BY c.rn`
	args := append(it.insertArgs(), pq.Array(keys))
	args = append(args, similarArgs(lookup, 0, limit, since)...)
	// Scanned by hand: sqlx's mapping of each row to a struct was a tenth
	// of intake's CPU in BenchmarkDiscordIntake.
	rows, err := tx.tx.QueryContext(ctx, tx.rebind(q), args...)
	if err != nil {
		return false, nil, fmt.Errorf("create feedback %s: %w", it.SourceKey, err)
	}
	defer rows.Close()
	var itemID int64
	var found []similarRow
	for rows.Next() {
		var r similarRow
		var cand sql.NullInt64
		if err := rows.Scan(&itemID, &cand, &r.Shared, &r.Looked, &r.Open, &r.Title, &r.Text); err != nil {
			return false, nil, fmt.Errorf("create feedback %s: %w", it.SourceKey, err)
		}
		if cand.Valid {
			r.ID = cand.Int64
			found = append(found, r)
		}
	}
	if err := rows.Err(); err != nil {
		return false, nil, fmt.Errorf("create feedback %s: %w", it.SourceKey, err)
	}
	rows.Close()
	if itemID == 0 {
		return false, nil, tx.loadExisting(ctx, it)
	}
	it.ID = itemID
	out, ranked := firstBatch(found, limit)
	if len(out) == limit {
		return true, out, nil
	}
	out, err = tx.readRanked(ctx, out, ranked, limit, since)
	return true, out, err
}

// openItemsByID returns those of items ids that are open (not closed,
// shipped, declined or merged) and created since, in no order. Postgres
// looks each up by primary key (LATERAL … LIMIT 1): a list of ids in
// IN (…) or a join was planned as a scan of the table when it had no
// statistics (never analyzed, as after a bulk load).
func (tx *Tx) openItemsByID(ctx context.Context, ids []int64, since time.Time) ([]SimilarCandidate, error) {
	var items []SimilarCandidate
	var err error
	if tx.db.dialect.name == Postgres {
		err = tx.tx.SelectContext(ctx, &items, tx.rebind(`SELECT f.id, f.title, f.text FROM unnest(?::bigint[]) AS u(id) CROSS JOIN LATERAL
			(SELECT id, title, text FROM feedback_items WHERE id = u.id AND created_at >= ? AND duplicate_of IS NULL AND status NOT IN (?, ?, ?) LIMIT 1) f`),
			pq.Array(ids), since.UTC(), FeedbackClosed, FeedbackShipped, FeedbackDeclined)
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
