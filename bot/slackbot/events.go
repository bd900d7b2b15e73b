package slackbot

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Inbound key kinds this adapter produces; see the package comment.
const (
	KeyEvent       = "slack_event"       // TEAM:EVENT_ID
	KeyMessage     = "slack_message"     // CHANNEL:TS, CHANNEL:TS:edit:EDITED_TS, CHANNEL:TS:delete
	KeyCommand     = "slack_command"     // TRIGGER_ID of a slash command or message shortcut
	KeyInteraction = "slack_interaction" // TRIGGER_ID of a click or a form submission
)

// envelope is the outer object of the Events API, over HTTP and Socket Mode.
type envelope struct {
	Type           string          `json:"type"`
	Challenge      string          `json:"challenge"`
	TeamID         string          `json:"team_id"`
	EventID        string          `json:"event_id"`
	EventTime      int64           `json:"event_time"`
	Event          json.RawMessage `json:"event"`
	Authorizations []struct {
		UserID string `json:"user_id"`
		IsBot  bool   `json:"is_bot"`
	} `json:"authorizations"`
}

// innerEvent holds the fields of the inner events Liaison reads: message
// (with its subtypes) and reaction_added / reaction_removed. The embedded
// wireMessage gives a plain message's fields, subtype and a reaction's user.
type innerEvent struct {
	Type      string `json:"type"`
	Channel   string `json:"channel"`
	Team      string `json:"team"`
	EventTS   string `json:"event_ts"`
	DeletedTS string `json:"deleted_ts"`
	wireMessage
	Message         *wireMessage `json:"message"`          // message_changed: the message now
	PreviousMessage *wireMessage `json:"previous_message"` // message_changed, message_deleted: before

	Reaction string `json:"reaction"`
	ItemUser string `json:"item_user"` // who wrote the message reacted to
	Item     struct {
		Type    string `json:"type"`
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	} `json:"item"`
}

