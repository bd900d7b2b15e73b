package store

import (
	"context"
	"fmt"
	"strings"
	"time"
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

// SetFeedbackTerms replaces the similarity keys of item id.
func (tx *Tx) SetFeedbackTerms(ctx context.Context, id int64, terms []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM feedback_terms WHERE feedback_id = ?`, id); err != nil {
		return fmt.Errorf("similarity keys of feedback %d: %w", id, err)
	}
	if len(terms) == 0 {
		return nil
	}
	q := `INSERT INTO feedback_terms (term, feedback_id) VALUES (?, ?)` + strings.Repeat(`, (?, ?)`, len(terms)-1) + ` ON CONFLICT DO NOTHING`
	args := make([]any, 0, 2*len(terms))
	for _, t := range terms {
		args = append(args, t, id)
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("similarity keys of feedback %d: %w", id, err)
	}
	return nil
}

// SimilarCandidate is an open item sharing similarity keys with a text.
type SimilarCandidate struct {
	ID     int64  `db:"id"`
	Title  string `db:"title"`
	Text   string `db:"text"`
	Shared int    `db:"shared"`
}

// SimilarCandidates returns the open items (not closed, shipped, declined
// or merged) created since, but exclude, that share at least one of terms,
// most shared first, at most limit.
func (tx *Tx) SimilarCandidates(ctx context.Context, terms []string, since time.Time, exclude int64, limit int) ([]SimilarCandidate, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(terms)+6)
	for _, t := range terms {
		args = append(args, t)
	}
	args = append(args, exclude, since.UTC(), FeedbackClosed, FeedbackShipped, FeedbackDeclined, limit)
	var out []SimilarCandidate
	err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT f.id, f.title, f.text, c.shared FROM
		(SELECT feedback_id, COUNT(*) AS shared FROM feedback_terms WHERE term IN (?`+strings.Repeat(`, ?`, len(terms)-1)+`) GROUP BY feedback_id) c
		JOIN feedback_items f ON f.id = c.feedback_id
		WHERE f.id <> ? AND f.created_at >= ? AND f.duplicate_of IS NULL AND f.status NOT IN (?, ?, ?)
		ORDER BY c.shared DESC, f.id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("similar feedback: %w", err)
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
