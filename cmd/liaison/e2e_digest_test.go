package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/chart"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The weekly digest end to end: `liaison run` (App) against both fakes, on
// a clock the test moves, posts the digest in Slack with its chart in the
// thread, and the public highlights in Discord.

const dgE2EAnnouncements = "1100000000000000004"

const dgE2EConfig = `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT, community: C01COMMUNITY}
discord:
  guild: "` + e2eGuild + `"
  channels: {feedback: "` + e2eFeedback + `", general: "` + e2eGeneral + `", announcements: "` + dgE2EAnnouncements + `"}
  roles: {staff: ["1200000000000000001"]}
people:
  - {name: dave, slack: U01DAVE, discord: "` + e2eDave + `"}
feedback:
  channels: [feedback]
  routes:
    - {name: bugs, match: {keywords: [crash, crashes]}, to: [product], tags: [bug]}
  default_to: product
digests:
  - {name: weekly, cron: "0 9 * * MON", to: [community, discord:announcements], public_min_messages: 3}
`

func startDigestE2E(t *testing.T, dialect string, clock *bot.ManualClock) *e2e {
	t.Helper()
	sf := slackfake.New()
	t.Cleanup(sf.Close)
	sf.SetToken("xoxb-e2e")
	sf.SetClock(clock.Now)
	sf.AddChannel("C01PRODUCT", "product")
	sf.AddChannel("C01COMMUNITY", "community")
	sf.AddUser("U01DAVE", "dave", false)

	df := discordfake.New(discordfake.WithHeartbeatInterval(e2eHeartbeat), discordfake.WithClock(clock.Now))
	t.Cleanup(df.Close)
	df.SetBotUser(e2eBot, "liaison")
	df.AddGuild(e2eGuild, "Acme Community", "1000000000000000001")
	for id, name := range map[string]string{e2eFeedback: "feedback", e2eGeneral: "general", dgE2EAnnouncements: "announcements"} {
		df.AddChannel(e2eGuild, discordfake.Channel{ID: id, Name: name})
	}
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eBot, Username: "liaison", Bot: true})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eAlice, Username: "alice"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eEve, Username: "eve"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eDave, Username: "dave"})

	cfg := filepath.Join(t.TempDir(), "liaison.yaml")
	if err := os.WriteFile(cfg, []byte(dgE2EConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: storetest.URL(t, dialect), ConfigPath: cfg,
		SlackBotToken: "xoxb-e2e", SlackSigningSecret: e2eSecret, SlackAPIURL: sf.APIURL(),
		DiscordBotToken: "e2e-token", DiscordAppID: e2eBot, DiscordAPIURL: df.APIURL(),
	}
	app := NewApp(env, testLogger(t))
	app.Clock = clock
	runApp(t, app)
	e := &e2e{app: app, base: "http://" + app.Addr(), slack: sf, discord: df}
	e.waitDiscord(t, "the adapter to connect", func() bool { return df.Identifies() >= 1 && df.Heartbeats() >= 1 })
	return e
}

