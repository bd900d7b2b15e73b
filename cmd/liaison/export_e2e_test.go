package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/handlers"
)

// /liaison feedback export in Slack, through slackfake: carol is told the
// file is coming, and it reaches her direct message with Liaison (opened
// with conversations.open), never #product; bad options and people
// outside the staff are refused and get no file.
func TestFeedbackExportFromSlackIsAFileInTheAskersDirectMessage(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			m := e.discord.MessageCreate(e2eFeedback, e2eAlice, "please add a dark theme")
			e.onlyRelay(t)
			e.discord.MessageReactionAdd(e2eFeedback, m.ID, e2eEve, "👍")
			eventually(t, "eve's vote", func() bool { return e.items(t)[0].Votes == 1 })

			for text, want := range map[string]string{
				"feedback export --format xml":  `"xml" is not a format of the export: use csv or json.`,
				"feedback export --since never": `--since "never" is neither a duration (90d) nor a date (2026-11-01).`,
				"feedback export last week":     `"last" is not an option of the export.`,
				"feedback export --since":       "--since needs a value.",
			} {
				if got := e.slashText(t, "U01CAROL", "/liaison", text); !strings.Contains(got, want) {
					t.Errorf("/liaison %s = %q, want %q", text, got, want)
				}
			}
			e.slack.AddUser("U0MALLORY", "mallory", false) // in the workspace, not on the staff
			if got := e.slashText(t, "U0MALLORY", "/liaison", "feedback export"); !strings.Contains(got, "xporting feedback") {
				t.Errorf("mallory's export = %q, want a refusal naming the action", got)
			}

			got := e.slashText(t, "U01CAROL", "/liaison", "feedback export --since 7d --format json")
			if !strings.HasPrefix(got, "Exporting 1 feedback item(s) created since ") || !strings.Contains(got, ".json comes to you in a direct message from Liaison.") {
				t.Fatalf("export answer = %q", got)
			}
			var dm slackfake.Message
			e.waitSlack(t, "the file in carol's direct message", func() bool {
				msgs := e.slack.Messages("D01CAROL")
				if len(msgs) == 1 {
					dm = msgs[0]
				}
				return len(msgs) == 1 && len(msgs[0].Files) == 1
			})
			f, _ := e.slack.File(dm.Files[0].ID)
			var items []handlers.ExportedFeedback
			if err := json.Unmarshal(f.Data, &items); err != nil {
				t.Fatalf("the file is not the JSON export: %v\n%s", err, f.Data)
			}
			if len(items) != 1 || items[0].ID != 1 || items[0].Text != "please add a dark theme" || items[0].Votes != 1 || len(items[0].Voters) != 1 {
				t.Errorf("exported %+v, want item 1 with eve's vote", items)
			}
			if !strings.HasSuffix(f.Name, ".json") || !strings.Contains(dm.Text, "Your feedback export") {
				t.Errorf("file %q with comment %q", f.Name, dm.Text)
			}
			e.settled(t)
			for _, ch := range []string{"C01PRODUCT", "D0MALLORY"} {
				for _, msg := range e.slack.Messages(ch) {
					if len(msg.Files) > 0 {
						t.Errorf("a file in %s: %+v", ch, msg.Files)
					}
				}
			}
		})
	}
}
