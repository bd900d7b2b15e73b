package console

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// Sender performs outbox messages on one of the console's platforms: it
// prints them, gives each new message a reference and a platform id (a
// Slack ts, a Discord snowflake), and remembers both, so that later lines
// (react s2 …) and later posts (a reply in s2's thread) find the message.
type Sender struct {
	c        *Console
	platform string
}

var _ bot.Sender = (*Sender)(nil)

// Sender returns the sender for platform (bot.PlatformSlack or
// bot.PlatformDiscord), to give the outbox dispatcher.
func (c *Console) Sender(platform string) *Sender { return &Sender{c: c, platform: platform} }

// Send prints m. KindPost and KindUpload print a new message, KindUpdate an
// edit ("s2 edited liaison: …"), KindReact a reaction ("s2 +✅ liaison").
// A message the console cannot show (an unknown channel, a message from an
// earlier run, a kind it does not know) fails permanently, as it would on
// the platform. A key sent before gives the first result again without
// printing.
func (s *Sender) Send(_ context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.sent[m.Key]; ok && m.Key != "" {
		return r, nil
	}
	var res bot.SendResult
	var err error
	switch m.Kind {
	case bot.KindPost:
		res, err = s.post(m)
	case bot.KindUpdate:
		res, err = s.update(m)
	case bot.KindReact:
		res, err = s.react(m)
	case bot.KindUpload:
		res, err = s.upload(m)
	case bot.KindModerate:
		res, err = s.moderate(m)
	case bot.KindDM:
		res, err = s.directMessage(m)
	case bot.KindForumPost:
		res, err = s.forumPost(m)
	case bot.KindForumUpdate:
		res, err = s.forumUpdate(m)
	default:
		err = &bot.PermanentError{Err: fmt.Errorf("the console cannot perform %q messages yet", m.Kind)}
	}
	if err == nil && m.Key != "" {
		c.sent[m.Key] = res
		if m.Kind == bot.KindPost {
			c.posted[res.Channel+"\x00"+res.PlatformID] = m.Key
		}
	}
	return res, err
}

func (s *Sender) post(m *bot.OutboxMessage) (bot.SendResult, error) {
	var p bot.Post
	if err := decode(m, &p); err != nil {
		return bot.SendResult{}, err
	}
	parentID := cmp.Or(p.ThreadOf, m.ParentRef)
	pings, err := s.c.postPings(s.platform, &p, s.c.byID[s.platform+" "+parentID])
	if err != nil {
		return bot.SendResult{}, err
	}
	msg, err := s.newMessage(p.ChannelID, parentID)
	if err != nil {
		return bot.SendResult{}, err
	}
	lines := postLines(p, s.userName)
	msg.text, msg.buttons = strings.Join(lines, "\n"), p.Buttons
	s.c.emit(entry{platform: s.platform, channel: msg.label, ref: msg.ref, parent: msg.parent, author: liaison, lines: lines, pings: pings, buttons: p.Buttons})
	return bot.SendResult{PlatformID: msg.id, Channel: msg.channel}, nil
}

func (s *Sender) upload(m *bot.OutboxMessage) (bot.SendResult, error) {
	var u bot.Upload
	if err := decode(m, &u); err != nil {
		return bot.SendResult{}, err
	}
	msg, err := s.newMessage(cmp.Or(u.ChannelID, u.ToUser), cmp.Or(u.ThreadOf, m.ParentRef)) // a person's id prints as [slack @carol]
	if err != nil {
		return bot.SendResult{}, err
	}
	lines := uploadLines(u)
	msg.text = strings.Join(lines, "\n")
	s.c.emit(entry{platform: s.platform, channel: msg.label, ref: msg.ref, parent: msg.parent, author: liaison, lines: lines, pings: s.c.uploadPings(s.platform, &u)})
	return bot.SendResult{PlatformID: msg.id, Channel: msg.channel}, nil
}

