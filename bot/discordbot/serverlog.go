package discordbot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// What the server event logs and modmail read from the gateway: member
// updates, the member list asked for once per session, bulk deletions,
// staff's changes to channels and roles, who deleted a message (the audit
// log), direct messages; and what they send: direct messages.

// Inbound key kinds of this file (see gateway.go for the others).
const (
	KeyMembersChunk = "discord_members_chunk" // <guild>:<session>:<chunk index>
	KeyBulkDelete   = "discord_bulk_delete"   // <channel>:<first id>:<count>
	KeyServerChange = "discord_server_change" // <audit-log entry id>
	KeyInvites      = "discord_invites"       // <guild>:<session>
)

// onServerLog converts the events only the server logs use.
func (a *Adapter) onServerLog(_ *discordgo.Session, e *discordgo.Event) {
	defer a.recoverPanic("gateway event " + e.Type)
	a.mu.Lock()
	session := a.sessionID
	a.mu.Unlock()
	switch ev := e.Struct.(type) {
	case *discordgo.GuildCreate:
		if ev.Guild == nil || !a.inGuild(ev.ID) {
			return
		}
		id := ev.ID
		if a.opts.RequestMembers {
			// Once per session: the member list, so the facts of members
			// who changed while Liaison was away are brought up to date.
			a.goTask(func(context.Context) {
				if err := a.session.RequestGuildMembers(id, "", 0, "", false); err != nil {
					a.log.Warn("discord: asking for the member list", "guild", id, "err", err)
				}
			})
		}
		if a.opts.ReadInvites {
			// The invites' use counts, for the next join to be compared with.
			a.enqueueTask(id, "", false, "invites", func(ctx context.Context) {
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				invs, err := a.Invites(rctx, id)
				cancel()
				if err != nil {
					a.log.Warn("discord: Liaison cannot read the server's invites, so the join log will not say which one a member used (give it Manage Server)", "guild", id, "err", err)
					return
				}
				a.deliver(ctx, "invites", &bot.InviteCounts{ScopeID: id, Invites: invs,
					Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyInvites, Key: fmt.Sprintf("%s:%s", id, session)}}}})
			})
		}
	case *discordgo.GuildMembersChunk:
		if !a.inGuild(ev.GuildID) {
			return
		}
		c := &bot.MembersChunk{ScopeID: ev.GuildID, Index: ev.ChunkIndex, Count: ev.ChunkCount,
			Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyMembersChunk, Key: fmt.Sprintf("%s:%s:%d", ev.GuildID, session, ev.ChunkIndex)}}}}
		for _, m := range ev.Members {
			if m == nil || m.User == nil {
				continue
			}
			c.Members = append(c.Members, bot.MemberFacts{User: user(m.User, m), Nick: m.Nick, JoinedAt: m.JoinedAt.UTC()})
		}
		a.enqueue(ev.GuildID, "members_chunk", c)
	case *discordgo.GuildMemberUpdate:
		m := ev.Member
		if m == nil || m.User == nil || !a.inGuild(m.GuildID) || m.User.ID == a.self() {
			return
		}
		a.enqueue(m.GuildID, "member_update", &bot.MemberUpdated{ScopeID: m.GuildID, User: user(m.User, m), Nick: m.Nick, JoinedAt: m.JoinedAt.UTC(),
			Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyMember, Key: fmt.Sprintf("%s:%s:update:%s:%d", m.GuildID, m.User.ID, session, e.Sequence)}}}})
	case *discordgo.MessageDeleteBulk:
		if ev.GuildID == "" || !a.inGuild(ev.GuildID) || len(ev.Messages) == 0 {
			return
		}
		ids := slices.Clone(ev.Messages)
		a.enqueue(ev.ChannelID, "message_delete_bulk", &bot.MessagesDeleted{Place: a.place(ev.GuildID, ev.ChannelID), IDs: ids,
			Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyBulkDelete, Key: fmt.Sprintf("%s:%s:%d", ev.ChannelID, ids[0], len(ids))}}}})
	case *discordgo.GuildAuditLogEntryCreate:
		if ev.AuditLogEntry == nil || ev.ActionType == nil || !a.inGuild(ev.GuildID) || ev.UserID == a.self() {
			return
		}
		if c := serverChange(ev); c != nil {
			a.enqueue(ev.GuildID, "server_change", c)
		}
	}
}

