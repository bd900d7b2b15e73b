package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// inThread is m as the Discord adapter delivers a message posted in thread
// (a thread or forum post under m's channel): the parent as its place, the
// thread in ThreadID, and the thread's channel in its link.
func inThread(m *bot.Message, thread, name string) *bot.Message {
	m.ThreadID, m.ThreadName = thread, name
	m.Permalink = fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guild, thread, m.ID)
	return m
}

// A forum post under a watched channel is one item: its title and its
// text. The replies in it are its discussion, not items, until someone
// flags one.
func TestAForumPostIsOneItemAndItsRepliesAreItsDiscussion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		const post = "7001"
		opening := inThread(discordMsg(feedbackCh, post, aliceID, "alice", "please let us export reports as Parquet"), post, "Export to Parquet")
		opening.Title, opening.ThreadStart = "Export to Parquet", true
		b.event(t, opening)
		reply := inThread(discordMsg(feedbackCh, "7002", eveID, "eve", "yes please, the export crashes with CSV anyway"), post, "Export to Parquet")
		b.event(t, reply)
		b.event(t, inThread(discordMsg(feedbackCh, "7003", aliceID, "alice", "thanks!"), post, "Export to Parquet"))

		it := b.only(t)
		if it.Title != "Export to Parquet" || it.Text != "please let us export reports as Parquet" || it.ThreadID != post || it.ThreadName != "Export to Parquet" ||
			it.ChannelID != feedbackCh || it.MessageID != post || it.Permalink != opening.Permalink {
			t.Errorf("item = %+v", it)
		}
		ob := b.outbox(t)
		if len(ob) != 1 {
			t.Fatalf("%d outbox messages, want the post's relay alone", len(ob))
		}
		p := ob[0].post
		if want := fmt.Sprintf("Feedback #%d from alice in #feedback › Export to Parquet", it.ID); p.Title != want {
			t.Errorf("relay title %q, want %q", p.Title, want)
		}
		if p.Quote != "Export to Parquet\nplease let us export reports as Parquet" || p.Link == nil || p.Link.URL != opening.Permalink {
			t.Errorf("relay quote %q link %+v", p.Quote, p.Link)
		}

		// eve's reply, flagged, is an item of its own, read from the post.
		b.msgs[post+"/7002"] = reply
		flag := reaction(bot.PlatformDiscord, feedbackCh, "7002", daveDiscord, "📣")
		flag.ThreadID = post
		b.event(t, flag)
		items, err := db.ListFeedback(context.Background(), store.FeedbackFilter{})
		if err != nil || len(items) != 2 {
			t.Fatalf("%d items, %v; want the post and the flagged reply", len(items), err)
		}
		flagged := items[0]
		if flagged.Intake != "flag" || flagged.Text != reply.Text || flagged.Title != "" || flagged.ThreadID != post || flagged.MessageID != "7002" {
			t.Errorf("flagged reply = %+v", flagged)
		}
	})
}

// A 📣 on a message in a thread reads the message from the thread and
// makes an item that links to it there; a vote on it counts; and the item
// of a message in a thread is found by the thread's channel, as a draft
// names it.
func TestAFlagInAThreadMakesAnItemOfTheThreadsMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		const thread = "8001" // started on message 8001 of #general
		m := inThread(discordMsg(generalCh, "8002", eveID, "eve", "the export crashes on big files"), thread, "has anyone tried the export?")
		b.msgs[thread+"/8002"] = m
		b.event(t, m) // #general is not watched: not an item by itself
		if items, _ := db.ListFeedback(context.Background(), store.FeedbackFilter{}); len(items) != 0 {
			t.Fatalf("%d items before the flag", len(items))
		}
		flag := reaction(bot.PlatformDiscord, generalCh, "8002", aliceID, "📣")
		flag.ThreadID = thread
		b.event(t, flag)
		it := b.only(t)
		if it.ChannelID != generalCh || it.ThreadID != thread || it.MessageID != "8002" || it.Permalink != m.Permalink || it.Intake != "flag" {
			t.Errorf("item = %+v", it)
		}
		if p := b.outbox(t)[0].post; p.Title != fmt.Sprintf("Feedback #%d from eve in #general › has anyone tried the export?", it.ID) {
			t.Errorf("relay title %q", p.Title)
		}
		vote := reaction(bot.PlatformDiscord, generalCh, "8002", daveDiscord, "👍")
		vote.ThreadID = thread
		b.event(t, vote)
		if got := b.only(t); got.Votes != 1 {
			t.Errorf("votes = %d, want 1", got.Votes)
		}
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			got, err := b.caps.Feedback.ItemOfDiscordMessage(context.Background(), tx, thread, "8002")
			if err == nil && got.ID != it.ID {
				err = fmt.Errorf("item %d, want %d", got.ID, it.ID)
			}
			return err
		})
		if err != nil {
			t.Errorf("ItemOfDiscordMessage(thread, message): %v", err)
		}
	})
}

