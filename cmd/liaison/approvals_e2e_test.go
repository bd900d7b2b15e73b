package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// Drafted replies and approvals end to end: `liaison run` (App) against both
// fakes with the real slack-go and discordgo clients.

const (
	apE2EApprovals = "C01APPROVALS"
	apE2EErin      = "U01ERIN"
)

const apE2EConfig = `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT, approvals: C01APPROVALS}
discord:
  guild: "` + e2eGuild + `"
  channels: {feedback: "` + e2eFeedback + `", general: "` + e2eGeneral + `"}
  roles: {staff: ["1200000000000000001"]}
people:
  - {name: bob, slack: U01BOB}
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "` + e2eDave + `"}
feedback:
  channels: [feedback]
  default_to: product
approvals:
  channel: approvals
  approvers: [carol, dave]
  quorum: any
  overrides:
    general: {approvers: [carol, dave, {slack_group: S01LEADS, handle: leads}], quorum: 2, ping_author: true}
outbox: {reclaim_after: 1s}
`

// apWorld is the platforms an App talks to; a restarted App gets the same.
type apWorld struct {
	slack   *slackfake.Server
	discord *discordfake.Server
	dbURL   string
	clock   bot.Clock
}

func newAPWorld(t *testing.T, dialect string) *apWorld {
	t.Helper()
	sf := slackfake.New()
	t.Cleanup(sf.Close)
	sf.SetToken("xoxb-e2e")
	sf.AddChannel("C01PRODUCT", "product")
	sf.AddChannel(apE2EApprovals, "approvals")
	for id, name := range map[string]string{"U01BOB": "bob", "U01CAROL": "carol", "U01DAVE": "dave", apE2EErin: "erin"} {
		sf.AddUser(id, name, false)
	}
	sf.AddUsergroup("S01LEADS", "leads", apE2EErin)

	df := discordfake.New(discordfake.WithHeartbeatInterval(e2eHeartbeat))
	t.Cleanup(df.Close)
	df.SetBotUser(e2eBot, "liaison")
	df.AddGuild(e2eGuild, "Acme Community", "1000000000000000001")
	df.AddChannel(e2eGuild, discordfake.Channel{ID: e2eFeedback, Name: "feedback"})
	df.AddChannel(e2eGuild, discordfake.Channel{ID: e2eGeneral, Name: "general"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eBot, Username: "liaison", Bot: true})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eAlice, Username: "alice"})
	df.AddMember(e2eGuild, discordfake.Member{UserID: e2eDave, Username: "dave"})
	return &apWorld{slack: sf, discord: df, dbURL: storetest.URL(t, dialect), clock: bot.SystemClock{}}
}

// apEventually polls cond, which depends on the database (no fake signals
// it), until it holds, for at most e2eWait.
func apEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(e2eWait); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %s", what, e2eWait)
		}
	}
}

// apApp is one running `liaison run` in w.
type apApp struct {
	*e2e
	w    *apWorld
	stop func() // ends Run and waits for it; Close is left to the test's cleanup
}

func (w *apWorld) start(t *testing.T) *apApp {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "liaison.yaml")
	if err := os.WriteFile(cfg, []byte(apE2EConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: w.dbURL, ConfigPath: cfg,
		SlackBotToken: "xoxb-e2e", SlackSigningSecret: e2eSecret, SlackAPIURL: w.slack.APIURL(),
		DiscordBotToken: "e2e-token", DiscordAppID: e2eBot, DiscordAPIURL: w.discord.APIURL(),
	}
	identifies := w.discord.Identifies()
	app := NewApp(env, testLogger(t))
	app.Clock = w.clock
	stop := runApp(t, app)
	a := &apApp{e2e: &e2e{app: app, base: "http://" + app.Addr(), slack: w.slack, discord: w.discord}, w: w, stop: stop}
	a.waitDiscord(t, "the adapter to connect", func() bool { return w.discord.Identifies() > identifies })
	return a
}

func (a *apApp) now() time.Time { return a.w.clock.Now() }

