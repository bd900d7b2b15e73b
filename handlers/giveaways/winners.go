package giveaways

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// After the draw: winners claim; staff hear in Slack of those who did not
// (with a Reroll unclaimed button) and of announcements Discord refused;
// a reroll makes the next reserves of the draw's order winners, its reason
// shown publicly, so nobody can choose among outcomes.

// reroll makes the next n reserves winners. With unclaimed, the winners
// whose claim window closed unclaimed are replaced, one reserve each, and
// n is how many they are.
func (g *Giveaways) reroll(ctx context.Context, w who, id int64, reason string, n int, unclaimed bool) (*bot.Reply, error) {
	reason, err := text(reason, "reason", maxReason, true)
	if err != nil {
		return nil, err
	}
	if !unclaimed && (n < 1 || n > bot.MaxGiveawayWinners) {
		return nil, bot.Errorf(bot.EInvalid, "winners must be from 1 to %d (%d given).", bot.MaxGiveawayWinners, n)
	}
	if w.GuildID != "" {
		if _, err := g.inGuild(ctx, w.GuildID, id); err != nil {
			return nil, err
		}
	}
	now := g.clock.Now()
	var took, replaced []bot.GiveawayPick
	var short bool
	err = g.db.InTx(ctx, func(tx *store.Tx) error {
		gw, err := tx.Giveaway(ctx, id)
		if err != nil {
			return err
		}
		switch gw.State {
		case bot.GiveawayOpen:
			return bot.Errorf(bot.EInvalid, "Giveaway #%d is not drawn yet, so there is nothing to reroll: /giveaway end %d draws it now.", id, id)
		case bot.GiveawayCancelled:
			return bot.Errorf(bot.EInvalid, "Giveaway #%d was cancelled (%s): it has no winners to reroll.", id, gw.CancelReason)
		}
		if err := g.waitingAnnouncement(ctx, tx, gw); err != nil {
			return err
		}
		picks, err := tx.Picks(ctx, id)
		if err != nil {
			return err
		}
		rounds, err := tx.Rounds(ctx, id)
		if err != nil {
			return err
		}
		if unclaimed {
			for _, p := range picks {
				if p.Winner() && p.ClaimedAt.IsZero() && !rounds[p.WonRound].ClaimUntil.After(now) {
					replaced = append(replaced, p)
				}
			}
			if len(replaced) == 0 {
				return bot.Errorf(bot.EConflict, "Every winner of giveaway #%d has claimed, or can still: nothing to reroll.", id)
			}
			n = len(replaced)
		}
		var reserves []bot.GiveawayPick
		for _, p := range picks {
			if p.WonRound < 0 {
				reserves = append(reserves, p)
			}
		}
		if len(reserves) == 0 {
			return bot.Errorf(bot.EConflict, "Giveaway #%d has no reserve left: everyone who entered has won already. Nothing was changed.", id)
		}
		took, short = reserves[:min(n, len(reserves))], n > len(reserves)
		r := bot.GiveawayRound{GiveawayID: id, Round: len(rounds), Reason: reason, Actor: w.Name,
			AnnouncementKey: fmt.Sprintf("giveaway:%d:round:%d", id, len(rounds)), ClaimUntil: now.Add(g.cfg.Giveaways.ClaimWithin)}
		var positions, forfeit []int
		for _, p := range took {
			positions = append(positions, p.Position)
		}
		for _, p := range replaced {
			forfeit = append(forfeit, p.Position)
		}
		if err := tx.Reroll(ctx, now, r, positions, forfeit); err != nil {
			return err
		}
		if err := g.dmWinners(ctx, tx, gw, r, took, now); err != nil {
			return err
		}
		return g.announceReroll(ctx, tx, gw, r, took, replaced, short, now)
	})
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("Rerolled giveaway #%d: %s now %s, in the draw's order. The announcement says why.",
		id, pickNames(took), map[bool]string{true: "win", false: "wins"}[len(took) > 1])
	if short {
		msg += fmt.Sprintf(" You asked for %d, but only %d reserve(s) were left.", n, len(took))
	}
	return &bot.Reply{Text: msg}, nil
}

