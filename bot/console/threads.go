package console

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot"
)

// Replies, threads and forum posts. On Discord, a thread started on a
// message has that message's id as its channel id, and a forum post's first
// message has the post's id; the events carry the thread's id in ThreadID
// and its parent channel as Place, as the Discord adapter fills them. On
// Slack, a reply is a thread reply under the thread's first message.

// maxThreadName is Discord's limit on a thread's name (a forum post's
// title).
const maxThreadName = 100

// reply answers a message: a Discord reply (in the same channel or thread)
// or a Slack thread reply.
func (c *Console) reply(ctx context.Context, in *Input) error {
	c.mu.Lock()
	m, user, err := c.writer(in.Ref, in.Person, "reply to")
	if err == nil {
		err = c.slowed(m.place, m.channel, m.label, m.thread != nil, user)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	r := c.newMessageIn(m.place, m.label, m.thread)
	r.parent, r.parentID = m.ref, m.id
	if m.platform == bot.PlatformSlack && m.parentID != "" {
		r.parent, r.parentID = m.parent, m.parentID // a Slack thread has one level
	}
	c.speak(ctx, r, user, in.Text)
	return nil
}

// inThread writes in the thread started on a Discord message, starting it
// (named after the message) on first use; on a forum post's first message,
// in the post.
func (c *Console) inThread(ctx context.Context, in *Input) error {
	c.mu.Lock()
	m, user, err := c.writer(in.Ref, in.Person, "write in a thread on")
	if err == nil && m.platform != bot.PlatformDiscord {
		err = fmt.Errorf("threads started on a message are Discord's: on Slack, answer in %s's thread with reply %s %s: …", m.ref, m.ref, user.Name)
	}
	var th *thread
	if err == nil {
		th, err = c.threadOn(m)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.speak(ctx, c.newMessageIn(th.parent.place(), th.label(), th), user, in.Text)
	return nil
}

// threadOn returns the thread started on m, starting it if need be; on a
// forum post's first message, the post. c.mu is held.
func (c *Console) threadOn(m *message) (*thread, error) {
	if m.thread != nil {
		if m.thread.id == m.id {
			return m.thread, nil // a forum post's first message
		}
		start := "its first message"
		if s, ok := c.byID[bot.PlatformDiscord+" "+m.thread.id]; ok {
			start = s.ref
		}
		return nil, fmt.Errorf("%s is in the thread %q already, and Discord starts no thread inside a thread: to write there, use thread %s", m.ref, m.thread.name, start)
	}
	if m.opened != nil {
		return m.opened, nil
	}
	ch, ok := c.dir.byChanID[bot.PlatformDiscord][m.channel]
	if !ok {
		return nil, fmt.Errorf("the console cannot start a thread on %s: its channel is not in the console's world", m.ref)
	}
	name := strings.TrimSpace(split(m.text)[0])
	if utf8.RuneCountInString(name) > maxThreadName {
		name = string([]rune(name)[:maxThreadName-1]) + "…"
	}
	if name == "" {
		name = "thread"
	}
	th := &thread{id: m.id, name: name, parent: ch}
	m.opened = th
	c.threads[th.id] = th
	return th, nil
}

// post opens a forum post: a thread in a forum channel, named by its title,
// whose first message has the post's id.
func (c *Console) post(ctx context.Context, in *Input) error {
	c.mu.Lock()
	ch, err := c.dir.channel(bot.PlatformDiscord, in.Channel)
	if err == nil && !ch.forum {
		err = fmt.Errorf("#%s is not a forum channel: post opens a post in a forum (%s); to write in #%s: discord #%s %s: …", ch.name, c.dir.forums(), ch.name, ch.name, in.Person)
	}
	if err == nil && utf8.RuneCountInString(in.Title) > maxThreadName {
		err = fmt.Errorf("a forum post's title has at most %d characters on Discord; this one has %d", maxThreadName, utf8.RuneCountInString(in.Title))
	}
	var user bot.User
	if err == nil {
		user, err = c.dir.user(bot.PlatformDiscord, in.Person, ch.place())
	}
	if err == nil {
		err = c.mayAct(user, "post", true)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	p := c.newMessageIn(ch.place(), "", nil)
	th := &thread{id: p.id, name: in.Title, parent: ch, forum: true}
	c.threads[th.id] = th
	p.thread, p.channel, p.label = th, th.id, th.label()
	c.speak(ctx, p, user, in.Text)
	return nil
}

// writer finds the message ref names and the person writing about it
// (what: "reply to"), who must be able to write there. c.mu is held.
func (c *Console) writer(ref, name, what string) (*message, bot.User, error) {
	m, user, err := c.actor(ref, name)
	if err != nil {
		return nil, bot.User{}, err
	}
	if m.to != "" {
		return nil, bot.User{}, fmt.Errorf("%s was shown to %s only: nobody can %s it", m.ref, m.to, what)
	}
	if m.platform == bot.PlatformDiscord {
		if err := c.mayAct(user, "post", true); err != nil {
			return nil, bot.User{}, err
		}
	}
	return m, user, nil
}

// newMessageIn records a new message in place, in thread th when not nil.
// c.mu is held.
func (c *Console) newMessageIn(place bot.Place, label string, th *thread) *message {
	m := c.newMessage(place, label)
	if th != nil {
		m.thread, m.channel, m.label = th, th.id, th.label()
	}
	return m
}

// speak gives m, a new message, its author and text, prints it, and
// delivers it with the identities the adapters give a message. c.mu is held
// on entry and released.
func (c *Console) speak(ctx context.Context, m *message, user bot.User, text string) {
	m.author, m.text = user, text
	c.emit(entry{platform: m.platform, channel: m.label, ref: m.ref, parent: m.parent, author: user.Name, lines: split(m.text)})
	ev := m.botMessage()
	if m.platform == bot.PlatformDiscord {
		ev.Delivery = c.delivery(bot.InboundKey{Kind: "discord_message", Key: m.id})
	} else {
		ev.Delivery = c.slackEvent(bot.InboundKey{Kind: "slack_message", Key: m.channel + ":" + m.id})
	}
	c.mu.Unlock()
	c.deliver(ctx, ev, m.place, m.label, user.Name)
}
