package watchsrc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
	"github.com/liaison-bot/liaison/jobs"
)

// sink collects what a Poller hands on, and fails when told to.
type sink struct {
	mu   sync.Mutex
	got  []string
	fail error
}

func (s *sink) take(_ context.Context, items []watch.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for _, it := range items {
		s.got = append(s.got, it.ID)
	}
	return nil
}

func (s *sink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.got)
	slices.Sort(out)
	return out
}

func pollerOptions(fake *watchfake.Server, clock bot.Clock, lg *logs) Options {
	o := Options{UserAgent: "Liaison-test (+https://acme.example/bot)", Clock: clock, Logger: lg.logger(),
		Feeds: []Feed{{"tech", "https://news.example.com/rss"}}}
	o.FromEnv(func(k string) string { return fake.Env()[k] })
	return o
}

var brandEverywhere = []Watched{{Search: brand, Sources: []string{watch.SourceFeeds, watch.SourceHN}}}

func rssOf(guids ...string) string {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel>`)
	for _, g := range guids {
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>AcmeCloud %s</title></item>`, g, g)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func TestPollerNeitherMissesNorRepeatsAcrossARestart(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := storetest.URL(t, dialect)
			fake := watchfake.New()
			defer fake.Close()
			clock := bot.NewManualClock(t0)
			lg := &logs{}
			fake.AddHN(watchfake.HNHit{ID: "1", Created: t0.Add(-time.Hour), Author: "a", Title: "AcmeCloud one"},
				watchfake.HNHit{ID: "2", Created: t0.Add(-time.Minute), Author: "b", Title: "AcmeCloud two"})
			fake.SetFeed("news.example.com/rss", "", rssOf("e1"), t0)

			db1 := storetest.OpenURL(t, url, store.Options{})
			if _, err := db1.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			first := &sink{}
			p1, err := NewPoller(db1, pollerOptions(fake, clock, lg), first.take)
			if err != nil {
				t.Fatal(err)
			}
			p1.SetSearches(brandEverywhere)
			if n, err := p1.Run(ctx, clock.Now()); err != nil || n != 3 {
				t.Fatalf("first poll = %d, %v; want 3 items", n, err)
			}
			if diff := slices.Compare(first.ids(), []string{"e1", "hn:1", "hn:2"}); diff != 0 {
				t.Fatalf("first poll handed on %v", first.ids())
			}

			// New items arrive; the watch fails to take them, then the process dies.
			fake.AddHN(watchfake.HNHit{ID: "3", Created: clock.Advance(5 * time.Minute).Add(-time.Minute), Author: "c", Title: "AcmeCloud three"})
			fake.SetFeed("news.example.com/rss", "", rssOf("e2", "e1"), clock.Now())
			first.fail = errors.New("database is gone")
			if _, err := p1.Run(ctx, clock.Now()); err == nil {
				t.Fatal("a poll whose Sink failed reported no error")
			}
			db1.Close()

			db2 := storetest.OpenURL(t, url, store.Options{})
			second := &sink{}
			p2, err := NewPoller(db2, pollerOptions(fake, clock, lg), second.take)
			if err != nil {
				t.Fatal(err)
			}
			p2.SetSearches(brandEverywhere)
			before := len(fake.Requests(watchfake.Feeds))
			if _, err := p2.Run(ctx, clock.Now()); err != nil {
				t.Fatal(err)
			}
			if got := second.ids(); !slices.Equal(got, []string{"e2", "hn:3"}) {
				t.Fatalf("after the restart the poller handed on %v, want [e2 hn:3]: nothing missed, nothing repeated", got)
			}
			if r := fake.Requests(watchfake.Feeds)[before]; r.Header.Get("If-None-Match") == "" {
				t.Errorf("the restarted poller forgot the feed's ETag")
			}
			// Nothing new: a 304 for the feed, nothing handed on.
			clock.Advance(5 * time.Minute)
			if n, err := p2.Run(ctx, clock.Now()); err != nil || n != 0 {
				t.Fatalf("an idle poll = %d, %v", n, err)
			}
		})
	}
}

