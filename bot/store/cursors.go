package store

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// DiscordCursors returns the newest message handled in each watched Discord
// channel, by channel id, as SaveDiscordCursors last recorded them.
func (d *DB) DiscordCursors(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Channel string `db:"channel_id"`
		Message string `db:"message_id"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT channel_id, message_id FROM discord_cursors`); err != nil {
		return nil, fmt.Errorf("discord cursors: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Channel] = r.Message
	}
	return out, nil
}

// SaveDiscordCursors records the newest message handled in each channel of
// cursors (channel id → message id), in one transaction.
func (d *DB) SaveDiscordCursors(ctx context.Context, now time.Time, cursors map[string]string) error {
	channels := make([]string, 0, len(cursors))
	for ch := range cursors {
		channels = append(channels, ch)
	}
	sort.Strings(channels) // one order for every writer
	return d.InTx(ctx, func(tx *Tx) error {
		for _, ch := range channels {
			_, err := tx.exec(ctx, `INSERT INTO discord_cursors (channel_id, message_id, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (channel_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at`,
				ch, cursors[ch], now.UTC())
			if err != nil {
				return fmt.Errorf("save the discord cursor of %s: %w", ch, err)
			}
		}
		return nil
	})
}
