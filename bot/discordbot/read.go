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
	// The channel as Discord has it now: the session's copy of a thread
	// may predate its archiving or locking.
	c, err := a.session.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		c = nil
		if sc, ok := stateChannel(a.session.State, channelID); ok {
			c = &sc
		}
	}
	guild := ""
	if c != nil {
		guild = c.GuildID
	} else if len(a.opts.Guilds) == 1 {
		guild = a.opts.Guilds[0]
	}
	msg := a.messageIn(m, guild, c)
	if c != nil && c.ThreadMetadata != nil && (c.ThreadMetadata.Archived || c.ThreadMetadata.Locked) {
		msg.Closed = true
	}
	return msg, nil
}
