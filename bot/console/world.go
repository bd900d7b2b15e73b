package console

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

// SlackTeam is the id of the console's Slack workspace (Place.ScopeID).
const SlackTeam = "T01CONSOLE"

// liaison is how Liaison's own messages are signed.
const liaison = "liaison"

// person is someone the console can speak for, on one platform.
type person struct {
	name  string
	id    string
	roles []string // Discord role names
}

// channel is a channel of the console's world.
type channel struct {
	platform string
	name     string
	id       string
	guild    string // Discord server id
	forum    bool   // a Discord forum: people open posts in it, not messages
}

// directory is who and what the configuration declares, both ways.
type directory struct {
	people   map[string]map[string]person // platform → name → person
	byUserID map[string]map[string]string // platform → user id → name
	channels map[string]map[string]channel
	byChanID map[string]map[string]channel
	roleIDs  map[string]map[string][]string // guild → role name → ids
}

// newDirectory reads the people and channels of cfg. Slack users are the
// people: with a Slack id; Discord users are console.members, then the
// people: with a Discord id who are not members.
func newDirectory(cfg *config.Config) *directory {
	d := &directory{
		people:   map[string]map[string]person{bot.PlatformSlack: {}, bot.PlatformDiscord: {}},
		byUserID: map[string]map[string]string{bot.PlatformSlack: {}, bot.PlatformDiscord: {}},
		channels: map[string]map[string]channel{bot.PlatformSlack: {}, bot.PlatformDiscord: {}},
		byChanID: map[string]map[string]channel{bot.PlatformSlack: {}, bot.PlatformDiscord: {}},
		roleIDs:  map[string]map[string][]string{},
	}
	add := func(platform string, p person) {
		if _, taken := d.people[platform][p.name]; !taken && p.id != "" {
			d.add(platform, p)
		}
	}
	for _, p := range cfg.People {
		add(bot.PlatformSlack, person{name: p.Name, id: p.Slack})
	}
	for _, m := range cfg.Console.Members {
		add(bot.PlatformSlack, person{name: m.Name, id: m.Slack})
		add(bot.PlatformDiscord, person{name: m.Name, id: m.Discord, roles: m.Roles})
	}
	for _, p := range cfg.People {
		add(bot.PlatformDiscord, person{name: p.Name, id: p.Discord})
	}
	for name, id := range cfg.Slack.Channels {
		c := channel{platform: bot.PlatformSlack, name: name, id: id}
		d.channels[bot.PlatformSlack][name], d.byChanID[bot.PlatformSlack][id] = c, c
	}
	for _, g := range cfg.Discord.Guilds {
		for name, id := range g.Channels {
			c := channel{platform: bot.PlatformDiscord, name: name, id: id, guild: g.ID, forum: slices.Contains(cfg.Console.Forums, name)}
			if _, taken := d.channels[bot.PlatformDiscord][name]; !taken {
				d.channels[bot.PlatformDiscord][name] = c
			}
			d.byChanID[bot.PlatformDiscord][id] = c
		}
		d.roleIDs[g.ID] = g.Roles
	}
	return d
}

// user returns the platform's user called name.
func (d *directory) user(platform, name string, place bot.Place) (bot.User, error) {
	p, ok := d.people[platform][name]
	if !ok {
		where := "people: with a slack: id"
		if platform == bot.PlatformDiscord {
			where = "console.members; join NAME brings someone new"
		}
		return bot.User{}, fmt.Errorf("nobody called %q is on %s: %s (declared under %s)", name, platformName(platform), d.names(platform), where)
	}
	u := bot.User{Platform: platform, ID: p.id, Name: p.name}
	for _, r := range p.roles {
		u.Roles = append(u.Roles, d.roleIDs[place.ScopeID][r]...)
	}
	return u, nil
}

// add makes p a person of the platform.
func (d *directory) add(platform string, p person) {
	d.people[platform][p.name] = p
	d.byUserID[platform][p.id] = p.name
}

