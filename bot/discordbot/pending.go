package discordbot

import "container/heap"

// queuedIDs is the set of a channel's messages queued for the handler,
// which knows its oldest in O(log n): a busy channel has thousands queued,
// and every message handled asks for the oldest (the cursor stays before
// it). Removal is lazy: an id leaves the heap when it reaches the top.
type queuedIDs struct {
	in   map[string]bool
	heap snowflakeHeap
}

func (q *queuedIDs) add(id string) {
	if q.in == nil {
		q.in = map[string]bool{}
	}
	if !q.in[id] {
		q.in[id] = true
		heap.Push(&q.heap, id)
	}
}

func (q *queuedIDs) remove(id string) { delete(q.in, id) }

// oldest is the oldest id queued, "" when none is.
func (q *queuedIDs) oldest() string {
	for q.heap.Len() > 0 {
		if top := q.heap[0]; q.in[top] {
			return top
		}
		heap.Pop(&q.heap)
	}
	return ""
}

// snowflakeHeap is a min-heap of message ids, oldest first.
type snowflakeHeap []string

func (h snowflakeHeap) Len() int           { return len(h) }
func (h snowflakeHeap) Less(i, j int) bool { return snowflakeLess(h[i], h[j]) }
func (h snowflakeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *snowflakeHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *snowflakeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
