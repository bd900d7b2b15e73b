package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Moderation cases, their expiries, the confirmations waiting for a
// moderator, and the mod-log messages that show them.

type caseRow struct {
	GuildID          string        `db:"guild_id"`
	Number           int64         `db:"number"`
	Action           string        `db:"action"`
	TargetID         string        `db:"target_id"`
	TargetName       string        `db:"target_name"`
	ModeratorID      string        `db:"moderator_id"`
	ModeratorName    string        `db:"moderator_name"`
	Reason           string        `db:"reason"`
	DurationSeconds  sql.NullInt64 `db:"duration_seconds"`
	ExpiresAt        *time.Time    `db:"expires_at"`
	Source           string        `db:"source"`
	ChannelID        string        `db:"channel_id"`
	TriggerMessageID string        `db:"trigger_message_id"`
	LinkedCase       sql.NullInt64 `db:"linked_case"`
	Points           int           `db:"points"`
	CreatedAt        time.Time     `db:"created_at"`
	UpdatedAt        time.Time     `db:"updated_at"`
}

const caseColumns = `guild_id, number, action, target_id, target_name, moderator_id, moderator_name, reason, duration_seconds,
	expires_at, source, channel_id, trigger_message_id, linked_case, points, created_at, updated_at`

func (r *caseRow) toCase() *bot.Case {
	c := &bot.Case{
		GuildID: r.GuildID, Number: r.Number, Action: r.Action, TargetID: r.TargetID, TargetName: r.TargetName,
		ModeratorID: r.ModeratorID, ModeratorName: r.ModeratorName, Reason: r.Reason, Source: r.Source,
		ChannelID: r.ChannelID, TriggerMessageID: r.TriggerMessageID, Points: r.Points,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.DurationSeconds.Valid {
		c.Duration = time.Duration(r.DurationSeconds.Int64) * time.Second
	}
	if r.ExpiresAt != nil {
		c.ExpiresAt = r.ExpiresAt.UTC()
	}
	if r.LinkedCase.Valid {
		c.LinkedCase = r.LinkedCase.Int64
	}
	return c
}

// CreateCase gives c the next number of its server and stores it, in this
// transaction. Numbers have no gaps and no duplicates, however many
// moderators act at once: the server's counter row is incremented with an
// UPDATE, which holds the row's lock (like SELECT … FOR UPDATE) until the
// transaction ends, so concurrent cases of one server take numbers one after
// another, and a transaction that rolls back gives its number back. On
// SQLite, write transactions already run one at a time. c.Number,
// CreatedAt and UpdatedAt are set.
func (tx *Tx) CreateCase(ctx context.Context, now time.Time, c *bot.Case) error {
	if c.GuildID == "" || c.Action == "" || c.Source == "" {
		return fmt.Errorf("create case: guild, action and source are required")
	}
	if _, err := tx.exec(ctx, `INSERT INTO mod_case_counters (guild_id, last_number) VALUES (?, 0) ON CONFLICT (guild_id) DO NOTHING`, c.GuildID); err != nil {
		return fmt.Errorf("create case in %s: counter: %w", c.GuildID, err)
	}
	var n int64
	if err := tx.tx.GetContext(ctx, &n, tx.rebind(`UPDATE mod_case_counters SET last_number = last_number + 1 WHERE guild_id = ? RETURNING last_number`), c.GuildID); err != nil {
		return fmt.Errorf("create case in %s: take a number: %w", c.GuildID, err)
	}
	c.Number = n
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	var dur, linked any
	if c.Duration > 0 {
		dur = int64(c.Duration / time.Second)
	}
	if c.LinkedCase > 0 {
		linked = c.LinkedCase
	}
	_, err := tx.exec(ctx, `INSERT INTO mod_cases (`+caseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.GuildID, c.Number, c.Action, c.TargetID, c.TargetName, c.ModeratorID, c.ModeratorName, c.Reason, dur,
		utc(c.ExpiresAt), c.Source, c.ChannelID, c.TriggerMessageID, linked, c.Points, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("create case %d in %s: %w", n, c.GuildID, err)
	}
	return nil
}

// Case returns case n of a server, locked for update in this transaction,
// or a bot.ENotFound error.
func (tx *Tx) Case(ctx context.Context, guildID string, n int64) (*bot.Case, error) {
	var r caseRow
	err := tx.tx.GetContext(ctx, &r, tx.rebind(`SELECT `+caseColumns+` FROM mod_cases WHERE guild_id = ? AND number = ?`+tx.db.dialect.forUpdate), guildID, n)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no case %d on this server. /cases shows a member's cases.", n)
	} else if err != nil {
		return nil, fmt.Errorf("case %d in %s: %w", n, guildID, err)
	}
	return r.toCase(), nil
}