// /liaison reply on a forum post's item drafts a reply to the post's
// opening message, in the post: approved, it is published into the post's
// channel as a reply to that message, and answers the item.
func TestAReplyToAForumPostItemIsPublishedInThePost(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		const post = "1500000000000009001"
		m := &bot.Message{
			Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: post}}},
			Place:    bot.Place{Platform: bot.PlatformDiscord, ScopeID: apGuild, ChannelID: apFeedback, ChannelName: "feedback"},
			ID:       post, ThreadID: post, ThreadName: "Export to Parquet", Title: "Export to Parquet", ThreadStart: true,
			Text: "please let us export reports as Parquet", Author: bot.User{Platform: bot.PlatformDiscord, ID: apAlice, Name: "alice"},
			Permalink: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", apGuild, post, post),
		}
		b.msgs.mu.Lock()
		b.msgs.m[post+"/"+post] = m // the message lives in the post's channel only
		b.msgs.mu.Unlock()
		if err := b.r.HandleEvent(ctx, m); err != nil {
			t.Fatal(err)
		}
		reply, err := b.command(t, apCarol, "reply 1 Thanks alice, Parquet is planned.")
		if err != nil || reply.Text != "Draft #1 is waiting for approval in #approvals: it needs 1 of carol, dave, erin — carol wrote this version, so only dave or erin can approve it." {
			t.Fatalf("/liaison reply = %+v, %v", reply, err)
		}
		b.settle(t)
		d := b.get(t, 1)
		if d.TargetChannelID != post || d.TargetMessageID != post || d.FeedbackID == nil || *d.FeedbackID != 1 {
			t.Errorf("draft target %s/%s feedback %v, want the post's message in the post", d.TargetChannelID, d.TargetMessageID, d.FeedbackID)
		}
		if _, err := b.click(d, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		if _, p := b.lastPost(t, "publish:1"); p.ChannelID != post || p.ThreadOf != post || p.Text != "Thanks alice, Parquet is planned." {
			t.Errorf("publish = %+v, want it in the post, answering its opening message", p)
		}
		if it, _ := db.Feedback(ctx, 1); it.Status != store.FeedbackAnswered {
			t.Errorf("item %s, want answered", it.Status)
		}
	})
}

// A draft answering a message in a thread follows the approval policy of
// the channel the thread is under (#announcements: everyone but the
// drafter approves, and the reply pings the author), whether it was
// drafted on the thread message's item or from its link.
func TestADraftInAThreadFollowsItsParentChannelsApprovalOverride(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		const thread, msg = "1500000000000008001", "1500000000000008002"
		m := &bot.Message{
			Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: msg}}},
			Place:    bot.Place{Platform: bot.PlatformDiscord, ScopeID: apGuild, ChannelID: apAnnounce, ChannelName: "announcements"},
			ID:       msg, ThreadID: thread, ThreadName: "v2 launch", Text: "will v2 export to Parquet?",
			Author:    bot.User{Platform: bot.PlatformDiscord, ID: apAlice, Name: "alice"},
			Permalink: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", apGuild, thread, msg),
		}
		b.msgs.mu.Lock()
		b.msgs.m[thread+"/"+msg] = m // the message lives in the thread's channel
		b.msgs.mu.Unlock()
		flag := &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_reaction", Key: "r1"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: apGuild, ChannelID: apAnnounce}, ThreadID: thread, MessageID: msg,
			User: bot.User{Platform: bot.PlatformDiscord, ID: "1300000000000000004", Name: "dave"}, Emoji: "📣"}
		if err := b.r.HandleEvent(ctx, flag); err != nil {
			t.Fatal(err)
		}
		const want = "Draft #1 is waiting for approval in #approvals: it needs all of carol, dave, erin."
		reply, err := b.command(t, apBob, "reply 1 Yes, Parquet comes with v2.")
		if err != nil || reply.Text != want {
			t.Fatalf("/liaison reply = %+v, %v\nwant %q", reply, err, want)
		}
		b.settle(t)
		d := b.get(t, 1)
		if d.TargetChannelID != thread || d.TargetParentID != apAnnounce || d.PolicyChannel() != apAnnounce {
			t.Errorf("draft target %s parent %s, want the thread under #announcements", d.TargetChannelID, d.TargetParentID)
		}
		for i, who := range []string{apCarol, apDave, apErin} {
			if _, err := b.click(d, who, "approvals.approve"); err != nil {
				t.Fatal(err)
			}
			b.settle(t)
			if got := b.get(t, 1).Status; (got == bot.DraftPosted) != (i == 2) {
				t.Fatalf("after %d approvals the draft is %s", i+1, got)
			}
		}
		if _, p := b.lastPost(t, "publish:1"); p.ChannelID != thread || p.ThreadOf != msg || !slices.Equal(p.Notify, []string{apAlice}) {
			t.Errorf("publish = %+v, want a reply in the thread pinging alice (ping_author of #announcements)", p)
		}

		// Drafted from the message's link: the same policy.
		link := fmt.Sprintf("https://discord.com/channels/%s/%s/%s", apGuild, thread, msg)
		reply, err = b.command(t, apCarol, "draft "+link+" And CSV stays.")
		if err != nil || !strings.Contains(reply.Text, "it needs all of carol, dave, erin") {
			t.Fatalf("/liaison draft = %+v, %v", reply, err)
		}
		if d := b.get(t, 2); d.TargetParentID != apAnnounce {
			t.Errorf("draft 2 parent %q, want #announcements", d.TargetParentID)
		}
	})
}
