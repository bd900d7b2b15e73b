package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

const feedbackYAML = `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT, marketing: C01MARKETING, community: C01COMMUNITY}
discord:
  guild: "998877665544332211"
  channels: {feedback: "1100000000000000001", general: "1100000000000000002"}
  roles: {staff: ["1200000000000000001"], moderators: ["1200000000000000002"]}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
feedback:
  channels: [feedback]
  routes:
    - {name: bugs, match: {keywords: [crash, bug, broken]}, to: [product], tags: [bug], stop: true}
    - {name: praise, match: {sentiment: positive}, to: [marketing], tags: [praise]}
  default_to: product
`

const (
	guild       = "998877665544332211"
	feedbackCh  = "1100000000000000001"
	generalCh   = "1100000000000000002"
	aliceID     = "1400000000000000001"
	eveID       = "1400000000000000003"
	daveDiscord = "1300000000000000004"
)

// messages is a messageReader over a fixed set of Discord messages.
type messages map[string]*bot.Message

func (m messages) Message(_ context.Context, channelID, id string) (*bot.Message, error) {
	if msg, ok := m[channelID+"/"+id]; ok {
		return msg, nil
	}
	return nil, bot.Errorf(bot.ENotFound, "no message %s", id)
}

type fbBundle struct {
	r     *Router
	caps  *Capabilities
	db    *store.DB
	clock *bot.ManualClock
	msgs  messages
}

func setupFeedback(t *testing.T, db *store.DB) *fbBundle { return setupFeedbackTB(t, db) }

func setupFeedbackTB(t testing.TB, db *store.DB) *fbBundle {
	return setupFeedbackYAML(t, db, feedbackYAML)
}

// setupFeedbackYAML is setupFeedback with the configuration yaml.
func setupFeedbackYAML(t testing.TB, db *store.DB, yaml string) *fbBundle {
	t.Helper()
	msgs := messages{}
	b := setupFeedbackReader(t, db, yaml, msgs)
	b.msgs = msgs
	return b
}

// setupFeedbackReader is setupFeedbackYAML reading Discord messages back
// from discord; the bundle's msgs is nil.
func setupFeedbackReader(t testing.TB, db *store.DB, yaml string, discord messageReader) *fbBundle {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	c := Build(Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler), Discord: discord})
	return &fbBundle{r: c.Router, caps: c, db: db, clock: clock}
}

func discordMsg(channel, id, authorID, author, text string) *bot.Message {
	return &bot.Message{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: id}}},
		Place:    bot.Place{Platform: bot.PlatformDiscord, ScopeID: guild, ChannelID: channel},
		ID:       id, Text: text,
		Author:    bot.User{Platform: bot.PlatformDiscord, ID: authorID, Name: author},
		Permalink: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guild, channel, id),
	}
}

func (b *fbBundle) event(t *testing.T, ev bot.Event) {
	t.Helper()
	if err := b.r.HandleEvent(context.Background(), ev); err != nil {
		t.Fatalf("HandleEvent(%T): %v", ev, err)
	}
}

// outbox returns every outbox message with its decoded post, oldest first.
func (b *fbBundle) outbox(t *testing.T) []outboxed {
	t.Helper()
	entries, err := b.db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]outboxed, len(entries))
	for i, e := range entries {
		out[i].e = e
		if err := json.Unmarshal([]byte(e.Payload), &out[i].post); err != nil {
			t.Fatalf("payload of %s: %v", e.Key, err)
		}
	}
	return out
}

type outboxed struct {
	e    store.OutboxEntry
	post bot.Post
}

func TestAMessageInAFeedbackChannelBecomesOneItemRelayedOncePerDestination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		m := discordMsg(feedbackCh, "5001", aliceID, "alice", "The export button crashes on big files")
		for range 4 {
			b.event(t, m)
		}
		items, err := db.ListFeedback(context.Background(), store.FeedbackFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 {
			t.Fatalf("%d items after four deliveries, want 1", len(items))
		}
		it := items[0]
		if it.Intake != "channel" || it.AuthorName != "alice" || it.ChannelName != "feedback" || it.Sentiment != "negative" || it.Tags[0] != "bug" {
			t.Errorf("item = %+v", it)
		}
		ob := b.outbox(t)
		if len(ob) != 1 {
			t.Fatalf("outbox = %d messages, want one relay", len(ob))
		}
		p := ob[0].post
		if ob[0].e.Key != fmt.Sprintf("relay:%d:product", it.ID) || p.ChannelID != "C01PRODUCT" {
			t.Errorf("relay key %q channel %q", ob[0].e.Key, p.ChannelID)
		}
		if p.Title != fmt.Sprintf("Feedback #%d from alice in #feedback", it.ID) || p.Quote != m.Text || p.Link.URL != m.Permalink {
			t.Errorf("relay post = %+v", p)
		}
		var labels []string
		for _, btn := range p.Buttons {
			labels = append(labels, btn.Label)
		}
		if strings.Join(labels, ",") != "Acknowledge,Tag,Status,Draft reply,Close,Merge" {
			t.Errorf("buttons = %v", labels)
		}
		if !strings.Contains(fieldsText(p), "Sentiment: negative: crashes") || p.Context != "routed by bugs" {
			t.Errorf("fields %q context %q", fieldsText(p), p.Context)
		}
	})
}

