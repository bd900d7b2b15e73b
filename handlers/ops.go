package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Ops answers the team's questions about Liaison itself, in Slack:
// `/liaison status` (the same facts as GET /status on the admin listener)
// with a Retry dead button, and `/liaison doctor round-trip`.
type Ops struct {
	db     *store.DB
	clock  bot.Clock
	source statusSource // nil until the service attaches itself
}

// statusSource is implemented by cmd/liaison's App: the running service,
// which alone knows its connections and leases.
type statusSource interface {
	Status(ctx context.Context) (bot.Status, error)
	RoundTrip(ctx context.Context) (bot.RoundTrip, error)
}

func newOps(db *store.DB, clock bot.Clock) *Ops { return &Ops{db: db, clock: clock} }

// retryDeadAction is the Retry dead button's ActionID.
const retryDeadAction = "ops.retrydead"

// deadWindow is how far back the status counts, and Retry dead retries,
// dead messages.
const deadWindow = 24 * time.Hour

// Register declares /liaison status, /liaison doctor round-trip and the
// Retry dead button.
func (o *Ops) Register(r *Router) {
	r.OnSubcommand("status", "", "how Liaison is doing: connections, outbox, leases, digests, reminders", bot.Need("ops.status"), o.status)
	r.OnSubcommand("doctor", "round-trip", "post a test message in Slack and Discord, see it come back, and time it", bot.Need("ops.doctor"), o.doctor)
	r.OnAction(retryDeadAction, "ops.retry", o.retryDead)
}

// errNoService is the answer where no service is attached.
var errNoService = bot.Errorf(bot.EInvalid, "Liaison's status comes from `liaison run`; this Liaison is not running as a service.")

func (o *Ops) status(ctx context.Context, _ *bot.Command, _ string) (*bot.Reply, error) {
	if o.source == nil {
		return nil, errNoService
	}
	st, err := o.source.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return StatusReply(&st), nil
}

// StatusReply renders a status for Slack: one line per check, each with
// what to do when it is bad, and Retry dead when messages were given up.
func StatusReply(st *bot.Status) *bot.Reply {
	r := &bot.Reply{Text: "*Liaison status*\n" + bot.StatusText(st.Lines())}
	if st.Outbox.Dead24h > 0 {
		r.Buttons = []bot.Button{{ActionID: retryDeadAction, Label: "Retry dead", Style: "primary"}}
	}
	return r
}

func (o *Ops) retryDead(ctx context.Context, _ *bot.Action) (*bot.Reply, error) {
	now := o.clock.Now()
	n, err := o.db.RetryDeadSince(ctx, now, now.Add(-deadWindow))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return &bot.Reply{Text: "No message was given up in the last 24 hours: there is nothing to retry."}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("%d message(s) given up in the last 24 hours go out again now. If they fail again, the log says why (search \"outbox\").", n)}, nil
}

func (o *Ops) doctor(ctx context.Context, _ *bot.Command, args string) (*bot.Reply, error) {
	if args != "round-trip" {
		return nil, bot.Errorf(bot.EInvalid, "Use /liaison doctor round-trip. The other checks run where Liaison runs: liaison doctor.")
	}
	if o.source == nil {
		return nil, errNoService
	}
	rt, err := o.source.RoundTrip(ctx)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: "*Round trip*\n" + bot.StatusText(rt.Lines())}, nil
}
