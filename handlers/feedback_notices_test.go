package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// noticeButtons returns the Approve button of the approval message whose
// outbox key starts with prefix.
func (b *apBundle) approveButton(t *testing.T, prefix string) bot.Button {
	t.Helper()
	_, p := b.lastPost(t, prefix)
	for _, btn := range p.Buttons {
		if btn.Label == "Approve" {
			return btn
		}
	}
	t.Fatalf("the message %s… has no Approve button: %+v", prefix, p)
	return bot.Button{}
}

func (b *apBundle) press(user string, btn bot.Button) (*bot.Reply, error) {
	return b.r.HandleAction(context.Background(), &bot.Action{Delivery: b.key(), ActionID: btn.ActionID, Value: btn.Value, User: apUser(user),
		Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}})
}

func (b *apBundle) vote(t *testing.T, messageID, userID string) {
	t.Helper()
	ev := &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_reaction", Key: fmt.Sprintf("r%d", b.n.Add(1))}}},
		Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: apGuild, ChannelID: apFeedback}, MessageID: messageID,
		User: bot.User{Platform: bot.PlatformDiscord, ID: userID}, Emoji: "👍"}
	if err := b.r.HandleEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// discordPosts returns what the dispatcher sent to Discord under keys
// starting with prefix, decoded, in order.
func (b *apBundle) discordPosts(t *testing.T, prefix string) []bot.Post {
	t.Helper()
	b.sender.mu.Lock()
	defer b.sender.mu.Unlock()
	var out []bot.Post
	for _, m := range b.sender.posts {
		if m.Platform == bot.PlatformDiscord && strings.HasPrefix(m.Key, prefix) {
			var p bot.Post
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
	}
	return out
}

// Shipping an item tells its author and voters in Discord, once the
// notice text is approved: a reply to alice's message pinging exactly her,
// eve and dave (alice's own 👍 is not a vote), and the relay says so.
func TestAShippedItemTellsItsAuthorAndVotersOnceTheTextIsApproved(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		const eve, daveDiscord = "1400000000000000003", "1300000000000000004"
		m := b.target(t, apFeedback, "1500000000000005001", "please add a dark theme")
		b.vote(t, m.ID, apAlice)
		b.vote(t, m.ID, eve)
		b.vote(t, m.ID, daveDiscord)
		b.settle(t)

		reply, err := b.command(t, apCarol, "feedback status 1 shipped")
		if err != nil || reply.Text != "Feedback #1 is shipped (carol) now." {
			t.Fatalf("status = %+v, %v", reply, err)
		}
		b.settle(t)
		if n := len(b.discordPosts(t, "notice:")); n != 0 {
			t.Fatalf("%d notices before the text is approved", n)
		}
		approve := b.approveButton(t, "notice-template:shipped:en:")
		if _, err := b.press(apBob, approve); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("bob (not an approver) approving = %v, want forbidden", err)
		}
		r, err := b.press(apDave, approve)
		if err != nil || r.Text != "You approved the shipped (en) notice text: notices using it are posted; 1 waiting went out now." {
			t.Fatalf("approve = %+v, %v", r, err)
		}
		b.settle(t)
		posts := b.discordPosts(t, "notice:")
		if len(posts) != 1 {
			t.Fatalf("%d notices, want 1", len(posts))
		}
		p := posts[0]
		if p.ChannelID != apFeedback || p.ThreadOf != m.ID || !slices.Equal(p.Notify, []string{apAlice, eve, daveDiscord}) ||
			p.Text != "Good news alice: “please add a dark theme” shipped. Thanks to the 2 of you who asked for it." {
			t.Errorf("notice = %+v", p)
		}
		if len(p.Buttons) != 1 || p.Buttons[0].Label != "Stop telling me" {
			t.Errorf("notice buttons = %+v", p.Buttons)
		}
		_, relay := b.lastPost(t, "relay:1:product")
		if !strings.Contains(apPostText(relay), "Told: shipped: 3 people pinged in Discord (alice and 2 voter(s))") {
			t.Errorf("relay = %s", apPostText(relay))
		}
		// Approved once: the next shipped item is told at once.
		b.target(t, apFeedback, "1500000000000005002", "export to Parquet")
		if _, err := b.command(t, apCarol, "feedback status 2 shipped"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		if posts := b.discordPosts(t, "notice:"); len(posts) != 2 || !slices.Equal(posts[1].Notify, []string{apAlice}) {
			t.Errorf("second notice = %+v", posts)
		}
		if r, err := b.press(apErin, approve); err != nil || !strings.Contains(r.Text, "is approved already") {
			t.Errorf("a late approval = %+v, %v", r, err)
		}
		// The text changes in liaison.yaml: the next run asks for it once,
		// and the changed text's notices wait for that.
		if n, err := b.caps.Templates.AskApprovals(ctx, b.clock.Now()); err != nil || n != 0 {
			t.Fatalf("AskApprovals with known texts = %d, %v; want 0", n, err)
		}
		b.caps.Feedback.cfg.Feedback.Notices = map[string]map[string]string{"shipped": {"en": "Shipped, {author}: {title}."}}
		for i, want := range []int{1, 0} {
			if n, err := b.caps.Templates.AskApprovals(ctx, b.clock.Now()); err != nil || n != want {
				t.Fatalf("AskApprovals run %d after the change = %d, %v; want %d", i+1, n, err, want)
			}
		}
		b.settle(t)
		if _, p := b.lastPost(t, "notice-template:shipped:en:"); p.Quote != "Shipped, {author}: {title}." || len(p.Buttons) != 2 {
			t.Errorf("the changed text's approval message = %+v", p)
		}
	})
}

