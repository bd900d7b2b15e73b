package slackfake

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Liaison's inbound paths, appended to the base URL given to the builders.
const (
	EventsPath       = "/slack/events"
	CommandsPath     = "/slack/commands"
	InteractionsPath = "/slack/interactions"
)

// staleBy is how far before `at` WithStaleTimestamp dates a request: beyond
// the 5 minutes within which Slack (and slack.NewSecretsVerifier) accepts one.
const staleBy = 10 * time.Minute

// Sign returns the headers with which Slack signs a request:
// X-Slack-Request-Timestamp (ts in Unix seconds) and
// X-Slack-Signature "v0=" + hex(HMAC-SHA256(secret, "v0:<ts>:<body>")).
func Sign(secret string, ts time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", stamp)
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// RequestOption changes a signed request the way Slack's retries or an
// attacker would.
type RequestOption func(*requestOptions)

type requestOptions struct {
	retryNum     int
	retryReason  string
	badSignature bool
	stale        bool
}

// WithRetry marks the request as Slack's retry number num (1 to 3) for reason
// ("http_timeout", "http_error", "too_many_requests"…): the
// X-Slack-Retry-Num and X-Slack-Retry-Reason headers. The body, event_id
// included, is the same as the first attempt's.
func WithRetry(num int, reason string) RequestOption {
	return func(o *requestOptions) { o.retryNum, o.retryReason = num, reason }
}

// WithBadSignature signs the request with the wrong secret.
func WithBadSignature() RequestOption {
	return func(o *requestOptions) { o.badSignature = true }
}

// WithStaleTimestamp signs the request correctly but dates it 10 minutes
// before `at`, outside Slack's 5-minute window.
func WithStaleTimestamp() RequestOption {
	return func(o *requestOptions) { o.stale = true }
}

// signedRequest builds a POST as Slack sends it. It panics on a malformed
// URL, like httptest.NewRequest.
func signedRequest(target, contentType, secret string, at time.Time, body []byte, opts []RequestOption) *http.Request {
	var o requestOptions
	for _, opt := range opts {
		opt(&o)
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		panic(fmt.Sprintf("slackfake: request to %q: %v", target, err))
	}
	if o.stale {
		at = at.Add(-staleBy)
	}
	if o.badSignature {
		secret += "-not-the-secret"
	}
	for k, v := range Sign(secret, at, body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("Accept", "application/json,*/*")
	if o.retryNum > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(o.retryNum))
		req.Header.Set("X-Slack-Retry-Reason", o.retryReason)
	}
	return req
}

func endpoint(baseURL, path string) string { return strings.TrimSuffix(baseURL, "/") + path }

// SlashCommand builds the signed POST to baseURL+CommandsPath with which
// Slack delivers a slash command: form-encoded, fields in Slack's order.
// Empty fields are filled: token (VerificationToken), team, api_app_id, the
// channel and user names of seeded ones, a response_url on this fake (see
// ResponseURL) and a fresh trigger_id for the user (see TriggerID).
func (s *Server) SlashCommand(baseURL, secret string, at time.Time, cmd slack.SlashCommand, opts ...RequestOption) *http.Request {
	cmd = s.fillSlashCommand(cmd)
	fields := [][2]string{
		{"token", cmd.Token}, {"team_id", cmd.TeamID}, {"team_domain", cmd.TeamDomain},
	}
	if cmd.EnterpriseID != "" {
		fields = append(fields, [2]string{"enterprise_id", cmd.EnterpriseID}, [2]string{"enterprise_name", cmd.EnterpriseName})
	}
	fields = append(fields,
		[2]string{"channel_id", cmd.ChannelID}, [2]string{"channel_name", cmd.ChannelName},
		[2]string{"user_id", cmd.UserID}, [2]string{"user_name", cmd.UserName},
		[2]string{"command", cmd.Command}, [2]string{"text", cmd.Text},
		[2]string{"api_app_id", cmd.APIAppID},
		[2]string{"is_enterprise_install", strconv.FormatBool(cmd.IsEnterpriseInstall)},
		[2]string{"response_url", cmd.ResponseURL}, [2]string{"trigger_id", cmd.TriggerID},
	)
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f[0]) + "=" + url.QueryEscape(f[1]))
	}
	return signedRequest(endpoint(baseURL, CommandsPath), "application/x-www-form-urlencoded", secret, at, []byte(b.String()), opts)
}

func (s *Server) fillSlashCommand(cmd slack.SlashCommand) slack.SlashCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd.Token = cmp.Or(cmd.Token, VerificationToken)
	cmd.TeamID = cmp.Or(cmd.TeamID, TeamID)
	cmd.TeamDomain = cmp.Or(cmd.TeamDomain, TeamDomain)
	cmd.APIAppID = cmp.Or(cmd.APIAppID, AppID)
	if ch := s.channels[cmd.ChannelID]; ch != nil && cmd.ChannelName == "" {
		cmd.ChannelName = ch.name
		if ch.isIM {
			cmd.ChannelName = "directmessage"
		}
	}
	if u := s.users[cmd.UserID]; u != nil && cmd.UserName == "" {
		cmd.UserName = u.name
	}
	if cmd.ResponseURL == "" {
		cmd.ResponseURL = s.newResponseURL(cmd.ChannelID, cmd.UserID, "")
	}
	if cmd.TriggerID == "" {
		cmd.TriggerID = s.issueTrigger(cmd.UserID)
	}
	s.touch()
	return cmd
}

