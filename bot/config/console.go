package config

import (
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Console is the console: section, read only by `liaison console`, which
// plays a Slack workspace and a Discord server on one terminal: it names the
// members of that pretend Discord server, their fake ids and their roles, so
// a script can say "alice" and Liaison sees a member with an id and roles.
// The production service ignores it.
type Console struct {
	// Members are the people of the console's Discord server, community
	// members and staff alike, in file order; names are unique.
	Members []Member
	// Forums are the names of Discord channels (declared under discord:
	// channels) that are forum channels on the console's server: people
	// open posts there (post #ideas alice: TITLE | TEXT) instead of writing
	// in them. On a real server Discord says which channels are forums.
	Forums []string
}

// Member is one person of the console's Discord server.
type Member struct {
	// Name is how console lines refer to them (alice); unique. A member
	// named like a person of people: is that person: the ids must agree.
	Name string
	// Discord is their Discord user id, a snowflake string; required.
	Discord string
	// Slack is their Slack user id, for staff who are also in the Slack
	// workspace; empty for community members.
	Slack string
	// Roles are names of roles declared under discord: roles (staff,
	// moderators); the member has every role id those names stand for.
	Roles []string
}

// Member returns the member called name, if any.
func (c Console) Member(name string) (Member, bool) {
	for _, m := range c.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

func (d *decoder) console(n *yaml.Node, path string, c *Console) {
	d.fields(n, path, []field{
		{name: "members", decode: func(v *yaml.Node, p string) { d.members(v, p, &c.Members) }},
		{name: "forums", decode: func(v *yaml.Node, p string) {
			d.list(v, p, "a list of Discord channel names (like [ideas])", func(_ int, f *yaml.Node, fp string) {
				if s, ok := d.str(f, fp, "a Discord channel name like ideas"); ok {
					c.Forums = append(c.Forums, s)
					d.later(func() { d.forum(f, fp, s) })
				}
			})
		}},
	})
}

// forum checks that a forum is a Discord channel declared under discord:
// channels.
func (d *decoder) forum(n *yaml.Node, path, name string) {
	var declared []string
	for _, g := range d.cfg.Discord.Guilds {
		if _, ok := g.Channels[name]; ok {
			return
		}
		declared = append(declared, slices.Collect(maps.Keys(g.Channels))...)
	}
	msg := "none is declared under discord: channels yet"
	if len(declared) > 0 {
		slices.Sort(declared)
		msg = "declared are " + strings.Join(slices.Compact(declared), ", ")
	}
	d.errorf(n, path, "no Discord channel named %q: %s (a forum is one of them)", name, msg)
}

func (d *decoder) members(n *yaml.Node, path string, ms *[]Member) {
	listInto(d, n, path, `a list of members (each like {name: alice, discord: "1300000000000000101"})`, ms, d.member)
	names, discords, slacks := map[string]string{}, map[string]string{}, map[string]string{}
	for i, m := range *ms {
		at, here := n.Content[i], index(path, i)
		if prev, dup := names[m.Name]; dup && m.Name != "" {
			d.errorf(at, join(here, "name"), "%q is already %s: each member is listed once, with a unique name", m.Name, prev)
		}
		if prev, dup := discords[m.Discord]; dup && m.Discord != "" {
			d.errorf(at, join(here, "discord"), "%s is already the Discord account of %s: each account belongs to one member", m.Discord, prev)
		}
		if prev, dup := slacks[m.Slack]; dup && m.Slack != "" {
			d.errorf(at, join(here, "slack"), "%s is already the Slack account of %s: each account belongs to one member", m.Slack, prev)
		}
		names[m.Name], discords[m.Discord], slacks[m.Slack] = here, here, here
	}
}

func (d *decoder) member(m *Member, n *yaml.Node, path string) {
	d.fields(n, path, []field{
		{name: "name", required: "every member needs a name, like alice", decode: func(v *yaml.Node, k string) {
			if s, ok := d.str(v, k, "a name like alice"); ok && d.name(v, k, s) {
				m.Name = s
			}
		}},
		{name: "discord", required: `their Discord user id, quoted, like "1300000000000000101" (any 17 to 20 digits will do in the console)`, decode: func(v *yaml.Node, k string) {
			m.Discord, _ = d.discordID(v, k, "a Discord user id")
		}},
		{name: "slack", decode: func(v *yaml.Node, k string) {
			s, ok := d.str(v, k, "a Slack user id like U01BOB")
			if ok && !slackUserID.MatchString(s) {
				d.errorf(v, k, "%q is not a Slack user id: ids look like U01BOB", s)
				return
			}
			m.Slack = s
		}},
		{name: "roles", decode: func(v *yaml.Node, k string) {
			d.list(v, k, "a list of role names from discord: roles (like [staff, moderators])", func(_ int, r *yaml.Node, rp string) {
				s, ok := d.str(r, rp, "a role name like staff")
				if !ok {
					return
				}
				m.Roles = append(m.Roles, s)
				d.later(func() { d.memberRole(r, rp, s) })
			})
		}},
	})
	// people: may come after console: in the file.
	d.later(func() { d.samePerson(n, path, m) })
}

// memberRole checks that role is declared under discord: roles.
func (d *decoder) memberRole(n *yaml.Node, path, role string) {
	declared := map[string]bool{}
	for _, g := range d.cfg.Discord.Guilds {
		for r := range g.Roles {
			declared[r] = true
		}
	}
	if declared[role] {
		return
	}
	msg := "none is declared under discord: roles yet"
	if len(declared) > 0 {
		names := slices.Sorted(maps.Keys(declared))
		msg = "declared are " + strings.Join(names, ", ")
	}
	d.errorf(n, path, "no Discord role named %q: %s", role, msg)
}

// samePerson checks that a member and a person of people: who share a name
// or an account are the same person with the same accounts.
func (d *decoder) samePerson(n *yaml.Node, path string, m *Member) {
	for _, p := range d.cfg.People {
		switch {
		case p.Name == m.Name && p.Discord != "" && m.Discord != "" && p.Discord != m.Discord:
			d.errorf(n, join(path, "discord"), "%s is %s's Discord account under people:, not %s: give the member the same id", p.Discord, p.Name, m.Discord)
		case p.Name == m.Name && p.Slack != "" && m.Slack != "" && p.Slack != m.Slack:
			d.errorf(n, join(path, "slack"), "%s is %s's Slack account under people:, not %s: give the member the same id", p.Slack, p.Name, m.Slack)
		case p.Name != m.Name && m.Name != "" && p.Discord != "" && p.Discord == m.Discord:
			d.errorf(n, join(path, "discord"), "%s is the Discord account of %s under people:: name the member %s too", m.Discord, p.Name, p.Name)
		case p.Name != m.Name && m.Name != "" && p.Slack != "" && p.Slack == m.Slack:
			d.errorf(n, join(path, "slack"), "%s is the Slack account of %s under people:: name the member %s too", m.Slack, p.Name, p.Name)
		}
	}
}
