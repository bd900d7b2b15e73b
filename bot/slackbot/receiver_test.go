package slackbot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestASignedSlashCommandIsAnsweredWithItsReply(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Text: "Approved draft 42, <!channel> will see it", Buttons: []bot.Button{{ActionID: "draft.undo", Label: "Undo", Value: "42"}}}, nil
	}
	req := tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{
		ChannelID: product, UserID: carol, Command: "/liaison", Text: "approve 42",
	})
	trigger := formValue(t, req, "trigger_id")

	status, body := do(t, req)
	if status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", status, body)
	}
	var msg struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	if msg.ResponseType != "ephemeral" || !strings.HasPrefix(msg.Text, "Approved draft 42") {
		t.Errorf("answer = %+v, want the reply's text, ephemeral", msg)
	}
	if strings.Contains(body, "<!channel>") || !strings.Contains(msg.Text, "&lt;!channel&gt;") {
		t.Errorf("answer %s can ping the channel", body)
	}
	if !strings.Contains(string(msg.Blocks), `"action_id":"draft.undo"`) {
		t.Errorf("blocks %s lack the button", msg.Blocks)
	}

	want := &bot.Command{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: slackbot.KeyCommand, Key: trigger}}, At: tb.clock.Now()},
		Place:    bot.Place{Platform: bot.PlatformSlack, ScopeID: slackfake.TeamID, ChannelID: product, ChannelName: "product"},
		Name:     "liaison",
		Text:     "approve 42",
		User:     bot.User{Platform: bot.PlatformSlack, ID: carol, Name: "carol"},
	}
	if len(tb.handler.commands) != 1 {
		t.Fatalf("handler got %d commands, want 1", len(tb.handler.commands))
	}
	if diff := cmp.Diff(want, tb.handler.commands[0]); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
}

func TestASlowCommandIsAcknowledgedAndItsReplyFollowsByResponseURL(t *testing.T) {
	t.Parallel()
	tb := setup(t, func(o *slackbot.Options) { o.AckBudget = 200 * time.Millisecond })
	release := make(chan struct{})
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		<-release
		return &bot.Reply{Text: "Here is the list you asked for.", Public: true}, nil
	}
	req := tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{
		ChannelID: product, UserID: carol, Command: "/liaison", Text: "list",
	})
	start := time.Now()
	status, body := do(t, req)
	if took := time.Since(start); status != http.StatusOK || body != "" || took > 2*time.Second {
		t.Fatalf("answer = %d %q after %s, want an empty 200 within the budget", status, body, took)
	}
	if n := len(tb.fake.Responses()); n != 0 {
		t.Fatalf("%d response_url posts before the handler finished", n)
	}
	close(release)
	wait(t, "the reply at the response_url", func() bool { return len(tb.fake.Responses()) == 1 })
	r := tb.fake.Responses()[0]
	if r.Text != "Here is the list you asked for." || r.ResponseType != "in_channel" {
		t.Errorf("response_url got %+v, want the public reply", r)
	}
}

func TestAReplyWithAModalOpensItWithTheTrigger(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Modal: &bot.Modal{
			CallbackID: "feedback.new", Title: "New feedback", Submit: "Log it", Meta: "from:slash",
			Fields: []bot.ModalField{{ID: "text", Label: "What did they say?", Multiline: true}, {ID: "who", Label: "Who", Optional: true}},
		}}, nil
	}
	req := tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/feedback"})
	trigger := formValue(t, req, "trigger_id")
	if status, body := do(t, req); status != http.StatusOK || body != "" {
		t.Fatalf("answer = %d %q, want an empty 200", status, body)
	}
	views := tb.fake.Views()
	if len(views) != 1 {
		t.Fatalf("%d views opened, want 1", len(views))
	}
	v := views[0]
	if v.TriggerID != trigger || v.CallbackID != "feedback.new" || v.User != carol {
		t.Errorf("view = %+v, want feedback.new opened with the command's trigger", v)
	}
	for _, want := range []string{`"block_id":"text"`, `"action_id":"text"`, `"multiline":true`, `"private_metadata":"from:slash"`, `"optional":true`} {
		if !strings.Contains(string(v.JSON), want) {
			t.Errorf("view %s lacks %s", v.JSON, want)
		}
	}
}

