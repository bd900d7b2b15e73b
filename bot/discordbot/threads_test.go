package discordbot_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// A reaction on a message in a thread names the thread as well as its
// parent channel, and the message reads back from the thread: the read
// from the parent is Discord's Unknown Message.
func TestAReactionInAThreadNamesTheThreadTheMessageReadsBackFrom(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	start := b.fake.MessageCreate(feedbackID, aliceID, "the export crashes")
	recvAs[*bot.Message](t, b.rec.events, "the channel's message")
	thread := b.fake.StartThread(feedbackID, start.ID, "the export crashes")
	in := b.fake.MessageCreate(thread, malloryID, "same here on Firefox")
	m := recvAs[*bot.Message](t, b.rec.events, "the thread's message")
	if m.ChannelID != feedbackID || m.ThreadID != thread || m.ThreadName != "the export crashes" || m.Title != "" || m.ThreadStart {
		t.Errorf("message in the thread = %+v", m)
	}
	b.fake.MessageReactionAdd(thread, in.ID, aliceID, "📣")
	r := recvAs[*bot.Reaction](t, b.rec.events, "the reaction in the thread")
	if r.ChannelID != feedbackID || r.ChannelName != "feedback" || r.ThreadID != thread || r.MessageID != in.ID {
		t.Errorf("reaction in the thread = %+v, want the parent as its place and the thread in ThreadID", r)
	}
	got, err := b.adapter.Message(context.Background(), r.ThreadID, r.MessageID)
	if err != nil || got.Text != "same here on Firefox" || got.ThreadID != thread || got.ChannelID != feedbackID || got.ThreadName != "the export crashes" {
		t.Errorf("Message(thread) = %+v, %v", got, err)
	}
	if _, err := b.adapter.Message(context.Background(), feedbackID, in.ID); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("Message(parent, thread message) = %v, want not found, as Discord answers", err)
	}
}

// A forum post's opening message carries the post's title; its replies
// are in the post, without one. Read back, the opening message has it too.
func TestAForumPostsOpeningMessageCarriesItsTitle(t *testing.T) {
	t.Parallel()
	const ideasID = "110000000000000077"
	fake := newFake(t)
	fake.AddChannel(guildID, discordfake.Channel{ID: ideasID, Name: "ideas", Type: discordfake.ChannelTypeGuildForum})
	b := setupOn(t, fake, nil)
	post := b.fake.ForumPost(ideasID, aliceID, "Export to Parquet", "please let us export reports as Parquet")
	first := recvAs[*bot.Message](t, b.rec.events, "the post's opening message")
	if first.ID != post.ID || first.ThreadID != post.ID || first.ChannelID != ideasID || first.ChannelName != "ideas" ||
		first.Title != "Export to Parquet" || first.ThreadName != "Export to Parquet" || first.Text != "please let us export reports as Parquet" || !first.ThreadStart {
		t.Errorf("opening message = %+v", first)
	}
	b.fake.MessageCreate(post.ChannelID, malloryID, "yes please")
	reply := recvAs[*bot.Message](t, b.rec.events, "a reply in the post")
	if reply.ThreadID != post.ID || reply.Title != "" || reply.ThreadStart || reply.ChannelID != ideasID {
		t.Errorf("reply in the post = %+v", reply)
	}
	got, err := b.adapter.Message(context.Background(), post.ChannelID, post.ID)
	if err != nil || got.Title != "Export to Parquet" || got.ThreadID != post.ID || got.ChannelID != ideasID {
		t.Errorf("Message(post) = %+v, %v", got, err)
	}
}

// "Send to product" on a message in a forum post carries the message as
// the gateway would give it: in the post (its title on the opening
// message), under the forum.
func TestSendToProductInAForumPostCarriesThePost(t *testing.T) {
	t.Parallel()
	const ideasID = "110000000000000078"
	fake := newFake(t)
	fake.AddChannel(guildID, discordfake.Channel{ID: ideasID, Name: "ideas", Type: discordfake.ChannelTypeGuildForum})
	rec := newHandler(nil)
	b := setupOn(t, fake, rec)
	post := b.fake.ForumPost(ideasID, malloryID, "Dark mode", "please add a dark theme")
	recvAs[*bot.Message](t, rec.events, "the post")
	b.fake.InteractionCreate(discordfake.NewInteraction{
		Type: discordfake.InteractionApplicationCommand, GuildID: guildID, ChannelID: post.ChannelID, UserID: aliceID,
		Data: map[string]any{"id": "1", "name": "Send to product", "type": 3, "target_id": post.ID, "resolved": map[string]any{
			"messages": map[string]any{post.ID: map[string]any{
				"id": post.ID, "channel_id": post.ChannelID, "content": post.Content, "type": 0,
				"timestamp": post.Timestamp.Format(time.RFC3339Nano), "author": map[string]any{"id": malloryID, "username": "mallory"},
			}},
		}},
	})
	c := recv(t, rec.commands, "the menu command")
	tg := c.Target
	if tg == nil || tg.ChannelID != ideasID || tg.ThreadID != post.ID || tg.Title != "Dark mode" || tg.Text != "please add a dark theme" ||
		tg.Permalink != "https://discord.com/channels/"+guildID+"/"+post.ID+"/"+post.ID {
		t.Errorf("target = %+v", tg)
	}
}
