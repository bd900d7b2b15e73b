package discordbot

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-bot/liaison/bot"
)

// Intents are the gateway intents Liaison identifies with: guilds (channels
// and roles for the state), guild messages and their content, reactions,
// guild members (joins and leaves; privileged), guild moderation (bans and
// audit-log entries), AutoMod executions, direct messages (modmail) and
// invites (which one a newcomer used). GUILD_MEMBERS and
// MESSAGE_CONTENT must be enabled for the application in Discord's developer
// portal.
const Intents = discordgo.IntentGuilds |
	discordgo.IntentGuildMembers |
	discordgo.IntentGuildModeration |
	discordgo.IntentGuildMessages |
	discordgo.IntentGuildMessageReactions |
	discordgo.IntentMessageContent |
	discordgo.IntentAutoModerationExecution |
	discordgo.IntentDirectMessages |
	discordgo.IntentGuildInvites

// Defaults of Options.
const (
	DefaultAckBudget = 2 * time.Second
	DefaultWorkers   = 64
)

// Limits that are not options.
const (
	maxInteractions  = 32               // interactions answered at once from the gateway
	maxDeleteLookups = 4                // deletions whose deleter is looked up at once; more are delivered without
	queueDepth       = 256              // events held per worker (Options.Workers) before the gateway reader waits
	eventTimeout     = time.Minute      // one event's handling
	lateLimit        = 10 * time.Minute // a late interaction handler; Discord's token lives 15 minutes
	drainGrace       = 10 * time.Second // queued events finish this long after shutdown begins
)

// Options configure an Adapter. Zero values select the defaults said on
// each field.
type Options struct {
	// Token is the bot token (DISCORD_BOT_TOKEN), with or without the "Bot "
	// prefix. Required.
	Token string
	// AppID is the application id (DISCORD_APP_ID). Default: the one READY
	// reports. Command registration needs it.
	AppID string
	// PublicKey is the application's Ed25519 public key in hex
	// (DISCORD_PUBLIC_KEY). When set, Routes serves POST
	// /discord/interactions.
	PublicKey string
	// APIURL replaces Discord's REST base (LIAISON_DISCORD_API_URL, e.g.
	// "http://127.0.0.1:4321/api/v10/"); the gateway URL then comes from that
	// API's GET /gateway, as in production. Default: discord.com.
	APIURL string
	// Guilds are the configured guild ids: commands are registered in each,
	// and events and interactions from other guilds are ignored. Empty means
	// every guild (and no commands registered).
	Guilds []string
	// Handler receives the events and requests. Required.
	Handler bot.Handler
	// Commands are registered by bulk overwrite in every guild on start and
	// after every new session.
	Commands []bot.CommandSpec
	// Clock tells the time (timestamps of events without one, the HTTP
	// signature window, rate-limit waits). Default bot.SystemClock.
	Clock bot.Clock
	// Logger receives what goes wrong. Default slog.Default().
	Logger *slog.Logger
	// Inbound counts delivered events and requests by type; labels
	// platform and type. Optional.
	Inbound *prometheus.CounterVec
	// CatchUp says which channels are caught up after a session that could
	// not be resumed, a restart, or a message the handler lost.
	CatchUp CatchUpOptions
	// AckBudget is how long a handler may take before the interaction is
	// deferred (Discord allows 3 s for the first answer). Default 2 s.
	AckBudget time.Duration
	// Workers is how many events are handled at once. Events of one
	// author in one channel (and a message's create, edits, reactions and
	// delete) are handled one after another, in order; a busy channel's
	// authors run side by side. Default 64, DefaultGroupMax of the store's
	// group commit: with 8, a busy channel had at most 8 messages in the
	// database's group commit at a time, groups of 1.3, and intake waited
	// on round trips (BenchmarkDiscordIntake: 600-740 events/s with 8,
	// 700-970 with 32, when each author's events were hashed onto one of a
	// fixed set of workers); with an author's events in a lane of their
	// own, 64 ran 2,770-2,960/s against 2,600-2,720 for 32, and 256 no
	// more than 64.
	Workers int
	// RequestMembers asks for every member of each configured server once
	// per session (delivered as bot.MembersChunk events), for the member
	// facts the server logs keep.
	RequestMembers bool
	// ReadInvites reads the server's invites when someone joins (it needs
	// Manage Server), so the join log can say which invite they used.
	ReadInvites bool
	// ReadDeleters asks the audit log who deleted each deleted message
	// (bot.MessageDeleted.DeletedBy), for the deletion log; it needs View
	// Audit Log.
	ReadDeleters bool
}

