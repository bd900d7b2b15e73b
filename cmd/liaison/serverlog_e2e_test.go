package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Server event logs end to end: `liaison run` against both fakes on both
// databases, each kind through the real discordgo client.

const slLogs = `  logs: {edits: discord:mod-log, deletes: [discord:mod-log, mod-log], joins: discord:mod-log, leaves: discord:mod-log,
         members: discord:mod-log, server: discord:mod-log}
`

func newSLWorld(t *testing.T) *mdWorld {
	t.Helper()
	w := newMDWorld(t)
	if err := os.WriteFile(w.config, []byte(mdConfig+slLogs), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// logged waits for a Discord mod-log message containing every want and
// returns it; it checks that the message pings nobody.
func (w *mdWorld) logged(t *testing.T, what string, want ...string) discordfake.Message {
	t.Helper()
	var got discordfake.Message
	ctxMsg := func() string {
		var all []string
		for _, m := range w.discord.Messages(mdModLog) {
			all = append(all, m.Content)
		}
		return strings.Join(all, "\n---\n")
	}
	ok := func() bool {
		for _, m := range w.discord.Messages(mdModLog) {
			found := true
			for _, s := range want {
				found = found && strings.Contains(m.Content, s)
			}
			if found {
				got = m
				return true
			}
		}
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.discord.WaitFor(ctx, ok); err != nil {
		t.Fatalf("waiting for %s in the Discord log (%q): %v; the log has:\n%s", what, want, err, ctxMsg())
	}
	if string(got.AllowedMentions) != `{"parse":[],"replied_user":false}` {
		t.Errorf("the %s log entry may ping: allowed_mentions %s", what, got.AllowedMentions)
	}
	return got
}

func TestServerLogsLogEachKind(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newSLWorld(t)
			w.discord.AddInvite(mdGuild, discordfake.Invite{Code: "spring", ChannelID: mdGeneral, InviterID: mdDave, Uses: 3})
			url := storetest.URL(t, dialect)
			app := w.start(t, url)
			w.wait(t, "the member list and invites read", func() bool {
				return len(w.discord.CallsTo("GET", "/guilds/"+mdGuild+"/invites")) > 0
			})
			step := func() { w.clock.Advance(11 * time.Second) } // apart: one message per entry

			// An edit shows before and after; user text pings nobody.
			m := w.discord.MessageCreate(mdGeneral, mdAlice, "hello @everyone <@"+mdDave+">")
			step()
			time.Sleep(300 * time.Millisecond) // the message is handled before its edit arrives
			w.discord.MessageUpdate(mdGeneral, m.ID, "hello world")
			w.logged(t, "the edit", "Message edited", "alice", "hello @\u200beveryone @"+mdDave, "hello world")

			// A deletion after a restart still has the text, and who deleted it.
			gone := w.discord.MessageCreate(mdGeneral, mdMallory, "buy cheap followers <!channel>")
			time.Sleep(300 * time.Millisecond)
			app.stop()
			step()
			app = w.start(t, url)
			w.wait(t, "the new gateway session", func() bool { return w.discord.Identifies() >= 2 && w.discord.Connections() == 1 })
			time.Sleep(200 * time.Millisecond) // READY handled
			w.discord.ModeratorDeleteMessage(mdGeneral, gone.ID, mdDave)
			w.logged(t, "the deletion", "Message deleted", "mallory", "buy cheap followers", "Deleted by:** dave")
			w.waitSlack(t, "the deletion in Slack", func() bool {
				for _, s := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(s.Blocks), "buy cheap followers") {
						if strings.Contains(string(s.Blocks), "<!channel>") {
							t.Errorf("the Slack deletion log would ping the channel: %s", s.Blocks)
						}
						return true
					}
				}
				return false
			})

			// A bulk deletion is archived as a file.
			step()
			a1 := w.discord.MessageCreate(mdGeneral, mdAlice, "first of two")
			a2 := w.discord.MessageCreate(mdGeneral, mdMallory, "second of two")
			time.Sleep(300 * time.Millisecond)
			w.discord.MessageDeleteBulk(mdGeneral, a1.ID, a2.ID)
			w.logged(t, "the bulk deletion", "Messages deleted at once", "2 (text known for 2)")
			w.wait(t, "the archive", func() bool {
				for _, c := range w.discord.CallsTo("POST", "/channels/"+mdModLog+"/messages") {
					if strings.Contains(string(c.Body), "first of two") && strings.Contains(string(c.Body), "second of two") && c.Status == 200 {
						return true
					}
				}
				return false
			})

			// A join says the account's age and the invite used.
			step()
			zoe := "1500000000000000077"
			w.discord.GuildMemberAddVia(mdGuild, "spring", discordfake.Member{UserID: zoe, Username: "zoe"})
			w.logged(t, "the join", "Member joined", "zoe", "Account age", "spring (made by dave, used 4 times)")

			// A nickname and role change against what the store knew.
			step()
			w.discord.GuildMemberUpdate(mdGuild, mdAlice, "ali", []string{mdStaff})
			w.logged(t, "the member update", "Member updated", "(none) → ali", "Roles added:** staff")

			// A leave says the roles held and the time on the server
			// (pat was on the server before Liaison started: the member
			// list told it).
			step()
			w.discord.GuildMemberRemove(mdGuild, mdPat)
			w.logged(t, "the leave", "Member left", "pat", "Roles:** partners", "On the server")

			// Staff renaming a channel.
			step()
			w.discord.GuildAuditLogEntryCreate(mdGuild, discordfake.AuditLogEntry{ActionType: 11, UserID: mdDave, TargetID: mdGeneral,
				Changes: []map[string]any{{"key": "name", "old_value": "general", "new_value": "lobby"}}})
			w.logged(t, "the channel change", "Channel updated", "dave", "name: general → lobby")
		})
	}
}

