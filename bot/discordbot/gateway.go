package discordbot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// Inbound key kinds this adapter produces, besides "discord_message" and
// "discord_interaction" (declared in bot). Each makes a RESUME replay, a
// catch-up of something already handled, or a duplicate delivery a no-op
// for a handler that records keys (handlers.Router), while a genuinely new
// event gets a new key:
//
//   - discord_message  <message id>: a message posted, live or caught up.
//   - discord_edit     <message id>:<edited_timestamp>: each edit has its own
//     timestamp; a replay carries the same one.
//   - discord_delete   <message id>: a message is deleted once.
//   - discord_reaction <message>:<user>:<emoji>:add|remove:<session>:<seq>:
//     reaction events carry no timestamp, so the gateway session id and
//     sequence number identify the dispatch; RESUME replays the same
//     sequence numbers of the same session, while a reaction removed and
//     added again is a new dispatch with a new sequence number.
//   - discord_member   <guild>:<user>:join:<joined_at> or
//     <guild>:<user>:leave:<session>:<seq>, on the same reasoning.
const (
	KeyMessage    = "discord_message"
	KeyEdit       = "discord_edit"
	KeyDelete     = "discord_delete"
	KeyReaction   = "discord_reaction"
	KeyMember     = "discord_member"
	KeyGuildCount = "discord_guild_count"
	KeyInteract   = "discord_interaction"
	KeyThread     = "discord_thread"
)

// onEvent receives every gateway dispatch, on discordgo's reader goroutine
// (SyncEvents), in the order Discord sent them. It converts what Liaison
// handles and queues it; it never blocks on the handler.
func (a *Adapter) onEvent(_ *discordgo.Session, e *discordgo.Event) {
	defer a.recoverPanic("gateway event " + e.Type)
	a.noteEvent(e)
	switch ev := e.Struct.(type) {
	case *discordgo.Ready:
		a.onReady(ev)
	case *discordgo.MessageCreate:
		if ev.Message != nil {
			a.probes.Seen(ev.Message.Content, ev.Message.ID)
			a.onMessage(ev.Message)
		}
	case *discordgo.MessageUpdate:
		if ev.Message != nil {
			a.onEdit(ev.Message)
		}
	case *discordgo.MessageDelete:
		if ev.Message != nil && ev.GuildID != "" && a.inGuild(ev.GuildID) {
			d := &bot.MessageDeleted{
				Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: KeyDelete, Key: ev.ID}}, At: a.clock.Now()},
				Place:    a.place(ev.GuildID, ev.ChannelID),
				ID:       ev.ID,
			}
			a.onDelete(ev.ChannelID, d)
		}
	case *discordgo.MessageReactionAdd:
		if ev.MessageReaction != nil {
			a.onReaction(ev.MessageReaction, ev.Member, false, e.Sequence)
		}
	case *discordgo.MessageReactionRemove:
		if ev.MessageReaction != nil {
			a.onReaction(ev.MessageReaction, nil, true, e.Sequence)
		}
	case *discordgo.GuildCreate:
		if ev.Guild != nil && a.inGuild(ev.ID) && ev.MemberCount > 0 {
			a.mu.Lock()
			session := a.sessionID
			a.mu.Unlock()
			a.enqueue(ev.ID, "guild_count", &bot.GuildCount{ScopeID: ev.ID, Members: ev.MemberCount,
				Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyGuildCount, Key: fmt.Sprintf("%s:%s:%d", ev.ID, session, e.Sequence)}}}})
		}
	case *discordgo.GuildMemberAdd:
		if ev.Member != nil {
			a.onMember(ev.Member, false, e.Sequence)
		}
	case *discordgo.GuildMemberRemove:
		if ev.Member != nil {
			a.onMember(ev.Member, true, e.Sequence)
		}
	case *discordgo.InteractionCreate:
		if ev.Interaction != nil {
			a.onInteraction(ev.Interaction)
		}
	case *discordgo.ThreadUpdate:
		if th := ev.Channel; th != nil && th.ThreadMetadata != nil && (th.ThreadMetadata.Archived || th.ThreadMetadata.Locked) && a.inGuild(th.GuildID) {
			md := th.ThreadMetadata
			a.enqueueWide(th.ID, "thread_closed", &bot.ThreadClosed{
				Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyThread,
					Key: fmt.Sprintf("%s:%t:%t:%s", th.ID, md.Archived, md.Locked, md.ArchiveTimestamp.UTC().Format(time.RFC3339Nano))}}},
				Place:    a.place(th.GuildID, th.ParentID),
				ThreadID: th.ID,
			})
		}
	}
}

