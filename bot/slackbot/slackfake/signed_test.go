package slackfake_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

const (
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	liaisonURL    = "http://liaison.test/"
)

// readBody returns a request's body and puts it back, as a receiver would
// before verifying it.
func readBody(t *testing.T, req *http.Request) []byte {
	t.Helper()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

// verify checks a request the way Liaison's receiver will: slack-go's
// SecretsVerifier over the raw body.
func verify(req *http.Request, body []byte, secret string) error {
	sv, err := slack.NewSecretsVerifier(req.Header, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

func TestSignMatchesSlacksDocumentedExample(t *testing.T) {
	t.Parallel()
	// The worked example in Slack's "Verifying requests from Slack".
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	h := slackfake.Sign(signingSecret, time.Unix(1531420618, 0), []byte(body))
	if got := h.Get("X-Slack-Request-Timestamp"); got != "1531420618" {
		t.Errorf("timestamp header = %q, want 1531420618", got)
	}
	if got, want := h.Get("X-Slack-Signature"), "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
}

func TestSlashCommandIsSignedAndParsesLikeSlacks(t *testing.T) {
	t.Parallel()
	fake, _ := setup(t)
	req := fake.SlashCommand(liaisonURL, signingSecret, time.Now(), slack.SlashCommand{
		ChannelID: product, UserID: carol, Command: "/liaison", Text: "approve 42 ship it",
	})
	if req.URL.String() != "http://liaison.test/slack/commands" || req.Method != http.MethodPost {
		t.Errorf("request = %s %s, want POST to /slack/commands", req.Method, req.URL)
	}
	body := readBody(t, req)
	if err := verify(req, body, signingSecret); err != nil {
		t.Fatalf("verifier rejected a good slash command: %v", err)
	}
	if !strings.HasPrefix(string(body), "token="+slackfake.VerificationToken+"&team_id=") || !strings.Contains(string(body), "command=%2Fliaison&text=approve+42+ship+it") {
		t.Errorf("body = %s, want Slack's field order and encoding", body)
	}

	cmd, err := slack.SlashCommandParse(req)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.ChannelName != "product" || cmd.UserName != "carol" || cmd.TeamID != slackfake.TeamID || cmd.APIAppID != slackfake.AppID {
		t.Errorf("parsed = %+v, want names and ids filled in", cmd)
	}
	if !strings.HasPrefix(cmd.ResponseURL, fake.URL()+"/response/") || cmd.TriggerID == "" {
		t.Errorf("response_url %q, trigger_id %q; want the fake's and a trigger", cmd.ResponseURL, cmd.TriggerID)
	}
	// The trigger opens a modal once.
	api := slack.New(botToken, slack.OptionAPIURL(fake.APIURL()))
	if _, err := api.OpenView(cmd.TriggerID, modal("Approve")); err != nil {
		t.Errorf("OpenView with the command's trigger: %v", err)
	}
}

func TestTamperedBadAndStaleRequestsAreRejected(t *testing.T) {
	t.Parallel()
	fake, _ := setup(t)
	now := time.Now()
	cmd := slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison", Text: "help"}

	tampered := fake.SlashCommand(liaisonURL, signingSecret, now, cmd)
	body := readBody(t, tampered)
	body = bytes.Replace(body, []byte("text=help"), []byte("text=ban"), 1)
	if err := verify(tampered, body, signingSecret); !errors.Is(err, slack.ErrInvalidSignature) {
		t.Errorf("tampered body: %v, want ErrInvalidSignature", err)
	}

	bad := fake.SlashCommand(liaisonURL, signingSecret, now, cmd, slackfake.WithBadSignature())
	if err := verify(bad, readBody(t, bad), signingSecret); !errors.Is(err, slack.ErrInvalidSignature) {
		t.Errorf("bad signature: %v, want ErrInvalidSignature", err)
	}

	stale := fake.SlashCommand(liaisonURL, signingSecret, now, cmd, slackfake.WithStaleTimestamp())
	if err := verify(stale, readBody(t, stale), signingSecret); !errors.Is(err, slack.ErrExpiredTimestamp) {
		t.Errorf("stale timestamp: %v, want ErrExpiredTimestamp", err)
	}

	other := fake.SlashCommand(liaisonURL, signingSecret, now, cmd)
	if err := verify(other, readBody(t, other), "another-secret"); !errors.Is(err, slack.ErrInvalidSignature) {
		t.Errorf("wrong secret: %v, want ErrInvalidSignature", err)
	}
}

func TestInteractionCarriesAResponseURLForTheClickedMessage(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	_, ts, err := api.PostMessage(product, slack.MsgOptionText("Approve draft 42?", false))
	if err != nil {
		t.Fatal(err)
	}
	req := fake.Interaction(liaisonURL, signingSecret, time.Now(), slack.InteractionCallback{
		Type:    slack.InteractionTypeBlockActions,
		User:    slack.User{ID: carol},
		Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: product}}},
		Message: slack.Message{Msg: slack.Msg{Timestamp: ts}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: "approve", BlockID: "draft-42", Value: "42", Type: "button"},
		}},
	})
	if req.URL.Path != slackfake.InteractionsPath {
		t.Errorf("path = %q, want %q", req.URL.Path, slackfake.InteractionsPath)
	}
	body := readBody(t, req)
	if err := verify(req, body, signingSecret); err != nil {
		t.Fatalf("verifier rejected a good interaction: %v", err)
	}
	ic, err := slack.InteractionCallbackParse(req)
	if err != nil {
		t.Fatalf("InteractionCallbackParse: %v", err)
	}
	if ic.Type != slack.InteractionTypeBlockActions || len(ic.ActionCallback.BlockActions) != 1 || ic.ActionCallback.BlockActions[0].ActionID != "approve" {
		t.Fatalf("parsed = %+v, want the approve click", ic)
	}
	if ic.Container.MessageTs != ts || ic.Container.ChannelID != product || ic.User.Name != "carol" || ic.TriggerID == "" {
		t.Errorf("container %+v, user %q, trigger %q; want the message, carol, a trigger", ic.Container, ic.User.Name, ic.TriggerID)
	}

	if _, _, err := api.PostMessage("", slack.MsgOptionText("Approved by carol", false), slack.MsgOptionReplaceOriginal(ic.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if m, _ := fake.Message(product, ts); m.Text != "Approved by carol" {
		t.Errorf("original now says %q, want it replaced", m.Text)
	}
}

func TestEventAndURLVerification(t *testing.T) {
	t.Parallel()
	fake, _ := setup(t)
	at := time.Now()
	ev := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "the export crashes", TimeStamp: "1700000000.000100"}
	req := fake.Event(liaisonURL, signingSecret, at, "", "Ev01ABC", ev, slackfake.WithRetry(1, "http_timeout"))
	if req.URL.Path != slackfake.EventsPath || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s, want JSON to %s", req.URL.Path, req.Header.Get("Content-Type"), slackfake.EventsPath)
	}
	if req.Header.Get("X-Slack-Retry-Num") != "1" || req.Header.Get("X-Slack-Retry-Reason") != "http_timeout" {
		t.Errorf("retry headers = %q %q", req.Header.Get("X-Slack-Retry-Num"), req.Header.Get("X-Slack-Retry-Reason"))
	}
	body := readBody(t, req)
	if err := verify(req, body, signingSecret); err != nil {
		t.Fatalf("verifier rejected a good event: %v", err)
	}
	parsed, err := slackevents.ParseEvent(body, slackevents.OptionVerifyToken(&slackevents.TokenComparator{VerificationToken: slackfake.VerificationToken}))
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	cb, ok := parsed.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID != "Ev01ABC" || cb.TeamID != slackfake.TeamID || cb.EventTime != int(at.Unix()) {
		t.Fatalf("outer event = %+v, want event_id, team and time", parsed.Data)
	}
	msg, ok := parsed.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || msg.Text != "the export crashes" || msg.Channel != product {
		t.Errorf("inner event = %+v, want the message", parsed.InnerEvent.Data)
	}

	uv := fake.URLVerification(liaisonURL, signingSecret, at, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
	uvBody := readBody(t, uv)
	if err := verify(uv, uvBody, signingSecret); err != nil {
		t.Fatalf("verifier rejected url_verification: %v", err)
	}
	parsed, err = slackevents.ParseEvent(uvBody, slackevents.OptionNoVerifyToken())
	if err != nil || parsed.Type != slackevents.URLVerification {
		t.Fatalf("ParseEvent(url_verification) = %+v, %v", parsed, err)
	}
}
