package discordbot

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// Sender performs outbox messages on Discord: posts, edits and reactions.
// Get it from Adapter.Sender.
//
// Exactly once: a post carries a nonce derived from the outbox key with
// enforce_nonce, so Discord answers a re-send of the same key (a row
// reclaimed after a crash) with the message it already created, for as
// long as it remembers nonces (a few minutes; the dispatcher reclaims
// within 90 s). Edits and reactions are idempotent by nature.
//
// Rate limits: the dispatcher, not discordgo, decides when to retry. Sends
// do not let discordgo retry a 429; its retry_after comes back as a
// *bot.RateLimitError and the dispatcher stores the retry time in the row.
// discordgo would also sleep, without a context, before the next request
// on a bucket it saw exhausted; the Sender locks the bucket itself and
// returns a *bot.RateLimitError instead when the wait is longer than a
// second or than the send's deadline allows, so Send always honours ctx.
//
// Errors retrying cannot fix (a missing permission, an unknown channel or
// message, a refused message) come back as *bot.PermanentError saying what
// to do in plain words; 5xx answers and network errors are retried.
type Sender struct {
	session *discordgo.Session
	clock   bot.Clock
	log     *slog.Logger

	mu      sync.Mutex
	blocked map[string]time.Time // bucket → no request before this, by clock

	members *memberCache // forgets the members Liaison changes; nil: none kept
}

var _ bot.Sender = (*Sender)(nil)

// shortWait is the longest rate-limit wait a Send sleeps through itself.
const shortWait = time.Second

// Nonce returns the nonce a post of the outbox key carries: the first 25
// characters (Discord's limit) of the unpadded base64url SHA-256 of the key.
func Nonce(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:25]
}

// Send performs one outbox message. It is safe for concurrent use.
func (s *Sender) Send(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	if m.Platform != bot.PlatformDiscord {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("the Discord sender got a message for %q", m.Platform)}
	}
	switch m.Kind {
	case bot.KindPost, bot.KindUpdate:
		var p bot.Post
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: unreadable post: %w", m.Key, err)}
		}
		if m.Kind == bot.KindPost {
			return s.post(ctx, m, &p)
		}
		return s.update(ctx, m, &p)
	case bot.KindReact:
		var r bot.React
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: unreadable reaction: %w", m.Key, err)}
		}
		return s.react(ctx, m, &r)
	case bot.KindModerate:
		return s.moderate(ctx, m)
	case bot.KindUpload:
		return s.upload(ctx, m)
	case bot.KindDM:
		return s.dm(ctx, m)
	case bot.KindForumPost:
		return s.forumPost(ctx, m)
	case bot.KindForumUpdate:
		return s.forumUpdate(ctx, m)
	}
	return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("Liaison cannot %s on Discord yet", m.Kind)}
}

// postBody is a message as POST /channels/{id}/messages takes it: what
// discordgo's MessageSend has, plus the nonce.
type postBody struct {
	Content string `json:"content,omitempty"` // never "": Discord refuses it

	Components       []component      `json:"components,omitempty"`
	AllowedMentions  *AllowedMentions `json:"allowed_mentions"`
	MessageReference *reference       `json:"message_reference,omitempty"`
	Nonce            string           `json:"nonce"`
	EnforceNonce     bool             `json:"enforce_nonce"`
}

type reference struct {
	MessageID       string `json:"message_id"`
	FailIfNotExists bool   `json:"fail_if_not_exists"`
}

// editBody is what PATCH /channels/{id}/messages/{id} takes.
type editBody struct {
	Content         string           `json:"content"`
	Components      []component      `json:"components"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions"`
}

// sent is the part of Discord's message object a send needs.
type sent struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
}

// errEmpty is a post with nothing Discord would show.
var errEmpty = errors.New("the message is empty: it has no title, text, quote, fields, link or buttons")

// postBody renders what post sends for p: content cut at 2,000 characters
// as the last guard (logged), buttons, and the users it may ping.
func (s *Sender) postBody(m *bot.OutboxMessage, p *bot.Post) (postBody, error) {
	rows, err := buttonRows(p.Buttons)
	if err != nil {
		return postBody{}, &bot.PermanentError{Err: err}
	}
	out := PostOutgoing(p)
	body := postBody{
		Content: fit(s.log, "post "+m.Key, out.Content), Components: rows, AllowedMentions: out.AllowedMentions,
		Nonce: Nonce(m.Key), EnforceNonce: true,
	}
	if strings.TrimSpace(body.Content) == "" && len(rows) == 0 {
		return postBody{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: %w", m.Key, errEmpty)}
	}
	if ref := cmp.Or(p.ThreadOf, m.ParentRef); ref != "" {
		// A reply; if the message is gone, post anyway rather than fail.
		body.MessageReference = &reference{MessageID: ref}
	}
	return body, nil
}

func (s *Sender) post(ctx context.Context, m *bot.OutboxMessage, p *bot.Post) (bot.SendResult, error) {
	if p.ChannelID == "" {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: the post names no channel", m.Key)}
	}
	body, err := s.postBody(m, p)
	if err != nil {
		return bot.SendResult{}, err
	}
	ep := discordgo.EndpointChannelMessages(p.ChannelID)
	raw, err := s.request(ctx, "POST", ep, body, ep)
	if err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "post", p.ChannelID)
	}
	return decodeSent(raw, p.ChannelID)
}

