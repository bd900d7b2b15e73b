package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/access"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// EventFunc handles an event inside the transaction that also records the
// event's platform identities: its state changes and outbox messages commit
// with the de-duplication record, or not at all.
type EventFunc func(ctx context.Context, tx *store.Tx, ev bot.Event) error

// Subcommand is one `/liaison <name> …` command in Slack, declared as data so
// help, errors, suggestions and who may run it come from one place.
type Subcommand struct {
	Name  string
	Usage string // arguments, e.g. "list [open|mine|tag:X] | close N": one alternative per verb, split by " | "
	// Summary is one line for the help.
	Summary string
	// Needs is the action running it needs, per verb when they differ.
	Needs bot.Needs
	Run   func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error)

	forms  []alternative // Usage's forms, split once
	checks []string      // helpChecks
}

// handler is a command, button or form handler with the action (one of
// bot.Permissions) its user must be allowed; "" is everyone.
type handler[T any] struct {
	action string
	run    func(ctx context.Context, in T) (*bot.Reply, error)
	// once: run records the delivery itself (OnCommandOnce).
	once bool
}

// Router implements bot.Handler: it records each event's, command's,
// click's and form's platform identities (so a redelivery is answered
// once), checks that the person may do what the command, button or form
// declared it needs, then hands it to the capability that registered it.
// It holds no capability logic and no capability state: capabilities
// register what they answer with the On… and Add… methods, and Build wires
// them.
//
// Registration happens before the Router serves; the Router is then safe
// for concurrent use.
type Router struct {
	db     *store.DB // where identities are recorded
	clock  bot.Clock
	access *access.Checker // who may do what

	events      []EventFunc
	prepares    []func(ctx context.Context, ev bot.Event) context.Context
	subcommands map[string]*Subcommand
	sorted      []*Subcommand                    // subcommands in help order
	commands    map[string]handler[*bot.Command] // top-level: /feedback, /warn, menus; "slack:feedback" for one platform's
	actions     map[string]handler[*bot.Action]  // by ActionID, or its prefix before "."
	forms       map[string]handler[*bot.Submission]
	specs       []bot.CommandSpec
	jobs        []func(owner string, logger *slog.Logger) jobs.Job
}

var _ bot.Handler = (*Router)(nil)

// emptyRouter returns a Router on which nothing is registered yet, checking
// permissions with access.
func emptyRouter(db *store.DB, clock bot.Clock, access *access.Checker) *Router {
	return &Router{
		db:          db,
		clock:       clock,
		access:      access,
		subcommands: map[string]*Subcommand{},
		commands:    map[string]handler[*bot.Command]{},
		actions:     map[string]handler[*bot.Action]{},
		forms:       map[string]handler[*bot.Submission]{},
	}
}

// Registration. Each command, subcommand, button and form declares the
// action (capability.verb, one of bot.Permissions) its user must be
// allowed, or "" when anyone may use it: the Router refuses everyone else
// before the handler runs, so handlers never check who may on their own.
// Approving a draft is not a permission (the approvals policy decides), so
// approval buttons declare none. Events declare nothing: no reaction is
// permissioned (👍 votes and 📣 flags are everyone's; ✅ and ❌ follow the
// approvals policy).
//
// The parameters are plain types so that a capability in a package of its
// own registers through a small interface of its own (handlers/moderation's
// registrar) without importing this package.

// OnEvent adds an event handler. Every event runs every handler, in the
// order they were added, in one transaction.
func (r *Router) OnEvent(f func(ctx context.Context, tx *store.Tx, ev bot.Event) error) {
	r.events = append(r.events, f)
}

// OnEventPrepare adds work done for every event before its transaction,
// outside it (scoring a text, look-ups in memory, a read on a connection
// of its own, a call to Slack or Discord), so that the transaction's turn
// in a group commit holds only its reads and writes.
// It returns the context the event's handlers get: ctx, or ctx carrying
// what it worked out.
func (r *Router) OnEventPrepare(f func(ctx context.Context, ev bot.Event) context.Context) {
	r.prepares = append(r.prepares, f)
}

// OnCommand routes the top-level command name (a Discord slash command, a
// message menu, a Slack slash command or shortcut) to run, for those who
// may do action. A name qualified by a platform ("slack:feedback") is that
// platform's command only, and wins over the bare name.
func (r *Router) OnCommand(name, action string, run func(ctx context.Context, c *bot.Command) (*bot.Reply, error)) {
	mustBeNew(r.commands, name, "command")
	r.commands[name] = handler[*bot.Command]{action: mustBeAction(action), run: run}
}

