package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

// Slack's documented limit on posting: about one message a second per
// channel, after a short burst.
var slackRate = jobs.Rate{Every: time.Second, Burst: 3}

// limitedSlack is a test double of a Slack that enforces its per-channel
// posting limit on the test's clock: a token bucket per channel; a post
// over it is refused with a Retry-After in whole seconds, rounded up, as
// Slack answers, and changes nothing.
type limitedSlack struct {
	clock *bot.ManualClock
	rate  jobs.Rate

	mu      sync.Mutex
	buckets map[string]*bucket
	sent    map[string][]string    // channel → keys, in the order posted
	at      map[string][]time.Time // channel → when each was posted
	refused int                    // posts answered with a 429
	// refuse, when set, may refuse a post before the limit is looked at
	// (an injected 429).
	refuse func(m *bot.OutboxMessage) error
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimitedSlack(clock *bot.ManualClock, rate jobs.Rate) *limitedSlack {
	return &limitedSlack{clock: clock, rate: rate, buckets: map[string]*bucket{}, sent: map[string][]string{}, at: map[string][]time.Time{}}
}

func channelOf(m *bot.OutboxMessage) string {
	var p struct {
		ChannelID string `json:"channel_id"`
	}
	json.Unmarshal(m.Payload, &p)
	return p.ChannelID
}

func (s *limitedSlack) Send(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, now := channelOf(m), s.clock.Now()
	if s.refuse != nil {
		if err := s.refuse(m); err != nil {
			s.refused++
			return bot.SendResult{}, err
		}
	}
	if s.rate.Every > 0 {
		b := s.buckets[ch]
		if b == nil {
			b = &bucket{tokens: float64(s.rate.Burst), last: now}
			s.buckets[ch] = b
		}
		b.tokens = math.Min(float64(s.rate.Burst), b.tokens+float64(now.Sub(b.last))/float64(s.rate.Every))
		b.last = now
		if b.tokens < 1 {
			s.refused++
			wait := time.Duration(math.Ceil((1-b.tokens)*float64(s.rate.Every)/float64(time.Second))) * time.Second
			return bot.SendResult{}, &bot.RateLimitError{RetryAfter: wait, Err: fmt.Errorf("ratelimited in %s", ch)}
		}
		b.tokens--
	}
	s.sent[ch] = append(s.sent[ch], m.Key)
	s.at[ch] = append(s.at[ch], now)
	return bot.SendResult{PlatformID: fmt.Sprintf("%s-%d", ch, len(s.sent[ch])), Channel: ch}, nil
}

func (s *limitedSlack) posted(ch string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent[ch])
}

func (s *limitedSlack) refusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func post(key, channel string) *bot.OutboxMessage {
	return &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost,
		Payload: []byte(fmt.Sprintf(`{"channel_id":%q,"text":%q}`, channel, key))}
}

// laneScenario is the measured case of head-of-line blocking: #product
// holds a long backlog when #marketing, with a few messages due, gets more
// now and then. A dispatcher is driven tick by tick on a fake clock against
// a Slack that allows each channel one post a second after a burst of 3.
type laneScenario struct {
	db      *store.DB
	clock   *bot.ManualClock
	slack   *limitedSlack
	d       *jobs.Dispatcher
	tick    time.Duration
	backlog int           // #product's messages at the start
	every   time.Duration // a new #marketing message this often (after 3 at the start)

	arrivals map[string][]time.Time // channel → when each message was enqueued
	n        int
}

const (
	product   = "C01PRODUCT"
	marketing = "C02MARKETING"
)

func newLaneScenario(tb testing.TB, db *store.DB, backlog int) *laneScenario {
	clock := bot.NewManualClock(t0)
	slack := newLimitedSlack(clock, slackRate)
	return &laneScenario{
		db: db, clock: clock, slack: slack, tick: 250 * time.Millisecond, backlog: backlog, every: 2 * time.Second,
		d: &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: slack}, Clock: clock, Logger: quiet,
			Owner: "lanes", Pace: map[string]jobs.Rate{bot.PlatformSlack: slackRate}},
		arrivals: map[string][]time.Time{},
	}
}

func (s *laneScenario) enqueue(tb testing.TB, channel string, n int) {
	tb.Helper()
	var msgs []*bot.OutboxMessage
	for range n {
		s.n++
		msgs = append(msgs, post(fmt.Sprintf("relay:%d:%s", s.n, channel), channel))
		s.arrivals[channel] = append(s.arrivals[channel], s.clock.Now())
	}
	if err := s.db.Enqueue(context.Background(), s.clock.Now(), msgs...); err != nil {
		tb.Fatal(err)
	}
}

