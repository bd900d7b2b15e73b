package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// eventually polls cond (a database condition, which no fake can signal)
// until it holds, for at most e2eWait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %s", what, e2eWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled waits until the outbox has nothing left to send.
func (e *e2e) settled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		d, err := e.app.DB.OutboxDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if d[store.OutboxPending] == 0 && d[store.OutboxSending] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox did not drain: %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onlyRelay waits for the relay of the one feedback item in #product and
// returns it.
func (e *e2e) onlyRelay(t *testing.T) slackfake.Message {
	t.Helper()
	var relay slackfake.Message
	e.waitSlack(t, "the relay in #product", func() bool {
		msgs := e.slack.Messages("C01PRODUCT")
		if len(msgs) == 1 {
			relay = msgs[0]
		}
		return len(msgs) == 1
	})
	return relay
}

func (e *e2e) items(t *testing.T) []store.FeedbackItem {
	t.Helper()
	items, err := e.app.DB.ListFeedback(context.Background(), store.FeedbackFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// redeliver dispatches MESSAGE_CREATE again for m, as a gateway replay would.
func (e *e2e) redeliver(m discordfake.Message, authorID, author string) {
	e.discord.Dispatch("MESSAGE_CREATE", map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "guild_id": e2eGuild, "content": m.Content, "type": 0,
		"timestamp": m.Timestamp.Format(time.RFC3339Nano), "author": map[string]any{"id": authorID, "username": author},
	})
}

func TestEveryIntakePathThroughTheFakesMakesOneItemAndOneRelay(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)

			// 1. A message in #feedback, delivered four times.
			m1 := e.discord.MessageCreate(e2eFeedback, e2eAlice, "the export is broken on big files")
			for range 3 {
				e.redeliver(m1, e2eAlice, "alice")
			}
			// 2. A message in #general flagged twice, by two people.
			m2 := e.discord.MessageCreate(e2eGeneral, e2eEve, "billing page crashes on Safari")
			e.discord.MessageReactionAdd(e2eGeneral, m2.ID, e2eDave, "📣")
			e.discord.MessageReactionAdd(e2eGeneral, m2.ID, e2eAlice, "📣")
			// 3. A message in #general sent with the Send to product menu.
			m3 := e.discord.MessageCreate(e2eGeneral, e2eAlice, "the mobile app crashes at login")
			e.discord.InteractionCreate(discordfake.NewInteraction{
				Type: discordfake.InteractionApplicationCommand, GuildID: e2eGuild, ChannelID: e2eGeneral, UserID: e2eDave,
				Data: map[string]any{"id": "1", "name": "Send to product", "type": 3, "target_id": m3.ID, "resolved": map[string]any{
					"messages": map[string]any{m3.ID: map[string]any{
						"id": m3.ID, "channel_id": e2eGeneral, "content": m3.Content, "type": 0,
						"timestamp": m3.Timestamp.Format(time.RFC3339Nano), "author": map[string]any{"id": e2eAlice, "username": "alice"},
					}},
				}},
			})
			// 4. carol logs what a customer said on a call, from Slack.
			code, body := e.do(t, e.slack.SlashCommand(e.base, e2eSecret, time.Now(), slack.SlashCommand{
				Command: "/feedback", Text: "SSO login is broken for us from Acme (call with Jane)", UserID: "U01CAROL", UserName: "carol",
				ChannelID: "C01PRODUCT", ChannelName: "product",
			}))
			if code != 200 || !strings.Contains(body, "Logged as feedback #") {
				t.Fatalf("slack /feedback = %d %s", code, body)
			}

			e.waitSlack(t, "four relays in #product", func() bool { return len(e.slack.Messages("C01PRODUCT")) >= 4 })
			e.settled(t)
			if n := len(e.slack.Messages("C01PRODUCT")); n != 4 {
				t.Errorf("%d relays in #product, want 4 (one per item)", n)
			}
			items := e.items(t)
			if len(items) != 4 {
				t.Fatalf("%d items, want 4", len(items))
			}
			intakes := map[string]store.FeedbackItem{}
			for _, it := range items {
				intakes[it.Intake] = it
			}
			if it := intakes["flag"]; it.MessageID != m2.ID || it.Text != m2.Content || it.AuthorName != "eve" || it.LoggedBy != "dave" && it.LoggedBy != "alice" {
				t.Errorf("flagged item = %+v", it)
			}
			if it := intakes["menu"]; it.MessageID != m3.ID || it.LoggedBy != "dave" {
				t.Errorf("menu item = %+v", it)
			}
			if it := intakes["staff"]; it.Customer != "Acme (call with Jane)" || it.LoggedBy != "carol" {
				t.Errorf("staff item = %+v", it)
			}
			if it := intakes["channel"]; it.MessageID != m1.ID {
				t.Errorf("channel item = %+v", it)
			}
		})
	}
}

