package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// outboxStore is implemented by *store.DB.
type outboxStore interface {
	ClaimLanes(ctx context.Context, c store.OutboxClaim) ([]*bot.OutboxMessage, error)
	FinishOutbox(ctx context.Context, now time.Time, outcomes []store.OutboxOutcome) error
	ReclaimOutbox(ctx context.Context, now, olderThan, unleasedBefore time.Time) (int, error)
	NextOutboxDue(ctx context.Context) (time.Time, bool, error)
	OutboxLanes(ctx context.Context, now time.Time) ([]store.LaneBacklog, error)
	Enqueued() <-chan struct{}
	EnqueuedLanes() (lanes []string, any bool)
	leaseStore
}

// Dispatcher sends outbox messages through the platform senders, lane by
// lane (bot.Lane: a channel, or one of Discord's route buckets), so that a
// busy, paced or rate-limited lane never holds up another.
//
// Claims: a dispatcher claims each lane apart, from the lane's first due
// message on and only what it can send now: a paced lane (Pace) within its
// tokens, another at most LaneBatch. A lane is claimed by one dispatcher at
// a time and only when nothing of it is being sent, so its messages go out
// in the order they were made, even with several replicas; a crash strands
// only the messages in flight.
//
// Outcomes: the platform id when sent; a retry with exponential backoff and
// jitter when the send failed; dead with the last error after MaxAttempts or
// a permanent failure. A rate limit (the platform's Retry-After, or the
// sender's own reading of the platform's rate-limit headers) pauses the
// whole lane for exactly that long: the refused message keeps the time in
// its row, so no replica sends anything of the lane before, even after a
// restart, and the lane's other claimed messages are given back unsent.
//
// Crashes: each dispatcher holds a replica lease (store.ReplicaLease of
// Owner) renewed well within ReplicaTTL. Messages claimed by a replica
// whose lease has lapsed are taken back at once; those of a claimer that
// holds no lease (a replica of a version before leases, during a rolling
// upgrade) after ReplicaTTL; those of a live replica that has not finished
// them after ReclaimAfter (it hangs). Either way
// they are flagged so that the sender looks for a first copy (Slack
// metadata, Discord nonce) before sending again, and an outcome that comes
// back late never overwrites a newer attempt.
//
// The zero values of the tuning fields select the defaults documented on
// each field.
type Dispatcher struct {
	Store   outboxStore
	Senders map[string]bot.Sender // by platform; a message for a platform without a sender dies with a clear error
	Clock   bot.Clock
	Owner   string // this replica's name in claimed_by and its lease; default "dispatcher"
	Logger  *slog.Logger
	Metrics *DispatcherMetrics // optional

	// Pace is how fast a lane of a platform's messages may go, by platform:
	// {"slack": {Every: time.Second, Burst: 3}} sends at most 3 at once in a
	// Slack channel, then one a second. It applies to the lanes named
	// "<platform>:<channel>". A lane without a pace is held back only by
	// what the platform answers.
	Pace map[string]Rate

	BatchSize    int           // messages claimed at once, over all lanes; default 100
	LaneBatch    int           // messages of a lane without a pace claimed at once; default 25
	Concurrency  int           // lanes (or messages without a lane) sending at once; default 16
	MaxAttempts  int           // attempts before a message is dead; default 10
	BackoffMin   time.Duration // first retry delay; default 1s
	BackoffMax   time.Duration // longest retry delay; default 10m
	ReclaimAfter time.Duration // a live replica's claim older than this is taken back; default 90s, inside the few minutes Discord remembers a nonce
	ReplicaTTL   time.Duration // this replica's lease; its claims are taken back once it lapses; default 15s
	SendTimeout  time.Duration // one send's deadline; default 30s
	PollInterval time.Duration // longest idle wait between polls; default 1s
	// ClaimGap is the least time between a claim and the next one that a
	// new message wakes, so that messages enqueued in a burst (a busy
	// feedback channel) are claimed together, not with a claim each: a
	// claim costs the database as much as the intake of a message.
	// Default 10ms; negative means none.
	ClaimGap time.Duration

	// Jitter returns a number in [0, 1) to spread retries; default math/rand.
	Jitter func() float64

	mu         sync.Mutex
	lanes      map[string]*lane // what this dispatcher knows of the lanes it used lately
	leaseUntil time.Time        // this replica's lease, by Clock
	reclaimed  time.Time        // the last look for claims to take back, by Clock
	sending    int              // chunks being sent (Run)
	done       chan struct{}    // a chunk finished (Run)
}