// run plays ticks ticks: at each, the messages that arrive are enqueued,
// then the dispatcher passes once, then time moves on by one tick.
func (s *laneScenario) run(tb testing.TB, ticks int) {
	tb.Helper()
	s.enqueue(tb, product, s.backlog)
	s.enqueue(tb, marketing, 3)
	perArrival := int(s.every / s.tick)
	for i := range ticks {
		if i > 0 && i%perArrival == 0 {
			s.enqueue(tb, marketing, 1)
		}
		if _, err := s.d.DispatchOnce(context.Background()); err != nil {
			tb.Fatal(err)
		}
		s.clock.Advance(s.tick)
	}
}

// allowance is the most posts a channel could have had over the ticks
// played: an ideal sender posting whatever is due the moment the channel's
// bucket has a token, checked at the same ticks.
func (s *laneScenario) allowance(channel string, ticks int) int {
	arrivals := s.arrivals[channel]
	tokens, sent, queued, next := float64(slackRate.Burst), 0, 0, 0
	for i := range ticks {
		now := t0.Add(time.Duration(i) * s.tick)
		if i > 0 {
			tokens = math.Min(float64(slackRate.Burst), tokens+float64(s.tick)/float64(slackRate.Every))
		}
		for next < len(arrivals) && !arrivals[next].After(now) {
			queued++
			next++
		}
		n := min(int(tokens+1e-9), queued)
		tokens -= float64(n)
		queued -= n
		sent += n
	}
	return sent
}

// share is the part of its allowance a channel got, in percent.
func (s *laneScenario) share(channel string, ticks int) float64 {
	return 100 * float64(len(s.slack.posted(channel))) / float64(s.allowance(channel, ticks))
}

func TestABusyLaneNeverDelaysAnother(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const ticks = 240 // a minute
		s := newLaneScenario(t, db, 100)
		s.run(t, ticks)
		for _, ch := range []string{product, marketing} {
			got, allowed := len(s.slack.posted(ch)), s.allowance(ch, ticks)
			if share := s.share(ch, ticks); share < 95 {
				t.Errorf("%s posted %d of the %d its allowance allowed (%.1f %%), want ≥ 95 %%", ch, got, allowed, share)
			}
		}
		if n := s.slack.refusals(); n != 0 {
			t.Errorf("Slack refused %d posts: the dispatcher should pace each channel within its limit", n)
		}
		// Each channel's posts in the order they were made.
		for _, ch := range []string{product, marketing} {
			keys := s.slack.posted(ch)
			ids := make([]int, len(keys))
			for i, k := range keys {
				fmt.Sscanf(k, "relay:%d:", &ids[i])
			}
			if !slices.IsSorted(ids) {
				t.Errorf("%s got its posts in the order %v", ch, ids)
			}
		}
	})
}

