package discordbot

import (
	"context"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// Message reads one message back from Discord, converted as the gateway's
// would be: handlers use it for what an event does not carry (the text of a
// message someone flagged). A plain client call, not an outbox write.
func (a *Adapter) Message(ctx context.Context, channelID, messageID string) (*bot.Message, error) {
	m, err := a.session.ChannelMessage(channelID, messageID, discordgo.WithContext(ctx))
	if err != nil {
		var rest *discordgo.RESTError
		if errors.As(err, &rest) && rest.Message != nil && rest.Message.Code == discordgo.ErrCodeUnknownMessage {
			return nil, bot.Errorf(bot.ENotFound, "That Discord message no longer exists.")
		}
		return nil, fmt.Errorf("read discord message %s/%s: %w", channelID, messageID, err)
	}
	guild := ""
	if c, err := a.session.State.Channel(channelID); err == nil {
		guild = c.GuildID
	} else if len(a.opts.Guilds) == 1 {
		guild = a.opts.Guilds[0]
	}
	return a.message(m, guild), nil
}
