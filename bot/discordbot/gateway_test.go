package discordbot_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestIdentifiesWithTheIntentsLiaisonNeeds(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	log := b.fake.IdentifyLog()
	if len(log) != 1 {
		t.Fatalf("%d IDENTIFYs, want 1", len(log))
	}
	want := int64(discordfake.IntentGuilds | discordfake.IntentGuildMembers | discordfake.IntentGuildModeration |
		discordfake.IntentGuildMessages | discordfake.IntentGuildMessageReactions | discordfake.IntentMessageContent |
		discordfake.IntentAutoModerationExecution | discordfake.IntentDirectMessages | discordfake.IntentGuildInvites)
	if log[0].Intents != want || int64(discordbot.Intents) != want {
		t.Errorf("IDENTIFY intents = %b (Intents %b), want %b", log[0].Intents, discordbot.Intents, want)
	}
	if log[0].Token != "Bot test-token" {
		t.Errorf("IDENTIFY token = %q, want %q", log[0].Token, "Bot test-token")
	}
}

func TestAMessageReachesTheHandlerWithItsFields(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	sent := b.fake.MessageCreate(feedbackID, aliceID, "the export button crashes")
	got := recvAs[*bot.Message](t, b.rec.events, "the message")
	want := &bot.Message{
		Delivery:  bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: sent.ID}}, At: sent.Timestamp.Truncate(time.Microsecond)},
		Place:     bot.Place{Platform: "discord", ScopeID: guildID, ChannelID: feedbackID, ChannelName: "feedback"},
		ID:        sent.ID,
		Author:    bot.User{Platform: "discord", ID: aliceID, Name: "alice", Display: "alice", Roles: []string{modRoleID}},
		Text:      "the export button crashes",
		Permalink: "https://discord.com/channels/" + guildID + "/" + feedbackID + "/" + sent.ID,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}

	// Bots, Liaison included, are not read; a reply names its target.
	b.fake.MessageCreate(feedbackID, botID, "Liaison speaking")
	b.fake.MessageCreate(feedbackID, otherBotID, "beep")
	b.fake.MessageCreate(feedbackID, malloryID, "me too", discordfake.ReplyTo(sent.ID))
	reply := recvAs[*bot.Message](t, b.rec.events, "the reply")
	if reply.Text != "me too" || reply.ReplyTo != sent.ID || reply.Author.ID != malloryID {
		t.Errorf("reply = %q by %s replying to %q; want %q by mallory replying to %s", reply.Text, reply.Author.ID, reply.ReplyTo, "me too", sent.ID)
	}
	if n := counted(t, b.inbound, "message"); n != 2 {
		t.Errorf("inbound messages counted = %v, want 2", n)
	}
}

