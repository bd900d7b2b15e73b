package discordbot

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// discordHost is the host of discordgo's built-in REST base
// (discordgo.EndpointAPI, "https://discord.com/api/v9/" in v0.29.0).
const discordHost = "discord.com"

// NewTransport returns an http.RoundTripper that sends every request aimed at
// Discord's REST API (https://discord.com/api/vN/…, whatever N) to apiURL
// instead, keeping the rest of the path and the query: with apiURL
// "http://127.0.0.1:4321/api/v10/", discordgo's
// "https://discord.com/api/v9/channels/1/messages?limit=5" goes to
// "http://127.0.0.1:4321/api/v10/channels/1/messages?limit=5". Any other
// request (the CDN, a webhook elsewhere) passes through unchanged.
//
// Set it on one session (session.Client = &http.Client{Transport: t}) to point
// that session at a fake or a staging proxy without touching discordgo's
// global endpoint variables, so that two sessions in one process can talk to
// two different servers. The gateway is not affected: discordgo dials the URL
// that GET /gateway answers, which the rewritten request fetches from apiURL.
//
// apiURL must be an absolute http or https URL without query or fragment; a
// trailing slash is added when missing. next carries the requests; nil means
// http.DefaultTransport.
func NewTransport(apiURL string, next http.RoundTripper) (http.RoundTripper, error) {
	u, err := url.Parse(apiURL)
	if err != nil {
		return nil, fmt.Errorf("discord api url %q: %w", apiURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("discord api url %q: want an absolute http or https URL", apiURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("discord api url %q: want no query, fragment or user info", apiURL)
	}
	base := u.Scheme + "://" + u.Host + u.EscapedPath()
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{base: base, next: next}, nil
}

// transport rewrites Discord REST requests to base; see NewTransport.
type transport struct {
	base string // scheme://host/escaped/path/, always ending in "/"
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It never modifies req: a rewritten
// request is a clone.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, ok := discordAPIRest(req.URL)
	if !ok {
		return t.next.RoundTrip(req)
	}
	u, err := url.Parse(t.base + rest)
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("rewrite %s to %s: %w", req.URL.Redacted(), t.base, err)
	}
	u.RawQuery = req.URL.RawQuery
	out := req.Clone(req.Context())
	out.URL = u
	out.Host = "" // the Host header follows the new URL
	return t.next.RoundTrip(out)
}

// discordAPIRest reports whether u is a Discord REST URL and, if so, returns
// its escaped path after the "/api/vN/" prefix.
func discordAPIRest(u *url.URL) (string, bool) {
	if u == nil || u.Scheme != "https" || !strings.EqualFold(u.Hostname(), discordHost) {
		return "", false
	}
	if p := u.Port(); p != "" && p != "443" {
		return "", false
	}
	path, ok := strings.CutPrefix(u.EscapedPath(), "/api/v")
	if !ok {
		return "", false
	}
	version, rest, ok := strings.Cut(path, "/")
	if !ok || version == "" || strings.Trim(version, "0123456789") != "" {
		return "", false
	}
	return rest, true
}

// closeBody honours the RoundTripper contract of closing the request body,
// even on error.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