// Rate is the pace of a lane: a token every Every, at most Burst of them
// (what a quiet lane may send at once); each message spends one.
type Rate struct {
	Every time.Duration
	Burst int
}

// lane is what a dispatcher remembers of one lane between claims.
type lane struct {
	rate   Rate      // zero: not paced
	tokens float64   // paced: messages it may send now; below 0 after a rate limit
	at     time.Time // when tokens was counted
	limit  int       // not paced: the most it claims at once, cut to what went through before a rate limit
	busy   bool      // a claim of it is being sent
	// pausedUntil: the platform said wait; nothing of it goes before.
	pausedUntil time.Time
	backlog     bool // at the last claim it had more due than it could take
}

func (l *lane) refill(now time.Time) {
	if l.rate.Every > 0 && now.After(l.at) {
		l.tokens = min(float64(l.rate.Burst), l.tokens+float64(now.Sub(l.at))/float64(l.rate.Every))
	}
	if now.After(l.at) {
		l.at = now
	}
}

// cap is how many messages of the lane a claim may take at now.
func (l *lane) cap(now time.Time) int {
	if l.busy || now.Before(l.pausedUntil) {
		return 0
	}
	if l.rate.Every <= 0 {
		return l.limit
	}
	l.refill(now)
	return max(int(math.Floor(l.tokens+1e-9)), 0)
}

// ready is when the lane may next claim something.
func (l *lane) ready(now time.Time) time.Time {
	t := now
	if l.rate.Every > 0 {
		l.refill(now)
		if l.tokens < 1 {
			t = now.Add(time.Duration((1 - l.tokens) * float64(l.rate.Every)))
		}
	}
	if l.pausedUntil.After(t) {
		t = l.pausedUntil
	}
	return t
}

// forgettable says the lane is as a lane never seen: nothing to remember.
func (l *lane) forgettable(now time.Time, laneBatch int) bool {
	if l.busy || l.backlog || now.Before(l.pausedUntil) {
		return false
	}
	if l.rate.Every > 0 {
		l.refill(now)
		return l.tokens >= float64(l.rate.Burst)
	}
	return l.limit >= laneBatch
}

func (d *Dispatcher) batchSize() int   { return orInt(d.BatchSize, 100) }
func (d *Dispatcher) laneBatch() int   { return orInt(d.LaneBatch, 25) }
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
func (d *Dispatcher) replicaTTL() time.Duration   { return orDur(d.ReplicaTTL, 15*time.Second) }

// rate returns the pace of the named lane: Pace of its platform for a
// "<platform>:<channel>" lane, none otherwise.
func (d *Dispatcher) rate(name string) Rate {
	platform, _, ok := strings.Cut(name, ":")
	if !ok {
		return Rate{}
	}
	r := d.Pace[platform]
	if r.Every <= 0 {
		return Rate{}
	}
	r.Burst = max(r.Burst, 1)
	return r
}

// laneLocked returns the named lane, new (a full bucket) if unknown. Call
// with d.mu held.
func (d *Dispatcher) laneLocked(name string, now time.Time) *lane {
	if d.lanes == nil {
		d.lanes = map[string]*lane{}
	}
	l := d.lanes[name]
	if l == nil {
		r := d.rate(name)
		l = &lane{rate: r, tokens: float64(r.Burst), at: now, limit: d.laneBatch()}
		d.lanes[name] = l
	}
	return l
}

// chunk is what one claim took of one lane, or one message without a lane.
type chunk struct {
	lane string // "" for a message without a lane
	msgs []*bot.OutboxMessage
}

