package store

import (
	"context"
	"sync"
)

// batcher runs the requests that come together in batches, one statement
// each: the caller that finds a slot free runs what waits, its own request
// with it, and returns; whatever came meanwhile is run by a goroutine
// holding the slot until nothing waits. FirstSeen's writes and
// FirstOpenLike's reads go through one each.
type batcher[R any] struct {
	mu      sync.Mutex
	waiting []*R
	running int // batches under way: slots taken
}

// add queues r and, when fewer than slots batches are under way, runs the
// next batch (of at most max requests, r among them) with run, then leaves
// what came meanwhile to a goroutine. run answers each request of its
// batch; the caller waits for its own answer.
func (b *batcher[R]) add(ctx context.Context, r *R, slots, max int, run func(context.Context, []*R)) {
	b.mu.Lock()
	b.waiting = append(b.waiting, r)
	if b.running < slots {
		b.running++
		batch := b.take(max)
		b.mu.Unlock()
		run(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
		if len(b.waiting) > 0 {
			go b.drain(ctx, max, run) // the slot goes with it: this caller has its answer
		} else {
			b.running--
		}
	}
	b.mu.Unlock()
}

// drain runs what waits until nothing does, then gives its slot up.
func (b *batcher[R]) drain(ctx context.Context, max int, run func(context.Context, []*R)) {
	b.mu.Lock()
	for len(b.waiting) > 0 {
		batch := b.take(max)
		b.mu.Unlock()
		run(context.WithoutCancel(ctx), batch)
		b.mu.Lock()
	}
	b.running--
	b.mu.Unlock()
}

// take removes the next batch, at most max requests, from waiting; b.mu is
// held.
func (b *batcher[R]) take(max int) []*R {
	batch := b.waiting[:min(len(b.waiting), max)]
	b.waiting = b.waiting[len(batch):]
	return batch
}
