package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
)

// The demo world's ids these tests use.
const (
	guildID    = "998877665544332211"
	feedbackID = "1100000000000000001"
	generalID  = "1100000000000000002"
	ideasID    = "1100000000000000005"
	aliceID    = "1300000000000000101"
	malloryID  = "1300000000000000102"
	eveID      = "1300000000000000103"
)

// lastEvent returns the last event the handler got, as a T.
func lastEvent[T bot.Event](t *testing.T, b *testBundle) T {
	t.Helper()
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	if len(b.h.events) == 0 {
		t.Fatalf("the handler got no event")
	}
	ev, ok := b.h.events[len(b.h.events)-1].(T)
	if !ok {
		t.Fatalf("the last event is a %T", b.h.events[len(b.h.events)-1])
	}
	return ev
}

func TestUnreactRemovesAReactionAndRefusesOneThatIsNotThere(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"discord #feedback alice: the export crashes",
		"react d1 👍 eve",
		"react d1 👍 eve",
		"unreact d1 👍 eve",
	)
	wantOutput(t, out, `[discord #feedback] d1 alice: the export crashes
[discord #feedback] d1 +👍 eve
line 3: eve has already reacted 👍 to d1
[discord #feedback] d1 -👍 eve
`)
	d1 := c.refs["d1"].id
	ev := lastEvent[*bot.Reaction](t, b)
	if !ev.Removed || ev.Emoji != "👍" || ev.MessageID != d1 || ev.User.ID != eveID || ev.ChannelID != feedbackID ||
		len(ev.Keys) != 1 || ev.Keys[0].Kind != "discord_reaction" || !strings.HasPrefix(ev.Keys[0].Key, d1+":"+eveID+":👍:remove:console-1:") {
		t.Errorf("removal = %+v, want eve's 👍 removed from d1, keyed as the adapter keys it", ev)
	}
	events := len(b.h.events)
	out = exec(t, c, b,
		"unreact d1 👍 eve",
		"react d1 📣 dave",
		"unreact d1 👍 dave",
		"unreact d9 👍 eve",
		"unreact d1 👍",
	)
	wantOutput(t, out, `line 1: eve has no 👍 reaction on d1 to remove (it has no reactions)
[discord #feedback] d1 +📣 dave
line 3: dave has no 👍 reaction on d1 to remove (its reactions: 📣 dave)
line 4: there is no message d9: use a reference printed before a message (s… on Slack, d… on Discord)
line 5: unreact needs a message, an emoji and a person, like: unreact d1 👍 eve
`)
	if len(b.h.events) != events+1 {
		t.Errorf("refused lines reached the handler: %d events, want %d", len(b.h.events), events+1)
	}
	// Slack reports the shortcode, whichever way it was typed.
	out = exec(t, c, b, "slack #product bob: shipping today", "react s1 👀 carol", "unreact s1 :eyes: carol")
	wantOutput(t, out, "[slack #product] s1 bob: shipping today\n[slack #product] s1 +👀 carol\n[slack #product] s1 -👀 carol\n")
	if ev := lastEvent[*bot.Reaction](t, b); !ev.Removed || ev.Emoji != "eyes" || ev.Keys[0].Kind != "slack_event" {
		t.Errorf("Slack removal = %+v, want :eyes: removed, as a Slack event", ev)
	}
}

