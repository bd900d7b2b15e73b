// Package access decides who may do what: liaison.yaml's staff:, admins: and
// permissions: (bot.Permissions for the defaults) applied to a person on
// either platform. It reads Slack user groups and Discord members through
// the small interfaces below and changes nothing; the handlers ask it before
// anything changes, and help asks it which commands to list.
package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

// groupReader lists a Slack user group's members; implemented by the Slack
// adapter and the console.
type groupReader interface {
	UsergroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// memberReader reads a Discord member (their roles); implemented by the
// Discord adapter and the console.
type memberReader interface {
	GuildMember(ctx context.Context, guildID, userID string) (*bot.Member, error)
}

// Checker answers "may this person do this?". Its zero value is not usable:
// Config is required. Groups and Members may be nil when their platform is
// off: a Slack group or a Discord role then matches nobody from the other
// side.
type Checker struct {
	Config  *config.Config
	Groups  groupReader
	Members memberReader
}

// Check returns nil when u may do action, and otherwise a forbidden
// *bot.Error naming who may ("Closing feedback is for staff: carol, dave, or
// members of @community-leads."). A failure to read a group or a member is
// returned as is: the caller cannot tell, so it must not allow.
func (c *Checker) Check(ctx context.Context, u bot.User, action string) error {
	ok, err := c.Allowed(ctx, u, action)
	if err != nil || ok {
		return err
	}
	p, _ := bot.PermissionFor(action)
	doing := p.Doing
	if doing == "" {
		doing = "This"
	}
	return bot.Errorf(bot.EForbidden, "%s is for %s. Nothing was changed; ask one of them, or an admin to change permissions: in liaison.yaml.",
		doing, c.WhoMay(action))
}

// Allowed reports whether u may do action.
func (c *Checker) Allowed(ctx context.Context, u bot.User, action string) (bool, error) {
	return c.matches(ctx, u, c.Config.Who(action), 0)
}

// AllowedAt is Allowed for the action at bot.Permissions[i].
func (c *Checker) AllowedAt(ctx context.Context, u bot.User, i int) (bool, error) {
	return c.matches(ctx, u, c.Config.WhoAt(i), 0)
}

// matches reports whether u is one of w. depth guards staff: and admins:
// referring to each other (admins: may say staff, staff: may not say admins).
func (c *Checker) matches(ctx context.Context, u bot.User, w bot.Who, depth int) (bool, error) {
	if w.Everyone {
		return true, nil
	}
	person, hasPerson := c.person(u)
	if hasPerson && slices.Contains(w.People, person.Name) {
		return true, nil
	}
	if depth < 2 {
		if w.Staff {
			if ok, err := c.matches(ctx, u, c.Config.Staff, depth+1); err != nil || ok {
				return ok, err
			}
		}
		if w.Admins {
			if ok, err := c.matches(ctx, u, c.Config.Admins, depth+1); err != nil || ok {
				return ok, err
			}
		}
	}
	if len(w.SlackGroups) > 0 {
		if ok, err := c.inGroups(ctx, u, person, w.SlackGroups); err != nil || ok {
			return ok, err
		}
	}
	if len(w.DiscordRoles) > 0 {
		if ok, err := c.holdsRole(ctx, u, person, w.DiscordRoles); err != nil || ok {
			return ok, err
		}
	}
	if w.Moderators {
		return c.holdsRole(ctx, u, person, c.moderatorRoles())
	}
	return false, nil
}

// moderatorRoles names the Discord roles the moderators keyword means:
// moderation.moderator_roles, or, like that key's own default, the role
// discord.roles calls moderators.
func (c *Checker) moderatorRoles() []string {
	if r := c.Config.Moderation.ModeratorRoles; len(r) > 0 {
		return r
	}
	return []string{"moderators"}
}

// person returns the people: entry of u, matched on u's platform.
func (c *Checker) person(u bot.User) (config.Person, bool) {
	for _, p := range c.Config.People {
		if u.Platform == bot.PlatformSlack && p.Slack != "" && p.Slack == u.ID ||
			u.Platform == bot.PlatformDiscord && p.Discord != "" && p.Discord == u.ID {
			return p, true
		}
	}
	return config.Person{}, false
}

// inGroups reports whether u's Slack account (theirs, or their people:
// entry's when they act from Discord) is in one of groups.
func (c *Checker) inGroups(ctx context.Context, u bot.User, p config.Person, groups []string) (bool, error) {
	slackID := p.Slack
	if u.Platform == bot.PlatformSlack {
		slackID = u.ID
	}
	if slackID == "" || c.Groups == nil {
		return false, nil
	}
	for _, g := range groups {
		members, err := c.Groups.UsergroupMembers(ctx, g)
		if err != nil {
			return false, fmt.Errorf("read Slack user group %s: %w", g, err)
		}
		if slices.Contains(members, slackID) {
			return true, nil
		}
	}
	return false, nil
}

// holdsRole reports whether u holds one of the named Discord roles in any
// declared server: from the roles a Discord event carries, or, for someone
// acting from Slack, by reading their people: entry's Discord account.
func (c *Checker) holdsRole(ctx context.Context, u bot.User, p config.Person, names []string) (bool, error) {
	for _, g := range c.Config.Discord.Guilds {
		var ids []string
		for _, n := range names {
			ids = append(ids, g.Roles[n]...)
		}
		if len(ids) == 0 {
			continue
		}
		roles := u.Roles
		if u.Platform != bot.PlatformDiscord {
			if p.Discord == "" || c.Members == nil {
				continue
			}
			m, err := c.Members.GuildMember(ctx, g.ID, p.Discord)
			if err != nil {
				if bot.ErrorCode(err) == bot.ENotFound {
					continue // not on that server
				}
				return false, fmt.Errorf("read Discord member %s: %w", p.Discord, err)
			}
			if m == nil {
				continue
			}
			roles = m.User.Roles
		}
		for _, id := range ids {
			if slices.Contains(roles, id) {
				return true, nil
			}
		}
	}
	return false, nil
}

// WhoMay names who may do action, as Describe does: "admins: carol".
func (c *Checker) WhoMay(action string) string {
	return c.Describe(c.Config.Who(action))
}

// Describe names w for people: "staff: carol, dave, or members of
// @community-leads", "the Discord moderators", "everyone".
func (c *Checker) Describe(w bot.Who) string {
	if w.Everyone {
		return "everyone"
	}
	var parts []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	var walk func(w bot.Who, depth int)
	walk = func(w bot.Who, depth int) {
		for _, n := range w.People {
			add(n)
		}
		for _, g := range w.SlackGroups {
			add("members of " + c.Config.GroupLabel(g))
		}
		if depth < 2 && w.Admins {
			walk(c.Config.Admins, depth+1)
		}
		if depth < 2 && w.Staff {
			walk(c.Config.Staff, depth+1)
		}
		if w.Moderators {
			add("the Discord moderators")
		}
		for _, r := range w.DiscordRoles {
			add("holders of the Discord role " + r)
		}
	}
	walk(w, 0)
	if len(parts) == 0 {
		return "nobody (permissions: in liaison.yaml allows nobody)"
	}
	list := strings.Join(parts, ", ")
	switch len(parts) {
	case 1:
	case 2:
		list = parts[0] + " or " + parts[1]
	default:
		list = strings.Join(parts[:len(parts)-1], ", ") + ", or " + parts[len(parts)-1]
	}
	switch {
	case w.Staff && !w.Admins && len(w.People)+len(w.SlackGroups)+len(w.DiscordRoles) == 0 && !w.Moderators:
		return "staff: " + list
	case w.Admins && !w.Staff && len(w.People)+len(w.SlackGroups)+len(w.DiscordRoles) == 0 && !w.Moderators:
		return "admins: " + list
	}
	return list
}

// Once returns a copy of c that reads each Slack user group and Discord
// member at most once: for one request that asks several questions, like
// help listing what a person may run. A failed read is not remembered.
// The copy is safe for concurrent use; it never sees later changes to a
// group or a member, so keep it for one request only.
func (c *Checker) Once() *Checker {
	o := *c
	if c.Groups != nil {
		o.Groups = &onceGroups{r: c.Groups, read: map[string][]string{}}
	}
	if c.Members != nil {
		o.Members = &onceMembers{r: c.Members, read: map[[2]string]memberRead{}}
	}
	return &o
}

// onceGroups remembers the user groups it read.
type onceGroups struct {
	r    groupReader
	mu   sync.Mutex
	read map[string][]string
}

func (g *onceGroups) UsergroupMembers(ctx context.Context, groupID string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m, ok := g.read[groupID]; ok {
		return m, nil
	}
	m, err := g.r.UsergroupMembers(ctx, groupID)
	if err == nil {
		g.read[groupID] = m
	}
	return m, err
}

// onceMembers remembers the members it read, and who is not a member.
type onceMembers struct {
	r    memberReader
	mu   sync.Mutex
	read map[[2]string]memberRead
}

type memberRead struct {
	m   *bot.Member
	err error // nil, or the bot.ENotFound of someone not on the server
}

func (o *onceMembers) GuildMember(ctx context.Context, guildID, userID string) (*bot.Member, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := [2]string{guildID, userID}
	if r, ok := o.read[k]; ok {
		return r.m, r.err
	}
	m, err := o.r.GuildMember(ctx, guildID, userID)
	if err == nil || bot.ErrorCode(err) == bot.ENotFound {
		o.read[k] = memberRead{m, err}
	}
	return m, err
}
