package discordbot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// The status board's posts in a forum channel (bot.KindForumPost and
// bot.KindForumUpdate).
//
// A post is opened with POST /channels/{forum}/threads, whose message
// takes no nonce: a send reclaimed after a crash first looks among the
// forum's active posts for one Liaison opened that carries the payload's
// marker, and records it instead of opening another. Tags are the forum's
// (available_tags, at most 20): a tag the forum lacks is added with PATCH
// /channels/{forum}, which needs Manage Channels; when the forum has no
// room left, or Liaison may not add tags, the post goes without and the
// reason is logged, since the post's text says the status anyway.

// maxForumTags is how many tags Discord lets a forum have.
const maxForumTags = 20

// forumChannel is the part of a forum's channel object the board needs.
type forumChannel struct {
	ID            string                `json:"id"`
	Type          discordgo.ChannelType `json:"type"`
	Name          string                `json:"name"`
	AvailableTags []discordgo.ForumTag  `json:"available_tags"`
}

// threadBody is what POST /channels/{forum}/threads takes.
type threadBody struct {
	Name        string     `json:"name"`
	Message     forumFirst `json:"message"`
	AppliedTags []string   `json:"applied_tags,omitempty"`
}

// forumFirst is a post's first message.
type forumFirst struct {
	Content         string           `json:"content"`
	Components      []component      `json:"components,omitempty"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions"`
}

// errNotForum says a board is not a forum channel.
func errNotForum(c *forumChannel) error {
	return bot.Errorf(bot.EInvalid, "#%s is not a forum channel: feedback.board must name a forum (a channel where each topic is a post), so that each item gets a post there", c.Name)
}

// CheckForum says whether channelID is a forum channel Liaison can see: nil
// when it is, a bot.Error saying what to fix when it is not.
func (a *Adapter) CheckForum(ctx context.Context, channelID string) error {
	c, err := a.sender.forum(ctx, channelID)
	if err != nil {
		return err
	}
	if c.Type != discordgo.ChannelTypeGuildForum {
		return errNotForum(c)
	}
	return nil
}

// forum reads a channel's object.
func (s *Sender) forum(ctx context.Context, id string) (*forumChannel, error) {
	ep := discordgo.EndpointChannel(id)
	raw, err := s.request(ctx, "GET", ep, nil, ep)
	if err != nil {
		return nil, s.explain(ctx, err, "read", id)
	}
	var c forumChannel
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("unreadable channel %s from Discord: %w", id, err)
	}
	return &c, nil
}

// forumTag returns the id of the forum's tag named fp.Tag, adding the
// payload's tags the forum lacks first (as many as fit): "" when the post
// is to wear no tag. A channel that is not a forum is a permanent error.
func (s *Sender) forumTag(ctx context.Context, fp *bot.ForumPost) (string, error) {
	c, err := s.forum(ctx, fp.ChannelID)
	if err != nil {
		return "", err
	}
	if c.Type != discordgo.ChannelTypeGuildForum {
		return "", &bot.PermanentError{Err: errNotForum(c)}
	}
	if fp.Tag == "" {
		return "", nil
	}
	find := func(tags []discordgo.ForumTag, name string) int {
		return slices.IndexFunc(tags, func(t discordgo.ForumTag) bool { return strings.EqualFold(t.Name, name) })
	}
	if i := find(c.AvailableTags, fp.Tag); i >= 0 {
		return c.AvailableTags[i].ID, nil
	}
	tags := slices.Clone(c.AvailableTags)
	for _, name := range append([]string{fp.Tag}, fp.Tags...) {
		if len(tags) == maxForumTags {
			break
		}
		if find(tags, name) < 0 {
			tags = append(tags, discordgo.ForumTag{Name: name})
		}
	}
	if find(tags, fp.Tag) < 0 {
		s.log.Warn("discord: the board's forum has 20 tags already, Discord's most: its posts go without a status tag until one is removed",
			"forum", "#"+c.Name, "tag", fp.Tag)
		return "", nil
	}
	ep := discordgo.EndpointChannel(fp.ChannelID)
	raw, err := s.request(ctx, "PATCH", ep, map[string]any{"available_tags": tags}, ep)
	if err != nil {
		if restCode(err) == discordgo.ErrCodeMissingPermissions || restStatus(err) == 403 {
			s.log.Warn("discord: Liaison may not add the board's status tags: give it Manage Channels in the forum; posts go without a tag until then",
				"forum", "#"+c.Name, "tag", fp.Tag)
			return "", nil
		}
		return "", s.explain(ctx, err, "edit", fp.ChannelID)
	}
	var after forumChannel
	if err := json.Unmarshal(raw, &after); err != nil {
		return "", fmt.Errorf("unreadable channel %s from Discord: %w", fp.ChannelID, err)
	}
	if i := find(after.AvailableTags, fp.Tag); i >= 0 {
		return after.AvailableTags[i].ID, nil
	}
	return "", nil
}