func pickNames(ps []bot.GiveawayPick) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("%s (#%d in the order)", orID(p.UserName, p.UserID), p.Position)
	}
	return strings.Join(out, ", ")
}

// announceReroll replies to the giveaway message with the new winners,
// pinging them alone, and tells Slack.
func (g *Giveaways) announceReroll(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, r bot.GiveawayRound, took, replaced []bot.GiveawayPick, short bool, now time.Time) error {
	post := bot.Post{ChannelID: gw.ChannelID, Title: fmt.Sprintf("🎲 Giveaway #%d: %s — reroll", gw.ID, gw.Prize)}
	lines := []string{fmt.Sprintf("%s rerolled: %s", r.Actor, r.Reason)}
	lines = append(lines, fmt.Sprintf("The next reserves in the draw's order win. Click Claim within %s (by %s).",
		bot.FormatDuration(g.cfg.Giveaways.ClaimWithin), bot.DiscordTime(r.ClaimUntil, "f")))
	if short {
		lines = append(lines, "There were not enough reserves left for more.")
	}
	post.Text = strings.Join(lines, "\n")
	for _, p := range took {
		post.Notify = append(post.Notify, p.UserID)
	}
	post.Fields = []bot.Field{{Name: "New winners", Value: pickNames(took)}}
	if len(replaced) > 0 {
		post.Fields = append(post.Fields, bot.Field{Name: "Replaced (did not claim)", Value: pickNames(replaced)})
	}
	last := took[len(took)-1].Position
	post.Context = fmt.Sprintf("Check it: liaison giveaway verify %s %s --commitment %s --winners %d --rerolls %d",
		entrantsFile(gw.ID), gw.Seed, gw.Commitment, gw.Winners, max(0, last-gw.Winners))
	post.Buttons = []bot.Button{{ActionID: "giveaway.claim", Label: "Claim", Value: fmt.Sprint(gw.ID), Style: "primary"}}
	if err := g.enqueueAnnouncement(ctx, tx, gw, r.AnnouncementKey, post, now); err != nil {
		return err
	}
	return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:round:%d", gw.ID, r.Round), bot.Post{
		Title: fmt.Sprintf("Giveaway #%d rerolled: %s", gw.ID, gw.Prize),
		Text:  fmt.Sprintf("%s rerolled it (%s). New winners: %s.", r.Actor, r.Reason, pickNames(took)),
	})
}

// enqueueAnnouncement posts an announcement as a reply to the giveaway
// message; in the channel itself when that message could not be posted.
func (g *Giveaways) enqueueAnnouncement(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, key string, post bot.Post, now time.Time) error {
	m := &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindPost, ParentKey: gw.MessageKey, Payload: bot.Payload(post)}
	state, _, err := tx.OutboxState(ctx, gw.MessageKey)
	if err != nil {
		return err
	}
	if state == store.OutboxDead || state == "" {
		m.ParentKey = ""
	}
	_, err = tx.Enqueue(ctx, now, m)
	return err
}

func (g *Giveaways) claimClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := giveawayID(a.Value)
	if err != nil {
		return nil, err
	}
	now := g.clock.Now()
	var gw *bot.Giveaway
	var pick bot.GiveawayPick
	err = g.db.InTx(ctx, func(tx *store.Tx) error {
		if gw, err = tx.Giveaway(ctx, id); err != nil {
			return err
		}
		picks, err := tx.Picks(ctx, id)
		if err != nil {
			return err
		}
		found := false
		for _, p := range picks {
			if p.UserID == a.User.ID && p.Winner() {
				pick, found = p, true
			}
		}
		if !found {
			return bot.Errorf(bot.EForbidden, "Only the winners of giveaway #%d can claim its prize.", id)
		}
		if !pick.ClaimedAt.IsZero() {
			return bot.Errorf(bot.EConflict, "You already claimed your prize of giveaway #%d: the team will be in touch.", id)
		}
		rounds, err := tx.Rounds(ctx, id)
		if err != nil {
			return err
		}
		if until := rounds[pick.WonRound].ClaimUntil; !until.After(now) {
			return bot.Errorf(bot.EForbidden, "The time to claim giveaway #%d's prize ended %s. Ask a moderator if you think this is a mistake.", id, g.when(bot.SourceDiscord, until))
		}
		if _, err := tx.ClaimPick(ctx, now, id, pick.Position); err != nil {
			return err
		}
		return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:claimed:%d", id, pick.Position), bot.Post{
			Text: fmt.Sprintf("%s (Discord %s) claimed the prize of giveaway #%d: %s. Get in touch with them to hand it over.", orID(pick.UserName, pick.UserID), pick.UserID, id, gw.Prize),
		})
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Claimed! You won %s in giveaway #%d; the team will be in touch.", gw.Prize, id)}, nil
}

