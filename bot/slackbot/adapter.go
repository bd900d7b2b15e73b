package slackbot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// Defaults of the tuning fields of Options.
const (
	DefaultAckBudget      = 2500 * time.Millisecond
	DefaultHandlerTimeout = 30 * time.Second
	// DefaultMaxInFlight bounds the handler calls at once. A call that
	// writes waits for its group commit, so a busy app's commands are
	// answered at most MaxInFlight per commit's round trip: with 64, signed
	// /liaison help on one core (bench/slack-load, 256 requests in flight)
	// stopped at ~22,000/s with a fifth of the core idle, every slot
	// waiting on the database's log flush; with 256 the core is busy and
	// ~26,000/s are answered. A goroutine and its request are all a
	// waiting call holds.
	DefaultMaxInFlight  = 256
	DefaultPostInterval = time.Second
	DefaultPostBurst    = 3
	// MaxBody is the largest request body the receiver reads; Slack's are
	// far smaller.
	MaxBody = 1 << 20
)

// Options configure an Adapter. Token is required; SigningSecret is needed
// for the HTTP receiver (without it every request is refused) and AppToken
// for Socket Mode. A Sender alone needs only Token.
type Options struct {
	Token         string // SLACK_BOT_TOKEN (xoxb-…)
	SigningSecret string // SLACK_SIGNING_SECRET: verifies the HTTP requests
	AppToken      string // SLACK_APP_TOKEN (xapp-…): Run connects by Socket Mode when set
	APIURL        string // LIAISON_SLACK_API_URL; default Slack's own

	Handler bot.Handler            // receives what Slack delivers; required for Routes and Run
	Clock   bot.Clock              // the signature window's clock and Delivery.At; default bot.SystemClock
	Logger  *slog.Logger           // default slog.Default()
	Inbound *prometheus.CounterVec // liaison_inbound_events_total{platform,type}; may be nil
	// HTTPClient carries Web API calls and response_url posts; default one
	// with a 30 s timeout.
	HTTPClient *http.Client
	// ChannelNames names channels (id → name without '#', from liaison.yaml)
	// in the errors a person reads: "Liaison is not in #product".
	ChannelNames map[string]string

	AckBudget      time.Duration // how long an answer waits for its handler; default 2.5 s
	HandlerTimeout time.Duration // the deadline of one handler call; default 30 s
	MaxInFlight    int           // handler calls at once; default 256
	PostInterval   time.Duration // per-channel pace of posts: one every PostInterval; default 1 s
	PostBurst      int           // posts a quiet channel takes at once; default 3
}

// Adapter is Liaison's connection to one Slack workspace: the HTTP receiver,
// Socket Mode and the Sender. Create it with New; it is safe for concurrent
// use. Close it after the HTTP server and Run have stopped.
type Adapter struct {
	api     *slack.Client
	opts    Options
	clock   bot.Clock
	log     *slog.Logger
	http    *http.Client
	sender  *Sender
	handler bot.Handler
	signer  *signer

	// The pool: every handler call runs in a goroutine counted by wg and
	// holding a slot of sem. ctx ends once Close has waited for them.
	sem chan struct{}
	// workers run the handler calls; sem bounds how many at once.
	workers *workers
	stock   stockReplies // the renderings of stock replies (help lists)
	wg      sync.WaitGroup
	mu      sync.Mutex
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc

	botMu   sync.Mutex
	botUser string // the bot's user id, once known

	probes bot.Probes

	connMu    sync.Mutex
	socketUp  bool      // the Socket Mode connection is open
	lastEvent time.Time // the last request from Slack that was not refused
}

// Connection is how this replica hears from Slack: what `/liaison status`
// reports.
type Connection struct {
	SocketMode bool      // by Socket Mode (else by HTTP webhooks)
	Connected  bool      // Socket Mode's connection is open (HTTP: always false)
	LastEvent  time.Time // the last event, command or click received; zero: none yet
}

// Connection returns how Slack reaches this replica.
func (a *Adapter) Connection() Connection {
	a.connMu.Lock()
	defer a.connMu.Unlock()
	return Connection{SocketMode: a.opts.AppToken != "", Connected: a.socketUp, LastEvent: a.lastEvent}
}

