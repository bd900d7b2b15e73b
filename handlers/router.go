package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// EventFunc handles an event inside the transaction that also records the
// event's platform identities: its state changes and outbox messages commit
// with the de-duplication record, or not at all.
type EventFunc func(ctx context.Context, tx *store.Tx, ev bot.Event) error

// Subcommand is one `/liaison <name> …` command in Slack, declared as data so
// help, errors and suggestions come from one place.
type Subcommand struct {
	Name    string
	Usage   string // arguments, e.g. "list [open|mine|tag:X]"
	Summary string // one line for the help
	Run     func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error)
}

// Router implements bot.Handler: it records each event's, command's,
// click's and form's platform identities (so a redelivery is answered
// once), then hands it to the capability that registered it. It holds no
// capability logic and no capability state: capabilities register what
// they answer with the On… and Add… methods, and Build wires them.
//
// Registration happens before the Router serves; the Router is then safe
// for concurrent use.
type Router struct {
	db    *store.DB // where identities are recorded
	clock bot.Clock

	events      []EventFunc
	subcommands map[string]*Subcommand
	commands    map[string]func(ctx context.Context, c *bot.Command) (*bot.Reply, error) // top-level: /feedback, /warn, menus
	actions     map[string]func(ctx context.Context, a *bot.Action) (*bot.Reply, error)  // by ActionID, or its prefix before "."
	forms       map[string]func(ctx context.Context, s *bot.Submission) (*bot.Reply, error)
	specs       []bot.CommandSpec
	jobs        []func(owner string, logger *slog.Logger) jobs.Job
}

var _ bot.Handler = (*Router)(nil)

// emptyRouter returns a Router on which nothing is registered yet.
func emptyRouter(db *store.DB, clock bot.Clock) *Router {
	return &Router{
		db:          db,
		clock:       clock,
		subcommands: map[string]*Subcommand{},
		commands:    map[string]func(context.Context, *bot.Command) (*bot.Reply, error){},
		actions:     map[string]func(context.Context, *bot.Action) (*bot.Reply, error){},
		forms:       map[string]func(context.Context, *bot.Submission) (*bot.Reply, error){},
	}
}

// Registration. The parameters are plain func types so that a capability
// in a package of its own registers through a small interface of its own
// (handlers/moderation's registrar) without importing this package.

// OnEvent adds an event handler. Every event runs every handler, in the
// order they were added, in one transaction.
func (r *Router) OnEvent(f func(ctx context.Context, tx *store.Tx, ev bot.Event) error) {
	r.events = append(r.events, f)
}

// OnCommand routes the top-level command name (a Discord slash command, a
// message menu, a Slack slash command or shortcut) to run.
func (r *Router) OnCommand(name string, run func(ctx context.Context, c *bot.Command) (*bot.Reply, error)) {
	mustBeNew(r.commands, name, "command")
	r.commands[name] = run
}

// OnSubcommand routes `/liaison name …` to run; usage and summary are what
// help shows.
func (r *Router) OnSubcommand(name, usage, summary string, run func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error)) {
	mustBeNew(r.subcommands, name, "subcommand")
	r.subcommands[name] = &Subcommand{Name: name, Usage: usage, Summary: summary, Run: run}
}

// OnAction routes the buttons whose ActionID is id, or whose prefix before
// "." is id, to run. A whole ActionID wins over a prefix: the relay's
// "feedback.draft" button belongs to approvals, its other "feedback." ones
// to feedback.
func (r *Router) OnAction(id string, run func(ctx context.Context, a *bot.Action) (*bot.Reply, error)) {
	mustBeNew(r.actions, id, "action")
	r.actions[id] = run
}

// OnForm routes the forms whose CallbackID's prefix before "." is prefix to
// run.
func (r *Router) OnForm(prefix string, run func(ctx context.Context, s *bot.Submission) (*bot.Reply, error)) {
	mustBeNew(r.forms, prefix, "form")
	r.forms[prefix] = run
}

// AddDiscordCommand declares an application command for the Discord
// adapter to register; OnCommand routes it.
func (r *Router) AddDiscordCommand(spec bot.CommandSpec) { r.specs = append(r.specs, spec) }

// AddJob declares a periodic job for the scheduler.
func (r *Router) AddJob(j jobs.Job) {
	r.AddJobFor(func(string, *slog.Logger) jobs.Job { return j })
}

// AddJobFor declares a periodic job that needs to know the scheduler it
// runs on: build is given the replica's name (recorded on what the job
// claims) and the scheduler's logger.
func (r *Router) AddJobFor(build func(owner string, logger *slog.Logger) jobs.Job) {
	r.jobs = append(r.jobs, build)
}

// mustBeNew panics when name is registered twice: one capability answers
// each name, so a second one is a wiring mistake.
func mustBeNew[V any](m map[string]V, name, what string) {
	if _, ok := m[name]; ok {
		panic(fmt.Sprintf("handlers: %s %q is registered twice", what, name))
	}
}

// DiscordCommands lists the application commands capabilities handle, for
// the Discord adapter to register.
func (r *Router) DiscordCommands() []bot.CommandSpec { return r.specs }

