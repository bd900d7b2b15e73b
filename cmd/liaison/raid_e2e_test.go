package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

const mdRaid = `  raid: {joins: 10, window: 60s, min_account_age: 1d, gate_action: timeout, slowmode: {channels: [general], seconds: 30}, on_duty: [dave]}
`

// accountID is a Discord id made at t, as Discord dates accounts.
func accountID(t time.Time, n int) string {
	return strconv.FormatInt((t.UnixMilli()-1420070400000)<<22|int64(n), 10)
}

// A 15-join raid: the gate stops the young accounts (a DM first, then the
// timeout, a case each by the join gate); raid mode starts once, alerts both
// mod logs (pinging dave in Slack), sets slowmode and stops every later
// newcomer; /raid off ends it; /raid undo lifts exactly what the gate did.
func TestAFifteenJoinRaidTriggersOnceAndUndoLiftsExactlyWhatItDid(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newMDWorld(t)
			if err := os.WriteFile(w.config, []byte(mdConfig+mdRaid), 0o600); err != nil {
				t.Fatal(err)
			}
			// #general has a slowmode of its own: /raid off puts it back.
			w.discord.AddChannel(mdGuild, discordfake.Channel{ID: mdGeneral, Name: "general", RateLimitPerUser: 10})
			w.start(t, storetest.URL(t, dialect))
			members := "/guilds/" + mdGuild + "/members/"
			// A timeout of dave's own, before the raid: undo leaves it.
			w.slash(t, mdDave, "timeout", userOpt(mdAlice), strOpt("duration", "1h"), strOpt("reason", "unrelated"))
			w.call(t, "PATCH", members+mdAlice)

			now := w.clock.Now()
			var ids []string
			for i := 1; i <= 15; i++ {
				created := now.Add(-365 * 24 * time.Hour)
				if i <= 3 {
					created = now.Add(-2 * time.Hour) // too young for the gate's 1d
				}
				id := accountID(created, i)
				ids = append(ids, id)
				w.clock.Advance(time.Second)
				w.discord.GuildMemberAdd(mdGuild, discordfake.Member{UserID: id, Username: fmt.Sprintf("raider%d", i)})
			}
			gated := append(append([]string{}, ids[:3]...), ids[11:]...) // the young three, and who came after raid mode began
			w.wait(t, "the gate's timeouts", func() bool {
				for _, id := range gated {
					if m, _ := w.discord.Member(mdGuild, id); m.CommunicationDisabledUntil == nil {
						return false
					}
				}
				return true
			})
			// The DM came before the timeout.
			dm := w.discord.DirectMessages(ids[0])
			if len(dm) != 1 || !strings.Contains(dm[0].Content, "admits Discord accounts from 1d old, and yours is 2h old") || string(dm[0].AllowedMentions) != `{"parse":[],"replied_user":false}` {
				t.Errorf("raider1's DM = %+v", dm)
			}
			dmAt, patchAt := -1, -1
			for i, c := range w.discord.Calls() {
				if c.Method == "POST" && strings.HasPrefix(c.Path, "/channels/") && strings.Contains(string(c.Body), "admits Discord accounts") && dmAt < 0 {
					dmAt = i
				}
				if c.Method == "PATCH" && c.Path == members+ids[0] && patchAt < 0 {
					patchAt = i
				}
			}
			if dmAt < 0 || patchAt < dmAt {
				t.Errorf("the DM (call %d) did not come before the timeout (call %d)", dmAt, patchAt)
			}
			d, _ := w.modLog(t, 2)
			for _, want := range []string{"**Case 2 · timeout", "raider1", "**Moderator:** Liaison (join gate)", "account 2h old", "**Source:** join gate"} {
				if !strings.Contains(d, want) {
					t.Errorf("the gate's case lacks %q:\n%s", want, d)
				}
			}
			// Raid mode: once, with slowmode and an alert in both mod logs.
			var alert string
			// The mod log batches a burst: its messages go out once the burst
			// window has passed.
			w.clock.Advance(11 * time.Second)
			w.waitSlack(t, "the raid alert", func() bool {
				for _, m := range w.slack.Messages("C01MODLOG") {
					if strings.Contains(string(m.Blocks), "Raid mode is on in") {
						alert = string(m.Blocks)
						return true
					}
				}
				return false
			})
			for _, want := range []string{`\u003c@U01DAVE\u003e`, "11 joins in 1m", "raider1 (2h)", "raider4 (1y)", "Ban all (11)", "Kick all (11)", "End raid mode", "Slowmode 30s in #general"} {
				if !strings.Contains(alert, want) {
					t.Errorf("the Slack alert lacks %q:\n%s", want, alert)
				}
			}
			w.discordLogHas(t, "Raid mode is on in")
			slow := w.call(t, "PATCH", "/channels/"+mdGeneral)
			if string(slow.Body) != `{"rate_limit_per_user":30}` || !strings.HasPrefix(slow.AuditLogReason, "Liaison (raid mode), case ") {
				t.Errorf("slowmode: %s %q", slow.Body, slow.AuditLogReason)
			}
			time.Sleep(time.Second) // every join handled: a second raid would show by now
			alerts := 0
			for _, m := range w.slack.Messages("C01MODLOG") {
				if strings.Contains(string(m.Blocks), "Raid mode is on in") {
					alerts++
				}
			}
			if alerts != 1 || len(w.discord.CallsTo("PATCH", "/channels/"+mdGeneral)) != 1 {
				t.Errorf("%d alerts and %d slowmode calls, want one each", alerts, len(w.discord.CallsTo("PATCH", "/channels/"+mdGeneral)))
			}
			for _, id := range ids[3:11] {
				if len(w.discord.CallsTo("PATCH", members+id)) != 0 {
					t.Errorf("an old account that joined before raid mode was stopped: %s", id)
				}
			}

			a := w.slash(t, mdDave, "raid", strOpt("action", "off"))
			if !strings.HasPrefix(a.Content, "Raid mode is off (it began") || !strings.Contains(a.Content, "The join gate is back to accounts under 1d. Slowmode back to what it was in #general (10s, case") {
				t.Errorf("/raid off = %q", a.Content)
			}
			w.wait(t, "slowmode back to 10s", func() bool {
				calls := w.discord.CallsTo("PATCH", "/channels/"+mdGeneral)
				c, _ := w.discord.Channel(mdGeneral)
				return len(calls) == 2 && string(calls[1].Body) == `{"rate_limit_per_user":10}` && c.RateLimitPerUser == 10
			})
			if a := w.slash(t, mdDave, "raid", strOpt("action", "off")); !strings.HasPrefix(a.Content, "Raid mode is not on") {
				t.Errorf("a second /raid off = %q", a.Content)
			}

			a = w.slash(t, mdDave, "raid", strOpt("action", "undo"))
			if !strings.Contains(a.Content, "lifted 7 (cases") {
				t.Errorf("/raid undo = %q", a.Content)
			}
			w.wait(t, "the gate's timeouts lifted", func() bool {
				for _, id := range gated {
					if m, _ := w.discord.Member(mdGuild, id); m.CommunicationDisabledUntil != nil {
						return false
					}
				}
				return true
			})
			for _, id := range gated {
				calls := w.discord.CallsTo("PATCH", members+id)
				if len(calls) != 2 || string(calls[1].Body) != `{"communication_disabled_until":null}` {
					t.Errorf("%s: %d timeout calls, want the gate's and its lifting", id, len(calls))
				}
			}
			if m, _ := w.discord.Member(mdGuild, mdAlice); m.CommunicationDisabledUntil == nil || len(w.discord.CallsTo("PATCH", members+mdAlice)) != 1 {
				t.Error("/raid undo lifted dave's own timeout of alice")
			}
			if a := w.slash(t, mdDave, "raid", strOpt("action", "undo")); !strings.Contains(a.Content, "nothing left to lift") {
				t.Errorf("a second /raid undo = %q", a.Content)
			}
		})
	}
}
