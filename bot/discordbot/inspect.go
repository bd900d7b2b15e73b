package discordbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// restSession returns a discordgo session for the bot token (with or
// without its "Bot " prefix) whose REST calls go to apiURL
// (LIAISON_DISCORD_API_URL) or to discord.com when empty, each giving up
// after timeout.
func restSession(token, apiURL string, timeout time.Duration) (*discordgo.Session, error) {
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s.Client = &http.Client{Timeout: timeout}
	if apiURL != "" {
		tr, err := NewTransport(apiURL, nil)
		if err != nil {
			return nil, fmt.Errorf("LIAISON_DISCORD_API_URL: %w", err)
		}
		s.Client.Transport = tr
	}
	return s, nil
}

// Inspector reads, over REST only, what an operator's checks (liaison
// doctor) need to know about the application a bot token belongs to and
// the servers it is in. It never opens a gateway session, which would take
// events from the running service. Create it with NewInspector.
type Inspector struct {
	s *discordgo.Session
}

// NewInspector returns an Inspector for the bot token against apiURL (see
// Options.APIURL). Each call gives up after timeout (default 10 s) and a
// rate limit is waited out once, not retried further.
func NewInspector(token, apiURL string, timeout time.Duration) (*Inspector, error) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	s, err := restSession(token, apiURL, timeout)
	if err != nil {
		return nil, err
	}
	s.MaxRestRetries = 1
	return &Inspector{s: s}, nil
}

// Me returns the bot's own user (GET /users/@me): the token works.
func (i *Inspector) Me(ctx context.Context) (*discordgo.User, error) {
	return i.s.User("@me", discordgo.WithContext(ctx))
}

// Application returns the application the token belongs to (GET
// /applications/@me), with its flags; discordgo v0.29 has no method for it.
func (i *Inspector) Application(ctx context.Context) (*discordgo.Application, error) {
	endpoint := discordgo.EndpointApplication("@me")
	body, err := i.s.RequestWithBucketID(http.MethodGet, endpoint, nil, endpoint, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var app discordgo.Application
	if err := json.Unmarshal(body, &app); err != nil {
		return nil, fmt.Errorf("decode GET /applications/@me: %w", err)
	}
	return &app, nil
}

// Guild returns a server with its roles (GET /guilds/{id}); an error with
// status 403 or 404 (see RESTStatus) means the bot is not in it.
func (i *Inspector) Guild(ctx context.Context, id string) (*discordgo.Guild, error) {
	return i.s.Guild(id, discordgo.WithContext(ctx))
}

// Member returns a member of a server with their roles.
func (i *Inspector) Member(ctx context.Context, guildID, userID string) (*discordgo.Member, error) {
	return i.s.GuildMember(guildID, userID, discordgo.WithContext(ctx))
}

// Channel returns a channel with its permission overwrites.
func (i *Inspector) Channel(ctx context.Context, id string) (*discordgo.Channel, error) {
	return i.s.Channel(id, discordgo.WithContext(ctx))
}

// Commands returns the application's commands registered in a server.
func (i *Inspector) Commands(ctx context.Context, appID, guildID string) ([]*discordgo.ApplicationCommand, error) {
	return i.s.ApplicationCommands(appID, guildID, discordgo.WithContext(ctx))
}

// RESTStatus returns the HTTP status and Discord's error code of a REST
// error (404 and 10003 for an unknown channel), or zeros for an error of
// another kind (the network, a timeout).
func RESTStatus(err error) (status, code int) {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return 0, 0
	}
	if re.Message != nil {
		code = re.Message.Code
	}
	return re.Response.StatusCode, code
}
