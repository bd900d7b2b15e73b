package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Platforms an outbox message can be sent to.
const (
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
)

// OutboxMessage is one outgoing platform write (a post, an edit, a reaction,
// an upload, a moderation action) recorded in the same transaction as the
// state change that caused it. The dispatcher sends it later, at least once;
// Key makes it exactly once: enqueueing a key twice leaves one row, and the
// sender passes the key to the platform (Slack message metadata, Discord
// nonce) so a re-send after a crash can be recognised.
type OutboxMessage struct {
	ID       int64
	Key      string          // deterministic, e.g. "relay:42:C01PRODUCT"; unique
	Platform string          // PlatformSlack or PlatformDiscord
	Kind     string          // what the sender should do: "post", "update", "react"…
	Payload  json.RawMessage // the kind's parameters, as the platform's sender reads them
	// ParentKey names another outbox message this one depends on (a reply in
	// a relay's thread, a chart in a digest's thread). The message is not
	// claimed before its parent is sent; ParentRef then carries the parent's
	// platform id (Slack ts, Discord message id).
	ParentKey string
	ParentRef string
	// NotBefore delays the first attempt; the zero value means now.
	NotBefore time.Time

	// Set by the store when a dispatcher claims the message.
	Attempts  int  // attempts so far, this one included
	Reclaimed bool // a previous sender may have sent it: look before sending again
	CreatedAt time.Time
	Lane      string // Lane of the message, "" for none
}

// SendResult is what the platform answered to a successful send.
type SendResult struct {
	PlatformID string // Slack ts or Discord message id; empty for writes that have none
	Channel    string // the channel it landed in, when the platform says
}

// Sender performs outbox messages on one platform. Send must be safe for
// concurrent use and should be idempotent on m.Key where the platform allows
// it. It returns a *RateLimitError when the platform asks to wait, and a
// *PermanentError when retrying cannot help (unknown channel, missing
// permission); any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m *OutboxMessage) (SendResult, error)
}

// RateLimitError tells the dispatcher the platform refused for now and when
// to try again. The dispatcher never retries earlier than RetryAfter.
type RateLimitError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// PermanentError marks a send failure that retrying cannot fix. The message is
// marked dead at once with this error, for a person to see and retry.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is, or wraps, a *PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Payload encodes an outbox message's payload. Payloads are plain structs
// of strings, numbers and byte slices, so an error is a programming mistake
// and panics.
func Payload(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode payload %T: %v", v, err))
	}
	return b
}

// PlainRefusal turns a dead outbox message's last error into the words a
// person reads: the senders write it for them, behind the "permanent: "
// marker of a PermanentError.
func PlainRefusal(lastError string) string {
	s := strings.TrimPrefix(lastError, "permanent: ")
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return "no reason given"
	}
	return s
}

// Lane names the outbox messages a platform rate-limits together and that
// must arrive in the order they were made: "slack:C01PRODUCT" holds
// everything Liaison writes in one Slack channel, "discord:123" the posts
// and uploads of one Discord channel. Discord limits each route apart (its
// route buckets), so a Discord channel's other writes each have a lane named
// after their kind ("discord/react:123", "discord/update:123"); a parent link
// already orders them after the post they touch. A message that names no
// channel (a ban) has no lane (""): it waits for nothing and nothing waits
// for it.
//
// The dispatcher claims, paces and pauses each lane apart, so a busy or
// rate-limited channel never holds up another. The store keeps the lane in
// the message's row; migration 0012 computes the same names in SQL.
func Lane(platform, kind string, payload []byte) string {
	channel := payloadChannel(payload)
	if channel == "" {
		return ""
	}
	if platform != PlatformDiscord || kind == KindPost || kind == KindUpload {
		return platform + ":" + channel
	}
	return platform + "/" + kind + ":" + channel
}

// payloadChannel returns the payload's top-level channel_id, "" when it has
// none (or is not a JSON object). The payloads put it first: the object is
// read key by key up to it, not decoded whole (an unmarshal of a relay's
// payload was 4 % of Discord intake's CPU).
func payloadChannel(payload []byte) string {
	// As the payloads write it, a plain id: read in place (the decoder
	// was 2 % of a /feedback's CPU and a twentieth of its allocations).
	if rest, ok := bytes.CutPrefix(payload, []byte(`{"channel_id":"`)); ok {
		if end := bytes.IndexByte(rest, '"'); end >= 0 && plainJSON(rest[:end]) {
			return string(rest[:end])
		}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if key == "channel_id" {
			var channel string
			if dec.Decode(&channel) != nil {
				return ""
			}
			return channel
		}
		var skipped json.RawMessage
		if dec.Decode(&skipped) != nil {
			return ""
		}
	}
	return ""
}

// plainJSON reports whether b, inside a JSON string, stands for itself:
// printable ASCII without escapes.
func plainJSON(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}