// claim renews this replica's lease if due, takes back the claims of dead
// or hung dispatchers, and claims what the lanes may send now, at most
// maxLanes lanes (0: no limit). It returns the claim in chunks, oldest
// first; their lanes are busy until release.
func (d *Dispatcher) claim(ctx context.Context, maxLanes int) ([]*chunk, error) {
	now := d.Clock.Now()
	if err := d.holdLease(ctx, now); err != nil {
		return nil, err
	}
	if err := d.reclaim(ctx, now); err != nil {
		return nil, err
	}
	d.mu.Lock()
	caps := map[string]int{}
	for name, l := range d.lanes {
		if l.forgettable(now, d.laneBatch()) {
			delete(d.lanes, name)
			continue
		}
		caps[name] = l.cap(now)
	}
	d.mu.Unlock()
	fresh := map[string]int{}
	for platform := range d.Pace {
		if r := d.rate(platform + ":"); r.Every > 0 {
			fresh[platform+":"] = r.Burst
		}
	}
	laneless := d.batchSize()
	if maxLanes > 0 {
		laneless = min(laneless, maxLanes)
	}
	claimed, err := d.Store.ClaimLanes(ctx, store.OutboxClaim{
		Owner: d.owner(), Now: now, Lanes: caps, Fresh: fresh, PerLane: d.laneBatch(),
		MaxLanes: maxLanes, Laneless: laneless, Max: d.batchSize(),
	})
	if err != nil {
		return nil, err
	}
	var chunks []*chunk
	for _, m := range claimed {
		if m.Lane != "" && len(chunks) > 0 && chunks[len(chunks)-1].lane == m.Lane {
			c := chunks[len(chunks)-1]
			c.msgs = append(c.msgs, m)
			continue
		}
		chunks = append(chunks, &chunk{lane: m.Lane, msgs: []*bot.OutboxMessage{m}})
	}
	d.mu.Lock()
	// A lane that could take something and took nothing has nothing due
	// (or another replica has it); one that took all it could may have
	// more, once it may: when its next token comes.
	for name, n := range caps {
		if n > 0 {
			d.laneLocked(name, now).backlog = false
		}
	}
	for _, c := range chunks {
		if c.lane == "" {
			continue
		}
		l := d.laneLocked(c.lane, now)
		capped, known := caps[c.lane]
		if !known {
			capped = l.cap(now)
		}
		l.busy = true
		l.backlog = len(c.msgs) >= capped
		if l.rate.Every > 0 {
			l.refill(now)
			l.tokens -= float64(len(c.msgs))
		}
	}
	d.mu.Unlock()
	sort.SliceStable(chunks, func(i, j int) bool { return chunks[i].msgs[0].ID < chunks[j].msgs[0].ID })
	return chunks, nil
}

// holdLease renews this replica's lease when a third of its term has
// passed: the claims that follow stay this replica's for a whole term.
func (d *Dispatcher) holdLease(ctx context.Context, now time.Time) error {
	ttl := d.replicaTTL()
	d.mu.Lock()
	fresh := now.Add(ttl * 2 / 3).Before(d.leaseUntil)
	d.mu.Unlock()
	if fresh {
		return nil
	}
	return d.renewLease(ctx, now)
}

func (d *Dispatcher) renewLease(ctx context.Context, now time.Time) error {
	ttl := d.replicaTTL()
	ok, err := d.Store.AcquireLease(ctx, store.ReplicaLease(d.owner()), d.owner(), now, ttl)
	if err != nil {
		return fmt.Errorf("replica lease: %w", err)
	}
	if !ok {
		return fmt.Errorf("replica lease: another process holds %q: give each replica its own name", store.ReplicaLease(d.owner()))
	}
	d.mu.Lock()
	if until := now.Add(ttl); until.After(d.leaseUntil) {
		d.leaseUntil = until
	}
	d.mu.Unlock()
	return nil
}

// reclaimEvery is how often a dispatcher looks for claims to take back.
const reclaimEvery = time.Second