// Interaction builds the signed POST to baseURL+InteractionsPath with which
// Slack delivers block_actions, view_submission, shortcuts…: form-encoded
// payload=<JSON>. A slack.InteractionCallback (value or pointer) gets its
// empty token, team, api_app_id and user name filled, a trigger_id, and for
// block_actions and message shortcuts a response_url on this fake tied to the
// clicked message (see ResponseURL); other payloads are sent as their JSON.
// It panics if payload cannot be encoded.
func (s *Server) Interaction(baseURL, secret string, at time.Time, payload any, opts ...RequestOption) *http.Request {
	raw, _ := s.encodePayload(payload)
	body := "payload=" + url.QueryEscape(string(raw))
	return signedRequest(endpoint(baseURL, InteractionsPath), "application/x-www-form-urlencoded", secret, at, []byte(body), opts)
}

func (s *Server) fillInteraction(ic slack.InteractionCallback) slack.InteractionCallback {
	s.mu.Lock()
	defer s.mu.Unlock()
	ic.Token = cmp.Or(ic.Token, VerificationToken)
	ic.Team.ID = cmp.Or(ic.Team.ID, TeamID)
	ic.Team.Domain = cmp.Or(ic.Team.Domain, TeamDomain)
	ic.APIAppID = cmp.Or(ic.APIAppID, AppID)
	if u := s.users[ic.User.ID]; u != nil {
		ic.User.Name = cmp.Or(ic.User.Name, u.name)
		ic.User.TeamID = cmp.Or(ic.User.TeamID, TeamID)
	}
	channelID := cmp.Or(ic.Channel.ID, ic.Container.ChannelID)
	if ch := s.channels[channelID]; ch != nil && ic.Channel.ID != "" && ic.Channel.Name == "" {
		ic.Channel.Name = ch.name
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		messageTS := cmp.Or(ic.Container.MessageTs, ic.Message.Timestamp)
		if ic.Container.Type == "" && ic.View.ID == "" && messageTS != "" {
			ic.Container = slack.Container{Type: "message", MessageTs: messageTS, ChannelID: channelID}
		}
		if ic.ResponseURL == "" && channelID != "" {
			ic.ResponseURL = s.newResponseURL(channelID, ic.User.ID, messageTS)
		}
	case slack.InteractionTypeMessageAction:
		if ic.ResponseURL == "" && channelID != "" {
			ic.ResponseURL = s.newResponseURL(channelID, ic.User.ID, "")
		}
	}
	switch ic.Type {
	case slack.InteractionTypeViewClosed, slack.InteractionTypeBlockSuggestion:
	default:
		if ic.TriggerID == "" {
			ic.TriggerID = s.issueTrigger(ic.User.ID)
		}
	}
	s.touch()
	return ic
}

// EventCallback wraps an Events API event (a slackevents type such as
// slackevents.MessageEvent with its Type set, or any JSON-encodable value)
// in the event_callback envelope Slack sends: token, team_id, api_app_id,
// event_id, event_time (at), authorizations for the bot user. teamID ""
// means TeamID. Pass the result to SendEnvelope(EnvelopeEventsAPI, …). It
// panics if event cannot be encoded.
func (s *Server) EventCallback(teamID, eventID string, at time.Time, event any) json.RawMessage {
	inner, err := json.Marshal(event)
	if err != nil {
		panic(fmt.Sprintf("slackfake: encode event %T: %v", event, err))
	}
	teamID = cmp.Or(teamID, TeamID)
	s.mu.Lock()
	bot := s.botUserID
	s.mu.Unlock()
	raw, _ := json.Marshal(obj{
		"token":      VerificationToken,
		"team_id":    teamID,
		"api_app_id": AppID,
		"event":      json.RawMessage(inner),
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": at.Unix(),
		"authorizations": []obj{{
			"enterprise_id": nil, "team_id": teamID, "user_id": bot, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomHex(24),
	})
	return raw
}

// Event builds the signed POST to baseURL+EventsPath with which Slack
// delivers an Events API event: JSON, the envelope of EventCallback.
func (s *Server) Event(baseURL, secret string, at time.Time, teamID, eventID string, event any, opts ...RequestOption) *http.Request {
	body := s.EventCallback(teamID, eventID, at, event)
	return signedRequest(endpoint(baseURL, EventsPath), "application/json", secret, at, body, opts)
}

// URLVerification builds the signed POST to baseURL+EventsPath with which
// Slack checks an Events API URL; the app must answer with the challenge.
func (s *Server) URLVerification(baseURL, secret string, at time.Time, challenge string, opts ...RequestOption) *http.Request {
	body, _ := json.Marshal(obj{"token": VerificationToken, "challenge": challenge, "type": "url_verification"})
	return signedRequest(endpoint(baseURL, EventsPath), "application/json", secret, at, body, opts)
}