// ClaimsEnded tells staff in Slack, once per round whose claim window
// closed, which winners did not claim, with a Reroll unclaimed button; a
// job.
func (g *Giveaways) ClaimsEnded(ctx context.Context, now time.Time) (int, error) {
	rounds, err := g.db.ClaimsEnded(ctx, now, 20)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rounds {
		err := g.db.InTx(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkClaimsEnded(ctx, now, r.GiveawayID, r.Round)
			if err != nil || !ok {
				return err
			}
			gw, err := tx.Giveaway(ctx, r.GiveawayID)
			if err != nil {
				return err
			}
			picks, err := tx.Picks(ctx, r.GiveawayID)
			if err != nil {
				return err
			}
			var missing []bot.GiveawayPick
			for _, p := range picks {
				if p.WonRound == r.Round && p.Winner() && p.ClaimedAt.IsZero() {
					missing = append(missing, p)
				}
			}
			if len(missing) == 0 {
				return nil
			}
			n++
			return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:unclaimed:%d", r.GiveawayID, r.Round), bot.Post{
				Title: fmt.Sprintf("Giveaway #%d: %s not claimed", gw.ID, plural(len(missing), "prize", "prizes")),
				Text: fmt.Sprintf("%s did not claim %s by %s. Reroll unclaimed makes the next reserves of the draw's order winners instead, with this reason shown publicly: \"the winner did not claim in time\".",
					pickNames(missing), gw.Prize, g.plainTime(r.ClaimUntil)),
				Buttons: []bot.Button{{ActionID: "giveaway.rerollunclaimed", Label: "Reroll unclaimed", Value: fmt.Sprint(gw.ID), Style: "primary"}},
			})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (g *Giveaways) rerollUnclaimedClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := giveawayID(a.Value)
	if err != nil {
		return nil, err
	}
	w := who{Name: g.dir.Actor(a.User), Source: a.Platform}
	if a.Platform == bot.PlatformDiscord {
		w.GuildID = a.ScopeID
	}
	return g.reroll(ctx, w, id, "the winner did not claim in time", 0, true)
}

// dmWinners sends each new winner of a round a direct message, when
// giveaways: dm_winners is on. A DM refused (closed DMs) fails for good
// and ReportFailed tells staff; the announcement still pings them.
func (g *Giveaways) dmWinners(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, r bot.GiveawayRound, winners []bot.GiveawayPick, now time.Time) error {
	if !g.cfg.Giveaways.DMWinners {
		return nil
	}
	for _, w := range winners {
		dm := bot.DirectPost{UserID: w.UserID, Lane: w.UserID, UserName: orID(w.UserName, w.UserID), Post: bot.Post{
			Title: fmt.Sprintf("You won giveaway #%d: %s", gw.ID, gw.Prize),
			Text: fmt.Sprintf("Click Claim on the announcement in %s within %s (by %s) to get your prize.",
				g.channelLabel(gw.ChannelID), bot.FormatDuration(g.cfg.Giveaways.ClaimWithin), bot.DiscordTime(r.ClaimUntil, "f")),
		}}
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("giveaway:%d:dm:%d:%s", gw.ID, r.Round, w.UserID),
			Platform: bot.PlatformDiscord, Kind: bot.KindDM, Payload: bot.Payload(dm)}); err != nil {
			return err
		}
	}
	return nil
}

