package discordbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// postNeeds are the permissions a post with an attachment needs.
const postNeeds = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionAttachFiles

// CanPost checks, before anything is promised, that Liaison can post
// messages with files in a text channel of the server guildID: a
// bot.Error saying what to fix when it cannot.
func (a *Adapter) CanPost(ctx context.Context, guildID, channelID string) error {
	ch, err := a.session.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		if c := restCode(err); c == discordgo.ErrCodeUnknownChannel || c == discordgo.ErrCodeMissingAccess || restStatus(err) == http.StatusNotFound {
			return bot.Errorf(bot.ENotFound, "Liaison cannot see the channel %s: pick a channel of this server, and give Liaison View Channel there.", channelID)
		}
		return fmt.Errorf("read channel %s: %w", channelID, err)
	}
	name := "#" + ch.Name
	if ch.GuildID != guildID {
		return bot.Errorf(bot.EInvalid, "%s is not a channel of this server.", name)
	}
	if ch.Type != discordgo.ChannelTypeGuildText && ch.Type != discordgo.ChannelTypeGuildNews {
		return bot.Errorf(bot.EInvalid, "%s is not a text channel: pick one where members can read messages.", name)
	}
	g, err := a.session.Guild(guildID, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("read Discord server %s: %w", guildID, err)
	}
	self := a.self()
	if self == "" {
		me, err := a.session.User("@me", discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("read Liaison's own Discord user: %w", err)
		}
		self = me.ID
	}
	m, err := a.session.GuildMember(guildID, self, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("read Liaison's own roles in %s: %w", guildID, err)
	}
	if m.User == nil {
		m.User = &discordgo.User{ID: self}
	}
	p := ChannelPermissions(g, m, ch)
	if p&postNeeds == postNeeds {
		return nil
	}
	why := ""
	for _, bit := range []int64{discordgo.PermissionViewChannel, discordgo.PermissionSendMessages, discordgo.PermissionAttachFiles} {
		if by := DeniedBy(g, m, ch, bit); by != "" {
			why = " (" + by + " takes it away)"
			break
		}
	}
	return bot.Errorf(bot.EInvalid, "Liaison cannot post in %s%s: give it View Channel, Send Messages and Attach Files there, or pick another channel.", name, why)
}

// restStatus is the HTTP status of a REST error, 0 for another error.
func restStatus(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

// ChannelSlowmode returns a channel's slowmode, in seconds, as Discord has
// it now: from the gateway's state, which every CHANNEL_UPDATE keeps
// current, or, for a channel the state does not hold, from the REST API.
// A raid's start reads it for each slowmode channel inside the transaction
// that starts the raid, where a REST call held every other commit waiting
// (group commit), just as the raid's joins poured in.
func (a *Adapter) ChannelSlowmode(ctx context.Context, channelID string) (int, error) {
	if c, ok := stateChannel(a.session.State, channelID); ok {
		return c.RateLimitPerUser, nil
	}
	c, err := a.session.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("read the slowmode of channel %s: %w", channelID, err)
	}
	return c.RateLimitPerUser, nil
}
