package watchsrc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// reddit searches Reddit (site-wide search, newest first) and reads whole
// subreddits' newest posts. Anonymous on www.reddit.com at 10 requests a
// minute; with REDDIT_CLIENT_ID/SECRET, an application-only OAuth token
// (client credentials) on oauth.reddit.com at 100 a minute.
type reddit struct {
	c          *Client
	www, api   string // token endpoint base, API base
	id, secret string
	rate       Rate
	subs       []string
	backfill   time.Duration
	logger     *slog.Logger

	mu      sync.Mutex
	token   string
	expires time.Time
}

const redditMaxPages = 5

func newReddit(c *Client, o Options) *reddit {
	r := &reddit{c: c, id: o.RedditClientID, secret: o.RedditClientSecret, subs: o.Subreddits,
		backfill: o.Backfill, logger: o.Logger}
	if r.id != "" {
		r.www = o.base(watch.SourceReddit, "https://www.reddit.com")
		r.api = o.base(watch.SourceReddit, "https://oauth.reddit.com")
		r.rate = o.rate(watch.SourceReddit, Rate{N: 100, Per: time.Minute})
	} else {
		r.www = o.base(watch.SourceReddit, "https://www.reddit.com")
		r.api = r.www
		r.rate = o.rate(watch.SourceReddit, Rate{N: 10, Per: time.Minute})
	}
	c.Limit(hostOf(r.www), r.rate)
	c.Limit(hostOf(r.api), r.rate)
	return r
}

func (r *reddit) ID() string { return watch.SourceReddit }
func (r *reddit) Rate() Rate { return r.rate }

func (r *reddit) Targets(searches []watch.Search) []Target {
	var out []Target
	for _, s := range searches {
		if hasTerms(s) || len(s.Sites) == 1 || len(s.Authors) == 1 {
			out = append(out, Target{Key: searchKey("", s), Health: watch.SourceReddit,
				Label: fmt.Sprintf("search %q", searchText(s)), Search: s, Kind: "search"})
		}
	}
	for _, sub := range r.subs {
		sub = strings.TrimPrefix(strings.TrimPrefix(sub, "/"), "r/")
		out = append(out, Target{Key: "r/" + strings.ToLower(sub), Health: watch.SourceReddit + ":r/" + sub, Label: "r/" + sub,
			Where: sub, Kind: "new"})
	}
	return out
}

type redditListing struct {
	Kind string `json:"kind"`
	Data struct {
		After    *string `json:"after"`
		Children []struct {
			Kind string     `json:"kind"`
			Data redditPost `json:"data"`
		} `json:"children"`
	} `json:"data"`
}

type redditPost struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Title       string  `json:"title"`
	Selftext    string  `json:"selftext"`
	URL         string  `json:"url"`
	Permalink   string  `json:"permalink"`
	Author      string  `json:"author"`
	CreatedUTC  float64 `json:"created_utc"`
	Score       int     `json:"score"`
	NumComments int     `json:"num_comments"`
	IsSelf      bool    `json:"is_self"`
	Subreddit   string  `json:"subreddit"`
}

