package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

// App is the running service: configuration, database, HTTP server and jobs.
// Open it, Run it until the context ends, then Close it.
type App struct {
	Env    Env
	Logger *slog.Logger
	Clock  bot.Clock

	Config     *config.Config
	DB         *store.DB
	Registry   *prometheus.Registry
	Inbound    *prometheus.CounterVec // liaison_inbound_events_total{platform,type}, fed by the adapters
	Dispatcher *jobs.Dispatcher
	Scheduler  *jobs.Scheduler
	Router     *handlers.Router
	Discord    *discordbot.Adapter // nil when DISCORD_BOT_TOKEN is not set
	Slack      *slackbot.Adapter   // nil when SLACK_BOT_TOKEN is not set

	// GatewayLeaseTTL is how long the Discord gateway's lease lasts without
	// renewal: another replica takes the gateway over within it after the
	// holder dies. Default 30s.
	GatewayLeaseTTL time.Duration
	// RoundTripWait is how long a round trip waits for its test message
	// to come back, per platform. Default 15s.
	RoundTripWait time.Duration

	listener net.Listener
	server   *http.Server
	stopping *atomic.Bool // set when shutdown begins: /readyz answers 503

	admin        net.Listener // nil when LIAISON_ADMIN_ADDR is off
	adminServer  *http.Server
	started      time.Time
	capabilities *handlers.Capabilities
	handler      bot.Handler // the Router, timed (liaison_handler_seconds)
}

// NewApp returns an App reading env and logging to logger.
func NewApp(env Env, logger *slog.Logger) *App {
	return &App{Env: env, Logger: logger, Clock: bot.SystemClock{}}
}

// Open loads the configuration, opens and migrates the database, builds the
// jobs and starts listening. Nothing is served before Run.
func (a *App) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.Config, err = loadConfig(a.Env.ConfigPath, a.Logger); err != nil {
		return err
	}
	groups := newGroupMetrics()
	a.DB, err = store.Open(ctx, a.Env.DatabaseURL, store.Options{Exclusive: true, Group: store.GroupOptions{Observe: groups.observe}})
	if err != nil {
		return err
	}
	n, err := a.DB.Migrate(ctx)
	if err != nil {
		return err
	}
	a.started = a.Clock.Now()
	a.Logger.Info("database ready", "dialect", a.DB.Dialect(), "where", a.DB.Describe(a.Env.DatabaseURL), "migrations_applied", n)

	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newOutboxCollector(a.DB))
	a.Inbound = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "liaison_inbound_events_total",
		Help: "Events received from the platforms, by platform and type.",
	}, []string{"platform", "type"})
	a.Registry.MustRegister(a.Inbound)
	groups.register(a.Registry, a.DB)

	capabilities := handlers.Build(handlers.Deps{DB: a.DB, Config: a.Config, Clock: a.Clock, Logger: a.Logger})
	a.capabilities = capabilities
	a.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "liaison_similarity_index_items",
		Help: "Feedback items this replica's duplicate finder holds in memory (not merged, of the last 90 days; ~1.3 KB each); 0 until its first look-up.",
	}, func() float64 { return float64(capabilities.Feedback.SimilarityIndexed()) }))
	capabilities.AttachService(a)
	a.Router = capabilities.Router
	a.handler = newInstrumented(a.Registry, a.Router)
	senders := map[string]bot.Sender{}
	ready := &readiness{db: a.DB}
	a.stopping = &ready.stopping
	mux := routes(ready, a.Registry)
	if err := a.openSlack(senders, mux); err != nil {
		return err
	}
	if err := a.openDiscord(senders, mux); err != nil {
		return err
	}
	capabilities.Attach(a.readers())
	a.logPlatforms()
	// Slack publishes no rate-limit headers: its channels are paced as
	// Slack documents (about one message a second, short bursts), as its
	// sender's own pacing also does. Discord's sender follows the headers
	// and says when a lane must wait.
	outboxPace := map[string]jobs.Rate{bot.PlatformSlack: {Every: slackbot.DefaultPostInterval, Burst: slackbot.DefaultPostBurst}}
	a.Dispatcher = &jobs.Dispatcher{
		Store:        a.DB,
		Senders:      senders,
		Clock:        a.Clock,
		Owner:        replicaName(),
		Logger:       a.Logger.With("job", "outbox"),
		Metrics:      jobs.NewDispatcherMetrics(a.Registry),
		Pace:         outboxPace,
		MaxAttempts:  a.Config.Outbox.MaxAttempts,
		BackoffMin:   a.Config.Outbox.BackoffMin,
		BackoffMax:   a.Config.Outbox.BackoffMax,
		ReclaimAfter: a.Config.Outbox.ReclaimAfter,
	}

	a.Registry.MustRegister(a.Dispatcher.Collector(), opsCollector{a})

	a.Scheduler = &jobs.Scheduler{Leases: a.DB, Clock: a.Clock, Holder: a.Dispatcher.Owner, Logger: a.Logger.With("job", "scheduler")}
	addJobs(a.Scheduler, a.Router)
	poll, watching, err := watchPoller(a.DB, a.Config, a.Clock, a.Env.Watch, capabilities.Watch.Ingest, a.Logger)
	if err != nil {
		return err
	}
	if watching {
		a.Scheduler.Add(poll)
	}
	// Only the service prunes: the console keeps its run numbers there.
	a.Scheduler.Add(jobs.PruneInbound(a.DB, a.Logger.With("job", "prune-inbound")))
	a.Scheduler.Add(jobs.CompactOutbox(a.DB, a.Logger.With("job", "compact-outbox")))

	a.server = newServer(a.Logger, mux)
	if a.listener, err = net.Listen("tcp", a.Env.HTTPAddr); err != nil {
		return fmt.Errorf("listen on %s (LIAISON_HTTP_ADDR): %w", a.Env.HTTPAddr, err)
	}
	if !adminOff(a.Env.AdminAddr) {
		a.adminServer = newServer(a.Logger, a.adminRoutes())
		if a.admin, err = net.Listen("tcp", a.Env.AdminAddr); err != nil {
			return fmt.Errorf("listen on %s (LIAISON_ADMIN_ADDR; off turns the admin listener off): %w", a.Env.AdminAddr, err)
		}
	}
	return nil
}

