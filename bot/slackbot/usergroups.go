package slackbot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// DefaultGroupTTL is how long a Directory remembers a user group's members.
const DefaultGroupTTL = time.Minute

// Directory is what handlers read from the workspace and say to one person
// outside the outbox: the members of a user group (approvers named by
// slack_group, checked on every click, so remembered for TTL rather than
// asked each time), messages' permalinks (remembered) and ephemeral
// messages (the answer to a reaction, which has no response_url). Create it
// with NewDirectory; it is safe for concurrent use.
type Directory struct {
	sender *Sender
	clock  bot.Clock
	// TTL is how long members are remembered; DefaultGroupTTL when zero.
	TTL time.Duration

	mu     sync.Mutex
	groups map[string]cachedGroup
	// links are the permalinks read, by channel and ts: a message's
	// address does not change, and a relay shows its item's source and
	// the item it was merged into each time it is refreshed, inside the
	// transaction that changed it.
	links map[[2]string]string
}

// maxLinks bounds the permalinks a Directory remembers; past it, one it
// holds is forgotten for each new one.
const maxLinks = 4096

type cachedGroup struct {
	members []string
	until   time.Time
}

// NewDirectory returns a Directory reading through s, with time from clock
// (bot.SystemClock when nil).
func NewDirectory(s *Sender, clock bot.Clock) *Directory {
	if clock == nil {
		clock = bot.SystemClock{}
	}
	return &Directory{sender: s, clock: clock, groups: map[string]cachedGroup{}, links: map[[2]string]string{}}
}

// UsergroupMembers returns the user ids in a user group, from memory when
// read less than TTL ago, else from usergroups.users.list. A failed read is
// not remembered.
func (d *Directory) UsergroupMembers(ctx context.Context, groupID string) ([]string, error) {
	now := d.clock.Now()
	d.mu.Lock()
	g, ok := d.groups[groupID]
	d.mu.Unlock()
	if ok && now.Before(g.until) {
		return slices.Clone(g.members), nil
	}
	ids, err := d.sender.UsergroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	ttl := d.TTL
	if ttl <= 0 {
		ttl = DefaultGroupTTL
	}
	d.mu.Lock()
	d.groups[groupID] = cachedGroup{members: slices.Clone(ids), until: now.Add(ttl)}
	d.mu.Unlock()
	return ids, nil
}

// PostEphemeral shows r to one user in a channel (chat.postEphemeral).
func (d *Directory) PostEphemeral(ctx context.Context, channelID, userID string, r *bot.Reply) error {
	return d.sender.PostEphemeral(ctx, channelID, userID, r)
}

// OutboxKeyOf returns the outbox key in the metadata of Liaison's message
// ts in channelID; see Sender.OutboxKeyOf.
func (d *Directory) OutboxKeyOf(ctx context.Context, channelID, ts string) (string, error) {
	return d.sender.OutboxKeyOf(ctx, channelID, ts)
}

// Permalink returns the address of message ts in channelID, from memory
// when it was read before; see Sender.Permalink. A failed read is not
// remembered.
func (d *Directory) Permalink(ctx context.Context, channelID, ts string) (string, error) {
	k := [2]string{channelID, ts}
	d.mu.Lock()
	link, ok := d.links[k]
	d.mu.Unlock()
	if ok {
		return link, nil
	}
	link, err := d.sender.Permalink(ctx, channelID, ts)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	if len(d.links) >= maxLinks {
		for old := range d.links {
			delete(d.links, old)
			break
		}
	}
	d.links[k] = link
	d.mu.Unlock()
	return link, nil
}

// ChannelProblem says why Liaison cannot post in a Slack channel (missing,
// archived, Liaison not a member), "" when it can; an error when Slack
// could not be asked.
func (d *Directory) ChannelProblem(ctx context.Context, channelID string) (string, error) {
	ch, err := d.sender.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channelID})
	var c Channel
	if err == nil {
		c = Channel{ID: ch.ID, Name: ch.Name, Private: ch.IsPrivate, Archived: ch.IsArchived, Member: ch.IsMember}
	}
	problem, checked := PostProblem(c, err)
	if !checked {
		return "", fmt.Errorf("conversations.info %s: %w", channelID, err)
	}
	return problem, nil
}
