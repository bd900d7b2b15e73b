package discordbot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// queue runs tasks in lanes, a lane per key, at most a fixed number of
// tasks at a time. Tasks pushed with the same key — a channel and an
// author — run one after another, in push order: that is how one author's
// messages, and each message's create, edits and delete, reach the handler
// in the order the gateway sent them, while a busy channel's authors run
// side by side. Order matters per author (automod's flood and repeat
// rules), per message and per item, not per channel.
//
// Keys share nothing but the running slots: an author whose task waits
// (for the database's group commit, say) holds back no other author while
// a slot is free. Keys used to be hashed onto a fixed set of workers, each
// a FIFO: two authors on one worker then waited for each other, and with
// 50 members taking turns in one channel a third of the workers stood idle
// while others had a queue (BenchmarkDiscordIntake).
//
// Some tasks concern the whole channel (a catch-up read, a delete whose
// author is unknown, a thread closing): pushWide runs one after every task
// of the channel pushed before it has finished, and the channel's tasks
// pushed after it wait until it has. A task waits for those before it
// without a running slot, and only ever for tasks pushed before it, so the
// oldest task can always take a slot and run: there is no deadlock.
//
// When the queue holds its limit of tasks, push waits, which holds the
// gateway reader back rather than buffering without bound.
type queue struct {
	log    *slog.Logger
	ctx    context.Context // tasks' parent; cancelled when draining takes too long
	cancel context.CancelFunc
	wg     sync.WaitGroup // the lanes' goroutines

	running chan struct{} // a token per task running
	room    chan struct{} // a token per task queued or running

	mu     sync.RWMutex // held for reading while pushing; for writing to close
	closed bool

	chMu     sync.Mutex
	seq      uint64
	channels map[string]*channelWork // channels with tasks not yet done
	lanes    map[string]*lane        // keys with tasks not yet done
}

// channelWork is a channel's tasks queued or running.
type channelWork struct {
	inflight map[uint64]chan struct{} // closed when done
	wide     chan struct{}            // the last channel-wide task's, until done
}

// lane is one key's tasks not yet started, in push order; a goroutine runs
// them while there are any.
type lane struct {
	tasks []func()
}

// newQueue returns a queue that runs at most workers tasks at once and
// holds at most workers × queueDepth.
func newQueue(workers int, log *slog.Logger) *queue {
	q := &queue{
		log:      log,
		running:  make(chan struct{}, workers),
		room:     make(chan struct{}, workers*queueDepth),
		channels: map[string]*channelWork{},
		lanes:    map[string]*lane{},
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	return q
}

// run runs one task, recovering a panic so the lane lives on.
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
	q.room <- struct{}{} // given back when the task is done
	key := channel
	if !wide && author != "" {
		key += "\x00" + author
	}
	// What this task waits for, and its own completion for those after it.
	q.chMu.Lock()
	defer q.chMu.Unlock()
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
	run := func() {
		defer func() { <-q.room }()
		defer q.finish(channel, seq, done)
		for _, c := range after {
			select {
			case <-c:
			case <-q.ctx.Done():
			}
		}
		q.running <- struct{}{}
		defer func() { <-q.running }()
		q.run(task)
	}
	l := q.lanes[key]
	if l == nil {
		l = &lane{}
		q.lanes[key] = l
		q.wg.Add(1)
		go q.drain(key, l)
	}
	l.tasks = append(l.tasks, run)
	return true
}

// drain runs l's tasks in order until it has none, then forgets it.
func (q *queue) drain(key string, l *lane) {
	defer q.wg.Done()
	for {
		q.chMu.Lock()
		if len(l.tasks) == 0 {
			delete(q.lanes, key)
			q.chMu.Unlock()
			return
		}
		next := l.tasks[0]
		l.tasks[0] = nil
		l.tasks = l.tasks[1:]
		q.chMu.Unlock()
		next()
	}
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
// then cancels the rest's context and waits for them.
func (q *queue) close(grace time.Duration) {
	if q == nil {
		return
	}
	q.mu.Lock()
	q.closed = true // no push is under way, and none will add a lane
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
