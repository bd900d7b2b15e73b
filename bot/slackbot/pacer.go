package slackbot

import (
	"context"
	"sync"
	"time"
)

// pacer spaces posts per channel. Slack allows about one message per second
// per channel, with short bursts; pacing below that turns a batch of relays
// into a steady stream instead of a storm of 429s.
//
// Each channel is a lane: one post in flight at a time, started only when
// the lane's token bucket (burst tokens, one more every interval) has a
// token. Serialising matters as much as the bucket: with several posts in
// flight, a stall (a slow network, a paused process) would release them
// together and Slack would see a burst; in a lane a stall delays one post,
// and the next starts at least a token's worth later. It runs on real time:
// only a real wait keeps Slack happy.
type pacer struct {
	interval time.Duration
	burst    float64

	mu    sync.Mutex
	lanes map[string]*lane
}

type lane struct {
	turn   chan struct{} // held while a post is in flight
	queued int           // posts holding or waiting for the turn; guarded by pacer.mu
	tokens float64       // guarded by holding turn
	last   time.Time
}

func newPacer(interval time.Duration, burst int) *pacer {
	return &pacer{interval: interval, burst: float64(max(burst, 1)), lanes: map[string]*lane{}}
}

// tooLong means the wait for a turn would outlast the caller's deadline.
type tooLong struct{ wait time.Duration }

func (e *tooLong) Error() string { return "channel busy: next turn in about " + e.wait.String() }

// acquire waits for channel's next turn and returns the function that ends
// it, to call once the post is done. When the turn would likely come after
// ctx's deadline it returns a *tooLong at once, so the caller can reschedule
// instead of timing out.
func (p *pacer) acquire(ctx context.Context, channel string) (release func(), err error) {
	p.mu.Lock()
	l := p.lanes[channel]
	if l == nil {
		if len(p.lanes) > 10000 {
			p.prune()
		}
		l = &lane{turn: make(chan struct{}, 1), tokens: p.burst}
		p.lanes[channel] = l
	}
	if deadline, ok := ctx.Deadline(); ok && l.queued > 0 {
		if wait := time.Duration(l.queued) * p.interval; time.Now().Add(wait).After(deadline) {
			p.mu.Unlock()
			return nil, &tooLong{wait: wait}
		}
	}
	l.queued++
	p.mu.Unlock()
	leave := func() {
		p.mu.Lock()
		l.queued--
		p.mu.Unlock()
	}

	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	release = func() {
		<-l.turn
		leave()
	}
	now := time.Now()
	if !l.last.IsZero() {
		l.tokens = min(p.burst, l.tokens+float64(now.Sub(l.last))/float64(p.interval))
	}
	l.last = now
	if l.tokens < 1 {
		t := time.NewTimer(time.Duration((1 - l.tokens) * float64(p.interval)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			release()
			return nil, ctx.Err()
		}
		now = time.Now()
		l.tokens = min(p.burst, l.tokens+float64(now.Sub(l.last))/float64(p.interval))
		l.last = now
	}
	l.tokens--
	return release, nil
}

// prune forgets idle lanes. Call with p.mu held.
func (p *pacer) prune() {
	for k, l := range p.lanes {
		if l.queued == 0 {
			delete(p.lanes, k)
		}
	}
}
