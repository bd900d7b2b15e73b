package giveaways

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Entering: the Enter button, checked on the server at the time of the
// click, and Leave. Every refusal is shown to the clicker alone and says
// what they miss and, when time will fix it, when they would meet it.

func (g *Giveaways) enterClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := giveawayID(a.Value)
	if err != nil {
		return nil, err
	}
	gw, err := g.db.Giveaway(ctx, id)
	if err != nil {
		return nil, err
	}
	now := g.clock.Now()
	if err := g.open(gw, now); err != nil {
		return nil, err
	}
	if in, err := g.db.HasEntry(ctx, id, a.User.ID); err != nil {
		return nil, err
	} else if in {
		return youreIn(gw), nil
	}
	m, err := g.eligible(ctx, gw, a.User, now)
	if err != nil {
		return nil, err
	}
	tickets := g.tickets(gw, m.User.Roles)
	added := false
	err = g.db.InTx(ctx, func(tx *store.Tx) error {
		if gw, err = tx.Giveaway(ctx, id); err != nil {
			return err
		}
		if err := g.open(gw, now); err != nil {
			return err
		}
		if added, err = tx.AddEntry(ctx, now, id, a.User.ID, m.User.Label(), tickets); err != nil || !added {
			return err
		}
		gw.Entries++
		return g.countEdit(ctx, tx, gw, now)
	})
	if err != nil {
		return nil, err
	}
	if !added {
		return youreIn(gw), nil
	}
	return &bot.Reply{Text: fmt.Sprintf("You're in giveaway #%d with %s. The winners are drawn %s.",
		id, plural(tickets, "ticket", "tickets"), g.when(bot.SourceDiscord, gw.EndsAt))}, nil
}

// youreIn answers a second click on Enter.
func youreIn(gw *bot.Giveaway) *bot.Reply {
	return &bot.Reply{Text: fmt.Sprintf("You're in giveaway #%d — Leave?", gw.ID),
		Buttons: []bot.Button{{ActionID: "giveaway.leave", Label: "Leave", Value: fmt.Sprint(gw.ID), Style: "danger"}}}
}

// open refuses entering or leaving a giveaway that ended.
func (g *Giveaways) open(gw *bot.Giveaway, now time.Time) error {
	switch {
	case gw.State == bot.GiveawayCancelled:
		return bot.Errorf(bot.EInvalid, "Giveaway #%d was cancelled: there is nothing to enter.", gw.ID)
	case gw.State == bot.GiveawayDrawn || !now.Before(gw.EndsAt):
		return bot.Errorf(bot.EInvalid, "Giveaway #%d ended %s: entries are closed.", gw.ID, g.ago(bot.SourceDiscord, endedAt(gw), now, "just now"))
	}
	return nil
}

