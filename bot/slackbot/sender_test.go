package slackbot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sendBundle is a fake Slack, a store and a dispatcher whose Slack sender is
// the adapter's, all on one manual clock.
type sendBundle struct {
	fake       *slackfake.Server
	db         *store.DB
	clock      *bot.ManualClock
	sender     *slackbot.Sender
	dispatcher *jobs.Dispatcher
}

func setupSend(t *testing.T, db *store.DB, tune func(*slackbot.Options)) *sendBundle {
	t.Helper()
	tb := setup(t, tune)
	tb.fake.SetClock(tb.clock.Now)
	return &sendBundle{
		fake: tb.fake, db: db, clock: tb.clock, sender: tb.adapter.Sender(),
		dispatcher: &jobs.Dispatcher{
			Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: tb.adapter.Sender()}, Clock: tb.clock,
			Logger: slog.New(slog.DiscardHandler), Jitter: func() float64 { return 0 },
		},
	}
}

// enqueue adds outbox messages, their payloads given as values.
func (sb *sendBundle) enqueue(t *testing.T, msgs ...outbox) {
	t.Helper()
	for _, m := range msgs {
		payload, err := json.Marshal(m.payload)
		if err != nil {
			t.Fatal(err)
		}
		err = sb.db.Enqueue(context.Background(), sb.clock.Now(), &bot.OutboxMessage{
			Key: m.key, Platform: bot.PlatformSlack, Kind: m.kind, Payload: payload, ParentKey: m.parent,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

type outbox struct {
	key, kind, parent string
	payload           any
}

// drain dispatches until nothing is due.
func (sb *sendBundle) drain(t *testing.T) {
	t.Helper()
	for range 20 {
		n, err := sb.dispatcher.DispatchOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox never drained")
}

func (sb *sendBundle) row(t *testing.T, key string) *store.OutboxEntry {
	t.Helper()
	e, err := sb.db.OutboxByKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAPostIsRenderedAsBlocksWithItsKeyAndNoUserPing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sb := setupSend(t, db, nil)
		sb.enqueue(t, outbox{key: "relay:42:" + product, kind: bot.KindPost, payload: bot.Post{
			ChannelID: product,
			Notify:    []string{carol},
			Title:     "New feedback from alice on Discord",
			Text:      "Hey <!channel> @here, the export button crashes <@U0BOSS> & nobody cares",
			Quote:     "it crashed\ntwice <!everyone>",
			Fields:    []bot.Field{{Name: "Route", Value: "bugs"}, {Name: "Sentiment", Value: "negative"}},
			Link:      &bot.Link{URL: "https://discord.com/channels/1/2/3?a=1&b=2", Label: "Open in <Discord>"},
			Context:   "#feedback · 2 votes",
			Buttons: []bot.Button{
				{ActionID: "feedback.ack", Label: "Acknowledge", Value: "42", Style: "primary"},
				{ActionID: "feedback.close", Label: "Close", Value: "42", Style: "danger"},
			},
		}})
		sb.drain(t)

		msgs := sb.fake.Messages(product)
		if len(msgs) != 1 {
			t.Fatalf("%d messages in #product, want 1", len(msgs))
		}
		m := msgs[0]
		if m.Metadata == nil || m.Metadata.EventType != slackbot.MetadataEventType || m.Metadata.EventPayload["key"] != "relay:42:"+product {
			t.Errorf("metadata = %+v, want the outbox key", m.Metadata)
		}
		if !strings.HasPrefix(m.Text, "<@"+carol+"> ") {
			t.Errorf("text %q does not notify carol first", m.Text)
		}
		all := m.Text + plainJSON(t, m.Blocks)
		for _, ping := range []string{"<!channel>", "<!everyone>", "<@U0BOSS>", "@here"} {
			if strings.Contains(all, ping) {
				t.Errorf("the post carries %q, which pings", ping)
			}
		}
		golden(t, "post.json", m.Blocks)
		if e := sb.row(t, "relay:42:"+product); e.State != store.OutboxSent || e.PlatformID != m.TS || e.PlatformChannel != product {
			t.Errorf("row = %s %q %q, want sent with ts %s", e.State, e.PlatformID, e.PlatformChannel, m.TS)
		}
	})
}

func TestALongTextIsCutButKeepsItsLink(t *testing.T) {
	t.Parallel()
	sb := setupSend(t, storetest.Open(t, store.SQLite), nil)
	buttons := make([]bot.Button, 30)
	for i := range buttons {
		buttons[i] = bot.Button{ActionID: "b" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Label: strings.Repeat("L", 100)}
	}
	fields := make([]bot.Field, 600)
	for i := range fields {
		fields[i] = bot.Field{Name: "n", Value: "v"}
	}
	sb.enqueue(t, outbox{key: "long", kind: bot.KindPost, payload: bot.Post{
		ChannelID: product, Text: strings.Repeat("a<b ", 2000), Link: &bot.Link{URL: "https://example.com/x", Label: "the thread"},
		Fields: fields, Buttons: buttons,
	}})
	sb.drain(t)
	if e := sb.row(t, "long"); e.State != store.OutboxSent {
		t.Fatalf("row %s: %s", e.State, e.LastError)
	}
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
		Elements []json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(sb.fake.Messages(product)[0].Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if last := blocks[len(blocks)-1]; last.Type != "actions" || len(last.Elements) != 5 {
		t.Errorf("the last block is %s with %d elements, want the second actions block with the last 5 buttons", last.Type, len(last.Elements))
	}
	if b := sb.fake.Messages(product)[0].Blocks; strings.Contains(string(b), strings.Repeat("L", 76)) {
		t.Error("a button label is longer than 75 characters")
	}
	if len(blocks) > 50 {
		t.Errorf("%d blocks, Slack takes 50", len(blocks))
	}
	text := blocks[0].Text.Text
	if n := len([]rune(text)); n > 3000 || !strings.HasSuffix(text, "…\n<https://example.com/x|the thread>") {
		t.Errorf("section text (%d characters) ends %q, want it cut with … and the link kept", n, text[max(0, len(text)-60):])
	}
}

func TestRepliesEditsReactionsAndUploadsFollowTheirParent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sb := setupSend(t, db, nil)
		sb.enqueue(t,
			outbox{key: "relay:1", kind: bot.KindPost, payload: bot.Post{ChannelID: product, Text: "New feedback"}},
			outbox{key: "relay:1:reminder", kind: bot.KindPost, parent: "relay:1", payload: bot.Post{ChannelID: product, Text: "Nobody answered for 2h"}},
			outbox{key: "relay:1:ack", kind: bot.KindUpdate, parent: "relay:1", payload: bot.Post{ChannelID: product, Text: "New feedback (acknowledged by carol)"}},
			outbox{key: "relay:1:react", kind: bot.KindReact, parent: "relay:1", payload: bot.React{ChannelID: product, Emoji: "✅"}},
			outbox{key: "relay:1:chart", kind: bot.KindUpload, parent: "relay:1", payload: bot.Upload{ChannelID: product, Filename: "chart.png", Title: "Votes", Data: []byte("\x89PNG...")}},
		)
		sb.drain(t)
		for _, k := range []string{"relay:1", "relay:1:reminder", "relay:1:ack", "relay:1:react", "relay:1:chart"} {
			if e := sb.row(t, k); e.State != store.OutboxSent {
				t.Fatalf("%s is %s: %s", k, e.State, e.LastError)
			}
		}
		parent := sb.row(t, "relay:1").PlatformID
		p, _ := sb.fake.Message(product, parent)
		if !p.Edited || p.Text != "New feedback (acknowledged by carol)" {
			t.Errorf("parent = %+v, want it edited", p)
		}
		if len(p.Reactions) != 1 || p.Reactions[0].Name != "white_check_mark" {
			t.Errorf("parent reactions = %+v, want white_check_mark", p.Reactions)
		}
		var reminder, chart *slackfake.Message
		for _, m := range sb.fake.Messages(product) {
			switch {
			case m.Text == "Nobody answered for 2h":
				reminder = &m
			case len(m.Files) > 0:
				chart = &m
			}
		}
		if reminder == nil || reminder.ThreadTS != parent {
			t.Errorf("reminder = %+v, want it in the thread of %s", reminder, parent)
		}
		if chart == nil || chart.ThreadTS != parent || chart.Files[0].Name != "chart.png" || !bytes.Equal(chart.Files[0].Data, []byte("\x89PNG...")) {
			t.Errorf("chart = %+v, want chart.png in the thread of %s", chart, parent)
		}

		// A reaction already there counts as done.
		sb.enqueue(t, outbox{key: "relay:1:react-again", kind: bot.KindReact, parent: "relay:1", payload: bot.React{ChannelID: product, Emoji: ":white_check_mark:"}})
		sb.drain(t)
		if e := sb.row(t, "relay:1:react-again"); e.State != store.OutboxSent {
			t.Errorf("an already-added reaction is %s: %s", e.State, e.LastError)
		}
	})
}

func TestARateLimitDelaysThePostByExactlyRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sb := setupSend(t, db, nil)
		sb.fake.RateLimitNext("chat.postMessage", 2*time.Second)
		sb.enqueue(t, outbox{key: "relay:7", kind: bot.KindPost, payload: bot.Post{ChannelID: product, Text: "hello"}})
		start := sb.clock.Now()
		sb.drain(t)
		e := sb.row(t, "relay:7")
		if e.State != store.OutboxPending || !e.NextAttemptAt.Equal(start.Add(2*time.Second)) || e.Attempts != 0 {
			t.Fatalf("row = %s, next attempt %s (want %s), attempts %d (want 0)", e.State, e.NextAttemptAt, start.Add(2*time.Second), e.Attempts)
		}
		sb.clock.Advance(2*time.Second - time.Millisecond)
		sb.drain(t)
		if len(sb.fake.Messages(product)) != 0 {
			t.Fatal("posted before Retry-After")
		}
		sb.clock.Advance(time.Millisecond)
		sb.drain(t)
		if e := sb.row(t, "relay:7"); e.State != store.OutboxSent || len(sb.fake.Messages(product)) != 1 {
			t.Errorf("after Retry-After the row is %s with %d messages, want sent once", e.State, len(sb.fake.Messages(product)))
		}
	})
}