// slashCommand runs /liaison text as user in #approvals and returns the
// answer's body.
func (a *apApp) slashCommand(t *testing.T, user, text string) string {
	t.Helper()
	code, body := a.do(t, a.slack.SlashCommand(a.base, e2eSecret, a.now(), slack.SlashCommand{
		Command: "/liaison", Text: text, UserID: user, ChannelID: apE2EApprovals, ChannelName: "approvals",
	}))
	if code != http.StatusOK {
		t.Fatalf("/liaison %s answered %d %s", text, code, body)
	}
	return body
}

// approvalMessage waits for draft n's message in #approvals (recognised by
// the outbox key it carries), recorded as sent.
func (a *apApp) approvalMessage(t *testing.T, n int) slackfake.Message {
	t.Helper()
	key := store.DraftOutboxKey(int64(n))
	var m slackfake.Message
	apEventually(t, fmt.Sprintf("approval message %d", n), func() bool {
		found := false
		for _, msg := range a.slack.Messages(apE2EApprovals) {
			if msg.Metadata != nil && msg.Metadata.EventPayload["key"] == key {
				m, found = msg, true
			}
		}
		if !found {
			return false
		}
		// Reactions find the draft by the ts its outbox message recorded.
		e, err := a.app.DB.OutboxByKey(context.Background(), key)
		return err == nil && e.State == store.OutboxSent
	})
	return m
}

// current returns the message's state now.
func (a *apApp) current(t *testing.T, m slackfake.Message) slackfake.Message {
	t.Helper()
	now, ok := a.slack.Message(apE2EApprovals, m.TS)
	if !ok {
		t.Fatalf("approval message %s is gone", m.TS)
	}
	return now
}

// buttonValue reads the value of the button actionID from a message.
func buttonValue(t *testing.T, m slackfake.Message, actionID string) string {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		els, _ := b["elements"].([]any)
		for _, e := range els {
			el, _ := e.(map[string]any)
			if el["action_id"] == actionID {
				v, _ := el["value"].(string)
				return v
			}
		}
	}
	t.Fatalf("no button %s on the message:\n%s", actionID, m.Blocks)
	return ""
}

// click presses a button of an approval message as user and returns what
// the user was shown (the response_url answer), if anything.
func (a *apApp) click(t *testing.T, m slackfake.Message, user, actionID, value string) {
	t.Helper()
	code, body := a.do(t, a.clickRequest(m, user, actionID, value))
	if code != http.StatusOK {
		t.Fatalf("click %s answered %d %s", actionID, code, body)
	}
}

func (a *apApp) clickRequest(m slackfake.Message, user, actionID, value string) *http.Request {
	return a.slack.Interaction(a.base, e2eSecret, a.now(), &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: m.Channel}}},
		Container: slack.Container{Type: "message", MessageTs: m.TS, ChannelID: m.Channel},
		Message:   slack.Message{Msg: slack.Msg{Timestamp: m.TS}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: actionID, BlockID: "actions", Value: value, Type: "button"}}},
	})
}

// react adds a reaction to an approval message as user, delivered by the
// Events API.
func (a *apApp) react(t *testing.T, m slackfake.Message, user, name string) {
	t.Helper()
	ev := map[string]any{"type": "reaction_added", "user": user, "reaction": name, "event_ts": fmt.Sprintf("%d.000100", a.now().Unix()),
		"item": map[string]any{"type": "message", "channel": m.Channel, "ts": m.TS}}
	code, body := a.do(t, a.slack.Event(a.base, e2eSecret, a.now(), "", fmt.Sprintf("Ev%s%s%d", user, name, time.Now().UnixNano()), ev))
	if code != http.StatusOK {
		t.Fatalf("reaction answered %d %s", code, body)
	}
}

// toldTo waits for a message shown to user only containing want.
func (a *apApp) toldTo(t *testing.T, user, want string) {
	t.Helper()
	a.waitSlack(t, fmt.Sprintf("%s to be told %q", user, want), func() bool {
		for _, e := range a.slack.Ephemerals(apE2EApprovals) {
			if e.User == user && strings.Contains(e.Text, want) {
				return true
			}
		}
		return false
	})
}