func TestVotesEditsAndDeletesReachTheRelayThroughTheFakes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			m := e.discord.MessageCreate(e2eFeedback, e2eAlice, "search is slow")
			relay := e.onlyRelay(t)
			// The relay's ts is recorded just after Slack shows it; a person
			// reacts later than that.
			e.settled(t)
			// Votes: eve and dave on Discord, carol on the Slack relay, dave again from Slack.
			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eEve, "👍")
			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eDave, "👍")
			for i, u := range []string{"U01CAROL", "U01DAVE"} {
				code, body := e.do(t, e.slack.Event(e.base, e2eSecret, time.Now(), "T0LIAISON", "EvVote"+u, &slackevents.ReactionAddedEvent{
					Type: "reaction_added", User: u, Reaction: []string{"+1::skin-tone-3", "+1"}[i], EventTimestamp: "1700000000.000200",
					Item: slackevents.Item{Type: "message", Channel: "C01PRODUCT", Timestamp: relay.TS},
				}))
				if code != 200 {
					t.Fatalf("reaction event = %d %s", code, body)
				}
			}
			// Discord's reactions arrive through the gateway, asynchronously.
			eventually(t, "three votes", func() bool { return e.items(t)[0].Votes >= 3 })
			e.settled(t)
			if it := e.items(t)[0]; it.Votes != 3 {
				t.Errorf("votes = %d, want 3: eve, dave, carol (dave once across platforms)", it.Votes)
			}
			e.waitSlack(t, "the relay showing 3 votes", func() bool {
				got, _ := e.slack.Message("C01PRODUCT", relay.TS)
				return got.Edited && strings.Contains(string(got.Blocks), "3")
			})

			e.discord.MessageUpdate(e2eFeedback, m.ID, "search is slow and crashes")
			e.waitSlack(t, "the relay showing the edit", func() bool {
				got, _ := e.slack.Message("C01PRODUCT", relay.TS)
				return strings.Contains(string(got.Blocks), "search is slow and crashes") && strings.Contains(string(got.Blocks), "edited")
			})
			e.discord.MessageDelete(e2eFeedback, m.ID)
			e.waitSlack(t, "the relay marked deleted", func() bool {
				got, _ := e.slack.Message("C01PRODUCT", relay.TS)
				return strings.Contains(string(got.Blocks), "the original message was deleted")
			})
			if n := len(e.slack.Messages("C01PRODUCT")); n != 1 {
				t.Errorf("%d messages in #product, want the one relay, edited in place", n)
			}
		})
	}
}

func TestHostileTextIsRelayedSafelyAndTruncatedWithALink(t *testing.T) {
	t.Parallel()
	e := startE2E(t, store.SQLite)
	hostile := "@everyone <!channel> <!here|here> <@U01CAROL> <!subteam^S1|@team> *bold* ```code``` " + strings.Repeat("the app crashes ", 300)
	e.discord.MessageCreate(e2eFeedback, e2eAlice, hostile)
	relay := e.onlyRelay(t)
	blocks := string(relay.Blocks) + relay.Text
	for _, ping := range []string{"<!channel>", "<!here", "<@U01CAROL>", "<!subteam", "@everyone"} {
		if strings.Contains(blocks, ping) {
			t.Errorf("the relay contains %q, which can ping", ping)
		}
	}
	if !strings.Contains(blocks, "truncated") || !strings.Contains(blocks, "https://discord.com/channels/"+e2eGuild+"/"+e2eFeedback+"/") {
		t.Errorf("the long text is not truncated with a link to the original:\n%.600s", blocks)
	}
	var parsed slack.Blocks
	if err := parsed.UnmarshalJSON(relay.Blocks); err != nil {
		t.Errorf("the relay's blocks do not parse: %v", err)
	}
}