func TestPermanentRefusalsKillTheMessageWithAPlainReason(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sb := setupSend(t, db, nil)
		sb.enqueue(t, outbox{key: "relay:lost", kind: bot.KindPost, payload: bot.Post{ChannelID: "C0NOWHERE", Text: "hello"}})
		sb.drain(t)
		sb.fake.FailNext("chat.postMessage", "not_in_channel")
		sb.enqueue(t, outbox{key: "relay:out", kind: bot.KindPost, payload: bot.Post{ChannelID: product, Text: "hello"}})
		sb.drain(t)
		for key, want := range map[string]string{
			"relay:lost": "Slack has no channel C0NOWHERE that Liaison can see",
			"relay:out":  "Liaison is not in #product: invite it with /invite @Liaison",
		} {
			e := sb.row(t, key)
			if e.State != store.OutboxDead || e.Attempts != 1 || !strings.Contains(e.LastError, want) {
				t.Errorf("%s = %s after %d attempts: %q, want dead at once with %q", key, e.State, e.Attempts, e.LastError, want)
			}
		}
	})
}

func TestAServerErrorIsRetried(t *testing.T) {
	t.Parallel()
	sb := setupSend(t, storetest.Open(t, store.SQLite), nil)
	sb.fake.StatusNext("chat.postMessage", 503)
	sb.enqueue(t, outbox{key: "relay:5xx", kind: bot.KindPost, payload: bot.Post{ChannelID: product, Text: "hello"}})
	sb.drain(t)
	if e := sb.row(t, "relay:5xx"); e.State != store.OutboxPending || e.Attempts != 1 {
		t.Fatalf("row = %s after %d attempts, want pending for a retry", e.State, e.Attempts)
	}
	sb.clock.Advance(time.Minute)
	sb.drain(t)
	if e := sb.row(t, "relay:5xx"); e.State != store.OutboxSent {
		t.Errorf("row = %s, want sent on retry", e.State)
	}
}

