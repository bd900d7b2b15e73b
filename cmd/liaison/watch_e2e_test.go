package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
)

const e2eWatchConfig = `
watch:
  user_agent: "Liaison (+https://acme.example/community-bot)"
  queries:
    - {name: brand, query: '"Acme Cloud" OR acmecloud -jobs', sources: [hn], route: marketing}
  alerts: community
`

// TestTheWatchPostsWhatHackerNewsSaysToSlackOnce runs `liaison run` with a
// watch: section against a fake Algolia API: a story about the brand
// reaches #marketing as a mention with its buttons; a job ad the query
// excludes does not; a restart on the same database posts nothing again.
func TestTheWatchPostsWhatHackerNewsSaysToSlackOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newE2EWorld(t, dialect)
			appendConfig(t, w.config, e2eWatchConfig)
			web := watchfake.New()
			t.Cleanup(web.Close)
			web.AddHN(
				watchfake.HNHit{ID: "4201", Created: time.Now().Add(-10 * time.Minute), Author: "jdoe",
					Title: "AcmeCloud launches a free tier", URL: "https://acme.example/blog/free?utm_source=hn", Points: 120, Comments: 14},
				watchfake.HNHit{ID: "4202", Created: time.Now().Add(-5 * time.Minute), Author: "hr",
					Title: "AcmeCloud jobs: we are hiring", URL: "https://acme.example/jobs"},
			)
			env := web.Env()
			tune := func(a *App) { a.Env.Watch = func(k string) string { return env[k] } }

			e, stop := w.launch(t, false, tune)
			e.waitSlack(t, "the mention in #marketing", func() bool { return len(e.slack.Messages("C01MARKETING")) >= 1 })
			msgs := e.slack.Messages("C01MARKETING")
			got := string(msgs[0].Blocks)
			for _, want := range []string{"Web mention #1 on hn by jdoe", "AcmeCloud launches a free tier", "news.ycombinator.com/item?id=4201", "Claim", "Mute author", "Not about us"} {
				if !strings.Contains(got, want) {
					t.Errorf("the mention lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, "hiring") {
				t.Errorf("the job ad the query excludes was posted:\n%s", got)
			}
			stop()

			// Started again on the same database, the watch asks HN for what
			// is newer than its cursor and posts nothing twice.
			asked := len(web.Requests("hn"))
			e, stop = w.launch(t, false, tune)
			defer stop()
			eventually(t, "the second run to poll HN", func() bool { return len(web.Requests("hn")) > asked })
			time.Sleep(300 * time.Millisecond) // the poll's outcome, had it posted, would be on its way
			if n := len(e.slack.Messages("C01MARKETING")); n != 1 {
				t.Errorf("%d messages in #marketing after a restart, want the one mention", n)
			}
		})
	}
}

const e2eWatchBurstConfig = `
watch:
  user_agent: "Liaison (+https://acme.example/community-bot)"
  feeds:
    - {name: tech-news, url: "https://news.example.com/rss"}
  queries:
    - {name: brand, query: '"Acme Cloud" OR acmecloud -jobs', sources: [feeds, hn], route: marketing}
  alerts: community
  burst: 1
`

// TestAHangingWatchSourceHoldsBackNoMentionAndABurstIsOneSpike runs
// `liaison run` with a feed that hangs (it is polled first) and Hacker
// News answering three angry stories at once: the stories reach
// #marketing while the feed still hangs; in #community (burst: 1) the
// first is an alert of its own, the next opens one spike message that
// takes it in, and the third edits the spike until it counts the three.
func TestAHangingWatchSourceHoldsBackNoMentionAndABurstIsOneSpike(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newE2EWorld(t, dialect)
			appendConfig(t, w.config, e2eWatchBurstConfig)
			web := watchfake.New()
			t.Cleanup(web.Close)
			web.SetFeed("news.example.com/rss", "", `<rss version="2.0"><channel><item><guid>f1</guid><title>AcmeCloud review</title><link>https://news.example.com/acme</link></item></channel></rss>`, time.Now())
			web.Hold(watchfake.Feeds)
			for i := 1; i <= 3; i++ {
				web.AddHN(watchfake.HNHit{ID: fmt.Sprint(4300 + i), Created: time.Now().Add(-time.Duration(10-i) * time.Minute), Author: fmt.Sprint("angry", i),
					Title: fmt.Sprintf("Acme Cloud outage %d: down again, awful", i)})
			}
			env := web.Env()
			e, stop := w.launch(t, false, func(a *App) { a.Env.Watch = func(k string) string { return env[k] } })
			defer stop()

			e.waitSlack(t, "HN's three mentions in #marketing while the feed hangs", func() bool { return len(e.slack.Messages("C01MARKETING")) == 3 })
			if len(web.Requests(watchfake.Feeds)) == 0 {
				t.Errorf("the feed was never asked: it was not the one hanging")
			}
			spike := func() string {
				for _, m := range e.slack.Messages("C01COMMUNITY") {
					if strings.Contains(string(m.Blocks), "Spike on brand") {
						return string(m.Blocks)
					}
				}
				return ""
			}
			e.waitSlack(t, "the spike counting three alerts", func() bool { return strings.Contains(spike(), "Spike on brand: 3 alerts since") })
			msgs := e.slack.Messages("C01COMMUNITY")
			if len(msgs) != 2 || !strings.Contains(string(msgs[0].Blocks), "Alert on brand: mention #1") {
				t.Errorf("#community has %d messages, want the first alert and the spike", len(msgs))
			}
			for _, want := range []string{"on hn by angry1", "on hn by angry2", "on hn by angry3", "Claim", "unclaimed"} {
				if !strings.Contains(spike(), want) {
					t.Errorf("the spike lacks %q:\n%s", want, spike())
				}
			}
			if feeds := e.slack.Messages("C01MARKETING"); strings.Contains(fmt.Sprint(feeds), "AcmeCloud review") {
				t.Errorf("the hanging feed's item was posted")
			}
			web.Release(watchfake.Feeds)
			e.waitSlack(t, "the feed's mention once it answers", func() bool { return len(e.slack.Messages("C01MARKETING")) == 4 })
		})
	}
}
