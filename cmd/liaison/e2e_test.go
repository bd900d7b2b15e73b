package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The end-to-end tests run `liaison run` (App) against both fakes with the
// real slack-go and discordgo clients, as a deployment would run against
// Slack and Discord.

const (
	e2eGuild    = "998877665544332211"
	e2eFeedback = "1100000000000000001"
	e2eGeneral  = "1100000000000000002"
	e2eBot      = "1000000000000000042"
	e2eAlice    = "1400000000000000001"
	e2eDave     = "1300000000000000004"
	e2eEve      = "1400000000000000003"
	e2eSecret   = "e2e-signing-secret"
)

const e2eConfig = `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT, marketing: C01MARKETING, community: C01COMMUNITY}
discord:
  guild: "` + e2eGuild + `"
  channels: {feedback: "` + e2eFeedback + `", general: "` + e2eGeneral + `"}
  roles: {staff: ["1200000000000000001"]}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "` + e2eDave + `"}
feedback:
  channels: [feedback]
  routes:
    - {name: bugs, match: {keywords: [crash, broken]}, to: [product], tags: [bug], stop: true}
    - {name: praise, match: {sentiment: positive}, to: [marketing]}
  default_to: product
`

type e2e struct {
	app     *App
	base    string
	slack   *slackfake.Server
	discord *discordfake.Server
}

// e2eWorld is the fakes, the configuration and the database an App runs
// against, kept across restarts of the App.
type e2eWorld struct {
	slack   *slackfake.Server
	discord *discordfake.Server
	config  string
	dbURL   string
}

