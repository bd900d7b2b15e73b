package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Moderation end to end: `liaison run` (App) against both fakes, with the
// real discordgo and slack-go clients, on SQLite and Postgres. The App and
// the fakes share a manual clock, so tests move time (expiries, the 14 days
// of bulk delete) without waiting.

const (
	mdGuild   = "998877665544332211"
	mdGeneral = "1100000000000000002"
	mdModLog  = "1100000000000000003"
	mdStaff   = "1200000000000000001"
	mdMods    = "1200000000000000002"
	mdProt    = "1200000000000000003"
	mdSenior  = "1200000000000000009"
	mdBotRole = "1200000000000000010"
	mdBot     = "1000000000000000042"
	mdOwner   = "1000000000000000001"
	mdDave    = "1300000000000000004"
	mdBob     = "1300000000000000002"
	mdMallory = "1400000000000000002"
	mdAlice   = "1400000000000000001"
	mdPat     = "1400000000000000005"
	mdSam     = "1400000000000000006"
	mdSecret  = "md-signing-secret"
)

const mdConfig = `timezone: Europe/Paris
slack:
  channels: {mod-log: C01MODLOG}
discord:
  guild: "` + mdGuild + `"
  channels: {general: "` + mdGeneral + `", mod-log: "` + mdModLog + `"}
  roles: {staff: ["` + mdStaff + `"], moderators: ["` + mdMods + `"], protected: ["` + mdProt + `"]}
people:
  - {name: dave, slack: U01DAVE, discord: "` + mdDave + `"}
  - {name: bob, slack: U01BOB, discord: "` + mdBob + `"}
  - {name: carol, slack: U01CAROL}
moderation:
  mod_log: {discord: mod-log, slack: mod-log}
  escalation:
    points: {warn: 1}
    thresholds: [{points: 3, action: timeout, duration: 1h}]
  automod:
    exempt_roles: [staff]
    rules:
      - {name: scams, words: [free nitro], actions: [delete, warn, alert]}
  welcome: {channel: general, text: "Welcome {user}!"}
  rules: "1. Be kind."
`

// mdWorld is the fake Discord and Slack the App runs against, kept across
// restarts of the App.
type mdWorld struct {
	clock   *bot.ManualClock
	discord *discordfake.Server
	slack   *slackfake.Server
	config  string
	step    time.Duration // the clock moves this much before each slash command
	log     io.Writer     // the App's log goes here when set (else testLogger)
}