func fieldsText(p bot.Post) string {
	var s []string
	for _, f := range p.Fields {
		s = append(s, f.Name+": "+f.Value)
	}
	return strings.Join(s, " | ")
}

func (b *fbBundle) only(t *testing.T) store.FeedbackItem {
	t.Helper()
	items, err := b.db.ListFeedback(context.Background(), store.FeedbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("%d feedback items, want 1", len(items))
	}
	return items[0]
}

// send marks every pending outbox message sent, as the dispatcher would,
// giving Slack posts the ts "ts-<key>".
func (b *fbBundle) send(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for {
		msgs, err := b.db.ClaimOutbox(ctx, "test", b.clock.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return
		}
		var outs []store.OutboxOutcome
		for _, m := range msgs {
			var p bot.Post
			json.Unmarshal(m.Payload, &p)
			id := "ts-" + m.Key
			if m.Kind == bot.KindUpdate {
				id = m.ParentRef
			}
			outs = append(outs, store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts, State: store.OutboxSent, Result: bot.SendResult{PlatformID: id, Channel: p.ChannelID}})
		}
		if err := b.db.FinishOutbox(ctx, b.clock.Now(), outs); err != nil {
			t.Fatal(err)
		}
	}
}

func reaction(platform, channel, msgID, userID, emoji string) *bot.Reaction {
	return &bot.Reaction{
		Delivery:  bot.Delivery{Keys: []bot.InboundKey{{Kind: "reaction", Key: strings.Join([]string{channel, msgID, userID, emoji}, ":")}}},
		Place:     bot.Place{Platform: platform, ScopeID: guild, ChannelID: channel},
		MessageID: msgID, Emoji: emoji, User: bot.User{Platform: platform, ID: userID},
	}
}

func TestAFlaggedMessageIsFeedbackAndFlaggingTwiceOrAfterPostingIsOneItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		m := discordMsg(generalCh, "6001", eveID, "eve", "please add dark mode")
		b.msgs[generalCh+"/6001"] = m
		b.event(t, reaction(bot.PlatformDiscord, generalCh, "6001", aliceID, "📣"))
		b.event(t, reaction(bot.PlatformDiscord, generalCh, "6001", daveDiscord, "📣"))
		it := b.only(t)
		if it.Intake != "flag" || it.AuthorName != "eve" || it.LoggedBy != aliceID || it.Text != "please add dark mode" {
			t.Errorf("flagged item = %+v", it)
		}
		// A message in the feedback channel, flagged after: still one item each.
		f := discordMsg(feedbackCh, "6002", aliceID, "alice", "export is broken")
		b.msgs[feedbackCh+"/6002"] = f
		b.event(t, f)
		b.event(t, reaction(bot.PlatformDiscord, feedbackCh, "6002", eveID, "📣"))
		items, _ := db.ListFeedback(context.Background(), store.FeedbackFilter{})
		if len(items) != 2 {
			t.Errorf("%d items, want 2", len(items))
		}
		if n := len(b.outbox(t)); n != 2 {
			t.Errorf("%d relays, want 2", n)
		}
	})
}

