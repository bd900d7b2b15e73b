package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

// platform is a test sender that behaves like a platform honouring
// idempotency keys: a key it has seen returns the first message's id.
type platform struct {
	mu    sync.Mutex
	sends map[string]int                   // key → Send calls
	posts map[string]string                // key → platform id of the one message posted
	calls []*bot.OutboxMessage             // every call, in order
	fail  func(m *bot.OutboxMessage) error // nil: succeed
}

func newPlatform() *platform {
	return &platform{sends: map[string]int{}, posts: map[string]string{}}
}

func (p *platform) Send(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := *m
	p.calls = append(p.calls, &cp)
	p.sends[m.Key]++
	if p.fail != nil {
		if err := p.fail(m); err != nil {
			return bot.SendResult{}, err
		}
	}
	id, ok := p.posts[m.Key]
	if !ok {
		id = fmt.Sprintf("msg-%d", len(p.posts)+1)
		p.posts[m.Key] = id
	}
	return bot.SendResult{PlatformID: id, Channel: "C1"}, nil
}

func (p *platform) sendCount(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sends[key]
}

var quiet = slog.New(slog.DiscardHandler)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

type bundle struct {
	db    *store.DB
	clock *bot.ManualClock
	p     *platform
	d     *jobs.Dispatcher
}

func setup(t *testing.T, db *store.DB) *bundle {
	clock := bot.NewManualClock(t0)
	p := newPlatform()
	return &bundle{db: db, clock: clock, p: p, d: &jobs.Dispatcher{
		Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: p}, Clock: clock, Logger: quiet,
		Owner: "test", MaxAttempts: 3, BackoffMin: time.Second, BackoffMax: time.Minute,
		ReclaimAfter: 2 * time.Minute, Jitter: func() float64 { return 0.5 },
	}}
}

func msg(key string) *bot.OutboxMessage {
	return &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: "post", Payload: []byte(`{"text":"hi"}`)}
}

func (b *bundle) enqueue(t *testing.T, msgs ...*bot.OutboxMessage) {
	t.Helper()
	if err := b.db.Enqueue(context.Background(), b.clock.Now(), msgs...); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

func (b *bundle) dispatch(t *testing.T) int {
	t.Helper()
	n, err := b.d.DispatchOnce(context.Background())
	if err != nil {
		t.Fatalf("DispatchOnce: %v", err)
	}
	return n
}

func (b *bundle) entry(t *testing.T, key string) *store.OutboxEntry {
	t.Helper()
	e, err := b.db.OutboxByKey(context.Background(), key)
	if err != nil {
		t.Fatalf("OutboxByKey(%q): %v", key, err)
	}
	return e
}

func TestEnqueueingTheSameKeyTwiceLeavesOneRow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		var added []bool
		for range 2 {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				ok, err := tx.Enqueue(ctx, b.clock.Now(), msg("relay:1:C1"))
				added = append(added, ok)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if !added[0] || added[1] {
			t.Errorf("Enqueue reported added = %v, want [true false]", added)
		}
		depth, err := db.OutboxDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if depth[store.OutboxPending] != 1 {
			t.Errorf("pending rows = %d, want 1", depth[store.OutboxPending])
		}
		if n := b.dispatch(t); n != 1 {
			t.Errorf("dispatched %d, want 1", n)
		}
		if got := b.entry(t, "relay:1:C1"); got.State != store.OutboxSent || got.PlatformID != "msg-1" || got.PlatformChannel != "C1" {
			t.Errorf("after dispatch: state %s id %q channel %q, want sent msg-1 C1", got.State, got.PlatformID, got.PlatformChannel)
		}
	})
}

