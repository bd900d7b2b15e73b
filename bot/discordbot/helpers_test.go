package discordbot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store"
)

// The seeded world of the tests.
const (
	guildID    = "900000000000000001"
	ownerID    = "300000000000000001"
	botID      = "100000000000000042"
	aliceID    = "300000000000000002"
	malloryID  = "300000000000000003"
	otherBotID = "300000000000000009"
	generalID  = "110000000000000001"
	feedbackID = "110000000000000002"
	modRoleID  = "120000000000000001"
)

// commands are the specs most tests register.
var commands = []bot.CommandSpec{
	{Name: "feedback", Description: "Log feedback", Permission: "8192", Options: []bot.OptionSpec{
		{Name: "text", Description: "What they said", Type: "string", Required: true},
		{Name: "count", Description: "How many", Type: "integer"},
		{Name: "urgent", Description: "Is it urgent", Type: "boolean"},
		{Name: "who", Description: "Who said it", Type: "user"},
	}},
	{Name: "Send to product", MessageMenu: true},
}

// newFake starts a seeded fake, closed when the test ends.
func newFake(t *testing.T, opts ...discordfake.Option) *discordfake.Server {
	t.Helper()
	fake := discordfake.New(opts...)
	t.Cleanup(fake.Close)
	fake.SetBotUser(botID, "liaison")
	fake.AddGuild(guildID, "Acme Community", ownerID)
	fake.AddRole(guildID, discordfake.Role{ID: modRoleID, Name: "moderators", Position: 1})
	fake.AddChannel(guildID, discordfake.Channel{ID: generalID, Name: "general"})
	fake.AddChannel(guildID, discordfake.Channel{ID: feedbackID, Name: "feedback"})
	fake.AddMember(guildID, discordfake.Member{UserID: ownerID, Username: "owner"})
	fake.AddMember(guildID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true})
	fake.AddMember(guildID, discordfake.Member{UserID: aliceID, Username: "alice", Roles: []string{modRoleID}})
	fake.AddMember(guildID, discordfake.Member{UserID: malloryID, Username: "mallory"})
	fake.AddMember(guildID, discordfake.Member{UserID: otherBotID, Username: "otherbot", Bot: true})
	return fake
}

// testBundle is an adapter under test and its collaborators.
type testBundle struct {
	fake    *discordfake.Server
	adapter *discordbot.Adapter
	rec     *testHandler
	inbound *prometheus.CounterVec
}

// newAdapter builds an adapter aimed at the fake, without running it.
func newAdapter(t *testing.T, fake *discordfake.Server, rec *testHandler, tweak ...func(*discordbot.Options)) (*discordbot.Adapter, *prometheus.CounterVec) {
	t.Helper()
	inbound := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_inbound_events_total"}, []string{"platform", "type"})
	opts := discordbot.Options{
		Token: "test-token", AppID: botID, APIURL: fake.APIURL(), Guilds: []string{guildID},
		Handler: rec, Commands: commands, Inbound: inbound, Clock: rec.clock,
	}
	for _, f := range tweak {
		f(&opts)
	}
	a, err := discordbot.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a, inbound
}

// setup starts a fake and runs an adapter against it until the test ends,
// returning once it is connected (READY, a heartbeat) and has registered
// its commands.
func setup(t *testing.T, rec *testHandler, tweak ...func(*discordbot.Options)) *testBundle {
	t.Helper()
	return setupOn(t, newFake(t), rec, tweak...)
}