func TestVotesCountOncePerPersonOnTheSourceOrTheRelay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.event(t, discordMsg(feedbackCh, "7001", aliceID, "alice", "search is slow"))
		b.send(t)
		it := b.only(t)
		relayTS := fmt.Sprintf("ts-relay:%d:product", it.ID)
		b.event(t, reaction(bot.PlatformDiscord, feedbackCh, "7001", eveID, "👍"))
		b.event(t, reaction(bot.PlatformDiscord, feedbackCh, "7001", eveID, "👍🏽"))                    // same person, skin tone
		b.event(t, reaction(bot.PlatformSlack, "C01PRODUCT", relayTS, "U01CAROL", "+1::skin-tone-2")) // carol in Slack
		b.event(t, reaction(bot.PlatformDiscord, feedbackCh, "7001", daveDiscord, "👍"))               // dave is carol? no: dave
		b.event(t, reaction(bot.PlatformSlack, "C01PRODUCT", relayTS, "U01DAVE", "+1"))               // dave again, from Slack
		if got := b.only(t).Votes; got != 3 {
			t.Errorf("votes = %d, want 3 (eve, carol, dave)", got)
		}
		b.send(t)
		ob := b.outbox(t)
		last := ob[len(ob)-1]
		if last.e.Kind != bot.KindUpdate || !strings.Contains(fieldsText(last.post), "Votes: 3") {
			t.Errorf("last outbox message %s %s, want the relay edited to show 3 votes", last.e.Kind, fieldsText(last.post))
		}
		if last.e.State != store.OutboxSent || last.e.PlatformID != relayTS {
			t.Errorf("the relay edit was not applied to the relay message: %+v", last.e)
		}
	})
}

func TestEditsAndDeletesOfTheSourceReachTheRelay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		m := discordMsg(feedbackCh, "8001", aliceID, "alice", "search is slow")
		b.event(t, m)
		edit := *m
		edit.Edited, edit.Text = true, "search is slow and crashes"
		edit.Delivery = bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_edit", Key: "8001:1"}}}
		b.event(t, &edit)
		it := b.only(t)
		if !it.Edited || it.Text != "search is slow and crashes" || it.SentimentReasons == "" {
			t.Errorf("after edit: %+v", it)
		}
		b.event(t, &bot.MessageDeleted{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_delete", Key: "8001"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ChannelID: feedbackCh}, ID: "8001"})
		if !b.only(t).Deleted {
			t.Errorf("item not marked deleted")
		}
		ob := b.outbox(t)
		if len(ob) != 3 || ob[1].post.Context != "routed by default · edited" && ob[1].post.Context != "edited" {
			t.Fatalf("outbox = %d messages (%q), want relay + 2 edits", len(ob), ob[len(ob)-1].post.Context)
		}
		if ob[1].e.ParentID == nil || *ob[1].e.ParentID != ob[0].e.ID || ob[2].e.ParentID == nil || *ob[2].e.ParentID != ob[1].e.ID {
			t.Errorf("edits are not chained relay → edit 1 → edit 2: %v %v", ob[1].e.ParentID, ob[2].e.ParentID)
		}
		if !strings.Contains(ob[2].post.Context, "the original message was deleted") || ob[2].post.Quote != "search is slow and crashes" {
			t.Errorf("last edit = %+v", ob[2].post)
		}
	})
}

func TestAStaffReplyInDiscordAnswersTheItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.event(t, discordMsg(feedbackCh, "9001", aliceID, "alice", "is there an API?"))
		b.clock.Advance(90 * time.Minute)
		// A community member's reply does not count; dave's (staff) does.
		other := discordMsg(feedbackCh, "9002", eveID, "eve", "+1 want this")
		other.ReplyTo = "9001"
		b.event(t, other)
		if it, _ := db.Feedback(context.Background(), 1); it.FirstResponseAt != nil {
			t.Fatalf("a member's reply answered the item")
		}
		reply := discordMsg(feedbackCh, "9003", daveDiscord, "dave", "Yes: https://docs.example.com/api")
		reply.ReplyTo = "9001"
		b.event(t, reply)
		it, _ := db.Feedback(context.Background(), 1)
		if it.FirstResponseAt == nil || it.FirstResponseAt.Sub(it.CreatedAt) != 90*time.Minute || it.Status != store.FeedbackAnswered || it.HandledBy != "dave" {
			t.Errorf("after dave's reply: %+v", it)
		}
		// eve's reply is feedback too (every message there is); dave's is not.
		items, _ := db.ListFeedback(context.Background(), store.FeedbackFilter{})
		if len(items) != 2 {
			t.Errorf("%d items, want 2: alice's and eve's, not staff's", len(items))
		}
	})
}

