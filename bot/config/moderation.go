package config

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Moderation is the moderation: section: where the mod log goes, who
// moderates and who is protected, the escalation policy, automod, the
// welcome and the community rules. Without the section, the moderation
// commands are not offered.
type Moderation struct {
	// Enabled is true when the file has a moderation: section.
	Enabled bool
	// ModLog is where every case is posted: a Discord channel and a Slack
	// channel, each optional.
	ModLog ModLog
	// ModeratorRoles are names of roles under discord: roles whose holders
	// may use every moderation command (others need Discord's permission for
	// the action); [moderators] unless set, when that role is declared.
	ModeratorRoles []string
	// ProtectedRoles are names of roles whose holders are never moderated
	// through Liaison; [protected] unless set, when that role is declared.
	ProtectedRoles []string
	// Escalation is the points policy; its zero value triggers nothing.
	Escalation bot.Escalation
	// Automod are Liaison's own checks on every message.
	Automod Automod
	// Welcome greets new members; zero when not set.
	Welcome Welcome
	// Rules is the community charter /rules posts; empty when not set.
	Rules string
	// Logs routes server events (edits, deletions, joins…) to log
	// channels; zero when not set.
	Logs ServerLogs
	// Modmail opens tickets from members' DMs; zero when not set.
	Modmail Modmail
	// AppealsURL is a ban appeal form, linked in ban DMs; "" when not set.
	AppealsURL string
	// Raid is the join gate and raid detection; off unless set.
	Raid Raid
}

// ModLog names the mod-log channels.
type ModLog struct {
	Discord ChannelRef // zero when not set
	Slack   ChannelRef // zero when not set
}

// Automod is the automod: part of the moderation section.
type Automod struct {
	// ExemptRoles (names) and ExemptChannels apply to every rule, on top of
	// each rule's own. Moderators and bots are always exempt.
	ExemptRoles    []string
	ExemptChannels []ChannelRef
	Rules          []AutomodRule
}

// AutomodRule is one automod rule as the file writes it; see
// bot.AutomodRule for what each field does. Channels are Discord channels;
// roles are names from discord: roles.
type AutomodRule struct {
	Name           string
	Kind           string
	Words          []string
	Patterns       []*regexp.Regexp
	AllowInvites   []string
	Mentions       int
	Count          int
	Within         time.Duration
	Channels       []ChannelRef
	ExemptChannels []ChannelRef
	ExemptRoles    []string
	Actions        []string
	Timeout        time.Duration
}

// Welcome is the greeting posted when someone joins.
type Welcome struct {
	Channel ChannelRef // a Discord channel; zero when there is no welcome
	// Text may name the newcomer with {user} (a mention, the one ping the
	// message makes) and the server with {server}.
	Text string
}

// RoleIDs returns the ids of the roles named in names (from discord:
// roles) in the server guildID.
func (c *Config) RoleIDs(guildID string, names []string) []string {
	var out []string
	for _, g := range c.Discord.Guilds {
		if g.ID != guildID {
			continue
		}
		for _, n := range names {
			out = append(out, g.Roles[n]...)
		}
	}
	return out
}

// AutomodRules returns the automod rules as they apply in the server
// guildID: channels of other servers left out, roles as ids, the section's
// exemptions added to each rule.
func (c *Config) AutomodRules(guildID string) []bot.AutomodRule {
	a := c.Moderation.Automod
	ids := func(refs []ChannelRef) []string {
		var out []string
		for _, r := range refs {
			if r.GuildID == guildID {
				out = append(out, r.ID)
			}
		}
		return out
	}
	var out []bot.AutomodRule
	for _, r := range a.Rules {
		channels := ids(r.Channels)
		if len(r.Channels) > 0 && len(channels) == 0 {
			continue // the rule watches channels of other servers only
		}
		out = append(out, bot.AutomodRule{
			Name: r.Name, Kind: r.Kind, Words: r.Words, Patterns: r.Patterns, AllowInvites: r.AllowInvites,
			Mentions: r.Mentions, Count: r.Count, Within: r.Within, Channels: channels,
			ExemptChannels: append(ids(a.ExemptChannels), ids(r.ExemptChannels)...),
			ExemptRoles:    c.RoleIDs(guildID, append(slices.Clone(a.ExemptRoles), r.ExemptRoles...)),
			Actions:        r.Actions, Timeout: r.Timeout,
		})
	}
	return out
}

