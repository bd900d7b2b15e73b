package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/examples"
)

// fakeHandler records what it is given and answers as its fields say.
type fakeHandler struct {
	mu       sync.Mutex
	events   []bot.Event
	commands []*bot.Command
	actions  []*bot.Action
	forms    []*bot.Submission

	event   func(bot.Event) error
	command func(*bot.Command) (*bot.Reply, error)
	action  func(*bot.Action) (*bot.Reply, error)
	submit  func(*bot.Submission) (*bot.Reply, error)
}

func (h *fakeHandler) HandleEvent(_ context.Context, ev bot.Event) error {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
	if h.event != nil {
		return h.event(ev)
	}
	return nil
}

func (h *fakeHandler) HandleCommand(_ context.Context, c *bot.Command) (*bot.Reply, error) {
	h.mu.Lock()
	h.commands = append(h.commands, c)
	h.mu.Unlock()
	if h.command != nil {
		return h.command(c)
	}
	return nil, nil
}

func (h *fakeHandler) HandleAction(_ context.Context, a *bot.Action) (*bot.Reply, error) {
	h.mu.Lock()
	h.actions = append(h.actions, a)
	h.mu.Unlock()
	if h.action != nil {
		return h.action(a)
	}
	return nil, nil
}

func (h *fakeHandler) HandleSubmission(_ context.Context, s *bot.Submission) (*bot.Reply, error) {
	h.mu.Lock()
	h.forms = append(h.forms, s)
	h.mu.Unlock()
	if h.submit != nil {
		return h.submit(s)
	}
	return nil, nil
}

// outbox is a stand-in for the dispatcher: a settler that sends one queued
// message per call through the console's senders.
type outbox struct {
	c       *Console
	queue   []*bot.OutboxMessage
	results map[string]bot.SendResult
	errs    map[string]error
}

func (o *outbox) enqueue(platform, kind, key string, payload any, parent string) {
	data, _ := json.Marshal(payload)
	o.queue = append(o.queue, &bot.OutboxMessage{Key: key, Platform: platform, Kind: kind, Payload: data, ParentKey: parent})
}

func (o *outbox) settle(ctx context.Context) (int, error) {
	if len(o.queue) == 0 {
		return 0, nil
	}
	m := o.queue[0]
	o.queue = o.queue[1:]
	if m.ParentKey != "" {
		m.ParentRef = o.results[m.ParentKey].PlatformID
	}
	res, err := o.c.Sender(m.Platform).Send(ctx, m)
	o.results[m.Key], o.errs[m.Key] = res, err
	return 1, nil
}

type testBundle struct {
	out    *bytes.Buffer
	h      *fakeHandler
	clock  *bot.ManualClock
	outbox *outbox
	cfg    *config.Config
}

var start = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// setup returns a console on the demo world, with a fake handler and a
// fake outbox, whose specs declare /warn, /feedback and "Send to product".
func setup(t *testing.T) (*Console, *testBundle) {
	t.Helper()
	cfg, err := config.Parse("console.yaml", examples.ConsoleYAML)
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{out: &bytes.Buffer{}, h: &fakeHandler{}, clock: bot.NewManualClock(start), cfg: cfg}
	c := New(Options{
		Config: cfg, Handler: b.h, Clock: b.clock, Out: b.out,
		Logger:   slog.New(slog.DiscardHandler),
		Commands: []bot.CommandSpec{warnSpec, {Name: "feedback", Options: []bot.OptionSpec{{Name: "text", Type: "string", Required: true}}}, {Name: "Send to product", MessageMenu: true}},
	})
	b.outbox = &outbox{c: c, results: map[string]bot.SendResult{}, errs: map[string]error{}}
	c.AddSettler(b.outbox.settle)
	return c, b
}

// exec runs lines, numbered from 1, and returns what they printed.
func exec(t *testing.T, c *Console, b *testBundle, lines ...string) string {
	t.Helper()
	b.out.Reset()
	for i, l := range lines {
		if c.Exec(context.Background(), i+1, l) {
			t.Fatalf("line %d (%q) quit", i+1, l)
		}
	}
	return b.out.String()
}

func wantOutput(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("output =\n%s\nwant\n%s", got, want)
	}
}

var (
	slackTS   = regexp.MustCompile(`^[0-9]{10}\.[0-9]{6}$`)
	snowflake = regexp.MustCompile(`^[0-9]{17,20}$`)
)

