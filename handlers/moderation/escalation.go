package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Warnings and escalation: a warn gives points; when it would make the
// member cross a threshold of the policy, the moderator sees that first
// and confirms with a button, and the triggered action becomes its own
// case, linked to the warn.

// Kinds of confirmation a moderator is asked for.
const (
	pendingEscalation = "escalation"
	pendingPurge      = "purge"
)

// pendingWarn is a warn waiting for the moderator's confirmation.
type pendingWarn struct {
	Inv      invocation `json:"inv"`
	TargetID string     `json:"target_id"`
	Reason   string     `json:"reason"`
}

// warn checks a warning and either records it or, when it would trigger
// an escalation, asks the moderator first.
func (m *Moderation) warn(ctx context.Context, inv invocation, targetID, reason string, _ bool) (*bot.Reply, error) {
	s, err := m.check(ctx, inv, bot.ActionWarn, targetID)
	if err != nil {
		return nil, err
	}
	if err := m.applicable(ctx, inv, bot.ActionWarn, s); err != nil {
		return nil, err
	}
	esc := m.cfg.Moderation.Escalation
	if esc.Enabled() {
		hist, err := m.db.PointsHistory(ctx, inv.GuildID, targetID)
		if err != nil {
			return nil, err
		}
		now := m.clock.Now()
		before := esc.Balance(hist, now)
		after := esc.Balance(append(hist, bot.PointsEvent{Points: esc.PointsFor(bot.ActionWarn), At: now}), now)
		if t, ok := esc.Crossed(before, after); ok {
			return m.askEscalation(ctx, inv, s, reason, after, t)
		}
	}
	var c *bot.Case
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		c, _, err = m.record(ctx, tx, request{inv: inv, subj: s, action: bot.ActionWarn, reason: reason})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.warned(ctx, c, nil)
}

func (m *Moderation) askEscalation(ctx context.Context, inv invocation, s *subject, reason string, after int, t bot.Threshold) (*bot.Reply, error) {
	now := m.clock.Now()
	p := &store.Pending{GuildID: inv.GuildID, Kind: pendingEscalation, ModeratorID: inv.Mod.ID, ExpiresAt: now.Add(pendingLifetime),
		Payload: string(bot.Payload(pendingWarn{Inv: inv, TargetID: s.TargetID, Reason: reason}))}
	if err := m.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePending(ctx, now, p) }); err != nil {
		return nil, err
	}
	id := strconv.FormatInt(p.ID, 10)
	return &bot.Reply{
		Text: fmt.Sprintf("This warning brings %s to %d points, which triggers %s. Confirm to warn and apply it, or warn only.", s.TargetName, after, t.Describe()),
		Buttons: []bot.Button{
			{ActionID: "mod.confirm", Label: "Confirm", Value: id, Style: "danger"},
			{ActionID: "mod.warnonly", Label: "Warn only", Value: id},
			{ActionID: "mod.cancel", Label: "Cancel", Value: id},
		},
	}, nil
}

// confirmWarn records a warn the moderator confirmed, with (escalate) or
// without the action it triggers. The checks run again: roles may have
// changed since the question.
func (m *Moderation) confirmWarn(ctx context.Context, p *store.Pending, escalate bool) (*bot.Reply, error) {
	var w pendingWarn
	if err := json.Unmarshal([]byte(p.Payload), &w); err != nil {
		return nil, fmt.Errorf("pending warn %d: %w", p.ID, err)
	}
	s, err := m.check(ctx, w.Inv, bot.ActionWarn, w.TargetID)
	if err != nil {
		return nil, err
	}
	var c, e *bot.Case
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		c, e, err = m.record(ctx, tx, request{inv: w.Inv, subj: s, action: bot.ActionWarn, reason: w.Reason, confirmed: escalate})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.warned(ctx, c, e)
}

// warned answers a warn: the case, what escalation did, the points now
// and the next threshold.
func (m *Moderation) warned(ctx context.Context, c, e *bot.Case) (*bot.Reply, error) {
	text := fmt.Sprintf("Warned %s (case %d).", c.TargetName, c.Number)
	if e != nil {
		text += " " + m.done(e)
	}
	esc := m.cfg.Moderation.Escalation
	if esc.Enabled() {
		hist, err := m.db.PointsHistory(ctx, c.GuildID, c.TargetID)
		if err != nil {
			return nil, err
		}
		pts := esc.Balance(hist, m.clock.Now())
		text += fmt.Sprintf(" %s has %d point(s) now", c.TargetName, pts)
		if t, ok := esc.Next(pts); ok {
			text += fmt.Sprintf("; at %d: %s.", t.Points, t.Describe())
		} else {
			text += "."
		}
	}
	return &bot.Reply{Text: text}, nil
}
