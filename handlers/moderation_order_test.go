package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Typed positionally (Slack), a duration may come right after the name or
// last; every mistake answers with the shape and an example.
func TestSlackTakesTheDurationAfterTheNameOrLast(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		for _, tt := range []struct {
			text   string
			action string
			d      time.Duration
			reason string
		}{
			{"mod ban mallory raid spam 7d", bot.ActionBan, 7 * 24 * time.Hour, "raid spam"},
			{"mod unban mallory", bot.ActionUnban, 0, ""},
			{"mod timeout alice spam links 10m", bot.ActionTimeout, 10 * time.Minute, "spam links"},
			{"mod untimeout alice", bot.ActionUntimeout, 0, ""},
			{"mod timeout alice 2h spam", bot.ActionTimeout, 2 * time.Hour, "spam"},
		} {
			if tt.action == bot.ActionUnban {
				b.guild.mu.Lock()
				b.guild.banned[uMallory] = true
				b.guild.mu.Unlock()
			}
			if tt.action == bot.ActionUntimeout {
				b.guild.mu.Lock()
				b.guild.members[uAlice].TimeoutUntil = b.clock.Now().Add(time.Hour)
				b.guild.mu.Unlock()
			}
			must(b.slack("U01DAVE", tt.text))
			cs, _ := db.CasesFor(context.Background(), mGuild, map[bool]string{true: uMallory, false: uAlice}[strings.Contains(tt.text, "mallory")], 1)
			if len(cs) != 1 || cs[0].Action != tt.action || cs[0].Duration != tt.d || cs[0].Reason != tt.reason {
				t.Errorf("%q made %+v", tt.text, cs)
			}
			if tt.action == bot.ActionBan {
				b.guild.mu.Lock()
				b.guild.banned[uMallory] = true
				b.guild.mu.Unlock()
			}
			if tt.action == bot.ActionUntimeout {
				b.guild.mu.Lock()
				b.guild.members[uAlice].TimeoutUntil = time.Time{}
				b.guild.mu.Unlock()
			}
		}
		for _, tt := range []struct{ by, text, want string }{
			{"U01DAVE", "mod wran mallory x", "There is no /liaison mod wran. Did you mean /liaison mod warn?"},
			{"U01DAVE", "mod timeout alice spam", "Say how long: a timeout needs a duration like 10m, 2h or 7d, right after the name or last.\nUse: /liaison mod timeout NAME DURATION REASON, like: /liaison mod timeout mallory 10m spamming links"},
			{"U01DAVE", "mod ban alice 7d", "Give a reason: /liaison mod ban needs one, and the member, the mod log and the audit log see it.\nUse: /liaison mod ban NAME [DURATION] REASON, like: /liaison mod ban mallory 7d raid spam"},
			{"U01DAVE", "mod warn", "Say who: /liaison mod warn needs a member.\nUse: /liaison mod warn NAME REASON, like: /liaison mod warn mallory spamming links"},
			{"U01DAVE", "mod case twelve", "Use: /liaison mod case N, like: /liaison mod case 12"},
		} {
			if _, err := b.slack(tt.by, tt.text); err == nil || !strings.HasPrefix(bot.ErrorMessage(err), tt.want) {
				t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
			}
		}
		// Discord's options are named: never reinterpreted, and a mistake
		// shows the named shape.
		for _, tt := range []struct {
			cmd  []string
			want string
		}{
			{[]string{"ban", "user", uAlice, "reason", "raid 7d", "duration", "soon"}, `Use: /ban user:mallory reason:"spam" duration:7d`},
			{[]string{"timeout", "user", uAlice, "duration", "spam", "reason", "10m"}, `Use: /timeout user:mallory duration:10m reason:"spamming links"`},
			{[]string{"case", "number", "x"}, "Give a case number, like 12. Use: /case number:12"},
		} {
			if _, err := b.discord(t, uDave, tt.cmd[0], tt.cmd[1:]...); err == nil || !strings.HasSuffix(bot.ErrorMessage(err), tt.want) {
				t.Errorf("/%s: %v, want it to end %q", tt.cmd[0], err, tt.want)
			}
		}
		if cs, _ := db.CasesFor(context.Background(), mGuild, uAlice, 0); len(cs) != 3 {
			t.Errorf("alice has %d cases, want the 3 above", len(cs))
		}
	})
}
