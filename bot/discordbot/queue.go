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
// Tasks pushed with the same key — a channel and an author — run on the
// same worker, one after another, in push order: that is how one author's
// messages, and each message's create, edits and delete, reach the handler
// in the order the gateway sent them, while a busy channel's authors spread
// over every worker. Order matters per author (automod's flood and repeat
// rules), per message and per item, not per channel.
//
// Some tasks concern the whole channel (a catch-up read, a delete whose
// author is unknown, a thread closing): pushWide runs one after every task
// of the channel pushed before it has finished, and the channel's tasks
// pushed after it wait until it has. A task only ever waits for tasks
// pushed before it, and each worker runs in push order, so the oldest task
// can always run: there is no deadlock.
//
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

	chMu     sync.Mutex
	seq      uint64
	channels map[string]*channelWork // channels with tasks not yet done
}

// channelWork is a channel's tasks queued or running.
type channelWork struct {
	inflight map[uint64]chan struct{} // closed when done
	wide     chan struct{}            // the last channel-wide task's, until done
}

func newQueue(workers int, log *slog.Logger) *queue {
	q := &queue{log: log, fifos: make([]chan func(context.Context), workers), channels: map[string]*channelWork{}}
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

// push queues task behind every task pushed earlier with the same key
// (and after the key's channel-wide tasks: a key is a channel). It reports
// false, dropping the task, once the queue is closed.
func (q *queue) push(key string, task func(context.Context)) bool {
	return q.pushFor(key, "", task)
}

// pushFor queues task behind the tasks pushed earlier for the same channel
// and author, and after the channel's channel-wide tasks pushed before it.
func (q *queue) pushFor(channel, author string, task func(context.Context)) bool {
	return q.pushTask(channel, author, false, task)
}

// pushWide queues task after every task of channel pushed before it, and
// before those pushed after it.
func (q *queue) pushWide(channel string, task func(context.Context)) bool {
	return q.pushTask(channel, "", true, task)
}

func (q *queue) pushTask(channel, author string, wide bool, task func(context.Context)) bool {
	if q == nil {
		return false
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	// What this task waits for, and its own completion for those after it.
	q.chMu.Lock()
	q.seq++
	seq, done := q.seq, make(chan struct{})
	w := q.channels[channel]
	if w == nil {
		w = &channelWork{inflight: map[uint64]chan struct{}{}}
		q.channels[channel] = w
	}
	var after []chan struct{}
	if wide {
		for _, c := range w.inflight {
			after = append(after, c)
		}
		w.wide = done
	} else if w.wide != nil {
		after = []chan struct{}{w.wide}
	}
	w.inflight[seq] = done
	q.chMu.Unlock()
	run := func(ctx context.Context) {
		defer q.finish(channel, seq, done)
		for _, c := range after {
			select {
			case <-c:
			case <-ctx.Done():
			}
		}
		task(ctx)
	}
	key := channel
	if !wide && author != "" {
		key += "\x00" + author
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	q.fifos[h.Sum32()%uint32(len(q.fifos))] <- run
	return true
}

// finish records that task seq of channel is done.
func (q *queue) finish(channel string, seq uint64, done chan struct{}) {
	q.chMu.Lock()
	defer q.chMu.Unlock()
	close(done)
	w := q.channels[channel]
	delete(w.inflight, seq)
	if w.wide == done {
		w.wide = nil
	}
	if len(w.inflight) == 0 {
		delete(q.channels, channel)
	}
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