// Adapter is Liaison's Discord adapter: one gateway session, the HTTP
// interactions endpoint and the outbox Sender. Create it with New, then Run
// it.
type Adapter struct {
	opts      Options
	session   *discordgo.Session
	handler   bot.Handler
	clock     bot.Clock
	log       *slog.Logger
	publicKey ed25519.PublicKey
	guilds    map[string]bool
	specs     map[string]bot.CommandSpec // chat commands by name, for option order
	commands  []*discordgo.ApplicationCommand
	sender    *Sender
	members   *memberCache  // the members read lately (GuildMember)
	catchup   *catchup      // the watched channels' cursors and catch-ups
	authors   authorCache   // who wrote the recent messages: their deletes' worker
	sem       chan struct{} // bounds gateway interactions in flight
	lookups   chan struct{} // bounds audit-log lookups of deletions in flight

	// life bounds work that outlives the request that started it (a late
	// interaction answer, commands registered for a new session): it ends
	// when Run returns.
	life context.Context
	stop context.CancelFunc

	mu        sync.Mutex
	tasks     sync.WaitGroup // goroutines started by goTask
	closed    bool           // no new tasks; guarded by mu
	running   bool           // Run has not returned
	gateway   bool           // Run wants the gateway open: false once it began shutting down
	queue     *queue
	selfID    string
	appID     string
	sessionID string
	readies   int // sessions this run
	conn      GatewayState
	probes    bot.Probes
}

// GatewayState is the gateway session as this replica sees it: what
// `/liaison status` and the metrics report.
type GatewayState struct {
	// Running says Run is running: this replica holds the gateway lease.
	Running bool
	// Connected says the session's websocket is open.
	Connected bool
	// LastEvent is when the last gateway event arrived (zero: none yet).
	LastEvent time.Time
	// Reconnects counts the connections opened after the first one of the
	// process; Resumes the sessions Discord resumed.
	Reconnects, Resumes int
	connects            int
}

// Gateway returns the gateway session's state.
func (a *Adapter) Gateway() GatewayState {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.conn
	st.Running = a.running
	return st
}

// onDisconnect records that the websocket closed.
func (a *Adapter) onDisconnect(_ *discordgo.Session, _ *discordgo.Disconnect) {
	a.mu.Lock()
	a.conn.Connected = false
	a.mu.Unlock()
}

// noteEvent records a gateway event's arrival, and counts resumes.
func (a *Adapter) noteEvent(e *discordgo.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conn.LastEvent = a.clock.Now()
	if _, ok := e.Struct.(*discordgo.Resumed); ok {
		a.conn.Resumes++
	}
}

// New checks opts and builds an Adapter; nothing is connected until Run.
func New(opts Options) (*Adapter, error) {
	if opts.Token == "" {
		return nil, errors.New("discord: a bot token is required (DISCORD_BOT_TOKEN)")
	}
	if opts.Handler == nil {
		return nil, errors.New("discord: a handler is required")
	}
	opts.Clock = cmp.Or[bot.Clock](opts.Clock, bot.SystemClock{})
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.AckBudget = cmp.Or(opts.AckBudget, DefaultAckBudget)
	opts.Workers = cmp.Or(opts.Workers, DefaultWorkers)

	s, err := restSession(opts.Token, opts.APIURL, 20*time.Second)
	if err != nil {
		return nil, err
	}
	s.Identify.Intents = Intents
	// Member facts live in the store (the server logs'); the process keeps
	// only roles and channels (keepState), so neither the servers announced
	// at start nor the member list asked for then grow its memory.
	s.StateEnabled = false
	s.State.TrackMembers, s.State.TrackPresences, s.State.MaxMessageCount = false, false, 0
	// Handlers run on the gateway reader, one event after another: the
	// adapter hands them to its own ordered, bounded workers at once.
	s.SyncEvents = true

	a := &Adapter{
		opts: opts, session: s, handler: opts.Handler, clock: opts.Clock, log: opts.Logger,
		guilds: map[string]bool{}, specs: map[string]bot.CommandSpec{},
		sem: make(chan struct{}, maxInteractions), lookups: make(chan struct{}, maxDeleteLookups), appID: opts.AppID,
	}
	a.catchup = newCatchup(opts.CatchUp, opts.Guilds, s, a, opts.Clock, opts.Logger)
	if opts.PublicKey != "" {
		k, err := hex.DecodeString(opts.PublicKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, errors.New("DISCORD_PUBLIC_KEY: want the application's public key, 64 hexadecimal characters")
		}
		a.publicKey = k
	}
	for _, g := range opts.Guilds {
		a.guilds[g] = true
	}
	if a.commands, err = applicationCommands(opts.Commands); err != nil {
		return nil, err
	}
	for _, c := range opts.Commands {
		if !c.MessageMenu {
			a.specs[c.Name] = c
		}
	}
	a.life, a.stop = context.WithCancel(context.Background())
	a.members = newMemberCache(memberCacheSize, memberCacheTTL, opts.Clock.Now)
	a.sender = &Sender{session: s, clock: opts.Clock, log: a.log, blocked: map[string]time.Time{}, members: a.members}
	s.AddHandler(a.keepState)
	s.AddHandler(a.keepMembers)
	s.AddHandler(a.onEvent)
	s.AddHandler(a.onModeration)
	s.AddHandler(a.onServerLog)
	s.AddHandler(a.onConnect)
	s.AddHandler(a.onDisconnect)
	return a, nil
}