func TestARolledBackStateChangeTakesItsOutboxMessageWithIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		boom := errors.New("state change failed")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.FirstSeen(ctx, b.clock.Now(), "slack_event", "T1:Ev1"); err != nil {
				return err
			}
			if _, err := tx.Enqueue(ctx, b.clock.Now(), msg("relay:2:C1")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want %v", err, boom)
		}
		if _, err := db.OutboxByKey(ctx, "relay:2:C1"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("outbox row after rollback: err = %v, want not found", err)
		}
		first, err := db.FirstSeen(ctx, b.clock.Now(), "slack_event", "T1:Ev1")
		if err != nil || !first {
			t.Errorf("FirstSeen after rollback = %v, %v; want true (the failed attempt left no trace)", first, err)
		}
	})
}

func TestTwoDispatchersSendEachRowExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			u := storetest.URL(t, dialect)
			db1 := storetest.OpenURL(t, u, store.Options{})
			if _, err := db1.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			db2 := db1
			if dialect == store.Postgres { // two replicas: two pools on one database
				db2 = storetest.OpenURL(t, u, store.Options{})
			}
			b := setup(t, db1)
			const n = 300
			var msgs []*bot.OutboxMessage
			for i := range n {
				msgs = append(msgs, msg(fmt.Sprintf("k%d", i)))
			}
			b.enqueue(t, msgs...)
			var wg sync.WaitGroup
			for i, db := range []*store.DB{db1, db2} {
				d := &jobs.Dispatcher{Store: db, Senders: b.d.Senders, Clock: b.clock, Logger: quiet, Owner: fmt.Sprintf("replica-%d", i), BatchSize: 25}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						got, err := d.DispatchOnce(context.Background())
						if err != nil {
							t.Errorf("%s: %v", d.Owner, err)
							return
						}
						if got == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			for i := range n {
				if c := b.p.sendCount(fmt.Sprintf("k%d", i)); c != 1 {
					t.Errorf("k%d sent %d times, want 1", i, c)
				}
			}
			depth, err := db1.OutboxDepth(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if depth[store.OutboxSent] != n {
				t.Errorf("sent rows = %d, want %d (%v)", depth[store.OutboxSent], n, depth)
			}
		})
	}
}

func TestAFailedSendIsRetriedAfterABackoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		failures := 2
		b.p.fail = func(*bot.OutboxMessage) error {
			if failures > 0 {
				failures--
				return errors.New("connection reset")
			}
			return nil
		}
		b.enqueue(t, msg("k"))
		b.dispatch(t)
		e := b.entry(t, "k")
		// Jitter 0.5 of the upper half: first retry 1s → 0.75s.
		if e.State != store.OutboxPending || e.Attempts != 1 || !e.NextAttemptAt.Equal(t0.Add(750*time.Millisecond)) || e.LastError != "connection reset" {
			t.Fatalf("after 1st failure: state %s attempts %d next %v error %q; want pending, 1, +750ms, connection reset",
				e.State, e.Attempts, e.NextAttemptAt.Sub(t0), e.LastError)
		}
		if n := b.dispatch(t); n != 0 {
			t.Fatalf("claimed %d before the backoff elapsed", n)
		}
		b.clock.Advance(750 * time.Millisecond)
		b.dispatch(t)
		e = b.entry(t, "k")
		// Second retry: 2s → 1.5s after the second attempt.
		if e.State != store.OutboxPending || e.Attempts != 2 || !e.NextAttemptAt.Equal(t0.Add(750*time.Millisecond+1500*time.Millisecond)) {
			t.Fatalf("after 2nd failure: state %s attempts %d next +%v; want pending, 2, +2.25s", e.State, e.Attempts, e.NextAttemptAt.Sub(t0))
		}
		b.clock.Advance(1500 * time.Millisecond)
		b.dispatch(t)
		if e = b.entry(t, "k"); e.State != store.OutboxSent || e.Attempts != 3 {
			t.Errorf("third attempt: state %s attempts %d, want sent, 3", e.State, e.Attempts)
		}
	})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	d := &jobs.Dispatcher{BackoffMin: time.Second, BackoffMax: 10 * time.Second, Jitter: func() float64 { return 0.999999 }}
	prev := time.Duration(0)
	for attempt := 1; attempt <= 8; attempt++ {
		got := d.Backoff(attempt)
		if got < prev || got > 10*time.Second {
			t.Errorf("Backoff(%d) = %v, want ≥ %v and ≤ 10s", attempt, got, prev)
		}
		prev = got
	}
	low := &jobs.Dispatcher{BackoffMin: time.Second, BackoffMax: 10 * time.Second, Jitter: func() float64 { return 0 }}
	if got := low.Backoff(3); got != 2*time.Second {
		t.Errorf("Backoff(3) with no jitter = %v, want half of 4s", got)
	}
}