func TestAHandlerErrorIsShownToTheRequesterOnly(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		if c.Text == "boom" {
			return nil, errors.New("pq: connection refused")
		}
		return nil, bot.Errorf(bot.EForbidden, "Only approvers can approve drafts.")
	}
	for text, want := range map[string]string{
		"approve 1": "Only approvers can approve drafts.",
		"boom":      "Something went wrong on Liaison's side (ref ",
	} {
		req := tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison", Text: text})
		status, body := do(t, req)
		if status != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, `"response_type":"ephemeral"`) {
			t.Errorf("/liaison %s answered %d %s, want an ephemeral %q", text, status, body, want)
		}
		if strings.Contains(body, "pq:") {
			t.Errorf("/liaison %s leaked the cause: %s", text, body)
		}
	}
}

func TestRefusedRequestsNeverReachTheHandlerNorTheStore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := &dedupHandler{db: db}
		tb := setup(t, func(o *slackbot.Options) { o.Handler = h })
		h.clock = tb.clock
		now := tb.clock.Now()
		msg := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "hello", TimeStamp: "1700000000.000100"}
		big := append([]byte("payload="), bytes.Repeat([]byte("x"), slackbot.MaxBody)...)
		signedBig, _ := http.NewRequest(http.MethodPost, tb.server.URL+slackfake.InteractionsPath, bytes.NewReader(big))
		for k, v := range slackfake.Sign(secret, now, big) {
			signedBig.Header[k] = v
		}
		// A signature cut short, and one whose last digit is not hex: the
		// signature is read into a digest's 32 bytes.
		short := signed(t, tb.server.URL+slackfake.CommandsPath, now, `command=%2Fliaison&text=help`)
		short.Header.Set("X-Slack-Signature", short.Header.Get("X-Slack-Signature")[:40])
		notHex := signed(t, tb.server.URL+slackfake.CommandsPath, now, `command=%2Fliaison&text=help`)
		sig := notHex.Header.Get("X-Slack-Signature")
		notHex.Header.Set("X-Slack-Signature", sig[:len(sig)-1]+"z")
		cases := []struct {
			name   string
			req    *http.Request
			status int
		}{
			{"a command with a signature cut short", short, 401},
			{"a command with a signature that is not hex", notHex, 401},
			{"an event with a bad signature", tb.fake.Event(tb.server.URL, secret, now, "", "EvBad", msg, slackfake.WithBadSignature()), 401},
			{"a stale event", tb.fake.Event(tb.server.URL, secret, now, "", "EvStale", msg, slackfake.WithStaleTimestamp()), 401},
			{"a command with a bad signature", tb.fake.SlashCommand(tb.server.URL, secret, now, slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison"}, slackfake.WithBadSignature()), 401},
			{"a stale interaction", tb.fake.Interaction(tb.server.URL, secret, now, slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: carol}}, slackfake.WithStaleTimestamp()), 401},
			{"an unsigned event", unsigned(t, tb.server.URL+slackfake.EventsPath, `{"type":"event_callback"}`), 401},
			{"an oversized body", signedBig, 413},
			{"a malformed event", signed(t, tb.server.URL+slackfake.EventsPath, now, `{"type":`), 400},
			{"a malformed command", signed(t, tb.server.URL+slackfake.CommandsPath, now, `text=hello%zz`), 400},
			{"a form that is no command", signed(t, tb.server.URL+slackfake.CommandsPath, now, `text=hello`), 400},
			{"a malformed interaction", signed(t, tb.server.URL+slackfake.InteractionsPath, now, `payload=%7Bnot+json`), 400},
		}
		for _, c := range cases {
			if status, body := do(t, c.req); status != c.status {
				t.Errorf("%s: status %d (%s), want %d", c.name, status, body, c.status)
			}
		}
		if n := h.calls(); n != 0 || len(h.retries) != 0 {
			t.Errorf("the handler was called %d times, want never", n+len(h.retries))
		}
		for _, id := range []string{"EvBad", "EvStale"} {
			if first, err := db.FirstSeen(context.Background(), now, slackbot.KeyEvent, slackfake.TeamID+":"+id); err != nil || !first {
				t.Errorf("event %s was recorded in the store (first=%v, err=%v)", id, first, err)
			}
		}
	})
}

