package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Statistics: the daily roll-ups the community digest reads. Each event is
// appended to stats_events in the transaction that records it as seen, so a
// redelivered event is never counted twice, and FoldStats adds the appended
// events to the roll-ups in batches. Appending touches no shared row: a busy
// channel's messages would otherwise queue on its counters' row locks until
// each one's transaction committed. Readers of the roll-ups fold first, so
// what they read is complete. Only counts, ids and names are stored, never
// what was said.

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

// statsEvent is a row of stats_events.
type statsEvent struct {
	ID          int64      `db:"id"`
	Kind        string     `db:"kind"`
	GuildID     string     `db:"guild_id"`
	ChannelID   string     `db:"channel_id"`
	ChannelName string     `db:"channel_name"`
	UserID      string     `db:"user_id"`
	UserName    string     `db:"user_name"`
	UserDisplay string     `db:"user_display"`
	Day         string     `db:"day"`
	Periods     string     `db:"periods"`
	ThreadStart bool       `db:"thread_start"`
	Staff       bool       `db:"staff"`
	MemberCount int64      `db:"member_count"`
	HappenedAt  *time.Time `db:"happened_at"`
	RecordedAt  time.Time  `db:"recorded_at"`
}

const statsEventColumns = `id, kind, guild_id, channel_id, channel_name, user_id, user_name, user_display, day, periods,
	thread_start, staff, member_count, happened_at, recorded_at`

// appendStats keeps e to be appended when tx commits: the events of a
// transaction (and of a whole commit group) are written by one multi-row
// INSERT just before the commit, not one round trip each. A transaction
// that rolls back, or a group item rolled back to its savepoint, never
// writes them.
func (tx *Tx) appendStats(_ context.Context, e statsEvent) error {
	tx.stats = append(tx.stats, e)
	return nil
}

// writeStats appends evs to stats_events, in order, with as few statements
// as the parameter limit allows.
func writeStats(ctx context.Context, tx *Tx, evs []statsEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if tx.db.dialect.name == Postgres {
		if _, err := tx.tx.ExecContext(ctx, statsInsert, statsArrays(evs)...); err != nil {
			return fmt.Errorf("count %d statistics events: %w", len(evs), err)
		}
		return nil
	}
	keys := make([]string, len(evs))
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	err := upsertRows(ctx, tx, `INSERT INTO stats_events (kind, guild_id, channel_id, channel_name, user_id, user_name, user_display, day, periods,
		thread_start, staff, member_count, happened_at, recorded_at) VALUES `, ``, nil, keys, func(k string) []any {
		i, _ := strconv.Atoi(k)
		e := evs[i]
		return []any{e.Kind, e.GuildID, e.ChannelID, e.ChannelName, e.UserID, e.UserName, e.UserDisplay, e.Day, e.Periods,
			e.ThreadStart, e.Staff, e.MemberCount, e.HappenedAt, e.RecordedAt.UTC()}
	}, nil)
	if err != nil {
		return fmt.Errorf("count %d statistics events: %w", len(evs), err)
	}
	return nil
}

// statsInsert appends events to stats_events on Postgres, column by
// column: one statement text whatever their number, prepared once per
// connection, where a VALUES list took a text (and a plan) per count and
// fourteen parameters a row. happened_at is an empty text where NULL.
const statsInsert = `INSERT INTO stats_events (kind, guild_id, channel_id, channel_name, user_id, user_name, user_display, day, periods,
		thread_start, staff, member_count, happened_at, recorded_at)
	SELECT kind, guild_id, channel_id, channel_name, user_id, user_name, user_display, day, periods,
		thread_start, staff, member_count, NULLIF(happened_at, '')::timestamptz, recorded_at
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
		$10::boolean[], $11::boolean[], $12::bigint[], $13::text[], $14::timestamptz[])
		WITH ORDINALITY AS e(kind, guild_id, channel_id, channel_name, user_id, user_name, user_display, day, periods,
			thread_start, staff, member_count, happened_at, recorded_at, n)
	ORDER BY n`

