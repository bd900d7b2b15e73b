package watchsrc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
)

// bundle is what an adapter test needs: the fake web, the sources pointed at
// it, the clock and the log.
type bundle struct {
	fake    *watchfake.Server
	clock   *bot.ManualClock
	logs    *logs
	sources map[string]Source
}

func setup(t *testing.T, mod func(*Options)) *bundle {
	t.Helper()
	fake := watchfake.New()
	t.Cleanup(fake.Close)
	b := &bundle{fake: fake, clock: bot.NewManualClock(t0), logs: &logs{}, sources: map[string]Source{}}
	o := Options{UserAgent: "Liaison-test (+https://acme.example/bot)", Clock: b.clock, Logger: b.logs.logger()}
	o.FromEnv(func(k string) string { return fake.Env()[k] })
	if mod != nil {
		mod(&o)
	}
	srcs, _, err := NewSources(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		b.sources[s.ID()] = s
	}
	return b
}

var brand = watch.Search{Query: "brand", Terms: []string{"acmecloud"}}

// fetch runs one target of source: the only one, or the one whose key
// contains key.
func (b *bundle) fetch(t *testing.T, source, key string, searches []watch.Search, c Cursor) ([]watch.Item, Cursor, error) {
	t.Helper()
	s := b.sources[source]
	for _, tg := range s.Targets(searches) {
		if strings.Contains(tg.Key, key) {
			return s.Fetch(context.Background(), tg, c)
		}
	}
	t.Fatalf("%s has no target %q among %v", source, key, s.Targets(searches))
	return nil, c, nil
}

func ids(items []watch.Item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestFeedsReadRSSAtomAndRDFWithConditionalGET(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Feeds = []Feed{{"tech", "https://news.example.com/rss"}, {"blog", "https://blog.example.org/atom.xml"}, {"rdf", "https://old.example.net/index.rdf"}}
	})
	b.fake.SetFeed("news.example.com/rss", "", `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Tech</title>
<item><title>Acme Cloud is down</title><link>https://news.example.com/a1</link><guid>a1</guid>
 <description>&lt;p&gt;Users report &lt;b&gt;outages&lt;/b&gt;&amp;nbsp;today&lt;/p&gt;</description>
 <pubDate>Tue, 24 Nov 2026 08:00:00 +0000</pubDate><dc:creator>Jane</dc:creator></item>
<item><title>Acme Cloud is down</title><link>https://news.example.com/a1</link><guid>a1</guid><pubDate>Tue, 24 Nov 2026 08:00:00 +0000</pubDate></item>
<item><title>From the future</title><link>/a2</link><pubDate>Tue, 24 Nov 2099 08:00:00 +0000</pubDate></item>
</channel></rss>`, t0.Add(-time.Hour))
	b.fake.SetFeed("blog.example.org/atom.xml", "application/atom+xml", `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
<entry><id>tag:blog,2026:1</id><title type="html">Why &lt;em&gt;AcmeCloud&lt;/em&gt;</title>
 <link rel="alternate" href="https://blog.example.org/why"/><link rel="edit" href="https://blog.example.org/edit/1"/>
 <published>2026-11-24T07:30:00Z</published><author><name>Max</name></author>
 <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>We moved to <a href="x">AcmeCloud</a>.</p></div></content></entry>
</feed>`, t0.Add(-time.Hour))
	b.fake.SetFeed("old.example.net/index.rdf", "application/rdf+xml", `<?xml version="1.0" encoding="ISO-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://old.example.net/"><title>Old</title></channel>
<item rdf:about="https://old.example.net/1"><title>Caf`+"\xe9"+` AcmeCloud</title><link>https://old.example.net/1</link><dc:date>2026-11-24T06:00:00Z</dc:date></item>
</rdf:RDF>`, t0.Add(-time.Hour))

	items, c, err := b.fetch(t, watch.SourceFeeds, "tech", nil, Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(items); !slices.Equal(got, []string{"a1", "https://news.example.com/a2"}) {
		t.Fatalf("RSS items = %v, want a1 once and the relative link resolved", got)
	}
	if it := items[0]; it.Text != "Users report outages today" || it.Author != "Jane" || it.Feed != "tech" || it.Source != "feeds" {
		t.Errorf("RSS item = %+v, want HTML stripped, the dc:creator and the feed's name", it)
	}
	if !items[1].Published.Equal(t0) {
		t.Errorf("an item dated 2099 is dated %v, want clamped to the fetch time %v", items[1].Published, t0)
	}
	if c.ETag == "" || c.LastModified == "" {
		t.Fatalf("cursor %+v keeps no validators", c)
	}
	again, c2, err := b.fetch(t, watch.SourceFeeds, "tech", nil, c)
	if err != nil || len(again) != 0 || c2 != c {
		t.Fatalf("second fetch = %v, %+v, %v; want nothing through a 304, the cursor unchanged", ids(again), c2, err)
	}
	reqs := b.fake.Requests(watchfake.Feeds)
	if last := reqs[len(reqs)-1]; last.Header.Get("If-None-Match") != c.ETag || !strings.Contains(last.Header.Get("User-Agent"), "acme.example/bot") {
		t.Errorf("the second request sent If-None-Match %q, User-Agent %q", last.Header.Get("If-None-Match"), last.Header.Get("User-Agent"))
	}

	atom, _, err := b.fetch(t, watch.SourceFeeds, "blog", nil, Cursor{})
	if err != nil || len(atom) != 1 {
		t.Fatalf("atom = %v, %v", atom, err)
	}
	if a := atom[0]; a.Title != "Why AcmeCloud" || a.Text != "We moved to AcmeCloud ." || a.URL != "https://blog.example.org/why" || a.Author != "Max" {
		t.Errorf("atom entry = %+v", a)
	}
	rdf, _, err := b.fetch(t, watch.SourceFeeds, "rdf", nil, Cursor{})
	if err != nil || len(rdf) != 1 || rdf[0].Title != "Café AcmeCloud" {
		t.Fatalf("RDF in ISO-8859-1 = %+v, %v", rdf, err)
	}
}