// Feedback posted while Liaison is down (a deploy, a crash) is caught up
// from where the last run left the channel when it starts again: relayed
// once, with nothing handled before relayed twice.
func TestFeedbackPostedWhileLiaisonWasDownIsRelayedAfterARestart(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newE2EWorld(t, dialect)
			e, stop := w.start(t)
			relays := func() []slackfake.Message { return w.slack.Messages("C01PRODUCT") }
			e.discord.MessageCreate(e2eFeedback, e2eAlice, "the export button crashes on big files")
			e.waitSlack(t, "the first relay", func() bool { return len(relays()) == 1 })
			stop()

			w.discord.MessageCreate(e2eFeedback, e2eEve, "search is broken since yesterday")
			w.discord.MessageCreate(e2eGeneral, e2eEve, "anyone around?") // not a feedback channel
			w.discord.MessageCreate(e2eFeedback, e2eAlice, "please add a dark mode")

			e, _ = w.start(t)
			e.waitSlack(t, "the two missed items relayed", func() bool { return len(relays()) >= 3 })
			time.Sleep(200 * time.Millisecond) // a duplicate would come now
			var texts []string
			for _, m := range relays() {
				texts = append(texts, string(m.Blocks))
			}
			if len(texts) != 3 {
				t.Fatalf("%d relays in #product, want 3:\n%s", len(texts), strings.Join(texts, "\n"))
			}
			all := strings.Join(texts, "\n")
			for _, want := range []string{"the export button crashes", "search is broken", "please add a dark mode"} {
				if strings.Count(all, want) != 1 {
					t.Errorf("%q is relayed %d times, want once:\n%s", want, strings.Count(all, want), all)
				}
			}
			items, err := e.app.DB.ListFeedback(context.Background(), store.FeedbackFilter{Limit: 10})
			if err != nil || len(items) != 3 {
				t.Errorf("%d feedback items (%v), want 3", len(items), err)
			}
		})
	}
}

// Two replicas on one Postgres hold one gateway connection between them
// (a lease): events are received once. When the holder stops, the other
// takes the gateway over and catches up on what was said in between.
func TestTwoReplicasShareOneGatewayAndHandItOver(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t, store.Postgres) // several replicas: Postgres only
	// Short enough for a quick hand-over, long enough that a loaded
	// machine (the race detector, parallel tests) renews it in time.
	short := func(a *App) { a.GatewayLeaseTTL = 2 * time.Second }
	a, stopA := w.launch(t, true, short)
	w.launch(t, false, short)
	time.Sleep(2500 * time.Millisecond) // the second replica polls for the lease meanwhile
	if n, c := w.discord.Identifies(), w.discord.Connections(); n != 1 || c != 1 {
		t.Fatalf("%d IDENTIFYs and %d connections with two replicas, want 1 and 1", n, c)
	}
	relays := func() []slackfake.Message { return w.slack.Messages("C01PRODUCT") }
	a.discord.MessageCreate(e2eFeedback, e2eAlice, "the export button crashes on big files")
	a.waitSlack(t, "the first relay", func() bool { return len(relays()) == 1 })

	// The holder stops and gives the gateway up; eve speaks while nobody
	// is connected.
	stopA()
	w.discord.MessageCreate(e2eFeedback, e2eEve, "search is broken since yesterday")
	a.waitDiscord(t, "the second replica to take the gateway over", func() bool {
		// At least one new IDENTIFY: a lease that lapsed under load may
		// change hands more than once; what must hold is one connection
		// and each message relayed once.
		return w.discord.Identifies() >= 2 && w.discord.Connections() == 1
	})
	a.waitSlack(t, "the message said in between relayed", func() bool { return len(relays()) == 2 })
	time.Sleep(200 * time.Millisecond) // a duplicate would come now
	all := ""
	for _, m := range relays() {
		all += string(m.Blocks)
	}
	if n := len(relays()); n != 2 || !strings.Contains(all, "search is broken") {
		t.Errorf("%d relays in #product, want the two:\n%s", n, all)
	}
}
