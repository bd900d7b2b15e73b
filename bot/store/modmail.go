package store

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Modmail tickets: a member's DMs to Liaison, staff's answers and notes.

// Ticket is a modmail conversation with one member.
type Ticket struct {
	ID           int64      `db:"id"`
	GuildID      string     `db:"guild_id"`
	UserID       string     `db:"user_id"`
	UserName     string     `db:"user_name"`
	Status       string     `db:"status"` // TicketOpen or TicketClosed
	SlackChannel string     `db:"slack_channel"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	ClosedAt     *time.Time `db:"closed_at"`
	ClosedBy     string     `db:"closed_by"`
}

// Ticket states.
const (
	TicketOpen   = "open"
	TicketClosed = "closed"
)

// Kinds of what is said in a ticket.
const (
	TicketFromMember = "member" // the member's DM
	TicketAnswer     = "answer" // staff's answer, sent to the member
	TicketNote       = "note"   // staff-only, never sent
)

// TicketMessage is one thing said in a ticket.
type TicketMessage struct {
	ID        int64     `db:"id"`
	TicketID  int64     `db:"ticket_id"`
	Kind      string    `db:"kind"`
	Author    string    `db:"author"`
	Text      string    `db:"text"`
	OutboxKey string    `db:"outbox_key"`
	CreatedAt time.Time `db:"created_at"`
}

const ticketColumns = `id, guild_id, user_id, user_name, status, slack_channel, created_at, updated_at, closed_at, closed_by`

// OpenTicketOf returns the member's open ticket, locked, nil when none.
func (tx *Tx) OpenTicketOf(ctx context.Context, userID string) (*Ticket, error) {
	var t Ticket
	err := tx.tx.GetContext(ctx, &t, tx.rebind(`SELECT `+ticketColumns+` FROM modmail_tickets WHERE user_id = ? AND status = 'open'`+tx.db.dialect.forUpdate), userID)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("open ticket of %s: %w", userID, err)
	}
	return &t, nil
}

// CreateTicket stores a new open ticket and sets its ID and times.
func (tx *Tx) CreateTicket(ctx context.Context, now time.Time, t *Ticket) error {
	t.Status, t.CreatedAt, t.UpdatedAt = TicketOpen, now.UTC(), now.UTC()
	err := tx.tx.GetContext(ctx, &t.ID, tx.rebind(`INSERT INTO modmail_tickets (guild_id, user_id, user_name, status, slack_channel, created_at, updated_at)
		VALUES (?, ?, ?, 'open', ?, ?, ?) RETURNING id`), t.GuildID, t.UserID, t.UserName, t.SlackChannel, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("open a ticket for %s: %w", t.UserID, err)
	}
	return nil
}

// Ticket returns ticket id, locked for update, or a bot.ENotFound error.
func (tx *Tx) Ticket(ctx context.Context, id int64) (*Ticket, error) {
	var t Ticket
	err := tx.tx.GetContext(ctx, &t, tx.rebind(`SELECT `+ticketColumns+` FROM modmail_tickets WHERE id = ?`+tx.db.dialect.forUpdate), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no modmail ticket #%d.", id)
	} else if err != nil {
		return nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	return &t, nil
}

// AddTicketMessage records what was said in a ticket and returns its id.
func (tx *Tx) AddTicketMessage(ctx context.Context, now time.Time, m *TicketMessage) error {
	m.CreatedAt = now.UTC()
	err := tx.tx.GetContext(ctx, &m.ID, tx.rebind(`INSERT INTO modmail_messages (ticket_id, kind, author, text, outbox_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), m.TicketID, m.Kind, m.Author, m.Text, m.OutboxKey, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("add to ticket %d: %w", m.TicketID, err)
	}
	if _, err := tx.exec(ctx, `UPDATE modmail_tickets SET updated_at = ? WHERE id = ?`, m.CreatedAt, m.TicketID); err != nil {
		return fmt.Errorf("touch ticket %d: %w", m.TicketID, err)
	}
	return nil
}

// SetTicketMessageKey records the outbox key that sends an answer.
func (tx *Tx) SetTicketMessageKey(ctx context.Context, id int64, key string) error {
	if _, err := tx.exec(ctx, `UPDATE modmail_messages SET outbox_key = ? WHERE id = ?`, key, id); err != nil {
		return fmt.Errorf("ticket message %d: %w", id, err)
	}
	return nil
}

// TicketMessages returns everything said in a ticket, oldest first.
func (tx *Tx) TicketMessages(ctx context.Context, id int64) ([]TicketMessage, error) {
	var out []TicketMessage
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT id, ticket_id, kind, author, text, outbox_key, created_at FROM modmail_messages
		WHERE ticket_id = ? ORDER BY id`), id); err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", id, err)
	}
	return out, nil
}

// CloseTicket closes ticket id.
func (tx *Tx) CloseTicket(ctx context.Context, now time.Time, id int64, by string) error {
	if _, err := tx.exec(ctx, `UPDATE modmail_tickets SET status = 'closed', closed_at = ?, closed_by = ?, updated_at = ? WHERE id = ?`,
		now.UTC(), by, now.UTC(), id); err != nil {
		return fmt.Errorf("close ticket %d: %w", id, err)
	}
	return nil
}

// CountTickets returns how many tickets a member has opened, this one
// included.
func (tx *Tx) CountTickets(ctx context.Context, userID string) (int, error) {
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.rebind(`SELECT COUNT(*) FROM modmail_tickets WHERE user_id = ?`), userID); err != nil {
		return 0, fmt.Errorf("count tickets of %s: %w", userID, err)
	}
	return n, nil
}

// CountCases returns how many cases a member has in a server.
func (tx *Tx) CountCases(ctx context.Context, guildID, targetID string) (int, error) {
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.rebind(`SELECT COUNT(*) FROM mod_cases WHERE guild_id = ? AND target_id = ?`), guildID, targetID); err != nil {
		return 0, fmt.Errorf("count cases of %s in %s: %w", targetID, guildID, err)
	}
	return n, nil
}

// TicketOfAnswer returns the ticket whose answer was sent under the outbox
// key, 0 when no answer was (an approved answer's key is its draft's).
func (tx *Tx) TicketOfAnswer(ctx context.Context, key string) (int64, error) {
	var ids []int64
	if err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`SELECT ticket_id FROM modmail_messages WHERE outbox_key = ? AND kind = 'answer'`), key); err != nil {
		return 0, fmt.Errorf("ticket of the answer %s: %w", key, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}
