package giveaways

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The draw, exactly once: the job (under the scheduler's lease) and
// /giveaway end both call draw, which commits the winners, the whole
// order, the announcement and its entrant list, the edit of the giveaway
// message and the Slack notice in one transaction, conditional on the
// giveaway still being open. A replica that dies before the commit leaves
// nothing (the next run draws the same order from the same inputs); one
// that dies after leaves the outbox rows, sent once.
//
// The announcement is brand speech: its text (giveaways.announcement) is
// a template approved once when it changes (handlers' Templates). When it
// is not approved yet, the draw commits all the same and its announcement
// waits (the round records the text it waits for); approving the text
// sends it, in the approving transaction, once.

// drawResult is what a draw decided.
type drawResult struct {
	gw       *bot.Giveaway
	entrants int
	winners  []bot.Entrant
	reserves []bot.Entrant
	names    map[string]string // user id → the name they entered with
	// waits says why the announcement waits, "" when it does not.
	waits string
}

func (r *drawResult) summary() string {
	if r.entrants == 0 {
		return "Nobody entered, so nobody wins."
	}
	list := winnerNames(r.winners, r.names)
	if len(r.winners) > 10 {
		list = fmt.Sprintf("%d people (/giveaway show %d lists them)", len(r.winners), r.gw.ID)
	}
	s := fmt.Sprintf("Winners: %s (of %s).", list, plural(r.entrants, "entrant", "entrants"))
	if r.entrants < r.gw.Winners {
		s += fmt.Sprintf(" %d winners were asked, but only %s entered: everyone who entered wins.", r.gw.Winners, plural(r.entrants, "person", "people"))
	}
	return s
}

// DrawDue draws every open giveaway whose end has come; a job, run under
// the scheduler's lease. It returns how many it drew.
func (g *Giveaways) DrawDue(ctx context.Context, now time.Time) (int, error) {
	ids, err := g.db.DueGiveaways(ctx, now, 20)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		// One giveaway failing (to be retried next run) holds up no other.
		res, err := g.draw(ctx, id, now, "")
		if err != nil {
			errs = append(errs, fmt.Errorf("draw giveaway %d: %w", id, err))
		}
		if res != nil {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// draw draws giveaway id at now; endedBy names who ended it early with
// /giveaway end ("" for the job). It returns nil when the giveaway was not
// open any more (drawn by another run, or cancelled).
func (g *Giveaways) draw(ctx context.Context, id int64, now time.Time, endedBy string) (*drawResult, error) {
	var res *drawResult
	err := g.db.InTx(ctx, func(tx *store.Tx) error {
		res = nil
		gw, err := tx.Giveaway(ctx, id)
		if err != nil {
			return err
		}
		if gw.State != bot.GiveawayOpen {
			return nil
		}
		es, err := tx.Entrants(ctx, id)
		if err != nil {
			return err
		}
		seed, err := hex.DecodeString(gw.Seed)
		if err != nil {
			return fmt.Errorf("giveaway %d: unreadable seed: %w", id, err)
		}
		file := bot.EntrantsFile(es)
		hash := bot.Hex(bot.EntrantsHash(file))
		order := bot.DrawOrder(seed, es)
		if endedBy == "" && now.Sub(gw.EndsAt) > lateAfter {
			gw.LateReason = fmt.Sprintf("it ended %s while Liaison was not running; it was drawn %s later, when Liaison came back, from the entries made before its end",
				g.plainTime(gw.EndsAt), bot.FormatDuration(now.Sub(gw.EndsAt).Truncate(time.Second)))
		}
		round := bot.GiveawayRound{AnnouncementKey: fmt.Sprintf("giveaway:%d:round:0", id), ClaimUntil: now.Add(g.cfg.Giveaways.ClaimWithin),
			Actor: endedBy}
		ok, err := tx.SaveDraw(ctx, now, id, hash, gw.LateReason, order, gw.Winners, round)
		if err != nil || !ok {
			return err
		}
		gw.State, gw.EntrantsHash, gw.DrawnAt = bot.GiveawayDrawn, hash, now
		n := min(gw.Winners, len(order))
		res = &drawResult{gw: gw, entrants: len(es), winners: order[:n], reserves: order[n:]}
		return g.drawn(ctx, tx, res, round, now)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// drawn enqueues, in the draw's transaction, what a draw says: the last
// edit of the giveaway message, the announcement (with its entrant list,
// and the winners' DMs) when its text is approved, and the Slack notice.
// An announcement whose text is not approved yet waits for it, the draw
// standing: approving the text sends it (ReleaseAnnouncements).
func (g *Giveaways) drawn(ctx context.Context, tx *store.Tx, res *drawResult, round bot.GiveawayRound, now time.Time) error {
	gw := res.gw
	names, err := g.entrantNames(ctx, tx, gw.ID)
	if err != nil {
		return err
	}
	res.names = names
	gw.Entries = res.entrants
	tpl, err := g.announcementTemplate(ctx, tx, gw)
	if err != nil {
		return err
	}
	slack := bot.Post{Title: fmt.Sprintf("Giveaway #%d drawn: %s", gw.ID, gw.Prize)}
	switch {
	case res.entrants == 0:
		slack.Text = "Nobody entered, so nobody wins."
	case tpl.State != store.NoticeApproved:
		res.waits = g.waitingLine(tpl)
		if err := tx.HoldAnnouncement(ctx, gw.ID, round.Round, tpl.TextHash); err != nil {
			return err
		}
		slack.Text = fmt.Sprintf("Winners: %s. %s entered. %s", winnerNames(res.winners, names), plural(res.entrants, "person", "people"), res.waits)
	default:
		slack.Text = fmt.Sprintf("Winners: %s. %s entered. They have until %s to claim.", winnerNames(res.winners, names),
			plural(res.entrants, "person", "people"), g.plainTime(round.ClaimUntil))
	}
	if res.waits == "" {
		if err := g.announceDraw(ctx, tx, gw, round, tpl.Text, now); err != nil {
			return err
		}
	}
	if err := g.endMessage(ctx, tx, gw, "drawn", now); err != nil {
		return err
	}
	if gw.LateReason != "" {
		slack.Text += "\nDrawn late: " + gw.LateReason + "."
	}
	return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:drawn", gw.ID), slack)
}

// announceDraw enqueues the announcement of the draw of gw (drawn, its
// order committed), with text the approved announcement text: a reply to
// the giveaway message pinging the winners only, the entrant list attached
// to it, and the winners' DMs. It reads the draw back from the store, so
// an announcement that waited says what the draw decided.
func (g *Giveaways) announceDraw(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, round bot.GiveawayRound, text string, now time.Time) error {
	es, err := tx.Entrants(ctx, gw.ID)
	if err != nil {
		return err
	}
	file := bot.EntrantsFile(es)
	if h := bot.Hex(bot.EntrantsHash(file)); h != gw.EntrantsHash {
		return fmt.Errorf("giveaway %d: its entrants changed since the draw (hash %s, drawn with %s)", gw.ID, h, gw.EntrantsHash)
	}
	picks, err := tx.Picks(ctx, gw.ID)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(picks))
	var winners, reserves []bot.Entrant
	var won []bot.GiveawayPick
	tickets := 0
	for _, p := range picks {
		names[p.UserID] = p.UserName
		tickets += p.Tickets
		e := bot.Entrant{UserID: p.UserID, Tickets: p.Tickets}
		if p.WonRound == 0 {
			winners, won = append(winners, e), append(won, p)
		} else {
			reserves = append(reserves, e)
		}
	}
	entrants := len(picks)
	post := bot.Post{ChannelID: gw.ChannelID, Title: fmt.Sprintf("🎉 Giveaway #%d: %s — the draw", gw.ID, gw.Prize)}
	var lines []string
	switch {
	case entrants == 0:
		lines = append(lines, "Nobody entered, so nobody wins.")
	default:
		for _, w := range winners {
			post.Notify = append(post.Notify, w.UserID)
		}
		lines = append(lines, g.renderAnnouncement(text, gw, winnerNames(winners, names), round.ClaimUntil))
		if entrants < gw.Winners {
			lines = append(lines, fmt.Sprintf("%d winners were asked, but only %s entered: everyone who entered wins.", gw.Winners, plural(entrants, "person", "people")))
		}
		post.Buttons = []bot.Button{{ActionID: "giveaway.claim", Label: "Claim", Value: fmt.Sprint(gw.ID), Style: "primary"}}
	}
	if round.Actor != "" {
		lines = append(lines, fmt.Sprintf("%s ended it early, at %s.", round.Actor, bot.DiscordTime(gw.DrawnAt, "f")))
	}
	if gw.LateReason != "" {
		lines = append(lines, "Drawn late: "+gw.LateReason+".")
	}
	post.Text = strings.Join(lines, "\n")
	if entrants > 0 {
		list := winnerNames(winners, names)
		if len(winners) > 10 { // the mentions above name them; keep the message under Discord's 2,000 characters
			list = fmt.Sprintf("the %d members mentioned above", len(winners))
		}
		post.Fields = append(post.Fields, bot.Field{Name: "Winners", Value: list})
		if len(reserves) > 0 {
			var rs []string
			for i, e := range reserves[:min(reservesShown, len(reserves))] {
				rs = append(rs, fmt.Sprintf("%d. %s", len(winners)+i+1, orID(names[e.UserID], e.UserID)))
			}
			post.Fields = append(post.Fields, bot.Field{Name: "First reserves (a reroll takes them in order)", Value: strings.Join(rs, ", ")})
		}
	}
	post.Fields = append(post.Fields,
		bot.Field{Name: "Entrants", Value: fmt.Sprintf("%s, %s", plural(entrants, "person", "people"), plural(tickets, "ticket", "tickets"))},
		bot.Field{Name: "Seed", Value: gw.Seed},
		bot.Field{Name: "Entrants hash", Value: gw.EntrantsHash},
		bot.Field{Name: "Commitment", Value: gw.Commitment})
	if entrants > 0 {
		post.Context = fmt.Sprintf("Check the draw: liaison giveaway verify %s %s --commitment %s --winners %d (README: Giveaways: checking a draw)",
			entrantsFile(gw.ID), gw.Seed, gw.Commitment, gw.Winners)
	}
	if err := g.enqueueAnnouncement(ctx, tx, gw, round.AnnouncementKey, post, now); err != nil {
		return err
	}
	if entrants > 0 { // no entrant: the list is empty, its hash sha256 of nothing
		up := bot.Upload{ChannelID: gw.ChannelID, Filename: entrantsFile(gw.ID), Data: file,
			Comment: fmt.Sprintf("The entrants of giveaway #%d, one line \"<user id> <tickets>\" each: sha256 of this file is the entrants hash %s.", gw.ID, gw.EntrantsHash)}
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("giveaway:%d:entrants", gw.ID), Platform: bot.PlatformDiscord, Kind: bot.KindUpload,
			ParentKey: round.AnnouncementKey, Payload: bot.Payload(up)}); err != nil {
			return err
		}
	}
	return g.dmWinners(ctx, tx, gw, round, won, now)
}

func entrantsFile(id int64) string { return fmt.Sprintf("giveaway-%d-entrants.txt", id) }

func orID(name, id string) string {
	if name == "" {
		return id
	}
	return name
}

// winnerNames lists winners by the names they entered with.
func winnerNames(ws []bot.Entrant, names map[string]string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = orID(names[w.UserID], w.UserID)
	}
	return strings.Join(out, ", ")
}

// entrantNames returns the names entrants entered with, by user id.
func (g *Giveaways) entrantNames(ctx context.Context, tx *store.Tx, id int64) (map[string]string, error) {
	picks, err := tx.Picks(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(picks))
	for _, p := range picks {
		out[p.UserID] = p.UserName
	}
	return out, nil
}