func (s *Sender) update(m *bot.OutboxMessage) (bot.SendResult, error) {
	var p bot.Post
	if err := decode(m, &p); err != nil {
		return bot.SendResult{}, err
	}
	msg, err := s.existing(cmp.Or(p.MessageID, m.ParentRef), "edit")
	if err != nil {
		return bot.SendResult{}, err
	}
	// An edit sends no message reference: it pings nobody by replying.
	pings, err := s.c.postPings(s.platform, &p, nil)
	if err != nil {
		return bot.SendResult{}, err
	}
	lines := postLines(p, s.userName)
	msg.text, msg.buttons = strings.Join(lines, "\n"), p.Buttons
	s.c.emit(entry{platform: s.platform, channel: msg.label, ref: msg.ref, mark: "edited", author: liaison, lines: lines, pings: pings, buttons: p.Buttons})
	return bot.SendResult{PlatformID: msg.id, Channel: msg.channel}, nil
}

func (s *Sender) react(m *bot.OutboxMessage) (bot.SendResult, error) {
	var r bot.React
	if err := decode(m, &r); err != nil {
		return bot.SendResult{}, err
	}
	msg, err := s.existing(cmp.Or(r.MessageID, m.ParentRef), "react to")
	if err != nil {
		return bot.SendResult{}, err
	}
	_ = msg.react(r.Emoji, emojiShown(r.Emoji), liaison, false) // already there: as on the platforms, no error
	s.c.emit(entry{platform: s.platform, channel: msg.label, ref: msg.ref, mark: "+" + emojiShown(r.Emoji), author: liaison})
	return bot.SendResult{Channel: msg.channel}, nil
}

// newMessage records a message of Liaison's in channel id (or in its
// parent's channel when empty), in the thread of or in reply to parentID.
// A Discord channel id may be a thread's or a forum post's. c.mu is held.
func (s *Sender) newMessage(channelID, parentID string) (*message, error) {
	c := s.c
	parent := c.byID[s.platform+" "+parentID]
	if channelID == "" && parent != nil {
		channelID = parent.channel
	}
	var msg *message
	if th, ok := c.threads[channelID]; ok && s.platform == bot.PlatformDiscord {
		msg = c.newMessageIn(th.parent.place(), "", th)
	} else {
		label, ok := c.dir.label(s.platform, channelID)
		if !ok {
			return nil, &bot.PermanentError{Err: fmt.Errorf("%s has no channel %q in the console's world: declare it in the configuration", platformName(s.platform), channelID)}
		}
		if ch, ok := c.dir.byChanID[s.platform][channelID]; ok && ch.forum {
			return nil, &bot.PermanentError{Err: fmt.Errorf("%s is a forum: messages go in its posts, not in the forum itself", label)}
		}
		place := bot.Place{Platform: s.platform, ChannelID: channelID, ScopeID: SlackTeam}
		if ch, ok := c.dir.byChanID[s.platform][channelID]; ok {
			place = ch.place()
		}
		msg = c.newMessage(place, label)
	}
	msg.author = liaisonUser(s.platform)
	switch {
	case parent != nil:
		msg.parent, msg.parentID = parent.ref, parentID
	case parentID != "":
		msg.parent, msg.parentID = "?", parentID // posted before this run
	}
	return msg, nil
}

// existing finds the message with platform id, to edit or react to. c.mu is
// held.
func (s *Sender) existing(id, what string) (*message, error) {
	msg, ok := s.c.byID[s.platform+" "+id]
	if !ok {
		return nil, &bot.PermanentError{Err: fmt.Errorf("the console cannot %s %s message %q: it knows only this run's messages", what, platformName(s.platform), id)}
	}
	return msg, nil
}

// userName names a user id for a mention. c.mu is held.
func (s *Sender) userName(id string) string { return s.c.dir.userName(s.platform, id) }

func decode(m *bot.OutboxMessage, v any) error {
	if err := json.Unmarshal(m.Payload, v); err != nil {
		return &bot.PermanentError{Err: fmt.Errorf("read the %s payload of %s: %w", m.Kind, m.Key, err)}
	}
	return nil
}
