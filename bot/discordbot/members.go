package discordbot

import (
	"container/list"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// memberCache keeps the server members Liaison read lately, so that the
// moderation rules do not ask the REST API for the same members again and
// again: every automod hit read Liaison's own member and the author's,
// two requests in the members route's bucket, and a wave of spam hit that
// bucket's limit while the messages waited. It is small (least recently
// used out) and bounded in total, not per server: the state kept for each
// server stays as slim as keepState makes it.
//
// It is kept true by the gateway: GUILD_MEMBER_UPDATE replaces a member it
// holds (or is reading), GUILD_MEMBER_REMOVE and GUILD_BAN_ADD forget one,
// and a new session (READY: events may have been missed) forgets all.
// Liaison's own changes to a member (a timeout, a role, a kick, a ban)
// forget it as they are made, before their event comes. A read that raced
// an event for the same member is returned but not kept (an update's
// member is kept instead). An entry is trusted for memberCacheTTL at most,
// whatever the events.
type memberCache struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	entries  map[memberKey]*list.Element // of *memberEntry
	order    *list.List                  // most recently used first
	fetching map[memberKey]*memberFetch
}

type memberKey struct{ guild, user string }

type memberEntry struct {
	key memberKey
	m   *discordgo.Member // not changed once kept: replaced whole
	at  time.Time
}

// memberFetch counts the REST reads of one member under way; stale is set
// when an event or a change of that member came meanwhile.
type memberFetch struct {
	n     int
	stale bool
}

// usersKey is the member cache's "server" of Discord users read by id
// (Adapter.DiscordUser), outside any server: the moderation log names
// the target of each ban, kick or timeout seen in the audit log and the
// author of each AutoMod alert, and read each one from the REST API,
// inside the event's transaction. A user's name is trusted for
// memberCacheTTL, as a member's.
const usersKey = ""

// Bounds of the member cache: a few thousand members (each a few hundred
// bytes), each trusted a minute at most.
const (
	memberCacheSize = 4096
	memberCacheTTL  = time.Minute
)

func newMemberCache(max int, ttl time.Duration, now func() time.Time) *memberCache {
	return &memberCache{max: max, ttl: ttl, now: now, entries: map[memberKey]*list.Element{}, order: list.New(), fetching: map[memberKey]*memberFetch{}}
}

// get returns the member kept for guild and user, if it is fresh.
func (c *memberCache) get(guild, user string) (*discordgo.Member, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[memberKey{guild, user}]
	if !ok {
		return nil, false
	}
	e := el.Value.(*memberEntry)
	if c.now().Sub(e.at) >= c.ttl {
		c.removeLocked(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.m, true
}

// fetch reads a member with read, keeping what it returns unless the
// member changed while it was read.
func (c *memberCache) fetch(guild, user string, read func() (*discordgo.Member, error)) (*discordgo.Member, error) {
	if c == nil {
		return read()
	}
	k := memberKey{guild, user}
	c.mu.Lock()
	f := c.fetching[k]
	if f == nil {
		f = &memberFetch{}
		c.fetching[k] = f
	}
	f.n++
	c.mu.Unlock()

	m, err := read()

	c.mu.Lock()
	defer c.mu.Unlock()
	if f.n--; f.n == 0 {
		delete(c.fetching, k)
	}
	if err == nil && m != nil && !f.stale {
		c.putLocked(k, m)
	}
	return m, err
}

// update replaces a member that is kept with m, as a gateway event tells,
// and keeps m for a member being read: the event is newer than what the
// read may return, which is then not kept. Another member stays out (the
// cache holds what was read).
func (c *memberCache) update(guild string, m *discordgo.Member) {
	if c == nil || m == nil || m.User == nil {
		return
	}
	k := memberKey{guild, m.User.ID}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markLocked(k)
	if _, ok := c.entries[k]; ok || c.fetching[k] != nil {
		c.putLocked(k, m)
	}
}

// forget drops a member: it left, was banned, or Liaison changed it.
func (c *memberCache) forget(guild, user string) {
	if c == nil {
		return
	}
	k := memberKey{guild, user}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markLocked(k)
	if el, ok := c.entries[k]; ok {
		c.removeLocked(el)
	}
}

// reset drops every member, and what the reads under way will return.
func (c *memberCache) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[memberKey]*list.Element{}
	c.order.Init()
	for _, f := range c.fetching {
		f.stale = true
	}
}

// len is how many members are kept.
func (c *memberCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *memberCache) markLocked(k memberKey) {
	if f := c.fetching[k]; f != nil {
		f.stale = true
	}
}

func (c *memberCache) putLocked(k memberKey, m *discordgo.Member) {
	e := &memberEntry{key: k, m: m, at: c.now()}
	if el, ok := c.entries[k]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[k] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		c.removeLocked(c.order.Back())
	}
}

func (c *memberCache) removeLocked(el *list.Element) {
	delete(c.entries, el.Value.(*memberEntry).key)
	c.order.Remove(el)
}

// keepMembers keeps the member cache true to the gateway's events. Like
// keepState it runs on the gateway reader, before the handlers.
func (a *Adapter) keepMembers(_ *discordgo.Session, ev any) {
	c := a.members
	switch e := ev.(type) {
	case *discordgo.Ready:
		c.reset() // a new session: what changed meanwhile was not told
	case *discordgo.GuildMemberUpdate:
		if e.Member != nil {
			c.update(e.GuildID, e.Member)
		}
	case *discordgo.GuildMemberRemove:
		if e.Member != nil && e.User != nil {
			c.forget(e.GuildID, e.User.ID)
		}
	case *discordgo.GuildBanAdd:
		if e.User != nil {
			c.forget(e.GuildID, e.User.ID)
		}
	case *discordgo.GuildDelete:
		if e.Guild != nil && !e.Unavailable {
			c.reset() // rare: Liaison left a server
		}
	}
}
