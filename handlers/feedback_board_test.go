package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

var boardYAML = strings.Replace(feedbackYAML, `general: "1100000000000000002"}`, `general: "1100000000000000002", ideas-board: "1100000000000000006"}`, 1) +
	"  board: discord:ideas-board\n  board_min_votes: 2\n"

// boardMessages returns the board's outbox messages, by key.
func (b *fbBundle) boardMessages(t *testing.T) map[string]bot.ForumPost {
	t.Helper()
	entries, err := b.db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bot.ForumPost{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Key, "board:") {
			continue
		}
		var fp bot.ForumPost
		if err := json.Unmarshal([]byte(e.Payload), &fp); err != nil {
			t.Fatal(err)
		}
		out[e.Key] = fp
	}
	return out
}

func postField(p bot.Post, name string) string {
	for _, f := range p.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// The board's posts as the handlers write them: a long first line is cut
// at 80 characters for the title and the text is kept whole; a merged
// duplicate's post says where it went and keeps its tag while the other
// lists it; a deleted source leaves its words off the board; a change the
// board does not show edits nothing; feedback logged in Slack never goes
// public.
func TestBoardPostsFollowTheirItems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedbackYAML(t, db, boardYAML)
		ctx := context.Background()
		long := strings.Repeat("the export to parquet loses the timezone of every date column ", 3)
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", long))
		b.vote(t, feedbackCh, "1", eveID, false)
		if got := b.boardMessages(t); len(got) != 0 {
			t.Fatalf("at one vote: %v, want no post", got)
		}
		b.vote(t, feedbackCh, "1", daveDiscord, false)
		b.event(t, discordMsg(feedbackCh, "2", eveID, "eve", "parquet export: timezone lost"))
		b.vote(t, feedbackCh, "2", aliceID, false)
		b.vote(t, feedbackCh, "2", daveDiscord, false)
		b.send(t)
		got := b.boardMessages(t)
		p1, p2 := got["board:1"], got["board:2"]
		if n := utf8.RuneCountInString(p1.Name); n != 80 || !strings.HasSuffix(p1.Name, "…") || !strings.HasPrefix(long, strings.TrimSuffix(p1.Name, "…")) {
			t.Errorf("title %q (%d characters), want the first line cut at 80", p1.Name, n)
		}
		if p1.Tag != "Open" || p1.Post.Quote != strings.TrimSpace(long) || postField(p1.Post, "Votes") != "2 · react with 👍 to this post to add yours" ||
			p1.ChannelID != "1100000000000000006" || p1.GuildID != guild || p1.Marker != "Feedback #1" {
			t.Errorf("post of #1 = %+v", p1)
		}
		if p2.Name != "parquet export: timezone lost" || p2.Post.Quote != "" {
			t.Errorf("post of #2 = %+v, want its one line as title and no quote repeating it", p2)
		}

		// A tag changes nothing the board shows: no edit.
		if _, err := b.r.HandleSubmission(ctx, &bot.Submission{CallbackID: "feedback.tag", Meta: "1", Values: map[string]string{"tags": "export"},
			User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}}); err != nil {
			t.Fatal(err)
		}
		if tags := b.item(t, 1).Tags; !strings.Contains(strings.Join(tags, ","), "export") {
			t.Fatalf("tags = %v, want export added", tags)
		}
		if _, ok := b.boardMessages(t)["board:1:edit:1"]; ok {
			t.Error("a tag the board does not show edited its post")
		}

		if r, err := b.r.HandleCommand(ctx, &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_command", Key: "m"}}},
			Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01PRODUCT"}, Name: "liaison", Text: "feedback merge 2 into 1",
			User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}}); err != nil || !strings.Contains(r.Text, "merged into #1") {
			t.Fatalf("merge = %+v, %v", r, err)
		}
		b.send(t)
		got = b.boardMessages(t)
		if e := got["board:2:edit:1"]; e.Tag != "" || postField(e.Post, "Status") != "merged into #1, where its votes count now" || strings.Contains(postField(e.Post, "Votes"), "react") {
			t.Errorf("the duplicate's post = %+v, want it merged into #1, its tag kept, no call to vote", e)
		}
		if e := got["board:1:edit:1"]; postField(e.Post, "Merged") != "#2 (the same request; their votes count here)" || !strings.HasPrefix(postField(e.Post, "Votes"), "2 ") {
			t.Errorf("#1's post = %+v, want #2 merged, still 2 votes (eve, #2's author, and dave voted already; alice wrote #1)", e.Post.Fields)
		}

		b.event(t, &bot.MessageDeleted{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: "1:delete"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: guild, ChannelID: feedbackCh}, ID: "1"})
		if e := b.boardMessages(t)["board:1:edit:2"]; e.Post.Quote != "" || e.Post.Link != nil || e.Post.Text != "(The original message was deleted.)" {
			t.Errorf("after the source's deletion the post = %+v", e.Post)
		}

		// Feedback logged in Slack stays internal, whatever its votes.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			it := &store.FeedbackItem{SourceKey: "slack:C01PRODUCT:1.0", Source: bot.PlatformSlack, Intake: "staff", Text: "Acme wants parquet", Customer: "Acme", Votes: 5}
			if _, err := tx.CreateFeedback(ctx, b.clock.Now(), it); err != nil {
				return err
			}
			it.Votes = 5
			return b.caps.Feedback.syncBoard(ctx, tx, it)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := b.boardMessages(t)["board:3"]; ok {
			t.Error("feedback logged in Slack went on the public board")
		}
	})
}