func TestEditsDeletesReactionsAndMembersReachTheHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	m := b.fake.MessageCreate(feedbackID, aliceID, "first")
	recvAs[*bot.Message](t, b.rec.events, "the message")

	edited := b.fake.MessageUpdate(feedbackID, m.ID, "second thoughts")
	e := recvAs[*bot.Message](t, b.rec.events, "the edit")
	ts := edited.EditedTimestamp.Truncate(time.Microsecond).UTC()
	wantKeys := []bot.InboundKey{{Kind: "discord_edit", Key: m.ID + ":" + ts.Format(time.RFC3339Nano)}}
	if !e.Edited || e.Text != "second thoughts" || e.ID != m.ID || !e.At.Equal(ts) || !cmp.Equal(e.Keys, wantKeys) {
		t.Errorf("edit = %+v; want Edited, the new text, keys %v", e, wantKeys)
	}

	b.fake.MessageReactionAdd(feedbackID, m.ID, malloryID, "👍")
	add := recvAs[*bot.Reaction](t, b.rec.events, "the reaction")
	if add.Emoji != "👍" || add.MessageID != m.ID || add.User.ID != malloryID || add.User.Name != "mallory" || add.Removed || add.Place.ChannelID != feedbackID {
		t.Errorf("reaction = %+v, want mallory's 👍 on %s", add, m.ID)
	}
	b.fake.MessageReactionRemove(feedbackID, m.ID, malloryID, "👍")
	rm := recvAs[*bot.Reaction](t, b.rec.events, "the reaction removed")
	if !rm.Removed || rm.Emoji != "👍" || rm.User.ID != malloryID {
		t.Errorf("removal = %+v, want mallory's 👍 removed", rm)
	}
	b.fake.MessageReactionAdd(feedbackID, m.ID, malloryID, "👍")
	again := recvAs[*bot.Reaction](t, b.rec.events, "the reaction added again")
	if again.Keys[0] == add.Keys[0] || again.Keys[0] == rm.Keys[0] {
		t.Errorf("re-adding a reaction reused key %v; a genuine re-add must count again", again.Keys[0])
	}
	b.fake.MessageReactionAdd(feedbackID, m.ID, aliceID, "party:130000000000000001")
	if c := recvAs[*bot.Reaction](t, b.rec.events, "the custom reaction"); c.Emoji != "party:130000000000000001" {
		t.Errorf("custom emoji = %q, want name:id", c.Emoji)
	}

	b.fake.MessageDelete(feedbackID, m.ID)
	d := recvAs[*bot.MessageDeleted](t, b.rec.events, "the deletion")
	if d.ID != m.ID || d.ChannelID != feedbackID || !cmp.Equal(d.Keys, []bot.InboundKey{{Kind: "discord_delete", Key: m.ID}}) {
		t.Errorf("deletion = %+v", d)
	}

	joined := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	b.fake.GuildMemberAdd(guildID, discordfake.Member{UserID: "300000000000000005", Username: "eve", JoinedAt: joined})
	j := recvAs[*bot.MemberChange](t, b.rec.events, "the join")
	if j.Left || j.ScopeID != guildID || j.User.ID != "300000000000000005" || j.User.Name != "eve" || !j.At.Equal(joined) {
		t.Errorf("join = %+v", j)
	}
	b.fake.GuildMemberAdd(guildID, discordfake.Member{UserID: "300000000000000006", Username: "helperbot", Bot: true})
	if hb := recvAs[*bot.MemberChange](t, b.rec.events, "a bot joining"); !hb.User.Bot {
		t.Errorf("a bot's join = %+v, want User.Bot", hb)
	}
	b.fake.GuildMemberRemove(guildID, "300000000000000005")
	l := recvAs[*bot.MemberChange](t, b.rec.events, "the leave")
	if !l.Left || l.User.ID != "300000000000000005" || len(l.Keys) != 1 || l.Keys[0].Kind != "discord_member" {
		t.Errorf("leave = %+v", l)
	}
}

