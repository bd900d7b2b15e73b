package main

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// A 📣 on a message in a Discord thread makes an item that links to the
// message in its thread and names the thread on its relay; a reply drafted
// for it with /liaison reply is posted in the thread, as a reply to it.
// Both fakes, the real clients, `liaison run` (App).
func TestAFlaggedThreadMessageIsAnsweredInItsThreadThroughTheFakes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			start := a.discord.MessageCreate(e2eGeneral, e2eAlice, "has anyone tried the new export?")
			thread := a.discord.StartThread(e2eGeneral, start.ID, "the new export")
			target := a.discord.MessageCreate(thread, e2eEve, "it crashes on big files for me")
			a.discord.MessageReactionAdd(thread, target.ID, e2eAlice, "📣")

			var blocks string
			a.waitSlack(t, "the relay", func() bool {
				msgs := a.slack.Messages("C01PRODUCT")
				if len(msgs) > 0 {
					blocks = string(msgs[0].Blocks)
				}
				return len(msgs) > 0
			})
			link := "https://discord.com/channels/" + e2eGuild + "/" + thread + "/" + target.ID
			for _, want := range []string{"Feedback #1 from", "in #general › the new export", "it crashes on big files for me", link} {
				if !strings.Contains(blocks, want) {
					t.Errorf("relay lacks %q:\n%s", want, blocks)
				}
			}
			it, err := a.app.DB.Feedback(context.Background(), 1)
			if err != nil || it.ChannelID != e2eGeneral || it.ThreadID != thread || it.MessageID != target.ID || it.Permalink != link {
				t.Fatalf("item = %+v, %v", it, err)
			}

			body := a.slashCommand(t, "U01BOB", "reply 1 Thanks, a fix ships on Monday!")
			if !strings.Contains(body, "Draft #1 is waiting for approval") {
				t.Fatalf("/liaison reply answered %s", body)
			}
			// #general's override applies to its threads: two approvals.
			if !strings.Contains(body, "it needs 2 of") {
				t.Errorf("/liaison reply answered %s, want #general's quorum of 2", body)
			}
			m := a.approvalMessage(t, 1)
			a.react(t, m, "U01DAVE", "white_check_mark")
			a.react(t, m, "U01CAROL", "white_check_mark")
			a.waitDiscord(t, "the reply in the thread", func() bool { return len(a.replies(thread)) == 1 })
			reply := a.replies(thread)[0]
			if reply.ChannelID != thread || reply.Content != "<@"+e2eEve+">\nThanks, a fix ships on Monday!" || !strings.Contains(string(reply.AllowedMentions), `"users":["`+e2eEve+`"]`) || reply.Reference == nil || reply.Reference.MessageID != target.ID {
				t.Errorf("reply = %+v (reference %+v), want it in the thread, answering eve's message and pinging her (#general's ping_author)", reply, reply.Reference)
			}
			if n := len(a.replies(e2eGeneral)); n != 0 {
				t.Errorf("%d replies in the parent channel, want none", n)
			}
			if d := a.waitStatus(t, 1, bot.DraftPosted); d.DiscordMessageID != reply.ID {
				t.Errorf("recorded Discord message %q, want %q", d.DiscordMessageID, reply.ID)
			}
			apEventually(t, "the item answered", func() bool {
				it, err := a.app.DB.Feedback(context.Background(), 1)
				return err == nil && it.Status == store.FeedbackAnswered
			})
		})
	}
}
