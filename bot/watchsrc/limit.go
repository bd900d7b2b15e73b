package watchsrc

import (
	"fmt"
	"time"
)

// Rate is a request budget: at most N requests per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// String reads like the table: "10/1m0s".
func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.Per) }

// valid reports whether r allows anything at all.
func (r Rate) valid() bool { return r.N > 0 && r.Per > 0 }

// interval is the time one request costs.
func (r Rate) interval() time.Duration { return r.Per / time.Duration(r.N) }

// lower returns the slower of r and o (configuration may only lower a
// source's rate, never raise it above what the source allows); an invalid o
// keeps r.
func (r Rate) lower(o Rate) Rate {
	if !o.valid() || !r.valid() {
		return r
	}
	if o.interval() > r.interval() {
		return o
	}
	return r
}

// bucket is a token bucket driven by the times it is given, so a fake clock
// drives it in tests and the console.
type bucket struct {
	rate   Rate
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(r Rate) *bucket {
	// A burst of up to ten requests lets one poll's pages go out together;
	// a slow budget (Stack Exchange's 300 a day) still starts with a few.
	burst := float64(min(max(r.N, 1), 10))
	return &bucket{rate: r, burst: burst, tokens: burst}
}

// take spends one token at now, or says how long until one is available.
func (b *bucket) take(now time.Time) (ok bool, wait time.Duration) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens += float64(now.Sub(b.last)) / float64(b.rate.interval())
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(b.rate.interval()))
}
