package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The public status board, end to end: liaison run against discordfake
// (the real discordgo client) and slackfake, on both databases.

const (
	e2eBoard   = "1100000000000000006"
	e2eMallory = "1400000000000000004"
	e2eTrent   = "1400000000000000005"
)

// newBoardWorld is the e2e world with a forum #ideas-board as the board,
// shown from two votes; board names the channel feedback.board names.
func newBoardWorld(t *testing.T, dialect, board string) *e2eWorld {
	t.Helper()
	w := newE2EWorld(t, dialect)
	w.discord.AddChannel(e2eGuild, discordfake.Channel{ID: e2eBoard, Name: "ideas-board", Type: discordfake.ChannelTypeGuildForum,
		AvailableTags: []discordfake.ForumTag{{ID: "1500000000000000001", Name: "Bug"}}})
	w.discord.AddMember(e2eGuild, discordfake.Member{UserID: e2eMallory, Username: "mallory"})
	w.discord.AddMember(e2eGuild, discordfake.Member{UserID: e2eTrent, Username: "trent"})
	cfg := strings.Replace(e2eConfig, `general: "`+e2eGeneral+`"`, `general: "`+e2eGeneral+`", ideas-board: "`+e2eBoard+`"`, 1)
	cfg += "  board: " + board + "\n  board_min_votes: 2\n"
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// post is the board's only post and its first message, once it shows what
// want says.
func (e *e2e) boardPost(t *testing.T, what string, want func(post discordfake.Channel, first discordfake.Message) bool) (discordfake.Channel, discordfake.Message) {
	t.Helper()
	var post discordfake.Channel
	var first discordfake.Message
	e.waitDiscord(t, what, func() bool {
		posts := e.discord.Posts(e2eBoard)
		if len(posts) != 1 {
			return len(posts) > 1 // fail below
		}
		post = posts[0]
		first, _ = e.discord.Message(post.ID, post.ID)
		return want(post, first)
	})
	if n := len(e.discord.Posts(e2eBoard)); n != 1 {
		t.Fatalf("%d posts on the board, want 1", n)
	}
	return post, first
}

// tagID is the id of the board forum's tag called name, "" when it has
// none.
func (e *e2e) tagID(name string) string {
	for _, tg := range e.discord.ForumTags(e2eBoard) {
		if tg.Name == name {
			return tg.ID
		}
	}
	return ""
}

// An item gets its post at the second vote, wearing Open (a tag Liaison
// added to the forum, next to the forum's own); the post follows its
// status and a merge, a 👍 on the post is a vote, and none of it changes
// the post's title or opens another post, across a restart too.
func TestTheBoardShowsAnItemFromItsThresholdOnThroughTheFakes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newBoardWorld(t, dialect, "discord:ideas-board")
			e, stop := w.start(t)
			m := e.discord.MessageCreate(e2eFeedback, e2eAlice, "Please add a dark theme\nat night the app is blinding")
			e.onlyRelay(t)
			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eEve, "👍")
			eventually(t, "eve's vote", func() bool { return e.items(t)[0].Votes == 1 })
			e.settled(t)
			if n := len(e.discord.Posts(e2eBoard)); n != 0 {
				t.Fatalf("%d posts at one vote, want none before two", n)
			}

			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eDave, "👍")
			post, first := e.boardPost(t, "the post at two votes", func(_ discordfake.Channel, f discordfake.Message) bool { return f.ID != "" })
			var names []string
			for _, tg := range e.discord.ForumTags(e2eBoard) {
				names = append(names, tg.Name)
			}
			if want := append([]string{"Bug"}, bot.BoardTags...); !slices.Equal(names, want) {
				t.Errorf("forum tags = %v, want %v (the forum's own, then Liaison's)", names, want)
			}
			if post.Name != "Please add a dark theme" || !slices.Equal(post.AppliedTags, []string{e.tagID("Open")}) {
				t.Errorf("post %q wears %v, want the first line as its title, wearing Open (%s)", post.Name, post.AppliedTags, e.tagID("Open"))
			}
			for _, want := range []string{"> at night the app is blinding", "**Status:** Open", "**Votes:** 2 · react with 👍 to this post to add yours", "Feedback #1 · from #feedback"} {
				if !strings.Contains(first.Content, want) {
					t.Errorf("the post's message lacks %q:\n%s", want, first.Content)
				}
			}
			if string(first.AllowedMentions) != `{"parse":[],"replied_user":false}` {
				t.Errorf("allowed_mentions = %s, want nobody", first.AllowedMentions)
			}

			// The team plans it: the post wears Planned; the note, not
			// approved for the public, is not shown.
			if got := e.slashText(t, "U01CAROL", "/liaison", "feedback status 1 planned for the spring release"); !strings.Contains(got, "planned") {
				t.Fatalf("status = %q", got)
			}
			_, first = e.boardPost(t, "the post planned", func(p discordfake.Channel, f discordfake.Message) bool {
				return slices.Equal(p.AppliedTags, []string{e.tagID("Planned")}) && strings.Contains(f.Content, "**Status:** Planned")
			})
			if strings.Contains(first.Content, "spring release") {
				t.Errorf("the post shows the status's note:\n%s", first.Content)
			}

			// mallory's report of the same thing is merged into it: the post
			// counts her, lists #2, and her 👍 on the post itself is a vote.
			e.discord.MessageCreate(e2eFeedback, e2eMallory, "dark mode please, my eyes hurt")
			e.waitSlack(t, "the second relay", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 2 })
			if got := e.slashText(t, "U01CAROL", "/liaison", "feedback merge 2 into 1"); !strings.Contains(got, "#2") {
				t.Fatalf("merge = %q", got)
			}
			_, first = e.boardPost(t, "the post counting the merge", func(_ discordfake.Channel, f discordfake.Message) bool {
				return strings.Contains(f.Content, "**Votes:** 3") && strings.Contains(f.Content, "**Merged:** #2")
			})
			e.settled(t)
			stop()

			// After a restart, a vote on the post edits the same post.
			e, _ = w.start(t)
			e.discord.MessageReactionAdd(post.ID, post.ID, e2eTrent, "👍")
			e.discord.MessageReactionAdd(post.ID, post.ID, e2eAlice, "👍") // the author: no vote
			e.boardPost(t, "the post counting the vote on it", func(_ discordfake.Channel, f discordfake.Message) bool {
				return strings.Contains(f.Content, "**Votes:** 4")
			})
			e.settled(t)
			it := e.items(t)
			if got := it[len(it)-1]; got.ID != 1 || got.Votes != 4 {
				t.Errorf("item 1 has %d votes, want 4 (eve, dave, mallory, and the vote on the post; alice's own does not count)", got.Votes)
			}
			if p := e.discord.Posts(e2eBoard); len(p) != 1 || p[0].Name != "Please add a dark theme" {
				t.Errorf("posts = %+v, want the one post, its title unchanged", p)
			}
			if n := len(e.discord.CallsTo("POST", "/channels/"+e2eBoard+"/threads")); n != 1 {
				t.Errorf("%d posts opened, want 1", n)
			}
		})
	}
}

