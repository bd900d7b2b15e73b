package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Actions taken by hand in Discord's own interface (a ban from the member
// list, a timeout from a profile) become cases too, from the audit-log
// entry Discord sends, with the moderator and reason Discord reports.
// Liaison's own actions appear in the audit log as well; they are cases
// already and are skipped. Discord's AutoMod actions are relayed to Slack.

func (m *moderation) manualAction(ctx context.Context, tx *store.Tx, e *bot.AuditLogEntry) error {
	if e.ByLiaison || e.Action == "" || e.TargetID == "" {
		return nil
	}
	if m.r.Guilds != nil {
		if g, err := m.r.Guilds.GuildInfo(ctx, e.GuildID); err == nil && g.SelfID != "" && g.SelfID == e.ActorID {
			return nil
		}
	}
	mod := bot.User{Platform: bot.PlatformDiscord, ID: e.ActorID}
	s := &subject{TargetID: e.TargetID, TargetName: e.TargetID}
	if m.r.Guilds != nil {
		if mem, err := m.r.Guilds.GuildMember(ctx, e.GuildID, e.ActorID); err == nil {
			mod = mem.User
		} else if u, err := m.r.Guilds.DiscordUser(ctx, e.ActorID); err == nil {
			mod = u
		}
		if u, err := m.r.Guilds.DiscordUser(ctx, e.TargetID); err == nil {
			s.TargetName = u.Label()
		}
	}
	s.ModName = m.r.actor(mod)
	at := e.At
	if at.IsZero() {
		at = m.r.Clock.Now()
	}
	req := request{inv: invocation{GuildID: e.GuildID, Source: bot.SourceManual, Mod: mod}, subj: s, action: e.Action, reason: e.Reason, done: true}
	if e.Action == bot.ActionTimeout {
		if !e.Until.After(at) {
			req.action = bot.ActionUntimeout
		} else if req.duration = e.Until.Sub(at); req.duration >= time.Minute {
			req.duration = req.duration.Round(time.Minute)
		} else {
			req.duration = req.duration.Round(time.Second)
		}
	}
	_, _, err := m.record(ctx, tx, req)
	return err
}

func (m *moderation) relayAutoMod(ctx context.Context, tx *store.Tx, e *bot.AutoModExecution) error {
	dst := m.r.Config.Moderation.ModLog.Slack
	if dst.ID == "" {
		return nil
	}
	who := e.User.Label()
	if m.r.Guilds != nil && e.User.Name == "" {
		if u, err := m.r.Guilds.DiscordUser(ctx, e.User.ID); err == nil {
			who = u.Label()
		}
	}
	post := bot.Post{
		ChannelID: dst.ID,
		Title:     fmt.Sprintf("Discord AutoMod %s: %s in %s", e.Action, who, m.channelLabel(e.ChannelID)),
		Quote:     oneLine(e.Content, 500),
		Fields:    []bot.Field{{Name: "Rule", Value: cmpOr(e.Trigger, "AutoMod") + " (" + e.RuleID + ")"}},
	}
	if e.Matched != "" {
		post.Fields = append(post.Fields, bot.Field{Name: "Matched", Value: e.Matched})
	}
	if e.MessageID != "" && e.ChannelID != "" {
		post.Link = &bot.Link{URL: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", e.ScopeID, e.ChannelID, e.MessageID), Label: "Open in Discord"}
	}
	key := "discord-automod:" + firstKey(e.Delivery)
	_, err := tx.Enqueue(ctx, m.r.Clock.Now(), &bot.OutboxMessage{Key: key, Platform: dst.Platform, Kind: bot.KindPost, Payload: mustJSON(post)})
	return err
}
