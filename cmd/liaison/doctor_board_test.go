package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store"
)

const docBoard = "1100000000000000006"

// liaison doctor checks the status board: a forum with Liaison's status
// tags (or room for them); a text channel named as the board fails with
// the fix, a forum without room for the tags is a warning.
func TestDoctorChecksTheStatusBoard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		channel discordfake.Channel
		want    status
		says    string
	}{
		{"a forum", discordfake.Channel{Type: discordfake.ChannelTypeGuildForum}, statusOK, "a forum; Liaison adds the tags Open, Planned, In progress, Shipped, Declined with its first post"},
		{"a text channel", discordfake.Channel{}, statusFail, "#ideas-board is not a forum channel: the status board gives each item a post"},
		{"a full forum", discordfake.Channel{Type: discordfake.ChannelTypeGuildForum, AvailableTags: twentyTags()}, statusWarn, "the forum has 20 tags and lacks Open, Planned, In progress, Shipped, Declined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newDoctorWorld(t, store.SQLite)
			tc.channel.ID, tc.channel.Name = docBoard, "ideas-board"
			w.discord.AddChannel(docGuild, tc.channel)
			w.rewriteConfig(t, `mod-log: "`+docModLog+`"}`, `mod-log: "`+docModLog+`", ideas-board: "`+docBoard+`"}`)
			w.rewriteConfig(t, "  channels: [feedback]\n  default_to: product\n", "  channels: [feedback]\n  default_to: product\n  board: discord:ideas-board\n")
			_, r, out := w.doctor(t, "--only", "discord")
			c, ok := r.check("discord.board." + docGuild)
			if !ok {
				t.Fatalf("no board check:\n%s", out)
			}
			if c.Status != tc.want || !strings.Contains(c.Message, tc.says) || (tc.want != statusOK && c.Fix == "") {
				t.Errorf("board check = %+v, want %v saying %q, with a fix unless ok", c, tc.want, tc.says)
			}
		})
	}
}

func twentyTags() []discordfake.ForumTag {
	var tags []discordfake.ForumTag
	for i := range 20 {
		tags = append(tags, discordfake.ForumTag{ID: fmt.Sprintf("15000000000000000%02d", i), Name: fmt.Sprintf("topic %d", i)})
	}
	return tags
}