// Jobs returns the periodic jobs capabilities declared, in the order they
// declared them (the order the scheduler runs jobs due at one moment), for
// a scheduler run by owner, logging to logger. Each call builds them anew:
// give each scheduler its own.
func (r *Router) Jobs(owner string, logger *slog.Logger) []jobs.Job {
	out := make([]jobs.Job, len(r.jobs))
	for i, build := range r.jobs {
		out[i] = build(owner, logger)
	}
	return out
}

// Dispatch.

// HandleEvent records the event's identities and runs every event handler,
// all in one transaction. A redelivered event (an identity already
// recorded) is a no-op.
func (r *Router) HandleEvent(ctx context.Context, ev bot.Event) error {
	return r.db.InTx(ctx, func(tx *store.Tx) error {
		first, err := firstSeen(ctx, tx, r.clock, ev.Delivered())
		if err != nil || !first {
			return err
		}
		for _, h := range r.events {
			if err := h(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// firstSeen records every key and reports whether all were new. One key
// already seen makes the event a duplicate: Slack sends one message under
// several event ids (a message and an app_mention) and the same event id on
// every retry.
func firstSeen(ctx context.Context, tx *store.Tx, clock bot.Clock, d *bot.Delivery) (bool, error) {
	all := true
	for _, k := range d.Keys {
		first, err := tx.FirstSeen(ctx, clock.Now(), k.Kind, k.Key)
		if err != nil {
			return false, err
		}
		all = all && first
	}
	return all, nil
}

// seenOnce records d's keys in a transaction of their own and reports
// whether the request is new: commands, clicks and forms are answered once.
func (r *Router) seenOnce(ctx context.Context, d *bot.Delivery) (bool, error) {
	switch len(d.Keys) {
	case 0:
		return true, nil
	case 1: // one statement, no transaction around it
		return r.db.FirstSeen(ctx, r.clock.Now(), d.Keys[0].Kind, d.Keys[0].Key)
	}
	var first bool
	err := r.db.InTx(ctx, func(tx *store.Tx) (err error) {
		first, err = firstSeen(ctx, tx, r.clock, d)
		return err
	})
	return first, err
}

// HandleCommand answers a slash command or a context-menu command.
func (r *Router) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	if first, err := r.seenOnce(ctx, &c.Delivery); err != nil || !first {
		return nil, err
	}
	if c.Name == "liaison" {
		return r.runSubcommand(ctx, c)
	}
	if h, ok := r.commands[c.Name]; ok {
		return h(ctx, c)
	}
	return nil, bot.Errorf(bot.ENotFound, "Liaison does not handle /%s yet. Try /liaison help.", c.Name)
}

func (r *Router) runSubcommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	name, args, _ := strings.Cut(strings.TrimSpace(c.Text), " ")
	name = strings.ToLower(name)
	if name == "" {
		name = "help"
	}
	sc, ok := r.subcommands[name]
	if !ok {
		msg := fmt.Sprintf("There is no /liaison %s.", name)
		if s := r.closest(name); s != "" {
			msg += fmt.Sprintf(" Did you mean /liaison %s?", s)
		}
		return nil, bot.Errorf(bot.EInvalid, "%s Type /liaison help to see what Liaison can do.", msg)
	}
	return sc.Run(ctx, c, strings.TrimSpace(args))
}

// closest suggests the subcommand nearest to a mistyped name.
func (r *Router) closest(name string) string {
	best, bestD := "", 3
	for n := range r.subcommands {
		if d := editDistance(name, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// HandleAction answers a button click, routed by the whole ActionID when a
// capability registered it, else by its prefix ("feedback.ack" goes to the
// "feedback" capability).
func (r *Router) HandleAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	if first, err := r.seenOnce(ctx, &a.Delivery); err != nil || !first {
		return nil, err
	}
	h, ok := r.actions[a.ActionID]
	if !ok {
		prefix, _, _ := strings.Cut(a.ActionID, ".")
		h, ok = r.actions[prefix]
	}
	if ok {
		return h(ctx, a)
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was changed.")
}

// HandleSubmission answers a submitted form, routed by its CallbackID's
// prefix.
func (r *Router) HandleSubmission(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	if first, err := r.seenOnce(ctx, &s.Delivery); err != nil || !first {
		return nil, err
	}
	prefix, _, _ := strings.Cut(s.CallbackID, ".")
	if h, ok := r.forms[prefix]; ok {
		return h(ctx, s)
	}
	return nil, bot.Errorf(bot.ENotFound, "This form belongs to something Liaison no longer handles; nothing was changed.")
}

// subcommand returns the subcommand called name (help explains one).
func (r *Router) subcommand(name string) (*Subcommand, bool) {
	sc, ok := r.subcommands[name]
	return sc, ok
}

// subcommandList returns the registered subcommands in help order.
func (r *Router) subcommandList() []*Subcommand {
	names := make([]string, 0, len(r.subcommands))
	for n := range r.subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*Subcommand, len(names))
	for i, n := range names {
		out[i] = r.subcommands[n]
	}
	return out
}
