package slackbot

import (
	"cmp"
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// The direct calls: answers to the request in hand and reads, which are not
// outbox messages (a trigger_id dies after 3 seconds; a read changes nothing).

// PostEphemeral shows r to one user in a channel (chat.postEphemeral). Public
// is ignored: an ephemeral message is for its user only.
func (s *Sender) PostEphemeral(ctx context.Context, channelID, userID string, r *bot.Reply) error {
	msg := replyMessage(r)
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if msg.Blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	if _, err := s.api.PostEphemeralContext(ctx, channelID, userID, opts...); err != nil {
		return s.directError("show a message in", channelID, err)
	}
	return nil
}

// OutboxKeyOf returns the outbox key Liaison put in the metadata of its
// message ts in channelID (conversations.history), or "" when the message
// carries none: how a reaction that arrives before the dispatcher recorded
// the message's ts finds what it reacts to.
func (s *Sender) OutboxKeyOf(ctx context.Context, channelID, ts string) (string, error) {
	h, err := s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channelID, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1, IncludeAllMetadata: true,
	})
	if err != nil {
		return "", s.directError("read a message of", channelID, err)
	}
	for _, m := range h.Messages {
		if m.Timestamp == ts {
			return metadataKey(m), nil
		}
	}
	return "", nil
}

// Permalink returns the address of message ts in channelID
// (chat.getPermalink): how feedback logged in Slack links to its source.
func (s *Sender) Permalink(ctx context.Context, channelID, ts string) (string, error) {
	link, err := s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channelID, Ts: ts})
	if err != nil {
		return "", s.directError("link a message of", channelID, err)
	}
	return link, nil
}

// OpenView opens m in front of the user whose request carried triggerID
// (views.open). Slack honours a trigger for 3 seconds, once.
func (s *Sender) OpenView(ctx context.Context, triggerID string, m *bot.Modal) error {
	v, err := renderModal(m)
	if err != nil {
		return err
	}
	if _, err := s.api.OpenViewContext(ctx, triggerID, *v); err != nil {
		switch apiCode(err) {
		case "expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id":
			return bot.Errorf(bot.EConflict, "The form took too long to open. Please try again.")
		}
		return fmt.Errorf("slack: open view %s: %w", m.CallbackID, err)
	}
	return nil
}

// UpdateView replaces the content of an open view (views.update), e.g. to
// show a form's result in place. A view that was closed meanwhile gives a
// not_found error the caller can ignore.
func (s *Sender) UpdateView(ctx context.Context, viewID string, m *bot.Modal) error {
	v, err := renderModal(m)
	if err != nil {
		return err
	}
	if _, err := s.api.UpdateViewContext(ctx, *v, "", "", viewID); err != nil {
		if apiCode(err) == "not_found" {
			return bot.Errorf(bot.ENotFound, "That form is no longer open.")
		}
		return fmt.Errorf("slack: update view %s: %w", viewID, err)
	}
	return nil
}

// UsersInfo returns a Slack user (users.info).
func (s *Sender) UsersInfo(ctx context.Context, userID string) (bot.User, error) {
	u, err := s.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		if apiCode(err) == "user_not_found" {
			return bot.User{}, bot.Errorf(bot.ENotFound, "Slack has no user %s.", userID)
		}
		return bot.User{}, fmt.Errorf("slack: users.info %s: %w", userID, err)
	}
	return bot.User{
		Platform: bot.PlatformSlack,
		ID:       u.ID,
		Name:     u.Name,
		Display:  cmp.Or(u.Profile.DisplayName, u.Profile.RealName, u.RealName),
		Bot:      u.IsBot,
	}, nil
}

// UsergroupMembers returns the user ids in a user group
// (usergroups.users.list), e.g. the approvers named by slack_group.
func (s *Sender) UsergroupMembers(ctx context.Context, groupID string) ([]string, error) {
	ids, err := s.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		if apiCode(err) == "no_such_subteam" {
			return nil, bot.Errorf(bot.ENotFound, "Slack has no user group %s: check liaison.yaml.", groupID)
		}
		return nil, fmt.Errorf("slack: usergroups.users.list %s: %w", groupID, err)
	}
	return ids, nil
}

// directError maps an error of a direct call: a permanent Slack refusal
// becomes a bot.Error whose message the requester can act on.
func (s *Sender) directError(doing, channel string, err error) error {
	code := apiCode(err)
	if msg := s.explain(code, channel, err); msg != "" {
		return fmt.Errorf("slack: %s %s: %w", doing, channel, &bot.Error{Code: bot.EConflict, Message: msg + "."})
	}
	return fmt.Errorf("slack: %s %s: %w", doing, channel, err)
}
