package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// The server event logs' memory: member facts (Discord's leave and update
// events carry no "before"), a bounded cache of recent message texts (an
// edit's "before", a deletion's text), invite use counts (which invite a
// newcomer used), and the log entries with the log message showing each.

type factsRow struct {
	GuildID   string     `db:"guild_id"`
	UserID    string     `db:"user_id"`
	Username  string     `db:"username"`
	Nick      string     `db:"nick"`
	Roles     string     `db:"roles"`
	IsBot     bool       `db:"is_bot"`
	JoinedAt  *time.Time `db:"joined_at"`
	UpdatedAt time.Time  `db:"updated_at"`
}

func (r *factsRow) facts() *bot.MemberFacts {
	f := &bot.MemberFacts{User: bot.User{Platform: bot.PlatformDiscord, ID: r.UserID, Name: r.Username, Display: r.Nick, Bot: r.IsBot}, Nick: r.Nick}
	if r.Roles != "" {
		f.User.Roles = strings.Split(r.Roles, ",")
	}
	if r.JoinedAt != nil {
		f.JoinedAt = r.JoinedAt.UTC()
	}
	return f
}

// MemberFacts returns what the store knows of a member, nil when nothing.
func (tx *Tx) MemberFacts(ctx context.Context, guildID, userID string) (*bot.MemberFacts, error) {
	var r factsRow
	err := tx.tx.GetContext(ctx, &r, tx.rebind(`SELECT guild_id, user_id, username, nick, roles, is_bot, joined_at, updated_at
		FROM member_facts WHERE guild_id = ? AND user_id = ?`+tx.db.dialect.forUpdate), guildID, userID)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("member facts of %s in %s: %w", userID, guildID, err)
	}
	return r.facts(), nil
}

// PutMemberFacts records a member's facts now and returns what was known
// before (nil when nothing). A zero JoinedAt keeps the known one.
func (tx *Tx) PutMemberFacts(ctx context.Context, now time.Time, guildID string, f bot.MemberFacts) (*bot.MemberFacts, error) {
	before, err := tx.MemberFacts(ctx, guildID, f.User.ID)
	if err != nil {
		return nil, err
	}
	roles := slices.Clone(f.User.Roles)
	slices.Sort(roles)
	_, err = tx.exec(ctx, `INSERT INTO member_facts (guild_id, user_id, username, nick, roles, is_bot, joined_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, user_id) DO UPDATE SET username = CASE WHEN excluded.username <> '' THEN excluded.username ELSE member_facts.username END,
			nick = excluded.nick, roles = excluded.roles, is_bot = excluded.is_bot,
			joined_at = COALESCE(excluded.joined_at, member_facts.joined_at), updated_at = excluded.updated_at`,
		guildID, f.User.ID, f.User.Name, f.Nick, strings.Join(roles, ","), f.User.Bot, utc(f.JoinedAt), now.UTC())
	if err != nil {
		return nil, fmt.Errorf("record member facts of %s in %s: %w", f.User.ID, guildID, err)
	}
	return before, nil
}

// ForgetMember removes a member's facts (they left) and returns them, nil
// when nothing was known.
func (tx *Tx) ForgetMember(ctx context.Context, guildID, userID string) (*bot.MemberFacts, error) {
	f, err := tx.MemberFacts(ctx, guildID, userID)
	if err != nil || f == nil {
		return f, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM member_facts WHERE guild_id = ? AND user_id = ?`, guildID, userID); err != nil {
		return nil, fmt.Errorf("forget member %s in %s: %w", userID, guildID, err)
	}
	return f, nil
}

// CachedMessage is a message's text as Liaison last saw it.
type CachedMessage struct {
	MessageID  string    `db:"message_id"`
	ChannelID  string    `db:"channel_id"`
	GuildID    string    `db:"guild_id"`
	AuthorID   string    `db:"author_id"`
	AuthorName string    `db:"author_name"`
	Content    string    `db:"content"`
	CreatedAt  time.Time `db:"created_at"`
}

const cachedColumns = `message_id, channel_id, guild_id, author_id, author_name, content, created_at`

// CacheMessage records a message's text (a new message, or an edit's new
// text) and returns what was cached before, nil when nothing.
func (tx *Tx) CacheMessage(ctx context.Context, m CachedMessage) (*CachedMessage, error) {
	before, err := tx.CachedMessage(ctx, m.MessageID)
	if err != nil {
		return nil, err
	}
	_, err = tx.exec(ctx, `INSERT INTO message_cache (`+cachedColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (message_id) DO UPDATE SET content = excluded.content,
			author_name = CASE WHEN excluded.author_name <> '' THEN excluded.author_name ELSE message_cache.author_name END`,
		m.MessageID, m.ChannelID, m.GuildID, m.AuthorID, m.AuthorName, m.Content, m.CreatedAt.UTC())
	if err != nil {
		return nil, fmt.Errorf("cache message %s: %w", m.MessageID, err)
	}
	return before, nil
}

// CachedMessage returns the cached text of a message, nil when not cached.
func (tx *Tx) CachedMessage(ctx context.Context, id string) (*CachedMessage, error) {
	var m CachedMessage
	err := tx.tx.GetContext(ctx, &m, tx.rebind(`SELECT `+cachedColumns+` FROM message_cache WHERE message_id = ?`), id)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("cached message %s: %w", id, err)
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, nil
}

// UncacheMessages removes messages from the cache (they were deleted) and
// returns those it had, in the order of ids.
func (tx *Tx) UncacheMessages(ctx context.Context, ids []string) ([]CachedMessage, error) {
	var out []CachedMessage
	for _, id := range ids {
		m, err := tx.CachedMessage(ctx, id)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue
		}
		if _, err := tx.exec(ctx, `DELETE FROM message_cache WHERE message_id = ?`, id); err != nil {
			return nil, fmt.Errorf("uncache message %s: %w", id, err)
		}
		out = append(out, *m)
	}
	return out, nil
}

