package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Actions that know what is in force: a ban on someone banned is refused
// with the case that holds, and may change that case's length in place
// (never a second case, no points, not counted twice in the digest); a
// timeout on someone timed out asks first, then replaces the timeout in
// force with a new case that says so, closing the earlier one.

// More kinds of confirmation.
const (
	pendingReban    = "reban"     // change the length of the ban in force
	pendingRetimout = "retimeout" // replace the timeout in force
)

// pendingChange is a ban or timeout change waiting for the moderator.
type pendingChange struct {
	Inv      invocation    `json:"inv"`
	TargetID string        `json:"target_id"`
	Reason   string        `json:"reason"`
	Duration time.Duration `json:"duration"` // zero: for good (a ban)
	Case     int64         `json:"case"`     // the case in force when asked
}

// inForce answers a ban or a timeout of someone already under one: the
// refusal, or the question to confirm; nil, nil when nothing is in force.
func (m *Moderation) inForce(ctx context.Context, inv invocation, action string, s *subject, reason string, d time.Duration) (*bot.Reply, error) {
	now := m.clock.Now()
	switch action {
	case bot.ActionBan:
		banned, err := m.guilds.GuildBanned(ctx, inv.GuildID, s.TargetID)
		if err != nil {
			return nil, fmt.Errorf("read ban of %s: %w", s.TargetID, err)
		}
		if !banned {
			return nil, nil
		}
		c, err := m.db.CaseInForce(ctx, inv.GuildID, s.TargetID, bot.ActionBan, now)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, bot.Errorf(bot.EConflict, "%s is already banned, by hand in Discord before Liaison kept cases: nothing was done. /unban first to ban again with a case.", s.TargetName)
		}
		return m.askReban(ctx, inv, s, c, reason, d)
	case bot.ActionTimeout:
		if s.Target == nil || !s.Target.TimeoutUntil.After(now) {
			return nil, nil
		}
		c, err := m.db.CaseInForce(ctx, inv.GuildID, s.TargetID, bot.ActionTimeout, now)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, bot.Errorf(bot.EConflict, "%s is already timed out until %s, not through Liaison (no case): nothing was done. /untimeout first to time them out with a case.",
				s.TargetName, when(s.Target.TimeoutUntil, m.cfg.Location))
		}
		return m.askRetimeout(ctx, inv, s, c, reason, d)
	}
	return nil, nil
}

// banInForce describes the ban case c for people.
func (m *Moderation) banInForce(c *bot.Case) string {
	loc := m.cfg.Location
	text := fmt.Sprintf("%s is banned since %s by %s, case %d", c.TargetName, when(c.CreatedAt, loc), c.ModeratorName, c.Number)
	if c.ExpiresAt.IsZero() {
		return text + ", for good"
	}
	return text + ", until " + when(c.ExpiresAt, loc)
}

func (m *Moderation) askReban(ctx context.Context, inv invocation, s *subject, c *bot.Case, reason string, d time.Duration) (*bot.Reply, error) {
	now := m.clock.Now()
	loc := m.cfg.Location
	text := m.banInForce(c) + ". Nobody is banned twice: nothing was done."
	newEnd := time.Time{}
	if d > 0 {
		newEnd = now.Add(d)
	}
	if newEnd.Equal(c.ExpiresAt) || (d == 0 && c.ExpiresAt.IsZero()) {
		return nil, bot.Errorf(bot.EConflict, "%s", text)
	}
	change := "for good"
	if d > 0 {
		change = fmt.Sprintf("at %s (%s from now)", when(newEnd, loc), bot.FormatDuration(d))
	}
	verb := "Extend"
	if d > 0 && (c.ExpiresAt.IsZero() || newEnd.Before(c.ExpiresAt)) {
		verb = "Shorten"
	}
	text += fmt.Sprintf(" %s it instead? Case %d would end %s.", verb, c.Number, change)
	id, err := m.askChange(ctx, inv, pendingReban, pendingChange{Inv: inv, TargetID: s.TargetID, Reason: reason, Duration: d, Case: c.Number})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: text, Buttons: []bot.Button{
		{ActionID: "mod.confirm", Label: "Extend/shorten", Value: id, Style: "primary"},
		{ActionID: "mod.cancel", Label: "Cancel", Value: id},
	}}, nil
}

func (m *Moderation) askRetimeout(ctx context.Context, inv invocation, s *subject, c *bot.Case, reason string, d time.Duration) (*bot.Reply, error) {
	verb := "extends"
	if m.clock.Now().Add(d).Before(c.ExpiresAt) {
		verb = "shortens"
	}
	text := fmt.Sprintf("%s is timed out until %s (case %d). This %s %s's %s timeout (case %d) to %s, from now: confirm?",
		s.TargetName, when(c.ExpiresAt, m.cfg.Location), c.Number, verb, s.TargetName, bot.FormatDuration(c.Duration), c.Number, bot.FormatDuration(d))
	id, err := m.askChange(ctx, inv, pendingRetimout, pendingChange{Inv: inv, TargetID: s.TargetID, Reason: reason, Duration: d, Case: c.Number})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: text, Buttons: []bot.Button{
		{ActionID: "mod.confirm", Label: "Confirm", Value: id, Style: "danger"},
		{ActionID: "mod.cancel", Label: "Cancel", Value: id},
	}}, nil
}

