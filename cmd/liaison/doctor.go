package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/config"
)

const doctorHelp = `Usage: liaison doctor [--json] [--only GROUP] [--round-trip]

Checks an installation the way liaison run would use it, with the same
environment and liaison.yaml, and prints one line per check with what to do
about every problem:

  config    liaison.yaml: everything liaison config check checks; LIAISON_LOG_LEVEL
            and LIAISON_ADMIN_ADDR (a valid address, kept private)
  database  the connection, pending migrations, the SQLite lock (free, or which
            pid holds it), the Postgres version and its max_connections
  slack     the token (auth.test), the scopes granted against those the
            features in liaison.yaml need, each channel (exists, not archived,
            Liaison is in it), the user groups named, the signing secret or
            the app token
  discord   the token, the application id, the privileged intents, each server
            and channel (Liaison's permissions there, from its roles and the
            channel's overwrites, against what the features need), moderation
            permissions and role order, the registered slash commands
  watch     the web watch (run with the others when liaison.yaml has a watch:
            section): the queries and sources, each source's credentials
            (GITHUB_TOKEN, REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET,
            MASTODON_ACCESS_TOKEN, STACKEXCHANGE_KEY), one real request to
            each feed, instance, subreddit and source as liaison run makes it,
            and the sources liaison run's polls find failing

--round-trip also asks the running liaison run, on its admin listener
(LIAISON_ADMIN_ADDR, default 127.0.0.1:9090), to post a marked test message in
one Slack channel and one Discord channel from liaison.yaml, see each come back
through its real event path, delete it, and report the latency: the only way
to know that events really arrive. (A second Socket Mode connection or gateway
session would take the service's events, so doctor does not open its own.)

✓ is fine, ⚠ works but deserves a look, ✗ breaks something. The exit status
is 0 when nothing is ✗, 1 otherwise. Secrets are never printed: tokens show
as xoxb-…last4. Without --round-trip it posts nothing and changes no data, and
it opens no Socket Mode or gateway connection (those would take events from
the running service).

` + envHelp

// doctorGroups are the groups --only may name, in the order they run. The
// watch's runs with the others only when liaison.yaml has a watch: section.
var doctorGroups = []string{"config", "database", "slack", "discord", "watch"}

func doctorCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	flags := newFlags("doctor", doctorHelp, std)
	flags.SetOutput(std.Out)
	asJSON := flags.Bool("json", false, "print the report as JSON, for automation")
	only := flags.String("only", "", "run one group: "+strings.Join(doctorGroups, ", "))
	roundTrip := flags.Bool("round-trip", false, "also have the running service post a test message in Slack and Discord and time its return")
	if code, done := parse(flags, args, std); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(std.Err, "liaison doctor: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	}
	if *only != "" && !slices.Contains(doctorGroups, *only) {
		fmt.Fprintf(std.Err, "liaison doctor: --only %q: name one of %s\n", *only, strings.Join(doctorGroups, ", "))
		return exitUsage
	}
	d := &doctor{env: env, timeout: 10 * time.Second}
	r := d.run(ctx, *only, *roundTrip)
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(std.Err, "liaison doctor:", err)
			return exitError
		}
	} else {
		r.print(std.Out)
	}
	if r.Failures > 0 {
		return exitError
	}
	return exitOK
}

// status is a check's verdict.
type status string

const (
	statusOK   status = "ok"   // ✓
	statusWarn status = "warn" // ⚠ works, but deserves a look
	statusFail status = "fail" // ✗ breaks something: the exit status is 1
	statusInfo status = "info" // – a fact, nothing to judge (a platform that is off)
)

func (s status) mark() string {
	switch s {
	case statusOK:
		return "✓"
	case statusWarn:
		return "⚠"
	case statusFail:
		return "✗"
	}
	return "–"
}

// check is one row of the report.
type check struct {
	// ID names the check for automation, stable across versions:
	// "slack.scope.usergroups:read", "discord.channel.998877…/feedback".
	ID     string `json:"id"`
	Status status `json:"status"`
	// Title is what was checked, Message what was found.
	Title   string `json:"title"`
	Message string `json:"message"`
	// Fix says what to do; set for every warn and fail.
	Fix string `json:"fix,omitempty"`
}