func TestFeedsHandOnOnlyNewEntries(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Feeds = []Feed{{"tech", "https://news.example.com/rss"}} })
	rss := func(items ...string) string {
		var s strings.Builder
		s.WriteString(`<rss version="2.0"><channel>`)
		for _, it := range items {
			fmt.Fprintf(&s, `<item><title>%s</title><guid>%s</guid></item>`, it, it) // no dates at all
		}
		s.WriteString(`</channel></rss>`)
		return s.String()
	}
	b.fake.SetFeed("news.example.com/rss", "", rss("one", "two"), t0)
	first, c, err := b.fetch(t, watch.SourceFeeds, "tech", nil, Cursor{})
	if err != nil || len(first) != 2 {
		t.Fatalf("first = %v, %v", ids(first), err)
	}
	b.clock.Advance(time.Hour)
	b.fake.SetFeed("news.example.com/rss", "", rss("three", "one", "two"), t0.Add(time.Hour))
	next, _, err := b.fetch(t, watch.SourceFeeds, "tech", nil, c)
	if err != nil || !slices.Equal(ids(next), []string{"three"}) {
		t.Fatalf("after a new entry: %v, %v; want [three]", ids(next), err)
	}
}

func TestFeedsRefuseBadInputClearly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, contentType, body string
		want                    string
	}{
		{"an HTML page", "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>", "not an RSS or Atom feed"},
		{"HTML served as XML", "application/xml", "<html><body>hi</body></html>", "not an RSS or Atom feed"},
		{"malformed XML", "", `<rss><channel><item><title>a</title></itm></channel></rss>`, "malformed XML"},
		{"JSON", "application/json", `{"items":[]}`, "not an RSS or Atom feed"},
		{"truncated XML", "", `<rss><channel><item><title>a</title>`, "malformed XML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *Options) { o.Feeds = []Feed{{"bad", "https://bad.example.com/feed"}} })
			b.fake.SetFeed("bad.example.com/feed", tc.contentType, tc.body, t0)
			items, c, err := b.fetch(t, watch.SourceFeeds, "bad", nil, Cursor{Value: "keep"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "feed bad") {
				t.Fatalf("fetch = %v, %v; want an error naming the feed and saying %q", ids(items), err, tc.want)
			}
			if c.Value != "keep" {
				t.Errorf("the cursor moved to %q on an error", c.Value)
			}
		})
	}
}

