package slackfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

// With EchoBotMessages, a message the bot posts comes back to the app as a
// signed message event, as Slack delivers it to an app subscribed to
// message.channels.
func TestTheBotsOwnMessageComesBackAsASignedEvent(t *testing.T) {
	fake, api := setup(t)
	const secret = "echo-secret"
	got := make(chan slackevents.EventsAPIEvent, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			t.Errorf("unsigned event: %v", err)
			return
		}
		sv.Write(body)
		if err := sv.Ensure(); err != nil {
			t.Errorf("bad signature: %v", err)
			return
		}
		if r.URL.Path != slackfake.EventsPath {
			t.Errorf("event posted to %s, want %s", r.URL.Path, slackfake.EventsPath)
		}
		ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
		if err != nil {
			t.Errorf("parse event: %v", err)
			return
		}
		got <- ev
	}))
	defer app.Close()
	fake.EchoBotMessages(app.URL, secret)

	_, ts, err := api.PostMessage(product, slack.MsgOptionText("round trip", false))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
		if !ok || m.Text != "round trip" || m.TimeStamp != ts || m.Channel != product || m.BotID == "" {
			t.Errorf("event = %#v, want the bot's message %s in %s", ev.InnerEvent.Data, ts, product)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event came back")
	}
}