func TestARateLimitedSendWaitsExactlyTheRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		limited := true
		b.p.fail = func(*bot.OutboxMessage) error {
			if limited {
				limited = false
				return &bot.RateLimitError{RetryAfter: 2 * time.Second, Err: errors.New("ratelimited")}
			}
			return nil
		}
		b.enqueue(t, msg("k"))
		b.dispatch(t)
		e := b.entry(t, "k")
		if e.State != store.OutboxPending || !e.NextAttemptAt.Equal(t0.Add(2*time.Second)) || e.Attempts != 0 {
			t.Fatalf("after 429: state %s next +%v attempts %d; want pending, +2s, 0 (a rate limit is not a failure)",
				e.State, e.NextAttemptAt.Sub(t0), e.Attempts)
		}
		b.clock.Advance(2*time.Second - time.Millisecond)
		if n := b.dispatch(t); n != 0 {
			t.Fatalf("sent %v after the 429, before retry-after", b.clock.Now().Sub(t0))
		}
		b.clock.Advance(time.Millisecond)
		if n := b.dispatch(t); n != 1 {
			t.Fatalf("dispatched %d at retry-after, want 1", n)
		}
		if e = b.entry(t, "k"); e.State != store.OutboxSent {
			t.Errorf("state %s, want sent", e.State)
		}
	})
}

func TestAMessageIsDeadAfterMaxAttemptsAndTakesItsChildren(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.p.fail = func(m *bot.OutboxMessage) error { return fmt.Errorf("boom %d", m.Attempts) }
		child := msg("child")
		child.ParentKey = "parent"
		b.enqueue(t, msg("parent"), child)
		for range 3 {
			b.dispatch(t)
			b.clock.Advance(time.Hour)
		}
		e := b.entry(t, "parent")
		if e.State != store.OutboxDead || e.Attempts != 3 || e.LastError != "boom 3" {
			t.Errorf("parent: state %s attempts %d error %q; want dead, 3, boom 3", e.State, e.Attempts, e.LastError)
		}
		if c := b.entry(t, "child"); c.State != store.OutboxDead || c.Attempts != 0 {
			t.Errorf("child: state %s attempts %d; want dead without an attempt", c.State, c.Attempts)
		}
		if n := b.dispatch(t); n != 0 {
			t.Errorf("dispatched %d dead messages", n)
		}
		// A person fixes the cause and clicks Retry.
		b.p.fail = nil
		if err := db.RetryOutbox(context.Background(), b.clock.Now(), "parent"); err != nil {
			t.Fatal(err)
		}
		b.dispatch(t)
		if e := b.entry(t, "parent"); e.State != store.OutboxSent {
			t.Errorf("after retry: state %s, want sent", e.State)
		}
	})
}

func TestAPermanentErrorKillsAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.p.fail = func(*bot.OutboxMessage) error { return &bot.PermanentError{Err: errors.New("channel_not_found")} }
		b.enqueue(t, msg("k"))
		b.dispatch(t)
		if e := b.entry(t, "k"); e.State != store.OutboxDead || e.Attempts != 1 {
			t.Errorf("state %s attempts %d, want dead after 1", e.State, e.Attempts)
		}
	})
}

