package slackbot

import (
	"bytes"
	"runtime"
	"testing"
	"time"
)

// goroutineID is the number runtime.Stack gives the calling goroutine.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	return string(bytes.Fields(buf)[1])
}

// Calls one after another run on a kept goroutine, not one each; the kept
// ones end when the adapter closes, or once idle long enough.
func TestHandlerCallsReuseWaitingGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	w := newWorkers(time.Minute, done)
	ran := make(chan string)
	ids := map[string]bool{}
	for range 100 {
		w.run(func() { ran <- goroutineID() })
		ids[<-ran] = true
		time.Sleep(time.Millisecond) // the worker gets back to waiting
	}
	// A call made before its worker was back waiting starts another.
	if len(ids) > 10 {
		t.Errorf("100 calls one after another ran on %d goroutines, want a few", len(ids))
	}
	close(done)
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })

	short := newWorkers(10*time.Millisecond, make(chan struct{}))
	short.run(func() { ran <- "" })
	<-ran
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still %d goroutines after 5s", runtime.NumGoroutine())
		}
	}
}