// Case returns case n of a server, or a bot.ENotFound error.
func (d *DB) Case(ctx context.Context, guildID string, n int64) (c *bot.Case, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		c, err = tx.Case(ctx, guildID, n)
		return err
	})
	return c, err
}

// SetCaseReason changes a case's reason.
func (tx *Tx) SetCaseReason(ctx context.Context, now time.Time, guildID string, n int64, reason string) error {
	_, err := tx.exec(ctx, `UPDATE mod_cases SET reason = ?, updated_at = ? WHERE guild_id = ? AND number = ?`, reason, now.UTC(), guildID, n)
	if err != nil {
		return fmt.Errorf("set reason of case %d in %s: %w", n, guildID, err)
	}
	return nil
}

// CasesFor returns a member's cases in a server, newest first, at most limit
// (default 25).
func (d *DB) CasesFor(ctx context.Context, guildID, targetID string, limit int) ([]*bot.Case, error) {
	var rows []caseRow
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT `+caseColumns+` FROM mod_cases WHERE guild_id = ? AND target_id = ?
		ORDER BY number DESC LIMIT ?`), guildID, targetID, cmpOr(limit, 25))
	if err != nil {
		return nil, fmt.Errorf("cases of %s in %s: %w", targetID, guildID, err)
	}
	out := make([]*bot.Case, len(rows))
	for i := range rows {
		out[i] = rows[i].toCase()
	}
	return out, nil
}

// PointsHistory returns the points a member's cases carry, oldest first,
// read in this transaction (so a warn sees the cases committed before it).
func (tx *Tx) PointsHistory(ctx context.Context, guildID, targetID string) ([]bot.PointsEvent, error) {
	var rows []struct {
		Points    int       `db:"points"`
		CreatedAt time.Time `db:"created_at"`
	}
	err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT points, created_at FROM mod_cases WHERE guild_id = ? AND target_id = ? AND points <> 0
		ORDER BY number`), guildID, targetID)
	if err != nil {
		return nil, fmt.Errorf("points of %s in %s: %w", targetID, guildID, err)
	}
	out := make([]bot.PointsEvent, len(rows))
	for i, r := range rows {
		out[i] = bot.PointsEvent{Points: r.Points, At: r.CreatedAt.UTC()}
	}
	return out, nil
}

// PointsHistory is Tx.PointsHistory outside a transaction.
func (d *DB) PointsHistory(ctx context.Context, guildID, targetID string) (h []bot.PointsEvent, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		h, err = tx.PointsHistory(ctx, guildID, targetID)
		return err
	})
	return h, err
}