func TestAReclaimedPostAlreadyInSlackIsNotPostedAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sb := setupSend(t, db, nil)
		ctx := context.Background()
		// Noise: other posts, one in a thread, and a human message.
		sb.fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "morning"})
		sb.enqueue(t,
			outbox{key: "relay:9", kind: bot.KindPost, payload: bot.Post{ChannelID: product, Text: "New feedback"}},
			outbox{key: "relay:9:reply", kind: bot.KindPost, parent: "relay:9", payload: bot.Post{ChannelID: product, Text: "Reminder"}},
		)
		// A dispatcher claims the post, sends it, and dies before recording it.
		crash := func() {
			msgs, err := db.ClaimOutbox(ctx, "crashed", sb.clock.Now(), 1)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("claim: %v %v", msgs, err)
			}
			if _, err := sb.sender.Send(ctx, msgs[0]); err != nil {
				t.Fatal(err)
			}
		}
		crash()
		sb.clock.Advance(2 * time.Minute) // past ReclaimAfter
		sb.drain(t)                       // reclaims relay:9, finds it; then sends relay:9:reply

		// The thread reply too: claimed, sent, lost; then reclaimed.
		msgs := sb.fake.Messages(product)
		if len(msgs) != 3 {
			t.Fatalf("#product holds %d messages, want the human's, the post and its reply", len(msgs))
		}
		post := sb.row(t, "relay:9")
		if post.State != store.OutboxSent || post.PlatformID != msgs[1].TS {
			t.Errorf("relay:9 = %s %q, want sent with the ts found in history (%s)", post.State, post.PlatformID, msgs[1].TS)
		}

		sb.enqueue(t, outbox{key: "relay:9:reply2", kind: bot.KindPost, parent: "relay:9", payload: bot.Post{ChannelID: product, Text: "Second reminder"}})
		crash()
		sb.clock.Advance(2 * time.Minute)
		sb.drain(t)
		msgs = sb.fake.Messages(product)
		if len(msgs) != 4 {
			t.Fatalf("#product holds %d messages, want 4 (no second copy of the thread reply)", len(msgs))
		}
		reply := sb.row(t, "relay:9:reply2")
		if reply.State != store.OutboxSent || reply.PlatformID != msgs[3].TS || msgs[3].ThreadTS != post.PlatformID {
			t.Errorf("relay:9:reply2 = %s %q, want sent with the thread reply's ts %s", reply.State, reply.PlatformID, msgs[3].TS)
		}
		if n := len(sb.fake.CallsTo("chat.postMessage")); n != 3 {
			t.Errorf("%d chat.postMessage calls, want 3 (one per message)", n)
		}
	})
}