func newMDWorld(t *testing.T) *mdWorld {
	t.Helper()
	clock := bot.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	sf := slackfake.New()
	t.Cleanup(sf.Close)
	sf.SetToken("xoxb-md")
	sf.SetClock(clock.Now)
	sf.AddChannel("C01MODLOG", "mod-log")
	for id, name := range map[string]string{"U01DAVE": "dave", "U01BOB": "bob", "U01CAROL": "carol", "U01ERIN": "erin"} {
		sf.AddUser(id, name, false)
	}
	df := discordfake.New(discordfake.WithHeartbeatInterval(e2eHeartbeat), discordfake.WithClock(clock.Now))
	t.Cleanup(df.Close)
	df.SetBotUser(mdBot, "liaison")
	df.AddGuild(mdGuild, "Acme Community", mdOwner)
	for _, r := range []discordfake.Role{
		{ID: mdProt, Name: "partners", Position: 5}, {ID: mdStaff, Name: "staff", Position: 10}, {ID: mdMods, Name: "moderators", Position: 20},
		{ID: mdSenior, Name: "senior", Position: 30}, {ID: mdBotRole, Name: "Liaison", Position: 40, Permissions: bot.PermBanMembers | bot.PermKickMembers | bot.PermModerateMembers},
	} {
		df.AddRole(mdGuild, r)
	}
	df.AddChannel(mdGuild, discordfake.Channel{ID: mdGeneral, Name: "general"})
	df.AddChannel(mdGuild, discordfake.Channel{ID: mdModLog, Name: "mod-log"})
	for _, m := range []discordfake.Member{
		{UserID: mdBot, Username: "liaison", Bot: true, Roles: []string{mdBotRole}},
		{UserID: mdOwner, Username: "owner"},
		{UserID: mdDave, Username: "dave", Roles: []string{mdStaff, mdMods}},
		{UserID: mdBob, Username: "bob", Roles: []string{mdStaff}},
		{UserID: mdMallory, Username: "mallory"},
		{UserID: mdAlice, Username: "alice"},
		{UserID: mdPat, Username: "pat", Roles: []string{mdProt}},
		{UserID: mdSam, Username: "sam", Roles: []string{mdSenior}},
	} {
		df.AddMember(mdGuild, m)
	}
	cfg := filepath.Join(t.TempDir(), "liaison.yaml")
	if err := os.WriteFile(cfg, []byte(mdConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return &mdWorld{clock: clock, discord: df, slack: sf, config: cfg}
}

// mdApp is one running `liaison run`.
type mdApp struct {
	app  *App
	base string
	stop func()
}

// start runs an App on the database at dbURL until stop (or the test's end).
func (w *mdWorld) start(t *testing.T, dbURL string) *mdApp {
	t.Helper()
	env := Env{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: dbURL, ConfigPath: w.config,
		SlackBotToken: "xoxb-md", SlackSigningSecret: mdSecret, SlackAPIURL: w.slack.APIURL(),
		DiscordBotToken: "md-token", DiscordAppID: mdBot, DiscordAPIURL: w.discord.APIURL(),
	}
	logger := testLogger(t)
	if w.log != nil {
		logger = slog.New(slog.NewTextHandler(w.log, nil))
	}
	app := NewApp(env, logger)
	app.Clock = w.clock
	stop := runApp(t, app)
	a := &mdApp{app: app, base: "http://" + app.Addr()}
	a.stop = func() { stop(); app.Close() }
	w.wait(t, "the commands to be registered", func() bool { return len(w.discord.Commands(mdGuild)) >= 13 })
	return a
}

func (w *mdWorld) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	if err := w.discord.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (w *mdWorld) waitSlack(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	if err := w.slack.WaitUntil(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// answer is what an interaction's user saw.
type answer struct {
	Content         string          `json:"content"`
	Flags           int             `json:"flags"`
	Components      json.RawMessage `json:"components"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
}

// slash runs a slash command in #general and returns the answer.
func (w *mdWorld) slash(t *testing.T, user, name string, opts ...discordfake.CommandOption) answer {
	t.Helper()
	w.clock.Advance(w.step)
	ref := w.discord.SlashCommand(mdGuild, mdGeneral, user, name, opts...)
	return w.answerOf(t, ref)
}

func (w *mdWorld) answerOf(t *testing.T, ref discordfake.InteractionRef) answer {
	t.Helper()
	var a answer
	w.wait(t, "the answer to interaction "+ref.ID, func() bool {
		rec, ok := w.discord.Interaction(ref.ID)
		if !ok || rec.Callback == nil {
			return false
		}
		if rec.Callback.Type == 5 { // deferred: the answer comes as an edit
			if rec.Original == nil || rec.Original.EditedTimestamp == nil {
				return false
			}
			a = answer{Content: rec.Original.Content, Flags: rec.Original.Flags, Components: rec.Original.Components, AllowedMentions: rec.Original.AllowedMentions}
			return true
		}
		json.Unmarshal(rec.Callback.Data, &a)
		return true
	})
	return a
}

// click presses the button labelled label of an answer, as user.
func (w *mdWorld) click(t *testing.T, user string, a answer, label string) answer {
	t.Helper()
	var rows []struct {
		Components []struct {
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	json.Unmarshal(a.Components, &rows)
	for _, r := range rows {
		for _, b := range r.Components {
			if b.Label == label {
				ref := w.discord.InteractionCreate(discordfake.NewInteraction{Type: discordfake.InteractionMessageComponent, GuildID: mdGuild, ChannelID: mdGeneral,
					UserID: user, Data: map[string]any{"custom_id": b.CustomID, "component_type": 2}})
				return w.answerOf(t, ref)
			}
		}
	}
	t.Fatalf("no button %q in %s", label, a.Components)
	return answer{}
}

func userOpt(id string) discordfake.CommandOption {
	return discordfake.CommandOption{Name: "user", Type: 6, Value: id}
}

func strOpt(name, v string) discordfake.CommandOption {
	return discordfake.CommandOption{Name: name, Type: 3, Value: v}
}

// call waits for the REST call method path and returns it.
func (w *mdWorld) call(t *testing.T, method, path string) discordfake.Call {
	t.Helper()
	var c discordfake.Call
	w.wait(t, method+" "+path, func() bool {
		for _, x := range w.discord.CallsTo(method, path) {
			if x.Path == path && x.Status != 0 {
				c = x
				return true
			}
		}
		return false
	})
	return c
}

func body(c discordfake.Call) map[string]any {
	var m map[string]any
	json.Unmarshal(c.Body, &m)
	return m
}

// modLog waits for the mod-log posts of case n in Discord and Slack and
// returns their text.
func (w *mdWorld) modLog(t *testing.T, n int) (discordText, slackText string) {
	t.Helper()
	title := fmt.Sprintf("Case %d · ", n)
	w.wait(t, fmt.Sprintf("case %d in the Discord mod log", n), func() bool {
		for _, m := range w.discord.Messages(mdModLog) {
			if strings.Contains(m.Content, title) {
				discordText = m.Content
				if string(m.AllowedMentions) != `{"parse":[],"replied_user":false}` {
					t.Errorf("the mod-log post of case %d may ping: %s", n, m.AllowedMentions)
				}
				return true
			}
		}
		return false
	})
	w.waitSlack(t, fmt.Sprintf("case %d in the Slack mod log", n), func() bool {
		for _, m := range w.slack.Messages("C01MODLOG") {
			if strings.Contains(string(m.Blocks), title) {
				slackText = string(m.Blocks)
				return true
			}
		}
		return false
	})
	return discordText, slackText
}

func TestModerationCommandsReachDiscordWithTheirAuditReason(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.step = 11 * time.Second // apart enough that the mod log is not batched
			w.start(t, storetest.URL(t, dialect))
			member := "/guilds/" + mdGuild + "/members/"

			a := w.slash(t, mdDave, "warn", userOpt(mdMallory), strOpt("reason", "spamming links"))
			if a.Content != "Warned mallory (case 1). mallory has 1 point(s) now; at 3: a 1h timeout." || a.Flags&64 == 0 {
				t.Errorf("/warn answered %+v", a)
			}
			d, s := w.modLog(t, 1)
			for _, want := range []string{"**Case 1 · warn**", "**Member:** mallory (" + mdMallory + ")", "**Moderator:** dave", "**Reason:** spamming links"} {
				if !strings.Contains(d, want) {
					t.Errorf("Discord mod log lacks %q:\n%s", want, d)
				}
			}
			if !strings.Contains(s, "Case 1 · warn") || !strings.Contains(s, "spamming links") {
				t.Errorf("Slack mod log = %s", s)
			}

			w.slash(t, mdDave, "timeout", userOpt(mdMallory), strOpt("duration", "2h"), strOpt("reason", "still spamming"))
			c := w.call(t, "PATCH", member+mdMallory)
			until := w.clock.Now().Add(2 * time.Hour).Format(time.RFC3339)
			if body(c)["communication_disabled_until"] != until || c.AuditLogReason != "dave via Liaison, case 2: still spamming" {
				t.Errorf("timeout call: %s reason %q", c.Body, c.AuditLogReason)
			}
			if m, _ := w.discord.Member(mdGuild, mdMallory); m.CommunicationDisabledUntil == nil {
				t.Error("mallory is not timed out")
			}
			w.modLog(t, 2)

			w.slash(t, mdDave, "untimeout", userOpt(mdMallory), strOpt("reason", "apologised"))
			w.wait(t, "the timeout lifted", func() bool {
				m, _ := w.discord.Member(mdGuild, mdMallory)
				return m.CommunicationDisabledUntil == nil
			})
			calls := w.discord.CallsTo("PATCH", member+mdMallory)
			if last := calls[len(calls)-1]; string(last.Body) != `{"communication_disabled_until":null}` || last.AuditLogReason != "dave via Liaison, case 3: apologised" {
				t.Errorf("untimeout call: %s %q", last.Body, last.AuditLogReason)
			}

			w.slash(t, mdDave, "kick", userOpt(mdAlice), strOpt("reason", "trolling"))
			if c := w.call(t, "DELETE", member+mdAlice); c.AuditLogReason != "dave via Liaison, case 4: trolling" || c.Status != 204 {
				t.Errorf("kick call: %d %q", c.Status, c.AuditLogReason)
			}

			a = w.slash(t, mdDave, "ban", userOpt(mdMallory), strOpt("reason", "raid"), strOpt("duration", "7d"), strOpt("delete_messages", "1d"))
			if !strings.HasPrefix(a.Content, "Banned mallory for 1w, until") {
				t.Errorf("/ban answered %q", a.Content)
			}
			c = w.call(t, "PUT", "/guilds/"+mdGuild+"/bans/"+mdMallory)
			if string(c.Body) != `{"delete_message_seconds":86400}` || c.AuditLogReason != "dave via Liaison, case 5: raid" || len(c.Query) != 0 {
				t.Errorf("ban call: %s %q query %v", c.Body, c.AuditLogReason, c.Query)
			}
			if b, ok := w.discord.Ban(mdGuild, mdMallory); !ok || b.DeleteMessageSeconds != 86400 {
				t.Errorf("ban = %+v %v", b, ok)
			}

			w.slash(t, mdDave, "unban", userOpt(mdMallory))
			if c := w.call(t, "DELETE", "/guilds/"+mdGuild+"/bans/"+mdMallory); c.AuditLogReason != "dave via Liaison, case 6" {
				t.Errorf("unban call: %q", c.AuditLogReason)
			}

			w.slash(t, mdDave, "slowmode", strOpt("seconds", "30"))
			if c := w.call(t, "PATCH", "/channels/"+mdGeneral); string(c.Body) != `{"rate_limit_per_user":30}` || c.AuditLogReason != "dave via Liaison, case 7" {
				t.Errorf("slowmode call: %s %q", c.Body, c.AuditLogReason)
			}
			w.modLog(t, 7)

			// Refusals: clear, to the moderator alone, and nothing sent.
			before := len(w.discord.Calls())
			for _, tt := range []struct {
				by, cmd string
				opts    []discordfake.CommandOption
				want    string
			}{
				{mdBob, "kick", []discordfake.CommandOption{userOpt(mdAlice), strOpt("reason", "x")}, "Kicking members is for the Discord moderators."},
				{mdDave, "ban", []discordfake.CommandOption{userOpt(mdSam), strOpt("reason", "x")}, "sam is above you in the role list"},
				{mdDave, "warn", []discordfake.CommandOption{userOpt(mdPat), strOpt("reason", "x")}, "pat has the partners role, which is protected"},
				{mdDave, "warn", []discordfake.CommandOption{userOpt(mdDave), strOpt("reason", "x")}, "You cannot moderate yourself."},
				{mdDave, "timeout", []discordfake.CommandOption{userOpt(mdOwner), strOpt("duration", "1h"), strOpt("reason", "x")}, "owner owns the server"},
			} {
				a := w.slash(t, tt.by, tt.cmd, tt.opts...)
				if !strings.Contains(a.Content, tt.want) || a.Flags&64 == 0 {
					t.Errorf("/%s by %s answered %+v, want %q to them alone", tt.cmd, tt.by, a, tt.want)
				}
			}
			for _, c := range w.discord.Calls()[before:] {
				if c.Method != "GET" && !strings.HasPrefix(c.Path, "/interactions/") {
					t.Errorf("a refusal caused %s %s", c.Method, c.Path)
				}
			}
		})
	}
}

func TestTwentyModeratorsAtOnceGetGaplessCasesAndABatchedModLog(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.start(t, storetest.URL(t, dialect))
			// The twenty commands arrive at once; the answers are awaited
			// afterwards, each on its own condition, from the test's
			// goroutine (a wait that fails must stop the test from there).
			var wg sync.WaitGroup
			refs := make([]discordfake.InteractionRef, 20)
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					refs[i] = w.discord.SlashCommand(mdGuild, mdGeneral, mdDave, "note", userOpt(mdMallory), strOpt("text", fmt.Sprint("raid report ", i)))
				}()
			}
			wg.Wait()
			answers := make([]string, 20)
			seen := map[string]bool{}
			for i, ref := range refs {
				answers[i] = w.answerOf(t, ref).Content
				seen[answers[i]] = true
			}
			for n := 1; n <= 20; n++ {
				if want := fmt.Sprintf("Noted on mallory's record (case %d).", n); !seen[want] {
					t.Errorf("no answer %q among %q", want, answers)
				}
			}
			// The burst is batched: the first cases alone, the others together,
			// posted once the burst window has passed.
			w.clock.Advance(11 * time.Second)
			w.wait(t, "the batched mod log", func() bool {
				n := 0
				for _, m := range w.discord.Messages(mdModLog) {
					n += strings.Count(m.Content, "Case ")
				}
				return n == 20
			})
			if n := len(w.discord.Messages(mdModLog)); n > 7 {
				t.Errorf("%d mod-log messages for 20 cases in a burst, want a few", n)
			}
			// Slack takes a channel's messages one a second after a burst
			// of three: the clock moves a second at a time until every
			// case shows (how many went out before the burst window was
			// passed depends on how fast the commands were answered).
			slackCases := func() int {
				n := 0
				for _, m := range w.slack.Messages("C01MODLOG") {
					n += strings.Count(string(m.Blocks), "Case ")
				}
				return n
			}
			for deadline := time.Now().Add(e2eWait); slackCases() < 20; {
				if time.Now().After(deadline) {
					t.Fatalf("the Slack mod log shows %d of the 20 cases", slackCases())
				}
				w.clock.Advance(time.Second)
				time.Sleep(20 * time.Millisecond)
			}
			if n := len(w.slack.Messages("C01MODLOG")); n > 7 {
				t.Errorf("%d Slack mod-log messages for 20 cases in a burst, want a few", n)
			}
		})
	}
}

func TestTemporaryBanAndLongTimeoutAreLiftedAfterARestartOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			url := storetest.URL(t, dialect)
			first := w.start(t, url)
			t0 := w.clock.Now()
			w.slash(t, mdDave, "ban", userOpt(mdMallory), strOpt("reason", "cool off"), strOpt("duration", "1d"))
			a := w.slash(t, mdDave, "timeout", userOpt(mdAlice), strOpt("duration", "30d"), strOpt("reason", "long one"))
			if want := "Timed out alice for 4w2d, until Wed 23 Dec 10:00 CET (case 2). Discord takes 28 days at a time: Liaison renews the timeout until then."; a.Content != want {
				t.Errorf("/timeout 30d answered %q, want %q", a.Content, want)
			}
			c := w.call(t, "PATCH", "/guilds/"+mdGuild+"/members/"+mdAlice)
			// Discord refuses past 28 days by its own clock: 10 minutes' margin.
			if body(c)["communication_disabled_until"] != t0.Add(28*24*time.Hour-10*time.Minute).Format(time.RFC3339) || c.Status != 200 {
				t.Errorf("the 30d timeout starts with Discord's 28d less a margin: %d %s", c.Status, c.Body)
			}
			if c.AuditLogReason != "dave via Liaison, case 2 (4w2d, until 2026-12-23 09:00 UTC, renewed every 28 days): long one" {
				t.Errorf("the audit log does not say the real end: %q", c.AuditLogReason)
			}
			w.call(t, "PUT", "/guilds/"+mdGuild+"/bans/"+mdMallory)
			w.modLog(t, 2)
			first.stop()

			// A day later Liaison starts again: on Postgres, two replicas at once.
			w.clock.Advance(24 * time.Hour)
			second := w.start(t, url)
			if dialect == store.Postgres {
				w.start(t, url)
			}
			c = w.call(t, "DELETE", "/guilds/"+mdGuild+"/bans/"+mdMallory)
			// Before the clock jumps weeks ahead, the unban must be recorded
			// as sent: a claim the jump makes look weeks old is reclaimed and
			// sent again, as a hung sender's would be.
			w.wait(t, "the unban recorded as sent", func() bool {
				d, err := second.app.DB.OutboxDepth(context.Background())
				return err == nil && d[store.OutboxSending] == 0
			})
			if c.AuditLogReason != "Liaison: the 1d ban of case 1 ended" {
				t.Errorf("unban reason %q", c.AuditLogReason)
			}
			if _, banned := w.discord.Ban(mdGuild, mdMallory); banned {
				t.Error("mallory is still banned")
			}
			// An hour before the first 28 days (less the margin) end, the
			// timeout is renewed until its real end.
			w.clock.Set(t0.Add(28*24*time.Hour - 10*time.Minute - time.Hour))
			var renew discordfake.Call
			w.wait(t, "the renewal", func() bool {
				calls := w.discord.CallsTo("PATCH", "/guilds/"+mdGuild+"/members/"+mdAlice)
				renew = calls[len(calls)-1]
				return len(calls) >= 2 && renew.Status != 0
			})
			if body(renew)["communication_disabled_until"] != t0.Add(30*24*time.Hour).Format(time.RFC3339) || !strings.Contains(renew.AuditLogReason, "case 2") || renew.Status != 200 {
				t.Errorf("renewal: %s %q", renew.Body, renew.AuditLogReason)
			}
			w.wait(t, "the end of the ban in the mod log", func() bool {
				for _, m := range w.discord.Messages(mdModLog) {
					if strings.Contains(m.Content, "Case 1: the 1d ban of mallory ended") {
						return true
					}
				}
				return false
			})
			time.Sleep(1500 * time.Millisecond) // a scheduler tick or two for a double to show
			if n := len(w.discord.CallsTo("DELETE", "/guilds/"+mdGuild+"/bans/")); n != 1 {
				t.Errorf("%d unbans, want exactly one", n)
			}
			if n := len(w.discord.CallsTo("PATCH", "/guilds/"+mdGuild+"/members/"+mdAlice)); n != 2 {
				t.Errorf("%d timeout calls, want the timeout and one renewal", n)
			}
		})
	}
}

func TestPurgeSplitsAtFourteenDaysAndArchivesInBothModLogs(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.start(t, storetest.URL(t, dialect))
			now := w.clock.Now()
			day := 24 * time.Hour
			var recent, old []string
			for i, age := range []time.Duration{time.Hour, 2 * day, 13 * day, 15 * day, 20 * day} {
				m := w.discord.AddMessage(mdGeneral, mdMallory, fmt.Sprintf("spam %d days old", int(age/day)), now.Add(-age))
				if age < 14*day {
					recent = append(recent, m.ID)
				} else {
					old = append(old, m.ID)
				}
				_ = i
			}
			w.discord.AddMessage(mdGeneral, mdAlice, "an innocent message", now.Add(-time.Minute))
			a := w.slash(t, mdDave, "purge", discordfake.CommandOption{Name: "count", Type: 4, Value: 10}, userOpt(mdMallory))
			if a.Content != "Purge 5 message(s) in #general (from mallory)? 3 recent: deleted at once. 2 older than 14 days: Discord deletes those one by one, about 3s. Their text is archived in the mod log." {
				t.Errorf("preview = %q", a.Content)
			}
			if n := len(w.discord.CallsTo("POST", "/channels/"+mdGeneral+"/messages/bulk-delete")); n != 0 {
				t.Fatal("deleted before confirmation")
			}
			a = w.click(t, mdDave, a, "Confirm")
			if !strings.HasPrefix(a.Content, "Purging 5 message(s) in #general (case 1)") {
				t.Errorf("confirmed: %q", a.Content)
			}
			bulk := w.call(t, "POST", "/channels/"+mdGeneral+"/messages/bulk-delete")
			var got struct{ Messages []string }
			json.Unmarshal(bulk.Body, &got)
			if bulk.Status != 204 || len(got.Messages) != 3 || bulk.AuditLogReason != "dave via Liaison, case 1: 5 message(s) from mallory" {
				t.Errorf("bulk delete %d %v %q, want the 3 recent ones %v", bulk.Status, got.Messages, bulk.AuditLogReason, recent)
			}
			for _, id := range old {
				if c := w.call(t, "DELETE", "/channels/"+mdGeneral+"/messages/"+id); c.Status != 204 {
					t.Errorf("one-by-one delete of %s: %d", id, c.Status)
				}
			}
			if left := w.discord.Messages(mdGeneral); len(left) != 1 || left[0].AuthorID != mdAlice {
				t.Errorf("left in #general: %+v", left)
			}
			// The archive: a file under the case in Discord's and Slack's mod log.
			w.wait(t, "the archive in Discord", func() bool {
				for _, c := range w.discord.CallsTo("POST", "/channels/"+mdModLog+"/messages") {
					if strings.Contains(string(c.Body), `filename="purge-case-1.txt"`) && strings.Contains(string(c.Body), "spam 20 days old") && c.Status == 200 {
						return true
					}
				}
				return false
			})
			w.waitSlack(t, "the archive in Slack", func() bool {
				for _, m := range w.slack.Messages("C01MODLOG") {
					for _, f := range m.Files {
						if f.Name == "purge-case-1.txt" && strings.Contains(string(f.Data), "spam 15 days old") && m.ThreadTS != "" {
							return true
						}
					}
				}
				return false
			})
		})
	}
}

func TestAManualBanSeenInTheAuditLogBecomesOneCase(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.start(t, storetest.URL(t, dialect))
			// Liaison's own ban also shows in the audit log: not a second case.
			if a := w.slash(t, mdDave, "ban", userOpt(mdAlice), strOpt("reason", "spam")); !strings.HasPrefix(a.Content, "Banned alice for good (case 1)") {
				t.Fatalf("the ban's answer: %q", a.Content)
			}
			w.call(t, "PUT", "/guilds/"+mdGuild+"/bans/"+mdAlice)
			w.discord.GuildAuditLogEntryCreate(mdGuild, discordfake.AuditLogEntry{ActionType: 22, UserID: mdBot, TargetID: mdAlice, Reason: "dave via Liaison, case 1: spam"})
			// dave bans mallory by hand in Discord.
			w.discord.GuildAuditLogEntryCreate(mdGuild, discordfake.AuditLogEntry{ActionType: 22, UserID: mdDave, TargetID: mdMallory, Reason: "raid, by hand"})
			d, _ := w.modLog(t, 2)
			for _, want := range []string{"**Case 2 · ban**", "mallory", "**Moderator:** dave", "raid, by hand", "by hand in Discord"} {
				if !strings.Contains(d, want) {
					t.Errorf("manual ban's mod log lacks %q:\n%s", want, d)
				}
			}
			time.Sleep(500 * time.Millisecond)
			a := w.slash(t, mdDave, "cases", userOpt(mdAlice))
			if !strings.HasPrefix(a.Content, "alice has 1 case(s)") {
				t.Errorf("Liaison's own ban was recorded twice: %q", a.Content)
			}
			if n := len(w.discord.CallsTo("PUT", "/guilds/"+mdGuild+"/bans/"+mdMallory)); n != 0 {
				t.Error("Liaison banned mallory again")
			}
		})
	}
}

func TestAutomodDeletesWarnsAndTellsSlackAndRelaysDiscordsAutoMod(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.start(t, storetest.URL(t, dialect))
			m := w.discord.MessageCreate(mdGeneral, mdMallory, "claim your ｆｒｅｅ n\u200bitr0 now")
			c := w.call(t, "DELETE", "/channels/"+mdGeneral+"/messages/"+m.ID)
			if !strings.Contains(c.AuditLogReason, "automod rule scams") {
				t.Errorf("delete reason %q", c.AuditLogReason)
			}
			d, _ := w.modLog(t, 1)
			if !strings.Contains(d, "**Source:** automod") {
				t.Errorf("automod case:\n%s", d)
			}
			w.waitSlack(t, "the automod alert", func() bool {
				for _, m := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(m.Blocks), "Automod: mallory broke rule scams") {
						return true
					}
				}
				return false
			})
			// The message said mallory's roles: automod's checks read no
			// member from Discord inside the message's transaction.
			if calls := w.discord.CallsTo("GET", "/guilds/"+mdGuild+"/members/"+mdMallory); len(calls) != 0 {
				t.Errorf("automod read mallory's member from Discord %d times, want none: the message carried her roles", len(calls))
			}
			// Staff are exempt.
			w.discord.MessageCreate(mdGeneral, mdBob, "free nitro is a scam, do not click")
			// Discord's own AutoMod, relayed.
			w.discord.AutoModerationActionExecution(mdGuild, discordfake.AutoModAction{RuleID: "77", RuleTriggerType: 1, ActionType: 1,
				UserID: mdAlice, ChannelID: mdGeneral, Content: "a slur", MatchedKeyword: "slur"})
			w.waitSlack(t, "Discord's AutoMod in Slack", func() bool {
				for _, m := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(m.Blocks), "Discord AutoMod blocked a message: alice in #general") {
						return true
					}
				}
				return false
			})
			time.Sleep(300 * time.Millisecond)
			for _, c := range w.discord.CallsTo("DELETE", "/channels/"+mdGeneral+"/messages/") {
				if c.Path != "/channels/"+mdGeneral+"/messages/"+m.ID {
					t.Errorf("automod deleted %s", c.Path)
				}
			}
		})
	}
}

func TestSlackStaffModerateAsTheirDiscordAccount(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			a := w.start(t, storetest.URL(t, dialect))
			run := func(user, text string) string {
				t.Helper()
				req := w.slack.SlashCommand(a.base+"", mdSecret, w.clock.Now(), slack.SlashCommand{
					Command: "/liaison", Text: text, UserID: user, ChannelID: "C01MODLOG", ChannelName: "mod-log"})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return string(b)
			}
			if got := run("U01DAVE", "mod timeout mallory 1h spam from Slack"); !strings.Contains(got, "Timed out mallory for 1h") {
				t.Errorf("/liaison mod timeout = %s", got)
			}
			c := w.call(t, "PATCH", "/guilds/"+mdGuild+"/members/"+mdMallory)
			if c.AuditLogReason != "dave via Liaison (Slack), case 1: spam from Slack" {
				t.Errorf("audit reason %q", c.AuditLogReason)
			}
			_, s := w.modLog(t, 1)
			if !strings.Contains(s, "Slack (/liaison mod)") {
				t.Errorf("Slack mod log = %s", s)
			}
			for user, want := range map[string]string{
				"U01BOB":   "Kicking members is for the Discord moderators.",
				"U01CAROL": "Kicking members is for the Discord moderators.", // no Discord account: no role
				"U01ERIN":  "Kicking members is for the Discord moderators.", // not in people:
			} {
				if got := run(user, "mod kick alice x"); !strings.Contains(got, want) {
					t.Errorf("%s: %s, want %q", user, got, want)
				}
			}
			if n := len(w.discord.CallsTo("DELETE", "/guilds/"+mdGuild+"/members/")); n != 0 {
				t.Errorf("%d kicks from refused Slack users", n)
			}
		})
	}
}

func TestWelcomeAndRulesPingNobodyElse(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.start(t, storetest.URL(t, dialect))
			w.discord.GuildMemberAdd(mdGuild, discordfake.Member{UserID: "1400000000000000011", Username: "newbie"})
			var welcome discordfake.Message
			w.wait(t, "the welcome", func() bool {
				for _, m := range w.discord.Messages(mdGeneral) {
					if strings.Contains(m.Content, "Welcome newbie!") {
						welcome = m
						return true
					}
				}
				return false
			})
			if welcome.Content != "<@1400000000000000011>\nWelcome newbie!" || string(welcome.AllowedMentions) != `{"parse":[],"users":["1400000000000000011"],"replied_user":false}` {
				t.Errorf("welcome = %q %s", welcome.Content, welcome.AllowedMentions)
			}
			a := w.slash(t, mdDave, "rules")
			if a.Content != "1. Be kind." || a.Flags&64 != 0 || string(a.AllowedMentions) != `{"parse":[],"replied_user":false}` {
				t.Errorf("/rules by staff = %+v", a)
			}
			a = w.slash(t, mdAlice, "rules")
			if a.Flags&64 == 0 {
				t.Errorf("/rules by a member is for them alone: %+v", a)
			}
		})
	}
}

// A ban Discord refuses (Liaison's role lacks the permission) is answered
// and logged when the moderator acts, then reported once under its mod-log
// posts, shown on the case, and applied by the Slack note's Retry button
// once the permission is given.
func TestARefusedBanIsReportedInTheModLogAndRetriedFromSlack(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			a := w.start(t, storetest.URL(t, dialect))
			bans := "/guilds/" + mdGuild + "/bans/"
			w.discord.Forbid("PUT", bans)

			if got := w.slash(t, mdDave, "ban", userOpt(mdMallory), strOpt("reason", "raid")); !strings.HasPrefix(got.Content, "Banned mallory") {
				t.Fatalf("/ban answered %q", got.Content)
			}
			w.modLog(t, 1)
			const why = "Case 1 was not applied on Discord: Discord refused to let Liaison ban mallory: give Liaison's role the permission, and put it above mallory's highest role"
			var dnote discordfake.Message
			w.wait(t, "the failure in the Discord mod log", func() bool {
				for _, m := range w.discord.Messages(mdModLog) {
					if strings.Contains(m.Content, why) {
						dnote = m
						return true
					}
				}
				return false
			})
			if dnote.Reference == nil || !strings.Contains(dnote.Content, "/liaison mod retry 1") || string(dnote.AllowedMentions) != `{"parse":[],"replied_user":false}` {
				t.Errorf("Discord note = %+v", dnote)
			}
			var snote slackfake.Message
			w.waitSlack(t, "the failure in the Slack mod log", func() bool {
				for _, m := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(m.Blocks), why) {
						snote = m
						return true
					}
				}
				return false
			})
			if snote.ThreadTS == "" || snote.ThreadTS == snote.TS {
				t.Errorf("the Slack note is not in the case's thread: %+v", snote)
			}
			var blocks []struct {
				Elements []struct {
					ActionID string `json:"action_id"`
					Value    string `json:"value"`
				} `json:"elements"`
			}
			json.Unmarshal(snote.Blocks, &blocks)
			retry := ""
			for _, b := range blocks {
				for _, e := range b.Elements {
					if e.ActionID == "mod.retry" {
						retry = e.Value
					}
				}
			}
			if retry == "" {
				t.Fatalf("the Slack note has no Retry button: %s", snote.Blocks)
			}
			if got := w.slash(t, mdDave, "case", discordfake.CommandOption{Name: "number", Type: 4, Value: 1}); !strings.Contains(got.Content, "Not applied on Discord: Discord refused to let Liaison ban mallory") {
				t.Errorf("/case 1 = %q", got.Content)
			}

			// click presses Retry as user and waits for the answer shown to
			// them, which must contain want.
			click := func(user, want string) {
				t.Helper()
				seen := len(w.slack.Responses())
				req := w.slack.Interaction(a.base, mdSecret, w.clock.Now(), &slack.InteractionCallback{
					Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user},
					Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C01MODLOG"}}},
					Container: slack.Container{Type: "message", MessageTs: snote.TS, ChannelID: "C01MODLOG"},
					Message:   slack.Message{Msg: slack.Msg{Timestamp: snote.TS}},
					ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
						{ActionID: "mod.retry", BlockID: "actions", Value: retry, Type: "button"}}},
				})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				w.waitSlack(t, fmt.Sprintf("%s to be told %q", user, want), func() bool {
					for _, r := range w.slack.Responses()[seen:] {
						if strings.Contains(r.Text, want) && !r.ReplaceOriginal && r.ResponseType != "in_channel" {
							return true
						}
					}
					return false
				})
			}
			// Bob is staff but no moderator: he cannot retry.
			click("U01BOB", "Retrying a moderation action Discord refused is for the Discord moderators.")
			w.discord.Allow()
			click("U01DAVE", "Retrying case 1 on Discord")
			w.wait(t, "mallory banned", func() bool { _, ok := w.discord.Ban(mdGuild, mdMallory); return ok })
			click("U01DAVE", "Case 1 has nothing Discord refused to retry")
			// Reported once: one note on each side.
			w.clock.Advance(time.Minute)
			notes := 0
			for _, m := range w.discord.Messages(mdModLog) {
				if strings.Contains(m.Content, "was not applied") {
					notes++
				}
			}
			for _, m := range w.slack.Messages("C01MODLOG") {
				if strings.Contains(string(m.Blocks), "was not applied") {
					notes++
				}
			}
			if notes != 2 {
				t.Errorf("%d failure notes, want one in each mod log", notes)
			}
		})
	}
}