// names lists the people of a platform, for error messages.
func (d *directory) names(platform string) string {
	if len(d.people[platform]) == 0 {
		return "nobody is declared there yet"
	}
	return "there are " + strings.Join(slices.Sorted(maps.Keys(d.people[platform])), ", ")
}

// userName names the user with id, or gives the id.
func (d *directory) userName(platform, id string) string {
	if n, ok := d.byUserID[platform][id]; ok {
		return n
	}
	return id
}

// channel finds a channel by name.
func (d *directory) channel(platform, name string) (channel, error) {
	c, ok := d.channels[platform][name]
	if !ok {
		names := slices.Sorted(maps.Keys(d.channels[platform]))
		have := "none is declared"
		if len(names) > 0 {
			have = "there are #" + strings.Join(names, ", #")
		}
		return channel{}, fmt.Errorf("%s has no channel #%s: %s", platformName(platform), name, have)
	}
	return c, nil
}

// forums lists the Discord forums, for error messages.
func (d *directory) forums() string {
	var names []string
	for name, c := range d.channels[bot.PlatformDiscord] {
		if c.forum {
			names = append(names, "#"+name)
		}
	}
	if len(names) == 0 {
		return "the console's world has none (list forums under console: forums)"
	}
	slices.Sort(names)
	return "here: " + strings.Join(names, ", ")
}

// roleName names a Discord role id, or gives the id.
func (d *directory) roleName(id string) string {
	for _, roles := range d.roleIDs {
		for name, ids := range roles {
			if slices.Contains(ids, id) {
				return name
			}
		}
	}
	return id
}

// label names a channel id as printed: #product, or @carol when a Slack
// message goes to a person's id.
func (d *directory) label(platform, id string) (string, bool) {
	if c, ok := d.byChanID[platform][id]; ok {
		return "#" + c.name, true
	}
	if n, ok := d.byUserID[platform][id]; ok {
		return "@" + n, true
	}
	return "", false
}

func (c channel) place() bot.Place {
	p := bot.Place{Platform: c.platform, ChannelID: c.id, ChannelName: c.name, ScopeID: c.guild}
	if c.platform == bot.PlatformSlack {
		p.ScopeID = SlackTeam
	}
	return p
}

func platformName(platform string) string {
	if platform == bot.PlatformDiscord {
		return "Discord"
	}
	return "Slack"
}

// message is a message of the console's world, typed or posted by Liaison.
type message struct {
	ref      string
	platform string
	channel  string // id: on Discord, the thread's for a message in a thread
	label    string // #product, @carol, #feedback › thread name
	place    bot.Place
	id       string  // Slack ts, Discord snowflake
	parent   string  // ref of its thread or of the message it replies to
	parentID string  // that message's platform id
	thread   *thread // the Discord thread or forum post it is in
	opened   *thread // the Discord thread started on it
	author   bot.User
	text     string
	buttons  []bot.Button
	to       string // the only person who sees it
	tag      string // the forum tag a board post of Liaison's wears
	deleted  bool
	edits    int
	// reactions are who reacted with what: emoji (as the platform reports
	// it) → names, in order.
	reactions map[string][]string
}

// botMessage returns m as handlers see a message, filled as the adapters
// fill it: on Discord, a message in a thread or forum post has the thread's
// id in ThreadID and its parent channel as Place, and a forum post's first
// message (whose id is the post's) or a message a thread was started on is
// a ThreadStart, with the post's title as Title; on Slack, ThreadID is the
// thread's ts.
func (m *message) botMessage() *bot.Message {
	bm := &bot.Message{Place: m.place, ID: m.id, Author: m.author, Text: m.text, Permalink: permalink(m)}
	if m.platform == bot.PlatformDiscord {
		bm.ReplyTo = m.parentID
		if m.thread != nil {
			bm.ThreadID, bm.ThreadName = m.thread.id, m.thread.name
			if m.thread.forum && m.id == m.thread.id {
				bm.Title = m.thread.name // a forum post's opening message
			}
		}
		bm.ThreadStart = m.id == m.channel || m.opened != nil
	} else {
		bm.ThreadID = m.parentID
	}
	return bm
}

