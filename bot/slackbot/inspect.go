package slackbot

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Inspector reads what an operator's checks (liaison doctor) need to know
// about the workspace a bot token belongs to: who the token is, which scopes
// it was granted, the state of channels and user groups. It only reads, and
// opens no Socket Mode connection (a second one would take events from the
// running service). Create it with NewInspector.
type Inspector struct {
	api *slack.Client
}

// NewInspector returns an Inspector for the bot token, against apiURL (the
// Web API base, LIAISON_SLACK_API_URL) or Slack's own when empty. Each call
// gives up after timeout (default 10 s).
func NewInspector(token, apiURL string, timeout time.Duration) *Inspector {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	opts := []slack.Option{slack.OptionHTTPClient(&http.Client{Timeout: timeout})}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return &Inspector{api: slack.New(token, opts...)}
}

// Identity is who a bot token is, from auth.test and bots.info.
type Identity struct {
	Team, TeamID string // the workspace
	User, UserID string // the bot user: its name (liaison) and id
	BotID        string
	AppID        string // the Slack app; empty when bots.info could not say
	// Scopes are the bot scopes the token was granted, from the
	// X-OAuth-Scopes header Slack sends with every answer.
	Scopes []string
}

// Identity asks auth.test who the token is and which scopes it has, then
// bots.info which app the bot belongs to (a failure of the latter leaves
// AppID empty: it needs users:read, which may be the scope missing). An
// error is the token's: invalid, revoked, or Slack unreachable.
func (i *Inspector) Identity(ctx context.Context) (Identity, error) {
	auth, err := i.api.AuthTestContext(ctx)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Team: auth.Team, TeamID: auth.TeamID, User: auth.User, UserID: auth.UserID, BotID: auth.BotID}
	for _, s := range strings.Split(auth.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			id.Scopes = append(id.Scopes, s)
		}
	}
	slices.Sort(id.Scopes)
	if auth.BotID != "" {
		if b, err := i.api.GetBotInfoContext(ctx, slack.GetBotInfoParameters{Bot: auth.BotID}); err == nil {
			id.AppID = b.AppID
		}
	}
	return id, nil
}

// Channel is a channel's state as the bot sees it.
type Channel struct {
	ID, Name string
	Private  bool
	Archived bool
	// Member is whether the bot is in the channel: it posts and reads only
	// where it is.
	Member bool
}

// Channel asks conversations.info about a channel. A channel that does not
// exist, or a private one the bot is not in, is an error with code
// channel_not_found (see ErrorCode).
func (i *Inspector) Channel(ctx context.Context, id string) (Channel, error) {
	ch, err := i.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		return Channel{}, err
	}
	return Channel{ID: ch.ID, Name: ch.Name, Private: ch.IsPrivate, Archived: ch.IsArchived, Member: ch.IsMember}, nil
}

// Usergroup is one user group of the workspace.
type Usergroup struct {
	ID, Handle string
	// Disabled groups keep their id but have no members.
	Disabled bool
}

// Usergroups lists the workspace's user groups, disabled ones included
// (usergroups.list).
func (i *Inspector) Usergroups(ctx context.Context) ([]Usergroup, error) {
	gs, err := i.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeDisabled(true))
	if err != nil {
		return nil, err
	}
	out := make([]Usergroup, 0, len(gs))
	for _, g := range gs {
		out = append(out, Usergroup{ID: g.ID, Handle: g.Handle, Disabled: g.DateDelete != 0})
	}
	return out, nil
}

// ErrorCode returns the code of a Slack Web API error (channel_not_found,
// missing_scope, invalid_auth…), or "" for an error of another kind (the
// network, a timeout).
func ErrorCode(err error) string { return apiCode(err) }

// CheckAppToken asks Slack (apps.connections.open) whether appToken may
// open a Socket Mode connection. It only obtains the connection's URL and
// never dials it, so the running service keeps its events. An error is
// Slack's refusal (invalid_auth, not_allowed_token_type) or Slack being
// unreachable.
func CheckAppToken(ctx context.Context, appToken, apiURL string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	opts := []slack.Option{slack.OptionHTTPClient(&http.Client{Timeout: timeout}), slack.OptionAppLevelToken(appToken)}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	_, _, err := slack.New("", opts...).StartSocketModeContext(ctx)
	return err
}

// PostProblem says why Liaison cannot post in a channel, from what
// conversations.info answered (the channel, or the error): "" when it can,
// or when the error says nothing about the channel (the network, a
// timeout: check is false then).
func PostProblem(ch Channel, err error) (problem string, checked bool) {
	switch code := ErrorCode(err); {
	case code == "channel_not_found":
		return "Slack has no such channel that Liaison can see (deleted, or private without Liaison in it)", true
	case err != nil:
		return "", false
	case ch.Archived:
		return "the channel is archived", true
	case !ch.Member:
		return "Liaison is not a member of the channel (invite it with /invite)", true
	}
	return "", true
}
