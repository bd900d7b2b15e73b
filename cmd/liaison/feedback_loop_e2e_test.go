package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Feedback logged with Slack's /feedback: its relay offers no Draft reply
// (there is no Discord message to answer) and the item links to the Slack
// message that logged it, as Slack gives its address.
func TestSlackLoggedFeedbackLinksToItsRelayAndOffersNoDraftReply(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			if got := e.slashText(t, "U01CAROL", "/feedback", "from"); !strings.Contains(got, "Say who it is from") {
				t.Errorf("/feedback from = %q, want a refusal", got)
			}
			if got := e.slashText(t, "U01CAROL", "/feedback", "exports time out from Acme"); got != "Logged as feedback #1." {
				t.Fatalf("/feedback = %q", got)
			}
			relay := e.onlyRelay(t)
			e.settled(t)
			if blocks := string(relay.Blocks); strings.Contains(blocks, "Draft reply") || strings.Contains(blocks, "feedback.draft") || !strings.Contains(blocks, "Acknowledge") {
				t.Errorf("relay of a Slack-logged item:\n%s\nwant Acknowledge and no Draft reply", blocks)
			}
			link := "https://" + slackfake.TeamDomain + ".slack.com/archives/C01PRODUCT/p" + strings.ReplaceAll(relay.TS, ".", "")
			if got := e.slashText(t, "U01CAROL", "/liaison", "feedback show 1"); !strings.Contains(got, link) {
				t.Errorf("feedback show 1 = %q, want the relay's link %s", got, link)
			}
			if it := e.items(t)[0]; it.Permalink != link || it.Customer != "Acme" {
				t.Errorf("item permalink %q customer %q", it.Permalink, it.Customer)
			}
		})
	}
}

// alice's 👍 on her own message is not a vote; eve's is.
func TestAnAuthorsOwnVoteDoesNotCountThroughTheFakes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			m := e.discord.MessageCreate(e2eFeedback, e2eAlice, "search is slow")
			e.onlyRelay(t)
			e.settled(t)
			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eAlice, "👍")
			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eEve, "👍")
			eventually(t, "eve's vote", func() bool { return e.items(t)[0].Votes >= 1 })
			time.Sleep(200 * time.Millisecond) // alice's reaction, sent first, has had its turn
			e.settled(t)
			if it := e.items(t)[0]; it.Votes != 1 {
				t.Errorf("votes = %d, want 1 (eve; alice's own does not count)", it.Votes)
			}
		})
	}
}

// messageKeyed waits for the message in #approvals whose outbox
// key starts with prefix, recorded as sent.
func (a *apApp) messageKeyed(t *testing.T, prefix string) slackfake.Message {
	t.Helper()
	var m slackfake.Message
	apEventually(t, "the message "+prefix+"…", func() bool {
		for _, msg := range a.slack.Messages(apE2EApprovals) {
			if msg.Metadata == nil {
				continue
			}
			if k, _ := msg.Metadata.EventPayload["key"].(string); strings.HasPrefix(k, prefix) {
				m = msg
				return true
			}
		}
		return false
	})
	return m
}

