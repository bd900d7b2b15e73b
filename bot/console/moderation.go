package console

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Moderation in the console: the server as the moderation rules see it
// (roles ranked moderators above staff above the rest, Liaison's own role
// above all; nobody owns the server), the actions Liaison takes, printed as
// Discord's audit log would show them, and their effect on the world
// (bans, timeouts, kicks, deleted messages).

// selfRole is the id of Liaison's role in the console's server.
const selfRole = "liaison-role"

// modState is what moderation, joins and leaves changed in the console's
// world. c.mu guards it.
type modState struct {
	banned   map[string]string        // user id → banned, with the ban's reason
	gone     map[string]absence       // user id → not a member, and why
	timeouts map[string]time.Time     // user id → end of their timeout
	timedOut map[string]string        // user id → their timeout's reason
	joined   map[string]time.Time     // user id → when they joined in this run (the world's members were there before)
	slowmode map[string]time.Duration // channel id → its slowmode (none: off)
	lastPost map[[2]string]time.Time  // channel id, user id → their last message there while slowmode was on
}

// absence is why someone is not a member of the server: "banned",
// "unbanned" (banned, then lifted: free to join again), "kicked" or "left",
// with the audit log's reason for a ban or a kick.
type absence struct{ why, reason string }

func (s *modState) init() {
	if s.banned == nil {
		s.banned, s.gone = map[string]string{}, map[string]absence{}
		s.timeouts, s.timedOut = map[string]time.Time{}, map[string]string{}
		s.joined = map[string]time.Time{}
		s.slowmode, s.lastPost = map[string]time.Duration{}, map[[2]string]time.Time{}
	}
}

// slowed says why user cannot post a new message in the channel (its id
// and label) of place's server yet; nil when they can, and then the post
// counts. On Discord a channel's slowmode makes its members wait between
// messages there, but not those who may manage messages (here the
// moderators role) nor Liaison; a thread (inThread) has its own, off here;
// commands and reactions are not messages. c.mu is held.
func (c *Console) slowed(place bot.Place, channelID, label string, inThread bool, user bot.User) error {
	c.mod.init()
	if place.Platform != bot.PlatformDiscord || inThread || user.ID == liaison {
		return nil
	}
	wait := c.mod.slowmode[channelID]
	if wait <= 0 {
		return nil
	}
	for _, id := range c.dir.roleIDs[place.ScopeID]["moderators"] {
		if slices.Contains(user.Roles, id) {
			return nil
		}
	}
	k, now := [2]string{channelID, user.ID}, c.clock.Now()
	if next := c.mod.lastPost[k].Add(wait); now.Before(next) {
		left := (next.Sub(now) + time.Second - 1).Truncate(time.Second)
		return fmt.Errorf("%s cannot post in %s for another %s: slowmode is on there (%s between a member's messages)", user.Name, label, bot.FormatDuration(left), bot.FormatDuration(wait))
	}
	c.mod.lastPost[k] = now
	return nil
}

// rolePosition ranks the console's roles by name.
func rolePosition(name string) int {
	switch name {
	case "moderators":
		return 30
	case "staff":
		return 20
	case "protected":
		return 10
	}
	return 15
}