func (d *decoder) moderation(n *yaml.Node, path string, m *Moderation) {
	m.Enabled = true
	var modRoles, protRoles bool
	d.fields(n, path, []field{
		{name: "mod_log", decode: func(v *yaml.Node, p string) {
			d.fields(v, p, []field{
				{name: "discord", decode: func(v *yaml.Node, p string) { d.discordRef(v, p, &m.ModLog.Discord) }},
				{name: "slack", decode: func(v *yaml.Node, p string) { d.slackRef(v, p, &m.ModLog.Slack) }},
			})
		}},
		{name: "moderator_roles", decode: func(v *yaml.Node, p string) {
			modRoles = true
			m.ModeratorRoles = d.roleNames(v, p)
		}},
		{name: "protected_roles", decode: func(v *yaml.Node, p string) {
			protRoles = true
			m.ProtectedRoles = d.roleNames(v, p)
		}},
		{name: "escalation", decode: func(v *yaml.Node, p string) { d.escalation(v, p, &m.Escalation) }},
		{name: "automod", decode: func(v *yaml.Node, p string) { d.automod(v, p, &m.Automod) }},
		{name: "welcome", decode: func(v *yaml.Node, p string) {
			d.fields(v, p, []field{
				{name: "channel", required: "where to greet newcomers, like channel: general", decode: func(v *yaml.Node, p string) { d.discordRef(v, p, &m.Welcome.Channel) }},
				{name: "text", required: `the greeting, like text: "Welcome {user}! Start in #general."`, decode: func(v *yaml.Node, p string) {
					if s, ok := d.str(v, p, "a greeting"); ok {
						m.Welcome.Text = strings.TrimSpace(s)
					}
				}},
			})
		}},
		{name: "logs", decode: func(v *yaml.Node, p string) { d.serverLogs(v, p, &m.Logs) }},
		{name: "modmail", decode: func(v *yaml.Node, p string) { d.modmail(v, p, &m.Modmail) }},
		{name: "appeals_url", decode: func(v *yaml.Node, p string) { m.AppealsURL = d.appealsURL(v, p) }},
		{name: "raid", decode: func(v *yaml.Node, p string) { d.raid(v, p, &m.Raid) }},
		{name: "rules", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "the community rules, as text (use | for several lines)"); ok {
				m.Rules = strings.TrimSpace(s)
			}
		}},
	})
	// discord: may come after moderation: in the file.
	d.later(func() {
		declared := map[string]bool{}
		for _, g := range d.cfg.Discord.Guilds {
			for r := range g.Roles {
				declared[r] = true
			}
		}
		if !modRoles && declared["moderators"] {
			m.ModeratorRoles = []string{"moderators"}
		}
		if !protRoles && declared["protected"] {
			m.ProtectedRoles = []string{"protected"}
		}
	})
}

// discordRef decodes a Discord channel name (general, or discord:general).
func (d *decoder) discordRef(n *yaml.Node, path string, dst *ChannelRef) {
	if ref, ok := d.str(n, path, "a Discord channel name like mod-log"); ok {
		if !strings.Contains(ref, ":") {
			ref = "discord:" + ref
		}
		d.later(func() { *dst, _ = d.resolveRef(n, path, ref) })
	}
}

// slackRef decodes a Slack channel name (mod-log, or slack:mod-log).
func (d *decoder) slackRef(n *yaml.Node, path string, dst *ChannelRef) {
	if ref, ok := d.str(n, path, "a Slack channel name like mod-log"); ok {
		ref = strings.TrimPrefix(ref, "slack:")
		d.later(func() { *dst, _ = d.resolveRef(n, path, ref) })
	}
}

// roleNames decodes a list of role names declared under discord: roles.
func (d *decoder) roleNames(n *yaml.Node, path string) []string {
	out := []string{}
	d.list(n, path, "a list of role names from discord: roles (like [moderators])", func(_ int, v *yaml.Node, p string) {
		s, ok := d.str(v, p, "a role name like moderators")
		if !ok {
			return
		}
		out = append(out, s)
		d.later(func() { d.memberRole(v, p, s) })
	})
	return out
}

var escalationActions = []string{bot.ActionWarn, bot.ActionTimeout, bot.ActionKick, bot.ActionBan, bot.ActionNote}

