package discordbot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// callback waits for the bot's first answer to an interaction.
func callback(t *testing.T, fake *discordfake.Server, id string) discordfake.InteractionRecord {
	t.Helper()
	var rec discordfake.InteractionRecord
	err := fake.WaitFor(waitCtx(t), func() bool {
		rec, _ = fake.Interaction(id)
		return rec.Callback != nil
	})
	if err != nil {
		t.Fatalf("no callback for interaction %s: %v", id, err)
	}
	return rec
}

// decode unmarshals JSON into a generic value, failing the test otherwise.
func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func TestCommandsAreRegisteredByBulkOverwriteOnStart(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	puts := okCalls(b.fake, "PUT", "/applications/"+botID+"/guilds/"+guildID+"/commands")
	if len(puts) != 1 {
		t.Fatalf("%d bulk overwrites, want 1", len(puts))
	}
	var sent []map[string]any
	if err := json.Unmarshal(puts[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 {
		t.Fatalf("registered %d commands, want 2: %s", len(sent), puts[0].Body)
	}
	fb, menu := sent[0], sent[1]
	if fb["name"] != "feedback" || fb["type"] != 1.0 || fb["default_member_permissions"] != "8192" || fb["description"] != "Log feedback" {
		t.Errorf("feedback command = %v", fb)
	}
	var opts []string
	for _, o := range fb["options"].([]any) {
		o := o.(map[string]any)
		opts = append(opts, o["name"].(string)+":"+strconv.Itoa(int(o["type"].(float64)))+":"+strconv.FormatBool(o["required"] == true))
	}
	if want := []string{"text:3:true", "count:4:false", "urgent:5:false", "who:6:false"}; !cmp.Equal(opts, want) {
		t.Errorf("options = %v, want %v", opts, want)
	}
	if menu["name"] != "Send to product" || menu["type"] != 3.0 || menu["description"] != nil {
		t.Errorf("menu command = %v, want type 3 without description", menu)
	}
}

func TestNewRefusesBadCommandSpecs(t *testing.T) {
	t.Parallel()
	for _, specs := range [][]bot.CommandSpec{
		{{Name: "ban", Description: "Ban", Options: []bot.OptionSpec{{Name: "d", Description: "d", Type: "string"}, {Name: "user", Description: "u", Type: "user", Required: true}}}},
		{{Name: "x", Description: "x", Options: []bot.OptionSpec{{Name: "n", Description: "n", Type: "float"}}}},
		{{Name: "x", Description: "x", Permission: "admins"}},
	} {
		if _, err := discordbot.New(discordbot.Options{Token: "t", Handler: newHandler(nil), Commands: specs}); err == nil {
			t.Errorf("New accepted %+v", specs)
		}
	}
}

func TestASlashCommandGetsAnEphemeralReplyInTime(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	rec.onCommand = func(context.Context, *bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Text: "Logged. @everyone will see it", Buttons: []bot.Button{{ActionID: "feedback.undo", Value: "7", Label: "Undo"}}}, nil
	}
	b := setup(t, rec)
	ref := b.fake.SlashCommand(guildID, feedbackID, aliceID, "feedback",
		discordfake.CommandOption{Name: "who", Type: 6, Value: malloryID},
		discordfake.CommandOption{Name: "urgent", Type: 5, Value: true},
		discordfake.CommandOption{Name: "text", Type: 3, Value: "export crashes"},
		discordfake.CommandOption{Name: "count", Type: 4, Value: 3})
	c := recv(t, rec.commands, "the command")
	wantOpts := []bot.Option{{Name: "text", Value: "export crashes"}, {Name: "count", Value: "3"}, {Name: "urgent", Value: "true"}, {Name: "who", Value: malloryID}}
	if diff := cmp.Diff(wantOpts, c.Options); diff != "" {
		t.Errorf("options in declared order (-want +got):\n%s", diff)
	}
	if c.Name != "feedback" || c.User.ID != aliceID || c.Place.ChannelID != feedbackID || c.Place.ChannelName != "feedback" ||
		!cmp.Equal(c.Keys, []bot.InboundKey{{Kind: "discord_interaction", Key: ref.ID}}) {
		t.Errorf("command = %+v", c)
	}

	got := callback(t, b.fake, ref.ID)
	if got.Callback.Type != 4 {
		t.Fatalf("callback type %d, want 4", got.Callback.Type)
	}
	d := decode(t, got.Callback.Data)
	if d["flags"] != 64.0 || d["content"] != "Logged. @\u200beveryone will see it" {
		t.Errorf("callback data = %v, want ephemeral, the reply, @everyone broken", d)
	}
	if am, _ := json.Marshal(d["allowed_mentions"]); string(am) != `{"parse":[],"replied_user":false}` {
		t.Errorf("allowed_mentions = %s, want parse []", am)
	}
	button := d["components"].([]any)[0].(map[string]any)["components"].([]any)[0].(map[string]any)
	if button["custom_id"] != "feedback.undo|7" || button["label"] != "Undo" {
		t.Errorf("button = %v", button)
	}
	if n := counted(t, b.inbound, "command"); n != 1 {
		t.Errorf("inbound commands counted = %v, want 1", n)
	}
}

func TestASlowCommandIsDeferredThenTheOriginalEdited(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	release := make(chan struct{})
	rec.onCommand = func(context.Context, *bot.Command) (*bot.Reply, error) {
		<-release
		return &bot.Reply{Text: "Here is the report.", Public: true}, nil
	}
	b := setup(t, rec, func(o *discordbot.Options) { o.AckBudget = 100 * time.Millisecond })
	ref := b.fake.SlashCommand(guildID, feedbackID, aliceID, "feedback", discordfake.CommandOption{Name: "text", Type: 3, Value: "x"})
	got := callback(t, b.fake, ref.ID)
	if got.Callback.Type != 5 || decode(t, got.Callback.Data)["flags"] != 64.0 {
		t.Fatalf("callback = type %d %s, want 5 (deferred) and ephemeral", got.Callback.Type, got.Callback.Data)
	}
	close(release)
	err := b.fake.WaitFor(waitCtx(t), func() bool {
		r, _ := b.fake.Interaction(ref.ID)
		return r.Original != nil && r.Original.Content == "Here is the report."
	})
	if err != nil {
		r, _ := b.fake.Interaction(ref.ID)
		t.Fatalf("original not edited into the reply: %+v: %v", r.Original, err)
	}
}

func TestAModalReplyOpensTheForm(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	rec.onCommand = func(context.Context, *bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Modal: &bot.Modal{CallbackID: "feedback.note", Meta: "42", Title: "Add a note", Fields: []bot.ModalField{
			{ID: "note", Label: "Note", Multiline: true},
			{ID: "tag", Label: "Tag", Value: "bug", Optional: true},
		}}}, nil
	}
	b := setup(t, rec)
	ref := b.fake.SlashCommand(guildID, feedbackID, aliceID, "feedback", discordfake.CommandOption{Name: "text", Type: 3, Value: "x"})
	got := callback(t, b.fake, ref.ID)
	if got.Callback.Type != 9 {
		t.Fatalf("callback type %d, want 9 (modal)", got.Callback.Type)
	}
	want := `{"custom_id":"feedback.note|42","title":"Add a note","components":[` +
		`{"type":1,"components":[{"type":4,"style":2,"label":"Note","custom_id":"note","required":true}]},` +
		`{"type":1,"components":[{"type":4,"style":1,"label":"Tag","custom_id":"tag","value":"bug","required":false}]}]}`
	if string(got.Callback.Data) != want {
		t.Errorf("modal =\n%s\nwant\n%s", got.Callback.Data, want)
	}
}

