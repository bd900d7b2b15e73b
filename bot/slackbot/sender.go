package slackbot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// MetadataEventType is the event_type of the message metadata every post
// carries; its payload is {"key": OUTBOX_KEY}.
const MetadataEventType = "liaison_outbox"

// Look-back bounds of the search for a reclaimed post.
const (
	historyLimit = 100             // messages of a channel (or a thread) examined
	clockSkew    = 5 * time.Minute // how much earlier than its row Slack may date a post
)

// Sender performs Slack outbox messages (bot.KindPost, KindUpdate, KindReact,
// KindUpload) and the direct calls a handler makes for the request in hand.
// Get it from Adapter.Sender. It is safe for concurrent use.
type Sender struct {
	api      *slack.Client
	log      *slog.Logger
	channels map[string]string
	pace     *pacer
}

var _ bot.Sender = (*Sender)(nil)

// Send performs one outbox message. A post carries its key in message
// metadata; a reclaimed post (one a crashed dispatcher may have sent) is
// first looked for in the channel's recent history (and its thread) and,
// when found, not sent again. Posts and uploads are paced per channel.
// Errors: *bot.RateLimitError when Slack (or the pacing) says wait,
// *bot.PermanentError with a message for a person when retrying cannot help,
// any other error to be retried.
func (s *Sender) Send(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	switch m.Kind {
	case bot.KindPost:
		var p bot.Post
		if err := decode(m, &p); err != nil {
			return bot.SendResult{}, err
		}
		return s.post(ctx, m, &p)
	case bot.KindUpdate:
		var p bot.Post
		if err := decode(m, &p); err != nil {
			return bot.SendResult{}, err
		}
		return s.update(ctx, m, &p)
	case bot.KindReact:
		var r bot.React
		if err := decode(m, &r); err != nil {
			return bot.SendResult{}, err
		}
		return s.react(ctx, m, &r)
	case bot.KindUpload:
		var u bot.Upload
		if err := decode(m, &u); err != nil {
			return bot.SendResult{}, err
		}
		return s.upload(ctx, m, &u)
	}
	return bot.SendResult{}, permanent(fmt.Errorf("Liaison cannot send a %q to Slack (outbox message %s)", m.Kind, m.Key))
}

func decode(m *bot.OutboxMessage, v any) error {
	if err := json.Unmarshal(m.Payload, v); err != nil {
		return permanent(fmt.Errorf("outbox message %s: unreadable %s payload: %w", m.Key, m.Kind, err))
	}
	return nil
}

func permanent(err error) error { return &bot.PermanentError{Err: err} }

func (s *Sender) post(ctx context.Context, m *bot.OutboxMessage, p *bot.Post) (bot.SendResult, error) {
	if p.ChannelID == "" {
		return bot.SendResult{}, permanent(fmt.Errorf("outbox message %s names no Slack channel", m.Key))
	}
	thread := cmp.Or(p.ThreadOf, m.ParentRef)
	blocks, text, err := renderPost(p)
	if err != nil {
		return bot.SendResult{}, permanent(fmt.Errorf("outbox message %s: %w", m.Key, err))
	}
	if m.Reclaimed {
		ts, found, err := s.findPosted(ctx, p.ChannelID, thread, m)
		if err != nil {
			return bot.SendResult{}, s.mapError("look for an earlier copy of a message in", p.ChannelID, err)
		}
		if found {
			s.log.Info("slack: reclaimed message was already posted; recording it", "key", m.Key, "channel", p.ChannelID, "ts", ts)
			return bot.SendResult{PlatformID: ts, Channel: p.ChannelID}, nil
		}
	}
	release, err := s.turn(ctx, p.ChannelID)
	if err != nil {
		return bot.SendResult{}, err
	}
	defer release()
	opts := []slack.MsgOption{
		slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: MetadataEventType, EventPayload: map[string]any{"key": m.Key}}),
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	channel, ts, err := s.api.PostMessageContext(ctx, p.ChannelID, opts...)
	if err != nil {
		return bot.SendResult{}, s.mapError("post in", p.ChannelID, err)
	}
	return bot.SendResult{PlatformID: ts, Channel: cmp.Or(channel, p.ChannelID)}, nil
}

// turn waits for the channel's next posting turn; call release once the
// post is done. A turn beyond the send's deadline becomes a rate limit: the
// dispatcher reschedules the message for then, without counting an attempt.
func (s *Sender) turn(ctx context.Context, channel string) (release func(), err error) {
	release, err = s.pace.acquire(ctx, channel)
	var tl *tooLong
	if errors.As(err, &tl) {
		return nil, &bot.RateLimitError{RetryAfter: tl.wait, Err: err}
	}
	return release, err
}

// findPosted looks for a message carrying m's key in its metadata: among the
// channel's last messages and, for a reply, the thread's, none older than
// m's row (less clock skew).
func (s *Sender) findPosted(ctx context.Context, channel, thread string, m *bot.OutboxMessage) (string, bool, error) {
	var oldest string
	if !m.CreatedAt.IsZero() {
		oldest = slackTS(m.CreatedAt.Add(-clockSkew))
	}
	if thread != "" {
		msgs, _, _, err := s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: thread, Oldest: oldest, Limit: historyLimit, IncludeAllMetadata: true,
		})
		if err != nil {
			return "", false, err
		}
		if ts, ok := carrying(msgs, m.Key); ok {
			return ts, true, nil
		}
	}
	h, err := s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: oldest, Limit: historyLimit, IncludeAllMetadata: true,
	})
	if err != nil {
		return "", false, err
	}
	ts, ok := carrying(h.Messages, m.Key)
	return ts, ok, nil
}

