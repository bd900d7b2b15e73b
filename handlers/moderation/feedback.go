package moderation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The Moderate button of a relayed feedback item (ActionID mod.menu, Value
// the item's number) offers the team to warn or time out its author, or to
// delete the message, as the clicker's Discord identity with the usual
// checks.

// ModerateButton is the button a relay carries to moderate its author.
func ModerateButton(feedbackID int64) bot.Button {
	return bot.Button{ActionID: "mod.menu", Label: "Moderate", Value: strconv.FormatInt(feedbackID, 10)}
}

// feedbackTimeout is how long the Moderate menu times an author out.
const feedbackTimeout = time.Hour

func (m *Moderation) feedbackAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was done.")
	}
	it, err := m.feedback.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Source != bot.PlatformDiscord || it.AuthorID == "" {
		return nil, bot.Errorf(bot.EInvalid, "Feedback #%d did not come from Discord: there is nobody to moderate.", id)
	}
	if a.ActionID == "mod.menu" {
		v := a.Value
		return &bot.Reply{Text: fmt.Sprintf("Moderate %s, the author of feedback #%d?", it.AuthorName, id), Buttons: []bot.Button{
			{ActionID: "mod.fbwarn", Label: "Warn", Value: v},
			{ActionID: "mod.fbtimeout", Label: "Time out " + bot.FormatDuration(feedbackTimeout), Value: v, Style: "danger"},
			{ActionID: "mod.fbdelete", Label: "Delete the message", Value: v, Style: "danger"},
		}}, nil
	}
	modID, err := m.discordIdentity(a.User)
	if err != nil {
		return nil, err
	}
	inv := invocation{GuildID: it.ScopeID, ChannelID: it.ChannelID, MessageID: it.MessageID, Source: bot.SourceDiscord,
		Mod: bot.User{Platform: bot.PlatformDiscord, ID: modID, Name: m.dir.Actor(a.User)}}
	if a.Platform == bot.PlatformSlack {
		inv.Source = bot.SourceSlack
	}
	reason := fmt.Sprintf("feedback #%d: %s", id, bot.OneLine(it.Text, 120))
	switch a.ActionID {
	case "mod.fbwarn":
		return m.warn(ctx, inv, it.AuthorID, reason, false)
	case "mod.fbtimeout":
		return m.act(ctx, inv, bot.ActionTimeout, it.AuthorID, reason, feedbackTimeout, 0)
	}
	// Delete: a purge of that one message, archived like any purge.
	s, err := m.check(ctx, inv, bot.ActionPurge, "")
	if err != nil {
		return nil, err
	}
	s.TargetID, s.TargetName = it.AuthorID, it.AuthorName
	where := m.channelLabel(it.ChannelID)
	var c *bot.Case
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		c, _, err = m.record(ctx, tx, request{inv: inv, subj: s, action: bot.ActionPurge, reason: "1 message: " + reason})
		if err != nil {
			return err
		}
		del := bot.ModAction{Op: bot.OpDelete, GuildID: c.GuildID, ChannelID: it.ChannelID, MessageIDs: []string{it.MessageID}, Reason: bot.AuditReason(c)}
		if _, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: c.Key() + ":apply", Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: bot.Payload(del)}); err != nil {
			return err
		}
		if err := tx.RecordRemovedMessage(ctx, store.RemovedMessage{GuildID: c.GuildID, ChannelID: it.ChannelID, MessageID: it.MessageID,
			AuthorID: it.AuthorID, SentAt: it.CreatedAt, RemovedBy: c.ModeratorID, CaseNumber: c.Number}); err != nil {
			return err
		}
		return m.attachToLog(ctx, tx, c, bot.Upload{
			Filename: fmt.Sprintf("purge-case-%d.txt", c.Number), Title: fmt.Sprintf("Message deleted in case %d", c.Number),
			Comment: fmt.Sprintf("Archive of the message deleted from %s in case %d.", where, c.Number),
			Data:    m.archive(c, where, []purgeMessage{{ID: it.MessageID, AuthorID: it.AuthorID, Author: it.AuthorName, Text: it.Text, At: it.CreatedAt}}),
		})
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Deleting %s's message in %s (case %d); its text is archived in the mod log.", it.AuthorName, where, c.Number)}, nil
}
