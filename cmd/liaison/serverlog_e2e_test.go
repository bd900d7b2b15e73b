package main

import (
	"context"
	"fmt"
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

// A purge is archived once: with its case, in the mod log. Discord's bulk
// deletion it causes comes back as a server-log entry that names the case
// instead of attaching a second archive; a bulk deletion by someone else
// is still archived.
func TestAPurgeIsArchivedOnceAndTheServerLogRefersToItsCase(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newSLWorld(t)
			w.start(t, storetest.URL(t, dialect))
			w.wait(t, "the member list asked for", func() bool { return w.discord.MemberRequests() > 0 })
			for _, text := range []string{"spam one", "spam two", "spam three"} {
				w.discord.MessageCreate(mdGeneral, mdMallory, text)
			}
			w.discord.MessageCreate(mdGeneral, mdAlice, "an innocent message")
			time.Sleep(300 * time.Millisecond) // cached by the server log
			a := w.slash(t, mdDave, "purge", discordfake.CommandOption{Name: "count", Type: 4, Value: 10}, userOpt(mdMallory))
			a = w.click(t, mdDave, a, "Confirm")
			if !strings.HasPrefix(a.Content, "Purging 3 message(s) in #general (case 1)") {
				t.Fatalf("confirmed: %q", a.Content)
			}
			w.call(t, "POST", "/channels/"+mdGeneral+"/messages/bulk-delete")
			w.clock.Advance(11 * time.Second)
			entry := w.logged(t, "the bulk deletion", "Messages deleted at once", "Liaison's purge, case 1")
			if strings.Contains(entry.Content, "spam one") {
				t.Errorf("the server log repeats the purged text:\n%s", entry.Content)
			}
			w.wait(t, "the purge's archive", func() bool {
				for _, c := range w.discord.CallsTo("POST", "/channels/"+mdModLog+"/messages") {
					if strings.Contains(string(c.Body), `filename="purge-case-1.txt"`) && c.Status == 200 {
						return true
					}
				}
				return false
			})
			w.waitSlack(t, "the Slack entry", func() bool {
				for _, m := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(m.Blocks), "Liaison's purge, case 1") {
						return true
					}
				}
				return false
			})
			// Someone else's bulk deletion is archived as before.
			w.clock.Advance(11 * time.Second)
			b1 := w.discord.MessageCreate(mdGeneral, mdAlice, "first of two")
			b2 := w.discord.MessageCreate(mdGeneral, mdAlice, "second of two")
			time.Sleep(300 * time.Millisecond)
			w.discord.MessageDeleteBulk(mdGeneral, b1.ID, b2.ID)
			w.clock.Advance(11 * time.Second)
			w.logged(t, "the other bulk deletion", "Messages deleted at once", "2 (text known for 2)")
			w.wait(t, "its archive", func() bool {
				for _, c := range w.discord.CallsTo("POST", "/channels/"+mdModLog+"/messages") {
					if strings.Contains(string(c.Body), `filename="deleted-`) && strings.Contains(string(c.Body), "first of two") {
						return true
					}
				}
				return false
			})
			time.Sleep(time.Second)
			w.clock.Advance(11 * time.Second)
			time.Sleep(time.Second)
			// Each purged text is in exactly one file per platform: the purge's.
			n := 0
			for _, c := range w.discord.CallsTo("POST", "/channels/"+mdModLog+"/messages") {
				if strings.Contains(string(c.Body), "filename=") && strings.Contains(string(c.Body), "spam two") && c.Status == 200 {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the purged text is in %d Discord files, want 1 (the purge's archive)", n)
			}
			n = 0
			for _, m := range w.slack.Messages("C01MODLOG") {
				for _, f := range m.Files {
					if strings.Contains(string(f.Data), "spam two") {
						n++
					}
				}
			}
			if n != 1 {
				t.Errorf("the purged text is in %d Slack files, want 1 (the purge's archive)", n)
			}
		})
	}
}