func (d *decoder) escalation(n *yaml.Node, path string, e *bot.Escalation) {
	var thresholdsNode *yaml.Node
	d.fields(n, path, []field{
		{name: "points", decode: func(v *yaml.Node, p string) {
			d.names(v, p, "a mapping of actions to points, like {warn: 1, timeout: 2, ban: 5}", func(name string, v *yaml.Node, p string) {
				if !slices.Contains(escalationActions, name) {
					d.errorf(v, p, "%q is not an action that gives points: use %s", name, strings.Join(escalationActions, ", "))
					return
				}
				if i, ok := d.int(v, p, 0); ok {
					if e.Points == nil {
						e.Points = map[string]int{}
					}
					e.Points[name] = i
				}
			})
		}},
		{name: "decay", decode: func(v *yaml.Node, p string) {
			d.fields(v, p, []field{
				{name: "points", required: "how many points fade each period, like points: 1", decode: func(v *yaml.Node, p string) {
					if i, ok := d.int(v, p, 1); ok {
						e.DecayPoints = i
					}
				}},
				{name: "every", required: "how often points fade, like every: 30d", decode: func(v *yaml.Node, p string) {
					if dur, ok := d.duration(v, p, true); ok {
						e.DecayEvery = dur
					}
				}},
			})
		}},
		{name: "thresholds", required: "what happens at how many points, like thresholds: [{points: 3, action: timeout, duration: 1h}]", decode: func(v *yaml.Node, p string) {
			thresholdsNode = v
			listInto(d, v, p, "a list of thresholds (each like {points: 3, action: timeout, duration: 1h})", &e.Thresholds, d.threshold)
		}},
	})
	if e.Points == nil {
		e.Points = map[string]int{bot.ActionWarn: 1}
	}
	seen := map[int]bool{}
	for i, t := range e.Thresholds {
		if t.Points > 0 && seen[t.Points] {
			d.errorf(thresholdsNode.Content[i], index(join(path, "thresholds"), i), "two thresholds at %d points: keep one", t.Points)
		}
		seen[t.Points] = true
	}
	slices.SortStableFunc(e.Thresholds, func(a, b bot.Threshold) int { return a.Points - b.Points })
}

func (d *decoder) threshold(t *bot.Threshold, n *yaml.Node, path string) {
	d.fields(n, path, []field{
		{name: "points", required: "the points that trigger it, like points: 3", decode: func(v *yaml.Node, p string) {
			if i, ok := d.int(v, p, 1); ok {
				t.Points = i
			}
		}},
		{name: "action", required: "what happens: timeout, kick or ban", decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "timeout, kick or ban")
			switch s {
			case bot.ActionTimeout, bot.ActionKick, bot.ActionBan:
				t.Action = s
			default:
				if ok {
					d.errorf(v, p, "%q is not an action a threshold can take: use timeout, kick or ban", s)
				}
			}
		}},
		{name: "duration", decode: func(v *yaml.Node, p string) {
			if dur, ok := d.duration(v, p, true); ok {
				t.Duration = dur
			}
		}},
	})
	if t.Action == bot.ActionTimeout && t.Duration == 0 && n.Kind == yaml.MappingNode {
		d.errorf(n, join(path, "duration"), "missing: how long the timeout lasts, like duration: 1h")
	}
	if t.Action == bot.ActionKick && t.Duration != 0 {
		d.errorf(n, join(path, "duration"), "a kick has no duration: remove it")
	}
}

var automodActions = []string{bot.AutomodDelete, bot.AutomodWarn, bot.AutomodTimeout, bot.AutomodAlert}

func (d *decoder) automod(n *yaml.Node, path string, a *Automod) {
	d.fields(n, path, []field{
		{name: "exempt_roles", decode: func(v *yaml.Node, p string) { a.ExemptRoles = d.roleNames(v, p) }},
		{name: "exempt_channels", decode: func(v *yaml.Node, p string) { d.sourceRefs(v, p, &a.ExemptChannels) }},
		{name: "rules", decode: func(v *yaml.Node, p string) {
			listInto(d, v, p, "a list of rules (each like {name: slurs, words: [badword], actions: [delete, warn]})", &a.Rules, d.automodRule)
			seen := map[string]bool{}
			for i, r := range a.Rules {
				if r.Name != "" && seen[r.Name] {
					d.errorf(v.Content[i], join(index(p, i), "name"), "%q names two rules: rule names must be unique", r.Name)
				}
				seen[r.Name] = true
			}
		}},
	})
}