func TestFeedsCutAtTheCapKeepTheWholeEntriesBeforeIt(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Feeds = []Feed{{"huge", "https://huge.example.com/feed"}} })
	var s strings.Builder
	s.WriteString(`<rss version="2.0"><channel>`)
	pad := strings.Repeat("x", 1000)
	for i := 0; s.Len() < MaxBody+50000; i++ {
		fmt.Fprintf(&s, `<item><guid>g%d</guid><title>t%d</title><description>%s</description></item>`, i, i, pad)
	}
	s.WriteString(`</channel></rss>`)
	b.fake.SetFeed("huge.example.com/feed", "", s.String(), t0)
	items, _, err := b.fetch(t, watch.SourceFeeds, "huge", nil, Cursor{})
	if err != nil || len(items) < 9000 {
		t.Fatalf("a feed over %d bytes = %d items, %v; want the entries before the cut", MaxBody, len(items), err)
	}
	if !strings.Contains(b.logs.String(), "longer than the cap") {
		t.Errorf("the cut was not logged:\n%s", b.logs)
	}
}

func TestFeedsRefuseAURLWithCredentials(t *testing.T) {
	t.Parallel()
	o := Options{UserAgent: "Liaison (+https://acme.example/bot)", Feeds: []Feed{{"private", "https://bob:secret@intranet.example.com/rss"}}}
	_, _, err := NewSources(o)
	if !errors.Is(err, ErrCredentialsInURL) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("NewSources(a feed with credentials) = %v; want ErrCredentialsInURL without the password", err)
	}
}

func TestHNPagesThroughNewStoriesAndComments(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	var hits []watchfake.HNHit
	for i := range 230 {
		hits = append(hits, watchfake.HNHit{ID: fmt.Sprint(1000 + i), Created: t0.Add(-time.Duration(i+1) * time.Minute), Author: "u",
			Title: fmt.Sprintf("AcmeCloud %d", i), Points: i})
	}
	hits[0].URL = "https://acme.example/blog/launch"
	hits = append(hits, watchfake.HNHit{ID: "2000", Created: t0.Add(-30 * time.Second), Author: "jdoe", Comment: true,
		Text: "I <i>love</i> AcmeCloud<p>really", StoryID: 1000, StoryTitle: "AcmeCloud 0", StoryURL: "https://acme.example/blog/launch"})
	hits = append(hits, hits[5]) // the same hit twice in the index
	b.fake.AddHN(hits...)
	items, c, err := b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 231 {
		t.Fatalf("got %d items, want 231 (3 pages, one duplicate dropped)", len(items))
	}
	if n := len(b.fake.Requests(watchfake.HN)); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
	byID := map[string]watch.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	if s := byID["hn:1000"]; s.StoryURL != "https://acme.example/blog/launch" || s.URL != "https://news.ycombinator.com/item?id=1000" {
		t.Errorf("link story = %+v", s)
	}
	if cm := byID["hn:2000"]; cm.Text != "I love AcmeCloud\nreally" || cm.StoryURL != "https://acme.example/blog/launch" || cm.Title != "" {
		t.Errorf("comment = %+v", cm)
	}
	q := b.fake.Requests(watchfake.HN)[0].Query
	if q.Get("tags") != "(story,comment)" || !strings.HasPrefix(q.Get("numericFilters"), "created_at_i>") || q.Get("query") != "acmecloud" {
		t.Errorf("query = %v", q)
	}
	// The next poll hands on only what is new.
	b.clock.Advance(5 * time.Minute)
	b.fake.AddHN(watchfake.HNHit{ID: "3000", Created: t0.Add(2 * time.Minute), Author: "v", Title: "AcmeCloud again"})
	next, _, err := b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, c)
	if err != nil || !slices.Equal(ids(next), []string{"hn:3000"}) {
		t.Fatalf("next poll = %v, %v; want [hn:3000]", ids(next), err)
	}
}