// serverChange converts an audit-log entry about channels or roles; nil
// for the others.
func serverChange(ev *discordgo.GuildAuditLogEntryCreate) *bot.ServerChange {
	c := &bot.ServerChange{GuildID: ev.GuildID, EntryID: ev.ID, ActorID: ev.UserID, TargetID: ev.TargetID,
		Delivery: bot.Delivery{At: snowflakeTime(ev.ID), Keys: []bot.InboundKey{{Kind: KeyServerChange, Key: ev.ID}}}}
	switch *ev.ActionType {
	case discordgo.AuditLogActionChannelCreate:
		c.Subject, c.Op = "channel", "created"
	case discordgo.AuditLogActionChannelUpdate:
		c.Subject, c.Op = "channel", "updated"
	case discordgo.AuditLogActionChannelDelete:
		c.Subject, c.Op = "channel", "deleted"
	case discordgo.AuditLogActionRoleCreate:
		c.Subject, c.Op = "role", "created"
	case discordgo.AuditLogActionRoleUpdate:
		c.Subject, c.Op = "role", "updated"
	case discordgo.AuditLogActionRoleDelete:
		c.Subject, c.Op = "role", "deleted"
	default:
		return nil
	}
	for _, ch := range ev.Changes {
		if ch.Key == nil {
			continue
		}
		key := string(*ch.Key)
		oldV, newV := auditValue(ch.OldValue), auditValue(ch.NewValue)
		if key == "name" {
			c.Name = cmpOr(newV, oldV)
		}
		switch {
		case c.Op == "updated":
			c.Changes = append(c.Changes, fmt.Sprintf("%s: %s → %s", key, cmpOr(oldV, "(none)"), cmpOr(newV, "(none)")))
		case c.Op == "created" && newV != "":
			c.Changes = append(c.Changes, fmt.Sprintf("%s: %s", key, newV))
		}
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	return c
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func auditValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// onDelete delivers a deleted message once the audit log has been asked
// who deleted it, which takes a REST call or two: that is done aside, so
// the channel's other events do not wait for it.
// At most maxDeleteLookups run at once: past that (a wave of deletions),
// deletions are delivered without their deleter rather than queue up.
func (a *Adapter) onDelete(channelID string, d *bot.MessageDeleted) {
	if !a.opts.ReadDeleters {
		a.enqueueDelete(channelID, d)
		return
	}
	select {
	case a.lookups <- struct{}{}:
	default:
		a.enqueueDelete(channelID, d)
		return
	}
	if !a.goTask(func(ctx context.Context) {
		defer func() { <-a.lookups }()
		d.DeletedBy, d.DeletedOf = a.deleter(ctx, d.ScopeID, channelID, d.At)
		a.enqueueDelete(channelID, d)
	}) {
		<-a.lookups
		a.enqueueDelete(channelID, d)
	}
}

// enqueueDelete queues a deletion. A delete carries no author: it goes to
// its message's author's worker, behind the create and edits, when the
// message is known; otherwise after the channel's earlier work.
func (a *Adapter) enqueueDelete(channelID string, d *bot.MessageDeleted) {
	if author, ok := a.authors.get(d.ID); ok {
		a.enqueueFor(channelID, author, "message_delete", d)
		return
	}
	a.enqueueWide(channelID, "message_delete", d)
}

// deleteEntryWindow is how recent an audit-log MESSAGE_DELETE entry must be
// to be taken for a deletion's: Discord writes it as the message goes.
const deleteEntryWindow = 10 * time.Second

// deleter asks the audit log who deleted a message in channel just now,
// twice a second apart (the entry may come a moment after the deletion).
// Discord records only deletions by someone other than the author; "" when
// it says nothing, or when Liaison may not read the audit log.
func (a *Adapter) deleter(ctx context.Context, guildID, channelID string, at time.Time) (by, of string) {
	for attempt := range 2 {
		if attempt > 0 {
			if sleepCtx(ctx, time.Second) != nil {
				return "", ""
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		log, err := a.session.GuildAuditLog(guildID, "", "", int(discordgo.AuditLogActionMessageDelete), 10, discordgo.WithContext(rctx))
		cancel()
		if err != nil {
			a.log.Debug("discord: reading the audit log for a deletion", "guild", guildID, "err", err)
			return "", ""
		}
		for _, e := range log.AuditLogEntries {
			if e.Options == nil || e.Options.ChannelID != channelID {
				continue
			}
			if t := snowflakeTime(e.ID); !t.IsZero() && t.After(at.Add(-deleteEntryWindow)) && t.Before(at.Add(deleteEntryWindow)) {
				return e.UserID, e.TargetID
			}
		}
	}
	return "", ""
}

// onDirectMessage handles a message sent to Liaison in private.
func (a *Adapter) onDirectMessage(m *discordgo.Message) {
	if m.Author == nil || m.Author.Bot || m.Author.ID == a.self() {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return
	}
	dm := &bot.DirectMessage{ID: m.ID, ChannelID: m.ChannelID, Author: user(m.Author, nil), Text: m.Content,
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: KeyMessage, Key: m.ID}}, At: m.Timestamp.UTC()}}
	for _, f := range m.Attachments {
		if f != nil {
			dm.Attachments = append(dm.Attachments, f.Filename)
		}
	}
	a.enqueue(m.ChannelID, "direct_message", dm)
}

// Invites returns a server's invites with their use counts (Liaison needs
// Manage Server to read them).
func (a *Adapter) Invites(ctx context.Context, guildID string) ([]bot.Invite, error) {
	invs, err := a.session.GuildInvites(guildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]bot.Invite, 0, len(invs))
	for _, i := range invs {
		v := bot.Invite{Code: i.Code, Uses: i.Uses}
		if i.Inviter != nil {
			v.InviterID = i.Inviter.ID
		}
		out = append(out, v)
	}
	return out, nil
}