// OnCommandOnce is OnCommand for a command whose run does its work in one
// transaction, store.DB.InTxFirst with the command's keys, and answers
// nothing when they were seen before: the Router does not record the
// command's delivery first, so the command costs one commit, not two in a
// row (/feedback: bench/compare.sh).
func (r *Router) OnCommandOnce(name, action string, run func(ctx context.Context, c *bot.Command) (*bot.Reply, error)) {
	mustBeNew(r.commands, name, "command")
	r.commands[name] = handler[*bot.Command]{action: mustBeAction(action), run: run, once: true}
}

// OnSubcommand routes `/liaison name …` to run, for those who may do what
// needs declares; usage and summary are what help shows.
func (r *Router) OnSubcommand(name, usage, summary string, needs bot.Needs, run func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error)) {
	mustBeNew(r.subcommands, name, "subcommand")
	mustBeAction(needs.Action)
	for _, a := range needs.Verbs {
		mustBeAction(a)
	}
	sc := &Subcommand{Name: name, Usage: usage, Summary: summary, Needs: needs, Run: run}
	sc.forms = splitUsage(sc)
	sc.checks = helpChecks(sc)
	r.subcommands[name] = sc
	r.sorted = slices.SortedFunc(maps.Values(r.subcommands), func(a, b *Subcommand) int { return strings.Compare(a.Name, b.Name) })
}

// OnAction routes the buttons whose ActionID is id, or whose prefix before
// "." is id, to run, for those who may do action. A whole ActionID wins
// over a prefix.
func (r *Router) OnAction(id, action string, run func(ctx context.Context, a *bot.Action) (*bot.Reply, error)) {
	mustBeNew(r.actions, id, "action")
	r.actions[id] = handler[*bot.Action]{action: mustBeAction(action), run: run}
}