func TestADroppedConnectionResumesWithNothingLostOrRepeated(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.fake.MessageCreate(feedbackID, aliceID, "before")
	recvAs[*bot.Message](t, b.rec.events, "the first message")

	b.fake.DropConnections()
	for _, text := range []string{"one", "two", "three"} {
		b.fake.MessageCreate(feedbackID, aliceID, text)
	}
	if err := b.fake.WaitResume(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	b.fake.MessageCreate(feedbackID, aliceID, "after")
	var got []string
	for range 4 {
		m := recvAs[*bot.Message](t, b.rec.events, "messages after the drop")
		if m.Backfill {
			t.Errorf("%q is marked Backfill; a RESUME replays live events", m.Text)
		}
		got = append(got, m.Text)
	}
	if want := []string{"one", "two", "three", "after"}; !cmp.Equal(got, want) {
		t.Errorf("after the drop the handler got %q, want %q", got, want)
	}
	quiet(t, b.rec.events, "event after the replay")
	if n := b.fake.Identifies(); n != 1 {
		t.Errorf("IDENTIFYs = %d, want 1 (the session resumed)", n)
	}
	// What /liaison status and the metrics report.
	g := b.adapter.Gateway()
	if !g.Running || !g.Connected || g.Reconnects != 1 || g.Resumes != 1 || g.LastEvent.IsZero() {
		t.Errorf("Gateway() = %+v, want running, connected, 1 reconnect, 1 resume, a last event", g)
	}
}

func TestAnUnresumableSessionIsCaughtUpExactlyOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newHandler(db)
		held, release := make(chan struct{}), make(chan struct{})
		rec.before = func(ev bot.Event) {
			if m, ok := ev.(*bot.Message); ok && m.Text == "blocker" && !m.Backfill {
				close(held)
				<-release
			}
		}
		b := setup(t, rec, func(o *discordbot.Options) {
			o.CatchUp = discordbot.CatchUpOptions{Channels: []string{feedbackID}}
		})
		b.fake.MessageCreate(feedbackID, aliceID, "seen")
		recvAs[*bot.Message](t, rec.events, "the first message")
		// The blocker holds the channel's worker, so the catch-up queues
		// behind it and a live message of the new session is both in the
		// history it reads and delivered live: the overlap the keys resolve.
		b.fake.MessageCreate(feedbackID, aliceID, "blocker")
		recv(t, held, "the blocker to be held")

		b.fake.InvalidateSessions()
		b.fake.DropConnections()
		b.fake.MessageCreate(feedbackID, malloryID, "lost with the session")
		now := time.Now()
		b.fake.AddMessage(feedbackID, malloryID, "gap one", now)
		b.fake.AddMessage(feedbackID, aliceID, "gap two", now.Add(time.Millisecond))
		if err := b.fake.WaitIdentify(waitCtx(t), 2); err != nil {
			t.Fatal(err)
		}
		b.fake.MessageCreate(feedbackID, aliceID, "live on the new session")
		close(release)

		type seen struct {
			Text     string
			Backfill bool
		}
		var got []seen
		for range 5 {
			m := recvAs[*bot.Message](t, rec.events, "the messages")
			got = append(got, seen{m.Text, m.Backfill})
		}
		want := []seen{{"blocker", false}, {"lost with the session", true}, {"gap one", true}, {"gap two", true}, {"live on the new session", true}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after the unresumable session (-want +got):\n%s", diff)
		}
		eventually(t, "the live copy of the caught-up message to reach the handler", func() bool { return rec.duplicates() >= 1 })
		quiet(t, rec.events, "event handled twice")
		if n := rec.duplicates(); n != 1 {
			t.Errorf("duplicates dropped by the keys = %d, want 1 (the live copy)", n)
		}
		if n := b.fake.Resumes(); n != 0 {
			t.Errorf("RESUMEs = %d, want 0", n)
		}
		// Commands are registered again on the new session, unchanged.
		if err := b.fake.WaitFor(waitCtx(t), func() bool { return len(okCalls(b.fake, "PUT", "/applications/")) >= 2 }); err != nil {
			t.Fatalf("commands not registered again: %v", err)
		}
		if n := len(b.fake.Commands(guildID)); n != len(commands) {
			t.Errorf("%d commands registered after the second overwrite, want %d", n, len(commands))
		}
	})
}

func TestEachSessionReportsTheServersMemberCount(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	got := recv(t, b.rec.counts, "the member count")
	// The fake seeds five members (owner, Liaison, alice, mallory, a bot).
	if got.ScopeID != guildID || got.Members != 5 || len(got.Keys) != 1 || got.Keys[0].Kind != discordbot.KeyGuildCount {
		t.Errorf("GuildCount = %+v", got)
	}
}