// replies returns Liaison's messages in a Discord channel.
func (a *apApp) replies(channelID string) []discordfake.Message {
	var out []discordfake.Message
	for _, m := range a.discord.Messages(channelID) {
		if m.AuthorID == e2eBot {
			out = append(out, m)
		}
	}
	return out
}

func (a *apApp) draft(t *testing.T, id int64) *store.Draft {
	t.Helper()
	d, err := a.app.DB.Draft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (a *apApp) waitStatus(t *testing.T, id int64, status string) *store.Draft {
	t.Helper()
	var d *store.Draft
	apEventually(t, fmt.Sprintf("draft %d to be %s", id, status), func() bool {
		d = a.draft(t, id)
		return d.Status == status
	})
	return d
}

func TestADraftFromARelayIsApprovedByReactionAndRepliesInDiscord(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			target := a.discord.MessageCreate(e2eFeedback, e2eAlice, "the export button crashes on big files")
			var relay slackfake.Message
			a.waitSlack(t, "the relay", func() bool {
				msgs := a.slack.Messages("C01PRODUCT")
				if len(msgs) > 0 {
					relay = msgs[0]
				}
				return len(msgs) > 0
			})

			// carol clicks Draft reply: a form opens (views.open), prefilled.
			code, body := a.do(t, a.slack.Interaction(a.base, e2eSecret, a.now(), &slack.InteractionCallback{
				Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U01CAROL"},
				Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C01PRODUCT"}}},
				Container: slack.Container{Type: "message", MessageTs: relay.TS, ChannelID: "C01PRODUCT"},
				ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
					{ActionID: "feedback.draft", BlockID: "actions", Value: "1", Type: "button"}}},
			}))
			if code != http.StatusOK {
				t.Fatalf("Draft reply answered %d %s", code, body)
			}
			var view slackfake.View
			a.waitSlack(t, "the draft form", func() bool {
				vs := a.slack.Views()
				if len(vs) > 0 {
					view = vs[len(vs)-1]
				}
				return len(vs) > 0
			})
			var v struct {
				CallbackID string `json:"callback_id"`
				Meta       string `json:"private_metadata"`
			}
			json.Unmarshal(view.JSON, &v)
			if v.CallbackID != "approvals.draft" || v.Meta != "feedback:1" || !strings.Contains(string(view.JSON), "the export button crashes on big files") {
				t.Fatalf("form = %s", view.JSON)
			}
			// She writes the reply and submits it, with a ping attempt.
			code, body = a.do(t, a.slack.Interaction(a.base, e2eSecret, a.now(), &slack.InteractionCallback{
				Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U01CAROL"},
				View: slack.View{CallbackID: v.CallbackID, PrivateMetadata: v.Meta, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
					"text": {"text": {Type: "plain_text_input", Value: "Hi alice, a fix ships on Monday! @everyone"}}}}},
			}))
			if code != http.StatusOK || !strings.Contains(body, "Draft #1 is waiting for approval in #approvals") {
				t.Fatalf("submit answered %d %s", code, body)
			}

			m := a.approvalMessage(t, 1)
			blocks := string(m.Blocks)
			for _, want := range []string{"Draft reply #1 to alice in #feedback (feedback #1)", `\u003e the export button crashes on big files`,
				"Hi alice, a fix ships on Monday!", "needs 1 of carol, dave — carol wrote this version, so only dave can approve it", "1 by carol · text ", "approvals.approve", "approvals.reject", "approvals.edit"} {
				if !strings.Contains(blocks, want) {
					t.Errorf("approval message lacks %q:\n%s", want, blocks)
				}
			}
			if m.Metadata == nil || m.Metadata.EventPayload["key"] != "draft:1" {
				t.Errorf("approval message metadata = %+v", m.Metadata)
			}

			// carol cannot approve her own draft; bob is no approver.
			a.click(t, m, "U01CAROL", "approvals.approve", buttonValue(t, m, "approvals.approve"))
			a.toldTo(t, "U01CAROL", "You wrote this version of the draft, so you cannot approve it")
			a.react(t, m, "U01BOB", "white_check_mark")
			a.toldTo(t, "U01BOB", "You are not an approver for this draft")
			if n := len(a.replies(e2eFeedback)); n != 0 {
				t.Fatalf("%d replies in Discord before any approval", n)
			}

			// dave approves with ✅: one reply in Discord, to alice's message,
			// pinging nobody.
			a.react(t, m, "U01DAVE", "white_check_mark::skin-tone-2")
			a.waitDiscord(t, "the reply in Discord", func() bool { return len(a.replies(e2eFeedback)) == 1 })
			reply := a.replies(e2eFeedback)[0]
			if reply.Reference == nil || reply.Reference.MessageID != target.ID {
				t.Errorf("reply reference = %+v, want alice's message %s", reply.Reference, target.ID)
			}
			if !strings.HasPrefix(reply.Content, "Hi alice, a fix ships on Monday!") || strings.Contains(reply.Content, "@everyone") && !strings.Contains(reply.Content, "@\u200beveryone") {
				t.Errorf("reply content = %q", reply.Content)
			}
			var am struct {
				Parse []string `json:"parse"`
				Users []string `json:"users"`
			}
			if err := json.Unmarshal(reply.AllowedMentions, &am); err != nil || len(am.Parse) != 0 || len(am.Users) != 0 {
				t.Errorf("allowed_mentions = %s, want nobody", reply.AllowedMentions)
			}
			d := a.waitStatus(t, 1, bot.DraftPosted)
			if d.DiscordMessageID != reply.ID {
				t.Errorf("recorded Discord message %q, want %q", d.DiscordMessageID, reply.ID)
			}
			a.waitSlack(t, "the approval message to link the reply", func() bool {
				b := string(a.current(t, m).Blocks)
				return strings.Contains(b, "posted in Discord") && strings.Contains(b, reply.ID) && strings.Contains(b, "dave")
			})
			if b := string(a.current(t, m).Blocks); strings.Contains(b, "approvals.approve") {
				t.Errorf("a posted draft still has its buttons:\n%s", b)
			}
			it, err := a.app.DB.Feedback(context.Background(), 1)
			if err != nil || it.Status != store.FeedbackAnswered || it.FirstResponseAt == nil {
				t.Errorf("feedback item = %+v, %v", it, err)
			}
			show := a.slashCommand(t, "U01CAROL", "draft show 1")
			if !strings.Contains(show, "dave approved") || !strings.Contains(show, "Liaison posted") {
				t.Errorf("draft show = %s", show)
			}
		})
	}
}

