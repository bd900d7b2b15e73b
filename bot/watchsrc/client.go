package watchsrc

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// MaxBody is the most Client reads of one answer, after decompression: a
// bigger answer is cut there (said once per URL in the log), so a huge or
// hostile feed costs at most this much memory.
const MaxBody = 10 << 20

// Backoff bounds: the first wait after a 429, a 5xx or an unreachable host,
// doubled on each further failure up to the cap (so a host that is back is
// noticed within 15 minutes). A Retry-After longer than the computed wait
// wins (up to a day).
const (
	BackoffBase = 30 * time.Second
	BackoffMax  = 15 * time.Minute
)

// Client is the one polite HTTP client every source uses. It is safe for
// concurrent use. Construct it with NewClient.
type Client struct {
	http        *http.Client
	userAgent   string
	clock       bot.Clock
	logger      *slog.Logger
	maxBody     int64
	defaultRate Rate

	mu    sync.Mutex
	hosts map[string]*hostState
	cut   map[string]bool // URLs whose cut body was already logged
}

type hostState struct {
	bucket    *bucket
	failures  int       // consecutive 429/5xx/unreachable answers
	notBefore time.Time // backoff: no request before this
	why       string    // what the backoff is for, for DeferredError
	failing   bool      // the backoff follows failures (not a source's request)
}

// NewClient returns a Client sending userAgent with every request through hc
// (http.DefaultClient when nil), timed by clock. Hosts without a Limit get
// defaultRate.
func NewClient(hc *http.Client, userAgent string, clock bot.Clock, logger *slog.Logger, defaultRate Rate) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, CheckRedirect: checkRedirect}
	}
	if clock == nil {
		clock = bot.SystemClock{}
	}
	if logger == nil {
		logger = slog.Default()
	}
	if !defaultRate.valid() {
		defaultRate = Rate{N: 6, Per: time.Minute}
	}
	return &Client{http: hc, userAgent: userAgent, clock: clock, logger: logger, maxBody: MaxBody,
		defaultRate: defaultRate, hosts: map[string]*hostState{}, cut: map[string]bool{}}
}

// Limit sets host's request budget (host as in a URL: "www.reddit.com",
// "127.0.0.1:8080").
func (c *Client) Limit(host string, r Rate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.host(host).bucket = newBucket(r)
}

// Hold stops requests to host until until: what a source asks when its
// answer says to back off (Stack Exchange's `backoff`, a spent quota).
func (c *Client) Hold(host string, until time.Time, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.host(host)
	if until.After(h.notBefore) {
		h.notBefore, h.why, h.failing = until, why, false
	}
}

func (c *Client) host(name string) *hostState {
	h := c.hosts[name]
	if h == nil {
		h = &hostState{bucket: newBucket(c.defaultRate)}
		c.hosts[name] = h
	}
	return h
}

// Request is one GET (or a form POST, for OAuth tokens).
type Request struct {
	Method string // default GET
	URL    string
	Header http.Header
	Form   url.Values // sent as application/x-www-form-urlencoded with a POST
	JSON   []byte     // sent as application/json with a POST (GraphQL)
	// Conditional GET: the validators from the last answer for this URL.
	ETag         string
	LastModified string
}

// Response is an answer with a 2xx or 304 status.
type Response struct {
	Status       int
	Header       http.Header
	Body         []byte
	NotModified  bool   // 304: nothing new since ETag/LastModified
	ETag         string // the validators to send next time (kept from the request on a 304)
	LastModified string
	Truncated    bool // the body was longer than MaxBody and was cut there
}

// DeferredError says a request was not sent because its host may not be
// asked yet: Liaison's own rate limit for it, or a backoff after failures.
// Nothing failed anew; try again after Until.
type DeferredError struct {
	Host  string
	Until time.Time
	Why   string // "rate limit …", the failure being backed off from, or what the source asked
	// Failing is set when the host is in a backoff after failures (429,
	// 5xx, unreachable): the source is still failing, not merely paced.
	Failing bool
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("%s: not asked before %s (%s)", e.Host, e.Until.UTC().Format(time.RFC3339), e.Why)
}