// onReady records who the bot is, and has the catch-up read what was
// missed: the first session of a run catches up from the saved cursors. A
// READY after the first one means the previous session could not be
// resumed (discordgo identified again): the events dispatched in between
// are lost, so the watched channels are caught up from the last message
// seen in each, and the commands registered again.
func (a *Adapter) onReady(r *discordgo.Ready) {
	a.mu.Lock()
	if r.User != nil {
		a.selfID = r.User.ID
	}
	if a.appID == "" && r.Application != nil {
		a.appID = r.Application.ID
	}
	a.sessionID = r.SessionID
	a.readies++
	again := a.readies > 1
	a.mu.Unlock()
	a.catchup.sessionStarted(!again)
	if !again {
		return
	}
	a.goTask(func(ctx context.Context) {
		if err := a.registerCommands(ctx); err != nil {
			a.log.Error("discord: registering commands after a new session", "err", err)
		}
	})
}

// onMessage handles MESSAGE_CREATE. A message's path, top to bottom: the
// catch-up notes it seen (a session that cannot be resumed is caught up
// from there); one Liaison reads is converted, noted queued, and handed to
// the worker of its channel or thread and author; the worker delivers it to the
// handler and tells the catch-up whether it was committed or lost, which
// moves or holds the channel's cursor.
func (a *Adapter) onMessage(m *discordgo.Message) {
	if m.GuildID == "" {
		a.onDirectMessage(m)
		return
	}
	if !a.inGuild(m.GuildID) {
		return
	}
	a.catchup.seen(m.ChannelID, m.ID)
	if !a.intake(m) {
		return
	}
	ev := a.message(m, m.GuildID)
	// A message in a thread counts for the cursor of the thread's channel
	// (ev.ChannelID) but is handled on the thread's worker: until it is,
	// the cursor stays before it, whatever other threads' workers handle
	// meanwhile.
	a.catchup.queued(ev.ChannelID, m.ID)
	a.authors.put(m.ID, m.Author.ID)
	if !a.enqueueTask(m.ChannelID, m.Author.ID, false, "message", func(ctx context.Context) {
		lost := a.deliver(ctx, "message", ev)
		a.catchup.handled(ev.ChannelID, m.ID, lost)
	}) {
		a.catchup.dropped(ev.ChannelID, m.ID)
	}
}

// deliverBackfill delivers a message the catch-up read from history, as
// the gateway's own would be but marked Backfill, and reports whether the
// handler lost it; one Liaison does not read is passed over. guild is
// needed because REST messages do not carry it.
func (a *Adapter) deliverBackfill(ctx context.Context, m *discordgo.Message, guild string) (lost bool) {
	if !a.intake(m) {
		return false
	}
	msg := a.message(m, guild)
	msg.Backfill = true
	return a.deliver(ctx, "message", msg)
}

// onEdit handles MESSAGE_UPDATE. Updates without edited_timestamp are
// Discord's own (embeds unfurled, a thread opened) and not edits.
func (a *Adapter) onEdit(m *discordgo.Message) {
	if m.GuildID == "" || !a.inGuild(m.GuildID) || m.EditedTimestamp == nil || !a.intake(m) {
		return
	}
	msg := a.message(m, m.GuildID)
	msg.Edited = true
	ts := m.EditedTimestamp.UTC()
	msg.At = ts
	msg.Keys = []bot.InboundKey{{Kind: KeyEdit, Key: m.ID + ":" + ts.Format(time.RFC3339Nano)}}
	a.authors.put(m.ID, m.Author.ID)
	a.enqueueFor(m.ChannelID, m.Author.ID, "message_edit", msg)
}

// intake reports whether a message is one Liaison reads: a person's
// message or reply, not a bot's (its own included) nor a system message.
func (a *Adapter) intake(m *discordgo.Message) bool {
	if m.Author == nil || m.Author.Bot || m.Author.ID == a.self() {
		return false
	}
	return m.Type == discordgo.MessageTypeDefault || m.Type == discordgo.MessageTypeReply
}

// message converts a Discord message; guildID is needed because REST
// messages do not carry it.
func (a *Adapter) message(m *discordgo.Message, guildID string) *bot.Message {
	return a.messageIn(m, guildID, nil)
}