func (r *reddit) Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error) {
	now := r.c.clock.Now()
	m := readMark(c, now, r.backfill)
	hdr := http.Header{}
	oauth := r.id != ""
	if oauth {
		tok, err := r.accessToken(ctx)
		if err != nil {
			return nil, c, err
		}
		hdr.Set("Authorization", "Bearer "+tok)
	}
	q := url.Values{}
	q.Set("limit", "100")
	q.Set("raw_json", "1")
	var path string
	switch t.Kind {
	case "new":
		path = "/r/" + url.PathEscape(t.Where) + "/new"
	default:
		path = "/search"
		query := searchText(t.Search)
		if len(t.Search.Sites) == 1 { // Reddit's search knows a link's domain
			query += " site:" + t.Search.Sites[0]
		}
		if len(t.Search.Authors) == 1 {
			query += " author:" + t.Search.Authors[0]
		}
		q.Set("q", strings.TrimSpace(query))
		q.Set("sort", "new")
		q.Set("type", "link")
	}
	if !oauth {
		path += ".json"
	}
	var items []watch.Item
	for page := 0; page < redditMaxPages; page++ {
		resp, err := r.c.Do(ctx, Request{URL: r.api + path + "?" + q.Encode(), Header: hdr})
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) {
				switch se.Status {
				case http.StatusForbidden:
					return nil, c, fmt.Errorf("reddit %s: Reddit answered 403 Forbidden: the subreddit is private, quarantined or banned, or Reddit refuses anonymous requests from this address (set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET): %w", t.Label, err)
				case http.StatusUnauthorized:
					r.forgetToken()
				}
			}
			return nil, c, fmt.Errorf("reddit %s: %w", t.Label, err)
		}
		// Reddit counts requests per window and says how many are left.
		if rem, err := strconv.ParseFloat(resp.Header.Get("X-Ratelimit-Remaining"), 64); err == nil && rem < 1 {
			if reset, err := strconv.Atoi(resp.Header.Get("X-Ratelimit-Reset")); err == nil {
				r.c.Hold(hostOf(r.api), now.Add(time.Duration(reset)*time.Second), "Reddit's request window is spent")
			}
		}
		var l redditListing
		if err := json.Unmarshal(resp.Body, &l); err != nil || l.Kind != "Listing" {
			return nil, c, fmt.Errorf("reddit %s: the answer is not a Reddit listing (%v)", t.Label, cmpErr(err, "no kind: Listing"))
		}
		older := false
		for _, ch := range l.Data.Children {
			p := ch.Data
			if p.ID == "" || p.CreatedUTC == 0 {
				r.logger.Warn("watch: reddit: skipped a post without id or created_utc", "target", t.Label)
				continue
			}
			it := watch.Item{Source: watch.SourceReddit, ID: "reddit:" + p.ID, URL: "https://www.reddit.com" + p.Permalink,
				Author: p.Author, Title: p.Title, Text: plainText(p.Selftext), Score: p.Score, Comments: p.NumComments,
				Published: time.Unix(int64(p.CreatedUTC), 0).UTC()}
			if p.Permalink == "" {
				it.URL = "https://www.reddit.com/comments/" + p.ID
			}
			if !p.IsSelf && p.URL != "" {
				it.StoryURL = p.URL
			}
			if it.Published.Unix() < m.since() {
				older = true
			}
			items = append(items, it)
		}
		if older || l.Data.After == nil || *l.Data.After == "" || len(l.Data.Children) == 0 {
			break
		}
		q.Set("after", *l.Data.After)
		if page+1 == redditMaxPages {
			r.logger.Warn("watch: reddit: more new posts than one poll reads; the oldest are skipped", "target", t.Label)
		}
	}
	items, next := m.admit(tidy(items, now))
	return items, next, nil
}

func cmpErr(err error, def string) string {
	if err != nil {
		return err.Error()
	}
	return def
}

// accessToken returns a valid application-only token, asking for one
// (client credentials grant) when it has none or it expires within a minute.
func (r *reddit) accessToken(ctx context.Context) (string, error) {
	now := r.c.clock.Now()
	r.mu.Lock()
	if r.token != "" && now.Before(r.expires) {
		t := r.token
		r.mu.Unlock()
		return t, nil
	}
	r.mu.Unlock()
	basic := base64.StdEncoding.EncodeToString([]byte(r.id + ":" + r.secret))
	resp, err := r.c.Do(ctx, Request{Method: http.MethodPost, URL: r.www + "/api/v1/access_token",
		Header: http.Header{"Authorization": {"Basic " + basic}}, Form: url.Values{"grant_type": {"client_credentials"}}})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			return "", fmt.Errorf("reddit: REDDIT_CLIENT_ID/REDDIT_CLIENT_SECRET were refused (401): check them at https://www.reddit.com/prefs/apps: %w", err)
		}
		return "", fmt.Errorf("reddit access token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("reddit access token: no access_token in the answer (%s)", cmpOr(tok.Error, cmpErr(err, "empty")))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.token = tok.AccessToken
	r.expires = now.Add(time.Duration(max(tok.ExpiresIn, 120))*time.Second - time.Minute)
	return r.token, nil
}

func (r *reddit) forgetToken() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.token = ""
}