func TestAMessageIsEchoedAndDeliveredAsTheAdaptersWould(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b, "discord #general dave: hello everyone", "slack #product bob: shipping at 10:00")
	wantOutput(t, out, "[discord #general] d1 dave: hello everyone\n[slack #product] s1 bob: shipping at 10:00\n")
	if len(b.h.events) != 2 {
		t.Fatalf("handler got %d events, want 2", len(b.h.events))
	}
	d := b.h.events[0].(*bot.Message)
	if !snowflake.MatchString(d.ID) {
		t.Errorf("Discord message id = %q, want a snowflake", d.ID)
	}
	wantD := &bot.Message{
		Delivery:  bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: d.ID}}, At: start},
		Place:     bot.Place{Platform: "discord", ScopeID: "998877665544332211", ChannelID: "1100000000000000002", ChannelName: "general"},
		ID:        d.ID,
		Author:    bot.User{Platform: "discord", ID: "1300000000000000004", Name: "dave", Roles: []string{"1200000000000000001", "1200000000000000002"}},
		Text:      "hello everyone",
		Permalink: "https://discord.com/channels/998877665544332211/1100000000000000002/" + d.ID,
	}
	if diff := cmp.Diff(wantD, d); diff != "" {
		t.Errorf("Discord message (-want +got):\n%s", diff)
	}
	s := b.h.events[1].(*bot.Message)
	if !slackTS.MatchString(s.ID) {
		t.Errorf("Slack message id = %q, want a ts like 1700000000.000100", s.ID)
	}
	if len(s.Keys) != 2 || s.Keys[0].Kind != "slack_event" || !strings.HasPrefix(s.Keys[0].Key, SlackTeam+":Ev") ||
		s.Keys[1] != (bot.InboundKey{Kind: "slack_message", Key: "C01PRODUCT:" + s.ID}) {
		t.Errorf("Slack message keys = %v, want a slack_event and slack_message C01PRODUCT:%s", s.Keys, s.ID)
	}
	if !cmp.Equal(s.Author, bot.User{Platform: "slack", ID: "U01BOB", Name: "bob"}) || s.Place.ScopeID != SlackTeam || s.ChannelName != "product" {
		t.Errorf("Slack message = %+v", s)
	}
}

func TestLinesInErrorSayWhichLineAndWhy(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"discord #feedback zoe: hi",
		"slack #lobby bob: hi",
		"react d9 👍 eve",
		"discord #feedback alice: hi",
		"edit d1 eve: mine now",
		"delete d1",
		"react d1 👍 eve",
	)
	want := `line 1: nobody called "zoe" is on Discord: there are alice, bob, carol, dave, eve, mallory (declared under console.members; join NAME brings someone new)
line 2: Slack has no channel #lobby: there are #approvals, #community, #marketing, #mod-log, #product
line 3: there is no message d9: use a reference printed before a message (s… on Slack, d… on Discord)
[discord #feedback] d1 alice: hi
line 5: only alice can edit d1
[discord #feedback] d1 deleted
line 7: d1 was deleted
`
	wantOutput(t, out, want)
}

