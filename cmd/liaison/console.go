package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/console"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/examples"
	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

const consoleHelp = `Usage: liaison console [--config FILE] [--db PATH] [--now TIME]

Plays a Slack workspace and a Discord server in one terminal, with the same
handlers, database and outbox as liaison run, so you can try Liaison without
tokens. Type lines at the "> " prompt, or give a script on standard input:

  liaison console < examples/tour.txt

Without --config it uses the built-in demo world (examples/console.yaml):
Discord #general #feedback #ideas (a forum) #announcements #mod-log with
members alice, mallory and eve; Slack #product #marketing #approvals #community
#mod-log; staff bob, carol and dave on both (dave is a moderator). A
configuration of your own may add a console: section listing its Discord
members and forums (see examples/console.yaml).

Each run starts a fresh world: its database is a temporary SQLite file,
removed at exit, so a script prints the same thing every time. --db FILE keeps
the world in FILE between runs instead (SQLite, or a postgres:// URL; never
liaison run's database); the console locks it, like liaison run. Time is a
clock of its own that starts now (or at --now, or at the time a script's first
line sets with "clock 2026-11-24T10:00+01:00") and moves only with "clock
+DURATION" or a later "clock TIME". Logs (warnings and errors; set
LIAISON_LOG_LEVEL=debug for more) go to standard error, the transcript to
standard output.

` + console.Syntax

// consoleCmd runs `liaison console`.
func consoleCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	flags := newFlags("console", consoleHelp, std)
	flags.SetOutput(std.Out)
	cfgPath := flags.String("config", "", "a liaison.yaml to use instead of the demo world")
	dbPath := flags.String("db", "", "a SQLite file (or a postgres:// URL) that keeps the console's world between runs (default: a fresh temporary one each run)")
	nowFlag := flags.String("now", "", `the time the console's clock starts at, like 2026-11-23T09:00:00+01:00 (default: now)`)
	if code, done := parse(flags, args, std); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(std.Err, "liaison console: unexpected argument %q: the script comes on standard input (liaison console < script.txt)\n", flags.Arg(0))
		return exitUsage
	}
	start := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fmt.Fprintf(std.Err, "liaison console: --now %q is not a time: write it like 2026-11-23T09:00:00+01:00 or 2026-11-23T08:00:00Z\n", *nowFlag)
			return exitUsage
		}
		start = t
	}
	level := env.LogLevel
	if level == "info" { // the default: keep the transcript's terminal quiet
		level = "warn"
	}
	logger, err := newLogger(std.Err, level)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison console:", err)
		return exitUsage
	}
	cfg, err := consoleConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison console:", err)
		return exitError
	}
	path := *dbPath
	if path == "" {
		// A fresh world: a database of this run's own, gone at exit.
		dir, err := os.MkdirTemp("", "liaison-console-*")
		if err != nil {
			fmt.Fprintln(std.Err, "liaison console: make a temporary database:", err)
			return exitError
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "console.db")
	}
	s, err := openConsole(ctx, cfg, path, bot.NewManualClock(start), std.Out, logger)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison console:", err)
		return exitError
	}
	defer s.db.Close()
	if err := s.console.Run(ctx, std.In, isTerminalReader(std.In)); err != nil {
		fmt.Fprintln(std.Err, "liaison console: read the input:", err)
		return exitError
	}
	return exitOK
}

// consoleConfig loads the file named by path, or the demo world.
func consoleConfig(path string) (*config.Config, error) {
	if path == "" {
		cfg, err := config.Parse("examples/console.yaml", examples.ConsoleYAML)
		if err != nil {
			return nil, fmt.Errorf("the built-in demo configuration is invalid (a bug):\n%w", err)
		}
		return cfg, nil
	}
	cfg, err := config.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--config names %s, which does not exist", path)
	case err != nil:
		return nil, fmt.Errorf("configuration is invalid:\n%w", err)
	}
	return cfg, nil
}

// consoleSession is a console wired to the production handlers, store and
// outbox dispatcher.
type consoleSession struct {
	db      *store.DB
	console *console.Console
}