// eligible checks that u may enter gw now, and returns them as a member.
func (g *Giveaways) eligible(ctx context.Context, gw *bot.Giveaway, u bot.User, now time.Time) (*bot.Member, error) {
	if u.Platform != bot.PlatformDiscord {
		return nil, bot.Errorf(bot.EInvalid, "Enter from Discord.")
	}
	gr, err := g.reader()
	if err != nil {
		return nil, err
	}
	m, err := gr.GuildMember(ctx, gw.GuildID, u.ID)
	if bot.ErrorCode(err) == bot.ENotFound {
		return nil, bot.Errorf(bot.EForbidden, "Only members of the server can enter.")
	} else if err != nil {
		return nil, fmt.Errorf("read member %s: %w", u.ID, err)
	}
	if u.Bot || m.User.Bot {
		return nil, bot.Errorf(bot.EForbidden, "Bots cannot enter giveaways.")
	}
	cfg := g.cfg.Giveaways
	if slices.Contains(cfg.BlacklistUsers, u.ID) {
		return nil, bot.Errorf(bot.EForbidden, "You cannot enter giveaways on this server. Ask a moderator if you think this is a mistake.")
	}
	for _, id := range g.cfg.RoleIDs(gw.GuildID, cfg.BlacklistRoles) {
		if slices.Contains(m.User.Roles, id) {
			return nil, bot.Errorf(bot.EForbidden, "Your roles keep you out of giveaways on this server. Ask a moderator if you think this is a mistake.")
		}
	}
	if !cfg.AllowStaff && g.isStaff(gw.GuildID, m.User) {
		return nil, bot.Errorf(bot.EForbidden, "Staff cannot enter giveaways here (giveaways: allow_staff is off): they are for the community.")
	}
	if gw.RequiresRole != "" && !slices.Contains(m.User.Roles, gw.RequiresRole) {
		return nil, bot.Errorf(bot.EForbidden, "Giveaway #%d is for members with the @%s role, which you do not have.", gw.ID, gw.RequiresName)
	}
	if gw.MinAccountAge > 0 {
		ms, ok := bot.SnowflakeTime(u.ID)
		if ok {
			if at := time.UnixMilli(ms).Add(gw.MinAccountAge); at.After(now) {
				return nil, g.notYet(gw, fmt.Sprintf("Your Discord account must be at least %s old to enter", bot.FormatDuration(gw.MinAccountAge)), at)
			}
		}
	}
	if gw.MinMemberFor > 0 && !m.JoinedAt.IsZero() {
		if at := m.JoinedAt.Add(gw.MinMemberFor); at.After(now) {
			return nil, g.notYet(gw, fmt.Sprintf("You must have been on the server for at least %s to enter", bot.FormatDuration(gw.MinMemberFor)), at)
		}
	}
	cases, err := g.db.CasesFor(ctx, gw.GuildID, u.ID, 50)
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		if (c.Action == bot.ActionBan || c.Action == bot.ActionTimeout) && c.CreatedAt.After(now.Add(-refusedCases)) {
			return nil, g.notYet(gw, fmt.Sprintf("You had a %s on this server in the last 30 days (case %d), so you cannot enter yet", c.Action, c.Number), c.CreatedAt.Add(refusedCases))
		}
	}
	return m, nil
}

// notYet is a refusal time will lift at at: it says when, and whether
// that is before the giveaway ends.
func (g *Giveaways) notYet(gw *bot.Giveaway, what string, at time.Time) error {
	if at.Before(gw.EndsAt) {
		return bot.Errorf(bot.EForbidden, "%s: you can from %s, before it ends — come back then.", what, g.when(bot.SourceDiscord, at))
	}
	return bot.Errorf(bot.EForbidden, "%s: you would meet it %s, after this giveaway ends %s.", what, g.when(bot.SourceDiscord, at), bot.DiscordTime(gw.EndsAt, "R"))
}

// tickets is how many tickets a member with roles gets: 1, or the most any
// of their bonus roles gives.
func (g *Giveaways) tickets(gw *bot.Giveaway, roles []string) int {
	n := 1
	if gw.BonusRole != "" && slices.Contains(roles, gw.BonusRole) {
		n = max(n, gw.BonusTickets)
	}
	for id, t := range g.cfg.GiveawayBonus(gw.GuildID) {
		if slices.Contains(roles, id) {
			n = max(n, t)
		}
	}
	return min(n, bot.MaxGiveawayTickets)
}

func (g *Giveaways) leaveClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := giveawayID(a.Value)
	if err != nil {
		return nil, err
	}
	now := g.clock.Now()
	left := false
	var gw *bot.Giveaway
	err = g.db.InTx(ctx, func(tx *store.Tx) error {
		if gw, err = tx.Giveaway(ctx, id); err != nil {
			return err
		}
		if err := g.open(gw, now); err != nil {
			return err
		}
		if left, err = tx.RemoveEntry(ctx, id, a.User.ID); err != nil || !left {
			return err
		}
		gw.Entries--
		return g.countEdit(ctx, tx, gw, now)
	})
	if err != nil {
		return nil, err
	}
	if !left {
		return &bot.Reply{Text: fmt.Sprintf("You are not in giveaway #%d: nothing to leave.", id)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("You left giveaway #%d. Changed your mind? Click Enter again before it ends.", id)}, nil
}
