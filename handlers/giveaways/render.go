package giveaways

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// How giveaways look: the giveaway message (edited as entries come in and
// when it ends), and times as each platform shows them.

// when writes t for a reader on platform src: Discord's timestamp markup
// (shown in the reader's zone), else the time in the configured zone.
func (g *Giveaways) when(src string, t time.Time) string {
	if src == bot.SourceDiscord {
		return bot.DiscordTime(t, "R") + " (" + bot.DiscordTime(t, "f") + ")"
	}
	return g.plainTime(t)
}

// ago writes t, a moment that has passed, for a reader on src at now, as
// when does. On Discord a moment under a minute from now has no relative
// time, which a client would show as "now" or "in a few seconds" (two
// replicas' clocks differ a little) after a verb in the past: justNow
// says it instead ("just now"), or nothing when the sentence reads without
// it ("was already drawn (…)").
func (g *Giveaways) ago(src string, t, now time.Time, justNow string) string {
	if src != bot.SourceDiscord || now.Sub(t).Abs() >= time.Minute {
		return g.when(src, t)
	}
	at := "(" + bot.DiscordTime(t, "f") + ")"
	if justNow == "" {
		return at
	}
	return justNow + " " + at
}

// endedAt is when entries to gw closed: at its end, or before it when it
// was drawn early (/giveaway end). A draw after the end (Liaison was down)
// does not move it.
func endedAt(gw *bot.Giveaway) time.Time {
	if gw.State == bot.GiveawayDrawn && !gw.DrawnAt.IsZero() && gw.DrawnAt.Before(gw.EndsAt) {
		return gw.DrawnAt
	}
	return gw.EndsAt
}