func TestRoutingSendsPraiseToMarketingAndTheRestToTheDefault(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.event(t, discordMsg(feedbackCh, "1001", aliceID, "alice", "I love the new dashboard, thank you!"))
		b.event(t, discordMsg(feedbackCh, "1002", aliceID, "alice", "how do I export to CSV?"))
		b.event(t, discordMsg(generalCh, "1003", aliceID, "alice", "not in a feedback channel: ignored"))
		ob := b.outbox(t)
		if len(ob) != 2 || ob[0].post.ChannelID != "C01MARKETING" || ob[1].post.ChannelID != "C01PRODUCT" || ob[1].post.Context != "" {
			for _, o := range ob {
				t.Logf("%s → %s (%s)", o.e.Key, o.post.ChannelID, o.post.Context)
			}
			t.Errorf("want praise → marketing, question → product by default")
		}
	})
}

func action(id, userID string, itemID int64) *bot.Action {
	return &bot.Action{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_action", Key: fmt.Sprint(id, userID, time.Now().UnixNano())}}},
		Place:    bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01PRODUCT"},
		ActionID: id, Value: fmt.Sprint(itemID), User: bot.User{Platform: bot.PlatformSlack, ID: userID, Name: "x"},
	}
}

func TestRelayButtonsUpdateTheMessageAndRecordWhoActed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		b.event(t, discordMsg(feedbackCh, "2001", aliceID, "alice", "export is broken"))
		it := b.only(t)
		reply, err := b.r.HandleAction(ctx, action("feedback.ack", "U01CAROL", it.ID))
		if err != nil || reply.Text != fmt.Sprintf("You acknowledged feedback #%d.", it.ID) {
			t.Fatalf("ack = %+v, %v", reply, err)
		}
		reply, _ = b.r.HandleAction(ctx, action("feedback.ack", "U01DAVE", it.ID))
		if !strings.Contains(reply.Text, "already acknowledged by carol") {
			t.Errorf("second ack = %q", reply.Text)
		}
		ob := b.outbox(t)
		edit := ob[len(ob)-1].post
		if !strings.Contains(fieldsText(edit), "Status: acknowledged by carol") || edit.Buttons[0].Label != "Tag" {
			t.Errorf("relay after ack: %s %v", fieldsText(edit), edit.Buttons)
		}
		reply, _ = b.r.HandleAction(ctx, action("feedback.tag", "U01CAROL", it.ID))
		if reply.Modal == nil || reply.Modal.CallbackID != "feedback.tag" || reply.Modal.Meta != fmt.Sprint(it.ID) {
			t.Fatalf("tag = %+v, want the tag form", reply)
		}
		reply, err = b.r.HandleSubmission(ctx, &bot.Submission{CallbackID: "feedback.tag", Meta: reply.Modal.Meta,
			Values: map[string]string{"tags": "Export, ux, export"}, User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}})
		if err != nil || reply.Text != fmt.Sprintf("Feedback #%d is tagged export, ux.", it.ID) {
			t.Errorf("tag form = %+v, %v", reply, err)
		}
		// Drafting needs an approvals: section, which this configuration lacks.
		if _, err := b.r.HandleAction(ctx, action("feedback.draft", "U01CAROL", it.ID)); bot.ErrorCode(err) != bot.EInvalid || !strings.Contains(bot.ErrorMessage(err), "approvals: section") {
			t.Errorf("draft without approvals = %v", err)
		}
		b.r.HandleAction(ctx, action("feedback.close", "U01DAVE", it.ID))
		got := b.only(t)
		if got.Status != store.FeedbackClosed || got.HandledBy != "dave" || got.ClosedAt == nil || strings.Join(got.Tags, ",") != "export,ux" {
			t.Errorf("after close: %+v", got)
		}
		ob = b.outbox(t)
		if last := ob[len(ob)-1].post; len(last.Buttons) != 0 || !strings.Contains(fieldsText(last), "closed by dave") {
			t.Errorf("closed relay still has buttons %v or wrong status %s", last.Buttons, fieldsText(last))
		}
		hist, _ := db.FeedbackHistory(ctx, it.ID)
		var acts []string
		for _, h := range hist {
			acts = append(acts, cmp.Or(h.Actor, "-")+" "+h.Action)
		}
		if want := "carol acknowledged,carol tagged,dave closed"; strings.Join(acts, ",") != want {
			t.Errorf("history = %q, want %q", strings.Join(acts, ","), want)
		}
		if _, err := b.r.HandleAction(ctx, action("feedback.ack", "U01CAROL", 999)); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("ack of an unknown item: %v", err)
		}
	})
}