// thread is a Discord thread started on a message, or a forum post. Its
// channel id is the id of the message it starts from (a forum post's first
// message has the post's id), as on Discord.
type thread struct {
	id     string
	name   string  // the message it starts from, or the post's title
	parent channel // the channel or forum it is in
	forum  bool
}

// label is how messages in the thread print their place:
// #feedback › export crashes.
func (t *thread) label() string { return "#" + t.parent.name + " › " + t.name }

// react records (or, with remove, takes back) the reaction of who: adding one
// they have, or removing one they do not have, is an error saying so.
func (m *message) react(emoji, shown, who string, remove bool) error {
	has := slices.Contains(m.reactions[emoji], who)
	switch {
	case remove && !has:
		return fmt.Errorf("%s has no %s reaction on %s to remove (%s)", who, shown, m.ref, m.reactionsText())
	case !remove && has:
		return fmt.Errorf("%s has already reacted %s to %s", who, shown, m.ref)
	case remove:
		m.reactions[emoji] = slices.DeleteFunc(m.reactions[emoji], func(n string) bool { return n == who })
		if len(m.reactions[emoji]) == 0 {
			delete(m.reactions, emoji)
		}
	default:
		if m.reactions == nil {
			m.reactions = map[string][]string{}
		}
		m.reactions[emoji] = append(m.reactions[emoji], who)
	}
	return nil
}

// reactionsText lists a message's reactions: "its reactions: 👍 alice, eve;
// 📣 dave", or "it has none".
func (m *message) reactionsText() string {
	if len(m.reactions) == 0 {
		return "it has no reactions"
	}
	var parts []string
	for _, e := range slices.Sorted(maps.Keys(m.reactions)) {
		parts = append(parts, emojiShown(e)+" "+strings.Join(m.reactions[e], ", "))
	}
	return "its reactions: " + strings.Join(parts, "; ")
}

// permalink is where the message would be on the web.
func permalink(m *message) string {
	if m.platform == bot.PlatformDiscord {
		return "https://discord.com/channels/" + m.place.ScopeID + "/" + m.channel + "/" + m.id
	}
	return "https://liaison-console.slack.com/archives/" + m.channel + "/p" + strings.ReplaceAll(m.id, ".", "")
}

// ids hands out platform ids that look like the real ones and grow with the
// clock: Slack timestamps (seconds.micros) and Discord snowflakes. The run
// number is folded in so that runs sharing one database, even at the same
// --now, never reuse an id (and so never look like a redelivery).
type ids struct {
	run       int
	lastSlack int64 // micros
	lastSnow  int64
}

// discordEpoch is the first millisecond of 2015, where snowflakes count from.
const discordEpoch = bot.DiscordEpochMS

func (g *ids) slackTS(now time.Time) string {
	v := now.Unix()*1_000_000 + int64(g.run%100)*10_000
	if v <= g.lastSlack {
		v = g.lastSlack + 1
	}
	g.lastSlack = v
	return fmt.Sprintf("%d.%06d", v/1_000_000, v%1_000_000)
}

func (g *ids) snowflake(now time.Time) string {
	v := max(now.UnixMilli()-discordEpoch, 0)<<22 | int64(g.run%1024)<<12
	if v <= g.lastSnow {
		v = g.lastSnow + 1
	}
	g.lastSnow = v
	return strconv.FormatInt(v, 10)
}

func (g *ids) next(platform string, now time.Time) string {
	if platform == bot.PlatformDiscord {
		return g.snowflake(now)
	}
	return g.slackTS(now)
}
