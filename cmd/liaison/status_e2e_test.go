package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/bot/watchsrc"
	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
)

// statusConfig is the end-to-end configuration with a weekly digest.
const statusConfig = e2eConfig + `digests:
  - {name: weekly, cron: "0 9 * * MON", period: week, to: [community]}
`

// startStatusE2E runs `liaison run` with its admin listener on, on a clock
// that stands still at Tuesday 24 November 2026, 09:00 UTC.
func startStatusE2E(t *testing.T, dialect string) (*e2e, *bot.ManualClock) {
	t.Helper()
	w := newE2EWorld(t, dialect)
	if err := os.WriteFile(w.config, []byte(statusConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	e, _ := w.launch(t, true, func(a *App) {
		a.Env.AdminAddr = "127.0.0.1:0"
		a.Clock = clock
	})
	return e, clock
}

// getStatus is GET /status on the admin listener.
func getStatus(t *testing.T, e *e2e) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + e.app.AdminAddr() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// stable replaces what changes from run to run (the replica's name, the
// version) with fixed words.
func stable(e *e2e, s string) string {
	return strings.NewReplacer(e.app.Dispatcher.Owner, "REPLICA", versionString(), "VERSION").Replace(s)
}

func TestStatusReportsTheOutboxLeasesAndDigestsOnTheAdminListenerAndInSlack(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e, clock := startStatusE2E(t, dialect)
			ctx := context.Background()
			now := clock.Now()

			// A message to a channel Slack does not know dies.
			slackPost := &bot.OutboxMessage{Key: "lost", Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(bot.Post{ChannelID: "C0GONE", Text: "lost"})}
			if err := e.app.DB.Enqueue(ctx, now, slackPost); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the message to an unknown channel to die", func() bool {
				m, err := e.app.DB.OutboxByKey(ctx, "lost")
				return err == nil && m.State == store.OutboxDead
			})
			// Discord rate-limits #general for 10 minutes: of two messages
			// due for 6 minutes, the first holds the lane, the second waits.
			e.discord.RateLimitNext("POST", "/channels/"+e2eGeneral+"/messages", 10*time.Minute, false)
			discordPost := func(key string) *bot.OutboxMessage {
				return &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: bot.Payload(bot.Post{ChannelID: e2eGeneral, Text: key})}
			}
			if err := e.app.DB.Enqueue(ctx, now.Add(-6*time.Minute), discordPost("first"), discordPost("second")); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the lane to be paused", func() bool {
				m, err := e.app.DB.OutboxByKey(ctx, "first")
				return err == nil && m.RateLimited
			})

			code, body := getStatus(t, e)
			if code != 200 {
				t.Fatalf("GET /status = %d %s", code, body)
			}
			golden(t, "status.json", stable(e, body))

			// The public listener does not serve it.
			if code, _ := e.do(t, mustRequest(t, "GET", e.base+"/status")); code != http.StatusNotFound {
				t.Errorf("GET /status on the public listener = %d, want 404", code)
			}

			// carol, staff, asks in Slack: the same lines, and Retry dead.
			code, body = e.do(t, e.slack.SlashCommand(e.base, e2eSecret, clock.Now(), slack.SlashCommand{
				Command: "/liaison", Text: "status", UserID: "U01CAROL", UserName: "carol", ChannelID: "C01PRODUCT", ChannelName: "product",
			}))
			if code != 200 {
				t.Fatalf("/liaison status = %d %s", code, body)
			}
			var msg slack.WebhookMessage
			if err := json.Unmarshal([]byte(body), &msg); err != nil {
				t.Fatal(err)
			}
			golden(t, "status_slack.txt", stable(e, msg.Text)+"\n")
			raw, _ := json.Marshal(msg.Blocks)
			if !strings.Contains(string(raw), `"action_id":"ops.retrydead"`) || !strings.Contains(string(raw), "Retry dead") {
				t.Fatalf("no Retry dead button: %s", raw)
			}

			// carol clicks Retry dead: both dead messages go out again.
			seen := len(e.slack.Responses())
			req := e.slack.Interaction(e.base, e2eSecret, clock.Now(), &slack.InteractionCallback{
				Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U01CAROL", Name: "carol"},
				Channel:        slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C01PRODUCT"}}},
				ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "ops.retrydead", BlockID: "actions", Type: "button"}}},
			})
			if code, body := e.do(t, req); code != 200 {
				t.Fatalf("click Retry dead = %d %s", code, body)
			}
			e.waitSlack(t, "carol told what was retried", func() bool {
				for _, r := range e.slack.Responses()[seen:] {
					if strings.Contains(r.Text, "1 message(s) given up in the last 24 hours go out again now") {
						return true
					}
				}
				return false
			})
		})
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// Outside the staff, /liaison status is refused.
func TestStatusIsForStaff(t *testing.T) {
	t.Parallel()
	e, clock := startStatusE2E(t, store.SQLite)
	e.slack.AddUser("U0MALLORY", "mallory", false)
	code, body := e.do(t, e.slack.SlashCommand(e.base, e2eSecret, clock.Now(), slack.SlashCommand{
		Command: "/liaison", Text: "status", UserID: "U0MALLORY", UserName: "mallory", ChannelID: "C01PRODUCT", ChannelName: "product",
	}))
	if code != 200 || !strings.Contains(body, "Reading Liaison's status is for staff") {
		t.Errorf("mallory's /liaison status = %d %s", code, body)
	}
}