func TestReplyIsADiscordReplyOrASlackThreadReply(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.command = func(*bot.Command) (*bot.Reply, error) { return &bot.Reply{Text: "only you see this"}, nil }
	out := exec(t, c, b,
		"discord #feedback alice: the export crashes",
		"reply d1 bob: thanks, we are on it",
		"slack #product bob: shipping at 10:00",
		"reply s1 carol: ok",
		"reply s2 dave: me too",
	)
	wantOutput(t, out, `[discord #feedback] d1 alice: the export crashes
[discord #feedback] d2 (reply d1) bob: thanks, we are on it
[slack #product] s1 bob: shipping at 10:00
[slack #product] s2 (thread s1) carol: ok
[slack #product] s3 (thread s1) dave: me too
`)
	b.h.mu.Lock()
	d2, s2, s3 := b.h.events[1].(*bot.Message), b.h.events[3].(*bot.Message), b.h.events[4].(*bot.Message)
	b.h.mu.Unlock()
	wantD2 := &bot.Message{
		Delivery:  bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: c.refs["d2"].id}}, At: start},
		Place:     bot.Place{Platform: "discord", ScopeID: guildID, ChannelID: feedbackID, ChannelName: "feedback"},
		ID:        c.refs["d2"].id,
		ReplyTo:   c.refs["d1"].id,
		Author:    bot.User{Platform: "discord", ID: "1300000000000000002", Name: "bob", Roles: []string{"1200000000000000001"}},
		Text:      "thanks, we are on it",
		Permalink: "https://discord.com/channels/" + guildID + "/" + feedbackID + "/" + c.refs["d2"].id,
	}
	if diff := cmp.Diff(wantD2, d2); diff != "" {
		t.Errorf("Discord reply (-want +got):\n%s", diff)
	}
	if s2.ThreadID != c.refs["s1"].id || s3.ThreadID != c.refs["s1"].id || s2.ReplyTo != "" || s2.Keys[1] != (bot.InboundKey{Kind: "slack_message", Key: "C01PRODUCT:" + s2.ID}) {
		t.Errorf("Slack replies = %+v, %+v; want both in s1's thread", s2, s3)
	}
	out = exec(t, c, b,
		"discord #general dave: /warn mallory spam",
		"reply d9 bob: hello?",
		"reply d1 zoe: me too",
		"reply d1 bob",
	)
	wantOutput(t, out, `[discord #general] dave: /warn mallory spam
[discord #general] (to dave) liaison: only you see this
line 2: there is no message d9: use a reference printed before a message (s… on Slack, d… on Discord)
line 3: nobody called "zoe" is on Discord: there are alice, bob, carol, dave, eve, mallory (declared under console.members; join NAME brings someone new)
line 4: write who is speaking, then a colon, then the text, like: reply d1 bob: thanks, we are on it
`)
}

func TestThreadStartsOnADiscordMessageNamedAfterIt(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"discord #feedback alice: the export crashes\\nwhen I pick CSV",
		"thread d1 bob: we can reproduce it",
		"thread d1 alice: thanks!",
	)
	wantOutput(t, out, `[discord #feedback] d1 alice: the export crashes
    when I pick CSV
[discord #feedback › the export crashes] d2 bob: we can reproduce it
[discord #feedback › the export crashes] d3 alice: thanks!
`)
	d1 := c.refs["d1"].id
	ev := lastEvent[*bot.Message](t, b)
	// As the Discord adapter delivers it: the thread's id (d1's) and name
	// in ThreadID and ThreadName, the parent channel as the place, not a
	// thread start, and no title (only a forum post's opening message has
	// one).
	want := &bot.Message{
		Delivery:   bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: c.refs["d3"].id}}, At: start},
		Place:      bot.Place{Platform: "discord", ScopeID: guildID, ChannelID: feedbackID, ChannelName: "feedback"},
		ID:         c.refs["d3"].id,
		ThreadID:   d1,
		ThreadName: "the export crashes",
		Author:     bot.User{Platform: "discord", ID: aliceID, Name: "alice"},
		Text:       "thanks!",
		Permalink:  "https://discord.com/channels/" + guildID + "/" + d1 + "/" + c.refs["d3"].id,
	}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("message in the thread (-want +got):\n%s", diff)
	}
	// Liaison posts in the thread by its id; a read-back of d1 says a
	// thread starts there; a thread's message is read in the thread only.
	b.outbox.enqueue("discord", bot.KindPost, "in-thread", bot.Post{ChannelID: d1, Text: "Feedback #1 is logged."}, "")
	out = exec(t, c, b, "react d3 👍 bob")
	wantOutput(t, out, "[discord #feedback › the export crashes] d3 +👍 bob\n[discord #feedback › the export crashes] d4 liaison: Feedback #1 is logged.\n    (pings: nobody)\n")
	if r := lastEvent[*bot.Reaction](t, b); r.ChannelID != feedbackID || r.ThreadID != d1 || r.MessageID != c.refs["d3"].id {
		t.Errorf("reaction in the thread = %+v, want the parent channel as its place and the thread in ThreadID", r)
	}
	// The reaction names where its message is read back: the thread.
	if m, err := c.Message(context.Background(), d1, c.refs["d3"].id); err != nil || m.Text != "thanks!" {
		t.Errorf("Message(thread, d3) = %+v, %v; want d3", m, err)
	}
	if m, err := c.Message(context.Background(), feedbackID, d1); err != nil || !m.ThreadStart {
		t.Errorf("Message(d1) = %+v, %v; want a thread start", m, err)
	}
	if m, err := c.Message(context.Background(), d1, c.refs["d2"].id); err != nil || m.ThreadID != d1 {
		t.Errorf("Message(thread, d2) = %+v, %v; want d2 in the thread", m, err)
	}
	if _, err := c.Message(context.Background(), feedbackID, c.refs["d2"].id); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("Message(feedback, d2) = %v, want not found: d2 is in the thread's channel", err)
	}
	events := len(b.h.events)
	out = exec(t, c, b,
		"thread d9 bob: anyone?",
		"thread d2 carol: and here?",
		"slack #product bob: shipping today",
		"thread s1 carol: which version?",
		"discord #general dave: /warn mallory spam",
	)
	wantOutput(t, out, `line 1: there is no message d9: use a reference printed before a message (s… on Slack, d… on Discord)
line 2: d2 is in the thread "the export crashes" already, and Discord starts no thread inside a thread: to write there, use thread d1
[slack #product] s1 bob: shipping today
line 4: threads started on a message are Discord's: on Slack, answer in s1's thread with reply s1 carol: …
[discord #general] dave: /warn mallory spam
`)
	if len(b.h.events) != events+1 {
		t.Errorf("refused lines reached the handler: %d events, want %d", len(b.h.events), events+1)
	}
}

