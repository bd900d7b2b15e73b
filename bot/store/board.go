package store

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// BoardPost is an item's post on the public status board (feedback.board):
// the outbox message that opens it, the edits enqueued since, and a hash
// of what it shows now.
type BoardPost struct {
	FeedbackID int64  `db:"feedback_id"`
	ForumID    string `db:"forum_id"`
	PostKey    string `db:"post_key"`
	Edits      int    `db:"edits"`
	Shown      string `db:"shown"`
	// ThreadID is the post's thread id once Discord has it (the outbox
	// message is sent); "" before.
	ThreadID string `db:"thread_id"`
}

// LastKey is the key of the last outbox message that touched the post:
// its opening, or its last edit. The next edit waits for it.
func (p *BoardPost) LastKey() string {
	if p.Edits == 0 {
		return p.PostKey
	}
	return fmt.Sprintf("%s:edit:%d", p.PostKey, p.Edits)
}

const boardSelect = `SELECT b.feedback_id, b.forum_id, b.post_key, b.edits, b.shown, COALESCE(o.platform_id, '') AS thread_id
	FROM feedback_board b LEFT JOIN outbox o ON o.key = b.post_key`

// BoardPost returns item id's board post, nil when it has none.
func (tx *Tx) BoardPost(ctx context.Context, id int64) (*BoardPost, error) {
	var ps []BoardPost
	if err := tx.tx.SelectContext(ctx, &ps, tx.rebind(boardSelect+` WHERE b.feedback_id = ?`), id); err != nil {
		return nil, fmt.Errorf("board post of feedback %d: %w", id, err)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return &ps[0], nil
}

// OpenBoardPost enqueues m, the opening of item id's post in forumID, and
// records the post as showing shown. An item has one post: a second call
// changes nothing and reports false.
func (tx *Tx) OpenBoardPost(ctx context.Context, now time.Time, id int64, forumID, shown string, m *bot.OutboxMessage) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO feedback_board (feedback_id, forum_id, post_key, shown, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (feedback_id) DO NOTHING`, id, forumID, m.Key, shown, now.UTC(), now.UTC())
	if err != nil {
		return false, fmt.Errorf("board post of feedback %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.Enqueue(ctx, now, m); err != nil {
		return false, err
	}
	return true, nil
}

// EditBoardPost enqueues m, the next edit of p (its key p's next, its
// parent p.LastKey()), and records that the post shows shown.
func (tx *Tx) EditBoardPost(ctx context.Context, now time.Time, p *BoardPost, shown string, m *bot.OutboxMessage) error {
	if _, err := tx.Enqueue(ctx, now, m); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `UPDATE feedback_board SET edits = edits + 1, shown = ?, updated_at = ? WHERE feedback_id = ? AND edits = ?`,
		shown, now.UTC(), p.FeedbackID, p.Edits)
	if err != nil {
		return fmt.Errorf("edit the board post of feedback %d: %w", p.FeedbackID, err)
	}
	p.Edits++
	p.Shown = shown
	return nil
}

// NextEditKey is the key of the next edit of p.
func (p *BoardPost) NextEditKey() string {
	return fmt.Sprintf("%s:edit:%d", p.PostKey, p.Edits+1)
}

// FeedbackByBoardPost returns the item whose board post is the Discord
// thread threadID, locked for update, or a bot.ENotFound error.
func (tx *Tx) FeedbackByBoardPost(ctx context.Context, threadID string) (*FeedbackItem, error) {
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`SELECT b.feedback_id FROM feedback_board b JOIN outbox o ON o.key = b.post_key
		WHERE o.platform_channel = ? AND o.platform_id = ?`), threadID, threadID)
	if err != nil {
		return nil, fmt.Errorf("feedback by board post %s: %w", threadID, err)
	}
	if len(ids) == 0 {
		return nil, bot.Errorf(bot.ENotFound, "That post is not on the feedback board.")
	}
	return tx.Feedback(ctx, ids[0])
}