// plainTime writes t in the configured timezone, for Slack.
func (g *Giveaways) plainTime(t time.Time) string {
	loc := g.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

// channelLabel names a Discord channel: #name when config names it.
func (g *Giveaways) channelLabel(id string) string {
	if n := g.dir.ChannelName(id); n != "" {
		return "#" + n
	}
	return "channel " + id
}

// requirements lists who may enter, and the bonus tickets.
func (g *Giveaways) requirements(gw *bot.Giveaway) string {
	var out []string
	if gw.RequiresRole != "" {
		out = append(out, "the @"+gw.RequiresName+" role")
	}
	if gw.MinAccountAge > 0 {
		out = append(out, "a Discord account at least "+bot.FormatDuration(gw.MinAccountAge)+" old")
	}
	if gw.MinMemberFor > 0 {
		out = append(out, "on the server for at least "+bot.FormatDuration(gw.MinMemberFor))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// bonusLine says which roles get more tickets.
func (g *Giveaways) bonusLine(gw *bot.Giveaway) string {
	var out []string
	if gw.BonusRole != "" {
		out = append(out, fmt.Sprintf("@%s: %d tickets", gw.BonusName, gw.BonusTickets))
	}
	for _, name := range slices.Sorted(maps.Keys(g.cfg.Giveaways.Bonus)) {
		out = append(out, fmt.Sprintf("@%s: %d tickets", name, g.cfg.Giveaways.Bonus[name]))
	}
	return strings.Join(out, ", ")
}

// messagePost is the giveaway message as it stands: open with its Enter
// button, or ended. It pings nobody (no Notify).
func (g *Giveaways) messagePost(gw *bot.Giveaway) bot.Post {
	p := bot.Post{ChannelID: gw.ChannelID, Title: fmt.Sprintf("🎉 Giveaway #%d: %s", gw.ID, gw.Prize), Text: gw.Description}
	switch gw.State {
	case bot.GiveawayOpen:
		p.Fields = append(p.Fields, bot.Field{Name: "Ends", Value: g.when(bot.SourceDiscord, gw.EndsAt)})
	case bot.GiveawayDrawn:
		// When entries closed: a draw made late (Liaison was down) does
		// not move it; the draw's reply says it was late.
		p.Fields = append(p.Fields, bot.Field{Name: "Ended", Value: g.when(bot.SourceDiscord, endedAt(gw)) + ": the result is in the reply below"})
	case bot.GiveawayCancelled:
		p.Fields = append(p.Fields, bot.Field{Name: "Cancelled", Value: gw.CancelReason})
	}
	p.Fields = append(p.Fields,
		bot.Field{Name: "Winners", Value: fmt.Sprint(gw.Winners)},
		bot.Field{Name: "Requirements", Value: g.requirements(gw)})
	if b := g.bonusLine(gw); b != "" {
		p.Fields = append(p.Fields, bot.Field{Name: "Bonus tickets", Value: b})
	}
	p.Fields = append(p.Fields,
		bot.Field{Name: "Entries", Value: fmt.Sprint(gw.Entries)},
		bot.Field{Name: "Hosted by", Value: gw.HostName})
	p.Context = "Commitment: " + gw.Commitment + " (sha256 of the seed revealed at the draw)"
	if gw.State == bot.GiveawayOpen {
		p.Buttons = []bot.Button{{ActionID: "giveaway.enter", Label: "Enter", Value: fmt.Sprint(gw.ID), Style: "primary"}}
	}
	return p
}

// editMessage edits the giveaway message to show gw as it now stands
// (ended, cancelled), under a key unique to what happened, once the
// outbox message after (the message itself, or an edit of it) is sent.
func (g *Giveaways) editMessage(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, what, after string, now time.Time) error {
	_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("giveaway:%d:edit:%s", gw.ID, what), Platform: bot.PlatformDiscord,
		Kind: bot.KindUpdate, ParentKey: after, Payload: bot.Payload(g.messagePost(gw))})
	return err
}

// endMessage shows the giveaway ended (drawn or cancelled) on its
// message, at once: the end is news, not a count to pace. A count edit
// not sent yet takes the final text and goes now rather than when the
// pacing had it due (sent after the end, it would show the Enter button
// again; left to its time, the message would show the giveaway open until
// then). Else the end is an edit of its own, due now, chained after the
// last count edit unless that one is dead: one being sent that fails and
// is retried then still comes before the end, never after it.
func (g *Giveaways) endMessage(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, what string, now time.Time) error {
	last, err := tx.NextCountEdit(ctx, gw.ID)
	if err != nil {
		return err
	}
	after := gw.MessageKey
	if last.Seq > 0 {
		key := countKey(gw.ID, last.Seq)
		ok, err := tx.ReplacePendingPayloadNow(ctx, now, key, bot.Payload(g.messagePost(gw)))
		if err != nil || ok {
			return err
		}
		state, _, err := tx.OutboxState(ctx, key)
		if err != nil {
			return err
		}
		if state != store.OutboxDead {
			after = key
		}
	}
	return g.editMessage(ctx, tx, gw, what, after, now)
}

// countEdit updates the entry count on the giveaway message, coalesced: a
// pending edit takes the new count; otherwise a new edit is due no sooner
// than countEvery after the last, so a burst of clicks makes one edit.
// gw is locked by the transaction and holds the new count.
func (g *Giveaways) countEdit(ctx context.Context, tx *store.Tx, gw *bot.Giveaway, now time.Time) error {
	last, err := tx.NextCountEdit(ctx, gw.ID)
	if err != nil {
		return err
	}
	payload := bot.Payload(g.messagePost(gw))
	if last.Seq > 0 {
		ok, err := tx.ReplacePendingPayload(ctx, now, countKey(gw.ID, last.Seq), payload)
		if err != nil || ok {
			return err
		}
	}
	next := store.CountEdit{Seq: last.Seq + 1, Due: now}
	if last.Seq > 0 && last.Due.Add(countEvery).After(now) {
		next.Due = last.Due.Add(countEvery)
	}
	if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: countKey(gw.ID, next.Seq), Platform: bot.PlatformDiscord, Kind: bot.KindUpdate,
		ParentKey: gw.MessageKey, NotBefore: next.Due, Payload: payload}); err != nil {
		return err
	}
	return tx.SetCountEdit(ctx, gw.ID, next)
}

func countKey(id int64, seq int) string { return fmt.Sprintf("giveaway:%d:count:%d", id, seq) }