// group is the checks of one area: Config, Database, Slack, Discord.
type group struct {
	Name   string  `json:"name"`
	Checks []check `json:"checks"`
}

func (g *group) add(id string, s status, title, msg, fix string) {
	g.Checks = append(g.Checks, check{ID: id, Status: s, Title: title, Message: msg, Fix: fix})
}

func (g *group) ok(id, title, msg string)        { g.add(id, statusOK, title, msg, "") }
func (g *group) info(id, title, msg string)      { g.add(id, statusInfo, title, msg, "") }
func (g *group) warn(id, title, msg, fix string) { g.add(id, statusWarn, title, msg, fix) }
func (g *group) fail(id, title, msg, fix string) { g.add(id, statusFail, title, msg, fix) }

// report is everything liaison doctor found.
type report struct {
	Version  string  `json:"version"`
	OK       bool    `json:"ok"` // no check failed
	Failures int     `json:"failures"`
	Warnings int     `json:"warnings"`
	Groups   []group `json:"groups"`
}

func (r *report) print(w io.Writer) {
	for _, g := range r.Groups {
		fmt.Fprintln(w, g.Name)
		for _, c := range g.Checks {
			fmt.Fprintf(w, "  %s %s: %s\n", c.Status.mark(), c.Title, c.Message)
			if c.Fix != "" {
				fmt.Fprintf(w, "    fix: %s\n", c.Fix)
			}
		}
	}
	switch {
	case r.Failures == 0 && r.Warnings == 0:
		fmt.Fprintln(w, "\nEverything checked is fine.")
	case r.Failures == 0:
		fmt.Fprintf(w, "\nNo problem, %s to look at (⚠ above).\n", plural(r.Warnings, "warning"))
	default:
		fmt.Fprintf(w, "\n%s (✗) and %s (⚠): each says how to fix it.\n", plural(r.Failures, "problem"), plural(r.Warnings, "warning"))
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// doctor runs the checks. The config group runs first (alone or not): the
// platform groups check the references liaison.yaml makes.
type doctor struct {
	env     Env
	timeout time.Duration // of each platform call

	cfg     *config.Config // nil when liaison.yaml is invalid or missing when named
	cfgPath string
	cfgErr  string // why cfg is nil
}

func (d *doctor) run(ctx context.Context, only string, roundTrip bool) *report {
	r := &report{Version: versionString()}
	cfgGroup := d.configGroup()
	for _, name := range doctorGroups {
		if only != name && (only != "" || (name == "watch" && (d.cfg == nil || !d.cfg.Watch.Enabled))) {
			continue
		}
		var g group
		switch name {
		case "config":
			g = cfgGroup
		case "database":
			g = d.databaseGroup(ctx)
		case "slack":
			g = d.slackGroup(ctx)
		case "discord":
			g = d.discordGroup(ctx)
		case "watch":
			g = d.watchGroup(ctx)
		}
		r.Groups = append(r.Groups, g)
	}
	if roundTrip {
		r.Groups = append(r.Groups, d.roundTripGroup(ctx))
	}
	for _, g := range r.Groups {
		for _, c := range g.Checks {
			switch c.Status {
			case statusFail:
				r.Failures++
			case statusWarn:
				r.Warnings++
			}
		}
	}
	r.OK = r.Failures == 0
	return r
}

// platformOff is the one row of a platform whose token is not set: a fact,
// or a warning when liaison.yaml declares places there (what) that nothing
// will reach.
func platformOff(g *group, platform, tokenVar string, declared bool, what, fix string) {
	msg := "off: " + tokenVar + " is not set"
	if !declared {
		g.info(platform+".token", g.Name, msg)
		return
	}
	g.warn(platform+".token", g.Name, msg+", yet liaison.yaml declares "+what+": nothing is read or posted there", fix)
}

// mask shows a secret without revealing it: its kind prefix (xoxb-, xapp-)
// and its last four characters when it is long enough that they give
// nothing away, as in xoxb-…9f2c.
func mask(secret string) string {
	prefix := ""
	for _, p := range []string{"xoxb-", "xoxp-", "xapp-"} {
		if strings.HasPrefix(secret, p) {
			prefix = p
		}
	}
	if len(secret) < 20 {
		return prefix + "…"
	}
	return prefix + "…" + secret[len(secret)-4:]
}