// setupOn is setup with a fake the test has prepared.
func setupOn(t *testing.T, fake *discordfake.Server, rec *testHandler, tweak ...func(*discordbot.Options)) *testBundle {
	t.Helper()
	if rec == nil {
		rec = newHandler(nil)
	}
	a, inbound := newAdapter(t, fake, rec, tweak...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	err := fake.WaitFor(waitCtx(t), func() bool {
		return fake.Identifies() >= 1 && fake.Heartbeats() >= 1 && len(okCalls(fake, "PUT", "/applications/")) >= 1
	})
	if err != nil {
		select {
		case err := <-done:
			t.Fatalf("Run: %v", err)
		default:
		}
		t.Fatalf("waiting for the adapter to connect: %v", err)
	}
	return &testBundle{fake: fake, adapter: a, rec: rec, inbound: inbound}
}

// okCalls returns the calls that were answered 2xx.
func okCalls(fake *discordfake.Server, method, prefix string) []discordfake.Call {
	var out []discordfake.Call
	for _, c := range fake.CallsTo(method, prefix) {
		if c.Status >= 200 && c.Status < 300 {
			out = append(out, c)
		}
	}
	return out
}

// waitCtx is a test context with a deadline well under go test's.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recv waits for one value from ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// recvAs waits for one event and asserts its type.
func recvAs[T bot.Event](t *testing.T, ch <-chan bot.Event, what string) T {
	t.Helper()
	ev := recv(t, ch, what)
	got, ok := ev.(T)
	if !ok {
		t.Fatalf("waiting for %s, got %T %+v", what, ev, ev)
	}
	return got
}

// quiet asserts that nothing arrives on ch for a moment.
func quiet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %+v", what, v)
	case <-time.After(300 * time.Millisecond):
	}
}

// testHandler is the bot.Handler of the tests. Events it handles go to events;
// with a db it first records their keys in a transaction, as
// handlers.Router does, and drops an event whose key was seen (counting it
// in dups). Commands, actions and submissions go to their channels and are
// answered by the optional functions, or with "ok".
type testHandler struct {
	db    *store.DB
	clock bot.Clock

	events      chan bot.Event
	counts      chan *bot.GuildCount // member counts, apart: every session starts with one
	commands    chan *bot.Command
	actions     chan *bot.Action
	submissions chan *bot.Submission

	// before, when set, runs before an event is handled (to hold it back).
	before func(ev bot.Event)
	// fail, when set, may refuse an event with an error, as a handler whose
	// database is unreachable does.
	fail func(ev bot.Event) error

	onCommand    func(ctx context.Context, c *bot.Command) (*bot.Reply, error)
	onAction     func(ctx context.Context, a *bot.Action) (*bot.Reply, error)
	onSubmission func(ctx context.Context, s *bot.Submission) (*bot.Reply, error)

	mu   sync.Mutex
	dups int
}

func newHandler(db *store.DB) *testHandler {
	return &testHandler{
		db: db, clock: bot.SystemClock{},
		events: make(chan bot.Event, 100), counts: make(chan *bot.GuildCount, 10), commands: make(chan *bot.Command, 10),
		actions: make(chan *bot.Action, 10), submissions: make(chan *bot.Submission, 10),
	}
}

func (r *testHandler) HandleEvent(ctx context.Context, ev bot.Event) error {
	if c, ok := ev.(*bot.GuildCount); ok {
		select {
		case r.counts <- c:
		default: // nobody is looking at counts in this test
		}
		return nil
	}
	if r.before != nil {
		r.before(ev)
	}
	if r.fail != nil {
		if err := r.fail(ev); err != nil {
			return err
		}
	}
	if r.db == nil {
		r.events <- ev
		return nil
	}
	first := true
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		for _, k := range ev.Delivered().Keys {
			ok, err := tx.FirstSeen(ctx, r.clock.Now(), k.Kind, k.Key)
			if err != nil {
				return err
			}
			first = first && ok
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !first {
		r.mu.Lock()
		r.dups++
		r.mu.Unlock()
		return nil
	}
	r.events <- ev
	return nil
}

func (r *testHandler) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dups
}

func (r *testHandler) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	r.commands <- c
	if r.onCommand != nil {
		return r.onCommand(ctx, c)
	}
	return &bot.Reply{Text: "ok"}, nil
}

func (r *testHandler) HandleAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	r.actions <- a
	if r.onAction != nil {
		return r.onAction(ctx, a)
	}
	return &bot.Reply{Text: "ok"}, nil
}

func (r *testHandler) HandleSubmission(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	r.submissions <- s
	if r.onSubmission != nil {
		return r.onSubmission(ctx, s)
	}
	return &bot.Reply{Text: "ok"}, nil
}

// counted reads one series of a counter vector.
func counted(t *testing.T, c *prometheus.CounterVec, typ string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["platform"] == "discord" && labels["type"] == typ {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// eventually polls cond until it holds, failing the test after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