// A note is user text: a notice with one waits for its own approval, which
// its writer cannot give; eve, who asked not to be told, is not pinged.
func TestANoticeWithANoteIsApprovedOnItsOwnAndOptOutsAreLeftOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		const eve = "1400000000000000003"
		m := b.target(t, apFeedback, "1500000000000005001", "merci de traduire l'application en français")
		b.vote(t, m.ID, eve)
		off, err := b.r.HandleAction(ctx, &bot.Action{Delivery: b.key(), ActionID: "feedback.notices.off", User: bot.User{Platform: bot.PlatformDiscord, ID: eve},
			Place: bot.Place{Platform: bot.PlatformDiscord, ChannelID: apFeedback}})
		if err != nil || !strings.Contains(off.Text, "will not ping you") {
			t.Fatalf("Stop telling me = %+v, %v", off, err)
		}
		if _, err := b.command(t, apCarol, "feedback status 1 declined nous restons en anglais pour l'instant"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		approve := b.approveButton(t, "notice:1:approval")
		if _, err := b.press(apCarol, approve); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("carol approving her own note = %v, want forbidden", err)
		}
		if r, err := b.press(apDave, approve); err != nil || !strings.Contains(r.Text, "telling 1 people") {
			t.Fatalf("approve = %+v, %v", r, err)
		}
		b.settle(t)
		posts := b.discordPosts(t, "notice:")
		if len(posts) != 1 || !slices.Equal(posts[0].Notify, []string{apAlice}) ||
			posts[0].Text != "alice, à propos de « merci de traduire l'application en français » : l'équipe a décidé de ne pas le faire. nous restons en anglais pour l'instant" {
			t.Errorf("notices = %+v", posts)
		}
	})
}

// Pings are split so that no message names more than 100 people or passes
// Discord's 2,000 characters; together they name everyone once.
func TestNoticePingsAreSplitAtDiscordsLimits(t *testing.T) {
	t.Parallel()
	var ids []string
	for i := range 250 {
		ids = append(ids, fmt.Sprintf("14000000000000%05d", i))
	}
	text := strings.Repeat("x", 1500)
	chunks := noticeChunks(text, ids)
	var all []string
	for i, c := range chunks {
		size := 0
		if i == 0 {
			size = len(text) + 1
		}
		for _, id := range c {
			size += len(id) + 4
		}
		if len(c) > 100 || size > 2000 {
			t.Errorf("message %d: %d pings, %d characters", i, len(c), size)
		}
		all = append(all, c...)
	}
	if !slices.Equal(all, ids) || len(chunks) < 3 {
		t.Errorf("%d messages naming %d people, want all 250 once", len(chunks), len(all))
	}
	if c := noticeChunks("short", ids[:150]); len(c) != 2 || len(c[0]) != 82 {
		t.Errorf("150 pings after a short text: %d messages, the first with %d", len(c), len(c[0]))
	}
}