// A 429 pauses its whole lane for exactly the Retry-After, even across a
// restart; the other lanes keep sending meanwhile.
func TestARateLimitPausesItsLaneExactlyRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := bot.NewManualClock(t0)
		slack := newLimitedSlack(clock, jobs.Rate{})
		limited := false
		slack.refuse = func(m *bot.OutboxMessage) error {
			if channelOf(m) == "C1" && !limited {
				limited = true
				return &bot.RateLimitError{RetryAfter: 2 * time.Second, Err: fmt.Errorf("ratelimited")}
			}
			return nil
		}
		dispatcher := func(owner string) *jobs.Dispatcher {
			return &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: slack}, Clock: clock, Logger: quiet, Owner: owner}
		}
		d := dispatcher("first")
		dispatch := func(d *jobs.Dispatcher) {
			t.Helper()
			if _, err := d.DispatchOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		enqueue := func(keys ...string) {
			t.Helper()
			for _, k := range keys {
				if err := db.Enqueue(ctx, clock.Now(), post(k, strings.Split(k, "-")[0])); err != nil {
					t.Fatal(err)
				}
			}
		}
		enqueue("C1-1", "C1-2", "C1-3", "C2-1", "C2-2")
		dispatch(d)
		if got := slack.posted("C1"); len(got) != 0 {
			t.Fatalf("C1 posted %v after its 429", got)
		}
		if got := slack.posted("C2"); !slices.Equal(got, []string{"C2-1", "C2-2"}) {
			t.Fatalf("C2 posted %v, want both: another lane's 429 does not stop it", got)
		}
		e, err := db.OutboxByKey(ctx, "C1-1")
		if err != nil {
			t.Fatal(err)
		}
		if e.State != store.OutboxPending || !e.RateLimited || !e.NextAttemptAt.Equal(t0.Add(2*time.Second)) || e.Attempts != 0 {
			t.Errorf("C1-1 after its 429: %s, rate limited %v, next +%v, attempts %d; want pending, true, +2s, 0",
				e.State, e.RateLimited, e.NextAttemptAt.Sub(t0), e.Attempts)
		}
		for _, k := range []string{"C1-2", "C1-3"} {
			if e, _ := db.OutboxByKey(ctx, k); e.State != store.OutboxPending || e.Attempts != 0 {
				t.Errorf("%s after its lane's 429: %s attempts %d; want pending, not tried", k, e.State, e.Attempts)
			}
		}

		clock.Advance(time.Second)
		enqueue("C1-4", "C2-3")
		clock.Advance(time.Second - time.Millisecond)
		dispatch(d)
		// A restarted replica knows the pause from the row.
		restarted := dispatcher("restarted")
		dispatch(restarted)
		if got := slack.posted("C1"); len(got) != 0 {
			t.Fatalf("C1 posted %v at +%v, before its Retry-After", got, clock.Now().Sub(t0))
		}
		if got := slack.posted("C2"); !slices.Equal(got, []string{"C2-1", "C2-2", "C2-3"}) {
			t.Errorf("C2 posted %v while C1 waited, want its new message too", got)
		}

		clock.Advance(time.Millisecond)
		for range 5 { // a lane refused at once claims one, then more as they go through
			dispatch(restarted)
		}
		if got := slack.posted("C1"); !slices.Equal(got, []string{"C1-1", "C1-2", "C1-3", "C1-4"}) {
			t.Errorf("C1 posted %v at its Retry-After, want all four in order", got)
		}
	})
}

// A paced lane that was rate limited anyway (another client of the same
// token, a restart that forgot the bucket) has one post at the Retry-After
// and then its pace: never a burst into a bucket Slack just said was empty.
func TestAPacedLaneAfterARateLimitResumesAtItsPace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := bot.NewManualClock(t0)
		slack := newLimitedSlack(clock, slackRate)
		slack.buckets["C1"] = &bucket{tokens: 0, last: t0} // someone else spent them
		d := &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: slack}, Clock: clock, Logger: quiet,
			Owner: "paced", Pace: map[string]jobs.Rate{bot.PlatformSlack: slackRate}}
		for i := range 6 {
			if err := db.Enqueue(ctx, clock.Now(), post(fmt.Sprintf("C1-%d", i), "C1")); err != nil {
				t.Fatal(err)
			}
		}
		var when []time.Duration
		for range 40 { // ten seconds
			before := len(slack.posted("C1"))
			if _, err := d.DispatchOnce(ctx); err != nil {
				t.Fatal(err)
			}
			for range len(slack.posted("C1")) - before {
				when = append(when, clock.Now().Sub(t0))
			}
			clock.Advance(250 * time.Millisecond)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second, 6 * time.Second}
		if !slices.Equal(when, want) || slack.refusals() != 1 {
			t.Errorf("posts at %v with %d refusals; want one at the Retry-After (1s) then one a second, %v, after the one 429", when, slack.refusals(), want)
		}
	})
}