// PruneMessageCache forgets cached messages older than before, and beyond
// the newest perChannel of each channel. It returns how many it removed.
func (d *DB) PruneMessageCache(ctx context.Context, before time.Time, perChannel int) (int, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM message_cache WHERE created_at < ?`), before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune the message cache: %w", err)
	}
	n, _ := res.RowsAffected()
	if perChannel > 0 {
		res, err = d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM message_cache WHERE message_id IN (
			SELECT message_id FROM (SELECT message_id, ROW_NUMBER() OVER (PARTITION BY channel_id ORDER BY created_at DESC, message_id DESC) AS rn
				FROM message_cache) ranked WHERE rn > ?)`), perChannel)
		if err != nil {
			return int(n), fmt.Errorf("prune the message cache to %d per channel: %w", perChannel, err)
		}
		m, _ := res.RowsAffected()
		n += m
	}
	return int(n), nil
}

// InvitesUsed records a server's invite use counts and returns the codes
// whose count went up since the last reading (new invites count from 0).
// The first reading of a server reports nothing: there is nothing to
// compare with.
func (tx *Tx) InvitesUsed(ctx context.Context, guildID string, invites []bot.Invite) ([]string, error) {
	var known []struct {
		Code string `db:"code"`
		Uses int    `db:"uses"`
	}
	if err := tx.tx.SelectContext(ctx, &known, tx.rebind(`SELECT code, uses FROM invite_uses WHERE guild_id = ?`+tx.db.dialect.forUpdate), guildID); err != nil {
		return nil, fmt.Errorf("invite uses of %s: %w", guildID, err)
	}
	was := map[string]int{}
	for _, k := range known {
		was[k.Code] = k.Uses
	}
	var used []string
	for _, inv := range invites {
		if len(known) > 0 && inv.Uses > was[inv.Code] {
			used = append(used, inv.Code)
		}
		if _, err := tx.exec(ctx, `INSERT INTO invite_uses (guild_id, code, uses) VALUES (?, ?, ?)
			ON CONFLICT (guild_id, code) DO UPDATE SET uses = excluded.uses`, guildID, inv.Code, inv.Uses); err != nil {
			return nil, fmt.Errorf("record invite %s of %s: %w", inv.Code, guildID, err)
		}
	}
	if len(known) == 0 && len(invites) == 0 {
		// Remember that the server was read, with no invites.
		if _, err := tx.exec(ctx, `INSERT INTO invite_uses (guild_id, code, uses) VALUES (?, '', 0) ON CONFLICT (guild_id, code) DO NOTHING`, guildID); err != nil {
			return nil, fmt.Errorf("record invites of %s: %w", guildID, err)
		}
	}
	return used, nil
}

// LogEntry is one server log entry in one log channel.
type LogEntry struct {
	ID        int64     `db:"id"`
	GuildID   string    `db:"guild_id"`
	Kind      string    `db:"kind"`
	Platform  string    `db:"platform"`
	ChannelID string    `db:"channel_id"`
	BatchKey  string    `db:"batch_key"` // the outbox key of the log message showing it
	Line      string    `db:"line"`      // the entry on one line, for a batch
	Post      string    `db:"post"`      // the entry as a message of its own (bot.Post JSON)
	CreatedAt time.Time `db:"created_at"`
}

const logEntryColumns = `id, guild_id, kind, platform, channel_id, batch_key, line, post, created_at`

// AddLogEntry records e (its ID and BatchKey set by the caller except ID).
func (tx *Tx) AddLogEntry(ctx context.Context, e *LogEntry) error {
	err := tx.tx.GetContext(ctx, &e.ID, tx.rebind(`INSERT INTO server_log_entries (guild_id, kind, platform, channel_id, batch_key, line, post, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.GuildID, e.Kind, e.Platform, e.ChannelID, e.BatchKey, e.Line, e.Post, e.CreatedAt.UTC())
	if err != nil {
		return fmt.Errorf("add a %s log entry: %w", e.Kind, err)
	}
	return nil
}

// LastLogEntry returns the newest entry of a log channel, nil when none.
func (tx *Tx) LastLogEntry(ctx context.Context, platform, channelID string) (*LogEntry, error) {
	var e LogEntry
	err := tx.tx.GetContext(ctx, &e, tx.rebind(`SELECT `+logEntryColumns+` FROM server_log_entries WHERE platform = ? AND channel_id = ?
		ORDER BY id DESC LIMIT 1`), platform, channelID)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("last log entry in %s %s: %w", platform, channelID, err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// LogBatch returns the entries a log message shows, oldest first.
func (tx *Tx) LogBatch(ctx context.Context, batchKey string) ([]LogEntry, error) {
	var out []LogEntry
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT `+logEntryColumns+` FROM server_log_entries WHERE batch_key = ? ORDER BY id`), batchKey); err != nil {
		return nil, fmt.Errorf("log batch %s: %w", batchKey, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// PruneLogEntries forgets log entries older than before (their messages
// are long sent; only a batch's current entries matter).
func (d *DB) PruneLogEntries(ctx context.Context, before time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM server_log_entries WHERE created_at < ?`), before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune log entries: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