func TestAChildWaitsForItsParentAndGetsItsPlatformID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.p.fail = func(m *bot.OutboxMessage) error {
			if m.Key == "parent" && m.Attempts == 1 {
				return errors.New("not yet")
			}
			return nil
		}
		child := msg("child")
		child.ParentKey = "parent"
		b.enqueue(t, msg("parent"), child)
		b.dispatch(t)
		if c := b.entry(t, "child"); c.State != store.OutboxPending || c.Attempts != 0 {
			t.Fatalf("child claimed before its parent was sent: state %s attempts %d", c.State, c.Attempts)
		}
		b.clock.Advance(time.Minute)
		b.dispatch(t) // parent
		b.dispatch(t) // child
		b.p.mu.Lock()
		defer b.p.mu.Unlock()
		last := b.p.calls[len(b.p.calls)-1]
		if last.Key != "child" || last.ParentKey != "parent" || last.ParentRef != "msg-1" {
			t.Errorf("child sent with key %q parent %q ref %q; want child, parent, msg-1", last.Key, last.ParentKey, last.ParentRef)
		}
	})
}

func TestAMessageStuckInSendingIsReclaimed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		b.enqueue(t, msg("k"))
		// A replica claims it and hangs before sending: it still renews its
		// lease, so only ReclaimAfter says it will not finish.
		if ok, err := db.AcquireLease(ctx, store.ReplicaLease("hung"), "hung", b.clock.Now(), time.Hour); err != nil || !ok {
			t.Fatalf("AcquireLease = %v, %v", ok, err)
		}
		if got, err := db.ClaimOutbox(ctx, "hung", b.clock.Now(), 10); err != nil || len(got) != 1 {
			t.Fatalf("ClaimOutbox = %d, %v", len(got), err)
		}
		b.clock.Advance(2*time.Minute - time.Second)
		if n := b.dispatch(t); n != 0 {
			t.Fatalf("reclaimed before ReclaimAfter")
		}
		b.clock.Advance(2 * time.Second)
		if n := b.dispatch(t); n != 1 {
			t.Fatalf("dispatched %d after ReclaimAfter, want the reclaimed message", n)
		}
		e := b.entry(t, "k")
		if e.State != store.OutboxSent || !e.Reclaimed || e.Attempts != 2 {
			t.Errorf("state %s reclaimed %v attempts %d; want sent, true, 2", e.State, e.Reclaimed, e.Attempts)
		}
	})
}

func TestACrashBetweenSendAndMarkIsAtLeastOnceWithTheKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		b.enqueue(t, msg("relay:7:C1"))
		// The first process claims and sends, then dies before recording it.
		claimed, err := db.ClaimOutbox(ctx, "crashed", b.clock.Now(), 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("ClaimOutbox = %d, %v", len(claimed), err)
		}
		if _, err := b.p.Send(ctx, claimed[0]); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(3 * time.Minute)
		b.dispatch(t)
		b.p.mu.Lock()
		calls := b.p.calls
		b.p.mu.Unlock()
		if len(calls) != 2 || calls[1].Key != "relay:7:C1" || !calls[1].Reclaimed || calls[0].Reclaimed {
			t.Fatalf("sender calls = %d (second key %q reclaimed %v); want the same key twice, the second flagged reclaimed",
				len(calls), calls[len(calls)-1].Key, calls[len(calls)-1].Reclaimed)
		}
		if len(b.p.posts) != 1 {
			t.Errorf("platform holds %d messages, want 1: the key lets it recognise the re-send", len(b.p.posts))
		}
		if e := b.entry(t, "relay:7:C1"); e.State != store.OutboxSent || e.PlatformID != "msg-1" {
			t.Errorf("state %s id %q, want sent msg-1", e.State, e.PlatformID)
		}
	})
}

