package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
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
