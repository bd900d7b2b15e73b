package main

import (
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