func TestPostOpensAForumPostAndOnlyInAForum(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"post #ideas alice: Dark mode | please add a dark theme | soon",
		"thread d1 bob: it is planned",
	)
	wantOutput(t, out, `[discord #ideas › Dark mode] d1 alice: please add a dark theme | soon
[discord #ideas › Dark mode] d2 bob: it is planned
`)
	b.h.mu.Lock()
	first, answer := b.h.events[0].(*bot.Message), b.h.events[1].(*bot.Message)
	b.h.mu.Unlock()
	post := c.refs["d1"].id
	// As the adapter delivers a forum post: its first message has the
	// post's id, in the post's channel, under the forum; Discord delivers
	// the text as the message and the title as the thread's name.
	want := &bot.Message{
		Delivery:    bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: post}}, At: start},
		Place:       bot.Place{Platform: "discord", ScopeID: guildID, ChannelID: ideasID, ChannelName: "ideas"},
		ID:          post,
		ThreadID:    post,
		ThreadName:  "Dark mode",
		Title:       "Dark mode",
		Author:      bot.User{Platform: "discord", ID: aliceID, Name: "alice"},
		Text:        "please add a dark theme | soon",
		Permalink:   "https://discord.com/channels/" + guildID + "/" + post + "/" + post,
		ThreadStart: true,
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("forum post (-want +got):\n%s", diff)
	}
	if answer.ThreadID != post || answer.ThreadStart || answer.ChannelID != ideasID {
		t.Errorf("answer in the post = %+v, want it in the post, not a start", answer)
	}
	out = exec(t, c, b,
		"post #general alice: Dark mode | please",
		"discord #ideas alice: dark mode please",
		"post #ideas alice: "+strings.Repeat("long ", 21)+"| text",
		"post #ideas alice: Dark mode",
		"post #lobby alice: Dark mode | please",
	)
	wantOutput(t, out, `line 1: #general is not a forum channel: post opens a post in a forum (here: #ideas, #ideas-board); to write in #general: discord #general alice: …
line 2: #ideas is a forum: nobody writes in it directly; open a post with post #ideas alice: TITLE | TEXT, or write in one with thread REF
line 3: a forum post's title has at most 100 characters on Discord; this one has 104
line 4: a forum post has a title and a text, separated by |, like: post #ideas alice: Dark mode | please add a dark theme
line 5: Discord has no channel #lobby: there are #announcements, #feedback, #general, #ideas, #ideas-board, #mod-log
`)
	if len(b.h.events) != 2 {
		t.Errorf("refused lines reached the handler: %d events, want 2", len(b.h.events))
	}
}