// statusWatchConfig watches Hacker News and one feed for the brand, and
// says in #community when a source has failed for half an hour.
const statusWatchConfig = statusConfig + `watch:
  user_agent: "Liaison (+https://acme.example/community-bot)"
  feeds: [{name: tech-news, url: "https://news.example.com/rss"}]
  queries:
    - {name: brand, query: 'acmecloud', sources: [feeds, hn], route: marketing}
  alerts: community
`

// slackStatus is /liaison status asked by carol, as Slack shows it.
func slackStatus(t *testing.T, e *e2e, now time.Time) string {
	t.Helper()
	code, body := e.do(t, e.slack.SlashCommand(e.base, e2eSecret, now, slack.SlashCommand{
		Command: "/liaison", Text: "status", UserID: "U01CAROL", UserName: "carol", ChannelID: "C01PRODUCT", ChannelName: "product",
	}))
	if code != 200 {
		t.Fatalf("/liaison status = %d %s", code, body)
	}
	var msg slack.WebhookMessage
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatal(err)
	}
	return msg.Text
}

// watchStatusDoc is GET /status's watch: the facts and the watch's lines.
type watchStatusDoc struct {
	Watch  *bot.WatchStatus `json:"watch"`
	Checks []bot.StatusLine `json:"checks"`
}

func getWatchStatus(t *testing.T, e *e2e) watchStatusDoc {
	t.Helper()
	code, body := getStatus(t, e)
	if code != 200 {
		t.Fatalf("GET /status = %d %s", code, body)
	}
	var doc watchStatusDoc
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Checks = slices.DeleteFunc(doc.Checks, func(l bot.StatusLine) bool { return !strings.HasPrefix(l.Check, "watch") })
	return doc
}

// linesWith keeps the lines of text containing word.
func linesWith(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// TestStatusShowsTheWatchSourcesFailingAndWhatToDo runs `liaison run` with
// a watch on Hacker News, down, and a feed that answers 404: GET /status and
// /liaison status show each source failing, a warning at first, bad once
// it has lasted half an hour (when #community is told), each with what to
// do; once both work again, one ok line.
func TestStatusShowsTheWatchSourcesFailingAndWhatToDo(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newE2EWorld(t, dialect)
			if err := os.WriteFile(w.config, []byte(statusWatchConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			// Two hosts, as Hacker News and a news site are: the watch
			// backs off per host, so HN's 503s must not hold back the
			// feed's request (whose 404 is what this test reads).
			web, news := watchfake.New(), watchfake.New()
			t.Cleanup(web.Close)
			t.Cleanup(news.Close)
			web.Outage(watchfake.HN, true)
			env := web.Env()
			env["LIAISON_WATCH_FEEDS_URL"] = news.URL("feeds")
			clock := bot.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
			e, _ := w.launch(t, true, func(a *App) {
				a.Env.AdminAddr = "127.0.0.1:0"
				a.Clock = clock
				a.Env.Watch = func(k string) string { return env[k] }
			})
			ctx := context.Background()
			host := func(s *watchfake.Server) string {
				return strings.TrimSuffix(strings.TrimPrefix(s.URL(""), "http://"), "/")
			}
			hideHosts := strings.NewReplacer(host(web), "WATCHFAKE", host(news), "WATCHFAKE")
			failing := func(n int) bool {
				hs, err := e.app.DB.WatchHealths(ctx)
				count := 0
				for _, h := range hs {
					if h.Failing() && h.Failures >= n {
						count++
					}
				}
				return err == nil && count == 2
			}

			// The first poll fails: a warning each, nothing to do yet.
			eventually(t, "both sources to fail once", func() bool { return failing(1) })
			doc := getWatchStatus(t, e)
			if doc.Watch == nil || !slices.Equal(doc.Watch.Sources, []string{"feeds", "hn"}) || len(doc.Watch.Failing) != 2 {
				t.Fatalf("GET /status's watch = %+v, want feeds and hn, both failing", doc.Watch)
			}
			for _, l := range doc.Checks {
				if l.State != bot.StatusWarn || !strings.Contains(l.Fix, "delayed, not lost") {
					t.Errorf("a source failing for a moment: %+v, want a warning saying mentions are delayed", l)
				}
			}

			// Half an hour later they still fail: #community is told, and
			// the lines are bad, each with what to do.
			clock.Advance(31 * time.Minute)
			e.waitSlack(t, "#community told of both outages", func() bool {
				n := 0
				for _, m := range e.slack.Messages("C01COMMUNITY") {
					if strings.Contains(m.Text, "The watch cannot read") {
						n++
					}
				}
				return n == 2
			})
			eventually(t, "both sources to fail twice", func() bool { return failing(2) })
			e.settled(t)
			doc = getWatchStatus(t, e)
			raw, _ := json.MarshalIndent(doc, "", "  ")
			golden(t, "status_watch.json", hideHosts.Replace(string(raw))+"\n")
			text := slackStatus(t, e, clock.Now())
			golden(t, "status_watch_slack.txt", hideHosts.Replace(linesWith(text, "watch")))

			// Both work again: one ok line.
			web.Outage(watchfake.HN, false)
			news.SetFeed("news.example.com/rss", "", `<?xml version="1.0"?><rss version="2.0"><channel><title>Tech news</title></channel></rss>`, clock.Now())
			clock.Advance(watchsrc.BackoffMax + time.Minute) // past the backoff and the next poll
			eventually(t, "both sources to work again", func() bool {
				hs, err := e.app.DB.WatchHealths(ctx)
				return err == nil && !slices.ContainsFunc(hs, store.WatchHealth.Failing)
			})
			if got := linesWith(slackStatus(t, e, clock.Now()), "watch"); got != "✓ the watch reads feeds, hn: no source failing\n" {
				t.Errorf("/liaison status's watch once both work = %q", got)
			}
		})
	}
}