func TestCommandsReachTheHandlerAndItsReplyShowsToTheCaller(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.command = func(cmd *bot.Command) (*bot.Reply, error) {
		switch cmd.Name {
		case "liaison":
			return &bot.Reply{Text: "Liaison relays…\nCommands:\n  /liaison help"}, nil
		case "warn":
			return &bot.Reply{Text: "mallory was warned (case 1).", Public: true}, nil
		}
		return nil, bot.Errorf(bot.EInvalid, "Tell us more: /feedback needs a text.")
	}
	out := exec(t, c, b,
		"slack #product bob: /liaison help",
		"discord #general dave: /warn mallory spamming links",
		"discord #general dave: /feedback x",
		"discord #general dave: /wran mallory",
	)
	want := `[slack #product] bob: /liaison help
[slack #product] (to bob) liaison: Liaison relays…
    Commands:
      /liaison help
[discord #general] dave: /warn mallory spamming links
[discord #general] d1 liaison: mallory was warned (case 1).
    (pings: nobody)
[discord #general] dave: /feedback x
[discord #general] (to dave) liaison: Tell us more: /feedback needs a text.
line 4: Discord has no /wran command here: the commands are /feedback, /warn
`
	wantOutput(t, out, want)
	if len(b.h.commands) != 3 {
		t.Fatalf("handler got %d commands, want 3", len(b.h.commands))
	}
	slack, warn := b.h.commands[0], b.h.commands[1]
	if slack.Name != "liaison" || slack.Text != "help" || len(slack.Keys) != 1 || slack.Keys[0].Kind != "slack_command" || slack.User.ID != "U01BOB" {
		t.Errorf("Slack command = %+v, want liaison help from U01BOB with a slack_command key", slack)
	}
	wantOpts := []bot.Option{{Name: "user", Value: "1300000000000000102"}, {Name: "reason", Value: "spamming links"}}
	if diff := cmp.Diff(wantOpts, warn.Options); diff != "" || warn.Name != "warn" || warn.Keys[0].Kind != "discord_interaction" || !snowflake.MatchString(warn.Keys[0].Key) {
		t.Errorf("Discord command = %+v (options -want +got:\n%s)", warn, diff)
	}
	if slack.Keys[0].Key == b.h.commands[2].Keys[0].Key || warn.Keys[0].Key == b.h.commands[2].Keys[0].Key {
		t.Errorf("two commands share a key: %v %v %v", slack.Keys, warn.Keys, b.h.commands[2].Keys)
	}
}

func TestAnInternalErrorShowsAGenericMessage(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.event = func(bot.Event) error { return errors.New("database on fire") }
	out := exec(t, c, b, "discord #feedback alice: hi")
	wantOutput(t, out, "[discord #feedback] d1 alice: hi\n[discord #feedback] (to alice) liaison: "+bot.ErrorMessage(errors.New("x"))+"\n")
}

func TestButtonsCanBeClickedByWhoeverSeesThem(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.command = func(*bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Text: "Close feedback #1?", Buttons: []bot.Button{{ActionID: "feedback.close", Label: "Close", Value: "1"}, {ActionID: "feedback.keep", Label: "Keep open", Value: "1"}}}, nil
	}
	b.h.action = func(a *bot.Action) (*bot.Reply, error) { return &bot.Reply{Text: "Closed #" + a.Value + "."}, nil }
	out := exec(t, c, b,
		"slack #product bob: /liaison feedback close 1",
		`click s1 "keep  open" carol`,
		`click s1 "Reopen" bob`,
		`click s1 "close" bob`,
	)
	want := `[slack #product] bob: /liaison feedback close 1
[slack #product] s1 (to bob) liaison: Close feedback #1? [Close] [Keep open]
line 2: only bob sees s1
line 3: s1 has no button "Reopen": its buttons are [Close] [Keep open]
[slack #product] bob clicked [Close] on s1
[slack #product] (to bob) liaison: Closed #1.
`
	wantOutput(t, out, want)
	if len(b.h.actions) != 1 {
		t.Fatalf("handler got %d clicks, want 1", len(b.h.actions))
	}
	a := b.h.actions[0]
	if a.ActionID != "feedback.close" || a.Value != "1" || a.MessageID != c.refs["s1"].id || a.User.Name != "bob" || a.ChannelID != "C01PRODUCT" || a.Keys[0].Kind != "slack_interaction" {
		t.Errorf("action = %+v", a)
	}
}