// messageIn converts a Discord message posted in channel c, when the
// caller has it fresh from Discord (else the session's copy is used).
func (a *Adapter) messageIn(m *discordgo.Message, guildID string, c *discordgo.Channel) *bot.Message {
	w := a.where(guildID, m.ChannelID, c)
	msg := &bot.Message{
		Delivery:    bot.Delivery{Keys: []bot.InboundKey{{Kind: KeyMessage, Key: m.ID}}, At: m.Timestamp.UTC()},
		Place:       w.Place,
		ID:          m.ID,
		ThreadID:    w.thread,
		ThreadName:  w.threadName,
		Author:      user(m.Author, m.Member),
		Text:        m.Content,
		Permalink:   fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guildID, m.ChannelID, m.ID),
		ThreadStart: m.ID == m.ChannelID || m.Thread != nil, // a forum post's (or thread's) first message has the thread's id
	}
	if w.thread != "" && m.ID == w.thread {
		// A forum post's opening message: the post is its title and text.
		msg.Title = w.threadName
	}
	if m.MessageReference != nil && m.Type == discordgo.MessageTypeReply {
		msg.ReplyTo = m.MessageReference.MessageID
	}
	return msg
}

// user converts an author and, when known, their guild membership.
func user(u *discordgo.User, m *discordgo.Member) bot.User {
	out := bot.User{Platform: bot.PlatformDiscord}
	if u == nil && m != nil {
		u = m.User
	}
	if u != nil {
		out.ID, out.Name, out.Display, out.Bot = u.ID, u.Username, u.GlobalName, u.Bot
	}
	if m != nil {
		if m.Nick != "" {
			out.Display = m.Nick
		}
		out.Roles = slices.Clone(m.Roles)
		if out.Roles == nil {
			out.Roles = []string{} // known: none (nil is unknown)
		}
	}
	return out
}

// place names where something happened. A thread is reported as its parent
// channel.
func (a *Adapter) place(guildID, channelID string) bot.Place {
	return a.where(guildID, channelID, nil).Place
}

// location is where a message is: the channel (a thread's parent) as Place,
// and the thread or forum post it is in, if any.
type location struct {
	bot.Place
	thread, threadName string
}

// where locates channelID, a channel or a thread, from c when given, else
// from the session's state.
func (a *Adapter) where(guildID, channelID string, c *discordgo.Channel) location {
	l := location{Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: guildID, ChannelID: channelID}}
	if c == nil {
		sc, ok := stateChannel(a.session.State, channelID)
		if !ok {
			return l
		}
		c = &sc
	}
	l.ChannelName = c.Name
	if c.IsThread() && c.ParentID != "" {
		l.thread, l.threadName, l.ChannelID = channelID, c.Name, c.ParentID
		l.ChannelName = ""
		if parent, ok := stateChannel(a.session.State, c.ParentID); ok {
			l.ChannelName = parent.Name
		}
	}
	if l.ScopeID == "" {
		l.ScopeID = c.GuildID
	}
	return l
}

// onReaction handles MESSAGE_REACTION_ADD and _REMOVE.
func (a *Adapter) onReaction(r *discordgo.MessageReaction, member *discordgo.Member, removed bool, seq int64) {
	if r.GuildID == "" || !a.inGuild(r.GuildID) || r.UserID == a.self() {
		return
	}
	u := user(nil, member)
	if u.ID == "" {
		u.ID = r.UserID
	}
	emoji := r.Emoji.APIName() // Unicode, or name:id for a custom emoji
	op := "add"
	if removed {
		op = "remove"
	}
	a.mu.Lock()
	session := a.sessionID
	a.mu.Unlock()
	// In a thread, the reaction names the thread's channel: the message is
	// read back from there.
	w := a.where(r.GuildID, r.ChannelID, nil)
	ev := &bot.Reaction{
		Delivery: bot.Delivery{
			Keys: []bot.InboundKey{{Kind: KeyReaction, Key: fmt.Sprintf("%s:%s:%s:%s:%s:%d", r.MessageID, r.UserID, emoji, op, session, seq)}},
			At:   a.clock.Now(),
		},
		Place:     w.Place,
		MessageID: r.MessageID,
		ThreadID:  w.thread,
		User:      u,
		Emoji:     emoji,
		Removed:   removed,
	}
	// Behind the message's create and edits when its author is known; one
	// message's reactions in order, always.
	author, ok := a.authors.get(r.MessageID)
	if !ok {
		author = "message:" + r.MessageID
	}
	a.enqueueFor(r.ChannelID, author, "reaction", ev)
}

