package console

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// The status board's posts (bot.KindForumPost, bot.KindForumUpdate): a
// post Liaison opens in a forum of the console's world is a thread like a
// member's, printed under its title with the tag it wears:
//
//	[discord #ideas-board › Dark mode] d17 liaison: Tag: Open
//	    > please add a dark theme to the dashboard
//
// Members vote with react d9 👍 NAME, as on Discord.

// forumPost opens a post in a forum. c.mu is held.
func (s *Sender) forumPost(m *bot.OutboxMessage) (bot.SendResult, error) {
	var fp bot.ForumPost
	if err := decode(m, &fp); err != nil {
		return bot.SendResult{}, err
	}
	c := s.c
	ch, ok := c.dir.byChanID[bot.PlatformDiscord][fp.ChannelID]
	if !ok {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("Discord has no channel %q in the console's world: declare it in the configuration", fp.ChannelID)}
	}
	if !ch.forum {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("#%s is not a forum channel: feedback.board must name a forum (a channel where each topic is a post), so that each item gets a post there", ch.name)}
	}
	pings, err := c.postPings(s.platform, &fp.Post, nil)
	if err != nil {
		return bot.SendResult{}, err
	}
	p := c.newMessageIn(ch.place(), "", nil)
	name := []rune(strings.TrimSpace(cmp.Or(fp.Name, fp.Marker)))
	if len(name) > maxThreadName {
		name = append(name[:maxThreadName-1], '…')
	}
	th := &thread{id: p.id, name: string(name), parent: ch, forum: true}
	c.threads[th.id] = th
	p.thread, p.channel, p.label = th, th.id, th.label()
	p.author, p.tag = liaisonUser(s.platform), fp.Tag
	lines := tagged(fp.Tag, postLines(fp.Post, s.userName))
	p.text, p.buttons = strings.Join(lines, "\n"), fp.Post.Buttons
	c.emit(entry{platform: s.platform, channel: p.label, ref: p.ref, author: liaison, lines: lines, pings: pings, buttons: fp.Post.Buttons})
	return bot.SendResult{PlatformID: p.id, Channel: p.id}, nil
}

// forumUpdate edits a post's first message and its tag. c.mu is held.
func (s *Sender) forumUpdate(m *bot.OutboxMessage) (bot.SendResult, error) {
	var fp bot.ForumPost
	if err := decode(m, &fp); err != nil {
		return bot.SendResult{}, err
	}
	msg, err := s.existing(cmp.Or(fp.ThreadID, m.ParentRef), "edit")
	if err != nil {
		return bot.SendResult{}, err
	}
	pings, err := s.c.postPings(s.platform, &fp.Post, nil)
	if err != nil {
		return bot.SendResult{}, err
	}
	lines := postLines(fp.Post, s.userName)
	if fp.Tag != "" {
		msg.tag = fp.Tag
	}
	lines = tagged(msg.tag, lines)
	msg.text, msg.buttons = strings.Join(lines, "\n"), fp.Post.Buttons
	s.c.emit(entry{platform: s.platform, channel: msg.label, ref: msg.ref, mark: "edited", author: liaison, lines: lines, pings: pings, buttons: fp.Post.Buttons})
	return bot.SendResult{PlatformID: msg.id, Channel: msg.channel}, nil
}

// tagged shows the tag a post wears, as Discord shows it above the post.
func tagged(tag string, lines []string) []string {
	if tag == "" {
		return lines
	}
	return append([]string{"Tag: " + tag}, lines...)
}
