package discordbot

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// A channel-wide task runs after every earlier task of its channel, on
// whichever worker, and the channel's later tasks wait for it; other
// channels do not.
func TestAChannelWideTaskWaitsForEarlierWorkAndHoldsLaterWork(t *testing.T) {
	t.Parallel()
	q := newQueue(4, slog.New(slog.DiscardHandler))
	defer q.close(time.Second)
	var mu sync.Mutex
	var log []string
	note := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	release := make(chan struct{})
	q.pushFor("c1", "alice", func(context.Context) { <-release; note("alice") })
	q.pushFor("c1", "bob", func(context.Context) { note("bob") })
	q.pushWide("c1", func(context.Context) { note("wide") })
	later := make(chan struct{})
	q.pushFor("c1", "carol", func(context.Context) { note("carol"); close(later) })
	other := make(chan struct{})
	q.pushFor("c2", "dave", func(context.Context) { note("dave"); close(other) })
	select {
	case <-other:
	case <-time.After(5 * time.Second):
		t.Fatal("another channel's task waited for c1's")
	}
	select {
	case <-later:
		t.Fatal("carol's task ran before the channel-wide task, itself waiting for alice's")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-later:
	case <-time.After(5 * time.Second):
		t.Fatal("carol's task never ran")
	}
	mu.Lock()
	defer mu.Unlock()
	pos := map[string]int{}
	for i, s := range log {
		pos[s] = i
	}
	if !(pos["alice"] < pos["wide"] && pos["bob"] < pos["wide"] && pos["wide"] < pos["carol"]) {
		t.Errorf("ran in the order %v; want alice and bob, then the channel-wide task, then carol", log)
	}
}
