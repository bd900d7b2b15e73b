package config

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Slack is the slack: section: the internal workspace's channels. Tokens are
// not here; they come from the environment.
type Slack struct {
	// Channels maps the short names the rest of the file uses (product,
	// community, mod-log) to Slack channel ids (C01PRODUCT; G… for old private
	// channels). Nil when none is declared.
	Channels map[string]string
}

// Discord is the discord: section: the public server(s). The file may
// declare one server with guild:, channels: and roles:, or several under
// guilds:; both forms end up in Guilds.
type Discord struct {
	// Guilds are the declared servers, in file order; empty when Discord is
	// not configured.
	Guilds []Guild
}

// Guild is one Discord server ("guild" in Discord's API) and the channels
// and roles Liaison knows it by.
type Guild struct {
	// ID is the server's id, a snowflake string of 17 to 20 digits.
	ID string
	// Name is an optional label for people and logs; empty in the
	// single-server form.
	Name string
	// Channels maps short names to Discord channel ids. Nil when none.
	Channels map[string]string
	// Roles maps short names (staff, moderators, protected) to the ids of the
	// Discord roles that make someone one of them. Nil when none.
	Roles map[string][]string
}

// Platforms of a ChannelRef.
const (
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
)

// ChannelRef is a destination named in the file, resolved to its platform
// id. In the file, a bare name (community) is a Slack channel from
// slack.channels and discord:NAME is a Discord channel from discord's
// channels; slack:NAME is also accepted.
type ChannelRef struct {
	// Platform is PlatformSlack or PlatformDiscord.
	Platform string
	// Name is the short name, without the platform prefix.
	Name string
	// ID is the platform's channel id.
	ID string
	// GuildID is the Discord server holding the channel; empty for Slack.
	GuildID string
}

// String writes r back the way the file names it: "community" or
// "discord:general".
func (r ChannelRef) String() string {
	if r.Platform == PlatformDiscord {
		return "discord:" + r.Name
	}
	return r.Name
}

// ResolveChannel turns a channel reference as written in the file or typed in
// a command ("community", "discord:general") into the channel's id. A name
// that is not declared gives a *bot.Error (not_found) listing the names that
// are; with several Discord servers, a name declared in more than one is
// refused as ambiguous.
func (c *Config) ResolveChannel(ref string) (ChannelRef, error) {
	platform, name, ok := strings.Cut(ref, ":")
	if !ok {
		platform, name = PlatformSlack, ref
	}
	switch platform {
	case PlatformSlack:
		if id, ok := c.Slack.Channels[name]; ok {
			return ChannelRef{Platform: PlatformSlack, Name: name, ID: id}, nil
		}
		return ChannelRef{}, bot.Errorf(bot.ENotFound, "no Slack channel named %s: %s",
			bot.Quoted(name), defined(slices.Collect(maps.Keys(c.Slack.Channels)), "slack.channels"))
	case PlatformDiscord:
		var found []ChannelRef
		var names, where []string
		for _, g := range c.Discord.Guilds {
			names = append(names, slices.Collect(maps.Keys(g.Channels))...)
			if id, ok := g.Channels[name]; ok {
				found = append(found, ChannelRef{Platform: PlatformDiscord, Name: name, ID: id, GuildID: g.ID})
				where = append(where, cmp.Or(g.Name, g.ID))
			}
		}
		switch len(found) {
		case 0:
			return ChannelRef{}, bot.Errorf(bot.ENotFound, "no Discord channel named %s: %s",
				bot.Quoted(name), defined(names, "discord channels"))
		case 1:
			return found[0], nil
		}
		return ChannelRef{}, bot.Errorf(bot.EInvalid, "the Discord channel name %q is declared in several servers (%s): give the channels different names",
			name, strings.Join(where, ", "))
	}
	return ChannelRef{}, bot.Errorf(bot.EInvalid, "%s is not a channel: write a Slack channel's name (community) or discord: and a Discord channel's name (discord:general)", bot.Quoted(ref))
}

// defined lists the declared names for a "no channel named …" message.
func defined(names []string, where string) string {
	if len(names) == 0 {
		return "none is declared under " + where + " yet"
	}
	slices.Sort(names)
	return "defined are " + strings.Join(slices.Compact(names), ", ")
}

var slackChannelID = regexp.MustCompile(`^[CG][0-9A-Z]{2,}$`)

func (d *decoder) slack(n *yaml.Node, path string, s *Slack) {
	d.fields(n, path, []field{
		{name: "channels", decode: func(v *yaml.Node, p string) {
			d.names(v, p, "a mapping of channel names to Slack channel ids (like {product: C01PRODUCT})", func(name string, v *yaml.Node, p string) {
				if s.Channels == nil {
					s.Channels = map[string]string{}
				}
				s.Channels[name] = "" // declared, even when its id is wrong, so references to it do not fail too
				id, ok := d.str(v, p, "a Slack channel id like C01PRODUCT")
				if !ok {
					return
				}
				if !slackChannelID.MatchString(id) {
					d.errorf(v, p, "%q is not a Slack channel id: ids look like C01PRODUCT (in Slack, open the channel's details: the id is at the bottom)", id)
					return
				}
				s.Channels[name] = id
			})
		}},
	})
}