func TestAStaleOutcomeDoesNotOverwriteANewerAttempt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		b.enqueue(t, msg("k"))
		slow, err := db.ClaimOutbox(ctx, "slow", b.clock.Now(), 1)
		if err != nil || len(slow) != 1 {
			t.Fatal(err)
		}
		b.clock.Advance(3 * time.Minute)
		b.dispatch(t) // reclaims and sends: attempt 2
		// The slow dispatcher wakes up and reports a failure of attempt 1.
		err = db.FinishOutbox(ctx, b.clock.Now(), []store.OutboxOutcome{{ID: slow[0].ID, Attempts: slow[0].Attempts, State: store.OutboxDead, Error: "late"}})
		if err != nil {
			t.Fatal(err)
		}
		if e := b.entry(t, "k"); e.State != store.OutboxSent {
			t.Errorf("state %s, want sent: the stale outcome must be ignored", e.State)
		}
	})
}

func TestAMessageForAPlatformWithoutSenderDiesWithAClearError(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		m := msg("d")
		m.Platform = bot.PlatformDiscord
		b.enqueue(t, m)
		b.dispatch(t)
		if e := b.entry(t, "d"); e.State != store.OutboxDead || e.LastError != "discord is not connected: set its tokens and restart Liaison, then retry" {
			t.Errorf("state %s error %q", e.State, e.LastError)
		}
	})
}

func TestRunSendsWhatIsEnqueuedAndStopsOnCancel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.d.Clock = bot.SystemClock{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- b.d.Run(ctx) }()
		if err := db.Enqueue(ctx, time.Now(), msg("live")); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for b.p.sendCount("live") == 0 {
			select {
			case <-deadline:
				t.Fatal("Run did not send an enqueued message within 10s")
			case <-time.After(5 * time.Millisecond):
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil on shutdown", err)
		}
	})
}

// Messages to one channel are sent one after the other in the order they
// were enqueued, even when sends take uneven time; other channels go at
// the same time.
func TestMessagesToOneChannelAreSentInTheOrderTheyWereMade(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		var msgs []*bot.OutboxMessage
		for i := range 30 {
			ch := []string{"C1", "C2", "C3"}[i%3]
			msgs = append(msgs, &bot.OutboxMessage{Key: fmt.Sprintf("relay:%d:%s", i, ch), Platform: bot.PlatformSlack, Kind: "post",
				Payload: []byte(fmt.Sprintf(`{"channel_id":%q,"text":"item %d"}`, ch, i))})
		}
		b.enqueue(t, msgs...)
		var (
			mu       sync.Mutex
			inFlight int
			overlap  bool
		)
		b.d.Senders[bot.PlatformSlack] = senderFunc(func(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
			mu.Lock()
			inFlight++
			overlap = overlap || inFlight > 1
			mu.Unlock()
			time.Sleep(time.Duration(3-m.ID%3) * time.Millisecond) // uneven
			mu.Lock()
			inFlight--
			mu.Unlock()
			return b.p.Send(ctx, m)
		})
		if n := b.dispatch(t); n != 30 {
			t.Fatalf("dispatched %d, want 30", n)
		}
		order := map[string][]string{}
		for _, c := range b.p.calls {
			var p struct {
				ChannelID string `json:"channel_id"`
			}
			json.Unmarshal(c.Payload, &p)
			order[p.ChannelID] = append(order[p.ChannelID], c.Key)
		}
		for i, ch := range []string{"C1", "C2", "C3"} {
			var want []string
			for j := i; j < 30; j += 3 {
				want = append(want, fmt.Sprintf("relay:%d:%s", j, ch))
			}
			if !slices.Equal(order[ch], want) {
				t.Errorf("%s got its messages in the order %v, want %v", ch, order[ch], want)
			}
		}
		if !overlap {
			t.Error("no two channels were sent to at the same time")
		}
	})
}

type senderFunc func(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error)

func (f senderFunc) Send(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	return f(ctx, m)
}

// claimCounter counts the dispatcher's claims.
type claimCounter struct {
	*store.DB
	claims atomic.Int64
}

