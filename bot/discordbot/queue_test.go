package discordbot

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
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

// An author whose task is stuck holds back no other author while a
// running slot is free: each has a lane of its own. (Hashed onto a fixed
// set of workers, some of these authors shared the stuck one's worker and
// waited for it.)
func TestAStuckAuthorHoldsNoOtherAuthorBack(t *testing.T) {
	t.Parallel()
	q := newQueue(2, slog.New(slog.DiscardHandler))
	release := make(chan struct{})
	defer q.close(time.Second)
	defer close(release)
	q.pushFor("c1", "alice", func(context.Context) { <-release })
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		q.pushFor("c1", "author"+strconv.Itoa(i), func(context.Context) { wg.Done() })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("other authors' tasks waited for alice's")
	}
}

// Each author's tasks run in push order, however many authors share the
// channel and the slots; no more than the slots run at once.
func TestEachAuthorsTasksRunInOrderAndSlotsBoundWhatRuns(t *testing.T) {
	t.Parallel()
	const slots, authors, each = 3, 10, 100
	q := newQueue(slots, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	got := map[string][]int{}
	var running, most atomic.Int32
	for i := range each {
		for a := range authors {
			author := "author" + strconv.Itoa(a)
			q.pushFor("c1", author, func(context.Context) {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(10 * time.Microsecond)
				mu.Lock()
				got[author] = append(got[author], i)
				mu.Unlock()
				running.Add(-1)
			})
		}
	}
	q.close(10 * time.Second)
	for a := range authors {
		author := "author" + strconv.Itoa(a)
		if len(got[author]) != each {
			t.Fatalf("%s: %d tasks ran, want %d", author, len(got[author]), each)
		}
		for i, v := range got[author] {
			if v != i {
				t.Fatalf("%s's tasks ran in the order %v", author, got[author])
			}
		}
	}
	if m := most.Load(); m > slots {
		t.Errorf("%d tasks ran at once; the queue has %d slots", m, slots)
	}
}