func (s *Sender) update(ctx context.Context, m *bot.OutboxMessage, p *bot.Post) (bot.SendResult, error) {
	id := cmp.Or(p.MessageID, m.ParentRef)
	if p.ChannelID == "" || id == "" {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: the edit names no channel or message", m.Key)}
	}
	rows, err := buttonRows(p.Buttons)
	if err != nil {
		return bot.SendResult{}, &bot.PermanentError{Err: err}
	}
	out := PostOutgoing(p)
	body := editBody{Content: fit(s.log, "edit "+m.Key, out.Content), Components: rows, AllowedMentions: out.AllowedMentions}
	if strings.TrimSpace(body.Content) == "" && len(rows) == 0 {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: %w", m.Key, errEmpty)}
	}
	raw, err := s.request(ctx, "PATCH", discordgo.EndpointChannelMessage(p.ChannelID, id), body, discordgo.EndpointChannelMessage(p.ChannelID, ""))
	if err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "edit", p.ChannelID)
	}
	return decodeSent(raw, p.ChannelID)
}

func (s *Sender) react(ctx context.Context, m *bot.OutboxMessage, r *bot.React) (bot.SendResult, error) {
	id := cmp.Or(r.MessageID, m.ParentRef)
	if r.ChannelID == "" || id == "" || r.Emoji == "" {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: the reaction names no channel, message or emoji", m.Key)}
	}
	ep := discordgo.EndpointMessageReaction(r.ChannelID, id, url.PathEscape(r.Emoji), "@me")
	if _, err := s.request(ctx, "PUT", ep, nil, discordgo.EndpointMessageReaction(r.ChannelID, "", "", "")); err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "react", r.ChannelID)
	}
	return bot.SendResult{Channel: r.ChannelID}, nil
}

func decodeSent(raw []byte, channel string) (bot.SendResult, error) {
	var m sent
	if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" {
		// Discord did create it; a retry with the same nonce finds it.
		return bot.SendResult{}, fmt.Errorf("unreadable answer from Discord: %q", truncate(string(raw), 200))
	}
	return bot.SendResult{PlatformID: m.ID, Channel: cmp.Or(m.ChannelID, channel)}, nil
}

// request performs one REST call on a bucket the Sender locked itself, with
// no retry inside discordgo (429s and 502s come back as errors).
func (s *Sender) request(ctx context.Context, method, endpoint string, body any, bucketID string) ([]byte, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, &bot.PermanentError{Err: err}
		}
	}
	b, err := s.lockBucket(ctx, bucketID)
	if err != nil {
		return nil, err
	}
	raw, err := s.session.RequestWithLockedBucket(method, endpoint, "application/json", data, b, 0,
		discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
	var rle *discordgo.RateLimitError
	if errors.As(err, &rle) {
		return nil, s.rateLimited(ctx, b, bucketID, rle)
	}
	return raw, err
}