func TestJoinAndLeaveChangeTheServersMembers(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"join zoe age 2d",
		"discord #general zoe: hi all",
		"join zoe",
		"leave zoe",
		"discord #general zoe: still there?",
		"leave zoe",
		"join zoe",
		"join yann",
		"join alice age 2d",
		"join alice",
		"join Zoe-Smith",
		"join zoe age soon",
	)
	wantOutput(t, out, `[discord server] zoe joined (account created 2d ago)
[discord #general] d1 zoe: hi all
line 3: zoe is already a member of the server
[discord server] zoe left
line 5: zoe cannot post: they left the server; they must join again first (join zoe)
line 6: zoe is not a member of the server: nobody to leave
[discord server] zoe joined (account created 2d ago)
[discord server] yann joined (account created 1y ago)
line 9: alice's account already exists (created 2y ago): age is for someone new to the world; write join alice
line 10: alice is already a member of the server
line 11: "Zoe-Smith" cannot be a Discord username: use 2 to 32 lowercase letters, digits, _ or . (and not liaison)
line 12: "soon" is not an age: write it like 2d, 6w, 1y or 2y6w
`)
	b.h.mu.Lock()
	var changes []*bot.MemberChange
	for _, ev := range b.h.events {
		if mc, ok := ev.(*bot.MemberChange); ok {
			changes = append(changes, mc)
		}
	}
	b.h.mu.Unlock()
	if len(changes) != 4 {
		t.Fatalf("%d member changes, want 4 (join, leave, join, join)", len(changes))
	}
	zoe := changes[0].User
	// Discord dates an account by its id: zoe's says two days ago.
	if !snowflake.MatchString(zoe.ID) || !snowflakeTime(zoe.ID).Equal(start.Add(-48*time.Hour)) || zoe.Name != "zoe" {
		t.Errorf("zoe = %+v (created %v), want a snowflake of %v", zoe, snowflakeTime(zoe.ID), start.Add(-48*time.Hour))
	}
	if changes[0].ScopeID != guildID || changes[0].Left || changes[0].Keys[0].Kind != "discord_member" ||
		!changes[1].Left || changes[1].User.ID != zoe.ID || changes[2].User.ID != zoe.ID || changes[0].Keys[0].Key == changes[2].Keys[0].Key {
		t.Errorf("member changes = %+v %+v %+v, want zoe joining, leaving and joining again, each with a key of its own", changes[0], changes[1], changes[2])
	}
	if !snowflakeTime(changes[3].User.ID).Equal(start.Add(-defaultAge)) {
		t.Errorf("yann's account was created %v, want a year before %v", snowflakeTime(changes[3].User.ID), start)
	}
	// Liaison sees members as Discord has them.
	if m, err := c.GuildMember(context.Background(), guildID, zoe.ID); err != nil || m.User.Name != "zoe" {
		t.Errorf("GuildMember(zoe) = %+v, %v", m, err)
	}
	exec(t, c, b, "leave yann")
	if _, err := c.GuildMember(context.Background(), guildID, changes[3].User.ID); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("GuildMember(yann) after he left = %v, want not found", err)
	}
}

func TestBannedKickedAndTimedOutMembersCannotPost(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	until := start.Add(time.Hour)
	exec(t, c, b, "discord #general alice: hello")
	b.outbox.enqueue("discord", bot.KindModerate, "ban", bot.ModAction{Op: bot.OpBan, GuildID: guildID, UserID: malloryID, Reason: "dave via Liaison, case 1: spam"}, "")
	b.outbox.enqueue("discord", bot.KindModerate, "kick", bot.ModAction{Op: bot.OpKick, GuildID: guildID, UserID: eveID, Reason: "dave via Liaison, case 2: rude"}, "")
	b.outbox.enqueue("discord", bot.KindModerate, "timeout", bot.ModAction{Op: bot.OpTimeout, GuildID: guildID, UserID: aliceID, Until: &until, Reason: "dave via Liaison, case 3: flood"}, "")
	exec(t, c, b, "clock +1s")
	events := len(b.h.events)
	out := exec(t, c, b,
		"discord #general mallory: let me in",
		"react d1 👍 mallory",
		"join mallory",
		"discord #general eve: sorry",
		"discord #general alice: why?",
		"reply d1 alice: hello?",
		"thread d1 alice: hello?",
		"post #ideas alice: Why | why",
		"react d1 👍 alice",
		"discord #general alice: /feedback x",
		"edit d1 alice: hello, edited",
	)
	wantOutput(t, out, `line 1: mallory cannot post: they are banned from the server (dave via Liaison, case 1: spam); a moderator must unban them (/unban), then they can join again
line 2: mallory cannot react: they are banned from the server (dave via Liaison, case 1: spam); a moderator must unban them (/unban), then they can join again
line 3: mallory cannot join: they are banned from the server (dave via Liaison, case 1: spam); a moderator must unban them first (/unban)
line 4: eve cannot post: they were kicked from the server (dave via Liaison, case 2: rude); they must join again first (join eve)
line 5: alice cannot post: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
line 6: alice cannot post: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
line 7: alice cannot post: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
line 8: alice cannot post: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
line 9: alice cannot react: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
line 10: alice cannot run commands: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
[discord #general] d1 edited alice: hello, edited
`)
	if len(b.h.events) != events+1 {
		t.Errorf("refused lines reached the handler: %d events, want %d (the edit)", len(b.h.events), events+1)
	}
	// The timeout ends by the console's clock; a kicked member joins again;
	// an unbanned one too.
	b.outbox.enqueue("discord", bot.KindModerate, "unban", bot.ModAction{Op: bot.OpUnban, GuildID: guildID, UserID: malloryID}, "")
	out = exec(t, c, b,
		"clock +59m",
		"discord #general mallory: let me in",
		"join mallory",
		"join eve",
		"discord #general eve: sorry",
		"discord #general alice: still?",
		"clock +1m",
		"discord #general alice: back",
	)
	wantOutput(t, out, `[clock] Mon 23 Nov 2026 09:59 CET (Europe/Paris)
[discord audit-log] liaison: unbanned mallory
line 2: mallory cannot post: they were banned, and unbanned since; they must join again first (join mallory)
[discord server] mallory joined (account created 2y ago)
[discord server] eve joined (account created 2y ago)
[discord #general] d2 eve: sorry
line 6: alice cannot post: they are timed out until Mon 23 Nov 2026 10:00 CET (dave via Liaison, case 3: flood)
[clock] Mon 23 Nov 2026 10:00 CET (Europe/Paris)
[discord #general] d3 alice: back
`)
}

