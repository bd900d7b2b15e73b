package handlers

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// The digest does not thank who moderation dealt with: members with a ban,
// kick or timeout case in the period leave the top contributors, and
// messages moderation removed (automod, purges) are taken from their
// authors' counts and from the public figures.

// moderatedFigures is what moderation did in a digest's two periods.
type moderatedFigures struct {
	moderated, prevModerated map[string]bool
	removed, prevRemoved     int64
	by, prevBy               map[string]int64
}

// read reads them for the period p (up to until: its end, or now for a
// preview) and prev.
func (f *moderatedFigures) read(ctx context.Context, dc *Digest, p, prev bot.Period, until time.Time) (err error) {
	if f.moderated, err = dc.db.ModeratedMembers(ctx, p.Start, until); err != nil {
		return err
	}
	if f.prevModerated, err = dc.db.ModeratedMembers(ctx, prev.Start, prev.End); err != nil {
		return err
	}
	if f.removed, f.by, err = dc.db.RemovedMessages(ctx, p.Start, until); err != nil {
		return err
	}
	f.prevRemoved, f.prevBy, err = dc.db.RemovedMessages(ctx, prev.Start, prev.End)
	return err
}

// apply leaves them out of dg.
func (f *moderatedFigures) apply(dg *bot.Digest) {
	dg.Removed, dg.PrevRemoved = f.removed, f.prevRemoved
	dg.Activity.Contributors = honestTop(dg.Activity.Contributors, f.moderated, f.by)
	dg.PrevActivity.Contributors = honestTop(dg.PrevActivity.Contributors, f.prevModerated, f.prevBy)
}

// honestTop is top without the moderated members, each count less its
// removed messages, in order again.
func honestTop(top []bot.Contributor, moderated map[string]bool, removed map[string]int64) []bot.Contributor {
	var out []bot.Contributor
	for _, c := range top {
		if moderated[c.ID] {
			continue
		}
		c.Messages -= removed[c.ID]
		if c.Messages > 0 {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b bot.Contributor) int { return cmp.Compare(b.Messages, a.Messages) })
	return out
}
