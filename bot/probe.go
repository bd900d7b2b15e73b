package bot

import (
	"strings"
	"sync"
)

// Probes lets a round trip see its own marked test message come back
// through an adapter's real event path: the round trip Expects a marker
// before it posts, the adapter calls Seen with the text of every message
// event it receives (its own included, before it ignores them), and the
// round trip's channel gets the message's id. The zero value is ready; it
// is safe for concurrent use.
type Probes struct {
	mu      sync.Mutex
	waiting map[string]chan string
}

// Expect returns a channel that receives the id of the first message
// whose text contains marker, and a function that stops waiting.
func (p *Probes) Expect(marker string) (<-chan string, func()) {
	ch := make(chan string, 1)
	p.mu.Lock()
	if p.waiting == nil {
		p.waiting = map[string]chan string{}
	}
	p.waiting[marker] = ch
	p.mu.Unlock()
	return ch, func() {
		p.mu.Lock()
		delete(p.waiting, marker)
		p.mu.Unlock()
	}
}

// Seen reports a message event: text and the message's id.
func (p *Probes) Seen(text, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for marker, ch := range p.waiting {
		if strings.Contains(text, marker) {
			select {
			case ch <- id:
			default:
			}
		}
	}
}