// lockBucket does what discordgo's limiter does before a request (lock the
// bucket, wait for its reset, count the request) but never sleeps longer
// than shortWait or past ctx: a longer wait is returned as a
// *bot.RateLimitError for the dispatcher to schedule.
func (s *Sender) lockBucket(ctx context.Context, id string) (*discordgo.Bucket, error) {
	rl := s.session.Ratelimiter
	b := rl.GetBucket(id)
	for {
		if wait := s.blockedFor(id); wait > 0 {
			return nil, &bot.RateLimitError{RetryAfter: wait, Err: errors.New("Discord asked Liaison to slow down in this channel")}
		}
		if err := lockCtx(ctx, &b.Mutex); err != nil {
			return nil, err
		}
		wait := rl.GetWaitTime(b, 1)
		if wait <= 0 {
			b.Remaining--
			return b, nil // RequestWithLockedBucket releases it
		}
		b.Unlock()
		if dl, ok := ctx.Deadline(); wait > shortWait || (ok && time.Until(dl) < wait) {
			return nil, &bot.RateLimitError{RetryAfter: wait, Err: errors.New("Discord's rate limit for this route is used up")}
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// rateLimited records a 429. The dispatcher keeps the wait in the outbox
// row, measured by the Clock; the Sender refuses the bucket until then,
// by the same Clock, and forgets discordgo's copy of the wait (measured by
// the wall clock), which would otherwise stall the next request inside
// discordgo.
func (s *Sender) rateLimited(ctx context.Context, b *discordgo.Bucket, id string, rle *discordgo.RateLimitError) error {
	wait := time.Second
	if rle.RateLimit != nil && rle.TooManyRequests != nil && rle.RetryAfter > 0 {
		wait = rle.RetryAfter
	}
	s.mu.Lock()
	s.blocked[id] = s.clock.Now().Add(wait)
	s.mu.Unlock()
	if lockCtx(ctx, &b.Mutex) == nil {
		b.Remaining = 1
		b.Unlock()
	}
	return &bot.RateLimitError{RetryAfter: wait, Err: rle}
}

// blockedFor returns how long the Sender still refuses a bucket after a
// 429 on it. (A global 429 is kept by discordgo's limiter, which
// lockBucket consults.)
func (s *Sender) blockedFor(id string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.blocked[id]
	if !ok {
		return 0
	}
	wait := until.Sub(s.clock.Now())
	if wait <= 0 {
		delete(s.blocked, id)
	}
	return wait
}

// lockCtx locks mu, giving up when ctx ends.
func lockCtx(ctx context.Context, mu *sync.Mutex) error {
	for !mu.TryLock() {
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// explain turns a Discord refusal into an error for the dispatcher: a
// *bot.PermanentError in plain words when retrying cannot help, the error
// itself otherwise.
func (s *Sender) explain(ctx context.Context, err error, op, channel string) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return err // network, timeout, rate limit: retry
	}
	status, code, msg := re.Response.StatusCode, 0, ""
	if re.Message != nil {
		code, msg = re.Message.Code, re.Message.Message
	}
	if status >= 500 || status == http.StatusUnauthorized {
		return fmt.Errorf("Discord answered %d to %s in channel %s: %w", status, op, channel, err)
	}
	where := s.channelName(ctx, channel)
	var plain string
	switch code {
	case discordgo.ErrCodeMissingPermissions:
		switch op {
		case "post":
			plain = fmt.Sprintf("Liaison cannot post in %s: give it Send Messages there", where)
		case "react":
			plain = fmt.Sprintf("Liaison cannot react in %s: give it Add Reactions and Read Message History there", where)
		default:
			plain = fmt.Sprintf("Liaison cannot edit its message in %s: give it View Channel and Send Messages there", where)
		}
	case discordgo.ErrCodeMissingAccess:
		plain = fmt.Sprintf("Liaison cannot see %s: give it View Channel and Send Messages there", where)
	case discordgo.ErrCodeUnknownChannel:
		plain = fmt.Sprintf("the Discord channel %s does not exist or Liaison cannot see it: check the channel in liaison.yaml", channel)
	case discordgo.ErrCodeUnknownMessage:
		plain = fmt.Sprintf("the message to %s in %s no longer exists (it was deleted)", verb(op), where)
	case discordgo.ErrCodeCannotEditFromAnotherUser:
		plain = fmt.Sprintf("Liaison can only edit its own messages (in %s)", where)
	case discordgo.ErrCodeUnknownEmoji:
		plain = "Discord does not know that emoji: use a Unicode emoji, or name:id for one of the server's own"
	default:
		plain = fmt.Sprintf("Discord refused to %s in %s: %s (HTTP %d, code %d)", verb(op), where, cmp.Or(msg, "no reason given"), status, code)
	}
	return &bot.PermanentError{Err: fmt.Errorf("%s: %w", plain, errPlain{err})}
}

// errPlain keeps the REST error in the chain without repeating its body in
// the message the dispatcher stores.
type errPlain struct{ err error }

func (e errPlain) Error() string {
	var re *discordgo.RESTError
	if errors.As(e.err, &re) && re.Message != nil {
		return fmt.Sprintf("Discord said %q", re.Message.Message)
	}
	return e.err.Error()
}
func (e errPlain) Unwrap() error { return e.err }

func verb(op string) string {
	switch op {
	case "react":
		return "react to"
	case "edit":
		return "edit"
	case "delete":
		return "delete"
	}
	return "post"
}

// channelName returns "#name" for a channel, from the gateway state or the
// REST API (through the Sender's own bucket locking, so ctx is honoured), or
// the id when neither knows it.
func (s *Sender) channelName(ctx context.Context, id string) string {
	if c, ok := stateChannel(s.session.State, id); ok && c.Name != "" {
		return "#" + c.Name
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ep := discordgo.EndpointChannel(id)
	var c struct {
		Name string `json:"name"`
	}
	if raw, err := s.request(ctx, "GET", ep, nil, ep); err == nil && json.Unmarshal(raw, &c) == nil && c.Name != "" {
		return "#" + c.Name
	}
	return "channel " + id
}
