package moderation

import (
	"cmp"
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

func (m *Moderation) manualAction(ctx context.Context, tx *store.Tx, e *bot.AuditLogEntry) error {
	if e.ByLiaison || e.Action == "" || e.TargetID == "" {
		return nil
	}
	if m.guilds != nil {
		if g, err := m.guilds.GuildInfo(ctx, e.GuildID); err == nil && g.SelfID != "" && g.SelfID == e.ActorID {
			return nil
		}
	}
	mod := bot.User{Platform: bot.PlatformDiscord, ID: e.ActorID}
	s := &subject{TargetID: e.TargetID, TargetName: e.TargetID}
	if m.guilds != nil {
		if mem, err := m.guilds.GuildMember(ctx, e.GuildID, e.ActorID); err == nil {
			mod = mem.User
		} else if u, err := m.guilds.DiscordUser(ctx, e.ActorID); err == nil {
			mod = u
		}
		if u, err := m.guilds.DiscordUser(ctx, e.TargetID); err == nil {
			s.TargetName = u.Label()
		}
	}
	s.ModName = m.dir.Actor(mod)
	at := e.At
	if at.IsZero() {
		at = m.clock.Now()
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

func (m *Moderation) relayAutoMod(ctx context.Context, tx *store.Tx, e *bot.AutoModExecution) error {
	dst := m.cfg.Moderation.ModLog.Slack
	if dst.ID == "" {
		return nil
	}
	who := e.User.Label()
	if m.guilds != nil && e.User.Name == "" {
		if u, err := m.guilds.DiscordUser(ctx, e.User.ID); err == nil {
			who = u.Label()
		}
	}
	post := bot.Post{
		ChannelID: dst.ID,
		Title:     fmt.Sprintf("Discord AutoMod %s: %s in %s", e.Action, who, m.channelLabel(e.ChannelID)),
		Quote:     bot.OneLine(e.Content, 500),
		Fields:    []bot.Field{{Name: "Rule", Value: cmp.Or(e.Trigger, "AutoMod") + " (" + e.RuleID + ")"}},
	}
	if e.Matched != "" {
		post.Fields = append(post.Fields, bot.Field{Name: "Matched", Value: e.Matched})
	}
	if e.MessageID != "" && e.ChannelID != "" {
		post.Link = &bot.Link{URL: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", e.ScopeID, e.ChannelID, e.MessageID), Label: "Open in Discord"}
	}
	key := "discord-automod:" + e.FirstKey()
	_, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: key, Platform: dst.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)})
	return err
}
