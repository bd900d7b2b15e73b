package watchsrc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// hn searches Hacker News through Algolia's public API (no key): stories and
// comments, newest first, one request per Search (the API has no OR).
type hn struct {
	c        *Client
	base     string
	rate     Rate
	backfill time.Duration
	logger   *slog.Logger
}

// hnMaxPages bounds one poll: a burst beyond it is logged and its oldest
// items skipped, rather than one poll holding the scheduler for minutes.
const (
	hnMaxPages    = 10
	hnHitsPerPage = 100
)

func newHN(c *Client, o Options) *hn {
	s := &hn{c: c, base: o.base(watch.SourceHN, "https://hn.algolia.com"),
		rate: o.rate(watch.SourceHN, Rate{N: 60, Per: time.Minute}), backfill: o.Backfill, logger: o.Logger}
	c.Limit(hostOf(s.base), s.rate)
	return s
}

func (h *hn) ID() string { return watch.SourceHN }
func (h *hn) Rate() Rate { return h.rate }

func (h *hn) Targets(searches []watch.Search) []Target {
	var out []Target
	for _, s := range searches {
		if hasTerms(s) || len(s.Sites) == 1 || len(s.Authors) > 0 {
			out = append(out, Target{Key: searchKey("", s), Health: watch.SourceHN,
				Label: fmt.Sprintf("search %q", searchText(s)), Search: s, Kind: "search"})
		}
	}
	return out
}

type hnAnswer struct {
	Hits    []hnHit `json:"hits"`
	Page    int     `json:"page"`
	NbPages int     `json:"nbPages"`
}

type hnHit struct {
	ObjectID    string   `json:"objectID"`
	CreatedAtI  int64    `json:"created_at_i"`
	Title       *string  `json:"title"`
	URL         *string  `json:"url"`
	Author      string   `json:"author"`
	Points      *int     `json:"points"`
	NumComments *int     `json:"num_comments"`
	StoryText   *string  `json:"story_text"`
	CommentText *string  `json:"comment_text"`
	StoryID     *int64   `json:"story_id"`
	StoryTitle  *string  `json:"story_title"`
	StoryURL    *string  `json:"story_url"`
	Tags        []string `json:"_tags"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

const hnItemURL = "https://news.ycombinator.com/item?id="

func (h *hn) Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error) {
	now := h.c.clock.Now()
	m := readMark(c, now, h.backfill)
	q := url.Values{}
	q.Set("query", searchText(t.Search))
	if !hasTerms(t.Search) && len(t.Search.Sites) == 1 {
		// Only site:x — search the stories' URLs for the domain.
		q.Set("query", t.Search.Sites[0])
		q.Set("restrictSearchableAttributes", "url")
	}
	q.Set("advancedSyntax", "true") // "exact phrases"
	tags := "(story,comment)"
	if len(t.Search.Authors) > 0 { // tags: a comma is AND, parentheses OR
		var as []string
		for _, a := range t.Search.Authors {
			as = append(as, "author_"+a)
		}
		tags += ",(" + strings.Join(as, ",") + ")"
	}
	q.Set("tags", tags)
	q.Set("numericFilters", "created_at_i>"+strconv.FormatInt(m.since()-1, 10))
	q.Set("hitsPerPage", strconv.Itoa(hnHitsPerPage))
	var items []watch.Item
	for page := 0; ; page++ {
		q.Set("page", strconv.Itoa(page))
		resp, err := h.c.Do(ctx, Request{URL: h.base + "/api/v1/search_by_date?" + q.Encode()})
		if err != nil {
			return nil, c, fmt.Errorf("hn %s: %w", t.Label, err)
		}
		var a hnAnswer
		if err := json.Unmarshal(resp.Body, &a); err != nil {
			return nil, c, fmt.Errorf("hn %s: the answer is not the JSON Algolia documents: %w", t.Label, err)
		}
		for _, hit := range a.Hits {
			if it, ok := hnItem(hit); ok {
				items = append(items, it)
			} else {
				h.logger.Warn("watch: hn: skipped a hit without objectID or created_at_i", "search", t.Label)
			}
		}
		if page+1 >= a.NbPages || len(a.Hits) == 0 {
			break
		}
		if page+1 >= hnMaxPages {
			h.logger.Warn("watch: hn: more new items than one poll reads; the oldest are skipped",
				"search", t.Label, "pages", hnMaxPages, "of", a.NbPages)
			break
		}
	}
	items, next := m.admit(tidy(items, now))
	return items, next, nil
}

func hnItem(hit hnHit) (watch.Item, bool) {
	if hit.ObjectID == "" || hit.CreatedAtI == 0 {
		return watch.Item{}, false
	}
	it := watch.Item{Source: watch.SourceHN, ID: "hn:" + hit.ObjectID, URL: hnItemURL + hit.ObjectID,
		Author: hit.Author, Published: time.Unix(hit.CreatedAtI, 0).UTC(), Score: num(hit.Points), Comments: num(hit.NumComments)}
	isComment := hit.CommentText != nil || contains(hit.Tags, "comment")
	if isComment {
		// No title: the story's title is not the comment's words, and the
		// matcher reads title + text (every comment under a story about
		// the brand would otherwise match). StoryURL links them.
		it.Text = plainText(str(hit.CommentText))
		// A comment is about its story's link, or about the story itself.
		it.StoryURL = str(hit.StoryURL)
		if it.StoryURL == "" && hit.StoryID != nil {
			it.StoryURL = hnItemURL + strconv.FormatInt(*hit.StoryID, 10)
		}
	} else {
		it.Title = str(hit.Title)
		it.Text = plainText(str(hit.StoryText))
		it.StoryURL = str(hit.URL)
	}
	return it, true
}

func contains(v []string, s string) bool {
	for _, x := range v {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