func TestClockTakesAnAbsoluteTimeThatOnlyMovesForward(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b,
		"clock 2026-11-23T10:00+01:00",
		"clock 2026-11-23T09:30:00+01:00",
		"clock 2026-11-23T10:00:00Z",
		"clock +30m",
		"clock 2026-11-23",
	)
	wantOutput(t, out, `[clock] Mon 23 Nov 2026 10:00 CET (Europe/Paris)
line 2: it is Mon 23 Nov 2026 10:00 CET already, and time only moves forward in the console: write a later time, or clock +1h (a script's first line may set any start)
[clock] Mon 23 Nov 2026 11:00 CET (Europe/Paris)
[clock] Mon 23 Nov 2026 11:30 CET (Europe/Paris)
line 5: "2026-11-23" is not a time: write it in RFC 3339 with its offset, seconds optional, like 2026-11-24T10:00+01:00 or 2026-11-24T09:00:00Z
`)
	if got, want := b.clock.Now(), time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("clock = %v, want %v", got, want)
	}
}

func TestAScriptsFirstClockLineSetsTheStartAndFiresNothing(t *testing.T) {
	t.Parallel()
	pinned := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, script string
		settled      time.Time // when the world started: the first settle
		out          string
	}{
		{
			name:    "a start in the past, after comments",
			script:  "# the tour\n\nclock 2026-11-20T10:00+01:00\ndiscord #feedback alice: hi\nclock 2026-11-20T09:00+01:00\n",
			settled: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
			out: "[clock] Fri 20 Nov 2026 10:00 CET (Europe/Paris)\n[discord #feedback] d1 alice: hi\n" +
				"line 5: it is Fri 20 Nov 2026 10:00 CET already, and time only moves forward in the console: write a later time, or clock +1h (a script's first line may set any start)\n",
		},
		{
			name:    "a start in the future",
			script:  "clock 2026-11-24T10:00:00+01:00\n",
			settled: pinned,
			out:     "[clock] Tue 24 Nov 2026 10:00 CET (Europe/Paris)\n",
		},
		{
			name:    "a script that does not pin its start",
			script:  "discord #feedback alice: hi\nclock 2026-11-24T10:00+01:00\n",
			settled: start,
			out:     "[discord #feedback] d1 alice: hi\n[clock] Tue 24 Nov 2026 10:00 CET (Europe/Paris)\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, b := setup(t)
			var settles []time.Time
			c.AddSettler(func(context.Context) (int, error) {
				settles = append(settles, b.clock.Now())
				return 0, nil
			})
			if err := c.Run(context.Background(), strings.NewReader(tt.script), false); err != nil {
				t.Fatal(err)
			}
			wantOutput(t, b.out.String(), tt.out)
			// Nothing ran before the start: the first settle, and the
			// member counts Discord reports, are at the start.
			if len(settles) == 0 || !settles[0].Equal(tt.settled) {
				t.Errorf("settled at %v, want first at %v", settles, tt.settled)
			}
			b.h.mu.Lock()
			defer b.h.mu.Unlock()
			if len(b.h.events) == 0 {
				t.Fatal("no member count was reported")
			}
			if gc, ok := b.h.events[0].(*bot.GuildCount); !ok || !gc.At.Equal(tt.settled) || gc.Members != 6 {
				t.Errorf("first event = %+v, want the member count at %v", b.h.events[0], tt.settled)
			}
		})
	}
}
