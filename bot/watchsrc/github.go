package watchsrc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// gitHub searches issues and pull requests (/search/issues), newest first:
// 30 searches a minute with GITHUB_TOKEN, 10 without; and, with a token
// (GraphQL needs one), discussions through GraphQL's search(type: DISCUSSION).
type gitHub struct {
	c        *Client
	base     string
	token    string
	rate     Rate
	backfill time.Duration
	logger   *slog.Logger
}

const ghPerPage, ghMaxPages = 100, 3

func newGitHub(c *Client, o Options) *gitHub {
	def := Rate{N: 10, Per: time.Minute}
	if o.GitHubToken != "" {
		def = Rate{N: 30, Per: time.Minute}
	}
	g := &gitHub{c: c, base: o.base(watch.SourceGitHub, "https://api.github.com"), token: o.GitHubToken,
		rate: o.rate(watch.SourceGitHub, def), backfill: o.Backfill, logger: o.Logger}
	c.Limit(hostOf(g.base), g.rate)
	return g
}

func (g *gitHub) ID() string { return watch.SourceGitHub }
func (g *gitHub) Rate() Rate { return g.rate }

func (g *gitHub) Targets(searches []watch.Search) []Target {
	var out []Target
	for _, s := range searches {
		if hasTerms(s) || len(s.Authors) > 0 {
			out = append(out, Target{Key: searchKey("", s), Health: watch.SourceGitHub,
				Label: fmt.Sprintf("search %q", searchText(s)), Search: s, Kind: "search"})
			if g.token != "" {
				out = append(out, Target{Key: searchKey("discussions ", s), Health: watch.SourceGitHub,
					Label: fmt.Sprintf("discussions %q", searchText(s)), Search: s, Kind: "discussions"})
			}
		}
	}
	return out
}

// ghDiscussions is the GraphQL query for discussions, newest first.
const ghDiscussions = `query($q: String!, $after: String) {
  search(query: $q, type: DISCUSSION, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ... on Discussion { id url title bodyText createdAt upvoteCount author { login } comments { totalCount } } }
  }
}`

