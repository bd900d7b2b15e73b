package handlers

import (
	"slices"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

// directory names people and channels as the configuration declares them:
// who a platform account is in people:, who speaks for the team, how a
// person is shown in histories, what a Discord channel is called. Every
// capability receives the same one. Its methods are exported so that
// handlers/moderation can ask for them through an interface of its own.
type directory struct{ cfg *config.Config }

// staffRoles are the Discord role names (from discord.roles) whose holders
// are staff.
var staffRoles = []string{"staff", "moderators"}

// Person returns the people: name of u, or "" when u is not declared staff.
func (d directory) Person(u bot.User) string {
	for _, p := range d.cfg.People {
		if (u.Platform == bot.PlatformSlack && p.Slack != "" && p.Slack == u.ID) ||
			(u.Platform == bot.PlatformDiscord && p.Discord != "" && p.Discord == u.ID) {
			return p.Name
		}
	}
	return ""
}

// IsStaff reports whether u speaks for the team: declared in people:, or,
// on Discord, holding a staff or moderators role.
func (d directory) IsStaff(u bot.User) bool {
	if d.Person(u) != "" {
		return true
	}
	if u.Platform != bot.PlatformDiscord {
		return false
	}
	for _, g := range d.cfg.Discord.Guilds {
		for _, name := range staffRoles {
			for _, id := range g.Roles[name] {
				if slices.Contains(u.Roles, id) {
					return true
				}
			}
		}
	}
	return false
}

// Actor names u in histories and on relays: their people: name when staff,
// else their platform label.
func (d directory) Actor(u bot.User) string {
	if p := d.Person(u); p != "" {
		return p
	}
	return u.Label()
}

// slackName names a Slack user id: their people: name, else the id.
func (d directory) slackName(id string) string {
	if p := d.Person(bot.User{Platform: bot.PlatformSlack, ID: id}); p != "" {
		return p
	}
	return id
}

// ChannelName returns the short name config gives a Discord channel id.
func (d directory) ChannelName(id string) string {
	for _, g := range d.cfg.Discord.Guilds {
		for name, cid := range g.Channels {
			if cid == id {
				return name
			}
		}
	}
	return ""
}

// channelNames maps the configured Discord channel ids to their short
// names.
func (d directory) channelNames() map[string]string {
	out := map[string]string{}
	for _, g := range d.cfg.Discord.Guilds {
		for name, id := range g.Channels {
			out[id] = name
		}
	}
	return out
}