func TestAFormOpensPrintsItsFieldsAndIsSubmitted(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.action = func(*bot.Action) (*bot.Reply, error) {
		return &bot.Reply{Modal: &bot.Modal{CallbackID: "draft.new", Title: "Draft a reply", Meta: "item:1", Fields: []bot.ModalField{
			{ID: "text", Label: "Reply", Multiline: true},
			{ID: "note", Label: "Note for approvers", Optional: true, Value: "first draft"},
		}}}, nil
	}
	refuse := true
	b.h.submit = func(s *bot.Submission) (*bot.Reply, error) {
		if refuse {
			refuse = false
			return nil, bot.Errorf(bot.EInvalid, "text: be kinder")
		}
		return &bot.Reply{Text: "Draft 1 sent for approval."}, nil
	}
	b.outbox.enqueue("slack", bot.KindPost, "relay:1", bot.Post{ChannelID: "C01PRODUCT", Text: "Feedback #1", Buttons: []bot.Button{{ActionID: "draft.start", Label: "Draft reply"}}}, "")
	out := exec(t, c, b,
		"help", // settles the outbox: s1
		`click s1 "Draft reply" carol`,
		`submit carol`,
		`submit carol txt=hi`,
		`submit carol text="Thanks, alice: fixed in 2.1"`,
		`submit carol text="Thanks, alice: fixed in 2.1"`,
		`submit carol text="again"`,
	)
	out = out[strings.Index(out, "[slack #product] s1"):]
	want := `[slack #product] s1 liaison: Feedback #1
    (pings: nobody)
    [Draft reply]
[slack #product] carol clicked [Draft reply] on s1
[slack #product] (to carol) liaison: [form Draft a reply]
    text: Reply
    note: Note for approvers (optional) = "first draft"
    reply with: submit carol text=… note=…
line 3: the form "Draft a reply" needs text (Reply): submit carol text=…
line 4: the form "Draft a reply" has no field txt: its fields are text, note
[slack #product] carol submitted [form Draft a reply] text="Thanks, alice: fixed in 2.1"
[slack #product] (to carol) liaison: text: be kinder
[slack #product] carol submitted [form Draft a reply] text="Thanks, alice: fixed in 2.1"
[slack #product] (to carol) liaison: Draft 1 sent for approval.
line 7: no form is open for carol: a form opens when a command or a button asks carol for details
`
	wantOutput(t, out, want)
	s := b.h.forms[1]
	wantValues := map[string]string{"text": "Thanks, alice: fixed in 2.1", "note": "first draft"}
	if diff := cmp.Diff(wantValues, s.Values); diff != "" || s.CallbackID != "draft.new" || s.Meta != "item:1" || s.User.ID != "U01CAROL" || s.Keys[0].Kind != "slack_interaction" {
		t.Errorf("submission = %+v (values -want +got:\n%s)", s, diff)
	}
}

func TestReactionsAreReportedAsEachPlatformDoes(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"discord #feedback alice: the export crashes",
		"slack #product bob: on it",
		"react d1 :mega: eve",
		"react s1 👍🏽 carol",
		"react s1 🦜 carol",
		"react d1 :party_parrot: eve",
	)
	want := `[discord #feedback] d1 alice: the export crashes
[slack #product] s1 bob: on it
[discord #feedback] d1 +📣 eve
[slack #product] s1 +👍 carol
line 5: Slack reports reactions by name, and the console does not know the name of 🦜: type its shortcode instead, like :tada:
line 6: the console does not know the emoji :party_parrot:: type the emoji itself
`
	wantOutput(t, out, want)
	d, s := b.h.events[2].(*bot.Reaction), b.h.events[3].(*bot.Reaction)
	if d.Emoji != "📣" || d.MessageID != c.refs["d1"].id || d.User.Name != "eve" || len(d.Keys) != 1 || d.Keys[0].Kind != "discord_reaction" {
		t.Errorf("Discord reaction = %+v, want 📣 on d1 by eve", d)
	}
	if s.Emoji != "+1::skin-tone-4" || s.MessageID != c.refs["s1"].id || s.Keys[0].Kind != "slack_event" {
		t.Errorf("Slack reaction = %+v, want +1::skin-tone-4 on s1", s)
	}
}

func TestEditsAndDeletionsAreNotTakenForRedeliveries(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"discord #feedback alice: it crashes",
		"edit d1 alice: it crashes on Safari",
		"edit d1 alice: it crashes on Safari 17",
		"delete d1",
	)
	want := `[discord #feedback] d1 alice: it crashes
[discord #feedback] d1 edited alice: it crashes on Safari
[discord #feedback] d1 edited alice: it crashes on Safari 17
[discord #feedback] d1 deleted
`
	wantOutput(t, out, want)
	seen := map[bot.InboundKey]bool{}
	for _, ev := range b.h.events {
		for _, k := range ev.Delivered().Keys {
			if seen[k] {
				t.Errorf("key %v is used twice", k)
			}
			seen[k] = true
		}
	}
	if e := b.h.events[1].(*bot.Message); !e.Edited || e.Text != "it crashes on Safari" || e.Keys[0].Kind != "discord_edit" {
		t.Errorf("edit = %+v", e)
	}
	if d := b.h.events[3].(*bot.MessageDeleted); d.ID != c.refs["d1"].id || d.Keys[0] != (bot.InboundKey{Kind: "discord_delete", Key: d.ID}) {
		t.Errorf("deletion = %+v", d)
	}
}