func TestAnOversizedBodyDeclaredInContentLengthIsRefusedUnread(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	mux := http.NewServeMux()
	tb.adapter.Routes(mux)
	req := httptest.NewRequest(http.MethodPost, slackfake.CommandsPath, strings.NewReader("token=x"))
	req.ContentLength = slackbot.MaxBody + 1
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", rec.Code)
	}
	if tb.handler.calls() != 0 {
		t.Error("the handler was called")
	}
}

func TestTheSameEventDeliveredFourTimesIsHandledOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := &dedupHandler{db: db}
		tb := setup(t, func(o *slackbot.Options) { o.Handler = h })
		h.clock = tb.clock
		ev := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "the export button crashes", TimeStamp: "1700000000.000100"}
		send := func(opts ...slackfake.RequestOption) {
			req := tb.fake.Event(tb.server.URL, secret, tb.clock.Now(), "", "Ev0DUP", ev, opts...)
			if status, body := do(t, req); status != http.StatusOK {
				t.Errorf("delivery answered %d (%s), want 200", status, body)
			}
		}
		send()
		var wg sync.WaitGroup
		wg.Go(func() { send(slackfake.WithRetry(1, "http_timeout")) })
		wg.Go(func() { send(slackfake.WithRetry(2, "http_timeout")) })
		wg.Wait()
		send(slackfake.WithRetry(3, "http_error"))

		if h.handled != 1 {
			t.Errorf("handled %d times, want 1", h.handled)
		}
		h.mu.Lock()
		retries := append([]int(nil), h.retries...)
		h.mu.Unlock()
		if len(retries) != 4 || retries[0] != 0 || retries[3] != 3 {
			t.Errorf("deliveries carried retry numbers %v, want 0, then 1 and 2 in some order, then 3", retries)
		}
		// Both identities were recorded.
		for _, k := range []bot.InboundKey{{Kind: slackbot.KeyEvent, Key: slackfake.TeamID + ":Ev0DUP"}, {Kind: slackbot.KeyMessage, Key: product + ":1700000000.000100"}} {
			if first, _ := db.FirstSeen(context.Background(), tb.clock.Now(), k.Kind, k.Key); first {
				t.Errorf("%v was not recorded", k)
			}
		}
	})
}

