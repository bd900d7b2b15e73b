package watchsrc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// feeds reads the configured RSS/Atom feeds. Feeds have no search: every
// new entry is handed on and the matcher decides. A feed's cursor is the set
// of entries its last answer carried (hashed), so an entry is new when the
// feed did not carry it before, whatever its date says (feeds reorder,
// backdate, or give no date at all).
type feeds struct {
	c        *Client
	feeds    []Feed
	override string
	parser   FeedParser
	backfill time.Duration
	logger   *slog.Logger
}

func newFeeds(c *Client, o Options) *feeds {
	return &feeds{c: c, feeds: o.Feeds, override: o.BaseURLs[watch.SourceFeeds], parser: XMLFeeds{},
		backfill: o.Backfill, logger: o.Logger}
}

func (f *feeds) ID() string { return watch.SourceFeeds }

func (f *feeds) Rate() Rate { return f.c.defaultRate }

func (f *feeds) Targets([]watch.Search) []Target {
	out := make([]Target, 0, len(f.feeds))
	for _, fd := range f.feeds {
		out = append(out, Target{Key: fd.Name, Health: "feeds:" + fd.Name, Label: "feed " + fd.Name,
			Where: fd.URL, Kind: fd.Name})
	}
	return out
}

// fetchURL applies LIAISON_WATCH_FEEDS_URL: OVERRIDE/HOST/PATH?QUERY.
func (f *feeds) fetchURL(raw string) string {
	if f.override == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	out := strings.TrimRight(f.override, "/") + "/" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

type feedCursor struct {
	Seen []string `json:"seen"` // hashes of the ids the last answer carried
}

func (f *feeds) Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error) {
	resp, err := f.c.Do(ctx, Request{URL: f.fetchURL(t.Where), ETag: c.ETag, LastModified: c.LastModified,
		Header: http.Header{"Accept": {"application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.8"}}})
	if err != nil {
		return nil, c, fmt.Errorf("feed %s: %w", t.Kind, err)
	}
	if resp.NotModified {
		return nil, Cursor{Value: c.Value, ETag: resp.ETag, LastModified: resp.LastModified}, nil
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "text/html") && looksLikeHTML(resp.Body) {
		return nil, c, fmt.Errorf("feed %s at %s: %w", t.Kind, redactURL(t.Where), ErrNotAFeed)
	}
	entries, err := f.parser.Parse(resp.Body)
	if err != nil && resp.Truncated && len(entries) > 0 {
		err = nil // cut at MaxBody (logged by the client): keep the whole entries before the cut
	}
	if err != nil {
		return nil, c, fmt.Errorf("feed %s at %s: %w", t.Kind, redactURL(t.Where), err)
	}
	now := f.c.clock.Now()
	var prev feedCursor
	first := c.Value == "" || json.Unmarshal([]byte(c.Value), &prev) != nil
	seen := make(map[string]bool, len(prev.Seen))
	for _, h := range prev.Seen {
		seen[h] = true
	}
	items := make([]watch.Item, 0, len(entries))
	for _, e := range entries {
		link := resolveLink(t.Where, e.Link)
		if e.ID == e.Link {
			e.ID = link
		}
		items = append(items, watch.Item{Source: watch.SourceFeeds, ID: e.ID, URL: link,
			Author: e.Author, Title: e.Title, Text: e.Text, Published: e.Published, Feed: t.Kind})
	}
	items = tidy(items, now)
	var next feedCursor
	var out []watch.Item
	for _, it := range items {
		h := idHash(it.ID)
		next.Seen = append(next.Seen, h)
		switch {
		case seen[h]:
		case first && it.Published.Before(now.Add(-f.backfill)):
		default:
			out = append(out, it)
		}
	}
	if resp.Truncated && len(next.Seen) > 0 {
		// The entries past the cut were not read: keep the old ones as
		// seen too, so they are not new when the feed shrinks back.
		next.Seen = append(next.Seen, prev.Seen...)
	}
	if len(next.Seen) > maxMarkedIDs {
		next.Seen = next.Seen[:maxMarkedIDs]
	}
	b, _ := json.Marshal(next)
	return out, Cursor{Value: string(b), ETag: resp.ETag, LastModified: resp.LastModified}, nil
}

func idHash(id string) string {
	s := sha256.Sum256([]byte(id))
	return hex.EncodeToString(s[:8])
}

// resolveLink makes a relative entry link absolute against the feed's URL.
func resolveLink(feedURL, link string) string {
	if link == "" {
		return ""
	}
	base, err := url.Parse(feedURL)
	if err != nil {
		return link
	}
	l, err := url.Parse(link)
	if err != nil {
		return link
	}
	return base.ResolveReference(l).String()
}
