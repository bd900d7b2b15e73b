package slackfake

import (
	"math"
	"strconv"
	"time"
)

type injection struct {
	errCode    string        // answer {"ok":false,"error":errCode}
	status     int           // or answer this HTTP status
	retryAfter time.Duration // or answer 429 with this Retry-After
	rateLimit  bool
}

// FailNext makes the next call to method answer {"ok":false,"error":errCode}
// with HTTP 200, as Slack reports API errors. slack-go returns it as a
// slack.SlackErrorResponse whose Err is errCode. Injections for one method
// queue up and are used one per call, before authentication and rate limits.
func (s *Server) FailNext(method, errCode string) {
	s.inject(method, injection{errCode: errCode})
}

// StatusNext makes the next call to method answer the HTTP status with an
// HTML body, as Slack's front end does on a 5xx. slack-go returns a
// slack.StatusCodeError. (A 429 sent this way has no Retry-After, so it is a
// StatusCodeError too; use RateLimitNext for Slack's rate limiting.)
func (s *Server) StatusNext(method string, status int) {
	s.inject(method, injection{status: status})
}

// RateLimitNext makes the next call to method answer HTTP 429 with
// "Retry-After: <seconds>" (retryAfter rounded up to whole seconds, as Slack
// only sends whole seconds) and {"ok":false,"error":"ratelimited"}. slack-go
// returns a *slack.RateLimitedError whose RetryAfter is those seconds.
func (s *Server) RateLimitNext(method string, retryAfter time.Duration) {
	s.inject(method, injection{rateLimit: true, retryAfter: retryAfter})
}

func (s *Server) inject(method string, in injection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected[method] = append(s.injected[method], in)
}

// takeInjection pops the next injected failure for method. Call with s.mu held.
func (s *Server) takeInjection(method string) (injection, bool) {
	q := s.injected[method]
	if len(q) == 0 {
		return injection{}, false
	}
	s.injected[method] = q[1:]
	return q[0], true
}

// EnforceRate limits method as Slack limits chat.postMessage: a token bucket
// per channel (the channel or channel_id parameter; calls naming no channel
// share one bucket) holding burst calls and refilled with one call every
// interval, on the fake's clock. A call over the limit answers HTTP 429 with
// Retry-After set to the whole seconds until a call would be allowed, and
// changes nothing. EnforceRate("chat.postMessage", time.Second, 3) allows 3
// posts at once in a channel, then one per second. interval <= 0 removes the
// limit.
func (s *Server) EnforceRate(method string, interval time.Duration, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if interval <= 0 {
		delete(s.rates, method)
		return
	}
	s.rates[method] = &rateRule{interval: interval, burst: max(burst, 1), buckets: map[string]*bucket{}}
}

type rateRule struct {
	interval time.Duration
	burst    int
	buckets  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// take spends a token from key's bucket at now, or reports how long until one
// is available.
func (r *rateRule) take(key string, now time.Time) (wait time.Duration, ok bool) {
	b := r.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(r.burst), last: now}
		r.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(float64(r.burst), b.tokens+float64(elapsed)/float64(r.interval))
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) * float64(r.interval)), false
}

// retryAfterHeader renders d as Slack's Retry-After: whole seconds, rounded up.
func retryAfterHeader(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}