func TestEventsBecomeBotEvents(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	now := tb.clock.Now()
	at := time.Unix(now.Unix(), 0).UTC()
	key := func(id string, more ...bot.InboundKey) []bot.InboundKey {
		return append([]bot.InboundKey{{Kind: slackbot.KeyEvent, Key: slackfake.TeamID + ":" + id}}, more...)
	}
	place := bot.Place{Platform: bot.PlatformSlack, ScopeID: slackfake.TeamID, ChannelID: product}
	carolUser := bot.User{Platform: bot.PlatformSlack, ID: carol}
	cases := []struct {
		name  string
		event any
		want  bot.Event // nil: ignored
	}{
		{"a message", slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "hi", TimeStamp: "1700000000.000100"},
			&bot.Message{Delivery: bot.Delivery{Keys: key("Ev1", bot.InboundKey{Kind: slackbot.KeyMessage, Key: product + ":1700000000.000100"}), At: at}, Place: place, ID: "1700000000.000100", Author: carolUser, Text: "hi"}},
		{"a thread reply", slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "me too", TimeStamp: "1700000001.000100", ThreadTimeStamp: "1700000000.000100"},
			&bot.Message{Delivery: bot.Delivery{Keys: key("Ev2", bot.InboundKey{Kind: slackbot.KeyMessage, Key: product + ":1700000001.000100"}), At: at}, Place: place, ID: "1700000001.000100", ThreadID: "1700000000.000100", Author: carolUser, Text: "me too"}},
		{"an edit", json.RawMessage(`{"type":"message","subtype":"message_changed","channel":"` + product + `","event_ts":"1700000009.000001",
			"message":{"type":"message","user":"` + carol + `","text":"hi there","ts":"1700000000.000100","edited":{"user":"` + carol + `","ts":"1700000009.000000"}},
			"previous_message":{"type":"message","user":"` + carol + `","text":"hi","ts":"1700000000.000100"}}`),
			&bot.Message{Delivery: bot.Delivery{Keys: key("Ev3", bot.InboundKey{Kind: slackbot.KeyMessage, Key: product + ":1700000000.000100:edit:1700000009.000000"}), At: at}, Place: place, ID: "1700000000.000100", Author: carolUser, Text: "hi there", Edited: true}},
		{"an unfurl (no text change)", json.RawMessage(`{"type":"message","subtype":"message_changed","channel":"` + product + `",
			"message":{"user":"` + carol + `","text":"see https://x.test","ts":"1700000000.000200"},"previous_message":{"user":"` + carol + `","text":"see https://x.test","ts":"1700000000.000200"}}`), nil},
		{"a deletion", json.RawMessage(`{"type":"message","subtype":"message_deleted","channel":"` + product + `","deleted_ts":"1700000000.000100","previous_message":{"user":"` + carol + `","text":"hi","ts":"1700000000.000100"}}`),
			&bot.MessageDeleted{Delivery: bot.Delivery{Keys: key("Ev5", bot.InboundKey{Kind: slackbot.KeyMessage, Key: product + ":1700000000.000100:delete"}), At: at}, Place: place, ID: "1700000000.000100"}},
		{"a reaction", slackevents.ReactionAddedEvent{Type: "reaction_added", User: carol, Reaction: "+1::skin-tone-2", Item: slackevents.Item{Type: "message", Channel: product, Timestamp: "1700000000.000100"}},
			&bot.Reaction{Delivery: bot.Delivery{Keys: key("Ev6"), At: at}, Place: place, MessageID: "1700000000.000100", User: carolUser, Emoji: "+1::skin-tone-2"}},
		{"a reaction removed from Liaison's message", slackevents.ReactionRemovedEvent{Type: "reaction_removed", User: carol, Reaction: "x", ItemUser: "U0BOT", Item: slackevents.Item{Type: "message", Channel: product, Timestamp: "1700000000.000100"}},
			&bot.Reaction{Delivery: bot.Delivery{Keys: key("Ev7"), At: at}, Place: place, MessageID: "1700000000.000100", User: carolUser, Emoji: "x", Removed: true, OwnMessage: true}},
		{"Liaison's own message", slackevents.MessageEvent{Type: "message", Channel: product, User: "U0BOT", BotID: "B0BOT", Text: "relayed", TimeStamp: "1700000000.000300"}, nil},
		{"another bot's message", slackevents.MessageEvent{Type: "message", SubType: "bot_message", Channel: product, BotID: "B0OTHER", Text: "deploy done", TimeStamp: "1700000000.000400"}, nil},
		{"Liaison's own reaction", slackevents.ReactionAddedEvent{Type: "reaction_added", User: "U0BOT", Reaction: "white_check_mark", Item: slackevents.Item{Type: "message", Channel: product, Timestamp: "1700000000.000100"}}, nil},
		{"a channel join", slackevents.MessageEvent{Type: "message", SubType: "channel_join", Channel: product, User: carol, TimeStamp: "1700000000.000500"}, nil},
	}
	for i, c := range cases {
		before := tb.handler.calls()
		id := "Ev" + string(rune('1'+i))
		req := tb.fake.Event(tb.server.URL, secret, now, "", id, c.event)
		if status, body := do(t, req); status != http.StatusOK {
			t.Errorf("%s: status %d (%s)", c.name, status, body)
			continue
		}
		if c.want == nil {
			if tb.handler.calls() != before {
				t.Errorf("%s reached the handler, want it ignored", c.name)
			}
			continue
		}
		if tb.handler.calls() != before+1 {
			t.Errorf("%s: handler called %d times, want once", c.name, tb.handler.calls()-before)
			continue
		}
		got := tb.handler.events[len(tb.handler.events)-1]
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestAFailedEventIsAnswered500SoSlackRedeliversIt(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	fail := true
	tb.handler.onEvent = func(ctx context.Context, ev bot.Event) error {
		if fail {
			return errors.New("database hiccup")
		}
		return nil
	}
	ev := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "hello", TimeStamp: "1700000000.000100"}
	if status, _ := do(t, tb.fake.Event(tb.server.URL, secret, tb.clock.Now(), "", "EvF", ev)); status != http.StatusInternalServerError {
		t.Errorf("failed event answered %d, want 500", status)
	}
	fail = false
	if status, _ := do(t, tb.fake.Event(tb.server.URL, secret, tb.clock.Now(), "", "EvF", ev, slackfake.WithRetry(1, "http_error"))); status != http.StatusOK {
		t.Errorf("its retry answered %d, want 200", status)
	}
}

