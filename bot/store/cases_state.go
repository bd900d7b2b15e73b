package store

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// What is in force: the ban or timeout case a member is under, so a second
// /ban is refused with the case that holds, and a second /timeout changes
// the first instead of stacking on it.

// CaseInForce returns the ban (action bot.ActionBan) or timeout
// (bot.ActionTimeout) case a member of a server is under at now, read in
// this transaction; nil when there is none. A ban is in force from its case
// until an unban case or its end; a timeout until an untimeout, a kick or a
// ban case, or its end.
func (tx *Tx) CaseInForce(ctx context.Context, guildID, targetID, action string, now time.Time) (*bot.Case, error) {
	var ends []any
	switch action {
	case bot.ActionBan:
		ends = []any{bot.ActionBan, bot.ActionUnban}
	case bot.ActionTimeout:
		ends = []any{bot.ActionTimeout, bot.ActionUntimeout, bot.ActionKick, bot.ActionBan}
	default:
		return nil, fmt.Errorf("case in force: %q is not a lasting action", action)
	}
	var rows []caseRow
	q := `SELECT ` + caseColumns + ` FROM mod_cases WHERE guild_id = ? AND target_id = ? AND action IN (?` + repeatArgs(len(ends)-1) + `)
		ORDER BY number DESC LIMIT 1`
	args := append([]any{guildID, targetID}, ends...)
	if err := tx.tx.SelectContext(ctx, &rows, tx.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("%s in force on %s: %w", action, targetID, err)
	}
	if len(rows) == 0 || rows[0].Action != action {
		return nil, nil
	}
	c := rows[0].toCase()
	if action == bot.ActionTimeout && c.ExpiresAt.IsZero() {
		return nil, nil // a timeout always ends; one without an end is not Liaison's to read
	}
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now) {
		return nil, nil
	}
	return c, nil
}

// CaseInForce is Tx.CaseInForce outside a transaction.
func (d *DB) CaseInForce(ctx context.Context, guildID, targetID, action string, now time.Time) (c *bot.Case, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		c, err = tx.CaseInForce(ctx, guildID, targetID, action, now)
		return err
	})
	return c, err
}

// SetCaseEnd changes when case n ends, and its duration: a ban extended or
// shortened in place, or a timeout replaced by a later case (which ends it
// now). A zero end makes the case permanent.
func (tx *Tx) SetCaseEnd(ctx context.Context, now time.Time, guildID string, n int64, d time.Duration, end time.Time) error {
	var dur any
	if d > 0 {
		dur = int64(d / time.Second)
	}
	_, err := tx.exec(ctx, `UPDATE mod_cases SET duration_seconds = ?, expires_at = ?, updated_at = ? WHERE guild_id = ? AND number = ?`,
		dur, utc(end), now.UTC(), guildID, n)
	if err != nil {
		return fmt.Errorf("set the end of case %d in %s: %w", n, guildID, err)
	}
	return nil
}

func repeatArgs(n int) string {
	s := ""
	for range n {
		s += ", ?"
	}
	return s
}

// RescheduleExpiry makes action happen to case n's target at due, pending
// again whatever became of it: a ban whose length changed ends at its new
// time, or, made permanent, never (CancelExpiries first).
func (tx *Tx) RescheduleExpiry(ctx context.Context, guildID string, n int64, action, targetID string, due time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO mod_expiries (guild_id, case_number, action, target_id, due_at, status) VALUES (?, ?, ?, ?, ?, 'pending')
		ON CONFLICT (guild_id, case_number, action) DO UPDATE SET due_at = excluded.due_at, status = 'pending', done_at = NULL, detail = ''`,
		guildID, n, action, targetID, due.UTC())
	if err != nil {
		return fmt.Errorf("reschedule %s of case %d: %w", action, n, err)
	}
	return nil
}