// When the team ships alice's item, the notice text approved by dave in
// Slack, Discord gets one reply to her message whose allowed_mentions name
// exactly alice and her voters (her own 👍 is no vote).
func TestAShippedItemNotifiesItsAuthorAndVotersInDiscord(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := newAPWorld(t, dialect).start(t)
			m := a.discord.MessageCreate(e2eFeedback, e2eAlice, "please add a dark theme")
			a.waitSlack(t, "the relay", func() bool { return len(a.slack.Messages("C01PRODUCT")) == 1 })
			for _, u := range []string{e2eAlice, e2eEve, e2eDave} {
				a.discord.MessageReactionAdd(e2eFeedback, m.ID, u, "👍")
			}
			apEventually(t, "two votes", func() bool {
				it, err := a.app.DB.Feedback(context.Background(), 1)
				return err == nil && it.Votes == 2
			})
			if body := a.slashCommand(t, "U01CAROL", "feedback status 1 shipped"); !strings.Contains(body, "Feedback #1 is shipped (carol) now.") {
				t.Fatalf("status = %s", body)
			}
			tpl := a.messageKeyed(t, "notice-template:shipped:en:")
			if n := len(a.replies(e2eFeedback)); n != 0 {
				t.Fatalf("%d notices before the text is approved", n)
			}
			a.click(t, tpl, "U01DAVE", "feedback.notice", buttonValue(t, tpl, "feedback.notice"))
			a.waitDiscord(t, "the notice", func() bool { return len(a.replies(e2eFeedback)) == 1 })
			n := a.replies(e2eFeedback)[0]
			var am struct {
				Parse []string `json:"parse"`
				Users []string `json:"users"`
			}
			if err := json.Unmarshal(n.AllowedMentions, &am); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(am.Users, []string{e2eAlice, e2eEve, e2eDave}) || len(am.Parse) != 0 {
				t.Errorf("allowed_mentions = %s, want exactly alice, eve and dave", n.AllowedMentions)
			}
			if n.Reference == nil || n.Reference.MessageID != m.ID || !strings.Contains(n.Content, "Good news alice: “please add a dark theme” shipped. Thanks to the 2 of you who asked for it.") {
				t.Errorf("notice = %q (reference %+v), want a reply to alice's message", n.Content, n.Reference)
			}
			a.waitSlack(t, "the relay saying who was told", func() bool {
				r := a.slack.Messages("C01PRODUCT")[0]
				return strings.Contains(string(r.Blocks), "3 people pinged in Discord")
			})
		})
	}
}

// A second report of the same crash is offered as a duplicate on its
// relay; one click in Slack merges it: its relay says so and points to
// the first one's, the first one's counts its author, and a later 👍 on
// the duplicate's message in Discord counts for the first.
func TestADuplicateIsMergedFromItsRelayThroughTheFakes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			e.discord.MessageCreate(e2eFeedback, e2eAlice, "The export button crashes on big files")
			e.waitSlack(t, "the first relay", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 1 })
			dup := e.discord.MessageCreate(e2eFeedback, e2eEve, "export crashes with big files")
			e.waitSlack(t, "the second relay", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 2 })
			e.settled(t)
			msgs := e.slack.Messages("C01PRODUCT")
			first, second := msgs[0], msgs[1]
			if b := string(second.Blocks); !strings.Contains(b, "Looks like #1 (0.78)") || !strings.Contains(b, "Merge into #1") {
				t.Fatalf("the second relay does not offer the merge:\n%s", b)
			}
			e.clickRelay(t, "U01CAROL", "carol", second.TS, "feedback.merge", "2:1")
			e.waitSlack(t, "the duplicate's relay edited", func() bool {
				m, _ := e.slack.Message("C01PRODUCT", second.TS)
				return strings.Contains(string(m.Blocks), "duplicate of #1") && strings.Contains(string(m.Blocks), "/p"+strings.ReplaceAll(first.TS, ".", ""))
			})
			e.waitSlack(t, "the first relay counting eve", func() bool {
				m, _ := e.slack.Message("C01PRODUCT", first.TS)
				return strings.Contains(string(m.Blocks), "Duplicates") && strings.Contains(string(m.Blocks), "#2")
			})
			e.discord.MessageReactionAdd(e2eFeedback, dup.ID, e2eDave, "👍")
			eventually(t, "dave's vote on #2 counted for #1", func() bool {
				it, err := e.app.DB.Feedback(context.Background(), 1)
				return err == nil && it.Votes == 2
			})
		})
	}
}

// The relay's Status menu, through slackfake: in progress is set with a
// click, and the relay shows it.
func TestTheStatusMenuSetsAStatusThroughTheFakes(t *testing.T) {
	t.Parallel()
	e := startE2E(t, storetest.Dialects()[len(storetest.Dialects())-1])
	e.discord.MessageCreate(e2eFeedback, e2eAlice, "please add a dark theme")
	relay := e.onlyRelay(t)
	e.settled(t)
	if !strings.Contains(string(relay.Blocks), "feedback.status") {
		t.Fatalf("the relay has no Status button:\n%s", relay.Blocks)
	}
	e.clickRelay(t, "U01CAROL", "carol", relay.TS, "feedback.setstatus", "1:in-progress")
	e.waitSlack(t, "the relay showing in progress", func() bool {
		m, _ := e.slack.Message("C01PRODUCT", relay.TS)
		return m.Edited && strings.Contains(string(m.Blocks), "in progress (carol)")
	})
	if it := e.items(t)[0]; it.Status != "in-progress" {
		t.Errorf("status = %q", it.Status)
	}
}
