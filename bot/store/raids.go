package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Anti-raid: the joins and new members' mentions raid detection counts (in
// the store, so the window survives restarts and spans replicas), what the
// join gate did to each join, and the raids themselves.

// RaidJoin is one join to a server.
type RaidJoin struct {
	GuildID    string        `db:"guild_id"`
	UserID     string        `db:"user_id"`
	UserName   string        `db:"user_name"`
	JoinedAt   time.Time     `db:"joined_at"`
	AccountAt  time.Time     `db:"account_at"` // the account's creation
	Gate       string        `db:"gate"`       // what the join gate did: kick, timeout, role; "" nothing
	GateCase   sql.NullInt64 `db:"gate_case"`
	RaidID     sql.NullInt64 `db:"raid_id"`
	UndoneCase sql.NullInt64 `db:"undone_case"`
}

const raidJoinColumns = `guild_id, user_id, user_name, joined_at, account_at, gate, gate_case, raid_id, undone_case`

func (j *RaidJoin) utc() { j.JoinedAt, j.AccountAt = j.JoinedAt.UTC(), j.AccountAt.UTC() }

// RecordJoin records a join; the same join recorded again changes nothing.
func (tx *Tx) RecordJoin(ctx context.Context, j RaidJoin) error {
	_, err := tx.exec(ctx, `INSERT INTO raid_joins (guild_id, user_id, user_name, joined_at, account_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, user_id, joined_at) DO NOTHING`, j.GuildID, j.UserID, j.UserName, j.JoinedAt.UTC(), j.AccountAt.UTC())
	if err != nil {
		return fmt.Errorf("record the join of %s: %w", j.UserID, err)
	}
	return nil
}

// JoinsSince returns a server's joins from since on, oldest first.
func (tx *Tx) JoinsSince(ctx context.Context, guildID string, since time.Time) ([]RaidJoin, error) {
	var out []RaidJoin
	err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT `+raidJoinColumns+` FROM raid_joins WHERE guild_id = ? AND joined_at >= ?
		ORDER BY joined_at, user_id`), guildID, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("joins of %s since %s: %w", guildID, since, err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}

// SetJoinGate records what the gate did to a join, and its case.
func (tx *Tx) SetJoinGate(ctx context.Context, j RaidJoin, gate string, caseNumber int64, raidID int64) error {
	var raid any
	if raidID > 0 {
		raid = raidID
	}
	_, err := tx.exec(ctx, `UPDATE raid_joins SET gate = ?, gate_case = ?, raid_id = ? WHERE guild_id = ? AND user_id = ? AND joined_at = ?`,
		gate, caseNumber, raid, j.GuildID, j.UserID, j.JoinedAt.UTC())
	if err != nil {
		return fmt.Errorf("record the gate on %s: %w", j.UserID, err)
	}
	return nil
}

// RecordMentions records the mentions of a new member's message, once.
func (tx *Tx) RecordMentions(ctx context.Context, guildID, messageID, userID string, n int, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO raid_mentions (guild_id, message_id, user_id, mentions, sent_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, message_id) DO NOTHING`, guildID, messageID, userID, n, at.UTC())
	if err != nil {
		return fmt.Errorf("record mentions of %s: %w", messageID, err)
	}
	return nil
}

// MentionsSince counts the mentions new members sent in a server from since.
func (tx *Tx) MentionsSince(ctx context.Context, guildID string, since time.Time) (int, error) {
	var n int
	err := tx.tx.GetContext(ctx, &n, tx.rebind(`SELECT COALESCE(SUM(mentions), 0) FROM raid_mentions WHERE guild_id = ? AND sent_at >= ?`), guildID, since.UTC())
	if err != nil {
		return 0, fmt.Errorf("mentions in %s since %s: %w", guildID, since, err)
	}
	return n, nil
}

// Raid is a raid on a server: raid mode from StartedAt until EndedAt.
type Raid struct {
	ID          int64      `db:"id"`
	GuildID     string     `db:"guild_id"`
	Trigger     string     `db:"trigger"`
	WindowStart time.Time  `db:"window_start"`
	StartedAt   time.Time  `db:"started_at"`
	EndedAt     *time.Time `db:"ended_at"`
	EndedBy     string     `db:"ended_by"`
	UndoneAt    *time.Time `db:"undone_at"`
}

const raidColumns = `id, guild_id, trigger, window_start, started_at, ended_at, ended_by, undone_at`

