package discordbot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

const boardID = "110000000000000077"

func forumMessage(key, kind string, fp bot.ForumPost) *bot.OutboxMessage {
	return &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: kind, Payload: bot.Payload(fp)}
}

func boardPayload(tag, text string) bot.ForumPost {
	return bot.ForumPost{ChannelID: boardID, GuildID: guildID, Name: "Export to Parquet", Tag: tag, Tags: bot.BoardTags,
		Marker: "Feedback #7", Post: bot.Post{Text: text, Context: "Feedback #7"}}
}

// A board post through the real client: the forum gets the status tags it
// lacks, the post wears its status; a send reclaimed after a crash finds
// the post it opened instead of opening another; an edit changes the text
// and the tag, never the title.
func TestTheSenderOpensAndEditsABoardPostOnce(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddChannel(guildID, discordfake.Channel{ID: boardID, Name: "ideas-board", Type: discordfake.ChannelTypeGuildForum,
		AvailableTags: []discordfake.ForumTag{{ID: "130000000000000001", Name: "Bug"}, {ID: "130000000000000002", Name: "planned"}}})
	a, _ := newAdapter(t, fake, newHandler(nil))
	ctx := context.Background()
	tag := func(name string) string {
		for _, tg := range fake.ForumTags(boardID) {
			if strings.EqualFold(tg.Name, name) {
				return tg.ID
			}
		}
		return ""
	}

	res, err := a.Sender().Send(ctx, forumMessage("board:7", bot.KindForumPost, boardPayload("Open", "Votes: 3")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range fake.ForumTags(boardID) {
		names = append(names, tg.Name)
	}
	if want := []string{"Bug", "planned", "Open", "In progress", "Shipped", "Declined"}; !slices.Equal(names, want) {
		t.Errorf("forum tags = %v, want %v (its own kept, a tag of another case not added twice)", names, want)
	}
	posts := fake.Posts(boardID)
	if len(posts) != 1 || res.PlatformID != posts[0].ID || res.Channel != posts[0].ID || !slices.Equal(posts[0].AppliedTags, []string{tag("Open")}) {
		t.Fatalf("posts = %+v, result %+v; want one post wearing Open", posts, res)
	}

	again := forumMessage("board:7", bot.KindForumPost, boardPayload("Open", "Votes: 3"))
	again.Reclaimed = true
	res2, err := a.Sender().Send(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if res2.PlatformID != res.PlatformID || len(fake.Posts(boardID)) != 1 {
		t.Errorf("a reclaimed send answered %+v and left %d posts, want the first post and no other", res2, len(fake.Posts(boardID)))
	}

	up := forumMessage("board:7:edit:1", bot.KindForumUpdate, boardPayload("Planned", "Votes: 4"))
	up.ParentRef = res.PlatformID
	if _, err := a.Sender().Send(ctx, up); err != nil {
		t.Fatal(err)
	}
	post := fake.Posts(boardID)[0]
	first, _ := fake.Message(post.ID, post.ID)
	if post.Name != "Export to Parquet" || !slices.Equal(post.AppliedTags, []string{tag("planned")}) || !strings.Contains(first.Content, "Votes: 4") {
		t.Errorf("after the edit: post %q wears %v, says %q; want the same title, planned, 4 votes", post.Name, post.AppliedTags, first.Content)
	}
}

// A forum with 20 tags has no room for the status tags: the post goes
// without one. A board that is not a forum is refused in plain words.
func TestABoardPostWithoutRoomForItsTagOrWithoutAForum(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	var full []discordfake.ForumTag
	for i := range 20 {
		full = append(full, discordfake.ForumTag{ID: fmt.Sprintf("1300000000000001%02d", i), Name: fmt.Sprintf("topic %d", i)})
	}
	fake.AddChannel(guildID, discordfake.Channel{ID: boardID, Name: "ideas-board", Type: discordfake.ChannelTypeGuildForum, AvailableTags: full})
	a, _ := newAdapter(t, fake, newHandler(nil))
	if _, err := a.Sender().Send(context.Background(), forumMessage("board:7", bot.KindForumPost, boardPayload("Open", "Votes: 3"))); err != nil {
		t.Fatal(err)
	}
	if posts := fake.Posts(boardID); len(posts) != 1 || len(posts[0].AppliedTags) != 0 || len(fake.ForumTags(boardID)) != 20 {
		t.Errorf("posts = %+v with %d forum tags; want one post without a tag, the forum's 20 tags untouched", posts, len(fake.ForumTags(boardID)))
	}

	fp := boardPayload("Open", "Votes: 3")
	fp.ChannelID = generalID
	_, err := a.Sender().Send(context.Background(), forumMessage("board:8", bot.KindForumPost, fp))
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "#general is not a forum channel: feedback.board must name a forum") {
		t.Errorf("post in #general: %v, want a permanent refusal saying it is not a forum", err)
	}
	if err := a.CheckForum(context.Background(), generalID); err == nil || !strings.Contains(err.Error(), "#general is not a forum channel") {
		t.Errorf("CheckForum(#general) = %v", err)
	}
	if err := a.CheckForum(context.Background(), boardID); err != nil {
		t.Errorf("CheckForum(#ideas-board) = %v", err)
	}
}