func TestADraftByLinkNeedsTwoApprovalsOneFromAGroupAndPingsTheAuthor(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			target := a.discord.MessageCreate(e2eGeneral, e2eAlice, "is the API down?")
			link := fmt.Sprintf("https://discord.com/channels/%s/%s/%s", e2eGuild, e2eGeneral, target.ID)
			body := a.slashCommand(t, "U01BOB", "draft <"+link+"> It was down for 5 minutes; it is back.")
			if !strings.Contains(body, "Draft #1 is waiting for approval in #approvals: it needs 2 of carol, dave, @leads.") {
				t.Fatalf("/liaison draft = %s", body)
			}
			m := a.approvalMessage(t, 1)
			a.click(t, m, "U01CAROL", "approvals.approve", buttonValue(t, m, "approvals.approve"))
			a.toldTo(t, "U01CAROL", "It needs 1 more approval(s)")
			// erin approves as a member of the leads user group, by reaction.
			a.react(t, m, apE2EErin, "white_check_mark")
			a.waitDiscord(t, "the reply", func() bool { return len(a.replies(e2eGeneral)) == 1 })
			reply := a.replies(e2eGeneral)[0]
			var am struct {
				Parse []string `json:"parse"`
				Users []string `json:"users"`
			}
			if err := json.Unmarshal(reply.AllowedMentions, &am); err != nil || len(am.Parse) != 0 || !slices.Equal(am.Users, []string{e2eAlice}) {
				t.Errorf("allowed_mentions = %s, want alice only", reply.AllowedMentions)
			}
			if !strings.HasPrefix(reply.Content, "<@"+e2eAlice+">") || reply.Reference == nil || reply.Reference.MessageID != target.ID {
				t.Errorf("reply = %q %+v", reply.Content, reply.Reference)
			}
			a.waitStatus(t, 1, bot.DraftPosted)
		})
	}
}