// A message the handler could not take (its database unreachable through
// the adapter's retries) is not lost: its channel's cursor stays before it
// and the channel is caught up again a little later.
func TestAMessageTheHandlerLostIsCaughtUpFromTheCursor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rec := newHandler(db)
		var refusals atomic.Int32
		rec.fail = func(ev bot.Event) error {
			if m, ok := ev.(*bot.Message); ok && m.Text == "during the outage" && refusals.Add(1) <= 3 {
				return errors.New("connect: connection refused")
			}
			return nil
		}
		b := setup(t, rec, func(o *discordbot.Options) {
			o.CatchUp = discordbot.CatchUpOptions{Channels: []string{feedbackID}, Cursors: db, RetryAfter: 200 * time.Millisecond, SaveEvery: 100 * time.Millisecond}
		})
		b.fake.MessageCreate(feedbackID, aliceID, "before")
		b.fake.MessageCreate(feedbackID, aliceID, "during the outage")
		after := b.fake.MessageCreate(feedbackID, aliceID, "after")
		type seen struct {
			Text     string
			Backfill bool
		}
		var got []seen
		for range 3 {
			m := recvAs[*bot.Message](t, rec.events, "the messages")
			got = append(got, seen{m.Text, m.Backfill})
		}
		want := []seen{{"before", false}, {"after", false}, {"during the outage", true}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("messages handled (-want +got):\n%s", diff)
		}
		quiet(t, rec.events, "event handled twice")
		eventually(t, "the cursor saved past the last message", func() bool {
			c, err := db.DiscordCursors(context.Background())
			return err == nil && c[feedbackID] == after.ID
		})
	})
}

// A new run catches up from the saved cursor a watched channel's threads
// too (forum posts, replies) that got messages while Liaison was down, and
// leaves alone the threads that did not.
func TestANewRunCatchesUpThreadsUnderAWatchedChannel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := newFake(t)
		now := time.Now()
		const oldPost, newPost = "1600000000000000001", "1600000000000000002"
		fake.AddChannel(guildID, discordfake.Channel{ID: oldPost, Name: "old post", Type: 11, ParentID: feedbackID})
		fake.AddMessage(oldPost, malloryID, "an old post, handled by the last run", now.Add(-2*time.Hour))
		last := fake.AddMessage(feedbackID, aliceID, "the last message the last run handled", now.Add(-time.Hour))
		if err := db.SaveDiscordCursors(ctx, now.Add(-time.Hour), map[string]string{feedbackID: last.ID}); err != nil {
			t.Fatal(err)
		}
		// While Liaison was down: a new forum post, and a reply in it.
		fake.AddChannel(guildID, discordfake.Channel{ID: newPost, Name: "export crashes", Type: 11, ParentID: feedbackID})
		fake.AddMessage(newPost, malloryID, "the export crashes", now.Add(-time.Minute))
		reply := fake.AddMessage(newPost, aliceID, "same here", now.Add(-30*time.Second))

		rec := newHandler(db)
		setupOn(t, fake, rec, func(o *discordbot.Options) {
			o.CatchUp = discordbot.CatchUpOptions{Channels: []string{feedbackID}, Cursors: db, SaveEvery: 100 * time.Millisecond}
		})
		type seen struct {
			Text, Channel, Thread, ThreadName string
			Backfill                          bool
		}
		var got []seen
		for range 2 {
			m := recvAs[*bot.Message](t, rec.events, "the thread's messages")
			got = append(got, seen{m.Text, m.ChannelID, m.ThreadID, m.ThreadName, m.Backfill})
		}
		want := []seen{{"the export crashes", feedbackID, newPost, "export crashes", true}, {"same here", feedbackID, newPost, "export crashes", true}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("caught up (-want +got):\n%s", diff)
		}
		quiet(t, rec.events, "a message of the quiet thread, or one read twice")
		eventually(t, "the cursor saved past the thread's last message", func() bool {
			c, err := db.DiscordCursors(ctx)
			return err == nil && c[feedbackID] == reply.ID
		})
	})
}

