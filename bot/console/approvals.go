package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// What handlers read from, and say directly in, the console's Slack: the
// same calls the Slack adapter's Directory answers.

// UsergroupMembers answers that nobody is in groupID: the console's Slack
// has no people beyond those its configuration names, so a user group
// (staff: [{slack_group: S01SUPPORT}], an approver group) adds nobody, and
// the people who count are those listed by name. A person typed in the
// console who is listed nowhere is then refused as a stranger would be,
// where an error reading the group would refuse everything they do.
func (c *Console) UsergroupMembers(_ context.Context, groupID string) ([]string, error) {
	return []string{}, nil
}

// PostEphemeral shows r to one person in a Slack channel, as
// chat.postEphemeral would: [slack #approvals] (to bob) liaison: ….
func (c *Console) PostEphemeral(_ context.Context, channelID, userID string, r *bot.Reply) error {
	c.mu.Lock()
	label, ok := c.dir.label(bot.PlatformSlack, channelID)
	ch, known := c.dir.byChanID[bot.PlatformSlack][channelID]
	name := c.dir.userName(bot.PlatformSlack, userID)
	c.mu.Unlock()
	if !ok || !known {
		return fmt.Errorf("console: no Slack channel %q to show a message in", channelID)
	}
	c.answer(ch.place(), label, bot.User{Platform: bot.PlatformSlack, ID: userID, Name: name}, r, nil)
	return nil
}

// OutboxKeyOf returns the outbox key Liaison's message ts in a Slack
// channel was posted under, as the metadata Slack keeps would say; "" for
// a message Liaison did not post.
func (c *Console) OutboxKeyOf(_ context.Context, channelID, ts string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posted[channelID+"\x00"+ts], nil
}

// Permalink returns the address of a Slack message of the console's world,
// as chat.getPermalink would.
func (c *Console) Permalink(_ context.Context, channelID, ts string) (string, error) {
	return "https://liaison-console.slack.com/archives/" + channelID + "/p" + strings.ReplaceAll(ts, ".", ""), nil
}