func TestHNBacksOffOn429AndSurvivesOutagesAndMissingFields(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.fake.AddHN(watchfake.HNHit{ID: "1", Created: t0.Add(-time.Minute), Author: "u", Title: "AcmeCloud"})
	b.fake.Fail(watchfake.HN, 429, "90", 1)
	_, c, err := b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, Cursor{Value: "kept"})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 429 || c.Value != "kept" {
		t.Fatalf("429 = %v (cursor %q)", err, c.Value)
	}
	_, _, err = b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, Cursor{})
	var de *DeferredError
	if !errors.As(err, &de) || !de.Until.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("during Retry-After = %v, want deferred to +90s", err)
	}
	b.clock.Advance(90 * time.Second)
	b.fake.Outage(watchfake.HN, true)
	if _, _, err := b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, Cursor{}); !errors.As(err, &se) || se.Status != 503 {
		t.Fatalf("outage = %v", err)
	}
	b.fake.Outage(watchfake.HN, false)
	b.clock.Advance(time.Hour)
	b.fake.Respond(watchfake.HN, watchfake.Answer{Body: `{"hits":[{"title":"no id"},{"objectID":"7","created_at_i":` +
		fmt.Sprint(t0.Add(time.Hour-time.Minute).Unix()) + `}],"nbPages":1}`})
	items, _, err := b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, Cursor{})
	if err != nil || !slices.Equal(ids(items), []string{"hn:7"}) {
		t.Fatalf("an answer with missing fields = %v, %v; want the whole hit only", ids(items), err)
	}
	if !strings.Contains(b.logs.String(), "skipped a hit without objectID") {
		t.Errorf("the skipped hit was not logged:\n%s", b.logs)
	}
	b.fake.Respond(watchfake.HN, watchfake.Answer{Body: `<html>oops</html>`})
	if _, _, err := b.fetch(t, watch.SourceHN, "", []watch.Search{brand}, Cursor{}); err == nil || !strings.Contains(err.Error(), "not the JSON") {
		t.Fatalf("an HTML answer = %v", err)
	}
}

func TestRedditAnonymousSearchAndSubredditListing(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Subreddits = []string{"golang"} })
	var posts []watchfake.RedditPost
	for i := range 130 {
		posts = append(posts, watchfake.RedditPost{ID: fmt.Sprintf("p%d", i), Subreddit: "cloud", Title: fmt.Sprintf("AcmeCloud %d", i),
			Selftext: "**bold**", Self: true, Author: "a", Created: t0.Add(-time.Duration(i+1) * time.Minute)})
	}
	posts = append(posts, watchfake.RedditPost{ID: "link1", Subreddit: "golang", Title: "Go on AcmeCloud", URL: "https://acme.example/go",
		Author: "g", Created: t0.Add(-time.Second), Score: 12, Comments: 3})
	b.fake.AddReddit(posts...)
	items, _, err := b.fetch(t, watch.SourceReddit, "acmecloud", []watch.Search{brand}, Cursor{})
	if err != nil || len(items) != 131 {
		t.Fatalf("search = %d items, %v; want 131 over two pages", len(items), err)
	}
	reqs := b.fake.Requests(watchfake.Reddit)
	if len(reqs) != 2 || reqs[0].Path != "/search.json" || reqs[0].Query.Get("sort") != "new" || reqs[1].Query.Get("after") == "" {
		t.Fatalf("requests = %+v", reqs)
	}
	if reqs[0].Header.Get("Authorization") != "" {
		t.Errorf("an anonymous request sent Authorization")
	}
	sub, _, err := b.fetch(t, watch.SourceReddit, "r/golang", []watch.Search{brand}, Cursor{})
	if err != nil || len(sub) != 1 {
		t.Fatalf("r/golang = %v, %v", ids(sub), err)
	}
	if it := sub[0]; it.StoryURL != "https://acme.example/go" || it.URL != "https://www.reddit.com/r/golang/comments/link1/go_on_acmecloud/" || it.Score != 12 {
		t.Errorf("link post = %+v", it)
	}
	b.fake.Fail(watchfake.Reddit, http.StatusForbidden, "", 1)
	_, _, err = b.fetch(t, watch.SourceReddit, "r/golang", nil, Cursor{})
	if err == nil || !strings.Contains(err.Error(), "403 Forbidden: the subreddit is private") {
		t.Fatalf("403 = %v, want it explained", err)
	}
}