// OnForm routes the forms whose CallbackID is id, or whose prefix before
// "." is id, to run, for those who may do action. A whole CallbackID wins
// over a prefix.
func (r *Router) OnForm(id, action string, run func(ctx context.Context, s *bot.Submission) (*bot.Reply, error)) {
	mustBeNew(r.forms, id, "form")
	r.forms[id] = handler[*bot.Submission]{action: mustBeAction(action), run: run}
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

// mustBeAction panics when action is neither "" nor in bot.Permissions: a
// misspelt action would allow nobody, and permissions: could not name it.
func mustBeAction(action string) string {
	if _, ok := bot.PermissionFor(action); action != "" && !ok {
		panic(fmt.Sprintf("handlers: action %q is not in bot.Permissions", action))
	}
	return action
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
// recorded) is a no-op: Slack sends one message under several event ids
// (a message and an app_mention) and the same event id on every retry.
func (r *Router) HandleEvent(ctx context.Context, ev bot.Event) error {
	for _, p := range r.prepares {
		ctx = p(ctx, ev)
	}
	_, err := r.db.InTxFirst(ctx, r.clock.Now(), ev.Delivered().Keys, func(tx *store.Tx) error {
		for _, h := range r.events {
			if err := h(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return err
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
	return r.db.InTxFirst(ctx, r.clock.Now(), d.Keys, func(*store.Tx) error { return nil })
}

// allow returns nil when u may do action ("" is everyone's), else the
// forbidden bot.Error saying who may, which the adapter shows u alone.
func (r *Router) allow(ctx context.Context, u bot.User, action string) error {
	if action == "" {
		return nil
	}
	return r.access.Check(ctx, u, action)
}

// HandleCommand answers a slash command or a context-menu command.
func (r *Router) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	h, ok := r.commands[c.Platform+":"+c.Name]
	if !ok {
		h, ok = r.commands[c.Name]
	}
	if !h.once {
		if first, err := r.seenOnce(ctx, &c.Delivery); err != nil || !first {
			return nil, err
		}
	}
	if c.Name == "liaison" {
		return r.runSubcommand(ctx, c)
	}
	if !ok {
		return nil, bot.Errorf(bot.ENotFound, "Liaison does not handle /%s yet. Try /liaison help.", c.Name)
	}
	if err := r.allow(ctx, c.User, h.action); err != nil {
		return nil, err
	}
	return h.run(ctx, c)
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
		s, err := r.closest(ctx, c.User, name)
		if err != nil {
			return nil, err
		}
		if s != "" {
			msg += fmt.Sprintf(" Did you mean /liaison %s?", s)
		}
		return nil, bot.Errorf(bot.EInvalid, "%s Type /liaison help to see what Liaison can do.", msg)
	}
	args = strings.TrimSpace(args)
	if err := r.allow(ctx, c.User, sc.Needs.For(args)); err != nil {
		return nil, err
	}
	return sc.Run(ctx, c, args)
}

// closest suggests the subcommand nearest to a mistyped name, among those
// help lists for u: a suggestion is never something u may not run.
func (r *Router) closest(ctx context.Context, u bot.User, name string) (string, error) {
	p := r.permitsFor(u)
	best, bestD := "", 3
	for n, sc := range r.subcommands {
		d := bot.EditDistance(name, n)
		if d > bestD || d == bestD && n >= best {
			continue
		}
		if ok, err := p.lists(ctx, sc); err != nil {
			return "", err
		} else if ok {
			best, bestD = n, d
		}
	}
	return best, nil
}

// permits answers, for one request, what one person may do: each Slack
// group and Discord member it needs is read once however many questions
// it is asked.
type permits struct {
	access *access.Checker
	u      bot.User
	// known are the answers so far, by the action's place in
	// bot.Permissions. Help asks of most actions more than once.
	known []answer
}

// answer is what an access check said, if it was asked.
type answer uint8

const (
	notAsked answer = iota
	denied
	allowed
)

// permitsFor returns the permits of u for one request.
func (r *Router) permitsFor(u bot.User) permits {
	return permits{access: r.access.Once(), u: u, known: make([]answer, len(bot.Permissions))}
}

// may reports whether the person may do action ("" is everyone's).
func (p permits) may(ctx context.Context, action string) (bool, error) {
	if action == "" {
		return true, nil
	}
	i, listed := bot.PermissionIndex(action)
	if !listed {
		return p.access.Allowed(ctx, p.u, action)
	}
	if p.known[i] != notAsked {
		return p.known[i] == allowed, nil
	}
	ok, err := p.access.AllowedAt(ctx, p.u, i)
	if err == nil {
		p.known[i] = denied
		if ok {
			p.known[i] = allowed
		}
	}
	return ok, err
}

// lists reports whether help lists sc for the person: they may run the
// subcommand bare (its Needs.Action), or one of its verbs. A subcommand
// whose bare form is everyone's but whose verbs all need an action
// (/liaison mod, whose bare form shows its own help) is listed only for
// those who may run one of the verbs.
func (p permits) lists(ctx context.Context, sc *Subcommand) (bool, error) {
	n := sc.Needs
	if n.Action != "" || len(n.Verbs) == 0 {
		if ok, err := p.may(ctx, n.Action); err != nil || ok {
			return ok, err
		}
	}
	for _, a := range n.Verbs {
		if ok, err := p.may(ctx, a); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// whoMay names, for people, who may do action under liaison.yaml.
func (p permits) whoMay(action string) string {
	if action == "" {
		return "everyone"
	}
	return p.access.WhoMay(action)
}

// HandleAction answers a button click, routed by the whole ActionID when a
// capability registered it, else by its prefix ("approvals.approve" goes
// to what registered "approvals").
func (r *Router) HandleAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	if first, err := r.seenOnce(ctx, &a.Delivery); err != nil || !first {
		return nil, err
	}
	return dispatch(ctx, r, r.actions, a.ActionID, a.User, a, "button")
}

// HandleSubmission answers a submitted form, routed by its whole CallbackID
// when a capability registered it, else by its prefix.
func (r *Router) HandleSubmission(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	if first, err := r.seenOnce(ctx, &s.Delivery); err != nil || !first {
		return nil, err
	}
	return dispatch(ctx, r, r.forms, s.CallbackID, s.User, s, "form")
}

// dispatch runs the handler m holds for id, else for its prefix before
// ".", once u may do the action it declared. what names a button or a form
// in the answer to an id nothing handles.
func dispatch[T any](ctx context.Context, r *Router, m map[string]handler[T], id string, u bot.User, in T, what string) (*bot.Reply, error) {
	h, ok := m[id]
	if !ok {
		prefix, _, _ := strings.Cut(id, ".")
		h, ok = m[prefix]
	}
	if !ok {
		return nil, bot.Errorf(bot.ENotFound, "This %s belongs to something Liaison no longer handles; nothing was changed.", what)
	}
	if err := r.allow(ctx, u, h.action); err != nil {
		return nil, err
	}
	return h.run(ctx, in)
}

// subcommand returns the subcommand called name (help explains one).
func (r *Router) subcommand(name string) (*Subcommand, bool) {
	sc, ok := r.subcommands[name]
	return sc, ok
}

// subcommandList returns the registered subcommands in help order; the
// caller must not change it.
func (r *Router) subcommandList() []*Subcommand { return r.sorted }