// reported records what Report was asked to say, writing it to the outbox in
// the health transaction as the lead's wiring does.
type reported struct {
	mu    sync.Mutex
	texts []string
}

func (r *reported) report(now func() time.Time) func(ctx context.Context, tx *store.Tx, source, text string) error {
	return func(ctx context.Context, tx *store.Tx, source, text string) error {
		r.mu.Lock()
		n := len(r.texts)
		r.texts = append(r.texts, source+": "+text)
		r.mu.Unlock()
		_, err := tx.Enqueue(ctx, now(), &bot.OutboxMessage{Key: fmt.Sprintf("watch-health:%s:%d", source, n), Platform: bot.PlatformSlack,
			Kind: bot.KindPost, Payload: bot.Payload(map[string]string{"channel_id": "C01WATCH", "text": text})})
		return err
	}
}

func TestAnOutageIsReportedOnceAfterThirtyMinutesAndOnceWhenItEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := watchfake.New()
		defer fake.Close()
		clock := bot.NewManualClock(t0)
		lg := &logs{}
		rep := &reported{}
		o := pollerOptions(fake, clock, lg)
		o.Report = rep.report(clock.Now)
		s := &sink{}
		p, err := NewPoller(db, o, s.take)
		if err != nil {
			t.Fatal(err)
		}
		p.SetSearches([]Watched{{Search: brand, Sources: []string{watch.SourceHN}}})

		// A short hiccup is never reported.
		fake.Outage(watchfake.HN, true)
		p.Run(ctx, clock.Now())
		fake.Outage(watchfake.HN, false)
		for range 10 {
			p.Run(ctx, clock.Advance(time.Minute))
		}
		if len(rep.texts) != 0 {
			t.Fatalf("a 10-minute hiccup was reported: %v", rep.texts)
		}

		// A long outage: one notice after 30 minutes, one when it ends.
		fake.Outage(watchfake.HN, true)
		start := clock.Now()
		for clock.Now().Sub(start) < 3*time.Hour {
			if _, err := p.Run(ctx, clock.Now()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		if len(rep.texts) != 1 {
			t.Fatalf("a 3-hour outage was reported %d times, want once: %v", len(rep.texts), rep.texts)
		}
		if txt := rep.texts[0]; !strings.HasPrefix(txt, "hn: The watch cannot read Hacker News since") || !strings.Contains(txt, "answered 503 Service Unavailable") {
			t.Errorf("notice = %q", txt)
		}
		fake.Outage(watchfake.HN, false)
		fake.AddHN(watchfake.HNHit{ID: "9", Created: clock.Now().Add(-time.Hour), Author: "a", Title: "AcmeCloud meanwhile"})
		for range 90 {
			if _, err := p.Run(ctx, clock.Advance(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if len(rep.texts) != 2 || !strings.HasPrefix(rep.texts[1], "hn: The watch reads Hacker News again") {
			t.Fatalf("after recovery the notices are %v", rep.texts)
		}
		if !slices.Contains(s.ids(), "hn:9") {
			t.Errorf("what was published during the outage was not caught up: %v", s.ids())
		}
		msgs, err := db.ClaimOutbox(ctx, "test", clock.Now(), 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("outbox = %d rows, %v; want the two notices", len(msgs), err)
		}
		if n := strings.Count(lg.String(), "reported once"); n != 1 {
			t.Errorf("the outage was logged as reported %d times", n)
		}
	})
}

func TestPollerPacesASourceWithinItsRateLimit(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	fake := watchfake.New()
	defer fake.Close()
	clock := bot.NewManualClock(t0)
	lg := &logs{}
	s := &sink{}
	p, err := NewPoller(db, pollerOptions(fake, clock, lg), s.take)
	if err != nil {
		t.Fatal(err)
	}
	// Two searches on Stack Exchange without a key (300 a day): one poll
	// every 576s, not every 5 minutes.
	other := watch.Search{Query: "other", Terms: []string{"widgetco"}}
	p.SetSearches([]Watched{{Search: brand, Sources: []string{watch.SourceStackExchange}}, {Search: other, Sources: []string{watch.SourceStackExchange}}})
	polls := func() int { return len(fake.Requests(watchfake.StackExchange)) }
	p.Run(ctx, clock.Now())
	if polls() != 2 {
		t.Fatalf("first poll made %d requests, want 2", polls())
	}
	p.Run(ctx, clock.Advance(5*time.Minute))
	if polls() != 2 {
		t.Errorf("polled again after 5 minutes: %d requests", polls())
	}
	p.Run(ctx, clock.Advance(5*time.Minute))
	if polls() != 4 {
		t.Errorf("not polled after 10 minutes: %d requests", polls())
	}
	if !strings.Contains(lg.String(), "less often than poll_every") || !strings.Contains(lg.String(), "every=9m36s") {
		t.Errorf("pacing not logged:\n%s", lg)
	}
}

func TestPollerRunsAsAJobUnderTheSchedulersLease(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	fake := watchfake.New()
	defer fake.Close()
	clock := bot.NewManualClock(t0)
	s := &sink{}
	p, err := NewPoller(db, pollerOptions(fake, clock, &logs{}), s.take)
	if err != nil {
		t.Fatal(err)
	}
	p.SetSearches(brandEverywhere)
	fake.SetFeed("news.example.com/rss", "", rssOf("e1"), t0)
	sched := &jobs.Scheduler{Leases: db, Clock: clock, Holder: "replica-1"}
	sched.Add(p.Job())
	n, err := sched.RunDue(context.Background())
	if err != nil || n != 1 || !slices.Equal(s.ids(), []string{"e1"}) {
		t.Fatalf("scheduler tick = %d, %v, handed on %v", n, err, s.ids())
	}
}

func TestBadInputIsLoggedAndReportedOncePerOutage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		sources []string
		mod     func(*Options)
		search  *watch.Search // default: brand with #acmecloud
		break_  func(*watchfake.Server)
		unit    string
		says    string
	}{
		{"a feed that is an HTML page", []string{watch.SourceFeeds}, nil,
			nil, func(f *watchfake.Server) {
				f.SetFeed("news.example.com/rss", "text/html", "<!doctype html><html><body>Welcome</body></html>", t0)
			}, "feeds:tech", "The watch cannot read the feed tech since"},
		{"malformed XML", []string{watch.SourceFeeds}, nil, nil,
			func(f *watchfake.Server) { f.SetFeed("news.example.com/rss", "", "<rss><channel><item></channel>", t0) },
			"feeds:tech", "malformed XML"},
		{"a private subreddit", []string{watch.SourceReddit}, func(o *Options) { o.Subreddits = []string{"acme"} },
			&watch.Search{Query: "all of r/acme"},
			func(f *watchfake.Server) {
				for range 100 {
					f.Respond(watchfake.Reddit, watchfake.Answer{Status: 403, Body: `{"reason":"private","message":"Forbidden","error":403}`})
				}
			}, "reddit:r/acme", "the subreddit is private"},
		{"a Mastodon instance that needs login", []string{watch.SourceMastodon}, nil, nil,
			func(f *watchfake.Server) { f.MastodonLoginRequired(true, "") }, "mastodon:mastodon.social", "requires a logged-in user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, store.SQLite)
			ctx := context.Background()
			fake := watchfake.New()
			defer fake.Close()
			clock := bot.NewManualClock(t0)
			lg := &logs{}
			rep := &reported{}
			o := pollerOptions(fake, clock, lg)
			o.Report = rep.report(clock.Now)
			if tc.mod != nil {
				tc.mod(&o)
			}
			tc.break_(fake)
			s := &sink{}
			p, err := NewPoller(db, o, s.take)
			if err != nil {
				t.Fatal(err)
			}
			tagged := brand
			tagged.Hashtags = []string{"acmecloud"}
			if tc.search != nil {
				tagged = *tc.search
			}
			p.SetSearches([]Watched{{Search: tagged, Sources: tc.sources}})
			for range 120 {
				if _, err := p.Run(ctx, clock.Now()); err != nil {
					t.Fatal(err)
				}
				clock.Advance(time.Minute)
			}
			if len(rep.texts) != 1 || !strings.HasPrefix(rep.texts[0], tc.unit+": ") || !strings.Contains(rep.texts[0], tc.says) {
				t.Fatalf("two hours of %s were reported as %q; want one notice for %s saying %q", tc.name, rep.texts, tc.unit, tc.says)
			}
			if !strings.Contains(lg.String(), "watch: a source failed") {
				t.Errorf("no log line for the failure:\n%s", lg)
			}
			if len(s.ids()) != 0 {
				t.Errorf("bad input handed on items: %v", s.ids())
			}
		})
	}
}