func TestRedditUsesAnOAuthTokenWhenCredentialsAreSet(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RedditClientID, o.RedditClientSecret = "cid", "csecret" })
	b.fake.RedditCredentials("cid", "csecret")
	b.fake.AddReddit(watchfake.RedditPost{ID: "x", Subreddit: "s", Title: "AcmeCloud", Self: true, Author: "a", Created: t0.Add(-time.Minute)})
	for range 2 {
		items, _, err := b.fetch(t, watch.SourceReddit, "", []watch.Search{brand}, Cursor{})
		if err != nil || len(items) != 1 {
			t.Fatalf("oauth search = %v, %v", ids(items), err)
		}
	}
	if n := b.fake.RedditTokensIssued(); n != 1 {
		t.Errorf("%d tokens asked for, want 1 reused", n)
	}
	reqs := b.fake.Requests(watchfake.Reddit)
	if last := reqs[len(reqs)-1]; last.Path != "/search" || last.Header.Get("Authorization") != "Bearer tok-1" {
		t.Errorf("API request = %s %v", last.Path, last.Header)
	}
	if got := b.sources[watch.SourceReddit].Rate(); got != (Rate{N: 100, Per: time.Minute}) {
		t.Errorf("OAuth rate = %v, want 100/min", got)
	}
}

func TestMastodonSaysOnceThatAnInstanceNeedsLogin(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tagged := watch.Search{Query: "brand", Hashtags: []string{"AcmeCloud"}}
	b.fake.AddStatuses(watchfake.Status{ID: "100", Created: t0.Add(-time.Minute), Acct: "ann", Content: "<p>Love <a href=\"#\">#AcmeCloud</a></p>", Tags: []string{"acmecloud"}, Lang: "en", CardURL: "https://acme.example/post"},
		watchfake.Status{ID: "101", Created: t0.Add(-time.Minute), Acct: "bob", Content: "boost", Tags: []string{"acmecloud"}, Reblog: true})
	items, c, err := b.fetch(t, watch.SourceMastodon, "#acmecloud", []watch.Search{tagged}, Cursor{})
	if err != nil || len(items) != 1 {
		t.Fatalf("tag timeline = %v, %v; want the post, not the boost", ids(items), err)
	}
	if it := items[0]; it.Text != "Love #AcmeCloud" || it.Author != "ann" || it.Lang != "en" || it.StoryURL != "https://acme.example/post" {
		t.Errorf("status = %+v", it)
	}
	if c.Value != "101" {
		t.Errorf("cursor = %q, want the newest id 101", c.Value)
	}
	b.fake.AddStatuses(watchfake.Status{ID: "102", Created: t0, Acct: "cy", Content: "#acmecloud", Tags: []string{"acmecloud"}})
	next, _, err := b.fetch(t, watch.SourceMastodon, "#acmecloud", []watch.Search{tagged}, c)
	if err != nil || len(next) != 1 || !strings.HasSuffix(next[0].ID, "/102") {
		t.Fatalf("next = %v, %v", ids(next), err)
	}
	if q := b.fake.Requests(watchfake.Mastodon); q[len(q)-1].Query.Get("min_id") != "101" {
		t.Errorf("min_id = %q", q[len(q)-1].Query.Get("min_id"))
	}

	b.fake.MastodonLoginRequired(true, "")
	for range 3 {
		_, _, err = b.fetch(t, watch.SourceMastodon, "#acmecloud", []watch.Search{tagged}, c)
		if !errors.Is(err, ErrLoginRequired) {
			t.Fatalf("login required = %v", err)
		}
		b.clock.Advance(2 * time.Hour) // past the backoff
	}
	if n := strings.Count(b.logs.String(), "requires a logged-in user"); n != 1 {
		t.Errorf("login requirement logged %d times, want once:\n%s", n, b.logs)
	}
}

func TestMastodonSearchesWithAToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.MastodonAccessToken = "mtok" })
	b.fake.MastodonLoginRequired(true, "mtok")
	b.fake.AddStatuses(watchfake.Status{ID: "5", Created: t0.Add(-time.Minute), Acct: "x@other.social", Content: "acmecloud rocks", Indexed: true},
		watchfake.Status{ID: "6", Created: t0.Add(-time.Minute), Acct: "y", Content: "acmecloud hidden"})
	items, _, err := b.fetch(t, watch.SourceMastodon, "acmecloud", []watch.Search{brand}, Cursor{})
	if err != nil || len(items) != 1 || items[0].Author != "x@other.social" {
		t.Fatalf("v2 search = %+v, %v; want the opted-in post only", items, err)
	}
	if r := b.fake.Requests(watchfake.Mastodon)[0]; r.Path != "/api/v2/search" || r.Query.Get("type") != "statuses" || r.Header.Get("Authorization") != "Bearer mtok" {
		t.Errorf("request = %+v", r)
	}
}

