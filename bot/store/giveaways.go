package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Giveaways: the giveaway rows, their entries (one per person), the whole
// order their draw fixed and the rounds that made winners.

type giveawayRow struct {
	ID            int64      `db:"id"`
	GuildID       string     `db:"guild_id"`
	ChannelID     string     `db:"channel_id"`
	Prize         string     `db:"prize"`
	Description   string     `db:"description"`
	Winners       int        `db:"winners"`
	RequiresRole  string     `db:"requires_role"`
	RequiresName  string     `db:"requires_role_name"`
	MinAccountAge int64      `db:"min_account_age"`
	MinMemberFor  int64      `db:"min_member_for"`
	BonusRole     string     `db:"bonus_role"`
	BonusName     string     `db:"bonus_role_name"`
	BonusTickets  int        `db:"bonus_tickets"`
	HostID        string     `db:"host_id"`
	HostName      string     `db:"host_name"`
	Source        string     `db:"source"`
	State         string     `db:"state"`
	CancelReason  string     `db:"cancel_reason"`
	Seed          string     `db:"seed"`
	Commitment    string     `db:"commitment"`
	EntrantsHash  string     `db:"entrants_hash"`
	MessageKey    string     `db:"message_key"`
	MessageID     string     `db:"message_id"`
	EndsAt        time.Time  `db:"ends_at"`
	DrawnAt       *time.Time `db:"drawn_at"`
	LateReason    string     `db:"late_reason"`
	CreatedAt     time.Time  `db:"created_at"`
	Entries       int        `db:"entries"`
}

// giveawaySelect reads giveaways (alias g) with their entry count and the
// giveaway message's id, from the outbox row that sent it when the giveaway
// row does not have it yet.
const giveawaySelect = `SELECT g.id, g.guild_id, g.channel_id, g.prize, g.description, g.winners, g.requires_role, g.requires_role_name, g.min_account_age,
	g.min_member_for, g.bonus_role, g.bonus_role_name, g.bonus_tickets, g.host_id, g.host_name, g.source, g.state, g.cancel_reason, g.seed, g.commitment,
	g.entrants_hash, g.message_key, COALESCE(NULLIF(g.message_id, ''), o.platform_id, '') AS message_id, g.ends_at, g.drawn_at,
	g.late_reason, g.created_at,
	(SELECT COUNT(*) FROM giveaway_entries e WHERE e.giveaway_id = g.id) AS entries
	FROM giveaways g LEFT JOIN outbox o ON o.key = g.message_key`

func (r *giveawayRow) toGiveaway() *bot.Giveaway {
	g := &bot.Giveaway{
		ID: r.ID, GuildID: r.GuildID, ChannelID: r.ChannelID, Prize: r.Prize, Description: r.Description, Winners: r.Winners,
		RequiresRole: r.RequiresRole, RequiresName: r.RequiresName, BonusName: r.BonusName, MinAccountAge: time.Duration(r.MinAccountAge) * time.Second,
		MinMemberFor: time.Duration(r.MinMemberFor) * time.Second, BonusRole: r.BonusRole, BonusTickets: r.BonusTickets,
		HostID: r.HostID, HostName: r.HostName, Source: r.Source, State: r.State, CancelReason: r.CancelReason,
		Seed: r.Seed, Commitment: r.Commitment, EntrantsHash: r.EntrantsHash, MessageKey: r.MessageKey, MessageID: r.MessageID,
		EndsAt: r.EndsAt.UTC(), LateReason: r.LateReason, CreatedAt: r.CreatedAt.UTC(), Entries: r.Entries,
	}
	if r.DrawnAt != nil {
		g.DrawnAt = r.DrawnAt.UTC()
	}
	return g
}

// GiveawayMessageKey is the outbox key of a giveaway's message.
func GiveawayMessageKey(id int64) string { return fmt.Sprintf("giveaway:%d:post", id) }

