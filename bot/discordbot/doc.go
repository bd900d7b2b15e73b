// Package discordbot is Liaison's Discord adapter: it connects to Discord
// through github.com/bwmarrin/discordgo (gateway sessions for events, REST for
// messages, moderation actions and command registration) and translates between
// Discord's shapes and the types declared in package bot.
//
// An Adapter owns one gateway session. Gateway events become bot events
// delivered to a bot.Handler in order per channel; interactions (from the
// gateway or from the optional HTTP endpoint) become bot.Command, bot.Action
// and bot.Submission and are answered within Discord's three seconds; the
// Sender performs outbox messages exactly once using Discord's enforced
// nonce. After a restart, or a session that could not be resumed, the
// catch-up (catchup.go) reads what was missed in the watched channels from
// where each was left (a cursor kept in the store).
//
// Domain rules do not live here. Tests talk to the fake in discordfake, reached
// through NewTransport so that no discordgo global has to be changed.
package discordbot
