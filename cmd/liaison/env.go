package main

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Env is everything Liaison reads from the environment: secrets and
// endpoints. Behaviour lives in liaison.yaml.
type Env struct {
	DatabaseURL string // LIAISON_DATABASE_URL: postgres://… or sqlite:PATH; empty means sqlite:./liaison.db
	ConfigPath  string // LIAISON_CONFIG; empty means ./liaison.yaml if it exists
	HTTPAddr    string // LIAISON_HTTP_ADDR, default :8080
	// AdminAddr is LIAISON_ADMIN_ADDR, default 127.0.0.1:9090: the admin
	// listener (GET /status, POST /admin/round-trip). "off" turns it off;
	// so does "" in an Env built by hand (tests).
	AdminAddr string
	LogLevel  string // LIAISON_LOG_LEVEL: debug, info (default), warn, error

	SlackBotToken      string // SLACK_BOT_TOKEN
	SlackSigningSecret string // SLACK_SIGNING_SECRET
	SlackAppToken      string // SLACK_APP_TOKEN (Socket Mode)
	SlackAPIURL        string // LIAISON_SLACK_API_URL (tests, staging)

	DiscordBotToken  string // DISCORD_BOT_TOKEN
	DiscordAppID     string // DISCORD_APP_ID
	DiscordPublicKey string // DISCORD_PUBLIC_KEY (HTTP interactions)
	DiscordAPIURL    string // LIAISON_DISCORD_API_URL (tests, staging)

	// Watch is how the watch's sources read their environment:
	// LIAISON_WATCH_<SOURCE>_URL overrides and the sources' credentials.
	Watch func(string) string
}

// defaultAdminAddr is where the admin listener listens unless
// LIAISON_ADMIN_ADDR says otherwise: this host only.
const defaultAdminAddr = "127.0.0.1:9090"

// adminOff reports whether addr turns the admin listener off.
func adminOff(addr string) bool { return addr == "" || strings.EqualFold(addr, "off") }

// envHelp documents the variables for --help texts.
const envHelp = `Environment:
  LIAISON_DATABASE_URL   postgres://user:pass@host/db?sslmode=… or sqlite:PATH
                         (default: SQLite at ./liaison.db)
  LIAISON_CONFIG         path of liaison.yaml (default ./liaison.yaml when present;
                         naming a file that does not exist is an error)
  LIAISON_HTTP_ADDR      address of the HTTP server (default :8080)
  LIAISON_ADMIN_ADDR     address of the admin listener: GET /status and
                         POST /admin/round-trip (default 127.0.0.1:9090; off
                         turns it off). Keep it private: it has no login.
  LIAISON_LOG_LEVEL      debug, info, warn or error (default info); logs are text on
                         a terminal and JSON otherwise
  SLACK_BOT_TOKEN        Slack bot token (xoxb-…); Slack is off without it
  SLACK_SIGNING_SECRET   verifies requests from Slack
  SLACK_APP_TOKEN        app-level token (xapp-…) to use Socket Mode instead of HTTP
  DISCORD_BOT_TOKEN      Discord bot token; Discord is off without it
  DISCORD_APP_ID         Discord application id (slash commands)
  DISCORD_PUBLIC_KEY     enables POST /discord/interactions (Ed25519-verified)
  LIAISON_SLACK_API_URL  Slack Web API base URL, for tests and staging
  LIAISON_DISCORD_API_URL Discord REST base URL, for tests and staging
  REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET
                         the watch reads Reddit through OAuth (100 requests/min
                         instead of 10) when both are set
  STACKEXCHANGE_KEY      raises Stack Exchange's quota from 300 to 10,000 a day
  GITHUB_TOKEN           lets the watch search GitHub issues and discussions
  MASTODON_ACCESS_TOKEN  lets the watch use Mastodon's full-text search
  LIAISON_WATCH_<SOURCE>_URL
                         a watch source's base URL (FEEDS, HN, REDDIT, MASTODON,
                         STACKEXCHANGE, GITHUB), for tests and proxies
`

func readEnv(getenv func(string) string) Env {
	return Env{
		DatabaseURL:        getenv("LIAISON_DATABASE_URL"),
		ConfigPath:         getenv("LIAISON_CONFIG"),
		HTTPAddr:           cmp.Or(getenv("LIAISON_HTTP_ADDR"), ":8080"),
		AdminAddr:          cmp.Or(getenv("LIAISON_ADMIN_ADDR"), defaultAdminAddr),
		LogLevel:           cmp.Or(getenv("LIAISON_LOG_LEVEL"), "info"),
		SlackBotToken:      getenv("SLACK_BOT_TOKEN"),
		SlackSigningSecret: getenv("SLACK_SIGNING_SECRET"),
		SlackAppToken:      getenv("SLACK_APP_TOKEN"),
		SlackAPIURL:        getenv("LIAISON_SLACK_API_URL"),
		DiscordBotToken:    getenv("DISCORD_BOT_TOKEN"),
		DiscordAppID:       getenv("DISCORD_APP_ID"),
		DiscordPublicKey:   getenv("DISCORD_PUBLIC_KEY"),
		DiscordAPIURL:      getenv("LIAISON_DISCORD_API_URL"),
		Watch:              getenv,
	}
}

// newLogger returns a text logger when w is a terminal and a JSON logger
// otherwise (containers, log collectors), at the level named by level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("LIAISON_LOG_LEVEL=%q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