// forumMessage renders a post's first message.
func (s *Sender) forumMessage(m *bot.OutboxMessage, p *bot.Post) (forumFirst, error) {
	rows, err := buttonRows(p.Buttons)
	if err != nil {
		return forumFirst{}, &bot.PermanentError{Err: err}
	}
	out := PostOutgoing(p)
	f := forumFirst{Content: fit(s.log, "forum post "+m.Key, out.Content), Components: rows, AllowedMentions: out.AllowedMentions}
	if strings.TrimSpace(f.Content) == "" && len(rows) == 0 {
		return forumFirst{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: %w", m.Key, errEmpty)}
	}
	return f, nil
}

func decodeForumPost(m *bot.OutboxMessage) (*bot.ForumPost, error) {
	var fp bot.ForumPost
	if err := json.Unmarshal(m.Payload, &fp); err != nil {
		return nil, &bot.PermanentError{Err: fmt.Errorf("outbox %s: unreadable forum post: %w", m.Key, err)}
	}
	if fp.ChannelID == "" {
		return nil, &bot.PermanentError{Err: fmt.Errorf("outbox %s: the forum post names no forum", m.Key)}
	}
	return &fp, nil
}

// forumPost opens a post; its platform id is the thread's (and its first
// message's).
func (s *Sender) forumPost(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	fp, err := decodeForumPost(m)
	if err != nil {
		return bot.SendResult{}, err
	}
	first, err := s.forumMessage(m, &fp.Post)
	if err != nil {
		return bot.SendResult{}, err
	}
	tag, err := s.forumTag(ctx, fp)
	if err != nil {
		return bot.SendResult{}, err
	}
	if m.Reclaimed {
		if id, ok := s.findForumPost(ctx, fp); ok {
			return bot.SendResult{PlatformID: id, Channel: id}, nil
		}
	}
	name := []rune(strings.TrimSpace(fp.Name))
	if len(name) > 100 {
		name = append(name[:99], '…')
	}
	body := threadBody{Name: cmp.Or(string(name), fp.Marker), Message: first}
	if tag != "" {
		body.AppliedTags = []string{tag}
	}
	ep := discordgo.EndpointChannelThreads(fp.ChannelID)
	raw, err := s.request(ctx, "POST", ep, body, ep)
	if err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "post", fp.ChannelID)
	}
	var th struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &th) != nil || th.ID == "" {
		return bot.SendResult{}, fmt.Errorf("unreadable answer from Discord: %q", truncate(string(raw), 200))
	}
	return bot.SendResult{PlatformID: th.ID, Channel: th.ID}, nil
}

// findForumPost looks among the forum's active posts for the one a send
// of fp may already have opened: named fp.Name, its first message by a bot
// and carrying fp.Marker.
func (s *Sender) findForumPost(ctx context.Context, fp *bot.ForumPost) (string, bool) {
	if fp.GuildID == "" || fp.Marker == "" {
		return "", false
	}
	ep := discordgo.EndpointGuildActiveThreads(fp.GuildID)
	raw, err := s.request(ctx, "GET", ep, nil, ep)
	if err != nil {
		return "", false
	}
	var active struct {
		Threads []struct {
			ID       string `json:"id"`
			ParentID string `json:"parent_id"`
			Name     string `json:"name"`
		} `json:"threads"`
	}
	if json.Unmarshal(raw, &active) != nil {
		return "", false
	}
	for _, th := range active.Threads {
		if th.ParentID != fp.ChannelID || th.Name != strings.TrimSpace(fp.Name) {
			continue
		}
		mep := discordgo.EndpointChannelMessage(th.ID, th.ID)
		raw, err := s.request(ctx, "GET", mep, nil, discordgo.EndpointChannelMessage(th.ID, ""))
		if err != nil {
			continue
		}
		var first struct {
			Content string `json:"content"`
			Author  struct {
				Bot bool `json:"bot"`
			} `json:"author"`
		}
		if json.Unmarshal(raw, &first) == nil && first.Author.Bot && strings.Contains(first.Content, fp.Marker) {
			return th.ID, true
		}
	}
	return "", false
}

// forumUpdate edits a post's first message and, when fp.Tag is set, the
// tag it wears (an archived post is reopened by that edit of its
// channel). Its platform id is the post's, for the next edit.
func (s *Sender) forumUpdate(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	fp, err := decodeForumPost(m)
	if err != nil {
		return bot.SendResult{}, err
	}
	thread := cmp.Or(fp.ThreadID, m.ParentRef)
	if thread == "" {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: the edit names no post", m.Key)}
	}
	first, err := s.forumMessage(m, &fp.Post)
	if err != nil {
		return bot.SendResult{}, err
	}
	patch := map[string]any{"archived": false}
	if fp.Tag != "" {
		tag, err := s.forumTag(ctx, fp)
		if err != nil {
			return bot.SendResult{}, err
		}
		tags := []string{}
		if tag != "" {
			tags = append(tags, tag)
		}
		patch["applied_tags"] = tags
	}
	ep := discordgo.EndpointChannel(thread)
	if _, err := s.request(ctx, "PATCH", ep, patch, ep); err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "edit", thread)
	}
	body := editBody{Content: first.Content, Components: first.Components, AllowedMentions: first.AllowedMentions}
	if _, err := s.request(ctx, "PATCH", discordgo.EndpointChannelMessage(thread, thread), body, discordgo.EndpointChannelMessage(thread, "")); err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "edit", thread)
	}
	return bot.SendResult{PlatformID: thread, Channel: thread}, nil
}