// An adapter runs again after it stopped (a replica that gave the gateway
// up and took it back): it identifies anew and catches up on what was said
// while it was away.
func TestAnAdapterRunsAgainAndCatchesUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := newFake(t)
		rec := newHandler(db)
		a, _ := newAdapter(t, fake, rec, func(o *discordbot.Options) {
			o.CatchUp = discordbot.CatchUpOptions{Channels: []string{feedbackID}, Cursors: db}
		})
		run := func(n int) (stop func()) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			if err := fake.WaitIdentify(waitCtx(t), n); err != nil {
				t.Fatalf("run %d: %v", n, err)
			}
			return func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("run %d: %v", n, err)
				}
			}
		}
		stop := run(1)
		fake.MessageCreate(feedbackID, aliceID, "before")
		recvAs[*bot.Message](t, rec.events, "the first run's message")
		stop()
		fake.MessageCreate(feedbackID, malloryID, "while away")
		stop = run(2)
		defer stop()
		if m := recvAs[*bot.Message](t, rec.events, "the message said while away"); m.Text != "while away" || !m.Backfill {
			t.Errorf("got %q (backfill %v), want the message said while away, caught up", m.Text, m.Backfill)
		}
		fake.MessageCreate(feedbackID, aliceID, "live again")
		if m := recvAs[*bot.Message](t, rec.events, "a live message of the second run"); m.Text != "live again" || m.Backfill {
			t.Errorf("got %q (backfill %v), want the live message", m.Text, m.Backfill)
		}
		quiet(t, rec.events, "event handled twice")
	})
}

// A thread archived or locked reaches the handler, placed in its parent
// channel.
func TestAClosedThreadReachesTheHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	const thread = "1600000000000000007"
	b.fake.AddChannel(guildID, discordfake.Channel{ID: thread, Name: "a post", Type: 11, ParentID: feedbackID})
	b.fake.CloseThread(thread, true)
	e := recvAs[*bot.ThreadClosed](t, b.rec.events, "the closed thread")
	if e.ThreadID != thread || e.ChannelID != feedbackID || e.ScopeID != guildID || len(e.Keys) != 1 || e.Keys[0].Kind != discordbot.KeyThread {
		t.Errorf("ThreadClosed = %+v", e)
	}
}

// A forum post made and closed while Liaison was away is caught up too.
func TestANewRunCatchesUpAThreadArchivedWhileAway(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := newFake(t)
		now := time.Now()
		last := fake.AddMessage(feedbackID, aliceID, "the last message the last run handled", now.Add(-time.Hour))
		if err := db.SaveDiscordCursors(ctx, now.Add(-time.Hour), map[string]string{feedbackID: last.ID}); err != nil {
			t.Fatal(err)
		}
		const oldPost, post = "1600000000000000011", "1600000000000000012"
		fake.AddChannel(guildID, discordfake.Channel{ID: oldPost, Name: "old post", Type: 11, ParentID: feedbackID})
		fake.AddMessage(oldPost, malloryID, "an old post, handled by the last run", now.Add(-2*time.Hour))
		fake.CloseThread(oldPost, false)
		fake.AddChannel(guildID, discordfake.Channel{ID: post, Name: "quick question", Type: 11, ParentID: feedbackID})
		fake.AddMessage(post, malloryID, "is there an API?", now.Add(-time.Minute))
		fake.CloseThread(post, true) // answered elsewhere and locked, all while Liaison was away

		rec := newHandler(db)
		setupOn(t, fake, rec, func(o *discordbot.Options) {
			o.CatchUp = discordbot.CatchUpOptions{Channels: []string{feedbackID}, Cursors: db}
		})
		m := recvAs[*bot.Message](t, rec.events, "the archived post's message")
		if m.Text != "is there an API?" || m.ChannelID != feedbackID || m.ThreadID != post || !m.Backfill {
			t.Errorf("caught up %q in %s/%s (backfill %v)", m.Text, m.ChannelID, m.ThreadID, m.Backfill)
		}
		quiet(t, rec.events, "a message of the thread closed before, or one read twice")
	})
}

