package config

import (
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// The top-level staff:, admins: and permissions: keys say who may do what:
//
//	staff: [bob, carol, dave, {slack_group: S01SUPPORT}]   # default: every person in people:
//	admins: [carol]                                        # default: staff
//	permissions:                                           # ACTION: WHO, overriding the defaults
//	  feedback.close: staff
//	  giveaways.manage: [discord:moderators, admins]
//	  watch.mute: everyone
//
// ACTION is one of bot.Permissions (or capability.* for all of a
// capability's); WHO is one entry or a list of person names,
// {slack_group: ID}, discord:ROLE (a name from discord.roles), staff,
// admins, moderators or everyone.

// Who returns who may do action: permissions:'s entry when it names the
// action, else the catalogue's default. An action missing from the
// catalogue is allowed to nobody.
func (c *Config) Who(action string) bot.Who {
	if w, ok := c.Permissions[action]; ok {
		return w
	}
	p, _ := bot.PermissionFor(action)
	return p.Default
}

// WhoAt is Who of bot.Permissions[i]'s action, without looking it up (a
// Config made by Parse answers from a list).
func (c *Config) WhoAt(i int) bot.Who {
	if c.whoAt != nil {
		return c.whoAt[i]
	}
	return c.Who(bot.Permissions[i].Action)
}

// GroupLabel is how messages name a Slack user group: @handle when the
// file gives one (here or among the approvers), else its id.
func (c *Config) GroupLabel(id string) string {
	if h := c.groupHandles[id]; h != "" {
		return "@" + h
	}
	return id
}

func (c *Config) nameGroup(id, handle string) {
	if handle == "" {
		return
	}
	if c.groupHandles == nil {
		c.groupHandles = map[string]string{}
	}
	c.groupHandles[id] = handle
}

// defaultStaff is every person of people:, the staff when staff: is absent.
func defaultStaff(people []Person) bot.Who {
	var w bot.Who
	for _, p := range people {
		w.People = append(w.People, p.Name)
	}
	return w
}

// whoKeywords are the words a WHO entry may use besides names; staff: and
// admins: refuse those that would make them refer to themselves.
var whoKeywords = []string{"everyone", "staff", "admins", "moderators"}

// staffSection decodes staff: or admins:, a list of people and Slack
// groups (admins: may also say staff).
func (d *decoder) staffSection(n *yaml.Node, path string, dst *bot.Who, allowed ...string) {
	*dst = bot.Who{}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list of people's names and Slack user groups, like [carol, dave, {slack_group: S01SUPPORT}], got %s", describe(n))
		return
	}
	d.who(n, path, dst, allowed)
}

// who decodes one WHO entry or a list of them into dst. keywords are the
// words allowed besides names, groups and Discord roles.
func (d *decoder) who(n *yaml.Node, path string, dst *bot.Who, keywords []string) {
	entry := func(_ int, v *yaml.Node, p string) {
		if v.Kind == yaml.MappingNode {
			var id, handle string
			d.fields(v, p, []field{
				{name: "slack_group", required: "the Slack user group's id, like slack_group: S01LEADS", decode: func(v *yaml.Node, p string) {
					s, ok := d.str(v, p, "a Slack user group id like S01LEADS")
					if ok && !slackGroupID.MatchString(s) {
						d.errorf(v, p, "%q is not a Slack user group id: ids look like S01LEADS (in Slack, open People, then User groups, pick the group; the id is in the link)", s)
						return
					}
					id = s
				}},
				{name: "handle", decode: func(v *yaml.Node, p string) {
					if s, ok := d.str(v, p, "the group's handle, like community-leads"); ok {
						handle = strings.TrimPrefix(s, "@")
					}
				}},
			})
			if id != "" {
				dst.SlackGroups = append(dst.SlackGroups, id)
				d.cfg.nameGroup(id, handle)
			}
			return
		}
		s, ok := d.str(v, p, "a person's name, {slack_group: S01LEADS}, discord:ROLE, "+strings.Join(keywords, ", "))
		if !ok {
			return
		}
		if role, isRole := strings.CutPrefix(s, PlatformDiscord+":"); isRole {
			dst.DiscordRoles = append(dst.DiscordRoles, role)
			d.later(func() { d.checkRole(v, p, role) })
			return
		}
		switch {
		case slices.Contains(keywords, s):
			switch s {
			case "everyone":
				dst.Everyone = true
			case "staff":
				dst.Staff = true
			case "admins":
				dst.Admins = true
			case "moderators":
				dst.Moderators = true
			}
		case slices.Contains(whoKeywords, s):
			d.errorf(v, p, "%s cannot be used here: list people's names and Slack user groups", s)
		default:
			dst.People = append(dst.People, s)
			d.later(func() {
				if _, found := d.cfg.Person(s); !found {
					var names []string
					for _, q := range d.cfg.People {
						names = append(names, q.Name)
					}
					d.errorf(v, p, "nobody called %q is declared under people: %s (or use %s, discord:ROLE or {slack_group: ID})", s, defined(names, "people"), strings.Join(keywords, ", "))
				}
			})
		}
	}
	if n.Kind == yaml.SequenceNode {
		d.list(n, path, "", entry)
		return
	}
	entry(0, n, path)
}

// checkRole reports a discord:ROLE whose role no server declares.
func (d *decoder) checkRole(n *yaml.Node, path, role string) {
	var names []string
	for _, g := range d.cfg.Discord.Guilds {
		if _, ok := g.Roles[role]; ok {
			return
		}
		names = append(names, slices.Collect(maps.Keys(g.Roles))...)
	}
	d.errorf(n, path, "no Discord role named %q: %s", role, defined(names, "discord roles"))
}

// permissions decodes permissions:, a mapping of actions (or capability.*)
// to WHO.
func (d *decoder) permissions(n *yaml.Node, path string, dst *map[string]bot.Who) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of actions to who may do them, like {feedback.close: staff}, got %s", describe(n))
		return
	}
	*dst = map[string]bot.Who{}
	d.pairs(n, path, func(k, v *yaml.Node) {
		p := join(path, k.Value)
		actions := bot.Actions(k.Value)
		if len(actions) == 0 {
			var all []string
			for _, q := range bot.Permissions {
				all = append(all, q.Action)
			}
			d.errorf(k, p, "unknown action %q: expected one of %s (or capability.* for all of a capability's)", k.Value, strings.Join(all, ", "))
			return
		}
		var w bot.Who
		d.who(v, p, &w, whoKeywords)
		for _, a := range actions {
			// An exact key wins over a capability.* written anywhere.
			if _, exact := (*dst)[a]; exact && a != k.Value {
				continue
			}
			(*dst)[a] = w
		}
	})
}
