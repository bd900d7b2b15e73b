package discordbot_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

func TestMessageReadsAFlaggedMessageBackAsTheGatewayWouldGiveIt(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	m := b.fake.AddMessage(generalID, malloryID, "please add dark mode", time.Now().Add(-time.Hour))
	// The channel's name comes from the session's state, filled from
	// GUILD_CREATE shortly after READY: wait for it, bounded.
	var got *bot.Message
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if got, err = b.adapter.Message(context.Background(), generalID, m.ID); err != nil {
			t.Fatal(err)
		}
		if got.ChannelName != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got.ID != m.ID || got.Text != "please add dark mode" || got.Author.ID != malloryID || got.ChannelID != generalID ||
		got.ChannelName != "general" || got.ScopeID != guildID || got.Permalink != "https://discord.com/channels/"+guildID+"/"+generalID+"/"+m.ID {
		t.Errorf("Message = %+v", got)
	}
	if _, err := b.adapter.Message(context.Background(), generalID, "123456789012345678"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("an unknown message: %v, want not found", err)
	}
}

func TestMessageSaysWhenItsThreadIsLockedOrArchived(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, tt := range []struct {
		id               string
		archived, locked bool
	}{{"110000000000000101", false, false}, {"110000000000000102", true, false}, {"110000000000000103", false, true}} {
		b.fake.AddChannel(guildID, discordfake.Channel{ID: tt.id, Name: "thread", Type: 11, ParentID: feedbackID, Archived: tt.archived, Locked: tt.locked})
		m := b.fake.AddMessage(tt.id, malloryID, "in a thread", time.Now())
		got, err := b.adapter.Message(context.Background(), tt.id, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := tt.archived || tt.locked; got.Closed != want {
			t.Errorf("thread archived=%v locked=%v: Closed = %v, want %v", tt.archived, tt.locked, got.Closed, want)
		}
	}
}