// StatusError is an answer with a status other than 2xx or 304.
type StatusError struct {
	Status     int
	URL        string // without its query, which may carry a key
	RetryAfter time.Duration
	Body       string // the start of the answer, for the log
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s answered %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// ErrCredentialsInURL refuses a URL like https://user:pass@host/feed: the
// credentials would be sent to every redirect and written in every log.
var ErrCredentialsInURL = errors.New("the URL carries a user name or password: Liaison does not send credentials in URLs; remove the user:password@ part (use a feed URL that needs no login)")

// Do sends req politely and returns its answer, or a *DeferredError without
// sending it, a *StatusError, or a transport error. 429, 5xx and transport
// errors start (or extend) the host's backoff; a success ends it.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", redactURL(req.URL), err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: %w", redactURL(req.URL), ErrCredentialsInURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: only http and https are fetched", redactURL(req.URL))
	}
	if err := c.admit(u.Host); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	switch {
	case req.Form != nil:
		body = strings.NewReader(req.Form.Encode())
	case req.JSON != nil:
		body = bytes.NewReader(req.JSON)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", shortURL(u), err)
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	switch {
	case req.Form != nil:
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case req.JSON != nil:
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("User-Agent", c.userAgent)
	// Asking for gzip ourselves (instead of letting net/http do it) means
	// the body cap below applies to the decompressed size: a small gzip
	// bomb cannot fill the memory.
	hr.Header.Set("Accept-Encoding", "gzip")
	if req.ETag != "" {
		hr.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hr.Header.Set("If-Modified-Since", req.LastModified)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.failed(u.Host, 0, "unreachable")
		return nil, fmt.Errorf("%s unreachable: %w", shortURL(u), stripURLFromErr(err))
	}
	defer resp.Body.Close()
	data, truncated, err := c.read(resp)
	if err != nil {
		c.failed(u.Host, 0, "unreadable answer")
		return nil, fmt.Errorf("read %s: %w", shortURL(u), err)
	}
	if truncated && !c.noteCut(u.String()) {
		c.logger.Warn("watch: an answer was longer than the cap and was cut; only its start is read",
			"url", shortURL(u), "cap_bytes", c.maxBody)
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		c.succeeded(u.Host)
		return &Response{Status: resp.StatusCode, Header: resp.Header, NotModified: true,
			ETag: cmpOr(resp.Header.Get("ETag"), req.ETag), LastModified: cmpOr(resp.Header.Get("Last-Modified"), req.LastModified)}, nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		c.succeeded(u.Host)
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data, Truncated: truncated,
			ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, nil
	}
	se := &StatusError{Status: resp.StatusCode, URL: shortURL(u), Body: snippet(data)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
		c.failed(u.Host, se.RetryAfter, fmt.Sprintf("answered %d", resp.StatusCode))
	}
	return nil, se
}

// admit spends a token of host's budget, or says until when it may not be asked.
func (c *Client) admit(host string) error {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.host(host)
	if now.Before(h.notBefore) {
		return &DeferredError{Host: host, Until: h.notBefore, Why: h.why, Failing: h.failing}
	}
	if ok, wait := h.bucket.take(now); !ok {
		return &DeferredError{Host: host, Until: now.Add(wait), Why: "rate limit " + h.bucket.rate.String()}
	}
	return nil
}

func (c *Client) failed(host string, retry time.Duration, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.host(host)
	h.failures++
	wait := BackoffBase << min(h.failures-1, 10)
	wait = min(wait, BackoffMax)
	if retry > wait {
		wait = min(retry, 24*time.Hour)
	}
	h.notBefore = c.clock.Now().Add(wait)
	h.why = fmt.Sprintf("backing off %s after it %s", wait, why)
	h.failing = true
}

func (c *Client) succeeded(host string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.host(host).failures = 0
}

func (c *Client) noteCut(u string) (already bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	already = c.cut[u]
	c.cut[u] = true
	return already
}

// read reads at most maxBody bytes of the (decompressed) body.
func (c *Client) read(resp *http.Response) ([]byte, bool, error) {
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			if err == io.EOF { // an empty gzip body
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, c.maxBody+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, err
	}
	if n > c.maxBody {
		return buf.Bytes()[:c.maxBody], true, nil
	}
	return buf.Bytes(), false, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// snippet is the start of an error answer, on one line, for the log.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b[:min(len(b), 300)])), " ")
	return strings.ToValidUTF8(cut(s, 200), "")
}

// shortURL names a URL in logs and errors: no query (keys and tokens travel
// there), no credentials.
func shortURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery, v.Fragment = "", ""
	return v.String()
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return shortURL(u)
}

// stripURLFromErr drops the *url.Error wrapper, whose text repeats the full
// URL with its query.
func stripURLFromErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkRedirect follows at most 5 redirects, and none to a URL with
// credentials or to another scheme than http(s).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("more than 5 redirects")
	}
	if req.URL.User != nil {
		return ErrCredentialsInURL
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("a redirect to %s: only http and https are fetched", req.URL.Scheme)
	}
	return nil
}