// reclaim runs on the first pass of every second: the query reads only
// the messages being sent, through a partial index, and a second is
// little next to a lease's term, so a dead replica's messages wait for its
// lease to lapse, a claimer's without a lease one lease term, and a hung
// one's ReclaimAfter, each a second at most more.
func (d *Dispatcher) reclaim(ctx context.Context, now time.Time) error {
	d.mu.Lock()
	due := !now.Before(d.reclaimed.Add(reclaimEvery)) || now.Before(d.reclaimed)
	d.mu.Unlock()
	if !due {
		return nil
	}
	n, err := d.Store.ReclaimOutbox(ctx, now, now.Add(-d.reclaimAfter()), now.Add(-d.replicaTTL()))
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.reclaimed = now
	d.mu.Unlock()
	if n > 0 {
		d.logger().Warn("outbox: took back messages a dispatcher claimed and did not finish (it died or hung)", "count", n)
	}
	return nil
}

// sendChunk sends a chunk's messages one after the other and returns their
// outcomes. A rate limit pauses the lane: the refused message keeps the
// retry time, and the chunk's later messages are given back unsent.
func (d *Dispatcher) sendChunk(ctx context.Context, c *chunk) []store.OutboxOutcome {
	outcomes := make([]store.OutboxOutcome, 0, len(c.msgs))
	for i, m := range c.msgs {
		out := d.send(ctx, m)
		outcomes = append(outcomes, out)
		if !out.RateLimited || c.lane == "" {
			continue
		}
		d.pause(c.lane, out.RetryAt, i)
		for _, rest := range c.msgs[i+1:] {
			outcomes = append(outcomes, store.OutboxOutcome{
				ID: rest.ID, Attempts: rest.Attempts, State: store.OutboxPending, RetryAt: out.RetryAt, Uncounted: true,
				Error: "not sent yet: its lane waits for a rate limit (" + out.Error + ")",
			})
		}
		break
	}
	return outcomes
}

// pause records a rate limit on the lane until until, after sent messages
// went through: a paced lane has its next token then, and no more; a lane
// without a pace next claims what went through this time.
func (d *Dispatcher) pause(name string, until time.Time, sent int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.laneLocked(name, d.Clock.Now())
	l.pausedUntil = until
	l.backlog = true
	if l.rate.Every > 0 {
		l.tokens, l.at = 1, until
	} else {
		l.limit = max(sent, 1)
	}
}

// release ends a chunk's claim on its lane, once its outcomes are stored.
func (d *Dispatcher) release(c *chunk, outcomes []store.OutboxOutcome) {
	if c.lane == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.laneLocked(c.lane, d.Clock.Now())
	l.busy = false
	for _, o := range outcomes {
		if o.RateLimited {
			return
		}
	}
	if l.rate.Every <= 0 {
		l.limit = min(l.limit*2, d.laneBatch()) // it went through: try more again
	}
}

// DispatchOnce reclaims stale claims, claims what every lane may send now,
// sends it and records the outcomes. It returns how many messages it
// handled; zero means nothing could be sent now. Shutting down (ctx
// cancelled) stops new claims but lets the sends in flight finish, up to
// SendTimeout. The lanes are sent at the same time, Concurrency at most,
// each started in the order of its oldest message (one at a time, they go
// in that order: the console's transcript is deterministic).
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	chunks, err := d.claim(ctx, 0)
	if err != nil || len(chunks) == 0 {
		return 0, err
	}
	// From here on the messages are ours: finish them even if shutdown began.
	ctx = context.WithoutCancel(ctx)
	results := make([][]store.OutboxOutcome, len(chunks))
	sem := make(chan struct{}, d.concurrency())
	var wg sync.WaitGroup
	n := 0
	for i, c := range chunks {
		n += len(c.msgs)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = d.sendChunk(ctx, c)
		}()
	}
	wg.Wait()
	var outcomes []store.OutboxOutcome
	for _, r := range results {
		outcomes = append(outcomes, r...)
	}
	err = d.Store.FinishOutbox(ctx, d.Clock.Now(), outcomes)
	for i, c := range chunks {
		d.release(c, results[i])
	}
	if err != nil {
		// The claims stay in sending and are reclaimed later: at least once.
		return n, fmt.Errorf("record outbox outcomes: %w", err)
	}
	return n, nil
}