func TestAMenuCommandTargetsTheMessage(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.command = func(*bot.Command) (*bot.Reply, error) { return &bot.Reply{Text: "Sent to the team."}, nil }
	out := exec(t, c, b,
		"discord #general mallory: the app is slow today",
		"slack #product bob: hi",
		`menu d1 "send to product" bob`,
		`menu d1 "Send to marketing" bob`,
		`menu s1 "Send to product" bob`,
	)
	want := `[discord #general] d1 mallory: the app is slow today
[slack #product] s1 bob: hi
[discord #general] bob used "Send to product" on d1
[discord #general] (to bob) liaison: Sent to the team.
line 4: Discord has no message menu "Send to marketing" here: the menus are "Send to product"
line 5: menu commands are Discord's: s1 is a Slack message (use a d… reference)
`
	wantOutput(t, out, want)
	cmd := b.h.commands[0]
	if cmd.Name != "Send to product" || cmd.Target == nil || cmd.Target.ID != c.refs["d1"].id || cmd.Target.Text != "the app is slow today" || cmd.Target.Author.Name != "mallory" || cmd.User.ID != "1300000000000000002" {
		t.Errorf("menu command = %+v, target %+v", cmd, cmd.Target)
	}
}

func TestSendersPrintLiaisonsMessagesAndRememberTheirIds(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	o := b.outbox
	o.enqueue("slack", bot.KindPost, "relay", bot.Post{ChannelID: "C01PRODUCT", Text: "Feedback #1", Buttons: twoButtons}, "")
	o.enqueue("slack", bot.KindPost, "remind", bot.Post{ChannelID: "C01PRODUCT", Text: "Still open after 2h."}, "relay")
	o.enqueue("slack", bot.KindUpdate, "edit", bot.Post{ChannelID: "C01PRODUCT", Text: "Feedback #1 (closed)"}, "relay")
	o.enqueue("slack", bot.KindReact, "ack", bot.React{ChannelID: "C01PRODUCT", Emoji: "white_check_mark"}, "relay")
	o.enqueue("slack", bot.KindUpload, "chart", bot.Upload{ChannelID: "C01COMMUNITY", Filename: "chart.png", Comment: "This week"}, "")
	o.enqueue("slack", bot.KindPost, "dm", bot.Post{ChannelID: "U01CAROL", Text: "A draft waits for you."}, "")
	o.enqueue("slack", bot.KindPost, "relay", bot.Post{ChannelID: "C01PRODUCT", Text: "sent twice"}, "")
	o.enqueue("slack", bot.KindPost, "lost", bot.Post{ChannelID: "C99NOWHERE", Text: "?"}, "")
	o.enqueue("slack", "ban", "ban", struct{}{}, "")
	out := exec(t, c, b, "discord #feedback alice: the export crashes")
	o.enqueue("discord", bot.KindPost, "answer", bot.Post{ChannelID: "1100000000000000001", ThreadOf: c.refs["d1"].id, Text: "Thanks, fixed in 2.1!"}, "")
	o.enqueue("discord", bot.KindReact, "seen", bot.React{ChannelID: "1100000000000000001", MessageID: c.refs["d1"].id, Emoji: "👀"}, "")
	out += exec(t, c, b, "clock +1m")
	want := `[discord #feedback] d1 alice: the export crashes
[slack #product] s1 liaison: Feedback #1
    (pings: nobody)
    [Acknowledge] [Close]
[slack #product] s2 (thread s1) liaison: Still open after 2h.
    (pings: nobody)
[slack #product] s1 edited liaison: Feedback #1 (closed)
    (pings: nobody)
[slack #product] s1 +✅ liaison
[slack #community] s3 liaison: This week
    [file chart.png]
    (pings: nobody)
[slack @carol] s4 liaison: A draft waits for you.
    (pings: nobody)
[clock] Mon 23 Nov 2026 09:01 CET (Europe/Paris)
[discord #feedback] d2 (reply d1) liaison: Thanks, fixed in 2.1!
    (pings: nobody)
[discord #feedback] d1 +👀 liaison
`
	wantOutput(t, out, want)
	if got := o.results["relay"].PlatformID; got != c.refs["s1"].id || !slackTS.MatchString(got) || o.results["relay"].Channel != "C01PRODUCT" {
		t.Errorf("relay result = %+v, want s1's ts %s", o.results["relay"], c.refs["s1"].id)
	}
	if got := o.results["answer"].PlatformID; !snowflake.MatchString(got) || got != c.refs["d2"].id {
		t.Errorf("Discord result = %q, want d2's snowflake", got)
	}
	for _, key := range []string{"lost", "ban"} {
		if !bot.IsPermanent(o.errs[key]) {
			t.Errorf("sending %s: %v, want a permanent error", key, o.errs[key])
		}
	}
}