// onMember handles GUILD_MEMBER_ADD and _REMOVE. Bots joining are reported
// (User.Bot says so); the bot itself is not.
func (a *Adapter) onMember(m *discordgo.Member, left bool, seq int64) {
	if !a.inGuild(m.GuildID) || m.User == nil || m.User.ID == a.self() {
		return
	}
	ev := &bot.MemberChange{ScopeID: m.GuildID, User: user(m.User, m), Left: left}
	if left {
		a.mu.Lock()
		session := a.sessionID
		a.mu.Unlock()
		ev.User.Roles = nil
		ev.Delivery = bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyMember, Key: fmt.Sprintf("%s:%s:leave:%s:%d", m.GuildID, m.User.ID, session, seq)}}}
	} else {
		at := m.JoinedAt.UTC()
		if at.IsZero() {
			at = a.clock.Now()
		}
		ev.Delivery = bot.Delivery{At: at, Keys: []bot.InboundKey{{Kind: KeyMember, Key: fmt.Sprintf("%s:%s:join:%d", m.GuildID, m.User.ID, at.UnixMicro())}}}
		if a.opts.ReadInvites {
			a.enqueueJoin(ev)
			return
		}
	}
	a.enqueue(m.GuildID, "member", ev)
}

// enqueue hands an event to the worker of its key (a guild, for member
// changes and counts).
func (a *Adapter) enqueue(key, typ string, ev bot.Event) {
	a.enqueueTask(key, "", false, typ, func(ctx context.Context) { a.deliver(ctx, typ, ev) })
}

// enqueueFor hands an event to the worker of its channel and author.
func (a *Adapter) enqueueFor(channel, author, typ string, ev bot.Event) {
	a.enqueueTask(channel, author, false, typ, func(ctx context.Context) { a.deliver(ctx, typ, ev) })
}

// enqueueWide hands an event to its channel's worker, to be handled after
// the channel's earlier events and before its later ones.
func (a *Adapter) enqueueWide(channel, typ string, ev bot.Event) {
	a.enqueueTask(channel, "", true, typ, func(ctx context.Context) { a.deliver(ctx, typ, ev) })
}

func (a *Adapter) enqueueTask(channel, author string, wide bool, typ string, task func(ctx context.Context)) bool {
	a.mu.Lock()
	q := a.queue
	a.mu.Unlock()
	ok := false
	if wide {
		ok = q.pushWide(channel, task)
	} else {
		ok = q.pushFor(channel, author, task)
	}
	if ok {
		return true
	}
	a.log.Warn("discord: event dropped during shutdown", "type", typ)
	return false
}

// authorCache remembers who wrote the messages seen lately (message id →
// author id, the last authorCacheSize), so that a delete, which names no
// author, is handled on its message's author's worker.
type authorCache struct {
	mu   sync.Mutex
	by   map[string]string
	ring []string // ids in the order remembered, oldest overwritten
	next int
}

const authorCacheSize = 10_000

func (c *authorCache) put(id, author string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by, c.ring = map[string]string{}, make([]string, authorCacheSize)
	}
	if _, ok := c.by[id]; ok {
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.by, old)
	}
	c.ring[c.next], c.by[id] = id, author
	c.next = (c.next + 1) % len(c.ring)
}

func (c *authorCache) get(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.by[id]
	return a, ok
}

// deliver calls the handler for one event. An internal error (a database
// hiccup) is retried twice, shortly; the handler's transaction makes that
// safe. Other errors are logged: the gateway cannot redeliver. It reports
// whether the event was lost to an internal error, which a catch-up of its
// channel can make good.
func (a *Adapter) deliver(ctx context.Context, typ string, ev bot.Event) (lost bool) {
	a.count(typ)
	for attempt := 1; ; attempt++ {
		err := a.handleEvent(ctx, ev)
		if err == nil {
			return false
		}
		if bot.ErrorCode(err) != bot.EInternal || errors.Is(err, errPanic) || attempt == 3 || ctx.Err() != nil {
			a.log.Error("discord: handling an event failed", "type", typ, "keys", ev.Delivered().Keys, "err", err)
			return bot.ErrorCode(err) == bot.EInternal && !errors.Is(err, errPanic)
		}
		t := time.NewTimer(time.Duration(attempt) * 250 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

var errPanic = errors.New("the handler panicked")

func (a *Adapter) handleEvent(ctx context.Context, ev bot.Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("discord: panic recovered", "in", "handler", "panic", p)
			err = errPanic
		}
	}()
	return a.handler.HandleEvent(ctx, ev)
}