// openConsole opens and migrates the database (taking its lock), and wires
// the handlers, the console and the dispatcher that sends the outbox through
// the console's senders. Close the returned session's db when done.
func openConsole(ctx context.Context, cfg *config.Config, dbPath string, clock *bot.ManualClock, out io.Writer, logger *slog.Logger) (_ *consoleSession, err error) {
	url := dbPath
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") && !strings.HasPrefix(url, "sqlite:") {
		url = "sqlite:" + dbPath
	}
	db, err := store.Open(ctx, url, store.Options{Exclusive: true})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	run, err := console.ClaimRun(ctx, db, clock.Now())
	if err != nil {
		return nil, err
	}
	// Giveaway seeds come from a fixed stream here, so that a transcript
	// repeats (the tour prints the same every run); `liaison run` draws
	// them from crypto/rand.
	seeds := rand.NewChaCha8(sha256.Sum256([]byte("liaison console giveaway seeds")))
	capabilities := handlers.Build(handlers.Deps{DB: db, Config: cfg, Clock: clock, Logger: logger, Random: seeds})
	router := capabilities.Router
	con := console.New(console.Options{
		Config:   cfg,
		Handler:  router,
		Commands: router.DiscordCommands(),
		Clock:    clock,
		Out:      out,
		Logger:   logger,
		Run:      run,
		Watch:    capabilities.Watch.Ingest,
	})
	dispatcher := &jobs.Dispatcher{
		Store: db,
		Senders: map[string]bot.Sender{
			bot.PlatformSlack:   con.Sender(bot.PlatformSlack),
			bot.PlatformDiscord: con.Sender(bot.PlatformDiscord),
		},
		Clock:        clock,
		Owner:        "console",
		Logger:       logger.With("job", "outbox"),
		Concurrency:  1, // one at a time, in order: the transcript is deterministic
		MaxAttempts:  cfg.Outbox.MaxAttempts,
		BackoffMin:   cfg.Outbox.BackoffMin,
		BackoffMax:   cfg.Outbox.BackoffMax,
		ReclaimAfter: cfg.Outbox.ReclaimAfter,
	}
	// The console's world is both platforms: a flagged message is read back
	// from it, and so are servers, members and user groups.
	capabilities.Attach(handlers.Readers{Discord: con, Guilds: con, SlackDirect: con})
	capabilities.AttachService(&consoleService{db: db, cfg: cfg, fb: capabilities.Feedback, clock: clock, started: clock.Now()})
	sched := &jobs.Scheduler{Leases: db, Clock: clock, Holder: "console", Logger: logger.With("job", "scheduler")}
	addJobs(sched, router)
	// Each line settles: due jobs, then the outbox they and the line filled.
	con.AddSettler(sched.RunDue)
	con.AddSettler(dispatcher.DispatchOnce)
	return &consoleSession{db: db, console: con}, nil
}

// consoleService answers /liaison status from the console's own world:
// what its database holds (the outbox, digests, reminders, the watch),
// with the console as the one replica, holding every lease, and as both
// platforms.
type consoleService struct {
	db      *store.DB
	cfg     *config.Config
	fb      *handlers.Feedback
	clock   bot.Clock
	started time.Time
}

func (s *consoleService) Status(ctx context.Context) (bot.Status, error) {
	now := s.clock.Now()
	platform := func() *bot.PlatformStatus {
		return &bot.PlatformStatus{Mode: "the console", Session: "connected", LastEvent: now} // the line that asked
	}
	st := bot.Status{Version: versionString(), StartedAt: s.started, Now: now, Replica: "console", Replicas: []string{"console"},
		SchedulerLease: "console", GatewayLease: "console", Slack: platform(), Discord: platform()}
	if err := errors.Join(storedStatus(ctx, &st, s.db, s.cfg, s.fb)...); err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

func (s *consoleService) RoundTrip(context.Context) (bot.RoundTrip, error) {
	return bot.RoundTrip{}, bot.Errorf(bot.EInvalid, "A round trip posts in the real Slack and Discord and waits for the events to come back: the console has neither. Run it where Liaison runs: liaison doctor --round-trip.")
}

// isTerminalReader reports whether r is an interactive terminal, where the
// console greets the user and prompts.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
