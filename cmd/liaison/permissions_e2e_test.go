package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// clickRelay clicks, as the Slack user id (name), the button actionID
// with value on the relay ts in #product.
func (e *e2e) clickRelay(t *testing.T, id, name, ts, actionID, value string) {
	t.Helper()
	req := e.slack.Interaction(e.base, e2eSecret, time.Now(), &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: id, Name: name},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C01PRODUCT"}}},
		Container: slack.Container{Type: "message", MessageTs: ts, ChannelID: "C01PRODUCT"},
		Message:   slack.Message{Msg: slack.Msg{Timestamp: ts}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: actionID, BlockID: "actions", Value: value, Type: "button"}}},
	})
	if code, body := e.do(t, req); code != 200 {
		t.Fatalf("the click on %s answered %d %s", actionID, code, body)
	}
}

// slashText runs a Slack slash command as user and returns the text Slack
// shows them.
func (e *e2e) slashText(t *testing.T, user, command, text string) string {
	t.Helper()
	code, body := e.do(t, e.slack.SlashCommand(e.base, e2eSecret, time.Now(), slack.SlashCommand{
		Command: command, Text: text, UserID: user, ChannelID: "C01PRODUCT", ChannelName: "product",
		TriggerID: "trig-" + user + "-" + text + time.Now().Format(time.RFC3339Nano),
	}))
	if code != 200 {
		t.Fatalf("%s %s %s = %d %s", user, command, text, code, body)
	}
	var msg slack.WebhookMessage
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatalf("%s %s %s answered %q: %v", user, command, text, body, err)
	}
	if msg.ResponseType == slack.ResponseTypeInChannel {
		t.Errorf("%s %s %s was answered in the channel, want to %s alone", user, command, text, user)
	}
	return msg.Text
}

func TestASlackUserOutsideTheStaffIsRefusedAndNothingChanges(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			e.slack.AddUser("U0MALLORY", "mallory", false) // in the workspace, not in people:
			ctx := context.Background()

			e.discord.MessageCreate(e2eFeedback, e2eAlice, "the export button crashes on big files")
			relay := e.onlyRelay(t)
			e.settled(t)
			before, err := e.app.DB.OutboxEntries(ctx)
			if err != nil {
				t.Fatal(err)
			}

			// mallory clicks Close on the relay: she alone is told who may.
			const want = "Closing feedback is for staff: carol or dave. Nothing was changed; ask one of them, or an admin to change permissions: in liaison.yaml."
			seen := len(e.slack.Responses())
			e.clickRelay(t, "U0MALLORY", "mallory", relay.TS, "feedback.close", "1")
			e.waitSlack(t, "mallory to be told who may close", func() bool {
				for _, r := range e.slack.Responses()[seen:] {
					if r.Text == want && r.ResponseType != "in_channel" && !r.ReplaceOriginal && !r.DeleteOriginal {
						return true
					}
				}
				return false
			})
			if got := e.slashText(t, "U0MALLORY", "/liaison", "feedback close 1 spam"); got != want {
				t.Errorf("mallory's /liaison feedback close = %q, want %q", got, want)
			}
			// Her help lists only what she may run.
			if got := e.slashText(t, "U0MALLORY", "/liaison", "help"); !strings.Contains(got, "\nCommands:\n  /liaison help [command] — ") ||
				strings.Count(got, "\n  /liaison ") != 1 || !strings.Contains(got, "For others: ") {
				t.Errorf("mallory's help =\n%s", got)
			}

			items := e.items(t)
			if len(items) != 1 || items[0].Status != store.FeedbackOpen || items[0].HandledBy != "" || items[0].ClosedAt != nil {
				t.Errorf("items after the refusals = %+v, want feedback #1 still open", items)
			}
			if hist, _ := e.app.DB.FeedbackHistory(ctx, items[0].ID); len(hist) != 0 {
				t.Errorf("the refusals wrote history: %+v", hist)
			}
			after, err := e.app.DB.OutboxEntries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Errorf("the refusals enqueued %d outbox messages", len(after)-len(before))
			}
			if m, _ := e.slack.Message("C01PRODUCT", relay.TS); m.Edited {
				t.Errorf("the relay was edited after a refusal: %s", m.Blocks)
			}

			// carol, staff, may.
			if got := e.slashText(t, "U01CAROL", "/liaison", "feedback close 1 fixed"); got != "Feedback #1 is closed." {
				t.Errorf("carol's /liaison feedback close = %q", got)
			}
			e.waitSlack(t, "the relay showing carol closed it", func() bool {
				m, _ := e.slack.Message("C01PRODUCT", relay.TS)
				return m.Edited && strings.Contains(string(m.Blocks), "closed by carol: fixed")
			})
		})
	}
}
