package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// ApplyExpiry acts on one due expiry (jobs.Expiries calls it): it lifts a
// temporary ban, renews a timeout longer than Discord's 28 days, or notes
// in the mod log that a timeout ended. The expiry is claimed in the
// transaction that enqueues what it causes, so it acts once, however many
// replicas run it; it reports whether this call acted. An expiry made moot
// (the member was since banned for good, or unbanned by hand) was
// cancelled when that happened, and lifting a ban that is no longer there
// is harmless.
func (m *Moderation) ApplyExpiry(ctx context.Context, e store.Expiry, now time.Time) (bool, error) {
	acted := false
	err := m.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, e.GuildID, e.CaseNumber)
		if err != nil {
			return err
		}
		next, detail := time.Time{}, "done"
		var renewUntil time.Time
		if e.Action == store.ExpiryRenewTimeout {
			renewUntil = now.Add(bot.TimeoutStep)
			if !renewUntil.Before(c.ExpiresAt) {
				renewUntil = c.ExpiresAt
			} else {
				next = renewAt(renewUntil)
			}
			detail = "renewed until " + renewUntil.UTC().Format(time.RFC3339)
		}
		ok, err := tx.ClaimExpiry(ctx, now, e, next, detail)
		if err != nil || !ok {
			return err
		}
		acted = true
		a := bot.ModAction{GuildID: c.GuildID, UserID: c.TargetID, UserName: c.TargetName}
		switch e.Action {
		case store.ExpiryUnban:
			a.Op, a.Reason = bot.OpUnban, fmt.Sprintf("Liaison: the %s ban of case %d ended", bot.FormatDuration(c.Duration), c.Number)
			if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: c.Key() + ":expire", Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: bot.Payload(a)}); err != nil {
				return err
			}
			return m.noteOnLog(ctx, tx, c, "ended", fmt.Sprintf("Case %d: the %s ban of %s ended; they may join again.", c.Number, bot.FormatDuration(c.Duration), c.TargetName))
		case store.ExpiryRenewTimeout:
			a.Op, a.Until = bot.OpTimeout, &renewUntil
			a.Reason = fmt.Sprintf("Liaison: case %d's %s timeout, renewed (Discord allows 28 days at a time)", c.Number, bot.FormatDuration(c.Duration))
			_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("%s:renew:%d", c.Key(), e.DueAt.Unix()), Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: bot.Payload(a)})
			return err
		case store.ExpiryUntimeout:
			// Discord lifts a timeout itself when it ends: only say so.
			return m.noteOnLog(ctx, tx, c, "ended", fmt.Sprintf("Case %d: the %s timeout of %s ended.", c.Number, bot.FormatDuration(c.Duration), c.TargetName))
		}
		return fmt.Errorf("expiry %d: unknown action %q", e.ID, e.Action)
	})
	return acted, err
}