// Threads are handled on workers of their own, so a message in one thread
// can be done before an older one in another: the channel's cursor waits
// for the older one, so that a crash in between does not skip it.
func TestTheCursorWaitsForAnOlderMessageStillQueuedInAnotherThread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := newFake(t)
		const slow, quick = "1600000000000000021", "1600000000000000022"
		fake.AddChannel(guildID, discordfake.Channel{ID: slow, Name: "slow post", Type: 11, ParentID: feedbackID})
		fake.AddChannel(guildID, discordfake.Channel{ID: quick, Name: "quick post", Type: 11, ParentID: feedbackID})
		rec := newHandler(db)
		held, release := make(chan struct{}), make(chan struct{})
		rec.before = func(ev bot.Event) {
			if m, ok := ev.(*bot.Message); ok && m.Text == "held" {
				close(held)
				<-release
			}
		}
		setupOn(t, fake, rec, func(o *discordbot.Options) {
			o.CatchUp = discordbot.CatchUpOptions{Channels: []string{feedbackID}, Cursors: db, SaveEvery: 20 * time.Millisecond}
		})
		older := fake.MessageCreate(slow, aliceID, "held")
		recv(t, held, "the older message to be held")
		newer := fake.MessageCreate(quick, malloryID, "done first")
		if m := recvAs[*bot.Message](t, rec.events, "the newer message"); m.Text != "done first" {
			t.Fatalf("got %q", m.Text)
		}
		time.Sleep(100 * time.Millisecond) // several saves
		c, err := db.DiscordCursors(ctx)
		if err != nil || c[feedbackID] == "" || !lessID(c[feedbackID], older.ID) {
			t.Errorf("cursor %q (%v) while %s is still queued, want before it", c[feedbackID], err, older.ID)
		}
		close(release)
		recvAs[*bot.Message](t, rec.events, "the older message")
		eventually(t, "the cursor saved past both", func() bool {
			c, err := db.DiscordCursors(ctx)
			return err == nil && c[feedbackID] == newer.ID
		})
	})
}

// lessID orders snowflakes numerically.
func lessID(a, b string) bool { return len(a) < len(b) || len(a) == len(b) && a < b }

// A burst in one channel — many authors each posting, editing and deleting
// — is handled on several workers at once, and every message's create,
// edit and delete still reach the handler in that order.
func TestABurstInOneChannelRunsInParallelAndKeepsEachMessagesOrder(t *testing.T) {
	t.Parallel()
	rec := newHandler(nil)
	var mu sync.Mutex
	var active, most int
	order := map[string][]string{} // message id → what the handler saw, in order
	rng := rand.New(rand.NewPCG(4, 2))
	rec.before = func(ev bot.Event) {
		mu.Lock()
		active++
		most = max(most, active)
		var id, what string
		switch e := ev.(type) {
		case *bot.Message:
			id, what = e.ID, "create"
			if e.Edited {
				what = "edit"
			}
		case *bot.MessageDeleted:
			id, what = e.ID, "delete"
		}
		if id != "" {
			order[id] = append(order[id], what)
		}
		pause := time.Duration(rng.IntN(3000)) * time.Microsecond // handlers take uneven times
		mu.Unlock()
		time.Sleep(pause)
		mu.Lock()
		active--
		mu.Unlock()
	}
	go func() {
		for range rec.events {
		}
	}()
	b := setup(t, rec)
	const authors, each = 12, 3
	var ids []string
	for i := range each {
		for a := range authors {
			author := fmt.Sprintf("3000000000001%05d", a)
			id := b.fake.MessageCreate(feedbackID, author, fmt.Sprintf("message %d of %d", i, a)).ID
			ids = append(ids, id)
			b.fake.MessageUpdate(feedbackID, id, "edited")
			b.fake.MessageDelete(feedbackID, id) // no author: found through the message
		}
	}
	eventually(t, "every message created, edited and deleted", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if len(order[id]) < 3 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if !slices.Equal(order[id], []string{"create", "edit", "delete"}) {
			t.Errorf("message %s was handled as %v, want create, edit, delete", id, order[id])
		}
	}
	if most < 2 {
		t.Errorf("at most %d event handled at once in a busy channel; want its authors spread over the workers", most)
	}
}
