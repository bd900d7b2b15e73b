package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// outboxStore is implemented by *store.DB.
type outboxStore interface {
	ClaimOutbox(ctx context.Context, owner string, now time.Time, limit int) ([]*bot.OutboxMessage, error)
	FinishOutbox(ctx context.Context, now time.Time, outcomes []store.OutboxOutcome) error
	ReclaimOutbox(ctx context.Context, now, olderThan, unleasedBefore time.Time) (int, error)
	NextOutboxDue(ctx context.Context) (time.Time, bool, error)
	Enqueued() <-chan struct{}
}

// Dispatcher sends outbox messages through the platform senders. It claims
// due messages in batches, sends them with bounded concurrency, and records
// every outcome: the platform id when sent; a retry with exponential backoff
// and jitter when the send failed; the platform's retry-after, exactly, when
// rate limited; dead with the last error after MaxAttempts or a permanent
// failure. Messages left in sending by a crashed dispatcher are reclaimed
// after ReclaimAfter and sent again, flagged so the sender can look for the
// first copy. Several dispatchers may share one database: claims never
// overlap.
//
// The zero values of the tuning fields select the defaults documented on
// each field.
type Dispatcher struct {
	Store   outboxStore
	Senders map[string]bot.Sender // by platform; a message for a platform without a sender dies with a clear error
	Clock   bot.Clock
	Owner   string // this replica's name in claimed_by; default "dispatcher"
	Logger  *slog.Logger
	Metrics *DispatcherMetrics // optional

	BatchSize    int           // messages claimed at once; default 100
	Concurrency  int           // sends in flight; default 16
	MaxAttempts  int           // attempts before a message is dead; default 10
	BackoffMin   time.Duration // first retry delay; default 1s
	BackoffMax   time.Duration // longest retry delay; default 10m
	ReclaimAfter time.Duration // a claim older than this is taken back; default 90s, inside the few minutes Discord remembers a nonce
	SendTimeout  time.Duration // one send's deadline; default 30s
	PollInterval time.Duration // longest idle wait between polls; default 1s

	// Jitter returns a number in [0, 1) to spread retries; default math/rand.
	Jitter func() float64
}

// DispatcherMetrics are the dispatcher's Prometheus series.
type DispatcherMetrics struct {
	Sends   *prometheus.CounterVec   // liaison_outbox_sends_total{platform,outcome}
	Latency *prometheus.HistogramVec // liaison_outbox_send_seconds{platform}
}

// NewDispatcherMetrics creates the dispatcher's series and registers them.
func NewDispatcherMetrics(reg prometheus.Registerer) *DispatcherMetrics {
	m := &DispatcherMetrics{
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "liaison_outbox_sends_total",
			Help: "Outbox send attempts by platform and outcome (sent, retry, rate_limited, dead).",
		}, []string{"platform", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "liaison_outbox_send_seconds",
			Help:    "Time a platform took to answer an outbox send.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"platform"}),
	}
	reg.MustRegister(m.Sends, m.Latency)
	return m
}

func (d *Dispatcher) batchSize() int   { return orInt(d.BatchSize, 100) }
func (d *Dispatcher) concurrency() int { return orInt(d.Concurrency, 16) }
func (d *Dispatcher) maxAttempts() int { return orInt(d.MaxAttempts, 10) }
func (d *Dispatcher) owner() string    { return orString(d.Owner, "dispatcher") }
func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}
func (d *Dispatcher) reclaimAfter() time.Duration { return orDur(d.ReclaimAfter, 90*time.Second) }

// DispatchOnce reclaims stale claims, claims one batch of due
// messages, sends them and records the outcomes. It returns how many messages
// it handled; zero means nothing was due. Shutting down (ctx cancelled)
// stops new claims but lets the sends in flight finish, up to SendTimeout.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	now := d.Clock.Now()
	if err := d.reclaim(ctx, now); err != nil {
		return 0, err
	}
	msgs, err := d.Store.ClaimOutbox(ctx, d.owner(), now, d.batchSize())
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	// From here on the messages are ours: finish them even if shutdown began.
	ctx = context.WithoutCancel(ctx)
	outcomes := make([]store.OutboxOutcome, len(msgs))
	sem := make(chan struct{}, d.concurrency())
	var wg sync.WaitGroup
	for _, lane := range lanes(msgs) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, i := range lane {
				outcomes[i] = d.send(ctx, msgs[i])
			}
		}()
	}
	wg.Wait()
	if err := d.Store.FinishOutbox(ctx, d.Clock.Now(), outcomes); err != nil {
		// The claims stay in sending and are reclaimed later: at least once.
		return len(msgs), fmt.Errorf("record outbox outcomes: %w", err)
	}
	return len(msgs), nil
}