// wireMessage is a message as the Events API shows it.
type wireMessage struct {
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Subtype  string `json:"subtype"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	Edited   *struct {
		User string `json:"user"`
		TS   string `json:"ts"`
	} `json:"edited"`
}

// fromBot reports a message a bot posted: Liaison's own or another's.
func (m *wireMessage) fromBot(botUser string) bool {
	return m.BotID != "" || m.Subtype == "bot_message" || (botUser != "" && m.User == botUser)
}

// onEvents handles an Events API body. url_verification is answered at
// once; an event_callback is acknowledged once its handler has committed,
// or when the ack budget is spent (see the package comment).
func (a *Adapter) onEvents(body []byte, retry int) answer {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		a.count("invalid")
		return answer{status: http.StatusBadRequest, body: "malformed JSON"}
	}
	switch env.Type {
	case "url_verification":
		a.count("url_verification")
		return answer{body: map[string]string{"challenge": env.Challenge}}
	case "event_callback":
	default:
		a.count("other")
		return answer{}
	}
	var in innerEvent
	if err := json.Unmarshal(env.Event, &in); err != nil || env.EventID == "" {
		a.count("invalid")
		return answer{status: http.StatusBadRequest, body: "malformed event_callback"}
	}
	a.count("event_callback")
	if in.Type == "message" && (in.Subtype == "" || in.Subtype == "bot_message") {
		a.probes.Seen(in.Text, in.TS)
	}
	if !wanted(&in) {
		return answer{}
	}
	return a.within(func(ctx context.Context) answer {
		var botUser string
		for _, au := range env.Authorizations {
			if au.IsBot {
				botUser = au.UserID
				break
			}
		}
		ev := a.toEvent(&env, &in, retry, a.botUserID(ctx, botUser))
		if ev == nil {
			return answer{}
		}
		if err := a.handler.HandleEvent(ctx, ev); err != nil {
			a.log.Error("slack: event not handled; Slack will redeliver it if it was not acknowledged yet",
				"event_id", env.EventID, "type", in.Type, "subtype", in.Subtype, "retry", retry, "err", err)
			return answer{status: http.StatusInternalServerError, body: "not handled"}
		}
		return answer{}
	}, answer{}, nil, answer{status: http.StatusServiceUnavailable, body: "busy"})
}

// wanted reports whether an inner event may become a bot event, before any
// look-up: message kinds people post, edits, deletions and reactions.
func wanted(in *innerEvent) bool {
	switch in.Type {
	case "message":
		switch in.Subtype {
		case "", "thread_broadcast", "file_share", "me_message", "message_changed", "message_deleted":
			return true
		}
	case "reaction_added", "reaction_removed":
		return in.Item.Type == "message"
	}
	return false
}

// toEvent turns an inner event into a bot event, or nil for what Liaison
// ignores: its own messages and reactions, other bots' messages, edits that
// change no text (link unfurls).
func (a *Adapter) toEvent(env *envelope, in *innerEvent, retry int, botUser string) bot.Event {
	team := cmp.Or(env.TeamID, in.Team)
	d := bot.Delivery{
		Keys:  []bot.InboundKey{{Kind: KeyEvent, Key: team + ":" + env.EventID}},
		At:    time.Unix(env.EventTime, 0).UTC(),
		Retry: retry,
	}
	if env.EventTime == 0 {
		d.At = a.clock.Now()
	}
	place := bot.Place{Platform: bot.PlatformSlack, ScopeID: team, ChannelID: cmp.Or(in.Channel, in.Item.Channel)}
	switch in.Type {
	case "reaction_added", "reaction_removed":
		if botUser != "" && in.User == botUser {
			return nil
		}
		return &bot.Reaction{
			Delivery: d, Place: place, MessageID: in.Item.TS, Emoji: in.Reaction, Removed: in.Type == "reaction_removed",
			User: bot.User{Platform: bot.PlatformSlack, ID: in.User}, OwnMessage: botUser != "" && in.ItemUser == botUser,
		}
	}
	switch in.Subtype {
	case "message_changed":
		m, prev := in.Message, in.PreviousMessage
		if m == nil || m.fromBot(botUser) || (prev != nil && prev.Text == m.Text) {
			return nil
		}
		edit := in.EventTS
		if m.Edited != nil && m.Edited.TS != "" {
			edit = m.Edited.TS
		}
		d.Keys = append(d.Keys, bot.InboundKey{Kind: KeyMessage, Key: in.Channel + ":" + m.TS + ":edit:" + edit})
		msg := message(d, place, m)
		msg.Edited = true
		return msg
	case "message_deleted":
		if in.PreviousMessage != nil && in.PreviousMessage.fromBot(botUser) {
			return nil
		}
		ts := in.DeletedTS
		if ts == "" && in.PreviousMessage != nil {
			ts = in.PreviousMessage.TS
		}
		d.Keys = append(d.Keys, bot.InboundKey{Kind: KeyMessage, Key: in.Channel + ":" + ts + ":delete"})
		return &bot.MessageDeleted{Delivery: d, Place: place, ID: ts}
	}
	if in.fromBot(botUser) {
		return nil
	}
	d.Keys = append(d.Keys, bot.InboundKey{Kind: KeyMessage, Key: in.Channel + ":" + in.TS})
	return message(d, place, &in.wireMessage)
}

func message(d bot.Delivery, place bot.Place, m *wireMessage) *bot.Message {
	msg := &bot.Message{
		Delivery: d, Place: place, ID: m.TS, Text: m.Text,
		Author: bot.User{Platform: bot.PlatformSlack, ID: m.User, Bot: m.BotID != ""},
	}
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		msg.ThreadID = m.ThreadTS
	}
	return msg
}

// retryNum reads X-Slack-Retry-Num; 0 when absent or malformed.
func retryNum(h http.Header) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Slack-Retry-Num")))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
