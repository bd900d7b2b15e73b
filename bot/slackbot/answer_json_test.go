package slackbot

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// webhookJSON has slack.WebhookMessage's fields, in its order, with its
// JSON names: a field slack-go adds fails this test instead of being
// dropped from answers.
func TestWebhookJSONHasTheMessagesFields(t *testing.T) {
	t.Parallel()
	theirs, ours := reflect.TypeFor[slack.WebhookMessage](), reflect.TypeFor[webhookJSON]()
	if theirs.NumField() != ours.NumField() {
		t.Fatalf("slack.WebhookMessage has %d fields, webhookJSON %d", theirs.NumField(), ours.NumField())
	}
	for i := range theirs.NumField() {
		a, b := theirs.Field(i), ours.Field(i)
		if a.Name != b.Name || a.Tag.Get("json") != b.Tag.Get("json") {
			t.Errorf("field %d: slack.WebhookMessage's %s `%s`, webhookJSON's %s `%s`", i, a.Name, a.Tag, b.Name, b.Tag)
		}
		if a.Name != "Blocks" && a.Type != b.Type {
			t.Errorf("field %s: %s against %s", a.Name, a.Type, b.Type)
		}
	}
}

// sameAsMarshal fails t unless encodeAnswer writes body as json.Marshal
// does.
func sameAsMarshal(t *testing.T, body any) {
	t.Helper()
	got, err := encodeAnswer(body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeAnswer wrote\n%s\njson.Marshal\n%s", got, want)
	}
}

func TestAnswersAreWrittenAsJSONMarshalWritesThem(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	full := &slack.WebhookMessage{
		Username: "liaison", IconEmoji: ":wave:", IconURL: "https://acme.example/i.png", Channel: "C01PRODUCT", ThreadTimestamp: "1.2",
		Text: "<tags> & \"quotes\" é \u2028", Attachments: []slack.Attachment{{Color: "good", Text: "an attachment"}}, Parse: "none",
		Blocks:       &slack.Blocks{BlockSet: []slack.Block{section("*bold* &lt;x&gt;"), slack.NewDividerBlock()}},
		ResponseType: slack.ResponseTypeInChannel, ReplaceOriginal: true, DeleteOriginal: true, ReplyBroadcast: true,
		UnfurlLinks: &yes, UnfurlMedia: &no,
	}
	for _, body := range []any{
		full,
		replyMessage(&bot.Reply{Text: "Liaison relays what the community says.\n  /liaison route test \"<text>\" [#channel]"}),
		replyMessage(&bot.Reply{Text: "pick one", Buttons: []bot.Button{{ActionID: "a.b", Value: "1", Label: "One"}}}),
		&slack.WebhookMessage{Text: "no blocks"},
		&slack.WebhookMessage{Text: "empty blocks", Blocks: &slack.Blocks{}},
		(*slack.WebhookMessage)(nil),
		map[string]string{"challenge": "abc"},
		slack.NewErrorsViewSubmissionResponse(map[string]string{"f": "wrong"}),
	} {
		sameAsMarshal(t, body)
	}
}
