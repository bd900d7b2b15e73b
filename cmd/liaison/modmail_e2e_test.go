package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Modmail end to end: a member's DMs through discordfake, staff in
// slackfake, `liaison run` between them, on both databases.

func newMMWorld(t *testing.T) *mdWorld {
	t.Helper()
	w := newMDWorld(t)
	if err := os.WriteFile(w.config, []byte(mdConfig+"  modmail: {slack: mod-log}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// liaison runs /liaison text in Slack as user and returns the answer.
func (w *mdWorld) liaison(t *testing.T, base, user, text string) string {
	t.Helper()
	w.clock.Advance(2 * time.Second) // Slack paces posts per channel, by this clock
	req := w.slack.SlashCommand(base, mdSecret, w.clock.Now(), slack.SlashCommand{
		Command: "/liaison", Text: text, UserID: user, ChannelID: "C01MODLOG", ChannelName: "mod-log"})
	return w.send(t, req)
}

func (w *mdWorld) send(t *testing.T, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered %d %s", req.URL.Path, resp.StatusCode, b)
	}
	return string(b)
}

// slackWith waits for a Slack #mod-log message whose blocks (or files)
// contain every want.
func (w *mdWorld) slackWith(t *testing.T, what string, want ...string) slackfake.Message {
	t.Helper()
	var got slackfake.Message
	has := func(m slackfake.Message) bool {
		all := string(m.Blocks) + m.Text
		for _, f := range m.Files {
			all += f.Name + string(f.Data)
		}
		for _, s := range want {
			if !strings.Contains(all, s) {
				return false
			}
		}
		return true
	}
	w.clock.Advance(2 * time.Second) // Slack paces posts per channel, by this clock
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := w.slack.WaitUntil(ctx, func() bool {
		for _, m := range w.slack.Messages("C01MODLOG") {
			if has(m) {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		var all []string
		for _, m := range w.slack.Messages("C01MODLOG") {
			all = append(all, string(m.Blocks))
		}
		t.Fatalf("waiting for %s (%q): %v; #mod-log has:\n%s", what, want, err, strings.Join(all, "\n"))
	}
	return got
}

// dms waits for mallory to have n DMs from Liaison and returns the last.
func (w *mdWorld) dmFromLiaison(t *testing.T, user string, n int) discordfake.Message {
	t.Helper()
	var last discordfake.Message
	w.wait(t, "Liaison's DM", func() bool {
		k := 0
		for _, m := range w.discord.DirectMessages(user) {
			if m.AuthorID == mdBot {
				k++
				last = m
			}
		}
		return k >= n
	})
	if string(last.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("a DM may ping: allowed_mentions %s", last.AllowedMentions)
	}
	return last
}

func TestAModmailTicketRoundTrip(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMMWorld(t)
			a := w.start(t, storetest.URL(t, dialect))
			w.wait(t, "the member list asked for", func() bool { return w.discord.MemberRequests() > 0 })
			time.Sleep(200 * time.Millisecond) // and handled

			// mallory writes: a ticket opens in Slack, she is told.
			w.discord.DirectMessage(mdMallory, "someone is harassing me <!channel>")
			opener := w.slackWith(t, "the ticket", "Modmail #1 from mallory (member since 23 Nov 2026, 0 cases)")
			first := w.slackWith(t, "her message in the thread", "mallory wrote", "someone is harassing me")
			if first.ThreadTS != opener.TS {
				t.Errorf("her message is not in the ticket's thread: thread %q, opener %q", first.ThreadTS, opener.TS)
			}
			if strings.Contains(string(first.Blocks), "<!channel>") {
				t.Errorf("her text would ping the Slack channel: %s", first.Blocks)
			}
			if ack := w.dmFromLiaison(t, mdMallory, 1); !strings.Contains(ack.Content, "reached the moderators (ticket #1)") {
				t.Errorf("the acknowledgement = %q", ack.Content)
			}
			w.discord.DirectMessage(mdMallory, "they keep going")
			if m := w.slackWith(t, "her second message", "they keep going"); m.ThreadTS != opener.TS {
				t.Error("her second message is not in the ticket's thread")
			}

			// dave answers from Slack; she gets it signed by the team.
			if got := w.liaison(t, a.base, "U01DAVE", "modmail reply 1 Thanks @everyone, we are on it."); !strings.Contains(got, "Sent to mallory as a DM (ticket #1).") {
				t.Errorf("reply answered %s", got)
			}
			dm := w.dmFromLiaison(t, mdMallory, 2)
			if !strings.Contains(dm.Content, "we are on it.") || !strings.HasSuffix(dm.Content, "— the moderation team") || strings.Contains(dm.Content, "dave") {
				t.Errorf("the answer DM = %q, want it signed by the team only", dm.Content)
			}
			w.slackWith(t, "the answer in the thread", "dave answered", "we are on it.")

			// The Reply button opens a form; its answer goes the same way.
			before := len(w.slack.Views())
			clickAnswer := w.send(t, w.slack.Interaction(a.base, mdSecret, w.clock.Now(), &slack.InteractionCallback{
				Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U01DAVE"},
				Channel:        slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C01MODLOG"}}},
				Container:      slack.Container{Type: "message", MessageTs: opener.TS, ChannelID: "C01MODLOG"},
				Message:        slack.Message{Msg: slack.Msg{Timestamp: opener.TS}},
				ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "modmail.reply", BlockID: "actions", Value: "1", Type: "button"}}},
			}))
			var view struct {
				CallbackID string `json:"callback_id"`
				Meta       string `json:"private_metadata"`
			}
			_ = clickAnswer
			w.clock.Advance(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := w.slack.WaitUntil(ctx, func() bool { return len(w.slack.Views()) > before }); err != nil {
				t.Fatalf("no reply form: %v; ephemerals: %+v", err, w.slack.Ephemerals("C01MODLOG"))
			}
			vs := w.slack.Views()
			json.Unmarshal(vs[len(vs)-1].JSON, &view)
			got := w.send(t, w.slack.Interaction(a.base, mdSecret, w.clock.Now(), &slack.InteractionCallback{
				Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U01DAVE"},
				View: slack.View{CallbackID: view.CallbackID, PrivateMetadata: view.Meta, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
					"text": {"text": {Type: "plain_text_input", Value: "Could you send us the message ids?"}}}}},
			}))
			_ = got
			if dm := w.dmFromLiaison(t, mdMallory, 3); !strings.Contains(dm.Content, "message ids?") {
				t.Errorf("the form's answer DM = %q", dm.Content)
			}

			// A note stays in Slack.
			if got := w.liaison(t, a.base, "U01DAVE", "modmail note 1 she reported this before"); !strings.Contains(got, "Note added to ticket #1") {
				t.Errorf("note answered %s", got)
			}
			w.slackWith(t, "the note", "Note by dave (not sent)", "she reported this before")

			// Bad input: only a file, or too long, is answered and opens nothing.
			w.discord.DirectMessage(mdMallory, "", discordfake.WithAttachments("screenshot.png"))
			if dm := w.dmFromLiaison(t, mdMallory, 4); !strings.Contains(dm.Content, "passes on text only") {
				t.Errorf("the answer to a file alone = %q", dm.Content)
			}
			w.discord.DirectMessage(mdMallory, strings.Repeat("x", 4000))
			if dm := w.dmFromLiaison(t, mdMallory, 5); !strings.Contains(dm.Content, "4000 characters long") {
				t.Errorf("the answer to 4,000 characters = %q", dm.Content)
			}
			if got := w.liaison(t, a.base, "U01DAVE", "modmail reply 9 hello"); !strings.Contains(got, "There is no modmail ticket #9.") {
				t.Errorf("a reply to an unknown ticket answered %s", got)
			}
			if got := w.liaison(t, a.base, "U01ERIN", "modmail reply 1 hi"); !strings.Contains(got, "Answering modmail is for") {
				t.Errorf("erin (not staff) answered %s", got)
			}

			// She blocks Liaison: staff are told in the thread.
			w.discord.BlockBot(mdMallory, true)
			w.liaison(t, a.base, "U01DAVE", "modmail reply 1 Are you still there?")
			w.slackWith(t, "the failed DM", "An answer did not reach mallory", "does not accept direct messages")
			w.discord.BlockBot(mdMallory, false)

			// Close with a message: she gets it, the log is attached, the
			// next DM opens ticket #2.
			if got := w.liaison(t, a.base, "U01DAVE", "modmail close 1 Glad we could help."); !strings.Contains(got, "Ticket #1 is closed") {
				t.Errorf("close answered %s", got)
			}
			if dm := w.dmFromLiaison(t, mdMallory, 6); !strings.Contains(dm.Content, "Glad we could help.") {
				t.Errorf("the closing DM = %q", dm.Content)
			}
			log := w.slackWith(t, "the ticket's log", "modmail-1.txt", "someone is harassing me", "dave (note, staff only):\n    she reported this before", "dave (answer, sent)")
			if log.ThreadTS != opener.TS {
				t.Error("the ticket's log is not in its thread")
			}
			w.clock.Advance(2 * time.Second)
			w.waitSlack(t, "the opener marked closed", func() bool {
				m, _ := w.slack.Message("C01MODLOG", opener.TS)
				return strings.Contains(string(m.Blocks), "closed by dave") && !strings.Contains(string(m.Blocks), "modmail.reply")
			})
			w.discord.DirectMessage(mdMallory, "me again")
			w.slackWith(t, "a new ticket", "Modmail #2 from mallory")
		})
	}
}