// StartRaid starts raid mode on r.GuildID and sets r.ID, unless a raid is
// on already there: then it reports false and changes nothing. Two
// replicas seeing the same raid start it once.
func (tx *Tx) StartRaid(ctx context.Context, r *Raid) (bool, error) {
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`INSERT INTO raids (guild_id, active_guild, trigger, window_start, started_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (active_guild) DO NOTHING RETURNING id`),
		r.GuildID, r.GuildID, r.Trigger, r.WindowStart.UTC(), r.StartedAt.UTC())
	if err != nil {
		return false, fmt.Errorf("start raid mode on %s: %w", r.GuildID, err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	r.ID = ids[0]
	// The joins the gate already stopped in the window belong to this raid.
	if _, err := tx.exec(ctx, `UPDATE raid_joins SET raid_id = ? WHERE guild_id = ? AND joined_at >= ? AND gate <> '' AND raid_id IS NULL`,
		r.ID, r.GuildID, r.WindowStart.UTC()); err != nil {
		return false, fmt.Errorf("tag the raid's joins: %w", err)
	}
	return true, nil
}

func (tx *Tx) oneRaid(ctx context.Context, where string, args ...any) (*Raid, error) {
	var rows []Raid
	if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT `+raidColumns+` FROM raids WHERE `+where+` ORDER BY id DESC LIMIT 1`), args...); err != nil {
		return nil, fmt.Errorf("raid: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	r.WindowStart, r.StartedAt = r.WindowStart.UTC(), r.StartedAt.UTC()
	return &r, nil
}

// ActiveRaid returns the raid going on in a server, or nil.
func (tx *Tx) ActiveRaid(ctx context.Context, guildID string) (*Raid, error) {
	return tx.oneRaid(ctx, `active_guild = ?`, guildID)
}

// LastRaid returns a server's latest raid, over or not, or nil.
func (tx *Tx) LastRaid(ctx context.Context, guildID string) (*Raid, error) {
	return tx.oneRaid(ctx, `guild_id = ?`, guildID)
}

// Raid returns raid id, or nil.
func (tx *Tx) Raid(ctx context.Context, id int64) (*Raid, error) {
	return tx.oneRaid(ctx, `id = ?`, id)
}

// EndRaid ends raid mode, once: false when it was over already.
func (tx *Tx) EndRaid(ctx context.Context, id int64, now time.Time, by string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE raids SET active_guild = NULL, ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL`, now.UTC(), by, id)
	if err != nil {
		return false, fmt.Errorf("end raid %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RaidGated returns the joins the gate acted on in raid id and nothing has
// lifted yet.
func (tx *Tx) RaidGated(ctx context.Context, id int64) ([]RaidJoin, error) {
	var out []RaidJoin
	err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT `+raidJoinColumns+` FROM raid_joins WHERE raid_id = ? AND gate <> '' AND undone_case IS NULL
		ORDER BY joined_at, user_id`), id)
	if err != nil {
		return nil, fmt.Errorf("gated joins of raid %d: %w", id, err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}

// SetJoinUndone records the case that lifted what the gate did to j.
func (tx *Tx) SetJoinUndone(ctx context.Context, j RaidJoin, caseNumber int64) error {
	_, err := tx.exec(ctx, `UPDATE raid_joins SET undone_case = ? WHERE guild_id = ? AND user_id = ? AND joined_at = ?`,
		caseNumber, j.GuildID, j.UserID, j.JoinedAt.UTC())
	if err != nil {
		return fmt.Errorf("record the lifting of the gate on %s: %w", j.UserID, err)
	}
	return nil
}

// MarkRaidUndone records that /raid undo ran on raid id.
func (tx *Tx) MarkRaidUndone(ctx context.Context, id int64, now time.Time) error {
	if _, err := tx.exec(ctx, `UPDATE raids SET undone_at = ? WHERE id = ?`, now.UTC(), id); err != nil {
		return fmt.Errorf("mark raid %d undone: %w", id, err)
	}
	return nil
}

// PruneRaidWindows deletes the joins and mentions older than before that no
// raid needs (a join the gate acted on in a raid stays for /raid undo).
func (d *DB) PruneRaidWindows(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := d.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM raid_joins WHERE joined_at < ? AND raid_id IS NULL`, before.UTC())
		if err != nil {
			return err
		}
		a, _ := res.RowsAffected()
		res, err = tx.exec(ctx, `DELETE FROM raid_mentions WHERE sent_at < ?`, before.UTC())
		if err != nil {
			return err
		}
		b, _ := res.RowsAffected()
		n = int(a + b)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune raid windows: %w", err)
	}
	return n, nil
}

// RecordRaidSlowmode notes the slowmode (seconds) a channel had before
// raid id set its own, once: a redelivered start keeps the first value.
func (tx *Tx) RecordRaidSlowmode(ctx context.Context, raidID int64, channelID string, previous int) error {
	if _, err := tx.exec(ctx, `INSERT INTO raid_slowmodes (raid_id, channel_id, previous_seconds) VALUES (?, ?, ?)
		ON CONFLICT (raid_id, channel_id) DO NOTHING`, raidID, channelID, previous); err != nil {
		return fmt.Errorf("record the slowmode of %s before raid %d: %w", channelID, raidID, err)
	}
	return nil
}

// RaidSlowmodes returns the slowmode (seconds) each channel had before
// raid id set its own, by channel id.
func (tx *Tx) RaidSlowmodes(ctx context.Context, raidID int64) (map[string]int, error) {
	var rows []struct {
		ChannelID string `db:"channel_id"`
		Previous  int    `db:"previous_seconds"`
	}
	if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT channel_id, previous_seconds FROM raid_slowmodes WHERE raid_id = ?`), raidID); err != nil {
		return nil, fmt.Errorf("slowmodes before raid %d: %w", raidID, err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.ChannelID] = r.Previous
	}
	return out, nil
}
