package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// What the digest leaves out of its public figures: messages moderation
// removed, and members moderation removed or silenced.

// RemovedMessage is a message automod or a moderator deleted.
type RemovedMessage struct {
	GuildID, ChannelID, MessageID, AuthorID string
	SentAt                                  time.Time
	RemovedBy                               string // "automod", or the moderator's Discord id
	// CaseNumber is the case of a moderator's removal (a purge, the Delete
	// button); 0 for automod's, which have none.
	CaseNumber int64
}

// RecordRemovedMessage notes that m was removed by moderation, once
// however often it is recorded.
func (tx *Tx) RecordRemovedMessage(ctx context.Context, m RemovedMessage) error {
	var number *int64
	if m.CaseNumber != 0 {
		number = &m.CaseNumber
	}
	_, err := tx.exec(ctx, `INSERT INTO mod_removed_messages (guild_id, message_id, channel_id, author_id, sent_at, removed_by, case_number) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, message_id) DO NOTHING`, m.GuildID, m.MessageID, m.ChannelID, m.AuthorID, m.SentAt.UTC(), m.RemovedBy, number)
	if err != nil {
		return fmt.Errorf("record removed message %s: %w", m.MessageID, err)
	}
	return nil
}

// Removals returns, of the messages ids of a server, those moderation
// removed: who removed each ("automod", or the moderator's Discord id) and
// the case, 0 when none. The server log uses it to recognise Liaison's
// own deletions.
func (tx *Tx) Removals(ctx context.Context, guildID string, ids []string) (map[string]RemovedMessage, error) {
	out := map[string]RemovedMessage{}
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		q, args, err := sqlx.In(`SELECT message_id, channel_id, author_id, sent_at, removed_by, case_number FROM mod_removed_messages
			WHERE guild_id = ? AND message_id IN (?)`, guildID, chunk)
		if err != nil {
			return nil, fmt.Errorf("removals: %w", err)
		}
		var rows []struct {
			MessageID  string    `db:"message_id"`
			ChannelID  string    `db:"channel_id"`
			AuthorID   string    `db:"author_id"`
			SentAt     time.Time `db:"sent_at"`
			RemovedBy  string    `db:"removed_by"`
			CaseNumber *int64    `db:"case_number"`
		}
		if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(q), args...); err != nil {
			return nil, fmt.Errorf("removals in %s: %w", guildID, err)
		}
		for _, r := range rows {
			m := RemovedMessage{GuildID: guildID, MessageID: r.MessageID, ChannelID: r.ChannelID, AuthorID: r.AuthorID, SentAt: r.SentAt.UTC(), RemovedBy: r.RemovedBy}
			if r.CaseNumber != nil {
				m.CaseNumber = *r.CaseNumber
			}
			out[r.MessageID] = m
		}
	}
	return out, nil
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