// send performs one message and decides what becomes of it.
func (d *Dispatcher) send(ctx context.Context, m *bot.OutboxMessage) store.OutboxOutcome {
	out := store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts}
	s, ok := d.Senders[m.Platform]
	if !ok {
		out.State, out.Error = store.OutboxDead, fmt.Sprintf("%s is not connected: set its tokens and restart Liaison, then retry", m.Platform)
		d.count(m, "dead")
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
		d.count(m, "sent")
	case errors.As(err, &rl):
		// Exactly the platform's wait, never less; not a failed attempt.
		out.State, out.RetryAt, out.Uncounted, out.RateLimited, out.Error = store.OutboxPending, now.Add(rl.RetryAfter), true, true, err.Error()
		d.count(m, "rate_limited")
		d.logger().Info("outbox: rate limited, pausing the lane", "key", m.Key, "lane", m.Lane, "retry_at", out.RetryAt)
	case bot.IsPermanent(err) || m.Attempts >= d.maxAttempts():
		out.State, out.Error = store.OutboxDead, err.Error()
		d.count(m, "dead")
		d.logger().Error("outbox: message is dead", "key", m.Key, "attempts", m.Attempts, "err", err)
	default:
		out.State, out.RetryAt, out.Error = store.OutboxPending, now.Add(d.Backoff(m.Attempts)), err.Error()
		d.count(m, "retry")
		d.logger().Warn("outbox: send failed, will retry", "key", m.Key, "attempt", m.Attempts, "retry_at", out.RetryAt, "err", err)
	}
	return out
}

func (d *Dispatcher) count(m *bot.OutboxMessage, outcome string) {
	if d.Metrics != nil {
		d.Metrics.Sends.WithLabelValues(m.Platform, m.Lane, outcome).Inc()
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

// Run dispatches until ctx is cancelled. Each lane goes at its own pace:
// a lane's claim is sent, and its outcomes recorded, while the other lanes
// are claimed and sent, so a slow send holds up only its own lane. Run
// claims again when a lane finishes, a message is enqueued, a lane's
// next token or pause is due, or after PollInterval; it renews the replica
// lease every third of ReplicaTTL meanwhile. Errors are logged and
// retried. Run returns nil on shutdown, once the sends in flight have
// finished and the lease is given up.
func (d *Dispatcher) Run(ctx context.Context) error {
	poll := orDur(d.PollInterval, time.Second)
	gap := d.ClaimGap
	if gap == 0 {
		gap = 10 * time.Millisecond
	}
	var claimed time.Time // when Run last claimed, by the wall clock
	d.mu.Lock()
	d.done = make(chan struct{}, 1)
	d.mu.Unlock()
	var inflight sync.WaitGroup
	// The lease outlives ctx until the sends in flight are done: peers
	// must not take back what this replica is still sending.
	leaseCtx, endLease := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		d.keepLease(leaseCtx)
	}()
	for ctx.Err() == nil {
		d.mu.Lock()
		free := d.concurrency() - d.sending
		d.mu.Unlock()
		full := false
		if free > 0 {
			claimed = time.Now()
			chunks, err := d.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				d.logger().Error("outbox dispatch", "err", err)
			}
			n := 0
			for _, c := range chunks {
				n += len(c.msgs)
				d.mu.Lock()
				d.sending++
				d.mu.Unlock()
				inflight.Add(1)
				go func() {
					defer inflight.Done()
					d.runChunk(context.WithoutCancel(ctx), c)
				}()
			}
			full = n >= d.batchSize() || len(chunks) >= free
		}
		if full {
			continue
		}
		d.wait(ctx, d.idle(ctx, poll), gap-time.Since(claimed))
	}
	inflight.Wait()
	endLease()
	<-renewed
	if err := d.Store.ReleaseLease(context.WithoutCancel(ctx), store.ReplicaLease(d.owner()), d.owner()); err != nil {
		d.logger().Warn("outbox: give the replica lease up", "err", err)
	}
	return nil
}