func TestAButtonClickBecomesAnAction(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	rec.onAction = func(context.Context, *bot.Action) (*bot.Reply, error) { return nil, nil }
	b := setup(t, rec)
	m := b.fake.MessageCreate(feedbackID, botID, "New feedback #42")
	ref := b.fake.InteractionCreate(discordfake.NewInteraction{
		Type: discordfake.InteractionMessageComponent, GuildID: guildID, ChannelID: feedbackID, UserID: aliceID,
		MessageID: m.ID, Data: map[string]any{"custom_id": "feedback.ack|42|x", "component_type": 2},
	})
	a := recv(t, rec.actions, "the action")
	if a.ActionID != "feedback.ack" || a.Value != "42|x" || a.MessageID != m.ID || a.User.ID != aliceID {
		t.Errorf("action = %+v, want feedback.ack with value 42|x on %s by alice", a, m.ID)
	}
	if got := callback(t, b.fake, ref.ID); got.Callback.Type != 6 {
		t.Errorf("callback type %d for a click with nothing to say, want 6", got.Callback.Type)
	}
}

func TestAModalSubmissionCarriesItsValues(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	rec.onSubmission = func(context.Context, *bot.Submission) (*bot.Reply, error) {
		return nil, bot.Errorf(bot.EInvalid, "A note needs some text.")
	}
	b := setup(t, rec)
	ref := b.fake.InteractionCreate(discordfake.NewInteraction{
		Type: discordfake.InteractionModalSubmit, GuildID: guildID, ChannelID: feedbackID, UserID: aliceID,
		Data: map[string]any{"custom_id": "feedback.note|42", "components": []any{
			map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "note", "value": "call them back"}}},
			map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "tag", "value": ""}}},
		}},
	})
	s := recv(t, rec.submissions, "the submission")
	if s.CallbackID != "feedback.note" || s.Meta != "42" || !cmp.Equal(s.Values, map[string]string{"note": "call them back", "tag": ""}) {
		t.Errorf("submission = %+v", s)
	}
	got := callback(t, b.fake, ref.ID)
	if d := decode(t, got.Callback.Data); got.Callback.Type != 4 || d["content"] != "A note needs some text." || d["flags"] != 64.0 {
		t.Errorf("callback = %d %v, want the error's message, ephemeral", got.Callback.Type, d)
	}
}