// Claims of a replica whose lease lapsed are taken back at once, those of
// a claimer that never held one after one lease term, not after
// ReclaimAfter; a live replica's are not.
func TestADeadReplicasClaimsAreTakenBackAtOnce(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 3)
	ctx := context.Background()
	clock := bot.NewManualClock(t0)
	seen := newPlatform()
	claim := func(db *store.DB, owner, channel string, lease bool) {
		t.Helper()
		if lease {
			if ok, err := db.AcquireLease(ctx, store.ReplicaLease(owner), owner, clock.Now(), 15*time.Second); err != nil || !ok {
				t.Fatalf("lease of %s: %v, %v", owner, ok, err)
			}
		}
		if err := db.Enqueue(ctx, clock.Now(), post(channel+"-1", channel), post(channel+"-2", channel)); err != nil {
			t.Fatal(err)
		}
		got, err := db.ClaimOutbox(ctx, owner, clock.Now(), 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("%s claimed %d, %v; want its two", owner, len(got), err)
		}
	}
	claim(dbs[0], "dies", "C1", true)
	claim(dbs[1], "lives", "C2", true)
	d := &jobs.Dispatcher{Store: dbs[2], Senders: map[string]bot.Sender{bot.PlatformSlack: seen}, Clock: clock, Logger: quiet, Owner: "survivor"}
	dispatch := func(want int, why string) {
		t.Helper()
		if n, err := d.DispatchOnce(ctx); err != nil || n != want {
			t.Fatalf("DispatchOnce at +%v = %d, %v; want %d: %s", clock.Now().Sub(t0), n, err, want, why)
		}
	}
	// "dies" renews once, then stops; "lives" keeps renewing.
	clock.Advance(5 * time.Second)
	for _, owner := range []string{"dies", "lives"} {
		if ok, err := dbs[1].AcquireLease(ctx, store.ReplicaLease(owner), owner, clock.Now(), 15*time.Second); err != nil || !ok {
			t.Fatalf("renew: %v, %v", ok, err)
		}
	}
	claim(dbs[1], "never-leased", "C3", false) // a replica of a version before leases
	dispatch(0, "every claimer is alive, as far as anyone can tell")
	clock.Advance(15 * time.Second) // "dies"'s lease lapses now
	if ok, err := dbs[1].AcquireLease(ctx, store.ReplicaLease("lives"), "lives", clock.Now(), 15*time.Second); err != nil || !ok {
		t.Fatalf("renew: %v, %v", ok, err)
	}
	dispatch(2, "the dead replica's two, at once: far sooner than ReclaimAfter (90s)")
	clock.Advance(time.Second) // more than a lease term since the claim without a lease
	dispatch(2, "the two claimed without a lease, once a lease would have lapsed")
	for _, k := range []string{"C1-1", "C1-2", "C3-1", "C3-2"} {
		e, err := dbs[2].OutboxByKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if e.State != store.OutboxSent || !e.Reclaimed || e.ClaimedBy != "survivor" {
			t.Errorf("%s: %s, reclaimed %v, by %s; want sent by survivor, flagged reclaimed so the sender looked first", k, e.State, e.Reclaimed, e.ClaimedBy)
		}
	}
	for _, k := range []string{"C2-1", "C2-2"} {
		if e, _ := dbs[2].OutboxByKey(ctx, k); e.State != store.OutboxSending || e.ClaimedBy != "lives" {
			t.Errorf("%s: %s by %s; want still being sent by the live replica", k, e.State, e.ClaimedBy)
		}
		if n := seen.sendCount(k); n != 0 {
			t.Errorf("%s sent %d times by another replica while its own is alive", k, n)
		}
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for _, c := range seen.calls {
		if !c.Reclaimed {
			t.Errorf("%s was re-sent without the reclaimed flag", c.Key)
		}
	}
}

// Several replicas share the lanes: each lane is sent by one at a time, in
// the order its messages were made, and each message once.
func TestReplicasSendEachLaneInOrderAndOneAtATime(t *testing.T) {
	t.Parallel()
	dbs := storetest.Replicas(t, 3)
	ctx := context.Background()
	clock := bot.NewManualClock(t0)
	const channels, each = 6, 40
	var msgs []*bot.OutboxMessage
	for i := range channels * each {
		ch := fmt.Sprintf("C%d", i%channels)
		msgs = append(msgs, post(fmt.Sprintf("%s-%03d", ch, i/channels), ch))
	}
	if err := dbs[0].Enqueue(ctx, clock.Now(), msgs...); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		overlap  []string
		order    = map[string][]string{}
		sends    = map[string]int{}
	)
	sender := senderFunc(func(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
		ch := channelOf(m)
		mu.Lock()
		inFlight[ch]++
		if inFlight[ch] > 1 {
			overlap = append(overlap, m.Key)
		}
		mu.Unlock()
		time.Sleep(time.Duration(len(m.Key)%3) * 100 * time.Microsecond)
		mu.Lock()
		inFlight[ch]--
		order[ch] = append(order[ch], m.Key)
		sends[m.Key]++
		mu.Unlock()
		return bot.SendResult{PlatformID: m.Key, Channel: ch}, nil
	})
	var wg sync.WaitGroup
	for i, db := range dbs {
		d := &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: sender}, Clock: clock, Logger: quiet,
			Owner: fmt.Sprintf("replica-%d", i), LaneBatch: 3}
		wg.Go(func() {
			for idle := 0; idle < 3; {
				n, err := d.DispatchOnce(ctx)
				if err != nil {
					t.Errorf("%s: %v", d.Owner, err)
					return
				}
				if n == 0 {
					idle++
					time.Sleep(time.Millisecond)
				} else {
					idle = 0
				}
			}
		})
	}
	wg.Wait()
	if len(overlap) > 0 {
		t.Errorf("sent while another send of the same lane was in flight: %v", overlap)
	}
	for c := range channels {
		ch := fmt.Sprintf("C%d", c)
		if !slices.IsSorted(order[ch]) || len(order[ch]) != each {
			t.Errorf("%s got %d posts in the order %v; want %d in the order made", ch, len(order[ch]), order[ch], each)
		}
	}
	for _, m := range msgs {
		if sends[m.Key] != 1 {
			t.Errorf("%s sent %d times, want 1", m.Key, sends[m.Key])
		}
	}
}