func TestStackExchangeHonoursBackoffAndPages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for i := range 120 {
		b.fake.AddQuestions(watchfake.Question{ID: int64(500 + i), Site: "stackoverflow", Title: "AcmeCloud &amp; Go", Body: "<p>How?</p>",
			Owner: "J&#252;rgen", Created: t0.Add(-time.Duration(i+1) * time.Minute)})
	}
	b.fake.StackExchangeQuota(300, 30)
	items, _, err := b.fetch(t, watch.SourceStackExchange, "", []watch.Search{brand}, Cursor{})
	if err != nil || len(items) != 100 {
		t.Fatalf("first page with backoff = %d, %v; want 100 (no second page during the backoff)", len(items), err)
	}
	if it := items[0]; it.Title != "AcmeCloud & Go" || it.Author != "Jürgen" || it.Text != "How?" || it.ID != "se:stackoverflow:500" {
		t.Errorf("question = %+v", it)
	}
	_, _, err = b.fetch(t, watch.SourceStackExchange, "", []watch.Search{brand}, Cursor{})
	var de *DeferredError
	if !errors.As(err, &de) || !de.Until.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("during backoff = %v, want deferred 30s", err)
	}
	b.clock.Advance(30 * time.Second)
	all, _, err := b.fetch(t, watch.SourceStackExchange, "", []watch.Search{brand}, Cursor{})
	if err != nil || len(all) != 120 {
		t.Fatalf("after the backoff = %d, %v; want 120 over two pages", len(all), err)
	}
	r := b.fake.Requests(watchfake.StackExchange)[0]
	if r.Query.Get("site") != "stackoverflow" || r.Query.Get("sort") != "creation" || r.Query.Get("fromdate") == "" || r.Header.Get("Accept-Encoding") != "gzip" {
		t.Errorf("request = %v %v", r.Query, r.Header)
	}
	if got := b.sources[watch.SourceStackExchange].Rate(); got != (Rate{N: 300, Per: 24 * time.Hour}) {
		t.Errorf("keyless rate = %v", got)
	}
}

func TestGitHubSearchesIssuesWithItsToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.GitHubToken = "ghp_x"
		o.Rates = map[string]Rate{"github": {N: 100, Per: time.Minute}}
	})
	for i := range 150 {
		b.fake.AddIssues(watchfake.Issue{ID: int64(9000 + i), HTMLURL: fmt.Sprintf("https://github.com/o/r/issues/%d", i), Title: "AcmeCloud bug",
			Body: "crash", User: "dev", Created: t0.Add(-time.Duration(i+1) * time.Minute), Reactions: 2})
	}
	items, _, err := b.fetch(t, watch.SourceGitHub, "", []watch.Search{brand}, Cursor{})
	if err != nil || len(items) != 150 {
		t.Fatalf("github = %d, %v; want 150 over two pages", len(items), err)
	}
	reqs := b.fake.Requests(watchfake.GitHub)
	if len(reqs) != 2 || reqs[0].Header.Get("Authorization") != "Bearer ghp_x" || !strings.Contains(reqs[0].Query.Get("q"), "created:>=") {
		t.Errorf("requests = %d, first %v %v", len(reqs), reqs[0].Header, reqs[0].Query)
	}
	if got := b.sources[watch.SourceGitHub].Rate(); got != (Rate{N: 30, Per: time.Minute}) {
		t.Errorf("rate = %v, want 30/min: configuration may only lower it", got)
	}
	if !strings.Contains(b.logs.String(), "above what the source allows") {
		t.Errorf("the ignored rate was not logged:\n%s", b.logs)
	}
}