// carrying finds the message whose Liaison metadata holds key.
func carrying(msgs []slack.Message, key string) (string, bool) {
	for _, msg := range msgs {
		if metadataKey(msg) == key {
			return msg.Timestamp, true
		}
	}
	return "", false
}

// metadataKey is the outbox key in a message's Liaison metadata, "" when
// it carries none.
func metadataKey(msg slack.Message) string {
	if msg.Metadata.EventType != MetadataEventType {
		return ""
	}
	k, _ := msg.Metadata.EventPayload["key"].(string)
	return k
}

// slackTS renders t as a Slack timestamp ("1700000000.000000").
func slackTS(t time.Time) string {
	if t.Unix() <= 0 {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10) + ".000000"
}

func (s *Sender) update(ctx context.Context, m *bot.OutboxMessage, p *bot.Post) (bot.SendResult, error) {
	ts := cmp.Or(p.MessageID, m.ParentRef)
	if p.ChannelID == "" || ts == "" {
		return bot.SendResult{}, permanent(fmt.Errorf("outbox message %s: an edit needs a channel and the message to edit", m.Key))
	}
	blocks, text, err := renderPost(p)
	if err != nil {
		return bot.SendResult{}, permanent(fmt.Errorf("outbox message %s: %w", m.Key, err))
	}
	channel, ts, _, err := s.api.UpdateMessageContext(ctx, p.ChannelID, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return bot.SendResult{}, s.mapError("edit a message in", p.ChannelID, err)
	}
	return bot.SendResult{PlatformID: ts, Channel: cmp.Or(channel, p.ChannelID)}, nil
}

func (s *Sender) react(ctx context.Context, m *bot.OutboxMessage, r *bot.React) (bot.SendResult, error) {
	ts := cmp.Or(r.MessageID, m.ParentRef)
	if r.ChannelID == "" || ts == "" {
		return bot.SendResult{}, permanent(fmt.Errorf("outbox message %s: a reaction needs a channel and a message", m.Key))
	}
	name, err := Shortcode(r.Emoji)
	if err != nil {
		return bot.SendResult{}, permanent(err)
	}
	err = s.api.AddReactionContext(ctx, name, slack.NewRefToMessage(r.ChannelID, ts))
	if err != nil && apiCode(err) != "already_reacted" {
		return bot.SendResult{}, s.mapError("react in", r.ChannelID, err)
	}
	return bot.SendResult{Channel: r.ChannelID}, nil
}

// upload shares a file in a channel or thread. Slack's upload takes no
// metadata, so a reclaimed upload is recognised by a file of the same name
// that Liaison shared there since the row was created. The result's
// PlatformID is the file id.
func (s *Sender) upload(ctx context.Context, m *bot.OutboxMessage, u *bot.Upload) (bot.SendResult, error) {
	thread := cmp.Or(u.ThreadOf, m.ParentRef)
	dm := u.ToUser != ""
	if dm {
		ch, err := s.openDM(ctx, u.ToUser)
		if err != nil {
			return bot.SendResult{}, err
		}
		u.ChannelID = ch
	}
	if u.ChannelID == "" || u.Filename == "" || len(u.Data) == 0 {
		return bot.SendResult{}, permanent(fmt.Errorf("outbox message %s: an upload needs a channel, a file name and some data", m.Key))
	}
	// A direct message's history is not Liaison's to read (im:history is
	// not asked for): a file to one person re-sent after a crash may reach
	// them twice.
	if m.Reclaimed && !dm {
		id, found, err := s.findUpload(ctx, u.ChannelID, thread, u.Filename, m)
		if err != nil {
			return bot.SendResult{}, s.mapError("look for an earlier copy of a file in", u.ChannelID, err)
		}
		if found {
			return bot.SendResult{PlatformID: id, Channel: u.ChannelID}, nil
		}
	}
	release, err := s.turn(ctx, u.ChannelID)
	if err != nil {
		return bot.SendResult{}, err
	}
	defer release()
	f, err := s.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(u.Data), FileSize: len(u.Data), Filename: u.Filename,
		Title: esc(cmp.Or(u.Title, u.Filename)), InitialComment: esc(u.Comment),
		Channel: u.ChannelID, ThreadTimestamp: thread,
	})
	if err != nil {
		return bot.SendResult{}, s.mapError("upload a file to", u.ChannelID, err)
	}
	return bot.SendResult{PlatformID: f.ID, Channel: u.ChannelID}, nil
}

func (s *Sender) findUpload(ctx context.Context, channel, thread, name string, m *bot.OutboxMessage) (string, bool, error) {
	var oldest string
	if !m.CreatedAt.IsZero() {
		oldest = slackTS(m.CreatedAt.Add(-clockSkew))
	}
	var msgs []slack.Message
	if thread != "" {
		replies, _, _, err := s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: thread, Oldest: oldest, Limit: historyLimit,
		})
		if err != nil {
			return "", false, err
		}
		msgs = replies
	} else {
		h, err := s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Oldest: oldest, Limit: historyLimit})
		if err != nil {
			return "", false, err
		}
		msgs = h.Messages
	}
	for _, msg := range msgs {
		if msg.BotID == "" {
			continue
		}
		for _, f := range msg.Files {
			if f.Name == name {
				return f.ID, true, nil
			}
		}
	}
	return "", false, nil
}