// eventually waits for cond with a generous timeout: the machine may be
// loaded, and no test here depends on its speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAHangingSourceDoesNotHoldBackTheOthers(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, dialect)
			fake := watchfake.New()
			defer fake.Close()
			clock := bot.NewManualClock(t0)
			fake.AddHN(watchfake.HNHit{ID: "1", Created: t0.Add(-time.Hour), Author: "a", Title: "AcmeCloud one"})
			fake.SetFeed("news.example.com/rss", "", rssOf("e1"), t0)
			fake.Hold(watchfake.Feeds) // the feed hangs: it is polled first
			s := &sink{}
			p, err := NewPoller(db, pollerOptions(fake, clock, &logs{}), s.take)
			if err != nil {
				t.Fatal(err)
			}
			p.SetSearches(brandEverywhere)
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() {
				n, err := p.Run(ctx, clock.Now())
				done <- result{n, err}
			}()
			// HN's item is handed on while the feed still hangs, and HN's
			// cursor is saved.
			eventually(t, "HN's item while the feed hangs", func() bool { return slices.Contains(s.ids(), "hn:1") })
			eventually(t, "the poller to ask for the feed", func() bool { return len(fake.Requests(watchfake.Feeds)) > 0 })
			select {
			case r := <-done:
				t.Fatalf("the poll ended (%d, %v) while the feed still hangs", r.n, r.err)
			default:
			}
			// The cursor is saved once HN's items are handed on: soon after.
			eventually(t, "HN's cursor to be saved while the feed hangs", func() bool {
				c, err := db.WatchCursor(ctx, watch.SourceHN, searchKey("", brand))
				if err != nil {
					t.Fatal(err)
				}
				return c.Value != ""
			})
			// The feed answers at last: its item follows, once.
			fake.Release(watchfake.Feeds)
			r := <-done
			if r.err != nil || r.n != 2 || !slices.Equal(s.ids(), []string{"e1", "hn:1"}) {
				t.Fatalf("the poll = %d, %v, handed on %v; want e1 and hn:1", r.n, r.err, s.ids())
			}
		})
	}
}