// In Run, a lane whose send hangs holds up nothing but itself.
func TestASlowSendHoldsUpOnlyItsOwnLane(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		release := make(chan struct{})
		var mu sync.Mutex
		var sent []string
		sender := senderFunc(func(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
			if channelOf(m) == "CSLOW" {
				<-release
			}
			mu.Lock()
			sent = append(sent, m.Key)
			mu.Unlock()
			return bot.SendResult{PlatformID: m.Key}, nil
		})
		d := &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: sender}, Clock: bot.SystemClock{}, Logger: quiet, Owner: "run"}
		if err := db.Enqueue(ctx, time.Now(), post("CSLOW-1", "CSLOW"), post("CSLOW-2", "CSLOW")); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(50 * time.Millisecond) // CSLOW-1 is stuck in its send
		for i := range 5 {
			if err := db.Enqueue(ctx, time.Now(), post(fmt.Sprintf("CFAST-%d", i), "CFAST")); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "CFAST's five posts while CSLOW hangs", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(sent) == 5
		})
		close(release)
		waitFor(t, "CSLOW's posts once its send returns", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(sent) == 7
		})
		mu.Lock()
		if got := sent[5:]; !slices.Equal(got, []string{"CSLOW-1", "CSLOW-2"}) {
			t.Errorf("CSLOW posted %v, want in order", got)
		}
		mu.Unlock()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		if holder, _, err := db.LeaseHolder(context.Background(), store.ReplicaLease("run"), time.Now()); err != nil || holder != "" {
			t.Errorf("replica lease after Run = %q, %v; want given up", holder, err)
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a condition, not a speed: generous on a loaded machine
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// /metrics shows each lane's backlog, the age of its oldest message, why
// and how long it is paused, and its sends by outcome.
func TestMetricsShowEachLanesBacklogPauseAndSends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := bot.NewManualClock(t0)
		slack := newLimitedSlack(clock, jobs.Rate{})
		slack.refuse = func(m *bot.OutboxMessage) error {
			if m.Key == "C1-1" {
				return &bot.RateLimitError{RetryAfter: 30 * time.Second, Err: fmt.Errorf("ratelimited")}
			}
			return nil
		}
		reg := prometheus.NewRegistry()
		d := &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: slack}, Clock: clock, Logger: quiet, Owner: "m",
			Metrics: jobs.NewDispatcherMetrics(reg), Pace: map[string]jobs.Rate{bot.PlatformSlack: {Every: time.Second, Burst: 1}}}
		reg.MustRegister(d.Collector())
		if err := db.Enqueue(ctx, clock.Now(), post("C1-1", "C1"), post("C1-2", "C1"), post("C2-1", "C2"), post("C2-2", "C2"), post("C2-3", "C2")); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
		if _, err := d.DispatchOnce(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(500 * time.Millisecond)
		want := map[string]float64{
			`liaison_outbox_lane_backlog_age_seconds{lane="slack:C1"}`:                            10.5,
			`liaison_outbox_lane_backlog_age_seconds{lane="slack:C2"}`:                            10.5,
			`liaison_outbox_lane_messages{lane="slack:C1"}`:                                       2,
			`liaison_outbox_lane_messages{lane="slack:C2"}`:                                       2,
			`liaison_outbox_lane_paused_seconds{lane="slack:C1",reason="rate_limited"}`:           29.5,
			`liaison_outbox_lane_paused_seconds{lane="slack:C2",reason="paced"}`:                  0.5,
			`liaison_outbox_sends_total{lane="slack:C1",outcome="rate_limited",platform="slack"}`: 1,
			`liaison_outbox_sends_total{lane="slack:C2",outcome="sent",platform="slack"}`:         1,
		}
		got := gather(t, reg, "liaison_outbox_lane_", "liaison_outbox_sends_total")
		if !maps.Equal(got, want) {
			t.Errorf("metrics:\n%v\nwant\n%v", got, want)
		}
	})
}

// gather returns the series of reg whose names start with one of prefixes,
// as name{label="value",…} (labels sorted by name) → value.
func gather(t *testing.T, reg *prometheus.Registry, prefixes ...string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f.GetName(), p) }) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() { // sorted by name
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}