func TestTheWeeklyDigestIsPostedInSlackWithItsChartAndPubliclyInDiscord(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			paris, _ := time.LoadLocation("Europe/Paris")
			clock := bot.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, paris))
			e := startDigestE2E(t, dialect, clock)
			ctx := context.Background()

			// The week: alice and eve talk, eve reports a crash, zed joins.
			e.discord.MessageCreate(e2eGeneral, e2eAlice, "morning all, @everyone")
			e.discord.MessageCreate(e2eGeneral, e2eEve, "hi alice")
			e.discord.MessageCreate(e2eFeedback, e2eEve, "the export button crashes on big files")
			e.discord.GuildMemberAdd(e2eGuild, discordfake.Member{UserID: "1400000000000000009", Username: "zed"})
			eventually(t, "the week's events counted", func() bool {
				cs, _, gs, err := e.app.DB.DailyStats(ctx, "2026-11-23", "2026-11-23")
				n := int64(0)
				for _, c := range cs {
					n += c.Messages
				}
				return err == nil && n == 3 && len(gs) == 1 && gs[0].Joins == 1
			})
			e.waitSlack(t, "the feedback relay", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 1 })

			// Monday 30 November, 09:00 in Paris: the scheduler's next tick
			// posts the digest of 23-29 November.
			clock.Set(time.Date(2026, 11, 30, 9, 0, 10, 0, paris))
			var post, file slackfake.Message
			e.waitSlack(t, "the digest and its chart in #community", func() bool {
				for _, m := range e.slack.Messages("C01COMMUNITY") {
					switch {
					case m.ThreadTS == "" || m.ThreadTS == m.TS:
						post = m
					case len(m.Files) > 0:
						file = m
					}
				}
				return post.TS != "" && file.TS != ""
			})
			blocks := string(post.Blocks)
			for _, want := range []string{"Weekly community digest · 23–29 Nov 2026", "Messages", "3 (+3, new)", "Feedback items", "Busiest channels", "#general: 2 messages", "Top contributors", "eve: 2 messages"} {
				if !strings.Contains(blocks, want) {
					t.Errorf("the digest's blocks lack %q:\n%s", want, blocks)
				}
			}
			var parsed []map[string]any
			if err := json.Unmarshal(post.Blocks, &parsed); err != nil || len(parsed) > 50 {
				t.Errorf("the digest has %d blocks (%v); Slack allows 50", len(parsed), err)
			}
			if strings.Contains(blocks, "<!everyone>") || strings.Contains(blocks, "<@") {
				t.Errorf("the digest can ping: %s", blocks)
			}
			if post.Metadata == nil || post.Metadata.EventPayload["key"] != "digest:weekly:2026-11-30T08:00:00Z:community" {
				t.Errorf("the digest's metadata = %+v, want its outbox key", post.Metadata)
			}
			if file.ThreadTS != post.TS || file.Files[0].Name != chart.Filename {
				t.Errorf("the chart %+v is not in the digest's thread %s", file.Files, post.TS)
			}
			f, ok := e.slack.File(file.Files[0].ID)
			if !ok || !f.Uploaded {
				t.Fatalf("the chart's bytes never reached the upload URL: %+v", f)
			}
			img, err := png.Decode(bytes.NewReader(f.Data))
			if err != nil || img.Bounds().Dx() != chart.Width || img.Bounds().Dy() != chart.Height {
				t.Errorf("the chart is not a %dx%d PNG: %v", chart.Width, chart.Height, err)
			}

			// The public highlights in Discord: activity only, pinging nobody.
			var public discordfake.Message
			e.waitDiscord(t, "the highlights in #announcements", func() bool {
				msgs := e.discord.Messages(dgE2EAnnouncements)
				if len(msgs) > 0 {
					public = msgs[0]
				}
				return len(msgs) > 0
			})
			if !strings.Contains(public.Content, "Community highlights · 23–29 Nov 2026") || !strings.Contains(public.Content, "alice") {
				t.Errorf("the highlights = %q", public.Content)
			}
			for _, internal := range []string{"eedback", "esponse", "aiting", "oderation", "crash", "<@"} {
				if strings.Contains(public.Content, internal) {
					t.Errorf("the highlights show %q: %q", internal, public.Content)
				}
			}
			var am struct {
				Parse []string `json:"parse"`
				Users []string `json:"users"`
			}
			if err := json.Unmarshal(public.AllowedMentions, &am); err != nil || am.Parse == nil || len(am.Parse)+len(am.Users) != 0 {
				t.Errorf("allowed_mentions = %s, want nothing parsed and nobody pinged", public.AllowedMentions)
			}

			// A later tick, or a restart, posts nothing more.
			clock.Set(time.Date(2026, 11, 30, 9, 5, 0, 0, paris))
			time.Sleep(1500 * time.Millisecond) // the scheduler ticks each second
			e.settled(t)
			if n := len(e.slack.Messages("C01COMMUNITY")); n != 2 {
				t.Errorf("%d messages in #community, want the digest and its chart", n)
			}
		})
	}
}