func TestADiscordRefusalIsShownOnTheApprovalMessageAndRetried(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			a.discord.MessageCreate(e2eFeedback, e2eAlice, "hello?")
			a.waitSlack(t, "the relay", func() bool { return len(a.slack.Messages("C01PRODUCT")) == 1 })
			a.slashCommand(t, "U01BOB", "reply 1 Hello alice!")
			m := a.approvalMessage(t, 1)
			a.discord.Forbid("POST", "/channels/"+e2eFeedback+"/messages")
			a.click(t, m, "U01DAVE", "approvals.approve", buttonValue(t, m, "approvals.approve"))
			a.waitStatus(t, 1, bot.DraftFailed)
			var now slackfake.Message
			a.waitSlack(t, "the refusal on the approval message", func() bool {
				now = a.current(t, m)
				return strings.Contains(string(now.Blocks), "Liaison cannot post in #feedback: give it Send Messages there") && strings.Contains(string(now.Blocks), "approvals.retry")
			})
			a.discord.Allow()
			a.click(t, now, "U01CAROL", "approvals.retry", buttonValue(t, now, "approvals.retry"))
			a.toldTo(t, "U01CAROL", "Liaison is trying again to post draft #1 in Discord.")
			a.waitStatus(t, 1, bot.DraftPosted)
			a.waitSlack(t, "the approval message to show the reply", func() bool {
				return strings.Contains(string(a.current(t, m).Blocks), "posted in Discord")
			})
			if n := len(a.replies(e2eFeedback)); n != 1 {
				t.Errorf("%d replies in Discord, want 1", n)
			}
		})
	}
}

func TestDeletedTargetsAndDeadlinesStopADraft(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newAPWorld(t, dialect)
			clock := bot.NewManualClock(time.Now())
			w.clock = clock
			a := w.start(t)
			gone := a.discord.MessageCreate(e2eGeneral, e2eAlice, "first")
			kept := a.discord.MessageCreate(e2eGeneral, e2eAlice, "second")
			for _, id := range []string{gone.ID, kept.ID} {
				a.slashCommand(t, "U01BOB", fmt.Sprintf("draft https://discord.com/channels/%s/%s/%s Thanks!", e2eGuild, e2eGeneral, id))
			}
			m1, m2 := a.approvalMessage(t, 1), a.approvalMessage(t, 2)

			// alice deletes her first message: its draft goes stale.
			a.discord.MessageDelete(e2eGeneral, gone.ID)
			a.waitStatus(t, 1, bot.DraftStale)
			a.waitSlack(t, "the stale draft's message", func() bool {
				return strings.Contains(string(a.current(t, m1).Blocks), "the Discord message it answers was deleted")
			})
			a.click(t, m1, "U01DAVE", "approvals.approve", buttonValue(t, m1, "approvals.approve"))
			a.toldTo(t, "U01DAVE", "answers a Discord message that no longer exists, so it cannot be approved")

			// Nobody approves the second within 48h: it expires.
			clock.Advance(48*time.Hour + time.Minute)
			a.waitStatus(t, 2, bot.DraftExpired)
			a.waitSlack(t, "the expired draft's message", func() bool {
				return strings.Contains(string(a.current(t, m2).Blocks), "nobody approved it in time")
			})
			if n := len(a.replies(e2eGeneral)); n != 0 {
				t.Errorf("%d replies posted", n)
			}
		})
	}
}