// postsDrill is 200 posts to one channel through a running dispatcher whose
// Slack sender is the adapter's, against a fake that enforces Slack's rate
// for chat.postMessage (1 post/s with a burst of 3), scaled down a
// hundredfold; Liaison paces a little slower, without a burst of its own.
type postsDrill struct {
	tb *testBundle
	db *store.DB
}

func newPostsDrill(tb testing.TB, db *store.DB) *postsDrill {
	b := setup(tb, func(o *slackbot.Options) {
		o.PostInterval = 12 * time.Millisecond
		o.PostBurst = 1
	})
	b.fake.EnforceRate("chat.postMessage", 10*time.Millisecond, 3)
	d := &jobs.Dispatcher{
		Store: db, Senders: map[string]bot.Sender{bot.PlatformSlack: b.adapter.Sender()}, Clock: bot.SystemClock{},
		Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
	return &postsDrill{tb: b, db: db}
}

// post enqueues n posts to #product, texts prefix-000, prefix-001, …, and
// waits (for at most limit) until the outbox has sent them all. It returns
// their texts in the order they were enqueued.
func (p *postsDrill) post(tb testing.TB, prefix string, n int, limit time.Duration) []string {
	tb.Helper()
	ctx := context.Background()
	texts := make([]string, n)
	msgs := make([]*bot.OutboxMessage, n)
	for i := range msgs {
		texts[i] = fmt.Sprintf("%s-%03d", prefix, i)
		msgs[i] = &bot.OutboxMessage{Key: "relay:" + texts[i], Platform: bot.PlatformSlack, Kind: bot.KindPost,
			Payload: bot.Payload(bot.Post{ChannelID: product, Text: texts[i]})}
	}
	if err := p.db.Enqueue(ctx, time.Now(), msgs...); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(limit)
	for {
		depth, err := p.db.OutboxDepth(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if depth[store.OutboxDead] > 0 {
			tb.Fatalf("messages died: the outbox is %v", depth)
		}
		if depth[store.OutboxPending] == 0 && depth[store.OutboxSending] == 0 {
			return texts
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s the outbox is %v", limit, depth)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoHundredPostsToOneChannelArriveOnceInOrder: every post reaches the
// channel once, in the order it was made, whatever the fake's rate limit
// refuses on the way (a loaded machine may bunch requests up: a refusal
// costs a retry, never a lost or repeated post). How fast they go is
// BenchmarkTwoHundredPostsToOneChannel's to measure.
func TestTwoHundredPostsToOneChannelArriveOnceInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := newPostsDrill(t, db)
		want := p.post(t, "relay", 200, 5*time.Minute)
		var got []string
		for _, m := range p.tb.fake.Messages(product) {
			got = append(got, m.Text)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("#product holds other messages than the 200 posts once each, in order (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkTwoHundredPostsToOneChannel measures draining 200 posts to one
// channel paced by the adapter (12 ms apart) against the fake's scaled
// Slack rate limit. Reports: posts/s, and rate-limited/op, the posts the
// fake refused with 429 per 200 (0 when the pacing keeps within Slack's
// limit). The pace alone makes an op take about 2.4 s.
//
//	go test -run '^$' -bench TwoHundredPosts -benchtime 3x ./bot/slackbot
func BenchmarkTwoHundredPostsToOneChannel(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			p := newPostsDrill(b, storetest.Open(b, dialect))
			const n = 200
			calls := len(p.tb.fake.CallsTo("chat.postMessage"))
			b.ResetTimer()
			for i := range b.N {
				p.post(b, fmt.Sprintf("op%d", i), n, 10*time.Minute)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "posts/s")
			refused := len(p.tb.fake.CallsTo("chat.postMessage")) - calls - b.N*n
			b.ReportMetric(float64(refused)/float64(b.N), "rate-limited/op")
		})
	}
}

func TestEmojiBecomeShortcodes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"✅": "white_check_mark", "❌": "x", "👍": "+1", "📣": "mega", "👀": "eyes", "🎉": "tada", "❤️": "heart",
		"white_check_mark": "white_check_mark", ":tada:": "tada", "+1::skin-tone-2": "+1::skin-tone-2",
	} {
		if got, err := slackbot.Shortcode(in); err != nil || got != want {
			t.Errorf("Shortcode(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := slackbot.Shortcode("🦄"); err == nil {
		t.Error("Shortcode(🦄) succeeded, want an error naming the fix")
	}
}

func TestDirectCalls(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	s := tb.adapter.Sender()
	ctx := context.Background()
	tb.fake.AddUsergroup("S01LEADS", "leads", carol, "U01DAVE")
	if err := s.PostEphemeral(ctx, product, carol, &bot.Reply{Text: "Only you see <!here> this"}); err != nil {
		t.Fatal(err)
	}
	if e := tb.fake.Ephemerals(product); len(e) != 1 || e[0].User != carol || strings.Contains(e[0].Text, "<!here>") {
		t.Errorf("ephemerals = %+v", e)
	}
	u, err := s.UsersInfo(ctx, carol)
	if err != nil || u.ID != carol || u.Name != "carol" || u.Platform != bot.PlatformSlack {
		t.Errorf("UsersInfo = %+v, %v", u, err)
	}
	if _, err := s.UsersInfo(ctx, "U0NOBODY"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("UsersInfo(unknown) error = %v, want not_found", err)
	}
	ids, err := s.UsergroupMembers(ctx, "S01LEADS")
	if err != nil || len(ids) != 2 || ids[0] != carol {
		t.Errorf("UsergroupMembers = %v, %v", ids, err)
	}
	trigger := tb.fake.TriggerID(carol)
	if err := s.OpenView(ctx, trigger, &bot.Modal{CallbackID: "x", Title: "A title far longer than Slack allows", Fields: []bot.ModalField{{ID: "a", Label: "A"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenView(ctx, trigger, &bot.Modal{CallbackID: "x", Title: "Again"}); bot.ErrorCode(err) != bot.EConflict {
		t.Errorf("OpenView with a used trigger = %v, want a conflict the user can act on", err)
	}
	views := tb.fake.Views()
	if len(views) != 1 {
		t.Fatalf("%d views open, want 1", len(views))
	}
	if err := s.UpdateView(ctx, views[0].ID, &bot.Modal{CallbackID: "y", Title: "Saved", Fields: []bot.ModalField{{ID: "b", Label: "Note"}}}); err != nil {
		t.Fatalf("UpdateView: %v", err)
	}
	if v := tb.fake.Views()[0]; v.CallbackID != "y" || !strings.Contains(string(v.JSON), "Saved") {
		t.Errorf("after UpdateView the view is %s %s", v.CallbackID, v.JSON)
	}
	if err := s.UpdateView(ctx, "V0GONE", &bot.Modal{CallbackID: "z", Title: "Gone"}); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("UpdateView of a closed view = %v, want not_found", err)
	}
	// The outbox key in the metadata of Liaison's message; none in a person's.
	res, err := s.Send(ctx, &bot.OutboxMessage{Key: "relay:7:product", Platform: bot.PlatformSlack, Kind: bot.KindPost,
		Payload: []byte(`{"channel_id":"` + product + `","text":"a relay"}`)})
	if err != nil {
		t.Fatal(err)
	}
	mine := tb.fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "a person's message"})
	if k, err := s.OutboxKeyOf(ctx, product, res.PlatformID); k != "relay:7:product" || err != nil {
		t.Errorf("OutboxKeyOf(the relay) = %q, %v", k, err)
	}
	if k, err := s.OutboxKeyOf(ctx, product, mine); k != "" || err != nil {
		t.Errorf("OutboxKeyOf(carol's message) = %q, %v; want none", k, err)
	}
	if _, err := s.OutboxKeyOf(ctx, "C0NOWHERE", res.PlatformID); err == nil {
		t.Error("OutboxKeyOf in an unknown channel did not fail")
	}
}

// plainJSON re-encodes JSON indented and without HTML escapes, so "<" reads
// as "<" and not "\u003c".
func plainJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// golden compares JSON with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, raw []byte) {
	t.Helper()
	got := plainJSON(t, raw)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/slackbot -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendering:\n%s\n(run go test ./bot/slackbot -update after checking the change)", path, got)
	}
}
