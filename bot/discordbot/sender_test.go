package discordbot_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

// senderBundle is the outbox path under test: the real store and
// dispatcher, the adapter's Sender, the fake, and a clock that moves only
// when told.
type senderBundle struct {
	fake  *discordfake.Server
	db    *store.DB
	clock *bot.ManualClock
	disp  *jobs.Dispatcher
	send  *discordbot.Sender
}

func setupSender(t *testing.T, db *store.DB) *senderBundle {
	t.Helper()
	fake := newFake(t)
	clock := bot.NewManualClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	rec := newHandler(nil)
	rec.clock = clock
	a, _ := newAdapter(t, fake, rec)
	disp := &jobs.Dispatcher{Store: db, Senders: map[string]bot.Sender{bot.PlatformDiscord: a.Sender()}, Clock: clock, SendTimeout: 5 * time.Second}
	return &senderBundle{fake: fake, db: db, clock: clock, disp: disp, send: a.Sender()}
}

func (b *senderBundle) enqueue(t *testing.T, key, kind, parent string, payload any) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	m := &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: kind, Payload: raw, ParentKey: parent}
	if err := b.db.Enqueue(context.Background(), b.clock.Now(), m); err != nil {
		t.Fatal(err)
	}
}

// dispatch runs dispatcher passes until nothing is due.
func (b *senderBundle) dispatch(t *testing.T) int {
	t.Helper()
	total := 0
	for range 10 {
		n, err := b.disp.DispatchOnce(context.Background())
		if err != nil {
			t.Fatalf("DispatchOnce: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	return total
}

func (b *senderBundle) entry(t *testing.T, key string) *store.OutboxEntry {
	t.Helper()
	e, err := b.db.OutboxByKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAPostIsSentOnceWithItsNonceButtonsAndReply(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		orig := b.fake.MessageCreate(feedbackID, aliceID, "the export button crashes")
		const key = "reply:42:" + feedbackID
		b.enqueue(t, key, bot.KindPost, "", bot.Post{
			ChannelID: feedbackID, ThreadOf: orig.ID, Notify: []string{aliceID, "<@&1>"},
			Title: "Thanks for the report", Text: "@everyone we are on it <!here>",
			Quote: "the export button crashes\nevery time", Fields: []bot.Field{{Name: "Status", Value: "investigating"}},
			Link: &bot.Link{URL: "https://status.example.com/(x)", Label: "Status page"}, Context: "Liaison for the Acme team",
			Buttons: []bot.Button{{ActionID: "feedback.ack", Value: "42", Label: "Acknowledge", Style: "primary"},
				{ActionID: "feedback.close", Value: "42", Label: "Close", Style: "danger"}, {ActionID: "feedback.more", Label: "More"}},
		})
		if n := b.dispatch(t); n != 1 {
			t.Fatalf("dispatched %d, want 1", n)
		}
		e := b.entry(t, key)
		m, ok := b.fake.Message(feedbackID, e.PlatformID)
		if e.State != store.OutboxSent || !ok {
			t.Fatalf("outbox entry %s %q (%s), want sent with the message's id", e.State, e.PlatformID, e.LastError)
		}
		want := "<@" + aliceID + ">\n**Thanks for the report**\n@\u200beveryone we are on it @\u200bhere\n" +
			"> the export button crashes\n> every time\n**Status:** investigating\n" +
			"[Status page](https://status.example.com/%28x%29)\n-# Liaison for the Acme team"
		if m.Content != want {
			t.Errorf("content =\n%q\nwant\n%q", m.Content, want)
		}
		sum := sha256.Sum256([]byte(key))
		if wantNonce := base64.RawURLEncoding.EncodeToString(sum[:])[:25]; m.Nonce != wantNonce || !m.EnforceNonce || discordbot.Nonce(key) != wantNonce {
			t.Errorf("nonce %q (enforced %v), want %q enforced", m.Nonce, m.EnforceNonce, wantNonce)
		}
		if string(m.AllowedMentions) != `{"parse":[],"users":["`+aliceID+`"],"replied_user":false}` {
			t.Errorf("allowed_mentions = %s", m.AllowedMentions)
		}
		if m.Reference == nil || m.Reference.MessageID != orig.ID {
			t.Errorf("reference = %+v, want a reply to %s", m.Reference, orig.ID)
		}
		wantComponents := `[{"type":1,"components":[` +
			`{"type":2,"style":1,"label":"Acknowledge","custom_id":"feedback.ack|42"},` +
			`{"type":2,"style":4,"label":"Close","custom_id":"feedback.close|42"},` +
			`{"type":2,"style":2,"label":"More","custom_id":"feedback.more"}]}]`
		if string(m.Components) != wantComponents {
			t.Errorf("components =\n%s\nwant\n%s", m.Components, wantComponents)
		}
	})
}

func TestALongPostIsCutToDiscordsLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		b.enqueue(t, "long", bot.KindPost, "", bot.Post{ChannelID: generalID, Text: strings.Repeat("é", 2500)})
		b.dispatch(t)
		e := b.entry(t, "long")
		m, _ := b.fake.Message(generalID, e.PlatformID)
		if r := []rune(m.Content); len(r) != 2000 || r[1999] != '…' {
			t.Errorf("content of %d characters ending %q, want 2000 ending …", len(r), string(r[len(r)-1]))
		}
	})
}

func TestAReclaimedResendReturnsTheSameMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		const key = "relay:7:" + generalID
		b.enqueue(t, key, bot.KindPost, "", bot.Post{ChannelID: generalID, Text: "relayed"})
		// A dispatcher claims and sends it, then dies before recording it.
		claimed, err := db.ClaimOutbox(context.Background(), "crashed", b.clock.Now(), 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %v, %v", claimed, err)
		}
		first, err := b.send.Send(context.Background(), claimed[0])
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(91 * time.Second) // past ReclaimAfter
		if n := b.dispatch(t); n != 1 {
			t.Fatalf("dispatched %d after the reclaim, want 1", n)
		}
		e := b.entry(t, key)
		if e.State != store.OutboxSent || e.PlatformID != first.PlatformID || !e.Reclaimed {
			t.Errorf("entry %s %s (reclaimed %v), want sent as %s", e.State, e.PlatformID, e.Reclaimed, first.PlatformID)
		}
		if msgs := b.fake.Messages(generalID); len(msgs) != 1 {
			t.Errorf("the channel has %d messages, want 1", len(msgs))
		}
		if n := len(b.fake.CallsTo("POST", "/channels/"+generalID+"/messages")); n != 2 {
			t.Errorf("%d posts, want 2 (the re-send was answered with the first message)", n)
		}
	})
}

func TestAnUpdateEditsAndAReactionAdds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		b.enqueue(t, "post", bot.KindPost, "", bot.Post{ChannelID: feedbackID, Text: "New feedback", Buttons: []bot.Button{{ActionID: "feedback.ack", Label: "Acknowledge"}}})
		b.enqueue(t, "post:edit", bot.KindUpdate, "post", bot.Post{ChannelID: feedbackID, Text: "Acknowledged by @here"})
		b.enqueue(t, "post:react", bot.KindReact, "post", bot.React{ChannelID: feedbackID, Emoji: "✅"})
		b.enqueue(t, "post:react2", bot.KindReact, "post", bot.React{ChannelID: feedbackID, Emoji: "#️⃣"})
		if n := b.dispatch(t); n != 4 {
			t.Fatalf("dispatched %d, want 4", n)
		}
		id := b.entry(t, "post").PlatformID
		m, _ := b.fake.Message(feedbackID, id)
		if m.Content != "Acknowledged by @\u200bhere" || string(m.Components) != "[]" || m.EditedTimestamp == nil {
			t.Errorf("edited message = %q, components %s", m.Content, m.Components)
		}
		var emojis []string
		for _, r := range m.Reactions {
			if len(r.UserIDs) == 1 && r.UserIDs[0] == botID {
				emojis = append(emojis, r.Emoji)
			}
		}
		slices.Sort(emojis) // sent concurrently
		if strings.Join(emojis, " ") != "#️⃣ ✅" {
			t.Errorf("the bot's reactions = %q, want ✅ #️⃣", emojis)
		}
		for _, k := range []string{"post:edit", "post:react", "post:react2"} {
			if e := b.entry(t, k); e.State != store.OutboxSent {
				t.Errorf("%s is %s: %s", k, e.State, e.LastError)
			}
		}
	})
}

func TestARateLimitIsRetriedExactlyAfterRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		b.fake.RateLimitNext("POST", "/channels/"+feedbackID+"/messages", 2*time.Second, false)
		b.enqueue(t, "limited", bot.KindPost, "", bot.Post{ChannelID: feedbackID, Text: "hello"})
		start := b.clock.Now()
		if n, err := b.disp.DispatchOnce(context.Background()); n != 1 || err != nil {
			t.Fatalf("DispatchOnce = %d, %v", n, err)
		}
		e := b.entry(t, "limited")
		if e.State != store.OutboxPending || !e.NextAttemptAt.Equal(start.Add(2*time.Second)) || e.Attempts != 0 {
			t.Fatalf("after the 429: %s, next attempt %v, attempts %d; want pending at %v, the attempt given back",
				e.State, e.NextAttemptAt, e.Attempts, start.Add(2*time.Second))
		}
		b.clock.Advance(2*time.Second - time.Millisecond)
		if n := b.dispatch(t); n != 0 {
			t.Fatalf("dispatched %d before the retry time", n)
		}
		b.clock.Advance(time.Millisecond)
		began := time.Now()
		if n := b.dispatch(t); n != 1 {
			t.Fatalf("dispatched %d at the retry time, want 1", n)
		}
		if took := time.Since(began); took > time.Second {
			t.Errorf("the retry took %v: something slept on discordgo's copy of the rate limit", took)
		}
		if e := b.entry(t, "limited"); e.State != store.OutboxSent {
			t.Errorf("after the wait: %s (%s), want sent", e.State, e.LastError)
		}
	})
}

func TestAMissingPermissionKillsTheMessageWithPlainWords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		b.fake.Forbid("POST", "/channels/"+feedbackID+"/messages")
		b.enqueue(t, "forbidden", bot.KindPost, "", bot.Post{ChannelID: feedbackID, Text: "hello"})
		b.dispatch(t)
		e := b.entry(t, "forbidden")
		if e.State != store.OutboxDead || !strings.Contains(e.LastError, "Liaison cannot post in #feedback: give it Send Messages there") {
			t.Errorf("entry %s: %q; want dead saying what permission to give", e.State, e.LastError)
		}
		if e.Attempts != 1 {
			t.Errorf("attempts = %d, want 1 (no retry)", e.Attempts)
		}
	})
}