// AdminAddr is the address the admin listener listens on, "" when it is
// off.
func (a *App) AdminAddr() string {
	if a.admin == nil {
		return ""
	}
	return a.admin.Addr().String()
}

// loadConfig reads liaison.yaml: the file LIAISON_CONFIG names (which must
// exist), else ./liaison.yaml when present, else the defaults.
func loadConfig(path string, logger *slog.Logger) (*config.Config, error) {
	explicit := path != ""
	if !explicit {
		path = "liaison.yaml"
	}
	cfg, err := config.Load(path)
	switch {
	case err == nil:
		logger.Info("configuration loaded", "file", path, "timezone", cfg.Timezone)
		return cfg, nil
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		logger.Info("no liaison.yaml: running on defaults (nothing is relayed until channels are configured; see liaison.example.yaml)")
		return config.Default(), nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("LIAISON_CONFIG names %s, which does not exist", path)
	}
	return nil, fmt.Errorf("configuration is invalid:\n%w", err)
}

// openSlack builds the Slack adapter when a token is set: its endpoints
// join the server's and its sender the outbox's. Socket Mode runs when
// SLACK_APP_TOKEN is set too.
func (a *App) openSlack(senders map[string]bot.Sender, mux *http.ServeMux) error {
	if a.Env.SlackBotToken == "" {
		return nil
	}
	if a.Env.SlackSigningSecret == "" && a.Env.SlackAppToken == "" {
		return fmt.Errorf("slack: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP) nor SLACK_APP_TOKEN (Socket Mode) is: Liaison could post but never hear from Slack")
	}
	names := map[string]string{}
	for name, id := range a.Config.Slack.Channels {
		names[id] = name
	}
	s, err := slackbot.New(slackbot.Options{
		Token: a.Env.SlackBotToken, SigningSecret: a.Env.SlackSigningSecret, AppToken: a.Env.SlackAppToken, APIURL: a.Env.SlackAPIURL,
		Handler: a.handler, Clock: a.Clock, Logger: a.Logger.With("platform", "slack"), Inbound: a.Inbound, ChannelNames: names,
	})
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	a.Slack = s
	senders[bot.PlatformSlack] = s.Sender()
	if a.Env.SlackSigningSecret != "" {
		s.Routes(mux)
	}
	return nil
}

// readers are what the capabilities read from the platforms that are on:
// Discord messages and servers through the adapter, Slack user groups and
// direct answers through a directory over the Slack sender. A platform that
// is off leaves its readers nil, which disables what needs them.
func (a *App) readers() handlers.Readers {
	var r handlers.Readers
	if a.Slack != nil {
		r.SlackDirect = slackbot.NewDirectory(a.Slack.Sender(), a.Clock)
	}
	if a.Discord != nil {
		r.Discord, r.Guilds = a.Discord, a.Discord
	}
	return r
}

