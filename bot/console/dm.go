package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// Direct messages: `dm NAME: TEXT` is a member's private message to
// Liaison, delivered as the Discord adapter delivers a DM (bot.DirectMessage);
// Liaison's DMs (bot.KindDM) print in the same conversation:
//
//	[discord dm › mallory] d8 mallory: someone keeps messaging me
//	[discord dm › mallory] d9 liaison: Thanks, your message reached the moderators…

// dmLabel is how a member's DM conversation with Liaison prints.
func dmLabel(name string) string { return "dm › " + name }

// dmPlace is the DM channel of a user: the console names it after them.
func dmPlace(userID string) bot.Place {
	return bot.Place{Platform: bot.PlatformDiscord, ChannelID: "dm:" + userID}
}

// dm has a member write to Liaison in private. Discord delivers DMs only
// from users who share a server with the bot: someone who left, was kicked
// or banned cannot.
func (c *Console) dm(ctx context.Context, in *Input) error {
	c.mu.Lock()
	guild, err := c.guild()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	user, err := c.dir.user(bot.PlatformDiscord, in.Person, bot.Place{ScopeID: guild})
	if err == nil {
		err = c.mayAct(user, "write to Liaison", false)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	place := dmPlace(user.ID)
	m := c.newMessage(place, dmLabel(user.Name))
	m.author, m.text = user, in.Text
	c.emit(entry{platform: bot.PlatformDiscord, channel: m.label, ref: m.ref, author: user.Name, lines: split(in.Text)})
	ev := &bot.DirectMessage{ID: m.id, ChannelID: place.ChannelID, Author: user, Text: in.Text,
		Delivery: c.delivery(bot.InboundKey{Kind: "discord_message", Key: m.id})}
	c.mu.Unlock()
	c.deliver(ctx, ev, place, m.label, user.Name)
	return nil
}

// directMessage prints a DM Liaison sends; one to somebody who no longer
// shares the server with Liaison fails, as Discord refuses it. c.mu is
// held.
func (s *Sender) directMessage(m *bot.OutboxMessage) (bot.SendResult, error) {
	var d bot.DirectPost
	if err := decode(m, &d); err != nil {
		return bot.SendResult{}, err
	}
	c := s.c
	name := c.dir.userName(bot.PlatformDiscord, d.UserID)
	c.mod.init()
	if _, gone := c.mod.gone[d.UserID]; gone {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("%s no longer shares a server with Liaison, so Discord refuses to deliver it a DM", name)}
	}
	place := dmPlace(d.UserID)
	pings, err := c.postPings(bot.PlatformDiscord, &d.Post, nil)
	if err != nil {
		return bot.SendResult{}, err
	}
	msg := c.newMessage(place, dmLabel(name))
	msg.author = liaisonUser(bot.PlatformDiscord)
	lines := postLines(d.Post, s.userName)
	msg.text, msg.buttons = strings.Join(lines, "\n"), d.Post.Buttons
	c.emit(entry{platform: bot.PlatformDiscord, channel: msg.label, ref: msg.ref, author: liaison, lines: lines, pings: pings, buttons: d.Post.Buttons})
	return bot.SendResult{PlatformID: msg.id, Channel: place.ChannelID}, nil
}

// notice prints a DM a moderation action sends first (a ban's reason and
// appeal link). c.mu is held.
func (s *Sender) notice(userID, text string) {
	c := s.c
	name := c.dir.userName(bot.PlatformDiscord, userID)
	p := bot.Post{Text: text}
	pings, _ := c.postPings(bot.PlatformDiscord, &p, nil)
	msg := c.newMessage(dmPlace(userID), dmLabel(name))
	msg.author = liaisonUser(bot.PlatformDiscord)
	lines := postLines(p, s.userName)
	msg.text = strings.Join(lines, "\n")
	c.emit(entry{platform: bot.PlatformDiscord, channel: msg.label, ref: msg.ref, author: liaison, lines: lines, pings: pings})
}

// membersChunk is the server's member list in one chunk, as the adapter
// delivers GUILD_MEMBERS_CHUNK (the console's members carry no join date).
func (c *Console) membersChunk(guildID string) *bot.MembersChunk {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := &bot.MembersChunk{ScopeID: guildID, Count: 1,
		Delivery: c.delivery(bot.InboundKey{Kind: "discord_members_chunk", Key: fmt.Sprintf("%s:console-%d:0", guildID, c.ids.run)})}
	names := make([]string, 0, len(c.dir.people[bot.PlatformDiscord]))
	for name := range c.dir.people[bot.PlatformDiscord] {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		u, err := c.dir.user(bot.PlatformDiscord, name, bot.Place{ScopeID: guildID})
		if err != nil {
			continue
		}
		// Someone who joined in this run joined then; the world's members
		// have been there since their accounts were made.
		joined, ok := c.mod.joined[u.ID]
		if !ok {
			joined = snowflakeTime(u.ID)
		}
		ev.Members = append(ev.Members, bot.MemberFacts{User: u, JoinedAt: joined})
	}
	return ev
}
