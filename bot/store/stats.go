package store

import (
	"context"
	"fmt"
	"time"
)

// Statistics: the daily roll-ups the community digest reads. Each event is
// counted in the transaction that records it as seen, so a redelivered event
// is never counted twice. Only counts and ids are stored, never what was
// said.

// MessageStat is one message to count.
type MessageStat struct {
	GuildID   string
	ChannelID string // the channel, or a thread's parent channel
	// ChannelName is the channel's name when the platform said; it is
	// recorded with the channel's first message of each day.
	ChannelName string
	AuthorID    string
	// AuthorName and AuthorDisplay keep the members table's names current,
	// for the top contributors.
	AuthorName    string
	AuthorDisplay string
	// Day is the message's day in the configured timezone, YYYY-MM-DD.
	Day         string
	ThreadStart bool // it opened a thread or a forum post
	Staff       bool // the author speaks for the team
	// Periods are the keys (bot.Period.Key) of the digest periods the message
	// falls in; its counts are added to each.
	Periods []string
}

// RecordMessage counts m in the roll-ups: the channel's day (messages,
// distinct authors, threads started), the author's day in the channel, each
// digest period of Periods (messages, distinct authors, threads) and the
// author's share of it. An author never seen before becomes a member, which
// the guild's member count for the day reflects.
func (tx *Tx) RecordMessage(ctx context.Context, now time.Time, m MessageStat) error {
	newMember, err := tx.seeMember(ctx, now, m.GuildID, m.AuthorID, m.AuthorName, m.AuthorDisplay)
	if err != nil {
		return err
	}
	if newMember {
		// Before Discord has reported the server's size, the members seen
		// are the best count there is; after, a speaker was already in it.
		counted, err := tx.hasBaseline(ctx, m.GuildID)
		if err != nil {
			return err
		}
		if !counted {
			if err := tx.bumpGuildDay(ctx, m.GuildID, m.Day, 0, 0, 1); err != nil {
				return err
			}
		}
	}
	var n int64
	err = tx.tx.GetContext(ctx, &n, tx.rebind(`INSERT INTO stats_author_daily (guild_id, channel_id, day, author_id, messages, staff)
		VALUES (?, ?, ?, ?, 1, ?)
		ON CONFLICT (guild_id, day, channel_id, author_id) DO UPDATE SET messages = stats_author_daily.messages + 1, staff = excluded.staff
		RETURNING messages`), m.GuildID, m.ChannelID, m.Day, m.AuthorID, m.Staff)
	if err != nil {
		return fmt.Errorf("count message of %s on %s: %w", m.AuthorID, m.Day, err)
	}
	threads := b2i(m.ThreadStart)
	var cn int64
	err = tx.tx.GetContext(ctx, &cn, tx.rebind(`INSERT INTO stats_channel_daily (guild_id, channel_id, day, messages, threads_started, authors)
		VALUES (?, ?, ?, 1, ?, 1)
		ON CONFLICT (guild_id, channel_id, day) DO UPDATE SET messages = stats_channel_daily.messages + 1,
			threads_started = stats_channel_daily.threads_started + excluded.threads_started,
			authors = stats_channel_daily.authors + ?
		RETURNING messages`),
		m.GuildID, m.ChannelID, m.Day, threads, b2i(n == 1))
	if err != nil {
		return fmt.Errorf("count message in %s on %s: %w", m.ChannelID, m.Day, err)
	}
	if cn == 1 && m.ChannelName != "" {
		if err := tx.recordChannelName(ctx, m.GuildID, m.ChannelID, m.ChannelName); err != nil {
			return err
		}
	}
	for _, p := range m.Periods {
		var pn int64
		err := tx.tx.GetContext(ctx, &pn, tx.rebind(`INSERT INTO stats_author_period (period, guild_id, author_id, messages, staff)
			VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (period, guild_id, author_id) DO UPDATE SET messages = stats_author_period.messages + 1, staff = excluded.staff
			RETURNING messages`), p, m.GuildID, m.AuthorID, m.Staff)
		if err != nil {
			return fmt.Errorf("count message of %s in period %s: %w", m.AuthorID, p, err)
		}
		_, err = tx.exec(ctx, `INSERT INTO stats_period (period, guild_id, messages, authors, threads_started) VALUES (?, ?, 1, 1, ?)
			ON CONFLICT (period, guild_id) DO UPDATE SET messages = stats_period.messages + 1,
				authors = stats_period.authors + ?, threads_started = stats_period.threads_started + excluded.threads_started`,
			p, m.GuildID, threads, b2i(pn == 1))
		if err != nil {
			return fmt.Errorf("count message in period %s: %w", p, err)
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// seeMember records that a Discord user was seen, creating their members
// row if needed (and refreshing their names when given and changed, or
// last_seen_at once an hour), and reports whether the row is new.
func (tx *Tx) seeMember(ctx context.Context, now time.Time, guild, user, name, display string) (bool, error) {
	// Microseconds: what both databases keep, so the value read back is the
	// value written and tells an insert from an update.
	now = now.UTC().Truncate(time.Microsecond)
	var first []time.Time
	err := tx.tx.SelectContext(ctx, &first, tx.rebind(`INSERT INTO members (platform, scope_id, user_id, username, display_name, first_seen_at, last_seen_at)
		VALUES ('discord', ?, ?, ?, ?, ?, ?)
		ON CONFLICT (platform, scope_id, user_id) DO UPDATE SET username = COALESCE(NULLIF(excluded.username, ''), members.username),
			display_name = COALESCE(NULLIF(excluded.display_name, ''), members.display_name), last_seen_at = excluded.last_seen_at
		WHERE (excluded.username <> '' AND members.username <> excluded.username)
			OR (excluded.display_name <> '' AND members.display_name <> excluded.display_name) OR members.last_seen_at < ?
		RETURNING first_seen_at`), guild, user, name, display, now, now, now.Add(-time.Hour))
	if err != nil {
		return false, fmt.Errorf("record member %s: %w", user, err)
	}
	return len(first) == 1 && first[0].UTC().Equal(now), nil
}

// SetGuildMemberCount records the member count the platform reports for a
// guild: the count of day, and the baseline later joins and leaves adjust
// (members seen speaking no longer add to it).
func (tx *Tx) SetGuildMemberCount(ctx context.Context, now time.Time, guild, day string, n int64) error {
	if _, err := tx.exec(ctx, `INSERT INTO stats_guild_baseline (guild_id, member_count, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (guild_id) DO UPDATE SET member_count = excluded.member_count, updated_at = excluded.updated_at`,
		guild, n, now.UTC()); err != nil {
		return fmt.Errorf("member count of %s: %w", guild, err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO stats_guild_daily (guild_id, day, joins, leaves, member_count) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (guild_id, day) DO UPDATE SET member_count = excluded.member_count`, guild, day, n); err != nil {
		return fmt.Errorf("member count of %s on %s: %w", guild, day, err)
	}
	return nil
}

// hasBaseline reports whether the platform has reported guild's size.
func (tx *Tx) hasBaseline(ctx context.Context, guild string) (bool, error) {
	var n []int
	if err := tx.tx.SelectContext(ctx, &n, tx.rebind(`SELECT 1 FROM stats_guild_baseline WHERE guild_id = ?`), guild); err != nil {
		return false, fmt.Errorf("member count baseline of %s: %w", guild, err)
	}
	return len(n) > 0, nil
}

// bumpGuildDay adds joins, leaves and a change of member count to a guild's
// day. A day's first row starts from the last known member count.
func (tx *Tx) bumpGuildDay(ctx context.Context, guild, day string, joins, leaves, delta int) error {
	_, err := tx.exec(ctx, `INSERT INTO stats_guild_daily (guild_id, day, joins, leaves, member_count)
		VALUES (?, ?, ?, ?, COALESCE((SELECT member_count FROM stats_guild_daily WHERE guild_id = ? AND day < ? ORDER BY day DESC LIMIT 1), 0) + ?)
		ON CONFLICT (guild_id, day) DO UPDATE SET joins = stats_guild_daily.joins + excluded.joins,
			leaves = stats_guild_daily.leaves + excluded.leaves, member_count = stats_guild_daily.member_count + ?`,
		guild, day, joins, leaves, guild, day, delta, delta)
	if err != nil {
		return fmt.Errorf("count members of %s on %s: %w", guild, day, err)
	}
	return nil
}

// MemberStat is a member joining or leaving a server.
type MemberStat struct {
	GuildID string
	UserID  string
	Name    string
	Display string
	Day     string    // in the configured timezone, YYYY-MM-DD
	At      time.Time // when it happened
	Left    bool
}

// RecordMemberChange counts a join or a leave on its day and keeps the
// members table and the day's member count in step: a join adds a member
// (unless already counted), a leave removes one that was counted. A leave
// of someone never seen is counted as a leave but changes no member count,
// since they were never part of it.
func (tx *Tx) RecordMemberChange(ctx context.Context, now time.Time, m MemberStat) error {
	var rows []struct {
		Left *time.Time `db:"left_at"`
	}
	err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT left_at FROM members WHERE platform = 'discord' AND scope_id = ? AND user_id = ?`+tx.db.dialect.forUpdate),
		m.GuildID, m.UserID)
	if err != nil {
		return fmt.Errorf("member %s: %w", m.UserID, err)
	}
	known, in := len(rows) == 1, len(rows) == 1 && rows[0].Left == nil
	at := m.At.UTC()
	delta := 0
	switch {
	case !known:
		var joined, left any
		if m.Left {
			left = at
			// Someone Liaison never saw leaves: they were in the count
			// Discord reported, if it reported one.
			counted, err := tx.hasBaseline(ctx, m.GuildID)
			if err != nil {
				return err
			}
			if counted {
				delta = -1
			}
		} else {
			joined, delta = at, 1
		}
		_, err = tx.exec(ctx, `INSERT INTO members (platform, scope_id, user_id, username, display_name, joined_at, left_at, first_seen_at, last_seen_at)
			VALUES ('discord', ?, ?, ?, ?, ?, ?, ?, ?)`, m.GuildID, m.UserID, m.Name, m.Display, joined, left, now.UTC(), now.UTC())
	case m.Left:
		if in {
			delta = -1
		}
		_, err = tx.exec(ctx, `UPDATE members SET left_at = ?, last_seen_at = ? WHERE platform = 'discord' AND scope_id = ? AND user_id = ?`,
			at, now.UTC(), m.GuildID, m.UserID)
	default:
		if !in {
			delta = 1
		}
		_, err = tx.exec(ctx, `UPDATE members SET joined_at = ?, left_at = NULL, username = ?, display_name = ?, last_seen_at = ?
			WHERE platform = 'discord' AND scope_id = ? AND user_id = ?`, at, m.Name, m.Display, now.UTC(), m.GuildID, m.UserID)
	}
	if err != nil {
		return fmt.Errorf("record member %s: %w", m.UserID, err)
	}
	joins, leaves := 1, 0
	if m.Left {
		joins, leaves = 0, 1
	}
	return tx.bumpGuildDay(ctx, m.GuildID, m.Day, joins, leaves, delta)
}

// recordChannelName remembers what a Discord channel is called, for the
// digest's busiest channels.
func (tx *Tx) recordChannelName(ctx context.Context, guild, channel, name string) error {
	_, err := tx.exec(ctx, `INSERT INTO stats_channels (guild_id, channel_id, name) VALUES (?, ?, ?)
		ON CONFLICT (guild_id, channel_id) DO UPDATE SET name = excluded.name`, guild, channel, name)
	if err != nil {
		return fmt.Errorf("record the name of channel %s: %w", channel, err)
	}
	return nil
}

// TrackPeriod records that the per-period rows of period key, which starts
// at startsAt, are kept from now on. The first call wins; the rows answer
// the digest only if it came before startsAt (see PeriodTracked).
func (d *DB) TrackPeriod(ctx context.Context, now time.Time, key string, startsAt time.Time) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO stats_periods_tracked (period, starts_at, registered_at) VALUES (?, ?, ?)
		ON CONFLICT (period) DO NOTHING`), key, startsAt.UTC(), now.UTC())
	if err != nil {
		return fmt.Errorf("track period %s: %w", key, err)
	}
	return nil
}

// PeriodTracked reports whether the per-period rows of key hold the whole
// period: they were kept from before it started.
func (d *DB) PeriodTracked(ctx context.Context, key string) (bool, error) {
	var rows []struct {
		StartsAt     time.Time `db:"starts_at"`
		RegisteredAt time.Time `db:"registered_at"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT starts_at, registered_at FROM stats_periods_tracked WHERE period = ?`), key)
	if err != nil {
		return false, fmt.Errorf("period %s: %w", key, err)
	}
	return len(rows) == 1 && !rows[0].RegisteredAt.After(rows[0].StartsAt), nil
}

// ChannelDay is one channel's day of the roll-ups.
type ChannelDay struct {
	GuildID        string `db:"guild_id"`
	ChannelID      string `db:"channel_id"`
	Day            string `db:"day"`
	Messages       int64  `db:"messages"`
	Authors        int64  `db:"authors"`
	ThreadsStarted int64  `db:"threads_started"`
}

// AuthorDay is one author's messages in one channel on one day.
type AuthorDay struct {
	GuildID   string `db:"guild_id"`
	ChannelID string `db:"channel_id"`
	Day       string `db:"day"`
	AuthorID  string `db:"author_id"`
	Messages  int64  `db:"messages"`
	Staff     bool   `db:"staff"`
}

// GuildDay is one server's joins, leaves and member count on one day.
type GuildDay struct {
	GuildID     string `db:"guild_id"`
	Day         string `db:"day"`
	Joins       int64  `db:"joins"`
	Leaves      int64  `db:"leaves"`
	MemberCount int64  `db:"member_count"`
}

// DailyStats returns the roll-ups of the days from first to last
// (YYYY-MM-DD, both included), in a stable order: for tests and
// diagnostics.
func (d *DB) DailyStats(ctx context.Context, first, last string) ([]ChannelDay, []AuthorDay, []GuildDay, error) {
	var cs []ChannelDay
	var as []AuthorDay
	var gs []GuildDay
	err := d.db.SelectContext(ctx, &cs, d.db.Rebind(`SELECT guild_id, channel_id, day, messages, authors, threads_started FROM stats_channel_daily
		WHERE day >= ? AND day <= ? ORDER BY day, guild_id, channel_id`), first, last)
	if err == nil {
		err = d.db.SelectContext(ctx, &as, d.db.Rebind(`SELECT guild_id, channel_id, day, author_id, messages, staff FROM stats_author_daily
			WHERE day >= ? AND day <= ? ORDER BY day, guild_id, channel_id, author_id`), first, last)
	}
	if err == nil {
		err = d.db.SelectContext(ctx, &gs, d.db.Rebind(`SELECT guild_id, day, joins, leaves, member_count FROM stats_guild_daily
			WHERE day >= ? AND day <= ? ORDER BY day, guild_id`), first, last)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("daily statistics %s to %s: %w", first, last, err)
	}
	return cs, as, gs, nil
}