func TestAMessageMenuCommandCarriesItsTarget(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	rec.onCommand = func(context.Context, *bot.Command) (*bot.Reply, error) { return nil, errors.New("database on fire") }
	b := setup(t, rec)
	m := b.fake.MessageCreate(feedbackID, malloryID, "the app is slow")
	recvAs[*bot.Message](t, rec.events, "the message")
	ref := b.fake.InteractionCreate(discordfake.NewInteraction{
		Type: discordfake.InteractionApplicationCommand, GuildID: guildID, ChannelID: feedbackID, UserID: aliceID,
		Data: map[string]any{"id": "1", "name": "Send to product", "type": 3, "target_id": m.ID, "resolved": map[string]any{
			"messages": map[string]any{m.ID: map[string]any{
				"id": m.ID, "channel_id": feedbackID, "content": m.Content, "type": 0,
				"timestamp": m.Timestamp.Format(time.RFC3339Nano), "author": map[string]any{"id": malloryID, "username": "mallory"},
			}},
		}},
	})
	c := recv(t, rec.commands, "the menu command")
	if c.Name != "Send to product" || c.Target == nil || c.Target.ID != m.ID || c.Target.Text != "the app is slow" ||
		c.Target.Author.ID != malloryID || c.Target.Permalink != "https://discord.com/channels/"+guildID+"/"+feedbackID+"/"+m.ID {
		t.Errorf("menu command = %+v, target %+v", c, c.Target)
	}
	got := callback(t, b.fake, ref.ID)
	content, _ := decode(t, got.Callback.Data)["content"].(string)
	if !strings.HasPrefix(content, "Something went wrong on Liaison's side.") || !strings.Contains(content, "(ref ") || strings.Contains(content, "fire") {
		t.Errorf("error reply = %q, want the generic message with a reference and no cause", content)
	}
}

// signer signs HTTP interactions like Discord.
type signer struct {
	key ed25519.PrivateKey
	url string
}

func (s signer) post(t *testing.T, body []byte, sign bool, at time.Time) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/discord/interactions", bytes.NewReader(body))
	if sign {
		ts := strconv.FormatInt(at.Unix(), 10)
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(s.key, append([]byte(ts), body...))))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestHTTPInteractionsAreVerifiedThenAnsweredInTheBody(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	fake := newFake(t)
	rec := newHandler(nil)
	rec.onCommand = func(_ context.Context, c *bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Text: "Thanks " + c.Option("text"), Public: true}, nil
	}
	a, _ := newAdapter(t, fake, rec, func(o *discordbot.Options) { o.PublicKey = hex.EncodeToString(pub) })
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := signer{key: priv, url: srv.URL}
	now := time.Now()

	ping := []byte(`{"id":"1","application_id":"` + botID + `","type":1,"token":"t","version":1}`)
	if resp, body := s.post(t, ping, true, now); resp.StatusCode != 200 || string(body) != `{"type":1}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("PING = %d %s, want 200 {\"type\":1}", resp.StatusCode, body)
	}
	if resp, _ := s.post(t, ping, false, now); resp.StatusCode != 401 {
		t.Errorf("unsigned PING = %d, want 401", resp.StatusCode)
	}
	other := signer{key: ed25519.NewKeyFromSeed(make([]byte, 32)), url: srv.URL}
	if resp, _ := other.post(t, ping, true, now); resp.StatusCode != 401 {
		t.Errorf("PING signed by another key = %d, want 401", resp.StatusCode)
	}
	if resp, _ := s.post(t, ping, true, now.Add(-time.Hour)); resp.StatusCode != 401 {
		t.Errorf("PING signed an hour ago = %d, want 401", resp.StatusCode)
	}
	big := append(append([]byte(`{"id":"1","type":1,"pad":"`), bytes.Repeat([]byte("x"), 1<<20)...), `"}`...)
	if resp, _ := s.post(t, big, true, now); resp.StatusCode != 413 {
		t.Errorf("a body over 1 MiB = %d, want 413", resp.StatusCode)
	}

	cmd := []byte(`{"id":"1300000000000000077","application_id":"` + botID + `","type":2,"token":"tok","version":1,` +
		`"guild_id":"` + guildID + `","channel_id":"` + feedbackID + `",` +
		`"member":{"user":{"id":"` + aliceID + `","username":"alice"},"roles":[]},` +
		`"data":{"id":"5","name":"feedback","type":1,"options":[{"name":"text","type":3,"value":"for the report"}]}}`)
	resp, body := s.post(t, cmd, true, now)
	if want := `{"type":4,"data":{"content":"Thanks for the report","components":[],"allowed_mentions":{"parse":[],"replied_user":false}}}`; resp.StatusCode != 200 || string(body) != want {
		t.Errorf("command = %d %s\nwant %s", resp.StatusCode, body, want)
	}
	c := recv(t, rec.commands, "the HTTP command")
	if c.User.ID != aliceID || c.Option("text") != "for the report" {
		t.Errorf("command = %+v", c)
	}
	if n := len(fake.CallsTo("POST", "/interactions/")); n != 0 {
		t.Errorf("%d REST callbacks for an HTTP interaction, want 0", n)
	}
}