func TestURLVerificationEchoesTheChallenge(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	status, body := do(t, tb.fake.URLVerification(tb.server.URL, secret, tb.clock.Now(), "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
	if status != http.StatusOK || body != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
		t.Errorf("answer = %d %s, want the challenge", status, body)
	}
}

func TestAButtonClickBecomesAnActionAndItsReplyGoesToTheResponseURL(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ts := tb.fake.AddMessage(slackfake.Message{Channel: product, User: "U0BOT", BotID: "B0BOT", Text: "New feedback"})
	tb.handler.onAction = func(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
		return &bot.Reply{Text: "Acknowledged by carol."}, nil
	}
	req := tb.fake.Interaction(tb.server.URL, secret, tb.clock.Now(), slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: carol}, Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: product}}},
		Message:        slack.Message{Msg: slack.Msg{Timestamp: ts}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "feedback.ack", BlockID: "b1", Value: "42", Type: "button"}}},
	})
	trigger := interactionTrigger(t, req)
	if status, body := do(t, req); status != http.StatusOK || body != "" {
		t.Fatalf("answer = %d %q, want an empty 200", status, body)
	}
	if len(tb.handler.actions) != 1 {
		t.Fatalf("handler got %d actions, want 1", len(tb.handler.actions))
	}
	want := &bot.Action{
		Delivery:  bot.Delivery{Keys: []bot.InboundKey{{Kind: slackbot.KeyInteraction, Key: trigger}}, At: tb.clock.Now()},
		Place:     bot.Place{Platform: bot.PlatformSlack, ScopeID: slackfake.TeamID, ChannelID: product, ChannelName: "product"},
		MessageID: ts, ActionID: "feedback.ack", Value: "42",
		User: bot.User{Platform: bot.PlatformSlack, ID: carol, Name: "carol"},
	}
	if diff := cmp.Diff(want, tb.handler.actions[0]); diff != "" {
		t.Errorf("action (-want +got):\n%s", diff)
	}
	rs := tb.fake.Responses()
	if len(rs) != 1 || rs[0].Text != "Acknowledged by carol." || rs[0].ResponseType != "ephemeral" {
		t.Errorf("response_url got %+v, want the ephemeral reply", rs)
	}
}