func TestGitHubReadsDiscussionsThroughGraphQLWithAToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.GitHubToken = "ghp_x" })
	for i := range 60 {
		b.fake.AddDiscussions(watchfake.Discussion{ID: fmt.Sprintf("D_%d", i), URL: fmt.Sprintf("https://github.com/o/r/discussions/%d", i),
			Title: "Moving to AcmeCloud?", Body: "thoughts", User: "dev", Created: t0.Add(-time.Duration(i+1) * time.Minute), Upvotes: 4})
	}
	b.fake.AddDiscussions(watchfake.Discussion{ID: "D_old", Title: "AcmeCloud", Created: t0.Add(-72 * time.Hour)})
	items, _, err := b.fetch(t, watch.SourceGitHub, "discussions", []watch.Search{brand}, Cursor{})
	if err != nil || len(items) != 60 {
		t.Fatalf("discussions = %d, %v; want 60 over two pages, none older than the backfill", len(items), err)
	}
	if it := items[0]; it.ID != "gh:D_0" || it.Score != 4 || it.Author != "dev" || it.Title != "Moving to AcmeCloud?" {
		t.Errorf("discussion = %+v", it)
	}
	var posts int
	for _, r := range b.fake.Requests(watchfake.GitHub) {
		if r.Method == http.MethodPost && r.Path == "/graphql" {
			posts++
		}
	}
	if posts != 2 {
		t.Errorf("%d GraphQL requests, want 2 pages", posts)
	}
	anon := setup(t, nil)
	for _, tg := range anon.sources[watch.SourceGitHub].Targets([]watch.Search{brand}) {
		if tg.Kind == "discussions" {
			t.Errorf("without a token GitHub asks GraphQL, which needs one: %+v", tg)
		}
	}
}

func TestSearchesWithoutWordsStillReachTheSourcesThatCanFilter(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	bySite := watch.Search{Query: "site", Sites: []string{"acme.example"}}
	byAuthor := watch.Search{Query: "ceo", Authors: []string{"acme_ceo"}}
	b.fake.AddHN(watchfake.HNHit{ID: "1", Created: t0.Add(-time.Minute), Author: "acme_ceo", Title: "We raised"})
	if _, _, err := b.fetch(t, watch.SourceHN, "", []watch.Search{bySite}, Cursor{}); err != nil {
		t.Fatal(err)
	}
	if q := b.fake.Requests(watchfake.HN)[0].Query; q.Get("query") != "acme.example" || q.Get("restrictSearchableAttributes") != "url" {
		t.Errorf("site-only HN query = %v", q)
	}
	items, _, err := b.fetch(t, watch.SourceHN, "", []watch.Search{byAuthor}, Cursor{})
	if err != nil || len(items) != 1 {
		t.Fatalf("author-only HN = %v, %v", ids(items), err)
	}
	if q := b.fake.Requests(watchfake.HN)[1].Query; q.Get("tags") != "(story,comment),(author_acme_ceo)" {
		t.Errorf("author tags = %q", q.Get("tags"))
	}
	if _, _, err := b.fetch(t, watch.SourceReddit, "", []watch.Search{bySite}, Cursor{}); err != nil {
		t.Fatal(err)
	}
	if q := b.fake.Requests(watchfake.Reddit)[0].Query; q.Get("q") != "site:acme.example" {
		t.Errorf("site-only Reddit query = %q", q.Get("q"))
	}
	if got := b.sources[watch.SourceStackExchange].Targets([]watch.Search{bySite}); len(got) != 0 {
		t.Errorf("Stack Exchange cannot search by site alone, yet has targets %v", got)
	}
}

func TestStackExchangeThrottleViolationHoldsTheHost(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.fake.StackExchangeQuota(0, 0)
	_, _, err := b.fetch(t, watch.SourceStackExchange, "", []watch.Search{brand}, Cursor{})
	if err == nil || !strings.Contains(err.Error(), "throttle_violation") {
		t.Fatalf("throttled = %v", err)
	}
	_, _, err = b.fetch(t, watch.SourceStackExchange, "", []watch.Search{brand}, Cursor{})
	var de *DeferredError
	if !errors.As(err, &de) || !de.Until.Equal(t0.Add(86400*time.Second)) {
		t.Fatalf("after a throttle_violation = %v, want held for the 86400 seconds it said", err)
	}
}

func TestHealthUnitsNameWhatFails(t *testing.T) {
	t.Parallel()
	for unit, want := range map[string]string{"hn": "Hacker News", "feeds:tech": "the feed tech",
		"mastodon:fosstodon.org": "Mastodon (fosstodon.org)", "reddit:r/acme": "Reddit (r/acme)", "stackexchange": "Stack Exchange"} {
		if got := sourceName(unit); got != want {
			t.Errorf("sourceName(%q) = %q, want %q", unit, got, want)
		}
	}
}