// reportDMs tells staff in Slack, once each, of the winners Liaison could
// not send a direct message to.
func (g *Giveaways) reportDMs(ctx context.Context, now time.Time) (int, error) {
	dead, err := g.db.UnreportedDead(ctx, bot.KindDM, 50)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range dead {
		var id int64
		var round int
		var user string
		if _, err := fmt.Sscanf(strings.ReplaceAll(e.Key, ":", " "), "giveaway %d dm %d %s", &id, &round, &user); err != nil {
			continue // another capability's direct message
		}
		var d bot.DirectPost
		_ = json.Unmarshal([]byte(e.Payload), &d)
		err := g.db.InTx(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkDeadReported(ctx, now, e.Key)
			if err != nil || !ok {
				return err
			}
			n++
			return g.enqueueSlack(ctx, tx, "giveaway:"+strings.TrimPrefix(e.Key, "giveaway:")+":slack", bot.Post{
				Text: fmt.Sprintf("Liaison could not send %s a direct message about winning giveaway #%d: %s. The announcement in Discord still names them; tell them another way if they do not claim.",
					orID(d.UserName, user), id, bot.PlainRefusal(e.LastError)),
			})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReportFailed tells staff in Slack, once each, of the announcements
// Discord refused (the channel or the message is gone, Liaison lost its
// permission), naming the winners so they can be told another way; and
// cancels the giveaways whose message could not be posted at all, since
// nobody can enter them. A job.
func (g *Giveaways) ReportFailed(ctx context.Context, now time.Time) (int, error) {
	failed, err := g.db.FailedAnnouncements(ctx, 20)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range failed {
		err := g.db.InTx(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkFailureReported(ctx, now, f.Round.GiveawayID, f.Round.Round)
			if err != nil || !ok {
				return err
			}
			gw, err := tx.Giveaway(ctx, f.Round.GiveawayID)
			if err != nil {
				return err
			}
			picks, err := tx.Picks(ctx, gw.ID)
			if err != nil {
				return err
			}
			var won []bot.GiveawayPick
			for _, p := range picks {
				if p.WonRound == f.Round.Round {
					won = append(won, p)
				}
			}
			n++
			winners := "nobody (nobody entered)"
			if len(won) > 0 {
				winners = pickNames(won)
			}
			return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:failed:%d", gw.ID, f.Round.Round), bot.Post{
				Title: fmt.Sprintf("Giveaway #%d was drawn, but Discord refused its announcement", gw.ID),
				Text: fmt.Sprintf("%s: %s. The draw stands (/liaison giveaway show %d shows it, seed included). Winners: %s. Tell them another way, or fix the channel and retry the message.",
					g.channelLabel(gw.ChannelID), bot.PlainRefusal(f.Error), gw.ID, winners),
			})
		})
		if err != nil {
			return n, err
		}
	}
	dms, err := g.reportDMs(ctx, now)
	n += dms
	if err != nil {
		return n, err
	}
	unposted, err := g.db.UnpostedGiveaways(ctx, 20)
	if err != nil {
		return n, err
	}
	for _, u := range unposted {
		err := g.db.InTx(ctx, func(tx *store.Tx) error {
			reason := "Liaison could not post it in Discord: " + bot.PlainRefusal(u.Error)
			ok, err := tx.CancelGiveaway(ctx, now, u.ID, reason)
			if err != nil || !ok {
				return err
			}
			gw, err := tx.Giveaway(ctx, u.ID)
			if err != nil {
				return err
			}
			n++
			return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:unposted", u.ID), bot.Post{
				Title: fmt.Sprintf("Giveaway #%d could not start: %s", gw.ID, gw.Prize),
				Text:  fmt.Sprintf("Discord refused its message in %s: %s. It is cancelled; start it again in a channel Liaison can post in.", g.channelLabel(gw.ChannelID), bot.PlainRefusal(u.Error)),
			})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
