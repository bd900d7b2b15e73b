package handlers

import (
	"context"
	"slices"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Statistics collection: every Discord message, thread start, join and
// leave is counted into the daily roll-ups the digest reads, in the
// transaction that records the event as seen (so a redelivery counts once).
// Bots are left out; staff are counted and flagged. No text is stored.

func (dc *Digest) statsEvent(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	switch e := ev.(type) {
	case *bot.Message:
		if e.Platform != bot.PlatformDiscord || e.Edited || e.Author.Bot || e.ScopeID == "" || e.Author.ID == "" {
			return nil
		}
		at := dc.eventTime(&e.Delivery)
		return tx.RecordMessage(ctx, dc.clock.Now(), store.MessageStat{
			GuildID: e.ScopeID, ChannelID: e.ChannelID, ChannelName: e.ChannelName,
			AuthorID: e.Author.ID, AuthorName: e.Author.Name, AuthorDisplay: e.Author.Display,
			Day: dc.statsDay(at), ThreadStart: e.ThreadStart, Staff: dc.dir.IsStaff(e.Author),
			Periods: dc.digestPeriods(at),
		})
	case *bot.GuildCount:
		if e.ScopeID == "" || e.Members <= 0 {
			return nil
		}
		return tx.SetGuildMemberCount(ctx, dc.clock.Now(), e.ScopeID, dc.statsDay(dc.eventTime(&e.Delivery)), int64(e.Members))
	case *bot.MemberChange:
		if e.User.Bot || e.ScopeID == "" || e.User.ID == "" {
			return nil
		}
		at := dc.eventTime(&e.Delivery)
		return tx.RecordMemberChange(ctx, dc.clock.Now(), store.MemberStat{
			GuildID: e.ScopeID, UserID: e.User.ID, Name: e.User.Name, Display: e.User.Display,
			Day: dc.statsDay(at), At: at, Left: e.Left,
		})
	}
	return nil
}

// eventTime is when the platform says the event happened (a message
// fetched late still counts on its own day), else now.
func (dc *Digest) eventTime(d *bot.Delivery) time.Time {
	if !d.At.IsZero() {
		return d.At
	}
	return dc.clock.Now()
}

// statsDay is t's day in the configured timezone: the day of the roll-ups.
func (dc *Digest) statsDay(t time.Time) string {
	return t.In(dc.cfg.Location).Format(time.DateOnly)
}

// digestPeriods lists the keys of the configured digests' periods that
// contain t, each reckoned in its digest's timezone.
func (dc *Digest) digestPeriods(t time.Time) []string {
	var keys []string
	for _, d := range dc.cfg.Digests {
		if d.Schedule == nil {
			continue
		}
		for _, p := range bot.PeriodsCovering(d.Schedule, d.Location, string(d.Period), t) {
			if k := p.Key(); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}
