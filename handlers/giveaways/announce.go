package giveaways

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The winners announcement is brand speech: its text comes from
// giveaways.announcement (or the default), a template approved once in the
// approvals channel when it changes, by the approvals policy. A draw whose
// text is not approved yet commits all the same; its announcement waits,
// staff are told so in Slack, and approving the text sends it, once.

// AnnouncementStatus is the Status of the announcement texts among the
// templates (store.NoticeTemplate).
const AnnouncementStatus = "giveaway"

// templates is implemented by *handlers.Templates: the texts Liaison says
// in the brand's name, approved once when they change.
type templates interface {
	// Ensure returns the template of status in lang with text, recording
	// it (and asking for its approval) the first time the text is seen.
	Ensure(ctx context.Context, tx *store.Tx, status, lang, text string) (*store.NoticeTemplate, error)
}

// language is the language of a giveaway's announcement: that of its
// prize and description, when they say enough to tell (a prize alone, "a
// T-shirt", does not); English otherwise.
func language(gw *bot.Giveaway) string {
	s := gw.Prize + "\n" + gw.Description
	if len(strings.Fields(s)) < 4 {
		return "en"
	}
	return bot.Language(s)
}

// announcementTemplate returns, in tx, the announcement text gw uses as the
// file has it now, recorded (and its approval asked for) the first time.
func (g *Giveaways) announcementTemplate(ctx context.Context, tx *store.Tx, gw *bot.Giveaway) (*store.NoticeTemplate, error) {
	if g.templates == nil {
		return nil, fmt.Errorf("giveaway %d: giveaways were built without templates", gw.ID)
	}
	lang := language(gw)
	return g.templates.Ensure(ctx, tx, AnnouncementStatus, lang, g.cfg.Giveaways.AnnouncementText(lang))
}

// waitingLine tells staff why an announcement using tpl waits.
func (g *Giveaways) waitingLine(tpl *store.NoticeTemplate) string {
	what := fmt.Sprintf("the giveaway announcement text (%s)", tpl.Lang)
	switch {
	case !g.cfg.Approvals.Enabled:
		return fmt.Sprintf("The announcement in Discord waits: %s is brand speech, and nobody can approve it because liaison.yaml has no approvals: section.", what)
	case tpl.State == store.NoticeRejected:
		return fmt.Sprintf("The announcement in Discord waits: %s was rejected in #%s; change it in liaison.yaml (giveaways.announcement) and the new text is asked for.", what, g.cfg.Approvals.Channel.Name)
	}
	return fmt.Sprintf("The announcement in Discord waits for the approval of %s in #%s; it goes out, and the winners' %s to claim start, once the text is approved.",
		what, g.cfg.Approvals.Channel.Name, bot.FormatDuration(g.cfg.Giveaways.ClaimWithin))
}

// pendingLine tells who starts a giveaway that its announcement's text,
// tpl, is not approved yet.
func (g *Giveaways) pendingLine(tpl *store.NoticeTemplate) string {
	what := fmt.Sprintf("The winners announcement uses a text (giveaways.announcement, %s) that", tpl.Lang)
	switch {
	case !g.cfg.Approvals.Enabled:
		return what + " nobody can approve, as liaison.yaml has no approvals: section: the draw will happen on time, but its announcement will wait."
	case tpl.State == store.NoticeRejected:
		return fmt.Sprintf("%s was rejected in #%s: change it in liaison.yaml, or the draw's announcement will wait.", what, g.cfg.Approvals.Channel.Name)
	}
	return fmt.Sprintf("%s waits for approval in #%s: until it is approved, the draw happens on time but its announcement waits.", what, g.cfg.Approvals.Channel.Name)
}

// renderAnnouncement fills an announcement text.
func (g *Giveaways) renderAnnouncement(text string, gw *bot.Giveaway, winners string, claimUntil time.Time) string {
	r := strings.NewReplacer("{prize}", gw.Prize, "{winners}", winners,
		"{claim_within}", bot.FormatDuration(g.cfg.Giveaways.ClaimWithin), "{claim_by}", bot.DiscordTime(claimUntil, "f"))
	return strings.TrimSpace(r.Replace(text))
}

// ReleaseAnnouncements sends, in tx, the announcements that waited for
// template t, now approved, and those of its language that waited for an
// earlier text (rejected, or changed since) when t is the file's text now:
// the winners' time to claim starts now. It returns how many; handlers'
// Templates calls it in the transaction that approves t.
func (g *Giveaways) ReleaseAnnouncements(ctx context.Context, tx *store.Tx, t *store.NoticeTemplate) (int, error) {
	rounds, err := tx.WaitingAnnouncements(ctx)
	if err != nil {
		return 0, err
	}
	current := g.cfg.Giveaways.AnnouncementText(t.Lang) == t.Text
	now := g.clock.Now()
	n := 0
	for _, r := range rounds {
		gw, err := tx.Giveaway(ctx, r.GiveawayID)
		if err != nil {
			return n, err
		}
		if r.Waits != t.TextHash && (!current || language(gw) != t.Lang) {
			continue
		}
		r.ClaimUntil = now.Add(g.cfg.Giveaways.ClaimWithin)
		ok, err := tx.ReleaseAnnouncement(ctx, r.GiveawayID, r.Round, r.ClaimUntil)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		if err := g.announceDraw(ctx, tx, gw, r, t.Text, now); err != nil {
			return n, err
		}
		if err := g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:announced:%d", gw.ID, r.Round), bot.Post{
			Text: fmt.Sprintf("Giveaway #%d's announcement went out in %s now that its text is approved. Its winners have until %s to claim.",
				gw.ID, g.channelLabel(gw.ChannelID), g.plainTime(r.ClaimUntil)),
		}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// waitingAnnouncement returns a refusal when the announcement of one of
// gw's rounds waits for its text's approval: nothing may change its
// winners before they are told.
func (g *Giveaways) waitingAnnouncement(ctx context.Context, tx *store.Tx, gw *bot.Giveaway) error {
	rounds, err := tx.Rounds(ctx, gw.ID)
	if err != nil {
		return err
	}
	for _, r := range rounds {
		if r.Waits != "" {
			return bot.Errorf(bot.EConflict, "The announcement of giveaway #%d waits for the approval of its text in the approvals channel, so its winners have not been told yet: reroll once it is out. Nothing was changed.", gw.ID)
		}
	}
	return nil
}