func TestPublishingIsExactlyOnceThroughTheFakes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newAPWorld(t, dialect)
			a := w.start(t)
			a.discord.MessageCreate(e2eFeedback, e2eAlice, "one")
			a.waitSlack(t, "the relay", func() bool { return len(a.slack.Messages("C01PRODUCT")) == 1 })
			a.slashCommand(t, "U01BOB", "reply 1 Answer one.")
			m := a.approvalMessage(t, 1)
			value := buttonValue(t, m, "approvals.approve")

			// The same payload delivered twice, two approvers clicking at the
			// same moment (quorum 1), and a double click.
			replay := a.clickRequest(m, "U01DAVE", "approvals.approve", value)
			body, _ := replayBody(replay)
			var wg sync.WaitGroup
			for i, req := range []*http.Request{replay, cloneRequest(replay, body), a.clickRequest(m, "U01CAROL", "approvals.approve", value),
				a.clickRequest(m, "U01DAVE", "approvals.approve", value)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code, body := a.do(t, req); code != http.StatusOK {
						t.Errorf("request %d answered %d %s", i, code, body)
					}
				}()
			}
			wg.Wait()
			a.waitStatus(t, 1, bot.DraftPosted)

			// A restart between approval and send, with a crash mid-send: the
			// reply reached Discord but the outbox never heard back.
			a.discord.MessageCreate(e2eFeedback, e2eAlice, "two")
			a.waitSlack(t, "the second relay", func() bool { return len(a.slack.Messages("C01PRODUCT")) == 2 })
			a.slashCommand(t, "U01BOB", "reply 2 Answer two.")
			m2 := a.approvalMessage(t, 2)
			a.stop() // the process stops: nothing more is sent
			ctx := context.Background()
			reply, err := a.app.Router.HandleAction(ctx, &bot.Action{ActionID: "approvals.approve", Value: buttonValue(t, m2, "approvals.approve"),
				User: bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}, Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apE2EApprovals}})
			if err != nil || !strings.Contains(reply.Text, "being posted") {
				t.Fatalf("approve while stopped = %+v, %v", reply, err)
			}
			claimed, err := a.app.DB.ClaimOutbox(ctx, "crashed", a.now(), 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range claimed {
				if msg.Key == "publish:2" {
					if _, err := a.app.Discord.Sender().Send(ctx, msg); err != nil {
						t.Fatalf("the send before the crash: %v", err)
					}
				}
			}
			a.app.Close()
			b := w.start(t) // the same database and platforms
			b.waitStatus(t, 2, bot.DraftPosted)
			var twos int
			for _, r := range b.replies(e2eFeedback) {
				if r.Content == "Answer two." {
					twos++
				}
			}
			if got := len(b.replies(e2eFeedback)); got != 2 || twos != 1 {
				t.Errorf("%d replies in Discord (%d of the second), want one each", got, twos)
			}
			if d := b.draft(t, 2); d.DiscordMessageID == "" {
				t.Errorf("draft 2 = %+v", d)
			}
		})
	}
}

// replayBody reads a request's body so that it can be sent again, as Slack
// does when it retries.
func replayBody(r *http.Request) ([]byte, error) {
	b, err := r.GetBody()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}

func cloneRequest(r *http.Request, body []byte) *http.Request {
	c := r.Clone(context.Background())
	c.Body, c.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return c
}

// messageWithKey waits for Liaison's message in #approvals that carries the
// outbox key, recorded as sent.
func (a *apApp) messageWithKey(t *testing.T, key string) slackfake.Message {
	t.Helper()
	var m slackfake.Message
	apEventually(t, "the message "+key, func() bool {
		found := false
		for _, msg := range a.slack.Messages(apE2EApprovals) {
			if msg.Metadata != nil && msg.Metadata.EventPayload["key"] == key {
				m, found = msg, true
			}
		}
		e, err := a.app.DB.OutboxByKey(context.Background(), key)
		return found && err == nil && e.State == store.OutboxSent
	})
	return m
}

