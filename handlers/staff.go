package handlers

import (
	"slices"

	"github.com/liaison-bot/liaison/bot"
)

// staffRoles are the Discord role names (from discord.roles) whose holders
// are staff.
var staffRoles = []string{"staff", "moderators"}

// person returns the people: name of u, or "" when u is not declared staff.
func (r *Router) person(u bot.User) string {
	for _, p := range r.Config.People {
		if (u.Platform == bot.PlatformSlack && p.Slack != "" && p.Slack == u.ID) ||
			(u.Platform == bot.PlatformDiscord && p.Discord != "" && p.Discord == u.ID) {
			return p.Name
		}
	}
	return ""
}

// isStaff reports whether u speaks for the team: declared in people:, or,
// on Discord, holding a staff or moderators role.
func (r *Router) isStaff(u bot.User) bool {
	if r.person(u) != "" {
		return true
	}
	if u.Platform != bot.PlatformDiscord {
		return false
	}
	for _, g := range r.Config.Discord.Guilds {
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

// actor names u in histories and on relays: their people: name when staff,
// else their platform label.
func (r *Router) actor(u bot.User) string {
	if p := r.person(u); p != "" {
		return p
	}
	return u.Label()
}

// discordChannelName returns the short name config gives a Discord channel id.
func (r *Router) discordChannelName(id string) string {
	for _, g := range r.Config.Discord.Guilds {
		for name, cid := range g.Channels {
			if cid == id {
				return name
			}
		}
	}
	return ""
}