func TestHostileTextIsKeptVerbatimButTruncatedWithALink(t *testing.T) {
	t.Parallel()
	b := setupFeedback(t, storetest.Open(t, store.SQLite))
	long := "@everyone <!channel> <@&1200000000000000001> " + strings.Repeat("*bold* `code` ```", 400)
	b.event(t, discordMsg(feedbackCh, "3001", aliceID, "alice", long))
	p := b.outbox(t)[0].post
	if len(p.Quote) > relayQuoteMax+100 || !strings.HasSuffix(p.Quote, "(truncated: the whole message is in Discord)") || p.Link == nil {
		t.Errorf("quote of %d bytes, link %v", len(p.Quote), p.Link)
	}
	if !strings.HasPrefix(p.Quote, "@everyone <!channel>") {
		t.Errorf("the relay post altered the text (the sender escapes it, by construction): %q", p.Quote[:40])
	}
}

func slackCommand(name, text, userID string) *bot.Command {
	return &bot.Command{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_command", Key: fmt.Sprint(name, text, userID, time.Now().UnixNano())}}},
		Place:    bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01PRODUCT"},
		Name:     name, Text: text, User: bot.User{Platform: bot.PlatformSlack, ID: userID, Name: "someone"},
	}
}

// Slack's /feedback says whom staff heard it from at the end or at the
// start, and refuses, saying what to write, what it cannot log.
func TestStaffFeedbackSaysWhomItIsFrom(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, text, customer, err string }{
		{in: "exports should be scheduled from Acme (call with Jane)", text: "exports should be scheduled", customer: "Acme (call with Jane)"},
		{in: "the data from the API is stale from Acme", text: "the data from the API is stale", customer: "Acme"},
		{in: "from Jane Doe: the export is slow", text: "the export is slow", customer: "Jane Doe"},
		{in: "  From Acme:   exports are slow: very  ", text: "exports are slow: very", customer: "Acme"},
		{in: "the export is slow", text: "the export is slow"},
		{in: "from Jane Doe:", err: "Write what Jane Doe said after the colon: /feedback from Acme: the export is too slow"},
		{in: "from", err: "Say who it is from after “from”, or leave “from” out"},
		{in: "the export is slow from ", err: "Say who it is from after “from”, or leave “from” out"},
		{in: "from Acme", err: "Write the feedback after the command"},
		{in: "   ", err: "Write the feedback after the command"},
	} {
		text, customer, err := staffFeedback(tt.in)
		if tt.err != "" {
			if bot.ErrorCode(err) != bot.EInvalid || !strings.HasPrefix(bot.ErrorMessage(err), tt.err) {
				t.Errorf("/feedback %s: %q %q %v, want the error %q", tt.in, text, customer, err, tt.err)
			}
			continue
		}
		if err != nil || text != tt.text || customer != tt.customer {
			t.Errorf("/feedback %s = %q from %q (%v), want %q from %q", tt.in, text, customer, err, tt.text, tt.customer)
		}
	}
}

func TestFeedbackCommandsFromEachPlatform(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		reply, err := b.r.HandleCommand(ctx, slackCommand("feedback", "exports should be scheduled from Acme (call with Jane)", "U01CAROL"))
		if err != nil || !strings.HasPrefix(reply.Text, "Logged as feedback #") {
			t.Fatalf("slack /feedback = %+v, %v", reply, err)
		}
		_, err = b.r.HandleCommand(ctx, slackCommand("feedback", "something", "U0STRANGER"))
		if bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("slack /feedback by a non-staff user: %v", err)
		}
		_, err = b.r.HandleCommand(ctx, slackCommand("feedback", "  ", "U01CAROL"))
		if bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("empty slack /feedback: %v", err)
		}
		dc := &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_interaction", Key: "i1"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: guild, ChannelID: generalCh}, Name: "feedback",
			Options: []bot.Option{{Name: "text", Value: "please add SSO"}}, User: bot.User{Platform: bot.PlatformDiscord, ID: eveID, Name: "eve"}}
		reply, err = b.r.HandleCommand(ctx, dc)
		if err != nil || !strings.HasPrefix(reply.Text, "Thanks! The team has your feedback") {
			t.Fatalf("discord /feedback = %+v, %v", reply, err)
		}
		target := discordMsg(generalCh, "4001", aliceID, "alice", "the mobile app logs me out")
		menu := &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_interaction", Key: "i2"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: guild, ChannelID: generalCh}, Name: sendToProduct,
			Target: target, User: bot.User{Platform: bot.PlatformDiscord, ID: daveDiscord, Name: "dave"}}
		if reply, err = b.r.HandleCommand(ctx, menu); err != nil || !strings.HasPrefix(reply.Text, "Sent to the team as feedback #") {
			t.Fatalf("menu = %+v, %v", reply, err)
		}
		items, _ := db.ListFeedback(ctx, store.FeedbackFilter{})
		if len(items) != 3 {
			t.Fatalf("%d items, want 3", len(items))
		}
		byIntake := map[string]store.FeedbackItem{}
		for _, it := range items {
			byIntake[it.Intake] = it
		}
		if s := byIntake["staff"]; s.Customer != "Acme (call with Jane)" || s.LoggedBy != "carol" || s.Text != "exports should be scheduled" {
			t.Errorf("staff item = %+v", s)
		}
		if m := byIntake["menu"]; m.AuthorName != "alice" || m.LoggedBy != "dave" || m.MessageID != "4001" {
			t.Errorf("menu item = %+v", m)
		}
		specs := b.r.DiscordCommands()
		if len(specs) != 4 || specs[0].Name != "feedback" || !specs[1].MessageMenu || specs[2].Name != "notices" || specs[3].Name != "giveaway" {
			t.Errorf("Discord commands = %+v", specs)
		}
	})
}

