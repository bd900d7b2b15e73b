package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// metricsOf scrapes GET /metrics: each family's type by name, and the text.
func metricsOf(t *testing.T, e *e2e) (map[string]string, string) {
	t.Helper()
	code, body := get(t, e.base+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d", code)
	}
	types := map[string]string{}
	for _, l := range strings.Split(body, "\n") {
		if f, ok := strings.CutPrefix(l, "# TYPE "); ok {
			name, typ, _ := strings.Cut(f, " ")
			types[name] = typ
		}
	}
	return types, body
}

// exprs collects every "expr" string in a decoded JSON or YAML tree.
func exprs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "expr" {
				out = append(out, s)
				continue
			}
			out = append(out, exprs(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, exprs(x)...)
		}
	}
	return out
}

var metricName = regexp.MustCompile(`\bliaison_[a-z0-9_]+`)

// The service counts what it receives where it handles it, times its
// handlers, and exports what the dashboard and the alerts read: every
// metric deploy/grafana/liaison.json and deploy/prometheus/alerts.yml name
// exists in a running Liaison's /metrics.
func TestMetricsCountRealEventsAndCoverTheDashboardAndTheAlerts(t *testing.T) {
	t.Parallel()
	e, clock := startStatusE2E(t, store.SQLite)
	ctx := context.Background()

	// Real traffic: a Discord message relayed to Slack, a Slack command.
	e.discord.MessageCreate(e2eFeedback, e2eAlice, "the export button crashes on big files")
	e.waitSlack(t, "the relay", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 1 })
	if code, body := e.do(t, e.slack.SlashCommand(e.base, e2eSecret, clock.Now(), slack.SlashCommand{
		Command: "/liaison", Text: "help", UserID: "U01CAROL", UserName: "carol", ChannelID: "C01PRODUCT", ChannelName: "product",
	})); code != 200 {
		t.Fatalf("/liaison help = %d %s", code, body)
	}
	// The weekly digest of 16 November was posted (recorded as the digest
	// job records it; posting it for real is the digest tests' business).
	err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ClaimJobRun(ctx, clock.Now(), bot.DigestJob("weekly"), time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC), false, "test", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A lane held by Discord's rate limit, with a message waiting behind.
	e.discord.RateLimitNext("POST", "/channels/"+e2eGeneral+"/messages", 10*time.Minute, false)
	for _, key := range []string{"first", "second"} {
		m := &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: bot.Payload(bot.Post{ChannelID: e2eGeneral, Text: key})}
		if err := e.app.DB.Enqueue(ctx, clock.Now(), m); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the lane to be paused", func() bool {
		m, err := e.app.DB.OutboxByKey(ctx, "first")
		return err == nil && m.RateLimited
	})

	types, body := metricsOf(t, e)
	posted := fmt.Sprintf("liaison_digest_last_success_timestamp_seconds{digest=\"weekly\"} %g", float64(clock.Now().Unix()))
	if !strings.Contains(body, posted) {
		t.Errorf("/metrics lacks %q", posted)
	}
	for _, want := range []string{
		`liaison_inbound_events_total{platform="discord",type="message"} 1`,
		`liaison_inbound_events_total{platform="slack",type="slash_command"} 1`,
		`liaison_handler_seconds_count{kind="message",outcome="ok",platform="discord"} 1`,
		`liaison_handler_seconds_count{kind="command",outcome="ok",platform="slack"} 1`,
		`liaison_digest_missed{digest="weekly"} 0`,
		`liaison_discord_gateway_connected 1`,
		`liaison_discord_gateway_reconnects_total 0`,
		`liaison_outbox_dead_last_24h 0`,
		`liaison_rate_limit_paused_lanes{platform="discord"} 1`,
		`liaison_outbox_lane_paused_seconds{lane="discord:` + e2eGeneral + `",reason="rate_limited"} 600`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	for _, file := range []string{"deploy/grafana/liaison.json", "deploy/prometheus/alerts.yml"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", file))
		if err != nil {
			t.Fatal(err)
		}
		var tree any
		if strings.HasSuffix(file, ".json") {
			err = json.Unmarshal(raw, &tree)
		} else {
			err = yaml.Unmarshal(raw, &tree)
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		es := exprs(tree)
		if len(es) == 0 {
			t.Fatalf("%s has no expr", file)
		}
		for _, expr := range es {
			for _, name := range metricName.FindAllString(expr, -1) {
				family := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(name, suffix); ok && types[base] == "histogram" {
						family = base
					}
				}
				if _, ok := types[family]; !ok {
					t.Errorf("%s uses %s, which Liaison does not export (expr %q)", file, name, expr)
				}
			}
		}
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	raw, _ := os.ReadFile(filepath.Join("..", "..", "deploy/prometheus/alerts.yml"))
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
		}
	}
	for _, want := range []string{"LiaisonOutboxBacklogOld", "LiaisonDeadMessages", "LiaisonDigestMissed", "LiaisonDiscordGatewayDown"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alerts.yml lacks %s (has %v)", want, alerts)
		}
	}
}