// Sender returns the outbox sender for bot.PlatformDiscord. It works
// whether or not Run is running: it only needs the REST API.
func (a *Adapter) Sender() *Sender { return a.sender }

// Run connects to the gateway, registers the commands in every configured
// guild and delivers events until ctx ends; then it closes the session,
// lets queued events finish (for up to 10 s) and waits for every goroutine
// it started. It returns an error when it cannot connect or register the
// commands, nil after ctx ends. Run may be called again once it has
// returned (a replica that lost the gateway to another and got it back):
// the new run catches up from the saved cursors like a restart.
func (a *Adapter) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.running {
		a.mu.Unlock()
		return errors.New("discord: Run is already running")
	}
	a.running, a.closed, a.gateway = true, false, true
	a.readies = 0
	a.queue = newQueue(a.opts.Workers, a.log)
	q := a.queue
	a.mu.Unlock()
	a.catchup.start(q)

	err := a.session.Open()
	if err != nil {
		err = fmt.Errorf("connect to the Discord gateway: %w", err)
	} else {
		if err = a.registerCommands(ctx); err == nil || ctx.Err() != nil {
			err = nil // stopped while registering: a normal shutdown
			<-ctx.Done()
		}
	}
	a.shutdown()
	return err
}

// shutdown stops everything Run started, in dependency order: no new
// events (the session), no new tasks, the tasks and the catch-up's timers,
// then the event queue, and last saves the cursors.
func (a *Adapter) shutdown() {
	a.mu.Lock()
	a.closed, a.gateway = true, false
	q := a.queue
	a.mu.Unlock()
	if err := a.session.Close(); err != nil {
		a.log.Warn("discord: closing the gateway", "err", err)
	}
	a.stop()
	a.tasks.Wait()
	a.catchup.stop()
	q.close(drainGrace)
	a.catchup.save(context.Background()) // where each channel was left, for the next start
	// Ready for the next run, and for HTTP interactions meanwhile (they do
	// not need the gateway, and their late answers are tasks).
	a.mu.Lock()
	a.running, a.closed = false, false
	a.life, a.stop = context.WithCancel(context.Background())
	a.mu.Unlock()
}

// onConnect closes a connection discordgo's own reconnect loop opened after
// Run began shutting down (it may have been sleeping when Close ran).
func (a *Adapter) onConnect(s *discordgo.Session, _ *discordgo.Connect) {
	a.mu.Lock()
	closed := !a.gateway
	a.conn.Connected = true
	if a.conn.connects++; a.conn.connects > 1 {
		a.conn.Reconnects++
	}
	a.mu.Unlock()
	if closed {
		// Open holds the session lock while it emits Connect: close after.
		go s.Close()
	}
}

// goTask runs fn in a goroutine the adapter owns (Run waits for it),
// recovering a panic. It reports false, without running fn, once the
// adapter is shutting down.
func (a *Adapter) goTask(fn func(ctx context.Context)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.tasks.Add(1)
	life := a.life
	go func() {
		defer a.tasks.Done()
		defer a.recoverPanic("task")
		fn(life)
	}()
	return true
}

// lifeCtx returns the context of the current run's background work: it
// ends when the run shuts down.
func (a *Adapter) lifeCtx() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.life
}

func (a *Adapter) recoverPanic(what string) {
	if p := recover(); p != nil {
		a.log.Error("discord: panic recovered", "in", what, "panic", p, "stack", string(debug.Stack()))
	}
}

// count adds one to the inbound counter.
func (a *Adapter) count(typ string) {
	if a.opts.Inbound != nil {
		a.opts.Inbound.WithLabelValues(bot.PlatformDiscord, typ).Inc()
	}
}

// inGuild reports whether events of guild g are Liaison's to handle.
func (a *Adapter) inGuild(g string) bool {
	return len(a.guilds) == 0 || a.guilds[g]
}

func (a *Adapter) self() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.selfID
}
