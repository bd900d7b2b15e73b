package discordbot

import (
	"context"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// queue runs tasks on a fixed set of workers, each with a bounded FIFO.
// Tasks pushed with the same key run on the same worker, one after another,
// in push order: that is how events of one channel reach the handler in the
// order the gateway sent them, while channels do not wait for each other.
// A full FIFO makes push wait, which holds the gateway reader back rather
// than buffering without bound.
type queue struct {
	log    *slog.Logger
	ctx    context.Context // tasks' parent; cancelled when draining takes too long
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.RWMutex // held for reading while pushing; for writing to close
	closed bool
	fifos  []chan func(context.Context)
}

func newQueue(workers int, log *slog.Logger) *queue {
	q := &queue{log: log, fifos: make([]chan func(context.Context), workers)}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	for i := range q.fifos {
		ch := make(chan func(context.Context), queueDepth)
		q.fifos[i] = ch
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for task := range ch {
				q.run(task)
			}
		}()
	}
	return q
}

// run runs one task, recovering a panic so the worker lives on.
func (q *queue) run(task func(context.Context)) {
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("discord: panic recovered", "in", "event", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	task(q.ctx)
}

// push queues task behind every task pushed earlier with the same key. It
// reports false, dropping the task, once the queue is closed.
func (q *queue) push(key string, task func(context.Context)) bool {
	if q == nil {
		return false
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	q.fifos[h.Sum32()%uint32(len(q.fifos))] <- task
	return true
}

// close stops accepting tasks, lets the queued ones run for up to grace,
// then cancels the rest's context and waits for the workers.
func (q *queue) close(grace time.Duration) {
	if q == nil {
		return
	}
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		for _, ch := range q.fifos {
			close(ch)
		}
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		q.log.Warn("discord: events still queued at shutdown are being cancelled")
		q.cancel()
		<-done
	}
	q.cancel()
}