type ghGraphQL struct {
	Data *struct {
		Search struct {
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
			Nodes []struct {
				ID          string `json:"id"`
				URL         string `json:"url"`
				Title       string `json:"title"`
				BodyText    string `json:"bodyText"`
				CreatedAt   string `json:"createdAt"`
				UpvoteCount int    `json:"upvoteCount"`
				Author      *struct {
					Login string `json:"login"`
				} `json:"author"`
				Comments struct {
					TotalCount int `json:"totalCount"`
				} `json:"comments"`
			} `json:"nodes"`
		} `json:"search"`
	} `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func (g *gitHub) discussions(ctx context.Context, t Target, q string, hdr http.Header) ([]watch.Item, error) {
	var items []watch.Item
	after := ""
	for page := 0; page < ghMaxPages; page++ {
		vars := map[string]any{"q": q}
		if after != "" {
			vars["after"] = after
		}
		body, _ := json.Marshal(map[string]any{"query": ghDiscussions, "variables": vars})
		resp, err := g.c.Do(ctx, Request{Method: http.MethodPost, URL: g.base + "/graphql", JSON: body, Header: hdr})
		if err != nil {
			return nil, fmt.Errorf("github %s: %w", t.Label, err)
		}
		var a ghGraphQL
		if err := json.Unmarshal(resp.Body, &a); err != nil {
			return nil, fmt.Errorf("github %s: the answer is not the JSON GitHub documents: %w", t.Label, err)
		}
		if len(a.Errors) > 0 || a.Data == nil {
			msg := "no data"
			if len(a.Errors) > 0 {
				msg = a.Errors[0].Message
			}
			return nil, fmt.Errorf("github %s: GraphQL refused the search: %s", t.Label, msg)
		}
		for _, n := range a.Data.Search.Nodes {
			ts, err := time.Parse(time.RFC3339, n.CreatedAt)
			if n.ID == "" || err != nil {
				g.logger.Warn("watch: github: skipped a discussion without id or createdAt", "search", t.Label)
				continue
			}
			it := watch.Item{Source: watch.SourceGitHub, ID: "gh:" + n.ID, URL: n.URL, Title: n.Title, Text: n.BodyText,
				Published: ts, Score: n.UpvoteCount, Comments: n.Comments.TotalCount}
			if n.Author != nil {
				it.Author = n.Author.Login
			}
			items = append(items, it)
		}
		if !a.Data.Search.PageInfo.HasNextPage || a.Data.Search.PageInfo.EndCursor == "" {
			break
		}
		after = a.Data.Search.PageInfo.EndCursor
	}
	return items, nil
}

type ghAnswer struct {
	Items []struct {
		ID        int64   `json:"id"`
		HTMLURL   string  `json:"html_url"`
		Title     string  `json:"title"`
		Body      *string `json:"body"`
		CreatedAt string  `json:"created_at"`
		Comments  int     `json:"comments"`
		User      *struct {
			Login string `json:"login"`
		} `json:"user"`
		Reactions *struct {
			TotalCount int `json:"total_count"`
		} `json:"reactions"`
	} `json:"items"`
}

func (g *gitHub) Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error) {
	now := g.c.clock.Now()
	m := readMark(c, now, g.backfill)
	terms := searchText(t.Search)
	for _, a := range t.Search.Authors {
		terms += " author:" + a
	}
	since := time.Unix(m.since(), 0).UTC().Format("2006-01-02T15:04:05Z")
	q := url.Values{}
	q.Set("q", terms+" created:>="+since)
	q.Set("sort", "created")
	q.Set("order", "desc")
	q.Set("per_page", strconv.Itoa(ghPerPage))
	hdr := http.Header{"Accept": {"application/vnd.github+json"}, "X-Github-Api-Version": {"2022-11-28"}}
	if g.token != "" {
		hdr.Set("Authorization", "Bearer "+g.token)
	}
	var items []watch.Item
	if t.Kind == "discussions" {
		items, err := g.discussions(ctx, t, q.Get("q"), hdr)
		if err != nil {
			return nil, c, err
		}
		items, nc := m.admit(tidy(items, now))
		return items, nc, nil
	}
	next := g.base + "/search/issues?" + q.Encode()
	for page := 0; page < ghMaxPages && next != ""; page++ {
		resp, err := g.c.Do(ctx, Request{URL: next, Header: hdr})
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && (se.Status == http.StatusForbidden || se.Status == http.StatusTooManyRequests) {
				// GitHub's secondary and primary limits: 403 with a reset time.
				g.c.Hold(hostOf(g.base), now.Add(max(se.RetryAfter, time.Minute)), "GitHub rate limit")
			}
			return nil, c, fmt.Errorf("github %s: %w", t.Label, err)
		}
		if rem := resp.Header.Get("X-Ratelimit-Remaining"); rem == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				g.c.Hold(hostOf(g.base), time.Unix(reset, 0), "GitHub rate limit spent")
			}
		}
		var a ghAnswer
		if err := json.Unmarshal(resp.Body, &a); err != nil {
			return nil, c, fmt.Errorf("github %s: the answer is not the JSON GitHub documents: %w", t.Label, err)
		}
		for _, is := range a.Items {
			ts, err := time.Parse(time.RFC3339, is.CreatedAt)
			if is.ID == 0 || err != nil {
				g.logger.Warn("watch: github: skipped an issue without id or created_at", "search", t.Label)
				continue
			}
			it := watch.Item{Source: watch.SourceGitHub, ID: "gh:" + strconv.FormatInt(is.ID, 10), URL: is.HTMLURL,
				Title: is.Title, Text: strings.TrimSpace(str(is.Body)), Published: ts, Comments: is.Comments}
			if is.User != nil {
				it.Author = is.User.Login
			}
			if is.Reactions != nil {
				it.Score = is.Reactions.TotalCount
			}
			items = append(items, it)
		}
		next = nextLink(resp.Header.Get("Link"))
	}
	items, nc := m.admit(tidy(items, now))
	return items, nc, nil
}

// nextLink reads rel="next" from a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		for _, p := range seg[1:] {
			if strings.TrimSpace(p) == `rel="next"` {
				return strings.Trim(strings.TrimSpace(seg[0]), "<>")
			}
		}
	}
	return ""
}