// A board that is a text channel: liaison run says so at start, and the
// item that reaches the threshold gets no post: its opening is refused
// with the same words, for liaison status to show.
func TestABoardThatIsNotAForumIsReportedAtStart(t *testing.T) {
	t.Parallel()
	w := newBoardWorld(t, storetest.Dialects()[0], "discord:general")
	var logs syncBuffer
	e, _ := w.launch(t, true, func(a *App) { a.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	eventually(t, "the start-up check", func() bool { return strings.Contains(logs.String(), "feedback.board: #general is not a forum channel") })
	m := e.discord.MessageCreate(e2eFeedback, e2eAlice, "Please add a dark theme")
	e.onlyRelay(t)
	e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eEve, "👍")
	e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eDave, "👍")
	var dead store.OutboxEntry
	eventually(t, "the refused post", func() bool {
		entries, err := e.app.DB.OutboxEntries(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if en.Key == "board:1" && en.State == store.OutboxDead {
				dead = en
				return true
			}
		}
		return false
	})
	if !strings.Contains(dead.LastError, "#general is not a forum channel: feedback.board must name a forum") {
		t.Errorf("the post's refusal = %q", dead.LastError)
	}
	if n := len(e.discord.Messages(e2eGeneral)); n != 0 {
		t.Errorf("%d messages in #general, want none", n)
	}
}

// slackVote adds a 👍 to a relay as user, through the Events API of the
// replica at base.
func (w *e2eWorld) slackVote(t *testing.T, base string, relay slackfake.Message, user string) {
	t.Helper()
	ev := map[string]any{"type": "reaction_added", "user": user, "reaction": "+1", "event_ts": fmt.Sprintf("%d.000100", time.Now().Unix()),
		"item": map[string]any{"type": "message", "channel": relay.Channel, "ts": relay.TS}}
	code, body := send(t, w.slack.Event(base, e2eSecret, time.Now(), "", fmt.Sprintf("Ev%s%d", user, time.Now().UnixNano()), ev))
	if code != http.StatusOK {
		t.Fatalf("reaction answered %d %s", code, body)
	}
}

// Two replicas on one Postgres each take the vote that reaches the
// threshold at the same moment: the item gets one post.
func TestTwoReplicasOpenOneBoardPost(t *testing.T) {
	t.Parallel()
	w := newBoardWorld(t, store.Postgres, "discord:ideas-board")
	a, _ := w.start(t)
	b, _ := w.launch(t, false, nil)
	a.discord.MessageCreate(e2eFeedback, e2eAlice, "Please add a dark theme")
	relay := a.onlyRelay(t)
	a.settled(t)
	var wg sync.WaitGroup
	for _, v := range []struct{ base, user string }{{a.base, "U01CAROL"}, {b.base, "U01DAVE"}} {
		wg.Add(1)
		go func() { defer wg.Done(); w.slackVote(t, v.base, relay, v.user) }()
	}
	wg.Wait()
	a.boardPost(t, "the post", func(_ discordfake.Channel, f discordfake.Message) bool {
		return strings.Contains(f.Content, "**Votes:** 2")
	})
	a.settled(t)
	b.settled(t)
	if n := len(w.discord.CallsTo("POST", "/channels/"+e2eBoard+"/threads")); n != 1 || len(w.discord.Posts(e2eBoard)) != 1 {
		t.Errorf("%d posts opened, %d on the board; want 1 and 1", n, len(w.discord.Posts(e2eBoard)))
	}
}