// dm sends a direct message: opens the user's DM channel (the same one
// every time), then posts there with the outbox key's nonce. A user who
// does not accept Liaison's DMs is a permanent refusal, said plainly.
func (s *Sender) dm(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	var d bot.DirectPost
	if err := json.Unmarshal(m.Payload, &d); err != nil || d.UserID == "" {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: unreadable direct message", m.Key)}
	}
	return s.sendDM(ctx, m.Key, d.UserID, d.Post)
}

// sendDM sends p to a user's DM channel with the nonce of key.
func (s *Sender) sendDM(ctx context.Context, key, userID string, p bot.Post) (bot.SendResult, error) {
	ep := discordgo.EndpointUserChannels("@me")
	raw, err := s.request(ctx, "POST", ep, map[string]string{"recipient_id": userID}, ep)
	if err != nil {
		if restCode(err) == discordgo.ErrCodeUnknownUser {
			return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("Discord knows no user %s", userID)}
		}
		return bot.SendResult{}, err
	}
	var ch struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &ch) != nil || ch.ID == "" {
		return bot.SendResult{}, fmt.Errorf("unreadable DM channel from Discord: %q", truncate(string(raw), 200))
	}
	p.ChannelID = ch.ID
	out := PostOutgoing(&p)
	rows, err := buttonRows(p.Buttons)
	if err != nil {
		return bot.SendResult{}, &bot.PermanentError{Err: err}
	}
	body := postBody{Content: out.Content, Components: rows, AllowedMentions: out.AllowedMentions, Nonce: Nonce(key), EnforceNonce: true}
	mep := discordgo.EndpointChannelMessages(ch.ID)
	raw, err = s.request(ctx, "POST", mep, body, mep)
	if err != nil {
		if restCode(err) == discordgo.ErrCodeCannotSendMessagesToThisUser {
			return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("the member does not accept direct messages from Liaison (they blocked it, or turned off DMs from server members): %w", errPlain{err})}
		}
		return bot.SendResult{}, s.explain(ctx, err, "post", ch.ID)
	}
	return decodeSent(raw, ch.ID)
}

// enqueueJoin delivers a join with the server's invites read first, on the
// server's worker, so joins and leaves stay in order.
func (a *Adapter) enqueueJoin(ev *bot.MemberChange) {
	a.enqueueTask(ev.ScopeID, "", false, "member", func(ctx context.Context) {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		invs, err := a.Invites(rctx, ev.ScopeID)
		cancel()
		if err != nil {
			a.log.Debug("discord: reading invites for a join", "guild", ev.ScopeID, "err", err)
		} else {
			ev.Invites = invs
			if ev.Invites == nil {
				ev.Invites = []bot.Invite{}
			}
		}
		a.deliver(ctx, "member", ev)
	})
}

// RoleNames returns the names of a server's roles by id, as the gateway
// state knows them (no request).
func (a *Adapter) RoleNames(guildID string) map[string]string {
	out := map[string]string{}
	st := a.session.State
	g, err := st.Guild(guildID)
	if err != nil {
		return out
	}
	st.RLock()
	defer st.RUnlock()
	for _, r := range g.Roles {
		out[r.ID] = r.Name
	}
	return out
}

// Permissions Liaison needs in a log channel.
var logChannelPerms = []struct {
	bit   int64
	name  string
	files bool
}{{discordgo.PermissionViewChannel, "View Channel", false}, {discordgo.PermissionSendMessages, "Send Messages", false},
	{discordgo.PermissionAttachFiles, "Attach Files", true}}

// MissingPostPermissions reads (REST) what Liaison lacks to post in a
// channel, and to attach files there when files is set: the permissions'
// names, none when it can.
func (a *Adapter) MissingPostPermissions(ctx context.Context, channelID string, files bool) ([]string, error) {
	ch, err := a.session.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		if restCode(err) == discordgo.ErrCodeUnknownChannel || restCode(err) == discordgo.ErrCodeMissingAccess {
			return []string{"View Channel (Discord does not show Liaison the channel)"}, nil
		}
		return nil, fmt.Errorf("read channel %s: %w", channelID, err)
	}
	g, err := a.session.Guild(ch.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("read server %s: %w", ch.GuildID, err)
	}
	self := a.self()
	if self == "" {
		me, err := a.session.User("@me", discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("read Liaison's own user: %w", err)
		}
		self = me.ID
	}
	m, err := a.session.GuildMember(ch.GuildID, self, discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("read Liaison's membership of %s: %w", ch.GuildID, err)
	}
	perms := ChannelPermissions(g, m, ch)
	var missing []string
	for _, p := range logChannelPerms {
		if perms&p.bit == 0 && (files || !p.files) {
			missing = append(missing, p.name)
		}
	}
	return missing, nil
}
