package store

import (
	"context"
	"fmt"
	"time"
)

// What the digest leaves out of its public figures: messages moderation
// removed, and members moderation removed or silenced.

// RemovedMessage is a message automod or a moderator deleted.
type RemovedMessage struct {
	GuildID, ChannelID, MessageID, AuthorID string
	SentAt                                  time.Time
	RemovedBy                               string // "automod", or the moderator's Discord id
}

// RecordRemovedMessage notes that m was removed by moderation, once
// however often it is recorded.
func (tx *Tx) RecordRemovedMessage(ctx context.Context, m RemovedMessage) error {
	_, err := tx.exec(ctx, `INSERT INTO mod_removed_messages (guild_id, message_id, channel_id, author_id, sent_at, removed_by) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, message_id) DO NOTHING`, m.GuildID, m.MessageID, m.ChannelID, m.AuthorID, m.SentAt.UTC(), m.RemovedBy)
	if err != nil {
		return fmt.Errorf("record removed message %s: %w", m.MessageID, err)
	}
	return nil
}

// RemovedMessages counts the messages posted in [from, to) that moderation
// removed since, in all and by author.
func (d *DB) RemovedMessages(ctx context.Context, from, to time.Time) (int64, map[string]int64, error) {
	var rows []struct {
		AuthorID string `db:"author_id"`
		N        int64  `db:"n"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT author_id, COUNT(*) AS n FROM mod_removed_messages WHERE sent_at >= ? AND sent_at < ?
		GROUP BY author_id`), from.UTC(), to.UTC())
	if err != nil {
		return 0, nil, fmt.Errorf("removed messages %s to %s: %w", from, to, err)
	}
	var total int64
	by := map[string]int64{}
	for _, r := range rows {
		total += r.N
		by[r.AuthorID] = r.N
	}
	return total, by, nil
}

// ModeratedMembers returns the members with a ban, kick or timeout case
// opened in [from, to): the digest thanks none of them.
func (d *DB) ModeratedMembers(ctx context.Context, from, to time.Time) (map[string]bool, error) {
	var ids []string
	err := d.db.SelectContext(ctx, &ids, d.db.Rebind(`SELECT DISTINCT target_id FROM mod_cases WHERE created_at >= ? AND created_at < ?
		AND action IN ('ban', 'kick', 'timeout') AND target_id <> ''`), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("moderated members %s to %s: %w", from, to, err)
	}
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
