package moderation

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Automod in the ingest path: every new Discord message is checked against
// the rules (bot.Automod, cheap when nothing matches); a match deletes,
// warns, times out and alerts the team as the rule says. Moderators and
// bots are never checked, and a member Liaison may not moderate (the
// owner, an administrator, a protected role, anyone above Liaison) is only
// reported.

func (m *Moderation) automodMessage(ctx context.Context, tx *store.Tx, e *bot.Message) error {
	if e.Platform != bot.PlatformDiscord || e.Edited || e.Backfill || e.Author.Bot || e.ScopeID == "" {
		return nil
	}
	engine := m.automod[e.ScopeID]
	if engine == nil || m.isModerator(e.ScopeID, e.Author.Roles) {
		return nil
	}
	at := e.At
	if at.IsZero() {
		at = m.clock.Now()
	}
	// A thread is watched as its channel (Place reports the parent).
	hit, ok := engine.Check(&bot.AutomodMessage{ID: e.ID, GuildID: e.ScopeID, ChannelID: e.ChannelID, UserID: e.Author.ID, Roles: e.Author.Roles, Text: e.Text, At: at})
	if !ok {
		return nil
	}
	return m.automodAct(ctx, tx, e, hit)
}

func (m *Moderation) automodAct(ctx context.Context, tx *store.Tx, e *bot.Message, hit bot.AutomodHit) error {
	r := hit.Rule
	reason := fmt.Sprintf("automod rule %s: %s", r.Name, hit.Why)
	var done []string
	// The rules of every action: who may be moderated at all.
	inv := invocation{GuildID: e.ScopeID, ChannelID: e.ChannelID, MessageID: e.ID, Source: bot.SourceAutomod}
	s, refusal := m.automodSubject(ctx, e)
	if refusal != "" {
		done = append(done, "nothing done: "+refusal)
	} else {
		inv.Mod = s.Mod.User
		if r.Has(bot.AutomodDelete) {
			a := bot.ModAction{Op: bot.OpDelete, GuildID: e.ScopeID, ChannelID: e.ChannelID, MessageIDs: []string{e.ID},
				Reason: bot.Truncate("Liaison automod: "+reason, 500)}
			if _, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: "automod:" + e.ID + ":delete", Platform: bot.PlatformDiscord,
				Kind: bot.KindModerate, Payload: bot.Payload(a)}); err != nil {
				return err
			}
			if err := tx.RecordRemovedMessage(ctx, store.RemovedMessage{GuildID: e.ScopeID, ChannelID: e.ChannelID, MessageID: e.ID,
				AuthorID: e.Author.ID, SentAt: cmp.Or(e.At, m.clock.Now()), RemovedBy: bot.SourceAutomod}); err != nil {
				return err
			}
			done = append(done, "deleted the message")
		}
		if r.Has(bot.AutomodWarn) {
			c, esc, err := m.record(ctx, tx, request{inv: inv, subj: s, action: bot.ActionWarn, reason: reason})
			if err != nil {
				return err
			}
			done = append(done, fmt.Sprintf("warned (case %d)", c.Number))
			if esc != nil {
				done = append(done, fmt.Sprintf("escalated: %s (case %d)", actionLabel(esc), esc.Number))
			}
		}
		if r.Has(bot.AutomodTimeout) && r.Timeout > 0 {
			c, _, err := m.record(ctx, tx, request{inv: inv, subj: s, action: bot.ActionTimeout, reason: reason, duration: r.Timeout})
			if err != nil {
				return err
			}
			done = append(done, fmt.Sprintf("timed out for %s (case %d)", bot.FormatDuration(r.Timeout), c.Number))
		}
	}
	if !r.Has(bot.AutomodAlert) {
		return nil
	}
	dst := m.cfg.Moderation.ModLog.Slack
	if dst.ID == "" {
		dst = m.cfg.Moderation.ModLog.Discord
	}
	if dst.ID == "" {
		return nil
	}
	post := bot.Post{
		ChannelID: dst.ID,
		Title:     fmt.Sprintf("Automod: %s broke rule %s in %s", e.Author.Label(), r.Name, m.channelLabel(e.ChannelID)),
		Quote:     bot.OneLine(e.Text, 500),
		Fields:    []bot.Field{{Name: "Why", Value: hit.Why}, {Name: "Done", Value: cmp.Or(strings.Join(done, ", "), "nothing (alert only)")}},
	}
	if e.Permalink != "" {
		post.Link = &bot.Link{URL: e.Permalink, Label: "Open in Discord"}
	}
	_, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: "automod:" + e.ID + ":alert", Platform: dst.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)})
	return err
}

// automodSubject checks that Liaison may act on a message's author, as the
// moderator of its own actions; it returns why not otherwise.
func (m *Moderation) automodSubject(ctx context.Context, e *bot.Message) (*subject, string) {
	if m.guilds == nil {
		return nil, "Discord is not connected"
	}
	g, err := m.guilds.GuildInfo(ctx, e.ScopeID)
	if err != nil {
		m.logger.Warn("automod: cannot read the server", "guild", e.ScopeID, "err", err)
		return nil, "Liaison could not read the server"
	}
	self := &bot.Member{User: bot.User{Platform: bot.PlatformDiscord, ID: g.SelfID, Name: "Liaison automod", Roles: g.SelfRoles}}
	// A server's message carries its author's roles as they were when it
	// was sent: what the checks below need. Only a message without them
	// (Roles nil) asks for the member, which takes a REST call inside the
	// message's transaction when not read lately: a spam wave from new
	// accounts made one per account, each holding every other commit.
	target := &bot.Member{User: e.Author}
	if e.Author.Roles == nil {
		if mem, err := m.guilds.GuildMember(ctx, e.ScopeID, e.Author.ID); err == nil {
			target = mem
		}
	}
	cfg := m.cfg
	name := e.Author.Label()
	if err := bot.CheckTarget(g, self, target, e.Author.ID, name, cfg.RoleIDs(e.ScopeID, cfg.Moderation.ProtectedRoles)); err != nil {
		return nil, bot.ErrorMessage(err)
	}
	return &subject{Guild: g, Mod: self, ModName: "Liaison automod", Target: target, TargetID: e.Author.ID, TargetName: name}, ""
}