// TargetByName returns the id of the member a server's cases name name (a
// user name, case-insensitive), newest first; "" when none does. It finds
// people who left (to unban them) by the name Liaison knew them by.
func (d *DB) TargetByName(ctx context.Context, guildID, name string) (string, error) {
	var ids []string
	err := d.db.SelectContext(ctx, &ids, d.db.Rebind(`SELECT target_id FROM mod_cases WHERE guild_id = ? AND LOWER(target_name) = ? AND target_id <> ''
		ORDER BY number DESC LIMIT 1`), guildID, strings.ToLower(name))
	if err != nil {
		return "", fmt.Errorf("find %q in cases: %w", name, err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// CaseCounts returns how many cases of each action were made in [from, to),
// in every server: the digest's "moderation actions by type".
func (d *DB) CaseCounts(ctx context.Context, from, to time.Time) (map[string]int, error) {
	var rows []struct {
		Action string `db:"action"`
		N      int    `db:"n"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT action, COUNT(*) AS n FROM mod_cases WHERE created_at >= ? AND created_at < ? GROUP BY action`),
		from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Action] = r.N
	}
	return out, nil
}

// Expiry actions.
const (
	ExpiryUnban        = "unban"         // lift a temporary ban
	ExpiryUntimeout    = "untimeout"     // note that a timeout ended (Discord lifts it itself)
	ExpiryRenewTimeout = "renew_timeout" // extend a timeout longer than Discord's 28 days
)

// Expiry statuses.
const (
	ExpiryPending   = "pending"
	ExpiryDone      = "done"
	ExpiryCancelled = "cancelled"
)

// Expiry is a temporary action to undo or renew at DueAt.
type Expiry struct {
	ID         int64      `db:"id"`
	GuildID    string     `db:"guild_id"`
	CaseNumber int64      `db:"case_number"`
	Action     string     `db:"action"`
	TargetID   string     `db:"target_id"`
	DueAt      time.Time  `db:"due_at"`
	Status     string     `db:"status"`
	DoneAt     *time.Time `db:"done_at"`
	Detail     string     `db:"detail"`
}

const expiryColumns = `id, guild_id, case_number, action, target_id, due_at, status, done_at, detail`

// AddExpiry records that action must happen to a case's target at due. A
// case has at most one expiry of each action; adding it again changes
// nothing.
func (tx *Tx) AddExpiry(ctx context.Context, guildID string, caseNumber int64, action, targetID string, due time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO mod_expiries (guild_id, case_number, action, target_id, due_at, status) VALUES (?, ?, ?, ?, ?, 'pending')
		ON CONFLICT (guild_id, case_number, action) DO NOTHING`, guildID, caseNumber, action, targetID, due.UTC())
	if err != nil {
		return fmt.Errorf("add %s expiry of case %d: %w", action, caseNumber, err)
	}
	return nil
}

// CancelExpiries cancels the pending expiries of a member with one of the
// actions given (a new ban supersedes a temporary one; an unban by hand
// leaves nothing to lift), saying why in their detail. It returns how many
// it cancelled.
func (tx *Tx) CancelExpiries(ctx context.Context, now time.Time, guildID, targetID, why string, actions ...string) (int, error) {
	if len(actions) == 0 {
		return 0, nil
	}
	args := []any{now.UTC(), why, guildID, targetID}
	for _, a := range actions {
		args = append(args, a)
	}
	res, err := tx.exec(ctx, `UPDATE mod_expiries SET status = 'cancelled', done_at = ?, detail = ?
		WHERE guild_id = ? AND target_id = ? AND status = 'pending' AND action IN (?`+strings.Repeat(", ?", len(actions)-1)+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("cancel expiries of %s: %w", targetID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DueExpiries returns up to limit pending expiries due at now, earliest
// first.
func (d *DB) DueExpiries(ctx context.Context, now time.Time, limit int) ([]Expiry, error) {
	var out []Expiry
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT `+expiryColumns+` FROM mod_expiries WHERE status = 'pending' AND due_at <= ?
		ORDER BY due_at, id LIMIT ?`), now.UTC(), cmpOr(limit, 100))
	if err != nil {
		return nil, fmt.Errorf("due expiries: %w", err)
	}
	for i := range out {
		out[i].DueAt = out[i].DueAt.UTC()
	}
	return out, nil
}