// The Slack channels moderation writes to are checked at start: each one
// Liaison cannot post in (archived, or Liaison not a member) is reported
// once by a log line naming what is lost there.
func TestASlackLogChannelLiaisonCannotPostInIsReportedOnceAtStart(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			var log syncBuffer
			w.log = &log
			w.slack.AddChannel("C01TICKETS", "tickets")
			cfg := strings.Replace(mdConfig, "channels: {mod-log: C01MODLOG}", "channels: {mod-log: C01MODLOG, tickets: C01TICKETS}", 1) +
				"  logs: {deletes: [discord:mod-log, mod-log]}\n  modmail: {slack: tickets}\n"
			if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			w.slack.ArchiveChannel("C01MODLOG")
			w.slack.SetBotMember("C01TICKETS", false)
			w.start(t, storetest.URL(t, dialect))
			lines := func(want string) int {
				n := 0
				for l := range strings.SplitSeq(log.String(), "\n") {
					if strings.Contains(l, "Liaison cannot post in a Slack channel moderation writes to") && strings.Contains(l, want) {
						n++
					}
				}
				return n
			}
			modLog := `channel="#mod-log (C01MODLOG)" for="the mod log, the deletes logs" why="the channel is archived"`
			tickets := `channel="#tickets (C01TICKETS)" for="modmail tickets" why="Liaison is not a member of the channel (invite it with /invite)"`
			w.clock.Advance(time.Minute)
			apEventually(t, "the two reports", func() bool { return lines(modLog) == 1 && lines(tickets) == 1 })
			// Later ticks say nothing more.
			for range 3 {
				w.clock.Advance(2 * time.Minute)
				time.Sleep(300 * time.Millisecond)
			}
			if a, b := lines(modLog), lines(tickets); a != 1 || b != 1 || lines("") != 2 {
				t.Errorf("reported #mod-log %d and #tickets %d times (%d in all), want once each:\n%s", a, b, lines(""), log.String())
			}
		})
	}
}

// The digest leaves out the messages moderators deleted (here dave, by
// hand in Discord, as the audit log says), and not those their authors
// deleted themselves: alice's 3 and mallory's 2 messages are 4 once dave
// deleted one of alice's, whatever mallory deleted of her own.
func TestTheDigestCountsModeratorsDeletionsNotAuthorsOwn(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			cfg := mdConfig + slLogs + "digests:\n  - {name: weekly, cron: \"0 9 * * MON\", to: [mod-log]}\n"
			if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			a := w.start(t, storetest.URL(t, dialect))
			w.wait(t, "the member list asked for", func() bool { return w.discord.MemberRequests() > 0 })
			var alices, mallorys []string
			for i := range 3 {
				alices = append(alices, w.discord.MessageCreate(mdGeneral, mdAlice, fmt.Sprintf("hello number %d", i)).ID)
			}
			for i := range 2 {
				mallorys = append(mallorys, w.discord.MessageCreate(mdGeneral, mdMallory, fmt.Sprintf("my own %d", i)).ID)
			}
			time.Sleep(300 * time.Millisecond) // cached
			w.discord.MessageDelete(mdGeneral, mallorys[0])
			w.clock.Advance(11 * time.Second)
			w.logged(t, "mallory's own deletion", "my own 0")
			// (The clock stays put: the audit log's entry is matched to the
			// deletion by time.)
			w.discord.ModeratorDeleteMessage(mdGeneral, alices[0], mdDave)
			w.wait(t, "dave's deletion in the log", func() bool {
				for _, m := range w.discord.Messages(mdModLog) {
					if strings.Contains(m.Content, "hello number 0") && (strings.Contains(m.Content, "Deleted by:** dave") || strings.Contains(m.Content, "(deleted by dave)")) {
						return true
					}
				}
				return false
			})
			apEventually(t, "the digest's public messages", func() bool {
				return strings.Contains(w.liaison(t, a.base, "U01DAVE", "digest preview"), "Messages: 4 (")
			})
		})
	}
}
