package handlers

import (
	"context"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// What the capabilities read from the platforms beyond the request in
// hand, declared where several use it. Each is attached late
// (Capabilities.Attach), and nil while its platform is off.

// messageReader is implemented by the Discord adapter and the console.
type messageReader interface {
	Message(ctx context.Context, channelID, messageID string) (*bot.Message, error)
}

// ownMessages is implemented by *slackbot.Directory and the console.
type ownMessages interface {
	// OutboxKeyOf reads the outbox key in the metadata of Liaison's
	// message ts, "" when it has none.
	OutboxKeyOf(ctx context.Context, channelID, ts string) (string, error)
}

// Reactions on Liaison's own Slack messages (a vote on a relay, ✅ on a
// draft) can arrive before the dispatcher has recorded the message's ts:
// feedback and approvals both find what a reaction is on through
// reactedTo.

// reactedTo finds, with find, what a Slack reaction e is on; when find
// finds nothing but the message is Liaison's own, it learns the message's
// ts (learnSlackMessage) and finds again. slack nil (Slack off) learns
// nothing.
func reactedTo[T any](ctx context.Context, tx *store.Tx, slack ownMessages, clock bot.Clock, e *bot.Reaction, find func() (T, error)) (T, error) {
	v, err := find()
	if bot.ErrorCode(err) != bot.ENotFound {
		return v, err
	}
	if learned, lerr := learnSlackMessage(ctx, tx, slack, clock, e); lerr != nil {
		return v, lerr
	} else if !learned {
		return v, err
	}
	return find()
}

// learnSlackMessage records the ts of Liaison's own Slack message that e
// reacts to on its outbox row, when the reaction came first: Slack has the
// message, but the dispatcher has not recorded its outcome yet (it does so
// per batch, and Slack paces a channel to a message a second). The
// message's metadata names the row. It reports whether it recorded one; a
// failed read fails the event, so Slack delivers it again.
func learnSlackMessage(ctx context.Context, tx *store.Tx, slack ownMessages, clock bot.Clock, e *bot.Reaction) (bool, error) {
	if !e.OwnMessage || e.Platform != bot.PlatformSlack || slack == nil {
		return false, nil
	}
	key, err := slack.OutboxKeyOf(ctx, e.ChannelID, e.MessageID)
	if err != nil || key == "" {
		return false, err
	}
	return tx.NotePlatformID(ctx, clock.Now(), key, e.ChannelID, e.MessageID)
}