// Expiries returns every expiry of a server, oldest first: for tests and
// diagnostics.
func (d *DB) Expiries(ctx context.Context, guildID string) ([]Expiry, error) {
	var out []Expiry
	if err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT `+expiryColumns+` FROM mod_expiries WHERE guild_id = ? ORDER BY id`), guildID); err != nil {
		return nil, fmt.Errorf("expiries: %w", err)
	}
	for i := range out {
		out[i].DueAt = out[i].DueAt.UTC()
	}
	return out, nil
}

// ClaimExpiry takes expiry e for this transaction: it reports true, once,
// to the one transaction that finds it still pending and due at e.DueAt,
// and marks it done (or, with next non-zero, due again at next). Whatever
// the transaction enqueues commits with the claim: several replicas, or a
// retry after a crash, act on an expiry once.
func (tx *Tx) ClaimExpiry(ctx context.Context, now time.Time, e Expiry, next time.Time, detail string) (bool, error) {
	var res sql.Result
	var err error
	if next.IsZero() {
		res, err = tx.exec(ctx, `UPDATE mod_expiries SET status = 'done', done_at = ?, detail = ? WHERE id = ? AND status = 'pending' AND due_at = ?`,
			now.UTC(), detail, e.ID, e.DueAt.UTC())
	} else {
		res, err = tx.exec(ctx, `UPDATE mod_expiries SET due_at = ?, detail = ? WHERE id = ? AND status = 'pending' AND due_at = ?`,
			next.UTC(), detail, e.ID, e.DueAt.UTC())
	}
	if err != nil {
		return false, fmt.Errorf("claim expiry %d: %w", e.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Pending is a question waiting for a moderator's answer.
type Pending struct {
	ID          int64     `db:"id"`
	GuildID     string    `db:"guild_id"`
	Kind        string    `db:"kind"`
	ModeratorID string    `db:"moderator_id"`
	Payload     string    `db:"payload"`
	Status      string    `db:"status"`
	CreatedAt   time.Time `db:"created_at"`
	ExpiresAt   time.Time `db:"expires_at"`
}

// CreatePending stores a question and sets its ID.
func (tx *Tx) CreatePending(ctx context.Context, now time.Time, p *Pending) error {
	p.CreatedAt, p.Status = now.UTC(), "pending"
	var id int64
	err := tx.tx.GetContext(ctx, &id, tx.rebind(`INSERT INTO mod_pending (guild_id, kind, moderator_id, payload, status, created_at, expires_at)
		VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING id`), p.GuildID, p.Kind, p.ModeratorID, p.Payload, p.CreatedAt, p.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("create pending %s: %w", p.Kind, err)
	}
	p.ID = id
	return nil
}

// TakePending answers question id: it returns the question and marks it
// with status (done or cancelled), once. A question already answered or
// expired at now gives a bot.EConflict error saying so.
func (tx *Tx) TakePending(ctx context.Context, now time.Time, id int64, status string) (*Pending, error) {
	var p Pending
	err := tx.tx.GetContext(ctx, &p, tx.rebind(`SELECT id, guild_id, kind, moderator_id, payload, status, created_at, expires_at FROM mod_pending WHERE id = ?`+tx.db.dialect.forUpdate), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "This question is no longer known to Liaison; nothing was done.")
	} else if err != nil {
		return nil, fmt.Errorf("pending %d: %w", id, err)
	}
	switch {
	case p.Status != "pending":
		return nil, bot.Errorf(bot.EConflict, "This was already answered (%s); nothing more was done.", p.Status)
	case !now.Before(p.ExpiresAt):
		return nil, bot.Errorf(bot.EConflict, "This question expired; nothing was done. Run the command again.")
	}
	if _, err := tx.exec(ctx, `UPDATE mod_pending SET status = ? WHERE id = ?`, status, id); err != nil {
		return nil, fmt.Errorf("answer pending %d: %w", id, err)
	}
	p.Status = status
	return &p, nil
}

// ModLogPost is the mod-log message showing a case on one platform.
type ModLogPost struct {
	GuildID    string    `db:"guild_id"`
	CaseNumber int64     `db:"case_number"`
	Platform   string    `db:"platform"`
	OutboxKey  string    `db:"outbox_key"`
	CreatedAt  time.Time `db:"created_at"`
}

// AddModLogPost records that the outbox message key shows case n on
// platform.
func (tx *Tx) AddModLogPost(ctx context.Context, now time.Time, guildID string, n int64, platform, key string) error {
	_, err := tx.exec(ctx, `INSERT INTO mod_log_posts (guild_id, case_number, platform, outbox_key, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, case_number, platform) DO NOTHING`, guildID, n, platform, key, now.UTC())
	if err != nil {
		return fmt.Errorf("record mod-log post of case %d: %w", n, err)
	}
	return nil
}

// ModLogPosts returns the mod-log messages of case n.
func (tx *Tx) ModLogPosts(ctx context.Context, guildID string, n int64) ([]ModLogPost, error) {
	var out []ModLogPost
	err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT guild_id, case_number, platform, outbox_key, created_at FROM mod_log_posts
		WHERE guild_id = ? AND case_number = ? ORDER BY platform`), guildID, n)
	if err != nil {
		return nil, fmt.Errorf("mod-log posts of case %d: %w", n, err)
	}
	return out, nil
}