func (a *App) logPlatforms() {
	if a.Slack == nil {
		a.Logger.Info("slack: off (SLACK_BOT_TOKEN is not set)")
	}
	if a.Discord == nil {
		a.Logger.Info("discord: off (DISCORD_BOT_TOKEN is not set)")
	}
}

// openDiscord builds the Discord adapter when a token is set: its sender
// joins the outbox's and its HTTP endpoint the server's.
func (a *App) openDiscord(senders map[string]bot.Sender, mux *http.ServeMux) error {
	if a.Env.DiscordBotToken == "" {
		return nil
	}
	var guilds, watched []string
	for _, g := range a.Config.Discord.Guilds {
		guilds = append(guilds, g.ID)
	}
	for _, c := range a.Config.Feedback.Channels {
		watched = append(watched, c.ID)
	}
	d, err := discordbot.New(discordbot.Options{
		Token: a.Env.DiscordBotToken, AppID: a.Env.DiscordAppID, PublicKey: a.Env.DiscordPublicKey, APIURL: a.Env.DiscordAPIURL,
		Guilds: guilds, Handler: a.handler, Commands: a.Router.DiscordCommands(), Clock: a.Clock,
		Logger: a.Logger.With("platform", "discord"), Inbound: a.Inbound,
		CatchUp: discordbot.CatchUpOptions{Channels: watched, Cursors: a.DB},
		// The server logs and modmail keep member facts (one member list
		// per session); the join log says which invite a newcomer used.
		RequestMembers: a.Config.Moderation.Enabled && (a.Config.Moderation.Logs.Any() || a.Config.Moderation.Modmail.Enabled),
		ReadInvites:    a.Config.Moderation.Enabled && len(a.Config.Moderation.Logs.Joins) > 0,
		ReadDeleters:   a.Config.Moderation.Enabled && len(a.Config.Moderation.Logs.Deletes) > 0,
	})
	if err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	a.Discord = d
	senders[bot.PlatformDiscord] = d.Sender()
	d.Routes(mux)
	return nil
}

// replicaName names this replica in the leases it holds and the outbox
// messages it claims.
func replicaName() string {
	host, _ := os.Hostname()
	// The random part tells two Apps in one process apart (tests), and a
	// restarted process from its predecessor with a recycled pid.
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:6])
}

// Addr is the address the HTTP server listens on (useful with :0).
func (a *App) Addr() string { return a.listener.Addr().String() }

// Run serves until ctx is cancelled, then shuts down in order: stop intake
// (HTTP, platform connections), let the sends in flight finish (bounded by
// the dispatcher's send timeout), and return. The database stays open for
// Close.
func (a *App) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := a.server.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
		return nil
	})
	if a.admin != nil {
		g.Go(func() error {
			if err := a.adminServer.Serve(a.admin); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("admin listener: %w", err)
			}
			return nil
		})
	}
	g.Go(func() error { return a.Dispatcher.Run(gctx) })
	g.Go(func() error { return a.Scheduler.Run(gctx) })
	// Every replica keeps its own similarity index (in memory) current.
	g.Go(func() error { a.capabilities.Feedback.FollowItems(gctx, a.Logger); return nil })
	if a.Discord != nil {
		// One gateway connection for all replicas: the lease holder's.
		gateway := &jobs.Exclusive{Leases: a.DB, Name: "discord-gateway", Holder: a.Dispatcher.Owner, Clock: a.Clock,
			TTL: a.GatewayLeaseTTL, Logger: a.Logger.With("platform", "discord")}
		g.Go(func() error { return gateway.Run(gctx, a.Discord.Run) })
		g.Go(func() error { a.checkBoard(gctx); return nil })
	}
	if a.Slack != nil {
		g.Go(func() error { return a.Slack.Run(gctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		a.stopping.Store(true)
		a.Logger.Info("shutting down: intake stopped, finishing messages in flight")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := a.server.Shutdown(sctx)
		if a.admin != nil {
			err = errors.Join(err, a.adminServer.Shutdown(sctx))
		}
		if a.Slack != nil {
			a.Slack.Close() // waits for the handlers of requests already acknowledged
		}
		return err
	})
	a.Logger.Info("liaison is running", "http", a.Addr(), "admin", cmp.Or(a.AdminAddr(), "off"), "version", versionString())
	err := g.Wait()
	a.Logger.Info("liaison stopped")
	return err
}

// Close releases what Open took: the listener and the database (with the
// SQLite lock). It is safe after a failed Open.
func (a *App) Close() {
	if a.listener != nil {
		a.listener.Close()
	}
	if a.admin != nil {
		a.admin.Close()
	}
	if a.DB != nil {
		a.DB.Close()
	}
}