// /feedback records its delivery in the transaction that logs the item
// (OnCommandOnce), not in one of its own first: delivered again, one after
// the other or at once, it still logs one item, enqueues one relay and
// answers once.
func TestAFeedbackCommandDeliveredTwiceLogsOneItemAndAnswersOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		slack := slackCommand("feedback", "exports should be scheduled", "U01CAROL")
		discord := &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_interaction", Key: "twice"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: guild, ChannelID: generalCh}, Name: "feedback",
			Options: []bot.Option{{Name: "text", Value: "please add SSO"}}, User: bot.User{Platform: bot.PlatformDiscord, ID: eveID, Name: "eve"}}
		for _, c := range []*bot.Command{slack, discord} {
			first, err := b.r.HandleCommand(ctx, c)
			if err != nil || first == nil {
				t.Fatalf("/feedback on %s = %+v, %v", c.Platform, first, err)
			}
			again, err := b.r.HandleCommand(ctx, c)
			if err != nil || again != nil {
				t.Errorf("/feedback on %s delivered again = %+v, %v; want no answer", c.Platform, again, err)
			}
		}
		// At once: both run; the second waits on the first's record of
		// the delivery and finds it.
		atOnce := slackCommand("feedback", "dark mode for the dashboard", "U01CAROL")
		var wg sync.WaitGroup
		replies := make([]*bot.Reply, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := *atOnce
				replies[i], errs[i] = b.r.HandleCommand(ctx, &c)
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || (replies[0] == nil) == (replies[1] == nil) {
			t.Errorf("the same /feedback twice at once answered %+v and %+v (%v, %v); want one answer", replies[0], replies[1], errs[0], errs[1])
		}
		items, err := db.ListFeedback(ctx, store.FeedbackFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 3 {
			t.Fatalf("%d items, want 3 (one for each command, however often delivered)", len(items))
		}
		depth, err := db.OutboxDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if depth[store.OutboxPending] != 3 || depth[store.OutboxSent]+depth[store.OutboxSending]+depth[store.OutboxDead] != 0 {
			t.Errorf("outbox by state %v, want 3 relays pending (one an item)", depth)
		}
	})
}

