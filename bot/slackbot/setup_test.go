package slackbot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
)

const (
	botToken = "xoxb-test-token"
	appToken = "xapp-1-test-token"
	secret   = "8f742231b10e8888abcd99yyyzzz85a5"
	product  = "C01PRODUCT"
	carol    = "U01CAROL"
)

// testBundle is what a test works with: the fake Slack, the adapter under
// test served over HTTP, its clock and the handler it calls.
type testBundle struct {
	fake    *slackfake.Server
	adapter *slackbot.Adapter
	server  *httptest.Server
	clock   *bot.ManualClock
	handler *recorder
}

// setup starts a fake Slack with #product and carol, and an adapter talking
// to it, its endpoints served by a test server. tune adjusts the options.
func setup(t testing.TB, tune func(*slackbot.Options)) *testBundle {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	fake.SetToken(botToken)
	fake.SetAppToken(appToken)
	fake.AddChannel(product, "product")
	fake.AddUser(carol, "carol", false)
	tb := &testBundle{fake: fake, clock: bot.NewManualClock(time.Now().Truncate(time.Millisecond)), handler: &recorder{}}
	opts := slackbot.Options{
		Token: botToken, SigningSecret: secret, APIURL: fake.APIURL(),
		Handler: tb.handler, Clock: tb.clock, Logger: slog.New(slog.DiscardHandler),
		ChannelNames: map[string]string{product: "product"},
	}
	if tune != nil {
		tune(&opts)
	}
	a, err := slackbot.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tb.adapter = a
	mux := http.NewServeMux()
	a.Routes(mux)
	tb.server = httptest.NewServer(mux)
	t.Cleanup(func() {
		tb.server.Close()
		a.Close()
	})
	return tb
}

// do sends a request built by the fake to the adapter and returns the status
// and body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// recorder is a bot.Handler that remembers what it got and answers with the
// functions a test sets.
type recorder struct {
	mu          sync.Mutex
	events      []bot.Event
	commands    []*bot.Command
	actions     []*bot.Action
	submissions []*bot.Submission

	onEvent      func(ctx context.Context, ev bot.Event) error
	onCommand    func(ctx context.Context, c *bot.Command) (*bot.Reply, error)
	onAction     func(ctx context.Context, a *bot.Action) (*bot.Reply, error)
	onSubmission func(ctx context.Context, s *bot.Submission) (*bot.Reply, error)
}

func (r *recorder) HandleEvent(ctx context.Context, ev bot.Event) error {
	r.mu.Lock()
	r.events = append(r.events, ev)
	f := r.onEvent
	r.mu.Unlock()
	if f != nil {
		return f(ctx, ev)
	}
	return nil
}

func (r *recorder) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	r.mu.Lock()
	r.commands = append(r.commands, c)
	f := r.onCommand
	r.mu.Unlock()
	if f != nil {
		return f(ctx, c)
	}
	return nil, nil
}

func (r *recorder) HandleAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	r.mu.Lock()
	r.actions = append(r.actions, a)
	f := r.onAction
	r.mu.Unlock()
	if f != nil {
		return f(ctx, a)
	}
	return nil, nil
}

func (r *recorder) HandleSubmission(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	r.mu.Lock()
	r.submissions = append(r.submissions, s)
	f := r.onSubmission
	r.mu.Unlock()
	if f != nil {
		return f(ctx, s)
	}
	return nil, nil
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events) + len(r.commands) + len(r.actions) + len(r.submissions)
}

// dedupHandler handles events as handlers.Router does: in one transaction
// it records every Delivery key with FirstSeen and handles the event only
// when all of them are new. handled counts what it handled.
type dedupHandler struct {
	recorder
	db    *store.DB
	clock bot.Clock

	mu      sync.Mutex
	handled int
	retries []int
}

func (h *dedupHandler) HandleEvent(ctx context.Context, ev bot.Event) error {
	d := ev.Delivered()
	first, err := h.record(ctx, d)
	if err != nil || !first {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handled++
	return nil
}

func (h *dedupHandler) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	first, err := h.record(ctx, &c.Delivery)
	if err != nil || !first {
		return nil, err
	}
	return &bot.Reply{Text: "Noted."}, nil
}

// record is the router's firstSeen, in a transaction of its own.
func (h *dedupHandler) record(ctx context.Context, d *bot.Delivery) (bool, error) {
	h.mu.Lock()
	h.retries = append(h.retries, d.Retry)
	h.mu.Unlock()
	all := true
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		for _, k := range d.Keys {
			first, err := tx.FirstSeen(ctx, h.clock.Now(), k.Kind, k.Key)
			if err != nil {
				return err
			}
			all = all && first
		}
		return nil
	})
	return all, err
}

// wait polls cond until it holds or 10 seconds pass.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
