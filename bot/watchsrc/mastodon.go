package watchsrc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// mastodon reads public hashtag timelines (/api/v1/timelines/tag/:tag) for
// the searches' #hashtags and, with MASTODON_ACCESS_TOKEN, full-text search
// (/api/v2/search?type=statuses: only posts whose authors opted in to
// search) on each configured instance. The cursor is the newest status id
// handled; the next poll asks for what is newer (min_id).
type mastodon struct {
	c         *Client
	instances []string // base URLs
	names     []string // as configured, for labels
	token     string
	rate      Rate
	backfill  time.Duration
	logger    *slog.Logger

	mu     sync.Mutex
	warned map[string]bool // instances whose login requirement was logged
}

const (
	mastodonLimit    = 40
	mastodonMaxPages = 5
)

// ErrLoginRequired is an instance that does not show its public timelines
// or search without a logged-in user.
var ErrLoginRequired = errors.New("this Mastodon instance requires a logged-in user for this request: set MASTODON_ACCESS_TOKEN (an access token of an account on that instance) or remove the instance from watch.mastodon")

func newMastodon(c *Client, o Options) *mastodon {
	m := &mastodon{c: c, token: o.MastodonAccessToken, backfill: o.Backfill, logger: o.Logger, warned: map[string]bool{},
		rate: o.rate(watch.SourceMastodon, Rate{N: 30, Per: time.Minute})}
	for _, in := range o.MastodonInstances {
		base := strings.TrimRight(in, "/")
		if !strings.Contains(base, "://") {
			base = "https://" + base
		}
		if ov := o.BaseURLs[watch.SourceMastodon]; ov != "" {
			base = strings.TrimRight(ov, "/")
		}
		m.instances = append(m.instances, base)
		m.names = append(m.names, strings.TrimPrefix(strings.TrimPrefix(in, "https://"), "http://"))
		c.Limit(hostOf(base), m.rate)
	}
	return m
}

func (m *mastodon) ID() string { return watch.SourceMastodon }
func (m *mastodon) Rate() Rate { return m.rate }

func (m *mastodon) Targets(searches []watch.Search) []Target {
	var out []Target
	seen := map[string]bool{}
	add := func(t Target) {
		if !seen[t.Key] {
			seen[t.Key] = true
			out = append(out, t)
		}
	}
	for i, base := range m.instances {
		name := m.names[i]
		for _, s := range searches {
			for _, tag := range s.Hashtags {
				tag = strings.ToLower(strings.TrimPrefix(tag, "#"))
				add(Target{Key: name + " #" + tag, Health: watch.SourceMastodon + ":" + name, Label: "#" + tag + " on " + name,
					Search: watch.Search{Query: s.Query, Hashtags: []string{tag}}, Where: base, Kind: "tag"})
			}
			if m.token != "" && len(s.Terms)+len(s.Phrases) > 0 {
				add(Target{Key: name + " " + searchKey("", s), Health: watch.SourceMastodon + ":" + name,
					Label: fmt.Sprintf("search %q on %s", searchText(s), name), Search: s, Where: base, Kind: "search"})
			}
		}
	}
	return out
}

type mastodonStatus struct {
	ID        string           `json:"id"`
	URI       string           `json:"uri"`
	URL       *string          `json:"url"`
	CreatedAt string           `json:"created_at"`
	Content   string           `json:"content"`
	Spoiler   string           `json:"spoiler_text"`
	Language  *string          `json:"language"`
	Replies   int              `json:"replies_count"`
	Reblogs   int              `json:"reblogs_count"`
	Favs      int              `json:"favourites_count"`
	Reblog    *json.RawMessage `json:"reblog"`
	Account   struct {
		Acct string `json:"acct"`
	} `json:"account"`
	Card *struct {
		URL string `json:"url"`
	} `json:"card"`
}

func (m *mastodon) Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error) {
	now := m.c.clock.Now()
	hdr := http.Header{}
	if m.token != "" {
		hdr.Set("Authorization", "Bearer "+m.token)
	}
	q := url.Values{}
	q.Set("limit", fmt.Sprint(mastodonLimit))
	var path string
	if t.Kind == "tag" {
		path = "/api/v1/timelines/tag/" + url.PathEscape(t.Search.Hashtags[0])
	} else {
		path = "/api/v2/search"
		q.Set("type", "statuses")
		q.Set("q", searchText(t.Search))
	}
	minID := c.Value
	var items []watch.Item
	newest := minID
	for page := 0; page < mastodonMaxPages; page++ {
		if minID != "" {
			q.Set("min_id", minID)
		}
		resp, err := m.c.Do(ctx, Request{URL: t.Where + path + "?" + q.Encode(), Header: hdr})
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden ||
				(se.Status == http.StatusUnprocessableEntity && strings.Contains(se.Body, "authenticated"))) {
				m.sayLoginOnce(t.Where)
				return nil, c, fmt.Errorf("mastodon %s: %w (%v)", t.Label, ErrLoginRequired, err)
			}
			return nil, c, fmt.Errorf("mastodon %s: %w", t.Label, err)
		}
		var statuses []mastodonStatus
		if t.Kind == "tag" {
			err = json.Unmarshal(resp.Body, &statuses)
		} else {
			var a struct {
				Statuses []mastodonStatus `json:"statuses"`
			}
			err = json.Unmarshal(resp.Body, &a)
			statuses = a.Statuses
		}
		if err != nil {
			return nil, c, fmt.Errorf("mastodon %s: the answer is not the JSON Mastodon documents: %w", t.Label, err)
		}
		pageNewest := ""
		for _, s := range statuses {
			if s.ID == "" {
				m.logger.Warn("watch: mastodon: skipped a status without id", "target", t.Label)
				continue
			}
			if newerID(s.ID, pageNewest) {
				pageNewest = s.ID
			}
			if s.Reblog != nil && string(*s.Reblog) != "null" {
				continue // a boost: its original is what counts
			}
			it := watch.Item{Source: watch.SourceMastodon, ID: cmpOr(s.URI, t.Where+"/"+s.ID), URL: cmpOr(str(s.URL), s.URI),
				Author: s.Account.Acct, Text: plainText(s.Content), Lang: str(s.Language),
				Score: s.Favs + s.Reblogs, Comments: s.Replies}
			if s.Spoiler != "" {
				it.Title = plainText(s.Spoiler)
			}
			if ts, err := time.Parse(time.RFC3339, s.CreatedAt); err == nil {
				it.Published = ts
			}
			if s.Card != nil {
				it.StoryURL = s.Card.URL
			}
			if c.Value == "" && !it.Published.IsZero() && it.Published.Before(now.Add(-m.backfill)) {
				continue // a new cursor starts at the backfill
			}
			items = append(items, it)
		}
		if pageNewest == "" {
			break
		}
		if newerID(pageNewest, newest) {
			newest = pageNewest
		}
		if c.Value == "" || len(statuses) < mastodonLimit {
			break // a new cursor reads one page; a short page is the last
		}
		minID = pageNewest
	}
	return tidy(items, now), Cursor{Value: newest}, nil
}

// newerID compares Mastodon ids: decimal strings (snowflakes), longer is newer.
func newerID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func (m *mastodon) sayLoginOnce(base string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.warned[base] {
		return
	}
	m.warned[base] = true
	m.logger.Warn("watch: mastodon: "+ErrLoginRequired.Error(), "instance", base)
}
