package slackbot

import (
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// apiCode returns the error code of a Slack API error ("channel_not_found"),
// or "".
func apiCode(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	var p *slack.SlackErrorResponse
	if errors.As(err, &p) && p != nil {
		return p.Err
	}
	return ""
}

// mapError turns a Web API error into what the dispatcher understands: a
// *bot.RateLimitError carrying Slack's Retry-After; a *bot.PermanentError,
// written for the person who reads the dead message, when retrying cannot
// help; the error itself, to retry with backoff, otherwise. doing says what
// Liaison was doing, before the channel: "post in", "react in".
func (s *Sender) mapError(doing, channel string, err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		return &bot.RateLimitError{RetryAfter: wait, Err: err}
	}
	var tl *tooLong
	if errors.As(err, &tl) {
		return &bot.RateLimitError{RetryAfter: tl.wait, Err: err}
	}
	code := apiCode(err)
	if msg := s.explain(code, channel, err); msg != "" {
		return permanent(fmt.Errorf("%s (Slack said %s while Liaison tried to %s %s)", msg, code, doing, s.channelName(channel)))
	}
	return fmt.Errorf("slack: %s %s: %w", doing, channel, err)
}

// explain says in plain words why a code is final, or "" when retrying may
// help.
func (s *Sender) explain(code, channel string, err error) string {
	name := s.channelName(channel)
	switch code {
	case "channel_not_found":
		return fmt.Sprintf("Slack has no channel %s that Liaison can see: check the channel id in liaison.yaml, and invite Liaison if the channel is private", name)
	case "not_in_channel":
		return fmt.Sprintf("Liaison is not in %s: invite it with /invite @Liaison, then retry", name)
	case "is_archived":
		return fmt.Sprintf("%s is archived: unarchive it, or send these messages to another channel in liaison.yaml", name)
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		return "Slack refused Liaison's token: check SLACK_BOT_TOKEN, or reinstall the Slack app, then retry"
	case "no_permission", "missing_scope", "restricted_action", "not_allowed_token_type":
		msg := "Liaison's Slack app lacks a permission it needs here: reinstall it from slack-app-manifest.yaml (or ask a workspace admin), then retry"
		var e slack.SlackErrorResponse
		if errors.As(err, &e) && e.Needed != "" {
			msg += " (missing: " + e.Needed + ")"
		}
		return msg
	case "msg_too_long":
		return "The message is too long for Slack"
	case "invalid_blocks", "invalid_blocks_format", "invalid_metadata_format", "invalid_arguments":
		return "Slack refused the message's layout; this is a bug in Liaison, and the log has the details"
	case "message_not_found", "cant_update_message", "thread_not_found":
		return "The Slack message to change is gone (deleted, or not Liaison's)"
	case "invalid_name":
		return "Slack does not know that emoji"
	}
	return ""
}

// channelName names a channel for people: "#product" when liaison.yaml names
// it, else its id.
func (s *Sender) channelName(id string) string {
	if n, ok := s.channels[id]; ok && n != "" {
		return "#" + n
	}
	return id
}