func TestFeedbackAndRouteSubcommands(t *testing.T) {
	t.Parallel()
	b := setupFeedback(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "the app crashes on login"))
	b.event(t, discordMsg(feedbackCh, "2", eveID, "eve", "love it"))
	run := func(text string) (string, error) {
		reply, err := b.r.HandleCommand(ctx, slackCommand("liaison", text, "U01CAROL"))
		if reply == nil {
			return "", err
		}
		return reply.Text, err
	}
	out, _ := run("feedback list")
	if !strings.HasPrefix(out, "2 feedback item(s), newest first:\n#2 eve · open · 0 vote(s) · positive: love it\n#1 alice") {
		t.Errorf("list = %q", out)
	}
	out, _ = run("feedback list tag:bug")
	if !strings.Contains(out, "#1 alice") || strings.Contains(out, "#2") {
		t.Errorf("list tag:bug = %q", out)
	}
	out, _ = run("feedback close 1 fixed in 2.3")
	if out != "Feedback #1 is closed." {
		t.Errorf("close = %q", out)
	}
	out, _ = run("feedback list mine")
	if !strings.Contains(out, "#1 alice · closed by carol: fixed in 2.3") {
		t.Errorf("list mine = %q", out)
	}
	out, _ = run("feedback show 1")
	for _, want := range []string{"Feedback #1 from alice in #feedback", "the app crashes on login", "Status: closed by carol: fixed in 2.3", "alice posted it in #feedback", "carol closed: fixed in 2.3"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if _, err := run("feedback show 42"); bot.ErrorMessage(err) != "There is no feedback item 42. /liaison feedback list shows the open ones." {
		t.Errorf("show 42: %v", err)
	}
	if _, err := run("feedback close abc"); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("close abc: %v", err)
	}
	out, _ = run(`route test "the export is broken again" #general`)
	if !strings.Contains(out, `Route bugs matches: mentions "broken"`) || !strings.Contains(out, "It would go to: product (bugs)") || !strings.Contains(out, "Tags: bug") {
		t.Errorf("route test = %q", out)
	}
	out, _ = run(`route test "where is the export setting?"`)
	if !strings.Contains(out, "No route matches.") || !strings.Contains(out, "product (default)") {
		t.Errorf("route test default = %q", out)
	}
	if _, err := run(`route test "x" #nowhere`); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("route test to an unknown channel: %v", err)
	}
	out, _ = run("route replay 7d")
	if !strings.Contains(out, "the 2 item(s) of the last 1w would go:") || !strings.Contains(out, "bugs → product: 1") || !strings.Contains(out, "praise → marketing: 1") || !strings.HasSuffix(out, "Nothing was posted.") {
		t.Errorf("route replay = %q", out)
	}
	before := len(b.outbox(t))
	if after := len(b.outbox(t)); after != before {
		t.Errorf("replay posted something")
	}
}

func TestADiscordRelayOffersModerationWhenItIsSetUp(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("liaison.yaml", []byte(feedbackYAML+"moderation:\n  moderator_roles: [moderators]\n"))
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, store.SQLite)
	r := New(Deps{DB: db, Config: cfg, Clock: bot.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)), Logger: slog.New(slog.DiscardHandler)})
	b := &fbBundle{r: r, db: db}
	b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "your product is garbage"))
	if _, err := r.HandleCommand(context.Background(), slackCommand("feedback", "exports are slow", "U01CAROL")); err != nil {
		t.Fatal(err)
	}
	ob := b.outbox(t)
	if len(ob) != 2 {
		t.Fatalf("%d relays, want 2", len(ob))
	}
	labels := func(p bot.Post) string {
		var l []string
		for _, btn := range p.Buttons {
			l = append(l, btn.Label)
		}
		return strings.Join(l, ",")
	}
	if got := labels(ob[0].post); got != "Acknowledge,Tag,Status,Draft reply,Close,Merge,Moderate" {
		t.Errorf("Discord item's relay buttons = %s, want Moderate last", got)
	}
	if got := labels(ob[1].post); strings.Contains(got, "Moderate") {
		t.Errorf("a Slack-logged item's relay offers Moderate: %s", got)
	}
}

func TestTheServersReportedSizeBecomesTheDaysMemberCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		count := &bot.GuildCount{ScopeID: guild, Members: 1234,
			Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_guild_count", Key: guild + ":s1:2"}}, At: b.clock.Now()}}
		b.event(t, count)
		b.event(t, count)                                                  // a replay changes nothing
		b.event(t, discordMsg(generalCh, "m1", aliceID, "alice", "hello")) // a speaker is already counted
		_, _, guilds, err := db.DailyStats(context.Background(), "2026-11-23", "2026-11-23")
		if err != nil {
			t.Fatal(err)
		}
		if len(guilds) != 1 || guilds[0].MemberCount != 1234 {
			t.Errorf("guild days = %+v, want one day of 1234 members", guilds)
		}
	})
}

// A 👍 on a relay in the moment before the dispatcher has recorded the
// relay's ts still counts: the relay's metadata names its outbox row.
func TestAVoteOnARelayBeforeItsTSIsRecordedCounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		b.event(t, discordMsg(feedbackCh, "7101", aliceID, "alice", "search is slow"))
		// A dispatcher is sending the relay: Slack has it, the outbox does
		// not know its ts yet.
		if claimed, err := db.ClaimOutbox(ctx, "slow-dispatcher", b.clock.Now(), 10); err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %d, %v", len(claimed), err)
		}
		const ts = "1700000600.000100"
		b.caps.Attach(Readers{Discord: b.msgs, SlackDirect: &apDirect{metadata: map[string]string{"C01PRODUCT " + ts: "relay:1:product"}}})
		vote := reaction(bot.PlatformSlack, "C01PRODUCT", ts, "U01CAROL", "+1")
		vote.OwnMessage = true
		b.event(t, vote)
		if got := b.only(t).Votes; got != 1 {
			t.Errorf("votes = %d, want carol's", got)
		}
		if e, _ := db.OutboxByKey(ctx, "relay:1:product"); e.PlatformID != ts || e.State != store.OutboxSending {
			t.Errorf("the relay's row = %+v, want its ts noted while it is being sent", e)
		}
	})
}