func TestAFormSubmissionIsParsedAndItsFieldErrorsShown(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	tb.handler.onSubmission = func(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
		if len(s.Values["reason"]) < 10 {
			return nil, bot.Errorf(bot.EInvalid, "reason: Say why in a few more words.")
		}
		return nil, nil
	}
	submit := func(reason string) (int, string) {
		ic := slack.InteractionCallback{
			Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: carol},
			View: slack.View{
				ID: "V0001", CallbackID: "draft.reject", PrivateMetadata: "draft:7",
				Title: &slack.TextBlockObject{Type: "plain_text", Text: "Reject draft"},
				Blocks: slack.Blocks{BlockSet: []slack.Block{
					slack.NewInputBlock("reason", &slack.TextBlockObject{Type: "plain_text", Text: "Reason"}, nil, slack.NewPlainTextInputBlockElement(nil, "reason")),
					slack.NewInputBlock("note", &slack.TextBlockObject{Type: "plain_text", Text: "Note"}, nil, slack.NewPlainTextInputBlockElement(nil, "note")),
				}},
				State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
					"reason": {"reason": {Type: "plain_text_input", Value: reason}},
					"note":   {"note": {Type: "plain_text_input", Value: "none"}},
				}},
			},
		}
		return do(t, tb.fake.Interaction(tb.server.URL, secret, tb.clock.Now(), ic))
	}
	status, body := submit("rude")
	if status != http.StatusOK {
		t.Fatalf("status = %d", status)
	}
	var got map[string]any
	_ = json.Unmarshal([]byte(body), &got)
	want := map[string]any{"response_action": "errors", "errors": map[string]any{"reason": "Say why in a few more words."}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer to an invalid form (-want +got):\n%s", diff)
	}
	s := tb.handler.submissions[0]
	if s.CallbackID != "draft.reject" || s.Meta != "draft:7" || !cmp.Equal(s.Values, map[string]string{"reason": "rude", "note": "none"}) || s.User.ID != carol {
		t.Errorf("submission = %+v", s)
	}
	if status, body := submit("it promises a date we cannot keep"); status != http.StatusOK || body != "" {
		t.Errorf("a valid form answered %d %q, want an empty 200 (closes it)", status, body)
	}
}

func TestAMessageShortcutBecomesACommandWithItsMessage(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ts := tb.fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "customers want dark mode"})
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Text: "Sent to #product."}, nil
	}
	req := tb.fake.Interaction(tb.server.URL, secret, tb.clock.Now(), slack.InteractionCallback{
		Type: slack.InteractionTypeMessageAction, CallbackID: "send_to_product", User: slack.User{ID: carol},
		Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: product}}},
		Message: slack.Message{Msg: slack.Msg{Timestamp: ts, User: carol, Text: "customers want dark mode"}},
	})
	if status, _ := do(t, req); status != http.StatusOK {
		t.Fatalf("status = %d", status)
	}
	c := tb.handler.commands[0]
	if c.Name != "send_to_product" || c.Target == nil || c.Target.ID != ts || c.Target.Text != "customers want dark mode" || c.Target.Author.ID != carol || len(c.Keys) != 1 {
		t.Errorf("command = %+v target %+v", c, c.Target)
	}
	if rs := tb.fake.Responses(); len(rs) != 1 || rs[0].Text != "Sent to #product." {
		t.Errorf("response_url got %+v", rs)
	}
}

func TestAFullPoolAnswersBusyAndAPanicStillAnswers(t *testing.T) {
	t.Parallel()
	tb := setup(t, func(o *slackbot.Options) {
		o.MaxInFlight = 1
		o.AckBudget = 100 * time.Millisecond
	})
	release := make(chan struct{})
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		switch c.Text {
		case "slow":
			<-release
		case "panic":
			panic("nil map")
		}
		return nil, nil
	}
	cmd := func(text string) (int, string) {
		return do(t, tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison", Text: text}))
	}
	cmd("slow") // holds the only slot
	ev := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "hello", TimeStamp: "1700000000.000100"}
	if status, _ := do(t, tb.fake.Event(tb.server.URL, secret, tb.clock.Now(), "", "EvBusy", ev)); status != http.StatusServiceUnavailable {
		t.Errorf("an event with no free slot answered %d, want 503 (Slack redelivers)", status)
	}
	if status, body := cmd("list"); status != http.StatusOK || !strings.Contains(body, "very busy") {
		t.Errorf("a command with no free slot answered %d %s, want a please-retry notice", status, body)
	}
	close(release)
	wait(t, "the slot to free", func() bool {
		status, _ := do(t, tb.fake.Event(tb.server.URL, secret, tb.clock.Now(), "", "EvBusy", ev, slackfake.WithRetry(1, "http_error")))
		return status == http.StatusOK
	})
	if status, body := cmd("panic"); status != http.StatusOK || !strings.Contains(body, "Something went wrong on Liaison's side (ref ") {
		t.Errorf("a panicking handler answered %d %s, want the generic message with a reference", status, body)
	}
}

