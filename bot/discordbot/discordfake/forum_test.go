package discordfake_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

const ideasID = "110000000000000009"

// A forum's tags and posts through the real discordgo client: tags added
// with PATCH get ids, a forum holds at most 20, a post opens with its first
// message (the thread's id) wearing tags of its forum, and its tags change
// with PATCH.
func TestForumTagsAndPostsBehaveAsDiscords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.AddChannel(guildID, discordfake.Channel{ID: ideasID, Name: "ideas", Type: discordfake.ChannelTypeGuildForum,
		AvailableTags: []discordfake.ForumTag{{ID: "130000000000000001", Name: "Bug"}}})
	s := newSession(t, b.fake)

	tags := []discordgo.ForumTag{{ID: "130000000000000001", Name: "Bug"}, {Name: "Planned"}}
	ch, err := s.ChannelEditComplex(ideasID, &discordgo.ChannelEdit{AvailableTags: &tags})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.AvailableTags) != 2 || ch.AvailableTags[1].Name != "Planned" || ch.AvailableTags[1].ID == "" {
		t.Fatalf("available_tags = %+v", ch.AvailableTags)
	}
	planned := ch.AvailableTags[1].ID

	many := make([]discordgo.ForumTag, 21)
	for i := range many {
		many[i] = discordgo.ForumTag{Name: "t" + string(rune('a'+i))}
	}
	_, err = s.ChannelEditComplex(ideasID, &discordgo.ChannelEdit{AvailableTags: &many})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest {
		t.Errorf("21 tags: err = %v, want 400", err)
	}
	if got := b.fake.ForumTags(ideasID); len(got) != 2 {
		t.Errorf("after a refused PATCH the forum has %d tags, want 2", len(got))
	}

	th, err := s.ForumThreadStartComplex(ideasID, &discordgo.ThreadStart{Name: "Export to Parquet", AppliedTags: []string{planned}},
		&discordgo.MessageSend{Content: "Feedback #1 · 3 votes", AllowedMentions: &discordgo.MessageAllowedMentions{}})
	if err != nil {
		t.Fatal(err)
	}
	if th.ParentID != ideasID || th.Name != "Export to Parquet" || len(th.AppliedTags) != 1 || th.AppliedTags[0] != planned {
		t.Errorf("post = %+v", th)
	}
	first, ok := b.fake.Message(th.ID, th.ID)
	if !ok || first.Content != "Feedback #1 · 3 votes" || first.AuthorID != botID {
		t.Errorf("first message = %+v, %v; want the post's text, with the thread's id, by the bot", first, ok)
	}

	if _, err := s.ForumThreadStartComplex(ideasID, &discordgo.ThreadStart{Name: "x", AppliedTags: []string{"999"}}, &discordgo.MessageSend{Content: "x"}); err == nil {
		t.Error("a post wearing a tag its forum lacks was opened")
	}
	if _, err := s.ForumThreadStartComplex(generalID, &discordgo.ThreadStart{Name: "x"}, &discordgo.MessageSend{Content: "x"}); err != nil {
		// In a text channel Discord starts a thread without a message.
		t.Errorf("thread in a text channel: %v", err)
	}
	if n := len(b.fake.Messages(generalID)); n != 0 {
		t.Errorf("a thread in a text channel left %d messages", n)
	}

	none := []string{}
	if _, err := s.ChannelEditComplex(th.ID, &discordgo.ChannelEdit{AppliedTags: &none}); err != nil {
		t.Fatal(err)
	}
	if posts := b.fake.Posts(ideasID); len(posts) != 1 || len(posts[0].AppliedTags) != 0 {
		t.Errorf("posts = %+v, want the one post, wearing no tag now", posts)
	}
	if _, err := s.ChannelEditComplex(generalID, &discordgo.ChannelEdit{AppliedTags: &none}); err == nil {
		t.Error("a text channel was given tags")
	}
}