func TestABurstOfJoinsIsOneLogMessagePer10Seconds(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newSLWorld(t)
			w.start(t, storetest.URL(t, dialect))
			before := len(w.discord.Messages(mdModLog))
			for i := range 12 {
				w.discord.GuildMemberAdd(mdGuild, discordfake.Member{UserID: fmt.Sprintf("15000000000000001%02d", i), Username: fmt.Sprintf("raider%02d", i)})
				w.clock.Advance(500 * time.Millisecond)
			}
			last := w.logged(t, "the burst", "Server log · 12 events", "raider00", "raider11")
			if n := len(w.discord.Messages(mdModLog)) - before; n != 1 {
				t.Errorf("the burst made %d log messages, want 1", n)
			}
			for i := range 12 {
				if c := strings.Count(last.Content, fmt.Sprintf("raider%02d", i)); c != 1 {
					t.Errorf("raider%02d is in the batch %d times, want once:\n%s", i, c, last.Content)
				}
			}
			// Past the window, a new message.
			w.clock.Advance(11 * time.Second)
			w.discord.GuildMemberAdd(mdGuild, discordfake.Member{UserID: "1500000000000000299", Username: "latecomer"})
			w.logged(t, "the join after the burst", "Member joined", "latecomer")
			if n := len(w.discord.Messages(mdModLog)) - before; n != 2 {
				t.Errorf("%d log messages after the burst and one more join, want 2", n)
			}
		})
	}
}

// testLogger discards the App's log unless LIAISON_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("LIAISON_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func TestALogChannelLiaisonCannotPostInIsReportedOnceAtStart(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newSLWorld(t)
			// @everyone may not write in #mod-log, and Liaison's role has no
			// overwrite giving it back.
			w.discord.AddChannel(mdGuild, discordfake.Channel{ID: mdModLog, Name: "mod-log",
				PermissionOverwrites: []discordfake.Overwrite{{ID: mdGuild, Deny: 1 << 11}}})
			url := storetest.URL(t, dialect)
			a := w.start(t, url)
			want := "Liaison cannot post in Discord #mod-log, where the edits, deletes, joins, leaves, members, server logs go: it lacks Send Messages, Attach Files there."
			count := func() int {
				n := 0
				for _, m := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(m.Blocks), want) {
						n++
					}
				}
				return n
			}
			w.clock.Advance(2 * time.Second)
			w.waitSlack(t, "the notice", func() bool { return count() == 1 })
			// Later ticks and a restart the same day say nothing more.
			w.clock.Advance(2 * time.Minute)
			a.stop()
			w.start(t, url)
			w.clock.Advance(2 * time.Minute)
			time.Sleep(1500 * time.Millisecond)
			if n := count(); n != 1 {
				t.Errorf("the notice was posted %d times, want once", n)
			}
		})
	}
}