func TestCloseWaitsForHandlersInFlight(t *testing.T) {
	t.Parallel()
	tb := setup(t, func(o *slackbot.Options) { o.AckBudget = 50 * time.Millisecond })
	var done bool
	release := make(chan struct{})
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		<-release
		done = true
		return nil, nil
	}
	do(t, tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison"}))
	closed := make(chan struct{})
	go func() {
		tb.adapter.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned with a handler in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-closed
	if !done {
		t.Error("the handler did not finish")
	}
	status, _ := do(t, tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison"}))
	if status != http.StatusOK { // a busy notice, shown to the user
		t.Errorf("a command after Close answered %d", status)
	}
}

// formValue reads a field of a form-encoded request and puts the body back.
func formValue(t *testing.T, req *http.Request, name string) string {
	t.Helper()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	v, err := url.ParseQuery(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	return v.Get(name)
}

func interactionTrigger(t *testing.T, req *http.Request) string {
	t.Helper()
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(formValue(t, req, "payload")), &ic); err != nil {
		t.Fatal(err)
	}
	return ic.TriggerID
}

func signed(t *testing.T, target string, at time.Time, body string) *http.Request {
	t.Helper()
	req := unsigned(t, target, body)
	for k, v := range slackfake.Sign(secret, at, []byte(body)) {
		req.Header[k] = v
	}
	return req
}

func unsigned(t *testing.T, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// A stock reply (a help list) is rendered once and kept: each request gets
// the answer a reply rendered afresh would be (sanitised), found by its
// text and audience; one that comes too late still goes to response_url.
func TestAStockReplyIsAnsweredAsAnyReplyIs(t *testing.T) {
	t.Parallel()
	tb := setup(t, func(o *slackbot.Options) { o.AckBudget = 500 * time.Millisecond })
	var mu sync.Mutex
	var next *bot.Reply
	var release chan struct{}
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		mu.Lock()
		r, wait := next, release
		mu.Unlock()
		if wait != nil {
			<-wait
		}
		return r, nil
	}
	answer := func(r bot.Reply) string {
		t.Helper()
		mu.Lock()
		next = &r
		mu.Unlock()
		status, body := do(t, tb.fake.SlashCommand(tb.server.URL, secret, tb.clock.Now(), slack.SlashCommand{
			ChannelID: product, UserID: carol, Command: "/liaison", Text: "help",
		}))
		if status != http.StatusOK {
			t.Fatalf("status = %d (%s), want 200", status, body)
		}
		return body
	}
	const list = "Commands:\n  /liaison help — what <!channel> can run"
	fresh := answer(bot.Reply{Text: list})
	first, again := answer(bot.Reply{Text: list, Stock: true}), answer(bot.Reply{Text: list, Stock: true})
	if first != fresh || again != fresh {
		t.Errorf("stock answers\n%s\n%s\nwant the fresh rendering\n%s", first, again, fresh)
	}
	if strings.Contains(fresh, "<!channel>") {
		t.Errorf("answer %s can ping the channel", fresh)
	}
	// Another text, or the same said in the channel: another rendering.
	other := answer(bot.Reply{Text: "Commands:\n  /liaison digest", Stock: true})
	if other != answer(bot.Reply{Text: "Commands:\n  /liaison digest"}) || other == fresh {
		t.Errorf("another list was answered %s", other)
	}
	public := answer(bot.Reply{Text: list, Stock: true, Public: true})
	if public == fresh || !strings.Contains(public, `"response_type":"in_channel"`) {
		t.Errorf("the list in the channel was answered %s", public)
	}

	// Too late for the answer: it follows by response_url.
	mu.Lock()
	release = make(chan struct{})
	mu.Unlock()
	if body := answer(bot.Reply{Text: list, Stock: true}); body != "" {
		t.Fatalf("a late reply answered %q, want an empty acknowledgement", body)
	}
	close(release)
	wait(t, "the reply at the response_url", func() bool { return len(tb.fake.Responses()) == 1 })
	if r := tb.fake.Responses()[0]; !strings.HasPrefix(r.Text, "Commands:") || strings.Contains(r.Text, "<!channel>") {
		t.Errorf("response_url got %+v, want the list", r)
	}
}
