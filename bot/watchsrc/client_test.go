package watchsrc

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// logs captures what a component logs, for tests that assert a line was
// written (once).
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func newTestClient(t *testing.T, clock bot.Clock, lg *logs) *Client {
	t.Helper()
	if lg == nil {
		lg = &logs{}
	}
	return NewClient(nil, "Liaison-test (+https://acme.example/bot)", clock, lg.logger(), Rate{N: 100, Per: time.Minute})
}

func TestClientSendsItsUserAgentAndConditionalHeaders(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 23 Nov 2026 10:00:00 GMT")
		w.Write([]byte("hello"))
	}))
	defer srv.Close()
	c := newTestClient(t, bot.NewManualClock(t0), nil)
	ctx := context.Background()
	r, err := c.Do(ctx, Request{URL: srv.URL + "/feed"})
	if err != nil {
		t.Fatal(err)
	}
	if ua := got.Get("User-Agent"); ua != "Liaison-test (+https://acme.example/bot)" {
		t.Errorf("User-Agent = %q, want the configured one", ua)
	}
	if string(r.Body) != "hello" || r.ETag != `"v1"` || r.LastModified == "" {
		t.Fatalf("first answer = %q etag %q lm %q", r.Body, r.ETag, r.LastModified)
	}
	r2, err := c.Do(ctx, Request{URL: srv.URL + "/feed", ETag: r.ETag, LastModified: r.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !r2.NotModified || r2.ETag != `"v1"` || r2.LastModified != r.LastModified {
		t.Errorf("second answer = %+v, want 304 keeping the validators", r2)
	}
	if got.Get("If-Modified-Since") != "Mon, 23 Nov 2026 10:00:00 GMT" {
		t.Errorf("If-Modified-Since = %q", got.Get("If-Modified-Since"))
	}
}

func TestClientRefusesURLsWithCredentials(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, bot.NewManualClock(t0), nil)
	_, err := c.Do(context.Background(), Request{URL: "https://bob:hunter2@feeds.example.com/rss"})
	if !errors.Is(err, ErrCredentialsInURL) {
		t.Fatalf("Do(URL with credentials) = %v, want ErrCredentialsInURL", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestClientRateLimitsPerHostWithoutSleeping(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	clock := bot.NewManualClock(t0)
	c := newTestClient(t, clock, nil)
	c.Limit(strings.TrimPrefix(srv.URL, "http://"), Rate{N: 2, Per: time.Minute})
	ctx := context.Background()
	for i := range 2 {
		if _, err := c.Do(ctx, Request{URL: srv.URL}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := c.Do(ctx, Request{URL: srv.URL})
	var de *DeferredError
	if !errors.As(err, &de) || !de.Until.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("third request in a minute = %v, want deferred until %v", err, t0.Add(30*time.Second))
	}
	if hits != 2 {
		t.Errorf("server saw %d requests, want 2", hits)
	}
	clock.Advance(30 * time.Second)
	if _, err := c.Do(ctx, Request{URL: srv.URL}); err != nil {
		t.Errorf("after 30s: %v", err)
	}
}

func TestClientBacksOffOn429HonouringRetryAfterAndOn5xxExponentially(t *testing.T) {
	t.Parallel()
	status, retry := http.StatusTooManyRequests, "120"
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if status != 200 {
			if retry != "" {
				w.Header().Set("Retry-After", retry)
			}
			w.WriteHeader(status)
			return
		}
	}))
	defer srv.Close()
	clock := bot.NewManualClock(t0)
	c := newTestClient(t, clock, nil)
	ctx := context.Background()
	_, err := c.Do(ctx, Request{URL: srv.URL})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 429 || se.RetryAfter != 2*time.Minute {
		t.Fatalf("429 = %v, want a StatusError with Retry-After 2m", err)
	}
	_, err = c.Do(ctx, Request{URL: srv.URL})
	var de *DeferredError
	if !errors.As(err, &de) || !de.Until.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("request during Retry-After = %v, want deferred until +2m", err)
	}
	if hits != 1 {
		t.Fatalf("server saw %d requests during Retry-After, want 1", hits)
	}
	// 5xx without Retry-After: 30s, then 60s (the failures count on).
	status, retry = 503, ""
	clock.Advance(2 * time.Minute)
	c.Do(ctx, Request{URL: srv.URL})
	_, err = c.Do(ctx, Request{URL: srv.URL})
	if !errors.As(err, &de) || de.Until.Sub(clock.Now()) != time.Minute {
		t.Fatalf("after a second failure = %v, want deferred 1m", err)
	}
	clock.Advance(time.Minute)
	status = 200
	if _, err := c.Do(ctx, Request{URL: srv.URL}); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
	status = 500
	c.Do(ctx, Request{URL: srv.URL})
	_, err = c.Do(ctx, Request{URL: srv.URL})
	if !errors.As(err, &de) || de.Until.Sub(clock.Now()) != BackoffBase {
		t.Errorf("a success resets the backoff: got %v, want %v", err, BackoffBase)
	}
}

func TestClientCutsBigBodiesAndSaysSoOnce(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("a"), MaxBody+5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gz" {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(big)
			zw.Close()
			return
		}
		w.Write(big)
	}))
	defer srv.Close()
	lg := &logs{}
	c := newTestClient(t, bot.NewManualClock(t0), lg)
	for range 2 {
		r, err := c.Do(context.Background(), Request{URL: srv.URL + "/plain"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Body) != MaxBody || !r.Truncated {
			t.Fatalf("body of %d bytes, truncated=%v; want cut at %d", len(r.Body), r.Truncated, MaxBody)
		}
	}
	r, err := c.Do(context.Background(), Request{URL: srv.URL + "/gz"})
	if err != nil || len(r.Body) != MaxBody {
		t.Fatalf("gzip body: %v, %d bytes; want decompressed and cut at %d", err, len(r.Body), MaxBody)
	}
	if n := strings.Count(lg.String(), "longer than the cap"); n != 2 {
		t.Errorf("the cut was logged %d times for 2 URLs fetched 3 times, want once per URL:\n%s", n, lg)
	}
}
