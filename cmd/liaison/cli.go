package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/access"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Stdio are the streams a command reads and writes.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command line was wrong
)

const usage = `Liaison connects your company's Slack and its community's Discord: it relays
feedback, publishes approved replies, moderates, and reports on the community.

Usage:
  liaison <command> [flags]

Commands:
  run            run the service (HTTP server, Slack and Discord connections, jobs)
  console        try Liaison in a terminal that plays both Slack and Discord
  migrate        apply database migrations (migrate up) or show them (migrate status)
  config check   validate a liaison.yaml without connecting to anything
  doctor         check an installation: configuration, database, Slack and Discord
  healthcheck    exit 0 when the running service is ready (for container health checks)
  digest         preview the community digest, or post one now (digest preview|run)
  audit drafts   every reply posted in Discord: its versions, approvals and policy
  giveaway verify  recompute a giveaway's draw from its published entrant list and seed
  feedback export  every feedback item since a date: history, votes, merges, replies (csv or json)
  version        print the version
  help           show this help, or a command's: liaison help run

Run 'liaison <command> --help' for a command's flags and environment.
`

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, std *Stdio, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(std.Err, usage)
		return exitUsage
	}
	env := readEnv(getenv)
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help":
		fmt.Fprint(std.Out, usage)
		return exitOK
	case "help":
		if len(rest) == 0 {
			fmt.Fprint(std.Out, usage)
			return exitOK
		}
		return Main(ctx, append(rest[:1:1], "--help"), std, getenv)
	case "version", "--version":
		if slices.ContainsFunc(rest, isHelpFlag) {
			fmt.Fprint(std.Out, versionUsage)
			return exitOK
		}
		fmt.Fprintln(std.Out, "liaison", versionString())
		return exitOK
	case "run":
		return runCmd(ctx, rest, std, env)
	case "console":
		return consoleCmd(ctx, rest, std, env)
	case "migrate":
		return migrateCmd(ctx, rest, std, env)
	case "config":
		return configCmd(rest, std, env)
	case "digest":
		return digestCmd(ctx, rest, std, env)
	case "doctor":
		return doctorCmd(ctx, rest, std, env)
	case "healthcheck":
		return healthcheckCmd(ctx, rest, std, env)
	case "audit":
		return auditCmd(ctx, rest, std, env)
	case "giveaway":
		return giveawayCmd(ctx, rest, std)
	case "feedback":
		return feedbackCmd(ctx, rest, std, env)
	}
	fmt.Fprintf(std.Err, "liaison: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

const versionUsage = `Usage: liaison version

Prints the version of this liaison binary (set at build time; "dev" for a
build from a checkout). /liaison status and GET /status say which version a
running service is.
`

// isHelpFlag reports whether arg asks for a command's help.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newFlags returns a flag set whose --help prints text and whose errors go to
// std.Err.
func newFlags(name, text string, std *Stdio) *flag.FlagSet {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(std.Err)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), text)
		var b strings.Builder
		flags.SetOutput(&b)
		flags.PrintDefaults()
		flags.SetOutput(std.Err)
		if b.Len() > 0 {
			fmt.Fprintf(std.Err, "\nFlags:\n%s", b.String())
		}
	}
	return flags
}

// parse parses args and returns the exit code to return now, if any.
func parse(flags *flag.FlagSet, args []string, std *Stdio) (int, bool) {
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// --help is a success; print to stdout.
			flags.SetOutput(std.Out)
			return exitOK, true
		}
		return exitUsage, true
	}
	return 0, false
}

const runHelp = `Usage: liaison run

Runs Liaison: the HTTP server (GET /healthz, /readyz, /metrics and the Slack and
Discord endpoints), the platform connections and the background jobs. It
migrates the database first. With no liaison.yaml and no tokens it still starts,
serves its health endpoints and logs which platforms are off.

SIGINT or SIGTERM stops intake, lets messages being sent finish, and exits.

` + envHelp

func runCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	flags := newFlags("run", runHelp, std)
	flags.SetOutput(std.Out)
	if code, done := parse(flags, args, std); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(std.Err, "liaison run: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	}
	logger, err := newLogger(std.Err, env.LogLevel)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison run:", err)
		return exitUsage
	}
	app := NewApp(env, logger)
	if err := app.Open(ctx); err != nil {
		fmt.Fprintln(std.Err, "liaison run:", err)
		return exitError
	}
	defer app.Close()
	if err := app.Run(ctx); err != nil {
		logger.Error("liaison stopped", "err", err)
		return exitError
	}
	return exitOK
}

const migrateHelp = `Usage: liaison migrate [up|status]

  up      apply every pending migration (the default); safe to run from several
          processes at once on Postgres
  status  list the migrations and whether each is applied

liaison run migrates on start; this command lets you do it ahead of a deploy.

Environment:
  LIAISON_DATABASE_URL   postgres://… or sqlite:PATH (default: SQLite at ./liaison.db)
`

func migrateCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	flags := newFlags("migrate", migrateHelp, std)
	flags.SetOutput(std.Out)
	if code, done := parse(flags, args, std); done {
		return code
	}
	sub := "up"
	if flags.NArg() > 0 {
		sub = flags.Arg(0)
	}
	if flags.NArg() > 1 || (sub != "up" && sub != "status") {
		fmt.Fprintf(std.Err, "liaison migrate: expected up or status, got %q\n", strings.Join(flags.Args(), " "))
		return exitUsage
	}
	db, err := store.Open(ctx, env.DatabaseURL, store.Options{Exclusive: sub == "up"})
	if err != nil {
		fmt.Fprintln(std.Err, "liaison migrate:", err)
		return exitError
	}
	defer db.Close()
	if sub == "up" {
		n, err := db.Migrate(ctx)
		if err != nil {
			fmt.Fprintln(std.Err, "liaison migrate:", err)
			return exitError
		}
		if n == 0 {
			fmt.Fprintf(std.Out, "%s database is up to date.\n", db.Dialect())
		} else {
			fmt.Fprintf(std.Out, "Applied %d migration(s) to the %s database.\n", n, db.Dialect())
		}
		return exitOK
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison migrate:", err)
		return exitError
	}
	tw := tabwriter.NewWriter(std.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, s := range st {
		state, at := "pending", ""
		if s.Applied {
			state, at = "applied", s.AppliedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
	}
	tw.Flush()
	return exitOK
}

const configHelp = `Usage: liaison config check [FILE]

Validates a liaison.yaml offline: unknown keys, wrong types, malformed
durations, cron expressions and timezones, and references to channels, people,
groups or roles that are not declared. Every error names the file, line and key.
A valid file's summary lists every action permissions: may name and who may do
it. FILE defaults to $LIAISON_CONFIG, then ./liaison.yaml.

Environment:
  LIAISON_CONFIG   path of liaison.yaml
`

func configCmd(args []string, std *Stdio, env Env) int {
	flags := newFlags("config", configHelp, std)
	flags.SetOutput(std.Out)
	if code, done := parse(flags, args, std); done {
		return code
	}
	if flags.NArg() == 0 || flags.Arg(0) != "check" || flags.NArg() > 2 {
		fmt.Fprint(std.Err, configHelp)
		return exitUsage
	}
	path := firstNonEmpty(flags.Arg(1), env.ConfigPath, "liaison.yaml")
	cfg, err := config.Load(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(std.Err, "%s: no such file\n", path)
		} else {
			fmt.Fprintln(std.Err, err)
		}
		return exitError
	}
	fmt.Fprintf(std.Out, "%s is valid: timezone %s, %d Slack channel(s), %d Discord server(s), %d people, %d digest(s).\n",
		path, cfg.Timezone, len(cfg.Slack.Channels), len(cfg.Discord.Guilds), len(cfg.People), len(cfg.Digests))
	printPermissions(std.Out, cfg)
	return exitOK
}

// printPermissions lists every action permissions: may name and who may do
// it under this file, so an admin sees the effect of staff:, admins: and
// permissions: before deploying.
func printPermissions(w io.Writer, cfg *config.Config) {
	checker := &access.Checker{Config: cfg}
	fmt.Fprintln(w, "Who may do what (permissions: ACTION: WHO changes it; approving replies follows approvals:):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range bot.Permissions {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Action, checker.Describe(cfg.Who(p.Action)))
	}
	tw.Flush()
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