// statsArrays are statsInsert's arguments for evs.
func statsArrays(evs []statsEvent) []any {
	var kind, guild, channel, channelName, user, userName, userDisplay, day, periods, happened, recorded textArray
	var threadStart, staff pq.BoolArray
	var members pq.Int64Array
	for _, e := range evs {
		kind, guild, channel, channelName = append(kind, e.Kind), append(guild, e.GuildID), append(channel, e.ChannelID), append(channelName, e.ChannelName)
		user, userName, userDisplay = append(user, e.UserID), append(userName, e.UserName), append(userDisplay, e.UserDisplay)
		day, periods = append(day, e.Day), append(periods, e.Periods)
		threadStart, staff, members = append(threadStart, e.ThreadStart), append(staff, e.Staff), append(members, e.MemberCount)
		h := ""
		if e.HappenedAt != nil {
			h = stamp(*e.HappenedAt)
		}
		happened, recorded = append(happened, h), append(recorded, stamp(e.RecordedAt))
	}
	return []any{kind, guild, channel, channelName, user, userName, userDisplay, day, periods, threadStart, staff, members, happened, recorded}
}

// RecordMessage counts m, seen at now: once folded, in the channel's day
// (messages, distinct authors, threads started), the author's day in the
// channel, each digest period of Periods (messages, distinct authors,
// threads) and the author's share of it. An author never seen before becomes
// a member, which the guild's member count for the day reflects.
func (tx *Tx) RecordMessage(ctx context.Context, now time.Time, m MessageStat) error {
	return tx.appendStats(ctx, statsEvent{Kind: "message", GuildID: m.GuildID, ChannelID: m.ChannelID, ChannelName: m.ChannelName,
		UserID: m.AuthorID, UserName: m.AuthorName, UserDisplay: m.AuthorDisplay, Day: m.Day,
		Periods: strings.Join(m.Periods, "\n"), ThreadStart: m.ThreadStart, Staff: m.Staff, RecordedAt: now})
}

// RecordMemberChange counts a join or a leave on its day and, once folded,
// keeps the members table and the day's member count in step: a join adds a
// member (unless already counted), a leave removes one that was counted. A
// leave of someone never seen is counted as a leave but changes no member
// count, since they were never part of it.
func (tx *Tx) RecordMemberChange(ctx context.Context, now time.Time, m MemberStat) error {
	kind := "join"
	if m.Left {
		kind = "leave"
	}
	at := m.At.UTC()
	return tx.appendStats(ctx, statsEvent{Kind: kind, GuildID: m.GuildID, UserID: m.UserID, UserName: m.Name, UserDisplay: m.Display,
		Day: m.Day, HappenedAt: &at, RecordedAt: now})
}

// SetGuildMemberCount records the member count the platform reports for a
// guild: once folded, the count of day, and the baseline later joins and
// leaves adjust (members seen speaking no longer add to it).
func (tx *Tx) SetGuildMemberCount(ctx context.Context, now time.Time, guild, day string, n int64) error {
	return tx.appendStats(ctx, statsEvent{Kind: "count", GuildID: guild, Day: day, MemberCount: n, RecordedAt: now})
}

// foldBatch is how many appended events one fold transaction takes.
const foldBatch = 2000

// FoldStats adds every appended statistics event to the roll-ups, in the
// order they were appended, and returns how many it folded. Folds are
// serialised (on Postgres by a transaction-scoped advisory lock, on SQLite by
// its write lock), so any replica and any reader may call it.
func (d *DB) FoldStats(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := d.ownTx(ctx, func(tx *Tx) (err error) {
			n, err = tx.foldStats(ctx, foldBatch)
			return err
		})
		total += n
		if err != nil || n < foldBatch {
			return total, err
		}
	}
}