func (d *decoder) automodRule(r *AutomodRule, n *yaml.Node, path string) {
	var kinds []string
	kind := func(k string) { kinds = append(kinds, k); r.Kind = k }
	window := func(v *yaml.Node, p, what string) {
		d.fields(v, p, []field{
			{name: "messages", required: "how many " + what + ", like messages: 5", decode: func(v *yaml.Node, p string) {
				if i, ok := d.int(v, p, 2); ok {
					r.Count = i
				}
			}},
			{name: "within", required: "the window, like within: 10s", decode: func(v *yaml.Node, p string) {
				if dur, ok := d.duration(v, p, true); ok {
					r.Within = dur
				}
			}},
		})
	}
	var actionsNode *yaml.Node
	d.fields(n, path, []field{
		{name: "name", required: "every rule needs a name, like slurs", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a name like slurs"); ok && d.name(v, p, s) {
				r.Name = s
			}
		}},
		{name: "words", decode: func(v *yaml.Node, p string) { kind(bot.AutomodWords); r.Words = d.words(v, p, "words") }},
		{name: "patterns", decode: func(v *yaml.Node, p string) {
			kind(bot.AutomodPatterns)
			d.list(v, p, "a list of regular expressions", func(_ int, e *yaml.Node, ep string) {
				s, ok := d.str(e, ep, "a regular expression like 'free\\s*nitro'")
				if !ok {
					return
				}
				re, err := regexp.Compile(s)
				if err != nil {
					d.errorf(e, ep, "%q is not a regular expression (%v); Go's syntax: https://pkg.go.dev/regexp/syntax", s, err)
					return
				}
				r.Patterns = append(r.Patterns, re)
			})
		}},
		{name: "invites", decode: func(v *yaml.Node, p string) {
			var b bool
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
				d.errorf(v, p, "expected true or false, got %s", describe(v))
				return
			}
			if b {
				kind(bot.AutomodInvites)
			}
		}},
		{name: "allow_invites", decode: func(v *yaml.Node, p string) {
			for _, w := range d.words(v, p, "invite codes") {
				r.AllowInvites = append(r.AllowInvites, strings.ToLower(w))
			}
		}},
		{name: "mentions", decode: func(v *yaml.Node, p string) {
			kind(bot.AutomodMentions)
			if i, ok := d.int(v, p, 2); ok {
				r.Mentions = i
			}
		}},
		{name: "flood", decode: func(v *yaml.Node, p string) { kind(bot.AutomodFlood); window(v, p, "messages") }},
		{name: "repeats", decode: func(v *yaml.Node, p string) { kind(bot.AutomodRepeats); window(v, p, "copies of one message") }},
		{name: "channels", decode: func(v *yaml.Node, p string) { d.sourceRefs(v, p, &r.Channels) }},
		{name: "exempt_channels", decode: func(v *yaml.Node, p string) { d.sourceRefs(v, p, &r.ExemptChannels) }},
		{name: "exempt_roles", decode: func(v *yaml.Node, p string) { r.ExemptRoles = d.roleNames(v, p) }},
		{name: "actions", required: "what the rule does, like actions: [delete, warn] (delete, warn, timeout, alert)", decode: func(v *yaml.Node, p string) {
			actionsNode = v
			for _, a := range d.words(v, p, "actions") {
				if !slices.Contains(automodActions, a) {
					d.errorf(v, p, "%q is not an automod action: use %s", a, strings.Join(automodActions, ", "))
					continue
				}
				r.Actions = append(r.Actions, a)
			}
		}},
		{name: "timeout", decode: func(v *yaml.Node, p string) {
			if dur, ok := d.duration(v, p, true); ok {
				r.Timeout = dur
			}
		}},
	})
	if n.Kind != yaml.MappingNode {
		return
	}
	switch len(kinds) {
	case 0:
		d.errorf(n, path, "say what rule %s looks for: words, patterns, invites, mentions, flood or repeats", r.Name)
	case 1:
	default:
		d.errorf(n, path, "rule %s looks for %s: give each rule one of them (write several rules instead)", r.Name, strings.Join(kinds, " and "))
	}
	if slices.Contains(r.Actions, bot.AutomodTimeout) && r.Timeout == 0 {
		d.errorf(actionsNode, join(path, "timeout"), "missing: how long the timeout lasts, like timeout: 10m")
	}
	if r.Timeout != 0 && !slices.Contains(r.Actions, bot.AutomodTimeout) {
		d.errorf(n, join(path, "timeout"), "timeout is set but actions has no timeout: add it or remove timeout")
	}
	if len(r.AllowInvites) > 0 && r.Kind != bot.AutomodInvites {
		d.errorf(n, join(path, "allow_invites"), "allow_invites only goes with invites: true")
	}
}