func (c *claimCounter) ClaimLanes(ctx context.Context, cl store.OutboxClaim) ([]*bot.OutboxMessage, error) {
	c.claims.Add(1)
	return c.DB.ClaimLanes(ctx, cl)
}

// countedRun runs b's dispatcher on the wall clock until the test ends,
// counting its claims, with gap as its ClaimGap and no polling to speak
// of; waitSent waits up to 30 s for each key to be sent.
func countedRun(t *testing.T, b *bundle, db *store.DB, gap time.Duration) (counter *claimCounter, waitSent func(keys ...string)) {
	t.Helper()
	counter = &claimCounter{DB: db}
	b.d.Store, b.d.Clock, b.d.ClaimGap, b.d.PollInterval = counter, bot.SystemClock{}, gap, time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return counter, func(keys ...string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for _, k := range keys {
			for b.p.sendCount(k) == 0 {
				select {
				case <-deadline:
					t.Fatalf("%s was not sent within 30s", k)
				case <-time.After(5 * time.Millisecond):
				}
			}
		}
	}
}

// A burst of messages enqueued one by one (a busy feedback channel's
// relays) is claimed in a few claims, not one per message: a claim costs
// the database as much as a message's intake.
func TestABurstOfEnqueuedMessagesIsClaimedTogether(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		// A long gap and no polling: the claims counted are the burst's,
		// even on a loaded machine (without the gap: about one per message).
		counter, waitSent := countedRun(t, b, db, time.Second)
		ctx := context.Background()
		if err := db.Enqueue(ctx, time.Now(), msg("first")); err != nil {
			t.Fatal(err)
		}
		waitSent("first")
		before := counter.claims.Load()
		var keys []string
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					if err := db.Enqueue(ctx, time.Now(), msg(fmt.Sprintf("burst-%d-%d", g, i))); err != nil {
						t.Error(err)
					}
				}
			}()
			for i := range 5 {
				keys = append(keys, fmt.Sprintf("burst-%d-%d", g, i))
			}
		}
		wg.Wait()
		waitSent(keys...)
		if n := counter.claims.Load() - before; n > 8 {
			t.Errorf("20 messages enqueued in a burst took %d claims, want a few", n)
		}
	})
}

// Messages enqueued into a lane that cannot send yet (paced: its token is
// spent) wake no claim: a busy channel's relays, a few a millisecond
// against Slack's one a second, each cost a claim that took nothing.
func TestMessagesEnqueuedIntoAPacedLaneWakeNoClaim(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.d.Pace = map[string]jobs.Rate{bot.PlatformSlack: {Every: time.Minute, Burst: 1}}
		counter, waitSent := countedRun(t, b, db, time.Millisecond)
		ctx := context.Background()
		paced := func(key string) *bot.OutboxMessage {
			return &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: "post", Payload: []byte(`{"channel_id":"C1","text":"hi"}`)}
		}
		if err := db.Enqueue(ctx, time.Now(), paced("first")); err != nil {
			t.Fatal(err)
		}
		waitSent("first")
		time.Sleep(50 * time.Millisecond) // its outcome recorded, the lane known spent
		before := counter.claims.Load()
		for i := range 20 {
			if err := db.Enqueue(ctx, time.Now(), paced(fmt.Sprint("later-", i))); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		if n := counter.claims.Load() - before; n > 1 {
			t.Errorf("20 messages enqueued into a lane paced for a minute woke %d claims, want none", n)
		}
		for i := range 20 {
			if n := b.p.sendCount(fmt.Sprint("later-", i)); n != 0 {
				t.Errorf("later-%d sent %d times before the lane's next token", i, n)
			}
		}
		// A message for another lane still goes at once.
		other := &bot.OutboxMessage{Key: "other", Platform: bot.PlatformSlack, Kind: "post", Payload: []byte(`{"channel_id":"C2","text":"hi"}`)}
		if err := db.Enqueue(ctx, time.Now(), other); err != nil {
			t.Fatal(err)
		}
		waitSent("other")
	})
}