// CasesInPost returns the cases a mod-log message shows, in number order.
func (tx *Tx) CasesInPost(ctx context.Context, key string) ([]*bot.Case, error) {
	var rows []caseRow
	err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT `+prefixed("c.", caseColumns)+` FROM mod_cases c
		JOIN mod_log_posts p ON p.guild_id = c.guild_id AND p.case_number = c.number WHERE p.outbox_key = ? ORDER BY c.number`), key)
	if err != nil {
		return nil, fmt.Errorf("cases in %s: %w", key, err)
	}
	out := make([]*bot.Case, len(rows))
	for i := range rows {
		out[i] = rows[i].toCase()
	}
	return out, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// LastModLogBatch returns the outbox key of the newest batch message
// (modlog:…) a server's cases share on platform, or "".
func (tx *Tx) LastModLogBatch(ctx context.Context, guildID, platform string) (string, error) {
	var keys []string
	err := tx.tx.SelectContext(ctx, &keys, tx.rebind(`SELECT outbox_key FROM mod_log_posts WHERE guild_id = ? AND platform = ? AND outbox_key LIKE 'modlog:%'
		ORDER BY case_number DESC LIMIT 1`), guildID, platform)
	if err != nil {
		return "", fmt.Errorf("last mod-log batch: %w", err)
	}
	if len(keys) == 0 {
		return "", nil
	}
	return keys[0], nil
}

// RecentModLogPosts counts the cases a server logged on platform since
// since: many in a short time is a burst, which is batched.
func (tx *Tx) RecentModLogPosts(ctx context.Context, guildID, platform string, since time.Time) (int, error) {
	var n int
	err := tx.tx.GetContext(ctx, &n, tx.rebind(`SELECT COUNT(*) FROM mod_log_posts WHERE guild_id = ? AND platform = ? AND created_at >= ?`),
		guildID, platform, since.UTC())
	if err != nil {
		return 0, fmt.Errorf("recent mod-log posts: %w", err)
	}
	return n, nil
}

// OutboxState returns the state of the outbox message key and its payload,
// locked for update; "" when there is no such message.
func (tx *Tx) OutboxState(ctx context.Context, key string) (state, payload string, err error) {
	var rows []struct {
		State   string `db:"state"`
		Payload string `db:"payload"`
	}
	err = tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT state, payload FROM outbox WHERE key = ?`+tx.db.dialect.forUpdate), key)
	if err != nil {
		return "", "", fmt.Errorf("outbox %s: %w", key, err)
	}
	if len(rows) == 0 {
		return "", "", nil
	}
	return rows[0].State, rows[0].Payload, nil
}

// ReplacePendingPayload rewrites the payload of an outbox message nobody
// has claimed yet and reports whether it did: false when it is already
// being sent, or sent (then a new message, or an edit, is needed).
func (tx *Tx) ReplacePendingPayload(ctx context.Context, now time.Time, key string, payload []byte) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE outbox SET payload = ?, updated_at = ? WHERE key = ? AND state = 'pending'`, string(payload), now.UTC(), key)
	if err != nil {
		return false, fmt.Errorf("rewrite outbox %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