// askChange stores a question of kind for the moderator of inv, with
// payload (what confirming does), and returns its id for the buttons.
func (m *Moderation) askChange(ctx context.Context, inv invocation, kind string, payload any) (string, error) {
	now := m.clock.Now()
	p := &store.Pending{GuildID: inv.GuildID, Kind: kind, ModeratorID: inv.Mod.ID, ExpiresAt: now.Add(pendingLifetime), Payload: string(bot.Payload(payload))}
	if err := m.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePending(ctx, now, p) }); err != nil {
		return "", err
	}
	return strconv.FormatInt(p.ID, 10), nil
}

// confirmChange applies a change the moderator confirmed, after the checks
// again (roles, the ban or timeout, may have changed since the question).
func (m *Moderation) confirmChange(ctx context.Context, p *store.Pending) (*bot.Reply, error) {
	var ch pendingChange
	if err := json.Unmarshal([]byte(p.Payload), &ch); err != nil {
		return nil, fmt.Errorf("pending %s %d: %w", p.Kind, p.ID, err)
	}
	action := bot.ActionBan
	if p.Kind == pendingRetimout {
		action = bot.ActionTimeout
	}
	s, err := m.check(ctx, ch.Inv, action, ch.TargetID)
	if err != nil {
		return nil, err
	}
	if err := m.applicable(ctx, ch.Inv, action, s); err != nil {
		return nil, err
	}
	now := m.clock.Now()
	var reply string
	err = m.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseInForce(ctx, ch.Inv.GuildID, ch.TargetID, action, now)
		if err != nil {
			return err
		}
		if c == nil || c.Number != ch.Case {
			return bot.Errorf(bot.EConflict, "Case %d is no longer in force: nothing was changed. Run the command again.", ch.Case)
		}
		if action == bot.ActionBan {
			reply, err = m.changeBan(ctx, tx, ch, s, c)
		} else {
			reply, err = m.replaceTimeout(ctx, tx, ch, s, c)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: reply}, nil
}

// changeBan changes the length of ban case c in place: its end, the
// unban that ends it, its mod-log posts, and a note under them saying who
// changed it and why. Discord's ban itself stays as it is.
func (m *Moderation) changeBan(ctx context.Context, tx *store.Tx, ch pendingChange, s *subject, c *bot.Case) (string, error) {
	now := m.clock.Now()
	loc := m.cfg.Location
	before := "for good"
	if !c.ExpiresAt.IsZero() {
		before = "until " + when(c.ExpiresAt, loc)
	}
	end := time.Time{}
	d := ch.Duration
	if d > 0 {
		end = now.Add(d)
		d = end.Sub(c.CreatedAt) // the case's length, from the ban
	}
	if err := tx.SetCaseEnd(ctx, now, c.GuildID, c.Number, d, end); err != nil {
		return "", err
	}
	if _, err := tx.CancelExpiries(ctx, now, c.GuildID, c.TargetID, fmt.Sprintf("case %d changed by %s", c.Number, s.ModName), store.ExpiryUnban); err != nil {
		return "", err
	}
	after := "for good"
	if !end.IsZero() {
		after = "until " + when(end, loc)
		if err := tx.RescheduleExpiry(ctx, c.GuildID, c.Number, store.ExpiryUnban, c.TargetID, end); err != nil {
			return "", err
		}
	}
	c.Duration, c.ExpiresAt = d, end
	if err := m.refreshLog(ctx, tx, c); err != nil {
		return "", err
	}
	note := fmt.Sprintf("Case %d: %s changed the ban of %s from %s to %s", c.Number, s.ModName, c.TargetName, before, after)
	if ch.Reason != "" {
		note += ": " + ch.Reason
	}
	if err := m.noteOnLog(ctx, tx, c, fmt.Sprintf("change:%d", now.Unix()), note+"."); err != nil {
		return "", err
	}
	return fmt.Sprintf("Case %d changed: %s stays banned, now %s (was %s).", c.Number, c.TargetName, after, before), nil
}

// replaceTimeout records the new timeout as its own case, following c and
// saying what it changes, and closes c: its end is now, its mod log says
// which case replaced it.
func (m *Moderation) replaceTimeout(ctx context.Context, tx *store.Tx, ch pendingChange, s *subject, old *bot.Case) (string, error) {
	now := m.clock.Now()
	verb := "extends"
	if now.Add(ch.Duration).Before(old.ExpiresAt) {
		verb = "shortens"
	}
	reason := fmt.Sprintf("%s case %d's %s timeout to %s", verb, old.Number, bot.FormatDuration(old.Duration), bot.FormatDuration(ch.Duration))
	if ch.Reason != "" {
		reason += ": " + ch.Reason
	}
	c, _, err := m.record(ctx, tx, request{inv: ch.Inv, subj: s, action: bot.ActionTimeout, reason: reason, duration: ch.Duration, linked: old.Number, noPoints: true})
	if err != nil {
		return "", err
	}
	if err := tx.SetCaseEnd(ctx, now, old.GuildID, old.Number, old.Duration, now); err != nil {
		return "", err
	}
	old.ExpiresAt = now
	if err := m.refreshLog(ctx, tx, old); err != nil {
		return "", err
	}
	if err := m.noteOnLog(ctx, tx, old, fmt.Sprintf("replaced:%d", c.Number), fmt.Sprintf("Case %d: replaced by case %d, which %s it to %s (until %s).",
		old.Number, c.Number, verb, bot.FormatDuration(ch.Duration), when(c.ExpiresAt, m.cfg.Location))); err != nil {
		return "", err
	}
	return m.done(c) + fmt.Sprintf(" It replaces case %d, which ends now.", old.Number), nil
}