// moderate prints a moderation action as the audit log shows it and
// applies it to the world. c.mu is held.
func (s *Sender) moderate(m *bot.OutboxMessage) (bot.SendResult, error) {
	var a bot.ModAction
	if err := decode(m, &a); err != nil {
		return bot.SendResult{}, err
	}
	c := s.c
	c.mod.init()
	who := cmp.Or(a.UserName, c.dir.userName(bot.PlatformDiscord, a.UserID))
	audit := func(text string) {
		if a.Reason != "" {
			text += " · " + a.Reason
		}
		c.emit(entry{platform: bot.PlatformDiscord, channel: "audit-log", author: liaison, lines: []string{text}})
	}
	if _, gone := c.mod.gone[a.UserID]; !gone && a.Notice != "" {
		// The DM first, as the Discord sender sends it: a kicked or banned
		// member could not get it after.
		s.notice(a.UserID, a.Notice)
	}
	switch a.Op {
	case bot.OpAddRole, bot.OpRemoveRole:
		role, _ := c.dir.label(bot.PlatformDiscord, a.RoleID)
		for name, ids := range c.dir.roleIDs[a.GuildID] {
			if slices.Contains(ids, a.RoleID) {
				role = name
			}
		}
		if a.Op == bot.OpAddRole {
			audit("gave " + who + " the " + cmp.Or(role, a.RoleID) + " role")
		} else {
			audit("took the " + cmp.Or(role, a.RoleID) + " role from " + who)
		}
	case bot.OpTimeout:
		if a.Until == nil {
			return bot.SendResult{}, &bot.PermanentError{Err: errString("a timeout without its end")}
		}
		c.mod.timeouts[a.UserID], c.mod.timedOut[a.UserID] = *a.Until, a.Reason
		audit("timed out " + who + " until " + a.Until.In(c.cfg.Location).Format("Mon 2 Jan 15:04 MST"))
	case bot.OpUntimeout:
		delete(c.mod.timeouts, a.UserID)
		delete(c.mod.timedOut, a.UserID)
		audit("lifted the timeout of " + who)
	case bot.OpKick:
		c.mod.gone[a.UserID] = absence{why: "kicked", reason: a.Reason}
		audit("kicked " + who)
	case bot.OpBan:
		c.mod.banned[a.UserID], c.mod.gone[a.UserID] = a.Reason, absence{why: "banned", reason: a.Reason}
		text := "banned " + who
		if a.DeleteMessageSeconds > 0 {
			text += ", deleting their messages of the last " + bot.FormatDuration(time.Duration(a.DeleteMessageSeconds)*time.Second)
		}
		audit(text)
	case bot.OpUnban:
		if _, ok := c.mod.banned[a.UserID]; !ok {
			break // nothing to lift: as on Discord, not an error
		}
		delete(c.mod.banned, a.UserID)
		if c.mod.gone[a.UserID].why == "banned" {
			c.mod.gone[a.UserID] = absence{why: "unbanned"} // free to join again
		}
		audit("unbanned " + who)
	case bot.OpDelete, bot.OpBulkDelete:
		for _, id := range a.MessageIDs {
			msg, ok := c.byID[bot.PlatformDiscord+" "+id]
			if !ok || msg.deleted {
				continue
			}
			msg.deleted = true
			c.emit(entry{platform: bot.PlatformDiscord, channel: msg.label, ref: msg.ref, mark: "deleted", action: "by liaison"})
		}
	case bot.OpSlowmode:
		if a.Seconds > 0 {
			c.mod.slowmode[a.ChannelID] = time.Duration(a.Seconds) * time.Second
		} else {
			delete(c.mod.slowmode, a.ChannelID)
		}
		label, _ := c.dir.label(bot.PlatformDiscord, a.ChannelID)
		text := "set slowmode to " + bot.FormatDuration(time.Duration(a.Seconds)*time.Second)
		if a.Seconds == 0 {
			text = "turned slowmode off"
		}
		if a.Reason != "" {
			text += " · " + a.Reason
		}
		c.emit(entry{platform: bot.PlatformDiscord, channel: cmp.Or(label, a.ChannelID), author: liaison, lines: []string{text}})
	default:
		return bot.SendResult{}, &bot.PermanentError{Err: errString("the console cannot " + a.Op)}
	}
	return bot.SendResult{Channel: a.ChannelID}, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// GuildInfo describes the console's server: its roles from the
// configuration, ranked, and Liaison's role above them.
func (c *Console) GuildInfo(_ context.Context, guildID string) (*bot.Guild, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := &bot.Guild{ID: guildID, SelfID: liaison, SelfRoles: []string{selfRole},
		Roles: []bot.Role{{ID: guildID, Name: "@everyone"}, {ID: selfRole, Name: "Liaison", Position: 100}}}
	for name, ids := range c.dir.roleIDs[guildID] {
		for _, id := range ids {
			g.Roles = append(g.Roles, bot.Role{ID: id, Name: name, Position: rolePosition(name)})
		}
	}
	slices.SortFunc(g.Roles, func(a, b bot.Role) int { return cmp.Compare(a.Position, b.Position) })
	return g, nil
}

// GuildMember returns a member of the console's server.
func (c *Console) GuildMember(_ context.Context, guildID, userID string) (*bot.Member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mod.init()
	if userID == liaison {
		return &bot.Member{User: bot.User{Platform: bot.PlatformDiscord, ID: liaison, Name: liaison, Bot: true, Roles: []string{selfRole}}}, nil
	}
	name, ok := c.dir.byUserID[bot.PlatformDiscord][userID]
	if _, gone := c.mod.gone[userID]; !ok || gone {
		return nil, bot.Errorf(bot.ENotFound, "%s is not on the server.", cmp.Or(name, userID))
	}
	return c.member(guildID, name), nil
}

// member returns the member called name. c.mu is held.
func (c *Console) member(guildID, name string) *bot.Member {
	u, _ := c.dir.user(bot.PlatformDiscord, name, bot.Place{ScopeID: guildID})
	m := &bot.Member{User: u, JoinedAt: c.mod.joined[u.ID]}
	if until, ok := c.mod.timeouts[u.ID]; ok && until.After(c.clock.Now()) {
		m.TimeoutUntil = until
	}
	return m
}

// GuildBanned reports whether Liaison banned the user in this run.
func (c *Console) GuildBanned(_ context.Context, _, userID string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mod.init()
	_, banned := c.mod.banned[userID]
	return banned, nil
}

// DiscordUser returns a user of the console's world.
func (c *Console) DiscordUser(_ context.Context, userID string) (bot.User, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name, ok := c.dir.byUserID[bot.PlatformDiscord][userID]
	if !ok {
		return bot.User{}, bot.Errorf(bot.ENotFound, "Discord knows no user %s.", userID)
	}
	return bot.User{Platform: bot.PlatformDiscord, ID: userID, Name: name}, nil
}

// SearchMembers finds the member called query.
func (c *Console) SearchMembers(_ context.Context, guildID, query string) ([]bot.Member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mod.init()
	for name, p := range c.dir.people[bot.PlatformDiscord] {
		if _, gone := c.mod.gone[p.id]; strings.EqualFold(name, query) && !gone {
			return []bot.Member{*c.member(guildID, name)}, nil
		}
	}
	return nil, nil
}

// ChannelHistory returns the messages of a channel everyone sees, newest
// first, dated by their ids.
func (c *Console) ChannelHistory(_ context.Context, channelID string, limit int) ([]*bot.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*bot.Message
	for _, m := range c.refs {
		if m.platform != bot.PlatformDiscord || m.channel != channelID || m.deleted || m.to != "" {
			continue
		}
		bm := m.botMessage()
		bm.At = snowflakeTime(m.id)
		out = append(out, bm)
	}
	slices.SortFunc(out, func(a, b *bot.Message) int { return cmp.Compare(idNumber(b.ID), idNumber(a.ID)) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func idNumber(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// snowflakeTime is the time a console snowflake was made at.
func snowflakeTime(id string) time.Time {
	return time.UnixMilli(idNumber(id)>>22 + discordEpoch).UTC()
}

// CanPost checks that Liaison can post in a Discord channel of the world:
// one it declares, not a forum (whose messages go in posts).
func (c *Console) CanPost(_ context.Context, _, channelID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.dir.byChanID[bot.PlatformDiscord][channelID]
	if !ok {
		return bot.Errorf(bot.ENotFound, "Liaison cannot see the channel %s: pick a channel of this server.", channelID)
	}
	if ch.forum {
		return bot.Errorf(bot.EInvalid, "#%s is a forum: pick a text channel.", ch.name)
	}
	return nil
}