// openForm clicks a button that opens a form and returns the form's
// callback id and state.
func (a *apApp) openForm(t *testing.T, m slackfake.Message, user, actionID string) (callbackID, meta string) {
	t.Helper()
	before := len(a.slack.Views())
	a.click(t, m, user, actionID, buttonValue(t, m, actionID))
	var view slackfake.View
	a.waitSlack(t, "the form of "+actionID, func() bool {
		vs := a.slack.Views()
		if len(vs) > before {
			view = vs[len(vs)-1]
		}
		return len(vs) > before
	})
	var v struct {
		CallbackID string `json:"callback_id"`
		Meta       string `json:"private_metadata"`
	}
	if err := json.Unmarshal(view.JSON, &v); err != nil {
		t.Fatal(err)
	}
	return v.CallbackID, v.Meta
}

// submitForm submits a form with one text field as user and returns the
// answer's body.
func (a *apApp) submitForm(t *testing.T, user, callbackID, meta, field, value string) string {
	t.Helper()
	code, body := a.do(t, a.slack.Interaction(a.base, e2eSecret, a.now(), &slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user},
		View: slack.View{CallbackID: callbackID, PrivateMetadata: meta, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			field: {field: {Type: "plain_text_input", Value: value}}}}},
	}))
	if code != http.StatusOK {
		t.Fatalf("submit %s answered %d %s", callbackID, code, body)
	}
	return body
}

// The first story through Slack and Discord: carol drafts, dave
// rewrites it, then approves by ✅ and by button. Both are refused, and so
// is carol's ✅ on the message she had been shown, which now says it is
// superseded; only carol, on the new version's message, can publish it.
func TestAnEditorCannotApproveTheirVersionAndTheOldMessageIsSuperseded(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			a.discord.MessageCreate(e2eFeedback, e2eAlice, "the export crashes")
			a.waitSlack(t, "the relay", func() bool { return len(a.slack.Messages("C01PRODUCT")) == 1 })
			a.slashCommand(t, "U01CAROL", "reply 1 Thanks alice, we are on it.")
			m1 := a.approvalMessage(t, 1)

			callback, meta := a.openForm(t, m1, "U01DAVE", "approvals.edit")
			const left = "needs 1 of carol, dave — dave wrote this version, so only carol can approve it"
			if body := a.submitForm(t, "U01DAVE", callback, meta, "text", "Our product is garbage, sorry."); !strings.Contains(body, "Draft #1 is saved as version 2: it "+left) {
				t.Fatalf("dave's edit answered %s", body)
			}
			m2 := a.messageWithKey(t, store.DraftVersionKey(1, 2))
			if m2.ThreadTS != m1.TS {
				t.Errorf("version 2's message is in thread %q, want under the first message %q", m2.ThreadTS, m1.TS)
			}
			for _, want := range []string{"Our product is garbage, sorry.", "2 by dave · text ", left, "version 1 ↑"} {
				if !strings.Contains(string(m2.Blocks), want) {
					t.Errorf("version 2's message lacks %q:\n%s", want, m2.Blocks)
				}
			}
			a.waitSlack(t, "the first message to say it is superseded", func() bool {
				b := string(a.current(t, m1).Blocks)
				return strings.Contains(b, "superseded by version 2 ↓") && !strings.Contains(b, "approvals.approve")
			})

			a.react(t, m2, "U01DAVE", "white_check_mark")
			a.toldTo(t, "U01DAVE", "You wrote this version of the draft, so you cannot approve it: it "+left)
			a.click(t, m2, "U01DAVE", "approvals.approve", buttonValue(t, m2, "approvals.approve"))
			a.waitSlack(t, "dave's click to be refused", func() bool {
				n := 0
				for _, e := range a.slack.Ephemerals(apE2EApprovals) {
					if e.User == "U01DAVE" && strings.Contains(e.Text, "You wrote this version of the draft") {
						n++
					}
				}
				return n == 2
			})
			a.react(t, m1, "U01CAROL", "white_check_mark")
			a.toldTo(t, "U01CAROL", "This message shows version 1 of draft #1, which is superseded")
			a.click(t, m1, "U01CAROL", "approvals.approve", buttonValue(t, m1, "approvals.approve"))
			a.toldTo(t, "U01CAROL", "The text of draft #1 changed since this message was shown: here is the new one, version 2 by dave")
			if n := len(a.replies(e2eFeedback)); n != 0 {
				t.Fatalf("%d replies in Discord after refusals", n)
			}
			if as, err := a.app.DB.Approvals(context.Background(), 1, 0); err != nil || len(as) != 0 {
				t.Fatalf("approvals after refusals = %+v, %v", as, err)
			}

			a.react(t, m2, "U01CAROL", "white_check_mark")
			a.waitDiscord(t, "the reply", func() bool { return len(a.replies(e2eFeedback)) == 1 })
			if got := a.replies(e2eFeedback)[0].Content; got != "Our product is garbage, sorry." {
				t.Errorf("published %q", got)
			}
			a.waitStatus(t, 1, bot.DraftPosted)
		})
	}
}

