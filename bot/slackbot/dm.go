package slackbot

import (
	"context"

	"github.com/slack-go/slack"
)

// openDM returns the id of Liaison's direct message with user
// (conversations.open, scope im:write), which Slack opens when needed: a
// file reaches a person there, since files.completeUploadExternal takes a
// conversation's id, never a user's.
func (s *Sender) openDM(ctx context.Context, user string) (string, error) {
	ch, _, _, err := s.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", s.mapError("open a direct message with", user, err)
	}
	return ch.ID, nil
}