func TestABanDMsTheAppealLinkBeforeTheBan(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			if err := os.WriteFile(w.config, []byte(mdConfig+"  appeals_url: https://acme.example/appeal\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			w.start(t, storetest.URL(t, dialect))
			w.slash(t, mdDave, "ban", userOpt(mdMallory), strOpt("reason", "raid @everyone"), strOpt("duration", "7d"))
			w.call(t, "PUT", "/guilds/"+mdGuild+"/bans/"+mdMallory)
			dm := w.dmFromLiaison(t, mdMallory, 1)
			for _, want := range []string{"You have been banned from the server.", "Reason: raid @\u200beveryone.", "The ban ends ", "you can appeal here: https://acme.example/appeal"} {
				if !strings.Contains(dm.Content, want) {
					t.Errorf("the ban DM %q lacks %q", dm.Content, want)
				}
			}
			// The DM went before the ban: after it, Discord would refuse it.
			var dmAt, banAt int
			for i, c := range w.discord.Calls() {
				if c.Method == "POST" && c.Path == "/channels/"+w.discord.DMChannel(mdMallory)+"/messages" && dmAt == 0 {
					dmAt = i
				}
				if c.Method == "PUT" && c.Path == "/guilds/"+mdGuild+"/bans/"+mdMallory {
					banAt = i
				}
			}
			if dmAt == 0 || dmAt > banAt {
				t.Errorf("the DM was call %d and the ban call %d: the DM must come first", dmAt, banAt)
			}

			// A member who does not accept DMs is banned all the same.
			w.discord.BlockBot(mdAlice, true)
			w.slash(t, mdDave, "ban", userOpt(mdAlice), strOpt("reason", "spam"))
			w.wait(t, "alice banned", func() bool { _, ok := w.discord.Ban(mdGuild, mdAlice); return ok })
		})
	}
}