// lanes groups a batch into what may be sent at once: the messages to one
// channel of one platform go in a lane of their own, in the order they were
// enqueued, so two relays to #product arrive as they were made; messages
// without a channel (a ban) each have their own lane. It returns indices
// into msgs.
func lanes(msgs []*bot.OutboxMessage) [][]int {
	var out [][]int
	byChannel := map[string]int{} // platform + channel → lane
	for i, m := range msgs {
		var to struct {
			ChannelID string `json:"channel_id"`
		}
		_ = json.Unmarshal(m.Payload, &to) // a payload the sender cannot read fails there, in a lane of its own
		if to.ChannelID == "" {
			out = append(out, []int{i})
			continue
		}
		k := m.Platform + "\x00" + to.ChannelID
		l, ok := byChannel[k]
		if !ok {
			l = len(out)
			byChannel[k] = l
			out = append(out, nil)
		}
		out[l] = append(out[l], i)
	}
	for _, l := range out {
		sort.SliceStable(l, func(a, b int) bool { return msgs[l[a]].ID < msgs[l[b]].ID })
	}
	return out
}

// reclaim runs on every pass: the query finds nothing through a partial index
// in the common case, and running it always bounds how long a crashed
// dispatcher's messages wait to ReclaimAfter exactly.
func (d *Dispatcher) reclaim(ctx context.Context, now time.Time) error {
	n, err := d.Store.ReclaimOutbox(ctx, now, now.Add(-d.reclaimAfter()), now.Add(-d.reclaimAfter()))
	if err != nil {
		return err
	}
	if n > 0 {
		d.logger().Warn("outbox: reclaimed messages a dispatcher claimed and never finished", "count", n)
	}
	return nil
}

// send performs one message and decides what becomes of it.
func (d *Dispatcher) send(ctx context.Context, m *bot.OutboxMessage) store.OutboxOutcome {
	out := store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts}
	s, ok := d.Senders[m.Platform]
	if !ok {
		out.State, out.Error = store.OutboxDead, fmt.Sprintf("%s is not connected: set its tokens and restart Liaison, then retry", m.Platform)
		d.count(m.Platform, "dead")
		return out
	}
	sctx, cancel := context.WithTimeout(ctx, orDur(d.SendTimeout, 30*time.Second))
	start := time.Now()
	res, err := s.Send(sctx, m)
	cancel()
	if d.Metrics != nil {
		d.Metrics.Latency.WithLabelValues(m.Platform).Observe(time.Since(start).Seconds())
	}
	now := d.Clock.Now()
	var rl *bot.RateLimitError
	switch {
	case err == nil:
		out.State, out.Result = store.OutboxSent, res
		d.count(m.Platform, "sent")
	case errors.As(err, &rl):
		// Exactly the platform's wait, never less; not a failed attempt.
		out.State, out.RetryAt, out.Uncounted, out.Error = store.OutboxPending, now.Add(rl.RetryAfter), true, err.Error()
		d.count(m.Platform, "rate_limited")
	case bot.IsPermanent(err) || m.Attempts >= d.maxAttempts():
		out.State, out.Error = store.OutboxDead, err.Error()
		d.count(m.Platform, "dead")
		d.logger().Error("outbox: message is dead", "key", m.Key, "attempts", m.Attempts, "err", err)
	default:
		out.State, out.RetryAt, out.Error = store.OutboxPending, now.Add(d.Backoff(m.Attempts)), err.Error()
		d.count(m.Platform, "retry")
		d.logger().Warn("outbox: send failed, will retry", "key", m.Key, "attempt", m.Attempts, "retry_at", out.RetryAt, "err", err)
	}
	return out
}

func (d *Dispatcher) count(platform, outcome string) {
	if d.Metrics != nil {
		d.Metrics.Sends.WithLabelValues(platform, outcome).Inc()
	}
}

// Backoff returns the wait before the retry that follows the given failed
// attempt (1 for the first): BackoffMin doubled per attempt, capped at
// BackoffMax, then jittered into its upper half so that many messages failing
// together do not retry together.
func (d *Dispatcher) Backoff(attempt int) time.Duration {
	lo, hi := orDur(d.BackoffMin, time.Second), orDur(d.BackoffMax, 10*time.Minute)
	b := lo
	for i := 1; i < attempt && b < hi; i++ {
		b *= 2
	}
	b = min(b, hi)
	j := rand.Float64
	if d.Jitter != nil {
		j = d.Jitter
	}
	return b/2 + time.Duration(j()*float64(b/2))
}

// Run dispatches until ctx is cancelled: a batch after another while messages
// are due, otherwise waiting for an enqueue, the next due time or
// PollInterval, whichever comes first. Errors are logged and retried; Run
// returns nil on shutdown, after the sends in flight have finished.
func (d *Dispatcher) Run(ctx context.Context) error {
	poll := orDur(d.PollInterval, time.Second)
	for ctx.Err() == nil {
		n, err := d.DispatchOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger().Error("outbox dispatch", "err", err)
		}
		if n == d.batchSize() && err == nil {
			continue
		}
		wait := poll
		if next, ok, err := d.Store.NextOutboxDue(ctx); err == nil && ok {
			wait = min(max(next.Sub(d.Clock.Now()), 0), poll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-d.Store.Enqueued():
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func orString(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
