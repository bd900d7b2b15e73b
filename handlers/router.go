package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
)

// Deps are what every capability may use.
type Deps struct {
	DB     *store.DB
	Config *config.Config
	Clock  bot.Clock
	Logger *slog.Logger
	// Discord reads messages (a flagged message's text); nil when Discord is
	// off, which disables what needs it.
	Discord messageReader
	// Guilds reads Discord servers (members, roles, bans, history) for
	// moderation; nil when Discord is off, which disables moderation.
	Guilds guildReader
	// SlackDirect reads Slack user groups (approvers) and shows one person a
	// message directly; nil when Slack is off.
	SlackDirect slackDirect
}

// messageReader is implemented by the Discord adapter and the console.
type messageReader interface {
	Message(ctx context.Context, channelID, messageID string) (*bot.Message, error)
}

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

// Router implements bot.Handler: it de-duplicates, then hands each event,
// command, click and form to the capability that owns it. Capabilities
// register themselves in New.
type Router struct {
	Deps
	events      []EventFunc
	subcommands map[string]*Subcommand
	commands    map[string]func(ctx context.Context, c *bot.Command) (*bot.Reply, error) // top-level: /feedback, /warn, menus
	actions     map[string]func(ctx context.Context, a *bot.Action) (*bot.Reply, error)  // by ActionID prefix before "."
	forms       map[string]func(ctx context.Context, s *bot.Submission) (*bot.Reply, error)
	specs       []bot.CommandSpec
}

var _ bot.Handler = (*Router)(nil)

// New returns a Router with every capability registered.
func New(d Deps) *Router {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = bot.SystemClock{}
	}
	r := &Router{
		Deps:        d,
		subcommands: map[string]*Subcommand{},
		commands:    map[string]func(context.Context, *bot.Command) (*bot.Reply, error){},
		actions:     map[string]func(context.Context, *bot.Action) (*bot.Reply, error){},
		forms:       map[string]func(context.Context, *bot.Submission) (*bot.Reply, error){},
	}
	r.registerHelp()
	r.registerFeedback()
	r.registerDigest()
	r.registerApprovals()
	r.registerModeration()
	return r
}

// DiscordCommands lists the application commands capabilities handle, for
// the Discord adapter to register.
func (r *Router) DiscordCommands() []bot.CommandSpec { return r.specs }

// HandleEvent records the event's identities and runs every event handler,
// all in one transaction. A redelivered event (an identity already
// recorded) is a no-op.
func (r *Router) HandleEvent(ctx context.Context, ev bot.Event) error {
	return r.DB.InTx(ctx, func(tx *store.Tx) error {
		first, err := firstSeen(ctx, tx, r.Clock, ev.Delivered())
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
		return r.DB.FirstSeen(ctx, r.Clock.Now(), d.Keys[0].Kind, d.Keys[0].Key)
	}
	var first bool
	err := r.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		first, err = firstSeen(ctx, tx, r.Clock, d)
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

// HandleAction answers a button click, routed by the ActionID's prefix
// ("feedback.ack" goes to the "feedback" capability).
func (r *Router) HandleAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	if first, err := r.seenOnce(ctx, &a.Delivery); err != nil || !first {
		return nil, err
	}
	prefix, _, _ := strings.Cut(a.ActionID, ".")
	if h, ok := r.actions[prefix]; ok {
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

// subcommandNames returns the registered subcommands in help order.
func (r *Router) subcommandNames() []string {
	names := make([]string, 0, len(r.subcommands))
	for n := range r.subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
