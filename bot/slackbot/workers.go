package slackbot

import "time"

// workers runs the handler calls on goroutines kept from one call to the
// next. A goroutine started for each call began with a small stack and
// grew it, copying it each time, on the handler's first deep call: a
// tenth of the /liaison help server's CPU. A kept goroutine has grown it
// already (until the garbage collector shrinks it while it waits).
type workers struct {
	tasks chan func()   // unbuffered: a send succeeds only when a worker waits
	idle  time.Duration // how long a worker waits for a call before it ends
	done  <-chan struct{}
}

func newWorkers(idle time.Duration, done <-chan struct{}) *workers {
	return &workers{tasks: make(chan func()), idle: idle, done: done}
}

// run runs task on a waiting worker, or on a new one when none waits: the
// caller bounds how many run at once.
func (w *workers) run(task func()) {
	select {
	case w.tasks <- task:
	default:
		go w.loop(task)
	}
}

// loop runs task, then those sent to it, and ends once a whole tick of
// idle has passed without one (between idle and twice idle after its last
// task), or when done is closed. The ticker is not reset for each task:
// one timer operation fewer for each request.
func (w *workers) loop(task func()) {
	t := time.NewTicker(w.idle)
	defer t.Stop()
	ran := false // a task ran since the last tick
	for {
		if task != nil {
			task()
			ran = true
		}
		select {
		case task = <-w.tasks:
		case <-t.C:
			if !ran {
				return
			}
			ran, task = false, nil
		case <-w.done:
			return
		}
	}
}