// foldLock serialises folds: on Postgres a transaction-scoped advisory
// lock; SQLite's write transactions already run one at a time.
func (tx *Tx) foldLock(ctx context.Context) error {
	if tx.db.dialect.name == Postgres {
		if _, err := tx.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('liaison-stats-fold:' || current_schema()))`); err != nil {
			return fmt.Errorf("fold statistics: take lock: %w", err)
		}
	}
	return nil
}

func (tx *Tx) foldStats(ctx context.Context, limit int) (int, error) {
	if err := tx.foldLock(ctx); err != nil {
		return 0, err
	}
	if err := tx.rebuildIfPending(ctx); err != nil {
		return 0, err
	}
	var evs []statsEvent
	// Only the kinds this version folds: during a rolling upgrade, a newer
	// replica's new kinds wait for a folder that knows them.
	err := tx.tx.SelectContext(ctx, &evs, tx.rebind(`DELETE FROM stats_events WHERE id IN (SELECT id FROM stats_events
		WHERE kind IN ('message', 'join', 'leave', 'count') ORDER BY id LIMIT ?)
		RETURNING `+statsEventColumns), limit)
	if err != nil {
		return 0, fmt.Errorf("fold statistics: %w", err)
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].ID < evs[j].ID })
	f := folder{tx: tx, baseline: map[string]bool{}}
	var run []statsEvent // consecutive messages, counted together
	for _, e := range evs {
		if e.Kind == "message" {
			run = append(run, e)
			continue
		}
		if err := f.messages(ctx, run); err != nil {
			return 0, err
		}
		run = run[:0]
		switch e.Kind {
		case "join", "leave":
			err = f.memberChange(ctx, e)
		case "count":
			err = f.memberCount(ctx, e)
		default:
			err = fmt.Errorf("fold statistics: event %d has unknown kind %q", e.ID, e.Kind)
		}
		if err != nil {
			return 0, err
		}
	}
	if err := f.messages(ctx, run); err != nil {
		return 0, err
	}
	return len(evs), nil
}

// folder applies a batch of statistics events inside one transaction.
type folder struct {
	tx       *Tx
	baseline map[string]bool // guild → Discord has reported its size
}

// tally groups a run of messages by a key, in the order keys first appear,
// so every fold touches rows in a deterministic order.
type tally[T any] struct {
	keys []string
	by   map[string]*T
}

func (t *tally[T]) get(key string, init func() *T) *T {
	if t.by == nil {
		t.by = map[string]*T{}
	}
	v, ok := t.by[key]
	if !ok {
		v = init()
		t.by[key] = v
		t.keys = append(t.keys, key)
	}
	return v
}

func (t *tally[T]) each(fn func(*T) error) error {
	for _, k := range t.keys {
		if err := fn(t.by[k]); err != nil {
			return err
		}
	}
	return nil
}

// messages counts a run of messages: the members seen, then the authors'
// days, the channels' days, the authors' periods and the periods, with one
// multi-row upsert per table (per chunk of rows), whatever the run's length.
func (f *folder) messages(ctx context.Context, run []statsEvent) error {
	if len(run) == 0 {
		return nil
	}
	type member struct {
		guild, user, name, display, firstDay string
		first, last                          time.Time
	}
	type count struct {
		guild, channel, day, author, period, name string
		n, threads, newAuthors                    int64
		staff                                     bool
	}
	var (
		members                                tally[member]
		authorDays, channelDays, authorPeriods tally[count]
		periods                                tally[count]
	)
	for _, e := range run {
		m := members.get(key(e.GuildID, e.UserID), func() *member {
			return &member{guild: e.GuildID, user: e.UserID, firstDay: e.Day, first: e.RecordedAt}
		})
		m.last = e.RecordedAt
		m.name = cmpOrString(e.UserName, m.name)
		m.display = cmpOrString(e.UserDisplay, m.display)
		ad := authorDays.get(key(e.GuildID, e.ChannelID, e.Day, e.UserID), func() *count {
			return &count{guild: e.GuildID, channel: e.ChannelID, day: e.Day, author: e.UserID}
		})
		ad.n++
		ad.staff = e.Staff
		cd := channelDays.get(key(e.GuildID, e.ChannelID, e.Day), func() *count {
			return &count{guild: e.GuildID, channel: e.ChannelID, day: e.Day}
		})
		cd.n++
		cd.threads += int64(b2i(e.ThreadStart))
		cd.name = cmpOrString(e.ChannelName, cd.name)
		if e.Periods == "" {
			continue
		}
		for _, p := range strings.Split(e.Periods, "\n") {
			ap := authorPeriods.get(key(p, e.GuildID, e.UserID), func() *count {
				return &count{period: p, guild: e.GuildID, author: e.UserID}
			})
			ap.n++
			ap.staff = e.Staff
			pd := periods.get(key(p, e.GuildID), func() *count { return &count{period: p, guild: e.GuildID} })
			pd.n++
			pd.threads += int64(b2i(e.ThreadStart))
		}
	}
	tx := f.tx

	// Members: a row whose first_seen_at is the one written is new. Before
	// Discord has reported the server's size, the members seen are the best
	// count there is; after, a speaker was already in it.
	// last_seen_at is refreshed when a name changed or once an hour.
	var hourAgo time.Time
	for _, m := range members.by {
		m.first = m.first.UTC().Truncate(time.Microsecond) // what both databases keep
		m.last = m.last.UTC().Truncate(time.Microsecond)
		if t := m.last.Add(-time.Hour); t.After(hourAgo) {
			hourAgo = t
		}
	}
	newByDay := tally[count]{}
	err := upsertRows(ctx, tx, `INSERT INTO members (platform, scope_id, user_id, username, display_name, first_seen_at, last_seen_at) VALUES `,
		`ON CONFLICT (platform, scope_id, user_id) DO UPDATE SET username = COALESCE(NULLIF(excluded.username, ''), members.username),
			display_name = COALESCE(NULLIF(excluded.display_name, ''), members.display_name),
			last_seen_at = CASE WHEN excluded.last_seen_at > members.last_seen_at THEN excluded.last_seen_at ELSE members.last_seen_at END
		WHERE (excluded.username <> '' AND members.username <> excluded.username)
			OR (excluded.display_name <> '' AND members.display_name <> excluded.display_name) OR members.last_seen_at < ?
		RETURNING scope_id, user_id, first_seen_at`, []any{hourAgo},
		members.keys, func(k string) []any {
			m := members.by[k]
			return []any{"discord", m.guild, m.user, m.name, m.display, m.first, m.last}
		},
		func(rows *sqlx.Rows) error {
			var guild, user string
			var first time.Time
			if err := rows.Scan(&guild, &user, &first); err != nil {
				return err
			}
			if m := members.by[key(guild, user)]; m != nil && first.UTC().Equal(m.first) {
				newByDay.get(key(m.guild, m.firstDay), func() *count { return &count{guild: m.guild, day: m.firstDay} }).n++
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("record members: %w", err)
	}
	err = newByDay.each(func(c *count) error {
		counted, err := f.hasBaseline(ctx, c.guild)
		if err != nil || counted {
			return err
		}
		return tx.bumpGuildDay(ctx, c.guild, c.day, 0, 0, int(c.n))
	})
	if err != nil {
		return err
	}

	// An author's first messages of a day in a channel, or of a period,
	// make a row whose total is what this run added: a new author there.
	err = upsertRows(ctx, tx, `INSERT INTO stats_author_daily (guild_id, channel_id, day, author_id, messages, staff) VALUES `,
		`ON CONFLICT (guild_id, day, channel_id, author_id) DO UPDATE SET messages = stats_author_daily.messages + excluded.messages, staff = excluded.staff
		RETURNING guild_id, channel_id, day, author_id, messages`, nil,
		authorDays.keys, func(k string) []any {
			c := authorDays.by[k]
			return []any{c.guild, c.channel, c.day, c.author, c.n, c.staff}
		},
		func(rows *sqlx.Rows) error {
			var guild, channel, day, author string
			var total int64
			if err := rows.Scan(&guild, &channel, &day, &author, &total); err != nil {
				return err
			}
			if c := authorDays.by[key(guild, channel, day, author)]; c != nil && total == c.n {
				channelDays.by[key(guild, channel, day)].newAuthors++
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("count messages by author and day: %w", err)
	}
	var named []*count // channels whose day starts in this run
	err = upsertRows(ctx, tx, `INSERT INTO stats_channel_daily (guild_id, channel_id, day, messages, threads_started, authors) VALUES `,
		`ON CONFLICT (guild_id, channel_id, day) DO UPDATE SET messages = stats_channel_daily.messages + excluded.messages,
			threads_started = stats_channel_daily.threads_started + excluded.threads_started,
			authors = stats_channel_daily.authors + excluded.authors
		RETURNING guild_id, channel_id, day, messages`, nil,
		channelDays.keys, func(k string) []any {
			c := channelDays.by[k]
			return []any{c.guild, c.channel, c.day, c.n, c.threads, c.newAuthors}
		},
		func(rows *sqlx.Rows) error {
			var guild, channel, day string
			var total int64
			if err := rows.Scan(&guild, &channel, &day, &total); err != nil {
				return err
			}
			if c := channelDays.by[key(guild, channel, day)]; c != nil && total == c.n && c.name != "" {
				named = append(named, c)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("count messages by channel and day: %w", err)
	}
	for _, c := range named {
		if err := tx.recordChannelName(ctx, c.guild, c.channel, c.name); err != nil {
			return err
		}
	}
	err = upsertRows(ctx, tx, `INSERT INTO stats_author_period (period, guild_id, author_id, messages, staff) VALUES `,
		`ON CONFLICT (period, guild_id, author_id) DO UPDATE SET messages = stats_author_period.messages + excluded.messages, staff = excluded.staff
		RETURNING period, guild_id, author_id, messages`, nil,
		authorPeriods.keys, func(k string) []any {
			c := authorPeriods.by[k]
			return []any{c.period, c.guild, c.author, c.n, c.staff}
		},
		func(rows *sqlx.Rows) error {
			var period, guild, author string
			var total int64
			if err := rows.Scan(&period, &guild, &author, &total); err != nil {
				return err
			}
			if c := authorPeriods.by[key(period, guild, author)]; c != nil && total == c.n {
				periods.by[key(period, guild)].newAuthors++
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("count messages by author and period: %w", err)
	}
	err = upsertRows(ctx, tx, `INSERT INTO stats_period (period, guild_id, messages, authors, threads_started) VALUES `,
		`ON CONFLICT (period, guild_id) DO UPDATE SET messages = stats_period.messages + excluded.messages,
			authors = stats_period.authors + excluded.authors, threads_started = stats_period.threads_started + excluded.threads_started`, nil,
		periods.keys, func(k string) []any {
			c := periods.by[k]
			return []any{c.period, c.guild, c.n, c.newAuthors, c.threads}
		}, nil)
	if err != nil {
		return fmt.Errorf("count messages by period: %w", err)
	}
	return f.rollups(ctx, run)
}

// key joins the parts of a tally's key.
func key(parts ...string) string { return strings.Join(parts, "\x00") }

// maxUpsertArgs bounds the parameters of one multi-row statement, well under
// both databases' limits (SQLite 32,766, Postgres 65,535).
const maxUpsertArgs = 4000

// upsertRows writes one row per key with as few statements as the parameter
// limit allows: head is the statement up to VALUES, tail what follows the
// rows (ON CONFLICT …, RETURNING …) and tailArgs its parameters. scan, when
// not nil, reads each returned row.
func upsertRows(ctx context.Context, tx *Tx, head, tail string, tailArgs []any, keys []string, row func(string) []any, scan func(*sqlx.Rows) error) error {
	for len(keys) > 0 {
		var q strings.Builder
		var args []any
		q.WriteString(head)
		n := 0
		for ; n < len(keys); n++ {
			r := row(keys[n])
			if n > 0 && len(args)+len(r) > maxUpsertArgs {
				break
			}
			if n > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + strings.Repeat("?, ", len(r)-1) + "?)")
			args = append(args, r...)
		}
		q.WriteString(" ")
		q.WriteString(tail)
		args = append(args, tailArgs...)
		keys = keys[n:]
		if scan == nil {
			if _, err := tx.exec(ctx, q.String(), args...); err != nil {
				return err
			}
			continue
		}
		rows, err := tx.tx.QueryxContext(ctx, tx.rebind(q.String()), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
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

// memberCount applies a member count the platform reported.
func (f *folder) memberCount(ctx context.Context, e statsEvent) error {
	tx := f.tx
	if _, err := tx.exec(ctx, `INSERT INTO stats_guild_baseline (guild_id, member_count, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (guild_id) DO UPDATE SET member_count = excluded.member_count, updated_at = excluded.updated_at`,
		e.GuildID, e.MemberCount, e.RecordedAt.UTC()); err != nil {
		return fmt.Errorf("member count of %s: %w", e.GuildID, err)
	}
	f.baseline[e.GuildID] = true
	if _, err := tx.exec(ctx, `INSERT INTO stats_guild_daily (guild_id, day, joins, leaves, member_count) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (guild_id, day) DO UPDATE SET member_count = excluded.member_count`, e.GuildID, e.Day, e.MemberCount); err != nil {
		return fmt.Errorf("member count of %s on %s: %w", e.GuildID, e.Day, err)
	}
	return nil
}

// hasBaseline reports whether the platform has reported guild's size.
func (f *folder) hasBaseline(ctx context.Context, guild string) (bool, error) {
	if b, ok := f.baseline[guild]; ok {
		return b, nil
	}
	var n []int
	if err := f.tx.tx.SelectContext(ctx, &n, f.tx.rebind(`SELECT 1 FROM stats_guild_baseline WHERE guild_id = ?`), guild); err != nil {
		return false, fmt.Errorf("member count baseline of %s: %w", guild, err)
	}
	f.baseline[guild] = len(n) > 0
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

// memberChange applies a join or a leave.
func (f *folder) memberChange(ctx context.Context, e statsEvent) error {
	tx := f.tx
	left := e.Kind == "leave"
	now := e.RecordedAt.UTC()
	var rows []struct {
		Left *time.Time `db:"left_at"`
	}
	err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT left_at FROM members WHERE platform = 'discord' AND scope_id = ? AND user_id = ?`),
		e.GuildID, e.UserID)
	if err != nil {
		return fmt.Errorf("member %s: %w", e.UserID, err)
	}
	known, in := len(rows) == 1, len(rows) == 1 && rows[0].Left == nil
	var at time.Time
	if e.HappenedAt != nil {
		at = e.HappenedAt.UTC()
	} else {
		at = now
	}
	delta := 0
	switch {
	case !known:
		var joined, leftAt any
		if left {
			leftAt = at
			// Someone Liaison never saw leaves: they were in the count
			// Discord reported, if it reported one.
			counted, err := f.hasBaseline(ctx, e.GuildID)
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
			VALUES ('discord', ?, ?, ?, ?, ?, ?, ?, ?)`, e.GuildID, e.UserID, e.UserName, e.UserDisplay, joined, leftAt, now, now)
	case left:
		if in {
			delta = -1
		}
		_, err = tx.exec(ctx, `UPDATE members SET left_at = ?, last_seen_at = ? WHERE platform = 'discord' AND scope_id = ? AND user_id = ?`,
			at, now, e.GuildID, e.UserID)
	default:
		if !in {
			delta = 1
		}
		_, err = tx.exec(ctx, `UPDATE members SET joined_at = ?, left_at = NULL, username = ?, display_name = ?, last_seen_at = ?
			WHERE platform = 'discord' AND scope_id = ? AND user_id = ?`, at, e.UserName, e.UserDisplay, now, e.GuildID, e.UserID)
	}
	if err != nil {
		return fmt.Errorf("record member %s: %w", e.UserID, err)
	}
	joins, leaves := 1, 0
	if left {
		joins, leaves = 0, 1
	}
	return tx.bumpGuildDay(ctx, e.GuildID, e.Day, joins, leaves, delta)
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
// diagnostics. Events not yet folded into the roll-ups are folded first.
func (d *DB) DailyStats(ctx context.Context, first, last string) ([]ChannelDay, []AuthorDay, []GuildDay, error) {
	if _, err := d.FoldStats(ctx); err != nil {
		return nil, nil, nil, err
	}
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
