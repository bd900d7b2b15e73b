package watchsrc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// stackExchange searches questions on the configured Stack Exchange sites
// (/2.3/search/advanced), newest first. Its budget is per day: 300 requests
// without STACKEXCHANGE_KEY, 10,000 with. It honours `backoff` (seconds
// before the same method may be asked again) and stops when
// `quota_remaining` reaches zero, until the quota resets at midnight UTC.
type stackExchange struct {
	c        *Client
	base     string
	key      string
	sites    []string
	rate     Rate
	backfill time.Duration
	logger   *slog.Logger
}

const sePageSize, seMaxPages = 100, 3

// seAvailableIn reads the wait out of a throttle_violation's message
// ("more requests available in 80000 seconds").
var seAvailableIn = regexp.MustCompile(`available in (\d+) seconds`)

func newStackExchange(c *Client, o Options) *stackExchange {
	def := Rate{N: 300, Per: 24 * time.Hour}
	if o.StackExchangeKey != "" {
		def = Rate{N: 10000, Per: 24 * time.Hour}
	}
	s := &stackExchange{c: c, base: o.base(watch.SourceStackExchange, "https://api.stackexchange.com"), key: o.StackExchangeKey,
		sites: o.StackExchangeSites, rate: o.rate(watch.SourceStackExchange, def), backfill: o.Backfill, logger: o.Logger}
	c.Limit(hostOf(s.base), s.rate)
	return s
}

func (s *stackExchange) ID() string { return watch.SourceStackExchange }
func (s *stackExchange) Rate() Rate { return s.rate }

func (s *stackExchange) Targets(searches []watch.Search) []Target {
	var out []Target
	for _, site := range s.sites {
		for _, q := range searches {
			if hasTerms(q) {
				out = append(out, Target{Key: site + " " + searchKey("", q), Health: watch.SourceStackExchange,
					Label: fmt.Sprintf("search %q on %s", searchText(q), site), Search: q, Where: site, Kind: "search"})
			}
		}
	}
	return out
}

type seAnswer struct {
	Items []struct {
		QuestionID   int64  `json:"question_id"`
		Title        string `json:"title"`
		Link         string `json:"link"`
		Body         string `json:"body"`
		CreationDate int64  `json:"creation_date"`
		Score        int    `json:"score"`
		AnswerCount  int    `json:"answer_count"`
		Owner        struct {
			DisplayName string `json:"display_name"`
		} `json:"owner"`
	} `json:"items"`
	HasMore        bool   `json:"has_more"`
	QuotaRemaining *int   `json:"quota_remaining"`
	Backoff        int    `json:"backoff"`
	ErrorID        int    `json:"error_id"`
	ErrorName      string `json:"error_name"`
	ErrorMessage   string `json:"error_message"`
}

func (s *stackExchange) Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error) {
	now := s.c.clock.Now()
	m := readMark(c, now, s.backfill)
	q := url.Values{}
	q.Set("q", searchText(t.Search))
	q.Set("site", t.Where)
	q.Set("fromdate", strconv.FormatInt(m.since(), 10))
	q.Set("sort", "creation")
	q.Set("order", "desc")
	q.Set("pagesize", strconv.Itoa(sePageSize))
	q.Set("filter", "withbody")
	if s.key != "" {
		q.Set("key", s.key)
	}
	host := hostOf(s.base)
	var items []watch.Item
	for page := 1; page <= seMaxPages; page++ {
		q.Set("page", strconv.Itoa(page))
		resp, err := s.c.Do(ctx, Request{URL: s.base + "/2.3/search/advanced?" + q.Encode()})
		var a seAnswer
		if err != nil {
			// Stack Exchange explains refusals in a JSON body (HTTP 400 with
			// error_name throttle_violation, …): honour its wait, say what it said.
			var se *StatusError
			if errors.As(err, &se) && strings.Contains(se.Body, "throttle_violation") {
				wait := 24 * time.Hour
				if m := seAvailableIn.FindStringSubmatch(se.Body); m != nil {
					if n, err := strconv.Atoi(m[1]); err == nil {
						wait = time.Duration(n) * time.Second
					}
				}
				s.c.Hold(host, now.Add(wait), "Stack Exchange throttles this address")
			}
			return nil, c, fmt.Errorf("stackexchange %s: %w", t.Label, err)
		}
		if err := json.Unmarshal(resp.Body, &a); err != nil {
			return nil, c, fmt.Errorf("stackexchange %s: the answer is not the JSON Stack Exchange documents: %w", t.Label, err)
		}
		if a.Backoff > 0 {
			s.c.Hold(host, now.Add(time.Duration(a.Backoff)*time.Second), fmt.Sprintf("Stack Exchange asked to back off %ds", a.Backoff))
		}
		if a.QuotaRemaining != nil && *a.QuotaRemaining <= 0 {
			midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
			s.c.Hold(host, midnight, "the Stack Exchange daily quota is spent")
			s.logger.Warn("watch: stackexchange: the daily quota is spent; the next request waits for midnight UTC (set STACKEXCHANGE_KEY for 10,000 a day)")
		}
		if a.ErrorID != 0 {
			return nil, c, fmt.Errorf("stackexchange %s: %s: %s", t.Label, a.ErrorName, a.ErrorMessage)
		}
		for _, it := range a.Items {
			if it.QuestionID == 0 || it.CreationDate == 0 {
				s.logger.Warn("watch: stackexchange: skipped a question without question_id or creation_date", "search", t.Label)
				continue
			}
			items = append(items, watch.Item{Source: watch.SourceStackExchange,
				ID: fmt.Sprintf("se:%s:%d", t.Where, it.QuestionID), URL: it.Link,
				Author: html.UnescapeString(it.Owner.DisplayName), Title: html.UnescapeString(it.Title), Text: plainText(it.Body),
				Published: time.Unix(it.CreationDate, 0).UTC(), Score: it.Score, Comments: it.AnswerCount})
		}
		if !a.HasMore || a.Backoff > 0 {
			break
		}
	}
	items, next := m.admit(tidy(items, now))
	return items, next, nil
}