// New returns an Adapter for opts. It does not contact Slack.
func New(opts Options) (*Adapter, error) {
	if opts.Token == "" {
		return nil, errors.New("slack: a bot token is required (SLACK_BOT_TOKEN)")
	}
	opts.AckBudget = cmp.Or(opts.AckBudget, DefaultAckBudget)
	opts.HandlerTimeout = cmp.Or(opts.HandlerTimeout, DefaultHandlerTimeout)
	opts.MaxInFlight = cmp.Or(opts.MaxInFlight, DefaultMaxInFlight)
	opts.PostInterval = cmp.Or(opts.PostInterval, DefaultPostInterval)
	opts.PostBurst = cmp.Or(opts.PostBurst, DefaultPostBurst)
	a := &Adapter{
		opts:    opts,
		clock:   opts.Clock,
		log:     opts.Logger,
		http:    opts.HTTPClient,
		handler: opts.Handler,
		signer:  newSigner(opts.SigningSecret),
		sem:     make(chan struct{}, opts.MaxInFlight),
	}
	if a.clock == nil {
		a.clock = bot.SystemClock{}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.http == nil {
		a.http = &http.Client{Timeout: 30 * time.Second}
	}
	clientOpts := []slack.Option{slack.OptionHTTPClient(a.http)}
	if opts.APIURL != "" {
		clientOpts = append(clientOpts, slack.OptionAPIURL(opts.APIURL))
	}
	if opts.AppToken != "" {
		clientOpts = append(clientOpts, slack.OptionAppLevelToken(opts.AppToken))
	}
	a.api = slack.New(opts.Token, clientOpts...)
	a.sender = &Sender{
		api:      a.api,
		log:      a.log,
		channels: opts.ChannelNames,
		pace:     newPacer(opts.PostInterval, opts.PostBurst),
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.workers = newWorkers(workerIdle, a.ctx.Done())
	return a, nil
}

// workerIdle is how long a handler goroutine waits for the next call
// before it ends.
const workerIdle = 10 * time.Second

// Sender returns the adapter's bot.Sender for bot.PlatformSlack, which also
// offers the direct calls handlers make (PostEphemeral, OpenView…).
func (a *Adapter) Sender() *Sender { return a.sender }

// Close stops taking requests (a new event is answered 503, so Slack
// redelivers it; a command gets a please-retry notice) and waits for the
// handler calls in flight, each bounded by HandlerTimeout.
func (a *Adapter) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.wg.Wait()
	a.cancel()
	return nil
}

// errBusy means the pool had no free slot within the budget, or the adapter
// is closing.
var errBusy = errors.New("slack: too many requests in flight")

// start runs fn in the pool, waiting up to wait for a slot. fn gets a
// context bounded by HandlerTimeout; a panic in fn is logged and recovered.
func (a *Adapter) start(wait time.Duration, fn func(ctx context.Context)) error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return errBusy
	}
	a.wg.Add(1)
	a.mu.Unlock()
	select {
	case a.sem <- struct{}{}:
	default:
		t := time.NewTimer(wait)
		select {
		case a.sem <- struct{}{}:
			t.Stop()
		case <-t.C:
			a.wg.Done()
			return errBusy
		}
	}
	a.workers.run(func() {
		defer a.wg.Done()
		defer func() { <-a.sem }()
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("slack: handler panicked", "panic", p, "stack", string(debug.Stack()))
			}
		}()
		ctx, cancel := context.WithTimeout(a.ctx, a.opts.HandlerTimeout)
		defer cancel()
		fn(ctx)
	})
	return nil
}

// answer is how a request is acknowledged: an HTTP status and JSON body, or
// a Socket Mode ack with the body as its payload (none when status is not
// 200: the envelope is left for Slack to redeliver).
type answer struct {
	status  int    // 0 means 200
	body    any    // nil for an empty answer; a short reason when status is not 200
	encoded []byte // body's JSON, when it was kept (a stock reply)
	late    string // what to tell the user by other means if this answer comes too late
}

func (w answer) ok() bool { return w.status == 0 || w.status == http.StatusOK }

// within runs fn in the pool and waits for its answer up to the ack budget.
// When fn is too slow the request is answered with early, and late (if not
// nil) receives fn's answer when it comes. A full pool answers busy.
func (a *Adapter) within(fn func(ctx context.Context) answer, early answer, late func(ctx context.Context, w answer), busy answer) answer {
	deadline := time.Now().Add(a.opts.AckBudget)
	done := make(chan answer, 1)
	var mu sync.Mutex
	waiting := true
	err := a.start(a.opts.AckBudget, func(ctx context.Context) {
		w := answer{status: http.StatusInternalServerError}
		defer func() {
			mu.Lock()
			if waiting {
				done <- w
				mu.Unlock()
				return
			}
			mu.Unlock()
			if late != nil {
				late(ctx, w)
			}
		}()
		w = fn(ctx)
	})
	if err != nil {
		return busy
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case w := <-done:
		return w
	case <-t.C:
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case w := <-done: // finished as the budget ran out
		return w
	default:
	}
	waiting = false
	return early
}

// count adds one to the inbound counter.
func (a *Adapter) count(typ string) {
	if typ != "invalid" && typ != "rejected" {
		a.connMu.Lock()
		a.lastEvent = a.clock.Now()
		a.connMu.Unlock()
	}
	if a.opts.Inbound != nil {
		a.opts.Inbound.WithLabelValues(bot.PlatformSlack, typ).Inc()
	}
}

// userError is what the requester reads for err: the bot.Error's message,
// or for anything else a generic message with a reference that is also
// logged with the cause.
func (a *Adapter) userError(what string, err error) string {
	if bot.ErrorCode(err) != bot.EInternal {
		return bot.ErrorMessage(err)
	}
	ref := newRef()
	a.log.Error("slack: "+what+" failed", "ref", ref, "err", err)
	return fmt.Sprintf("Something went wrong on Liaison's side (ref %s). Try again in a moment; if it keeps happening, give the reference to whoever runs Liaison.", ref)
}

func newRef() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// call runs a handler method and turns a panic into an error, so the
// requester still gets an answer.
func call(fn func() (*bot.Reply, error)) (r *bot.Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn()
}

// botUserID returns the bot's user id: from the event's authorizations when
// given, else from auth.test, asked once.
func (a *Adapter) botUserID(ctx context.Context, fromEvent string) string {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	if fromEvent != "" {
		a.botUser = fromEvent
	}
	if a.botUser == "" {
		if r, err := a.api.AuthTestContext(ctx); err == nil {
			a.botUser = r.UserID
		} else {
			a.log.Warn("slack: auth.test failed; cannot tell Liaison's own user yet", "err", err)
		}
	}
	return a.botUser
}