func TestAnItemsHistorySaysHowItBecameFeedback(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		it   store.FeedbackItem
		want string
	}{
		{store.FeedbackItem{Intake: "channel", AuthorName: "alice", ChannelName: "feedback"}, "alice posted it in #feedback"},
		{store.FeedbackItem{Intake: "flag", AuthorName: "mallory", LoggedBy: "dave", ChannelName: "general"}, "dave flagged mallory's message in #general"},
		{store.FeedbackItem{Intake: "command", AuthorName: "alice"}, "alice sent it with /feedback"},
		{store.FeedbackItem{Intake: "menu", AuthorName: "eve", LoggedBy: "bob", ChannelName: "general"}, "bob sent eve's message to product in #general"},
		{store.FeedbackItem{Intake: "staff", AuthorName: "carol", LoggedBy: "carol", Customer: "Acme (call with Jane)"}, "carol logged it from Slack, heard from Acme (call with Jane)"},
		{store.FeedbackItem{Intake: "staff", AuthorName: "carol"}, "carol logged it from Slack"},
	} {
		if got := howMade(&tt.it); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.it.Intake, got, tt.want)
		}
	}
}

// slowLinks is a Slack directory whose permalink look-ups wait for
// release, saying on asked when each starts.
type slowLinks struct {
	apDirect
	asked   chan string
	release chan struct{}
}

func (s *slowLinks) Permalink(ctx context.Context, channelID, ts string) (string, error) {
	s.asked <- ts
	select {
	case <-s.release:
		return "https://acme.slack.com/archives/" + channelID + "/p" + strings.ReplaceAll(ts, ".", ""), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// A Slack message sent to product asks Slack for its link before its
// transaction, not in it: while Slack is slow to answer, other feedback
// (here a staff /feedback) is still committed and answered, where before
// the look-ups held every committer of the group commit.
func TestASlowSlackLinkLookUpHoldsUpNoOtherFeedback(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		links := &slowLinks{asked: make(chan string, 2), release: make(chan struct{})}
		var once sync.Once
		release := func() { once.Do(func() { close(links.release) }) }
		defer release() // a failure lets the look-ups end
		b.caps.Attach(Readers{Discord: b.msgs, SlackDirect: links})
		ctx := context.Background()
		menus := make(chan error, 2)
		for _, ts := range []string{"1764000000.000100", "1764000000.000200"} {
			menu := &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_interaction", Key: "menu" + ts}}},
				Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01COMMUNITY"}, Name: sendToProduct,
				Target: &bot.Message{Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01COMMUNITY"}, ID: ts,
					Author: bot.User{Platform: bot.PlatformSlack, ID: "U0CUSTOMER", Name: "frank"}, Text: "the invoice page is slow " + ts},
				User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL", Name: "carol"}}
			go func() {
				_, err := b.r.HandleCommand(ctx, menu)
				menus <- err
			}()
		}
		for range 2 {
			select {
			case <-links.asked:
			case err := <-menus:
				t.Fatalf("a menu ended before asking Slack for its link: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("the menus never asked Slack for their links")
			}
		}
		logged := make(chan string, 1)
		go func() {
			reply, err := b.r.HandleCommand(ctx, slackCommand("feedback", "exports should be scheduled", "U01CAROL"))
			if err != nil {
				logged <- err.Error()
				return
			}
			logged <- reply.Text
		}()
		select {
		case text := <-logged:
			if !strings.HasPrefix(text, "Logged as feedback #") {
				t.Errorf("staff /feedback answered %q", text)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("staff /feedback waited on Slack's answers to the menus' link look-ups")
		}
		release()
		for range 2 {
			if err := <-menus; err != nil {
				t.Errorf("menu: %v", err)
			}
		}
		items, err := db.ListFeedback(ctx, store.FeedbackFilter{})
		if err != nil || len(items) != 3 {
			t.Fatalf("%d items, %v; want 3", len(items), err)
		}
		for _, it := range items {
			if it.Intake == "menu" && !strings.HasPrefix(it.Permalink, "https://acme.slack.com/archives/C01COMMUNITY/p1764000000") {
				t.Errorf("menu item #%d links to %q", it.ID, it.Permalink)
			}
		}
	})
}