// One answer per message through Slack and Discord: a second draft while
// one waits is refused with the waiting one's Edit; once the first is
// posted, a follow-up shows it to its approvers and is posted as another
// reply to the same message.
func TestASecondDraftIsRefusedThenPostedAsAFollowUp(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			target := a.discord.MessageCreate(e2eFeedback, e2eAlice, "the export crashes")
			a.waitSlack(t, "the relay", func() bool { return len(a.slack.Messages("C01PRODUCT")) == 1 })
			a.slashCommand(t, "U01BOB", "reply 1 Thanks alice, we are on it.")
			m1 := a.approvalMessage(t, 1)

			link := fmt.Sprintf("https://discord.com/channels/%s/%s/%s", e2eGuild, e2eFeedback, target.ID)
			body := a.slashCommand(t, "U01CAROL", "draft "+link+" A fix ships on Monday.")
			if !strings.Contains(body, "Draft #1 by bob is already waiting for approval as the answer to that message") ||
				!strings.Contains(body, `"action_id":"approvals.edit"`) || !strings.Contains(body, buttonValue(t, m1, "approvals.edit")) {
				t.Fatalf("the second draft answered %s", body)
			}
			if ds, _ := a.app.DB.ListDrafts(context.Background(), store.DraftFilter{}); len(ds) != 1 {
				t.Fatalf("%d drafts after the refusal", len(ds))
			}

			a.react(t, m1, "U01DAVE", "white_check_mark")
			a.waitStatus(t, 1, bot.DraftPosted)
			body = a.slashCommand(t, "U01CAROL", "draft "+link+" A fix ships on Monday.")
			// (On Postgres the refused insert used up a number: the follow-up
			// may be #3.)
			var id int
			if _, err := fmt.Sscanf(body[strings.Index(body, "Draft #"):], "Draft #%d is waiting for approval in #approvals", &id); err != nil ||
				!strings.Contains(body, "It is a follow-up: #1 was already posted on ") {
				t.Fatalf("the follow-up answered %s", body)
			}
			m2 := a.approvalMessage(t, id)
			if !strings.Contains(string(m2.Blocks), "Thanks alice, we are on it.") || !strings.Contains(string(m2.Blocks), "Follow-up") {
				t.Errorf("the follow-up's message does not show the first reply:\n%s", m2.Blocks)
			}
			a.react(t, m2, "U01DAVE", "white_check_mark")
			a.waitDiscord(t, "the follow-up in Discord", func() bool { return len(a.replies(e2eFeedback)) == 2 })
			for _, r := range a.replies(e2eFeedback) {
				if r.Reference == nil || r.Reference.MessageID != target.ID {
					t.Errorf("reply %q answers %+v, want alice's message", r.Content, r.Reference)
				}
			}
		})
	}
}
