package main

import (
	"os"
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
			cfg, err := os.ReadFile(w.config)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(w.config, append(cfg, e2eWatchConfig...), 0o600); err != nil {
				t.Fatal(err)
			}
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