// CreateGiveaway stores g as open, in this transaction, and sets its ID,
// MessageKey (GiveawayMessageKey), State and CreatedAt.
func (tx *Tx) CreateGiveaway(ctx context.Context, now time.Time, g *bot.Giveaway) error {
	if g.GuildID == "" || g.ChannelID == "" || g.Seed == "" || g.Commitment == "" {
		return fmt.Errorf("create giveaway: guild, channel, seed and commitment are required")
	}
	g.State, g.CreatedAt = bot.GiveawayOpen, now.UTC()
	err := tx.tx.GetContext(ctx, &g.ID, tx.rebind(`INSERT INTO giveaways (guild_id, channel_id, prize, description, winners, requires_role, requires_role_name,
		min_account_age, min_member_for, bonus_role, bonus_role_name, bonus_tickets, host_id, host_name, source, state, seed, commitment, message_key,
		ends_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?) RETURNING id`),
		g.GuildID, g.ChannelID, g.Prize, g.Description, g.Winners, g.RequiresRole, g.RequiresName, int64(g.MinAccountAge/time.Second),
		int64(g.MinMemberFor/time.Second), g.BonusRole, g.BonusName, g.BonusTickets, g.HostID, g.HostName, g.Source, g.State, g.Seed, g.Commitment,
		g.EndsAt.UTC(), g.CreatedAt, g.CreatedAt)
	if err != nil {
		return fmt.Errorf("create giveaway: %w", err)
	}
	g.MessageKey = GiveawayMessageKey(g.ID)
	if _, err := tx.exec(ctx, `UPDATE giveaways SET message_key = ? WHERE id = ?`, g.MessageKey, g.ID); err != nil {
		return fmt.Errorf("create giveaway %d: %w", g.ID, err)
	}
	return nil
}

// Giveaway returns giveaway id, locked for update in this transaction (an
// entry, the draw, a cancel or a reroll of one giveaway run one at a
// time), or a bot.ENotFound error.
func (tx *Tx) Giveaway(ctx context.Context, id int64) (*bot.Giveaway, error) {
	if tx.db.dialect.forUpdate != "" {
		if _, err := tx.exec(ctx, `SELECT id FROM giveaways WHERE id = ? FOR UPDATE`, id); err != nil {
			return nil, fmt.Errorf("lock giveaway %d: %w", id, err)
		}
	}
	var r giveawayRow
	err := tx.tx.GetContext(ctx, &r, tx.rebind(giveawaySelect+` WHERE g.id = ?`), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no giveaway %d. /giveaway list shows them.", id)
	} else if err != nil {
		return nil, fmt.Errorf("giveaway %d: %w", id, err)
	}
	return r.toGiveaway(), nil
}

// Giveaway returns giveaway id, or a bot.ENotFound error.
func (d *DB) Giveaway(ctx context.Context, id int64) (*bot.Giveaway, error) {
	var r giveawayRow
	err := d.db.GetContext(ctx, &r, d.db.Rebind(giveawaySelect+` WHERE g.id = ?`), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no giveaway %d. /giveaway list shows them.", id)
	} else if err != nil {
		return nil, fmt.Errorf("giveaway %d: %w", id, err)
	}
	return r.toGiveaway(), nil
}

// Giveaways returns a server's open giveaways and those created since
// since, newest first, at most limit.
func (d *DB) Giveaways(ctx context.Context, guildID string, since time.Time, limit int) ([]*bot.Giveaway, error) {
	var rows []giveawayRow
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(giveawaySelect+` WHERE g.guild_id = ? AND (g.state = 'open' OR g.created_at >= ?)
		ORDER BY g.id DESC LIMIT ?`), guildID, since.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("giveaways of %s: %w", guildID, err)
	}
	out := make([]*bot.Giveaway, len(rows))
	for i := range rows {
		out[i] = rows[i].toGiveaway()
	}
	return out, nil
}

// DueGiveaways returns the ids of the open giveaways whose end has come,
// oldest end first.
func (d *DB) DueGiveaways(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := d.db.SelectContext(ctx, &ids, d.db.Rebind(`SELECT id FROM giveaways WHERE state = 'open' AND ends_at <= ? ORDER BY ends_at, id LIMIT ?`), now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("due giveaways: %w", err)
	}
	return ids, nil
}