func newE2EWorld(t *testing.T, dialect string) *e2eWorld {
	t.Helper()
	sf := slackfake.New()
	t.Cleanup(sf.Close)
	sf.SetToken("xoxb-e2e")
	for id, name := range map[string]string{"C01PRODUCT": "product", "C01MARKETING": "marketing", "C01COMMUNITY": "community"} {
		sf.AddChannel(id, name)
	}
	sf.AddUser("U01CAROL", "carol", false)
	sf.AddUser("U01DAVE", "dave", false)

	df := discordfake.New(discordfake.WithHeartbeatInterval(e2eHeartbeat))
	t.Cleanup(df.Close)
	df.SetBotUser(e2eBot, "liaison")
	df.AddGuild(e2eGuild, "Acme Community", "1000000000000000001")
	df.AddChannel(e2eGuild, discordfake.Channel{ID: e2eFeedback, Name: "feedback"})
	df.AddChannel(e2eGuild, discordfake.Channel{ID: e2eGeneral, Name: "general"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eBot, Username: "liaison", Bot: true})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eAlice, Username: "alice"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eDave, Username: "dave"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eEve, Username: "eve"})

	cfg := filepath.Join(t.TempDir(), "liaison.yaml")
	if err := os.WriteFile(cfg, []byte(e2eConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return &e2eWorld{slack: sf, discord: df, config: cfg, dbURL: storetest.URL(t, dialect)}
}

// start runs an App in w until stop (or the test's end), once it is
// connected to the gateway and has registered its commands.
// appendConfig adds yaml, whole top-level sections, to the end of the
// liaison.yaml at path.
func appendConfig(t *testing.T, path, yaml string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(yaml); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func (w *e2eWorld) start(t *testing.T) (e *e2e, stop func()) {
	t.Helper()
	return w.launch(t, true, nil)
}

// launch runs an App in w, tuned by tune when not nil, waiting for it to
// connect to the gateway when gateway is set.
func (w *e2eWorld) launch(t *testing.T, gateway bool, tune func(*App)) (e *e2e, stop func()) {
	t.Helper()
	env := Env{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: w.dbURL, ConfigPath: w.config,
		SlackBotToken: "xoxb-e2e", SlackSigningSecret: e2eSecret, SlackAPIURL: w.slack.APIURL(),
		DiscordBotToken: "e2e-token", DiscordAppID: e2eBot, DiscordAPIURL: w.discord.APIURL(),
	}
	identified, beats := w.discord.Identifies(), w.discord.Heartbeats()
	app := NewApp(env, testLogger(t))
	if tune != nil {
		tune(app)
	}
	halt := runApp(t, app)
	e = &e2e{app: app, base: "http://" + app.Addr(), slack: w.slack, discord: w.discord}
	if gateway {
		e.waitDiscord(t, "the adapter to connect and register its commands", func() bool {
			return w.discord.Identifies() > identified && w.discord.Heartbeats() > beats && len(w.discord.Commands(e2eGuild)) == 4 // /feedback, Send to product, /notices, /giveaway
		})
	}
	return e, func() { halt(); app.Close() }
}

func startE2E(t *testing.T, dialect string) *e2e {
	t.Helper()
	e, _ := newE2EWorld(t, dialect).start(t)
	return e
}

// e2eWait is how long an end-to-end test waits for a condition before it
// fails. A condition met returns at once, so the limit only costs time when
// something is broken: it is generous because the whole suite runs under
// -race on two cores shared with other work, where one step of a test can
// take many seconds.
const e2eWait = 2 * time.Minute

// e2eHeartbeat is the gateway heartbeat interval the fake Discord asks for.
// discordgo drops a connection that has had no heartbeat ACK for five
// intervals, closing it normally, which ends the session: the events
// dispatched until it identifies again are lost, as on Discord (an
// interaction among them is never answered). At 100 ms, a machine that
// stalls half a second lost events; the first heartbeat is sent at once
// whatever the interval, so a longer one costs the tests nothing.
const e2eHeartbeat = 5 * time.Second

func (e *e2e) waitDiscord(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	if err := e.discord.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (e *e2e) waitSlack(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	if err := e.slack.WaitUntil(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (e *e2e) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	return send(t, req)
}

func TestFeedbackFlowsFromDiscordToSlackAndIsAcknowledgedThere(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)

			// alice reports a crash in Discord's #feedback, with a ping attempt.
			e.discord.MessageCreate(e2eFeedback, e2eAlice, "@everyone <!channel> the export button crashes on big files")
			relay := e.onlyRelay(t)
			blocks := string(relay.Blocks)
			for _, want := range []string{"Feedback #1 from alice in #feedback", "negative: crashes", "Acknowledge", "feedback.ack"} {
				if !strings.Contains(blocks, want) {
					t.Errorf("relay blocks lack %q:\n%s", want, blocks)
				}
			}
			if strings.Contains(blocks, "<!channel>") || strings.Contains(blocks, "@everyone") {
				t.Errorf("relay can ping: %s", blocks)
			}
			if relay.Metadata == nil || relay.Metadata.EventType != "liaison_outbox" || relay.Metadata.EventPayload["key"] != "relay:1:product" {
				t.Errorf("relay metadata = %+v, want its outbox key", relay.Metadata)
			}
			if n := len(e.slack.Messages("C01MARKETING")); n != 0 {
				t.Errorf("%d messages in #marketing, want none (stop: true)", n)
			}

			// carol clicks Acknowledge on the relay in Slack.
			e.clickRelay(t, "U01CAROL", "carol", relay.TS, "feedback.ack", "1")
			e.waitSlack(t, "the relay edited to show carol", func() bool {
				m, _ := e.slack.Message("C01PRODUCT", relay.TS)
				return m.Edited && strings.Contains(string(m.Blocks), "acknowledged by carol")
			})
			if n := len(e.slack.Messages("C01PRODUCT")); n != 1 {
				t.Errorf("%d messages in #product, want the one relay, edited", n)
			}

			// The team lists the open items in Slack.
			code, body := e.do(t, e.slack.SlashCommand(e.base, e2eSecret, time.Now(), slack.SlashCommand{
				Command: "/liaison", Text: "feedback list", UserID: "U01CAROL", UserName: "carol", ChannelID: "C01PRODUCT", ChannelName: "product",
			}))
			if code != 200 || !strings.Contains(body, "#1 alice · acknowledged by carol") {
				t.Errorf("/liaison feedback list = %d %s", code, body)
			}

			// A member uses /feedback in Discord: answered privately, relayed.
			ref := e.discord.SlashCommand(e2eGuild, e2eGeneral, e2eAlice, "feedback", discordfake.CommandOption{Name: "text", Type: 3, Value: "please add SSO"})
			e.waitDiscord(t, "the /feedback answer", func() bool {
				rec, ok := e.discord.Interaction(ref.ID)
				return ok && rec.Callback != nil
			})
			rec, _ := e.discord.Interaction(ref.ID)
			var cb struct {
				Data struct {
					Content string `json:"content"`
					Flags   int    `json:"flags"`
				} `json:"data"`
			}
			json.Unmarshal(rec.Callback.Data, &cb.Data)
			if rec.Callback.Type != 4 || cb.Data.Flags&64 == 0 || !strings.Contains(cb.Data.Content, "Thanks! The team has your feedback (#2)") {
				t.Errorf("/feedback callback = type %d %s", rec.Callback.Type, rec.Callback.Data)
			}
			e.waitSlack(t, "the /feedback relay", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 2 })
		})
	}
}
