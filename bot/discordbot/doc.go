// Package discordbot is Liaison's Discord adapter: it connects to Discord
// through github.com/bwmarrin/discordgo (gateway sessions for events, REST for
// messages, moderation actions and command registration) and translates between
// Discord's shapes and the types declared in package bot.
//
// Domain rules do not live here. Tests talk to the fake in discordfake, reached
// through NewTransport so that no discordgo global has to be changed.
package discordbot