// clickIn presses a button of a Slack message as user.
func (w *mdWorld) clickIn(t *testing.T, base string, m slackfake.Message, user, actionID, value string) {
	t.Helper()
	w.clock.Advance(time.Second)
	w.send(t, w.slack.Interaction(base, mdSecret, w.clock.Now(), &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: m.Channel}}},
		Container: slack.Container{Type: "message", MessageTs: m.TS, ChannelID: m.Channel},
		Message:   slack.Message{Msg: slack.Msg{Timestamp: m.TS}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: actionID, BlockID: "actions", Value: value, Type: "button"}}},
	}))
}

// With moderation.modmail.approval, a staff answer is a draft in the
// approvals channel: nothing reaches the member until someone other than
// its writer approves it; then exactly the approved text goes, once, as a
// DM signed by the team, and the ticket's thread says who wrote and who
// approved it.
func TestAModmailAnswerWaitsForSomeoneElsesApproval(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			w.slack.AddChannel("C01APPROVALS", "approvals")
			cfg := strings.Replace(mdConfig, "channels: {mod-log: C01MODLOG}", "channels: {mod-log: C01MODLOG, approvals: C01APPROVALS}", 1) +
				"  modmail: {slack: mod-log, approval: true}\napprovals: {channel: approvals, approvers: [carol, dave]}\n"
			if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			a := w.start(t, storetest.URL(t, dialect))
			w.wait(t, "the member list asked for", func() bool { return w.discord.MemberRequests() > 0 })
			time.Sleep(200 * time.Millisecond)

			w.discord.DirectMessage(mdMallory, "someone is harassing me")
			w.slackWith(t, "the ticket", "Modmail #1 from mallory")
			w.dmFromLiaison(t, mdMallory, 1) // the acknowledgement

			const answer = "Thanks for telling us. We are looking into it."
			got := w.liaison(t, a.base, "U01DAVE", "modmail reply 1 "+answer)
			if !strings.Contains(got, "Your answer to mallory (ticket #1) is sent as a DM once someone else approves it. Draft #1 is waiting for approval in #approvals") {
				t.Errorf("reply answered %s", got)
			}
			var draft slackfake.Message
			w.waitSlack(t, "the draft in #approvals", func() bool {
				for _, m := range w.slack.Messages("C01APPROVALS") {
					if strings.Contains(string(m.Blocks), "Draft answer #1 to mallory's modmail ticket #1") && strings.Contains(string(m.Blocks), "approvals.approve") {
						draft = m
						return true
					}
				}
				return false
			})
			for _, want := range []string{answer, "someone is harassing me", "dave wrote this version, so only carol can approve it"} {
				if !strings.Contains(string(draft.Blocks), want) {
					t.Errorf("the draft lacks %q:\n%s", want, draft.Blocks)
				}
			}
			// Held: and dave cannot approve his own answer.
			w.clickIn(t, a.base, draft, "U01DAVE", "approvals.approve", buttonValue(t, draft, "approvals.approve"))
			w.waitSlack(t, "dave told he cannot approve", func() bool {
				for _, e := range w.slack.Ephemerals("C01APPROVALS") {
					if e.User == "U01DAVE" && strings.Contains(e.Text, "You wrote this version of the draft, so you cannot approve it") {
						return true
					}
				}
				return false
			})
			w.clock.Advance(10 * time.Second)
			time.Sleep(500 * time.Millisecond)
			if n := len(w.discord.DirectMessages(mdMallory)); n != 2 { // hers and the acknowledgement
				t.Fatalf("%d DMs before approval, want her message and the acknowledgement only", n)
			}

			// carol approves: one DM, exactly the approved text, signed.
			w.clickIn(t, a.base, draft, "U01CAROL", "approvals.approve", buttonValue(t, draft, "approvals.approve"))
			dm := w.dmFromLiaison(t, mdMallory, 2)
			if dm.Content != answer+"\n\n— the moderation team" {
				t.Errorf("the DM = %q, want the approved text signed by the team", dm.Content)
			}
			w.slackWith(t, "the answer in the ticket's thread", "dave answered, approved by carol", answer)
			w.waitSlack(t, "the draft marked sent", func() bool {
				m, _ := w.slack.Message("C01APPROVALS", draft.TS)
				return strings.Contains(string(m.Blocks), "sent to mallory as a DM")
			})
			// A private answer is not a public reply in the digest.
			if n, err := a.app.DB.RepliesPublished(context.Background(), w.clock.Now().Add(-time.Hour), w.clock.Now().Add(time.Hour)); n != 0 || err != nil {
				t.Errorf("replies published = %d, %v; want 0: a modmail answer is not public", n, err)
			}
			w.clock.Advance(10 * time.Second)
			time.Sleep(time.Second)
			k := 0
			for _, m := range w.discord.DirectMessages(mdMallory) {
				if m.AuthorID == mdBot && strings.Contains(m.Content, "looking into it") {
					k++
				}
			}
			if k != 1 {
				t.Errorf("the answer reached her %d times, want once", k)
			}
			// She blocks Liaison: an approved answer that cannot reach her
			// is reported in the ticket's thread.
			w.discord.BlockBot(mdMallory, true)
			w.liaison(t, a.base, "U01DAVE", "modmail reply 1 Are you still there?")
			var second slackfake.Message
			w.waitSlack(t, "the second draft", func() bool {
				for _, m := range w.slack.Messages("C01APPROVALS") {
					if strings.Contains(string(m.Blocks), "Draft answer #2 to mallory's modmail ticket #1") && strings.Contains(string(m.Blocks), "approvals.approve") {
						second = m
						return true
					}
				}
				return false
			})
			w.clickIn(t, a.base, second, "U01CAROL", "approvals.approve", buttonValue(t, second, "approvals.approve"))
			w.slackWith(t, "the failed approved answer", "An approved answer did not reach mallory", "does not accept direct messages")
			w.discord.BlockBot(mdMallory, false)

			// A closing message would skip the approval: refused.
			if got := w.liaison(t, a.base, "U01DAVE", "modmail close 1 Bye!"); !strings.Contains(got, "Answers wait for approval here") {
				t.Errorf("close with a message answered %s", got)
			}
			// The ticket's log names the writer.
			w.liaison(t, a.base, "U01DAVE", "modmail close 1")
			w.slackWith(t, "the ticket's log", "modmail-1.txt", "dave (answer, sent):\n    "+answer)
		})
	}
}