// AddEntry enters a person, in this transaction; false when they already
// had an entry (one entry per person).
func (tx *Tx) AddEntry(ctx context.Context, now time.Time, giveawayID int64, userID, userName string, tickets int) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO giveaway_entries (giveaway_id, user_id, user_name, tickets, entered_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (giveaway_id, user_id) DO NOTHING`, giveawayID, userID, userName, tickets, now.UTC())
	if err != nil {
		return false, fmt.Errorf("enter giveaway %d: %w", giveawayID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RemoveEntry takes a person's entry back; false when they had none.
func (tx *Tx) RemoveEntry(ctx context.Context, giveawayID int64, userID string) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM giveaway_entries WHERE giveaway_id = ? AND user_id = ?`, giveawayID, userID)
	if err != nil {
		return false, fmt.Errorf("leave giveaway %d: %w", giveawayID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// HasEntry reports whether a person entered a giveaway.
func (d *DB) HasEntry(ctx context.Context, giveawayID int64, userID string) (bool, error) {
	var n int
	err := d.db.GetContext(ctx, &n, d.db.Rebind(`SELECT COUNT(*) FROM giveaway_entries WHERE giveaway_id = ? AND user_id = ?`), giveawayID, userID)
	if err != nil {
		return false, fmt.Errorf("entry of %s in giveaway %d: %w", userID, giveawayID, err)
	}
	return n > 0, nil
}

// Entrants returns a giveaway's entrants, in no particular order.
func (tx *Tx) Entrants(ctx context.Context, giveawayID int64) ([]bot.Entrant, error) {
	var rows []struct {
		UserID  string `db:"user_id"`
		Tickets int    `db:"tickets"`
	}
	if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT user_id, tickets FROM giveaway_entries WHERE giveaway_id = ?`), giveawayID); err != nil {
		return nil, fmt.Errorf("entrants of giveaway %d: %w", giveawayID, err)
	}
	out := make([]bot.Entrant, len(rows))
	for i, r := range rows {
		out[i] = bot.Entrant{UserID: r.UserID, Tickets: r.Tickets}
	}
	return out, nil
}

// CountEdit is the entry-count edit a new entry joins: the edit enqueued
// last (Seq) if it was not sent yet, else a new one (Seq+1) due no sooner
// than 10 seconds after the last, so a burst of clicks makes one edit.
type CountEdit struct {
	Seq int
	Due time.Time
}

// NextCountEdit returns the giveaway's last entry-count edit (0 when none)
// and when it was due, in this transaction (the giveaway locked by
// Tx.Giveaway).
func (tx *Tx) NextCountEdit(ctx context.Context, giveawayID int64) (CountEdit, error) {
	var r struct {
		Seq int        `db:"count_seq"`
		Due *time.Time `db:"count_due_at"`
	}
	if err := tx.tx.GetContext(ctx, &r, tx.rebind(`SELECT count_seq, count_due_at FROM giveaways WHERE id = ?`), giveawayID); err != nil {
		return CountEdit{}, fmt.Errorf("count edits of giveaway %d: %w", giveawayID, err)
	}
	c := CountEdit{Seq: r.Seq}
	if r.Due != nil {
		c.Due = r.Due.UTC()
	}
	return c, nil
}

// SetCountEdit records the entry-count edit enqueued last.
func (tx *Tx) SetCountEdit(ctx context.Context, giveawayID int64, c CountEdit) error {
	_, err := tx.exec(ctx, `UPDATE giveaways SET count_seq = ?, count_due_at = ? WHERE id = ?`, c.Seq, c.Due.UTC(), giveawayID)
	if err != nil {
		return fmt.Errorf("count edit of giveaway %d: %w", giveawayID, err)
	}
	return nil
}

// SaveDraw records a giveaway's draw in this transaction: its state drawn,
// the entrants hash, why it was late (if it was), the whole order, the
// first winners of it as round 0's, and round 0. It reports false, and
// changes nothing, when the giveaway is no longer open (another replica
// drew it, or it was cancelled).
func (tx *Tx) SaveDraw(ctx context.Context, now time.Time, id int64, entrantsHash, lateReason string, order []bot.Entrant, winners int, r bot.GiveawayRound) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaways SET state = 'drawn', entrants_hash = ?, late_reason = ?, drawn_at = ?, updated_at = ?
		WHERE id = ? AND state = 'open'`, entrantsHash, lateReason, now.UTC(), now.UTC(), id)
	if err != nil {
		return false, fmt.Errorf("draw giveaway %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	// The whole order, in statements of up to 500 rows: a giveaway of
	// 100,000 entrants is 200 statements, not 100,000.
	const batch = 500
	for start := 0; start < len(order); start += batch {
		end := min(start+batch, len(order))
		var q strings.Builder
		q.WriteString(`INSERT INTO giveaway_draws (giveaway_id, position, user_id, tickets, won_round) VALUES `)
		args := make([]any, 0, 5*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			var won any
			if i < winners {
				won = 0
			}
			args = append(args, id, i+1, order[i].UserID, order[i].Tickets, won)
		}
		if _, err := tx.exec(ctx, q.String(), args...); err != nil {
			return false, fmt.Errorf("draw giveaway %d: positions %d to %d: %w", id, start+1, end, err)
		}
	}
	r.GiveawayID, r.Round = id, 0
	return true, tx.addRound(ctx, now, r)
}

func (tx *Tx) addRound(ctx context.Context, now time.Time, r bot.GiveawayRound) error {
	_, err := tx.exec(ctx, `INSERT INTO giveaway_rounds (giveaway_id, round, reason, actor, announcement_key, claim_until, created_at, announcement_waits)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.GiveawayID, r.Round, r.Reason, r.Actor, r.AnnouncementKey, r.ClaimUntil.UTC(), now.UTC(), r.Waits)
	if err != nil {
		return fmt.Errorf("giveaway %d round %d: %w", r.GiveawayID, r.Round, err)
	}
	return nil
}

// CancelGiveaway cancels an open giveaway in this transaction; false when
// it was not open.
func (tx *Tx) CancelGiveaway(ctx context.Context, now time.Time, id int64, reason string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaways SET state = 'cancelled', cancel_reason = ?, updated_at = ? WHERE id = ? AND state = 'open'`,
		reason, now.UTC(), id)
	if err != nil {
		return false, fmt.Errorf("cancel giveaway %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// EndGiveawayNow moves an open giveaway's end to now, so the draw job
// draws it at its next run; false when it was not open.
func (tx *Tx) EndGiveawayNow(ctx context.Context, now time.Time, id int64) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaways SET ends_at = ?, updated_at = ? WHERE id = ? AND state = 'open'`, now.UTC(), now.UTC(), id)
	if err != nil {
		return false, fmt.Errorf("end giveaway %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

type pickRow struct {
	Position    int        `db:"position"`
	UserID      string     `db:"user_id"`
	UserName    string     `db:"user_name"`
	Tickets     int        `db:"tickets"`
	WonRound    *int       `db:"won_round"`
	ClaimedAt   *time.Time `db:"claimed_at"`
	ForfeitedAt *time.Time `db:"forfeited_at"`
}

// Picks returns a drawn giveaway's order, first drawn first.
func (tx *Tx) Picks(ctx context.Context, id int64) ([]bot.GiveawayPick, error) {
	return picks(ctx, tx.tx, tx.rebind, id)
}

// Picks returns a drawn giveaway's order, first drawn first.
func (d *DB) Picks(ctx context.Context, id int64) ([]bot.GiveawayPick, error) {
	return picks(ctx, d.db, d.db.Rebind, id)
}

type selecter interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func picks(ctx context.Context, q selecter, rebind func(string) string, id int64) ([]bot.GiveawayPick, error) {
	var rows []pickRow
	if err := q.SelectContext(ctx, &rows, rebind(`SELECT d.position, d.user_id, COALESCE(e.user_name, d.user_id) AS user_name, d.tickets,
		d.won_round, d.claimed_at, d.forfeited_at
		FROM giveaway_draws d LEFT JOIN giveaway_entries e ON e.giveaway_id = d.giveaway_id AND e.user_id = d.user_id
		WHERE d.giveaway_id = ? ORDER BY d.position`), id); err != nil {
		return nil, fmt.Errorf("draw of giveaway %d: %w", id, err)
	}
	out := make([]bot.GiveawayPick, len(rows))
	for i, r := range rows {
		p := bot.GiveawayPick{Position: r.Position, UserID: r.UserID, UserName: r.UserName, Tickets: r.Tickets, WonRound: -1}
		if r.WonRound != nil {
			p.WonRound = *r.WonRound
		}
		if r.ClaimedAt != nil {
			p.ClaimedAt = r.ClaimedAt.UTC()
		}
		if r.ForfeitedAt != nil {
			p.ForfeitedAt = r.ForfeitedAt.UTC()
		}
		out[i] = p
	}
	return out, nil
}

// Reroll makes the picks at positions winners of a new round r (its
// GiveawayID and Round set by the caller), and marks the picks at forfeit
// replaced, in this transaction.
func (tx *Tx) Reroll(ctx context.Context, now time.Time, r bot.GiveawayRound, positions, forfeit []int) error {
	for _, p := range forfeit {
		if _, err := tx.exec(ctx, `UPDATE giveaway_draws SET forfeited_at = ? WHERE giveaway_id = ? AND position = ? AND forfeited_at IS NULL`,
			now.UTC(), r.GiveawayID, p); err != nil {
			return fmt.Errorf("reroll giveaway %d: forfeit %d: %w", r.GiveawayID, p, err)
		}
	}
	for _, p := range positions {
		res, err := tx.exec(ctx, `UPDATE giveaway_draws SET won_round = ? WHERE giveaway_id = ? AND position = ? AND won_round IS NULL`,
			r.Round, r.GiveawayID, p)
		if err != nil {
			return fmt.Errorf("reroll giveaway %d: position %d: %w", r.GiveawayID, p, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return bot.Errorf(bot.EConflict, "Position %d of giveaway %d already won; nothing was changed.", p, r.GiveawayID)
		}
	}
	return tx.addRound(ctx, now, r)
}

// ClaimPick records that the winner at position claimed; false when they
// had already claimed.
func (tx *Tx) ClaimPick(ctx context.Context, now time.Time, id int64, position int) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaway_draws SET claimed_at = ? WHERE giveaway_id = ? AND position = ? AND claimed_at IS NULL`,
		now.UTC(), id, position)
	if err != nil {
		return false, fmt.Errorf("claim giveaway %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

type roundRow struct {
	GiveawayID      int64      `db:"giveaway_id"`
	Round           int        `db:"round"`
	Reason          string     `db:"reason"`
	Actor           string     `db:"actor"`
	AnnouncementKey string     `db:"announcement_key"`
	ClaimUntil      time.Time  `db:"claim_until"`
	UnclaimedAt     *time.Time `db:"unclaimed_at"`
	CreatedAt       time.Time  `db:"created_at"`
	Waits           string     `db:"announcement_waits"`
}

const roundColumns = `giveaway_id, round, reason, actor, announcement_key, claim_until, unclaimed_at, created_at, announcement_waits`

func (r roundRow) toRound() bot.GiveawayRound {
	out := bot.GiveawayRound{GiveawayID: r.GiveawayID, Round: r.Round, Reason: r.Reason, Actor: r.Actor,
		AnnouncementKey: r.AnnouncementKey, ClaimUntil: r.ClaimUntil.UTC(), CreatedAt: r.CreatedAt.UTC(), Waits: r.Waits}
	if r.UnclaimedAt != nil {
		out.UnclaimedAt = r.UnclaimedAt.UTC()
	}
	return out
}

// Rounds returns a giveaway's rounds, the draw first.
func (tx *Tx) Rounds(ctx context.Context, id int64) ([]bot.GiveawayRound, error) {
	var rows []roundRow
	if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT `+roundColumns+` FROM giveaway_rounds WHERE giveaway_id = ? ORDER BY round`), id); err != nil {
		return nil, fmt.Errorf("rounds of giveaway %d: %w", id, err)
	}
	out := make([]bot.GiveawayRound, len(rows))
	for i, r := range rows {
		out[i] = r.toRound()
	}
	return out, nil
}

// WaitingAnnouncements returns the rounds whose announcement waits for the
// approval of a template text (Waits says which), oldest first.
func (tx *Tx) WaitingAnnouncements(ctx context.Context) ([]bot.GiveawayRound, error) {
	var rows []roundRow
	if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT `+roundColumns+` FROM giveaway_rounds
		WHERE announcement_waits <> '' ORDER BY created_at, giveaway_id, round`)); err != nil {
		return nil, fmt.Errorf("waiting announcements: %w", err)
	}
	out := make([]bot.GiveawayRound, len(rows))
	for i, r := range rows {
		out[i] = r.toRound()
	}
	return out, nil
}

// HoldAnnouncement records that a round's announcement waits for the
// approval of the template text with hash.
func (tx *Tx) HoldAnnouncement(ctx context.Context, id int64, round int, hash string) error {
	if _, err := tx.exec(ctx, `UPDATE giveaway_rounds SET announcement_waits = ? WHERE giveaway_id = ? AND round = ?`, hash, id, round); err != nil {
		return fmt.Errorf("hold the announcement of giveaway %d round %d: %w", id, round, err)
	}
	return nil
}

// ReleaseAnnouncement records that a round's waiting announcement goes out
// now, its winners having until claimUntil to claim; false, changing
// nothing, when it was not waiting (another transaction released it).
func (tx *Tx) ReleaseAnnouncement(ctx context.Context, id int64, round int, claimUntil time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaway_rounds SET announcement_waits = '', claim_until = ? WHERE giveaway_id = ? AND round = ? AND announcement_waits <> ''`,
		claimUntil.UTC(), id, round)
	if err != nil {
		return false, fmt.Errorf("release the announcement of giveaway %d round %d: %w", id, round, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ClaimsEnded returns the rounds whose claim window has closed and whose
// unclaimed winners staff were not told about yet, at most limit; a round
// whose announcement waits has no window yet.
func (d *DB) ClaimsEnded(ctx context.Context, now time.Time, limit int) ([]bot.GiveawayRound, error) {
	var rows []roundRow
	if err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT `+roundColumns+` FROM giveaway_rounds
		WHERE unclaimed_at IS NULL AND announcement_waits = '' AND claim_until <= ? ORDER BY claim_until, giveaway_id, round LIMIT ?`), now.UTC(), limit); err != nil {
		return nil, fmt.Errorf("ended claim windows: %w", err)
	}
	out := make([]bot.GiveawayRound, len(rows))
	for i, r := range rows {
		out[i] = r.toRound()
	}
	return out, nil
}

// MarkClaimsEnded records that a round's claim window was dealt with; false
// when another run already did.
func (tx *Tx) MarkClaimsEnded(ctx context.Context, now time.Time, id int64, round int) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaway_rounds SET unclaimed_at = ? WHERE giveaway_id = ? AND round = ? AND unclaimed_at IS NULL`,
		now.UTC(), id, round)
	if err != nil {
		return false, fmt.Errorf("claims of giveaway %d round %d: %w", id, round, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// FailedAnnouncement is a round whose announcement Discord refused (its
// outbox message is dead), not yet reported to staff.
type FailedAnnouncement struct {
	Round bot.GiveawayRound
	Error string
}

// FailedAnnouncements returns up to limit rounds whose announcement is dead
// and unreported.
func (d *DB) FailedAnnouncements(ctx context.Context, limit int) ([]FailedAnnouncement, error) {
	var rows []struct {
		roundRow
		Error string `db:"last_error"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT r.giveaway_id, r.round, r.reason, r.actor, r.announcement_key, r.claim_until,
		r.unclaimed_at, r.created_at, o.last_error
		FROM giveaway_rounds r JOIN outbox o ON o.key = r.announcement_key
		WHERE r.failure_reported_at IS NULL AND o.state = 'dead' ORDER BY r.created_at LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("failed giveaway announcements: %w", err)
	}
	out := make([]FailedAnnouncement, len(rows))
	for i, r := range rows {
		out[i] = FailedAnnouncement{Round: r.toRound(), Error: r.Error}
	}
	return out, nil
}

// MarkFailureReported records that staff were told a round's announcement
// failed; false when another run already did.
func (tx *Tx) MarkFailureReported(ctx context.Context, now time.Time, id int64, round int) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE giveaway_rounds SET failure_reported_at = ? WHERE giveaway_id = ? AND round = ? AND failure_reported_at IS NULL`,
		now.UTC(), id, round)
	if err != nil {
		return false, fmt.Errorf("report giveaway %d round %d: %w", id, round, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// UnpostedGiveaway is an open giveaway whose message Discord refused.
type UnpostedGiveaway struct {
	ID    int64  `db:"id"`
	Error string `db:"last_error"`
}

// UnpostedGiveaways returns up to limit open giveaways whose message is
// dead in the outbox: nobody can enter them.
func (d *DB) UnpostedGiveaways(ctx context.Context, limit int) ([]UnpostedGiveaway, error) {
	var out []UnpostedGiveaway
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT g.id, o.last_error FROM giveaways g JOIN outbox o ON o.key = g.message_key
		WHERE g.state = 'open' AND o.state = 'dead' ORDER BY g.id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("unposted giveaways: %w", err)
	}
	return out, nil
}

// GiveawayFigures are the giveaways drawn in a period, for the digest.
type GiveawayFigures struct {
	Held     int // giveaways drawn in the period
	Entrants int // entries in them
	// Joined counts the members who joined a server while one of them was
	// open and whose first week is over; Stayed, those of them still there
	// a week after joining.
	Joined, Stayed int
}

// GiveawayFigures sums up the giveaways drawn in [from, to), counting as
// stayed the newcomers still on the server a week after joining, as of
// now.
func (d *DB) GiveawayFigures(ctx context.Context, from, to, now time.Time) (GiveawayFigures, error) {
	var f GiveawayFigures
	err := d.db.GetContext(ctx, &f.Held, d.db.Rebind(`SELECT COUNT(*) FROM giveaways WHERE state = 'drawn' AND drawn_at >= ? AND drawn_at < ?`), from.UTC(), to.UTC())
	if err != nil {
		return f, fmt.Errorf("giveaway figures: %w", err)
	}
	if f.Held == 0 {
		return f, nil
	}
	err = d.db.GetContext(ctx, &f.Entrants, d.db.Rebind(`SELECT COUNT(*) FROM giveaway_entries e JOIN giveaways g ON g.id = e.giveaway_id
		WHERE g.state = 'drawn' AND g.drawn_at >= ? AND g.drawn_at < ?`), from.UTC(), to.UTC())
	if err != nil {
		return f, fmt.Errorf("giveaway figures: %w", err)
	}
	var rows []struct {
		UserID   string     `db:"user_id"`
		JoinedAt time.Time  `db:"joined_at"`
		LeftAt   *time.Time `db:"left_at"`
	}
	err = d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT DISTINCT m.scope_id || ':' || m.user_id AS user_id, m.joined_at, m.left_at
		FROM members m JOIN giveaways g ON m.scope_id = g.guild_id AND m.joined_at >= g.created_at AND m.joined_at <= g.ends_at
		WHERE m.platform = 'discord' AND m.joined_at IS NOT NULL AND g.state = 'drawn' AND g.drawn_at >= ? AND g.drawn_at < ?`), from.UTC(), to.UTC())
	if err != nil {
		return f, fmt.Errorf("giveaway newcomers: %w", err)
	}
	week := 7 * 24 * time.Hour
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.UserID] || r.JoinedAt.Add(week).After(now) {
			continue
		}
		seen[r.UserID] = true
		f.Joined++
		if r.LeftAt == nil || !r.LeftAt.Before(r.JoinedAt.Add(week)) {
			f.Stayed++
		}
	}
	return f, nil
}