func TestSettleRunsUntilNothingIsLeftToDo(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	calls, work := 0, 3
	c.AddSettler(func(context.Context) (int, error) {
		calls++
		if work > 0 {
			work--
			return 1, nil
		}
		return 0, nil
	})
	if err := c.Settle(context.Background()); err != nil || calls != 4 {
		t.Errorf("Settle = %v after %d calls, want nil after 4", err, calls)
	}
	c.AddSettler(func(context.Context) (int, error) { return 1, nil })
	if err := c.Settle(context.Background()); err == nil || !strings.Contains(err.Error(), "still busy after 1000 rounds") {
		t.Errorf("Settle with endless work = %v, want it to give up", err)
	}
}

func TestRunReadsAScriptNumberingEveryLine(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	script := "# a comment\n\ndiscord #feedback alice: hi\nnonsense\nquit\ndiscord #feedback alice: never read\n"
	if err := c.Run(context.Background(), strings.NewReader(script), false); err != nil {
		t.Fatal(err)
	}
	want := "[discord #feedback] d1 alice: hi\nline 4: \"nonsense\" is not something the console understands: start a line with discord, slack, react, unreact, reply, thread, post, click, menu, submit, edit, delete, join, leave, dm, feed, clock, help or quit (type help for examples)\n"
	wantOutput(t, b.out.String(), want)
}

func TestRunPromptsOnATerminal(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	if err := c.Run(context.Background(), strings.NewReader("discord #feedback alice: hi\n"), true); err != nil {
		t.Fatal(err)
	}
	out := b.out.String()
	if !strings.HasPrefix(out, "Liaison console:") || !strings.Contains(out, "#feedback") || !strings.Contains(out, "alice, bob, carol") ||
		!strings.Contains(out, "Mon 23 Nov 2026 09:00 (Europe/Paris)") || !strings.HasSuffix(out, "> [discord #feedback] d1 alice: hi\n> \n") {
		t.Errorf("interactive output =\n%s", out)
	}
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, w := io.Pipe()
	defer w.Close()
	if err := c.Run(ctx, r, false); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
}

func TestIdsGrowWithTheClockAndDifferBetweenRuns(t *testing.T) {
	t.Parallel()
	now := start
	one, two := &ids{run: 1}, &ids{run: 2}
	seen := map[string]bool{}
	prev := ""
	for i := range 50 {
		if i == 25 {
			now = now.Add(time.Second)
		}
		for _, id := range []string{one.slackTS(now), two.slackTS(now), one.snowflake(now), two.snowflake(now)} {
			if seen[id] {
				t.Fatalf("id %s given twice", id)
			}
			seen[id] = true
		}
		ts := one.slackTS(now)
		if ts <= prev {
			t.Errorf("ts %s does not follow %s", ts, prev)
		}
		prev = ts
	}
	if got := (&ids{run: 1}).slackTS(start); got != fmt.Sprintf("%d.010000", start.Unix()) {
		t.Errorf("first ts of run 1 = %s", got)
	}
	if got := (&ids{run: 1}).snowflake(start); !snowflake.MatchString(got) {
		t.Errorf("snowflake = %s, want 17 to 20 digits", got)
	}
}

// runs is a runRecorder in memory.
type runs map[string]bool

func (r runs) FirstSeen(_ context.Context, _ time.Time, kind, key string) (bool, error) {
	k := kind + " " + key
	first := !r[k]
	r[k] = true
	return first, nil
}

func TestClaimRunCountsRunsOnADatabase(t *testing.T) {
	t.Parallel()
	db := runs{}
	for want := 1; want <= 3; want++ {
		if got, err := ClaimRun(context.Background(), db, start); err != nil || got != want {
			t.Errorf("ClaimRun = %d, %v; want %d", got, err, want)
		}
	}
}