func TestAHangingFeedDoesNotHoldBackTheOtherFeeds(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	fake := watchfake.New()
	defer fake.Close()
	clock := bot.NewManualClock(t0)
	fake.SetFeed("news.example.com/rss", "", rssOf("t1"), t0)
	fake.SetFeed("blog.example.com/feed", "", rssOf("b1"), t0)
	fake.Hold("news.example.com/rss") // the first feed hangs
	s := &sink{}
	o := pollerOptions(fake, clock, &logs{})
	o.Feeds = append(o.Feeds, Feed{"blog", "https://blog.example.com/feed"})
	p, err := NewPoller(db, o, s.take)
	if err != nil {
		t.Fatal(err)
	}
	p.SetSearches([]Watched{{Search: brand, Sources: []string{watch.SourceFeeds}}})
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), clock.Now())
		done <- err
	}()
	eventually(t, "the second feed's item while the first hangs", func() bool { return slices.Contains(s.ids(), "b1") })
	select {
	case err := <-done:
		t.Fatalf("the poll ended (%v) while a feed still hangs", err)
	default:
	}
	fake.Release("news.example.com/rss")
	if err := <-done; err != nil || !slices.Equal(s.ids(), []string{"b1", "t1"}) {
		t.Fatalf("the poll = %v, handed on %v; want b1 and t1", err, s.ids())
	}
}