func (d *decoder) discord(n *yaml.Node, path string, dc *Discord) {
	var single Guild
	var singleKeys []*yaml.Node // the guild:, channels: and roles: values present
	hasGuild, hasGuilds := false, false
	ok := d.fields(n, path, []field{
		{name: "guild", decode: func(v *yaml.Node, p string) {
			singleKeys, hasGuild = append(singleKeys, v), true
			single.ID, _ = d.discordID(v, p, "the id of your Discord server")
		}},
		{name: "channels", decode: func(v *yaml.Node, p string) {
			singleKeys = append(singleKeys, v)
			d.discordChannels(v, p, &single.Channels)
		}},
		{name: "roles", decode: func(v *yaml.Node, p string) {
			singleKeys = append(singleKeys, v)
			d.discordRoles(v, p, &single.Roles)
		}},
		{name: "guilds", decode: func(v *yaml.Node, p string) {
			hasGuilds = true
			listInto(d, v, p, "a list of servers (each like {id: \"998877665544332211\", channels: {…}, roles: {…}})", &dc.Guilds, d.guild)
			d.uniqueGuilds(v, p, dc.Guilds)
		}},
	})
	switch {
	case !ok:
	case hasGuilds && len(singleKeys) > 0:
		d.errorf(singleKeys[0], path, "use either guild:, channels: and roles: for one server, or guilds: for several, not both")
	case len(singleKeys) > 0 && !hasGuild:
		d.errorf(n, join(path, "guild"), "missing: the id of your Discord server, quoted (right-click the server icon, then Copy Server ID)")
	case len(singleKeys) > 0:
		dc.Guilds = []Guild{single}
	}
}

func (d *decoder) guild(g *Guild, n *yaml.Node, path string) {
	d.fields(n, path, []field{
		{name: "id", required: "the id of this Discord server, quoted (right-click the server icon, then Copy Server ID)", decode: func(v *yaml.Node, p string) {
			g.ID, _ = d.discordID(v, p, "the id of the Discord server")
		}},
		{name: "name", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a short name for this server"); ok && d.name(v, p, s) {
				g.Name = s
			}
		}},
		{name: "channels", decode: func(v *yaml.Node, p string) { d.discordChannels(v, p, &g.Channels) }},
		{name: "roles", decode: func(v *yaml.Node, p string) { d.discordRoles(v, p, &g.Roles) }},
	})
}

// uniqueGuilds reports a server declared twice, by id or by name.
func (d *decoder) uniqueGuilds(n *yaml.Node, path string, gs []Guild) {
	ids, names := map[string]int{}, map[string]int{}
	for i, g := range gs {
		at, p := n.Content[i], index(path, i)
		if j, dup := ids[g.ID]; dup && g.ID != "" {
			d.errorf(at, p+".id", "server %s is already declared at %s[%d]: declare each server once", g.ID, path, j)
		}
		if j, dup := names[g.Name]; dup && g.Name != "" {
			d.errorf(at, p+".name", "the name %q is already used by %s[%d]: names must be unique", g.Name, path, j)
		}
		ids[g.ID], names[g.Name] = i, i
	}
}

func (d *decoder) discordChannels(n *yaml.Node, path string, dst *map[string]string) {
	d.names(n, path, `a mapping of channel names to quoted Discord channel ids (like {feedback: "1100000000000000001"})`, func(name string, v *yaml.Node, p string) {
		if *dst == nil {
			*dst = map[string]string{}
		}
		(*dst)[name], _ = d.discordID(v, p, "a Discord channel id")
	})
}

func (d *decoder) discordRoles(n *yaml.Node, path string, dst *map[string][]string) {
	d.names(n, path, `a mapping of role names to lists of Discord role ids (like {staff: ["1200000000000000001"]})`, func(name string, v *yaml.Node, p string) {
		if *dst == nil {
			*dst = map[string][]string{}
		}
		ids := []string{}
		d.list(v, p, `a list of quoted Discord role ids (like ["1200000000000000001"])`, func(_ int, v *yaml.Node, p string) {
			if id, ok := d.discordID(v, p, "a Discord role id"); ok {
				ids = append(ids, id)
			}
		})
		(*dst)[name] = ids
	})
}

// channelRefs decodes a list of channel references (see ChannelRef) into
// dst. They are resolved after the whole file is read, since slack: and
// discord: may come after the section naming their channels; dst must
// therefore stay put until then (decode lists of entries with listInto).
func (d *decoder) channelRefs(n *yaml.Node, path string, dst *[]ChannelRef) {
	d.list(n, path, "a list of channel names (like [community] or [community, discord:general])", func(_ int, v *yaml.Node, p string) {
		if ref, ok := d.str(v, p, "a channel name like community or discord:general"); ok {
			d.later(func() {
				if r, ok := d.resolveRef(v, p, ref); ok {
					*dst = append(*dst, r)
				}
			})
		}
	})
}

// channelRef decodes one channel reference into dst, resolved after the
// whole file is read; dst must stay put until then.
func (d *decoder) channelRef(n *yaml.Node, path string, dst *ChannelRef) {
	if ref, ok := d.str(n, path, "a channel name like community or discord:general"); ok {
		d.later(func() { *dst, _ = d.resolveRef(n, path, ref) })
	}
}

func (d *decoder) resolveRef(n *yaml.Node, path, ref string) (ChannelRef, bool) {
	r, err := d.cfg.ResolveChannel(ref)
	if err != nil {
		d.errorf(n, path, "%s", bot.ErrorMessage(err))
		return ChannelRef{}, false
	}
	return r, true
}