// wait returns when Run should claim again: after idle, when a sending
// lane is done, or when messages were enqueued that a lane may take now
// (then at least gap after the last claim, to let the rest of the burst
// come). Messages enqueued into lanes that cannot send yet (paced, paused,
// or busy sending) wake nothing but, if sooner, the timer for their lane:
// a busy channel's relays would otherwise cost a claim each that claims
// nothing.
func (d *Dispatcher) wait(ctx context.Context, idle, gap time.Duration) {
	t := time.NewTimer(idle)
	defer t.Stop()
	deadline := time.Now().Add(idle)
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.done:
			return
		case <-t.C:
			return
		case <-d.Store.Enqueued():
			ready, at := d.mayTake(d.Store.EnqueuedLanes())
			if !ready {
				if wake := time.Now().Add(at); wake.Before(deadline) {
					deadline = wake
					t.Reset(at)
				}
				continue
			}
			if gap > 0 {
				t.Reset(gap)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
			}
			return
		}
	}
}

// mayTake says whether a claim now could take some of the messages just
// enqueued into lanes (all of them when any): yes for a lane this
// dispatcher does not know or that may send now. Otherwise it returns how
// long until the first of those lanes may send, and marks them as having
// a backlog, so that the idle time of the next wait counts them; a lane
// busy sending is claimed again when its chunk is done.
func (d *Dispatcher) mayTake(lanes []string, any bool) (bool, time.Duration) {
	if any {
		return true, 0
	}
	now := d.Clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	var soonest time.Duration = -1
	for _, name := range lanes {
		l, known := d.lanes[name]
		if name == "" || !known {
			return true, 0
		}
		if l.busy {
			continue
		}
		if l.cap(now) > 0 {
			return true, 0
		}
		l.backlog = true
		if at := l.ready(now).Sub(now); soonest < 0 || at < soonest {
			soonest = at
		}
	}
	if soonest < 0 {
		return false, time.Hour // only busy lanes: their chunks' end wakes Run
	}
	return false, soonest
}

// runChunk sends a chunk and records its outcomes (Run).
func (d *Dispatcher) runChunk(ctx context.Context, c *chunk) {
	outcomes := d.sendChunk(ctx, c)
	if err := d.Store.FinishOutbox(ctx, d.Clock.Now(), outcomes); err != nil {
		// The claims stay in sending and are reclaimed later: at least once.
		d.logger().Error("outbox: record outcomes", "lane", c.lane, "err", err)
	}
	d.release(c, outcomes)
	d.mu.Lock()
	d.sending--
	d.mu.Unlock()
	select {
	case d.done <- struct{}{}:
	default:
	}
}

// idle returns how long Run may wait before claiming again: until the
// first lane with a backlog may send, or the next message becomes due,
// poll at most.
func (d *Dispatcher) idle(ctx context.Context, poll time.Duration) time.Duration {
	now := d.Clock.Now()
	next := now.Add(poll)
	d.mu.Lock()
	for _, l := range d.lanes {
		// A lane that may send now and was not claimed is another
		// replica's, or waits for a free sending slot: a finished chunk
		// or the poll brings it back.
		if l.backlog && !l.busy {
			if t := l.ready(now); t.After(now) && t.Before(next) {
				next = t
			}
		}
	}
	d.mu.Unlock()
	// A message due already may be one a lane cannot take yet; the lanes
	// said when they can.
	if due, ok, err := d.Store.NextOutboxDue(ctx); err == nil && ok && due.After(now) && due.Before(next) {
		next = due
	}
	return max(next.Sub(now), 0)
}

// keepLease renews the replica lease every third of its term until ctx
// ends (Run), whatever the claims are doing.
func (d *Dispatcher) keepLease(ctx context.Context) {
	t := time.NewTicker(d.replicaTTL() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.renewLease(ctx, d.Clock.Now()); err != nil && ctx.Err() == nil {
			d.logger().Error("outbox: renew the replica lease", "err", err)
		}
	}
}

// Release gives this replica's lease up, for a dispatcher driven by
// DispatchOnce that is done (Run does it itself): its name is free again
// at once.
func (d *Dispatcher) Release(ctx context.Context) error {
	return d.Store.ReleaseLease(ctx, store.ReplicaLease(d.owner()), d.owner())
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
