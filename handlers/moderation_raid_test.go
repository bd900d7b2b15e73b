package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

const raidYAML = modYAML + `  raid: {joins: 3, window: 60s, mentions: 5, on_duty: [dave]}
`

// newcomer makes a member whose account is age old join the fake server.
func (b *modBundle) newcomer(t *testing.T, n int, age time.Duration) bot.User {
	t.Helper()
	created := b.clock.Now().Add(-age)
	id := strconv.FormatInt((created.UnixMilli()-1420070400000)<<22|int64(n), 10)
	u := bot.User{Platform: bot.PlatformDiscord, ID: id, Name: fmt.Sprint("raider", n)}
	b.guild.mu.Lock()
	b.guild.members[id] = &bot.Member{User: u}
	b.guild.mu.Unlock()
	err := b.r.HandleEvent(context.Background(), &bot.MemberChange{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_member", Key: id + ":join"}},
		At: b.clock.Now()}, ScopeID: mGuild, User: u})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (b *modBundle) raidAlert(t *testing.T) bot.Post {
	t.Helper()
	es := b.outboxWith(t, "raid:")
	for _, e := range es {
		if strings.HasSuffix(e.Key, ":alert:slack") {
			var p bot.Post
			json.Unmarshal([]byte(e.Payload), &p)
			return p
		}
	}
	t.Fatalf("no raid alert among %d raid messages", len(es))
	return bot.Post{}
}

// Ban all, from the Slack alert: a question with the count, then a ban
// case each, skipping whom the rules protect; only moderators may.
func TestBanAllAsksWithTheCountThenBansEachOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupModYAML(t, db, raidYAML)
		must := mustOf(t)
		year := 365 * 24 * time.Hour
		for i := 1; i <= 4; i++ {
			b.clock.Advance(time.Second)
			b.newcomer(t, i, year)
		}
		alert := b.raidAlert(t)
		if alert.Title != "Raid mode is on in the server: 4 joins in 1m" || len(alert.Notify) != 1 || alert.Notify[0] != "U01DAVE" {
			t.Errorf("alert = %+v", alert)
		}
		var banAll bot.Button
		for _, btn := range alert.Buttons {
			if btn.ActionID == "raid.banall" {
				banAll = btn
			}
		}
		slackDave := bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}
		if _, err := b.click(t, bot.User{Platform: bot.PlatformSlack, ID: "U01BOB"}, banAll); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("bob's Ban all: %v, want a refusal", err)
		}
		r, err := b.click(t, slackDave, banAll)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.Text, "Ban all 4 member(s) who joined since ") || len(r.Buttons) != 2 || r.Buttons[0].Label != "Ban 4" {
			t.Fatalf("Ban all asked %+v", r)
		}
		if cs := b.outboxWith(t, "case:"); len(cs) != 0 {
			t.Errorf("the question acted: %d case messages", len(cs))
		}
		// raider2 is made a moderator meanwhile: skipped.
		b.guild.mu.Lock()
		for _, m := range b.guild.members {
			if m.User.Name == "raider2" {
				m.User.Roles = []string{rMod}
			}
		}
		b.guild.mu.Unlock()
		text := must(b.click(t, slackDave, r.Buttons[0]))
		if text != "Banned 3 member(s) (cases 1–3); skipped 1 (gone, protected or already done): raider2." {
			t.Errorf("confirmed: %q", text)
		}
		for n := int64(1); n <= 3; n++ {
			if c, err := db.Case(context.Background(), mGuild, n); err != nil || c.Action != bot.ActionBan || c.Source != bot.SourceSlack || !strings.HasPrefix(c.Reason, "raid of ") {
				t.Errorf("case %d = %+v, %v", n, c, err)
			}
		}
		if _, err := b.click(t, slackDave, r.Buttons[0]); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("a second confirmation: %v, want a conflict", err)
		}
	})
}

// More mentions a minute by new members than raid.mentions start raid mode;
// an old member's mentions do not count.
func TestNewMembersMentionsStartRaidMode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupModYAML(t, db, raidYAML)
		u := b.newcomer(t, 1, 365*24*time.Hour)
		say := func(n int, author bot.User, text string) {
			t.Helper()
			err := b.r.HandleEvent(context.Background(), &bot.Message{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: fmt.Sprint("m", n)}}, At: b.clock.Now()},
				Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: mGuild, ChannelID: mGeneral}, ID: fmt.Sprint("m", n), Author: author, Text: text})
			if err != nil {
				t.Fatal(err)
			}
		}
		pings := "<@" + uAlice + "> <@" + uBob + "> <@" + uDave + ">"
		alice := b.guild.members[uAlice].User
		say(1, alice, pings+" "+pings) // alice is no newcomer
		say(2, u, pings)
		if es := b.outboxWith(t, "raid:"); len(es) != 0 {
			t.Fatalf("raid mode at 3 mentions: %d messages", len(es))
		}
		say(3, u, pings)
		if a := b.raidAlert(t); a.Title != "Raid mode is on in the server: 6 mentions by new members in 1m" {
			t.Errorf("alert = %q", a.Title)
		}
		say(4, u, pings) // raid mode is on already: once
		n := 0
		for _, e := range b.outboxWith(t, "raid:") {
			if strings.HasSuffix(e.Key, ":alert:slack") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d raid alerts, want 1", n)
		}
		// End raid mode, from the Slack alert's button.
		var off bot.Button
		for _, btn := range b.raidAlert(t).Buttons {
			if btn.ActionID == "raid.off" {
				off = btn
			}
		}
		r, err := b.click(t, bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}, off)
		if err != nil || !strings.HasPrefix(r.Text, "Raid mode is off (it began ") || !strings.HasSuffix(r.Text, "Newcomers may join again.") {
			t.Errorf("End raid mode = %+v, %v", r, err)
		}
		if es := b.outboxWith(t, "raid:1:off:"); len(es) != 2 || !strings.Contains(es[0].Payload, "dave ended raid mode.") {
			t.Errorf("the end in the mod logs = %+v", es)
		}
	})
}

// Two replicas share the store: the joins each sees add up in one window,
// and raid mode starts once.
func TestTwoReplicasCountOneRaidWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := setupModYAML(t, db, raidYAML), setupModYAML(t, db, raidYAML)
		year := 365 * 24 * time.Hour
		for i := 1; i <= 6; i++ {
			r := a
			if i%2 == 0 {
				r = b
			}
			a.clock.Advance(time.Second)
			b.clock.Advance(time.Second)
			r.newcomer(t, i, year)
		}
		n := 0
		for _, e := range a.outboxWith(t, "raid:") {
			if strings.HasSuffix(e.Key, ":alert:slack") {
				n++
			}
		}
		if n != 1 || !strings.Contains(a.raidAlert(t).Title, "4 joins in 1m") {
			t.Errorf("%d raid alerts (%q), want one at the fourth join, whichever replica saw it", n, a.raidAlert(t).Title)
		}
	})
}

// The gate with a quarantine role: the role given with a DM first, a case
// by the gate; /raid undo after a raid takes it back.
func TestTheGateQuarantinesAndUndoReleases(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		yaml := strings.Replace(modYAML, `protected: ["1200000000000000003"]}`, `protected: ["1200000000000000003"], quarantine: ["1200000000000000077"]}`, 1) +
			"  raid: {joins: 2, min_account_age: 7d, gate_action: role, quarantine_role: quarantine}\n"
		b := setupModYAML(t, db, yaml)
		must := mustOf(t)
		young := b.newcomer(t, 1, 2*24*time.Hour)
		c, err := db.Case(context.Background(), mGuild, 1)
		if err != nil || c.Action != bot.ActionQuarantine || c.ModeratorName != "Liaison (join gate)" || c.Source != bot.SourceGate || c.TargetID != young.ID || c.Points != 0 {
			t.Fatalf("the gate's case = %+v, %v", c, err)
		}
		a := b.action(t, fmt.Sprintf("case:%s:1:apply", mGuild))
		if a.Op != bot.OpAddRole || a.RoleID != "1200000000000000077" || !strings.Contains(a.Notice, "admits Discord accounts from 1w old, and yours is 2d old. Until ") {
			t.Errorf("the gate's action = %+v", a)
		}
		// Two more joins: a raid; the gate has acted in its window.
		b.newcomer(t, 2, 365*24*time.Hour)
		b.newcomer(t, 3, 365*24*time.Hour)
		b.raidAlert(t)
		text := must(b.discord(t, uDave, "raid", "action", "undo"))
		if !strings.Contains(text, "lifted 1 (case ") {
			t.Errorf("/raid undo = %q", text)
		}
		es := b.outboxWith(t, "case:")
		var undo bot.ModAction
		for _, e := range es {
			var x bot.ModAction
			json.Unmarshal([]byte(e.Payload), &x)
			if x.Op == bot.OpRemoveRole {
				undo = x
			}
		}
		if undo.UserID != young.ID || undo.RoleID != "1200000000000000077" {
			t.Errorf("the undo's action = %+v", undo)
		}
		if _, err := b.discord(t, uDave, "raid", "action", "sideways"); err == nil || !strings.Contains(bot.ErrorMessage(err), "Use: /raid action:off") {
			t.Errorf("/raid sideways: %v", err)
		}
	})
}

// Raid mode slows down each listed channel that is not as slow already,
// remembering what it had; ending it puts that back (10s in #general),
// and leaves alone the channel it never touched (#mod-log, at 60s).
func TestRaidOffRestoresEachChannelsSlowmode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupModYAML(t, db, modYAML+`  raid: {joins: 3, window: 60s, on_duty: [dave], slowmode: {channels: [general, mod-log], seconds: 30}}
`)
		b.guild.mu.Lock()
		b.guild.slowmode = map[string]int{mGeneral: 10, mModLog: 60}
		b.guild.mu.Unlock()
		slowmodes := func() []bot.ModAction {
			var out []bot.ModAction
			for _, e := range b.outboxWith(t, "case:") {
				var a bot.ModAction
				if json.Unmarshal([]byte(e.Payload), &a) == nil && a.Op == bot.OpSlowmode {
					out = append(out, a)
				}
			}
			return out
		}
		for i := 1; i <= 4; i++ {
			b.newcomer(t, i, 365*24*time.Hour)
		}
		if a := b.raidAlert(t); !strings.Contains(a.Text, "Slowmode 30s in #general.") {
			t.Errorf("the alert says %q", a.Text)
		}
		if got := slowmodes(); len(got) != 1 || got[0].ChannelID != mGeneral || got[0].Seconds != 30 {
			t.Fatalf("raid mode's slowmodes = %+v, want 30s in #general only", got)
		}
		var off bot.Button
		for _, btn := range b.raidAlert(t).Buttons {
			if btn.ActionID == "raid.off" {
				off = btn
			}
		}
		r, err := b.click(t, bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}, off)
		if err != nil || !strings.Contains(r.Text, "Slowmode back to what it was in #general (10s, case ") {
			t.Errorf("End raid mode = %+v, %v", r, err)
		}
		if got := slowmodes(); len(got) != 2 || got[1].ChannelID != mGeneral || got[1].Seconds != 10 {
			t.Errorf("slowmodes after raid mode = %+v, want #general back to 10s and #mod-log untouched", got)
		}
	})
}

// Kick all and Ban all count the members they would act on: Kick all not
// the ones the join gate already kicked, before raid mode (young accounts)
// or during it (every newcomer); Ban all every raider, so that those the
// gate kicked cannot come back. The alert's buttons, the question and the
// confirmation agree, and confirming kicks exactly the members the
// question counted, not someone who joined after it.
func TestKickAllCountsAndKicksOnlyWhomTheGateLetIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupModYAML(t, db, modYAML+"  raid: {joins: 3, window: 60s, min_account_age: 1d, on_duty: [dave]}\n")
		must := mustOf(t)
		year := 365 * 24 * time.Hour
		var in []bot.User
		for i := 1; i <= 4; i++ { // two young accounts the gate kicks, then two it lets in: raid mode
			b.clock.Advance(time.Second)
			age := year
			if i <= 2 {
				age = 2 * time.Hour
			}
			if u := b.newcomer(t, i, age); i > 2 {
				in = append(in, u)
			}
		}
		b.clock.Advance(time.Second)
		b.newcomer(t, 5, year) // raid mode is on: the gate kicks every newcomer
		if cs := b.outboxWith(t, fmt.Sprintf("case:%s:3:apply", mGuild)); len(cs) != 1 {
			t.Fatalf("the gate did not kick the newcomer during raid mode: %d messages", len(cs))
		}
		alert := b.raidAlert(t)
		if !strings.Contains(alert.Text, "4 member(s) joined since") || !strings.Contains(alert.Text, "raider1 (2h) · stopped by the join gate") {
			t.Errorf("the alert lists:\n%s", alert.Text)
		}
		buttons := map[string]bot.Button{}
		var labels []string
		for _, btn := range alert.Buttons {
			buttons[btn.ActionID] = btn
			labels = append(labels, btn.Label)
		}
		if diff := cmp.Diff([]string{"Ban all (4)", "Kick all (2)", "End raid mode"}, labels); diff != "" {
			t.Errorf("the alert's buttons (-want +got):\n%s", diff)
		}
		slackDave := bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}
		r, err := b.click(t, slackDave, buttons["raid.banall"]) // raider5 joined since the alert
		if err != nil || !strings.HasPrefix(r.Text, "Ban all 5 member(s) who joined since ") || len(r.Buttons) != 2 || r.Buttons[0].Label != "Ban 5" {
			t.Fatalf("Ban all asked %+v, %v", r, err)
		}
		if text := must(b.click(t, slackDave, r.Buttons[1])); text != "Cancelled: nothing was done." {
			t.Errorf("cancelled: %q", text)
		}
		r, err = b.click(t, slackDave, buttons["raid.kickall"])
		if err != nil || !strings.HasPrefix(r.Text, "Kick all 2 member(s) who joined since ") || len(r.Buttons) != 2 || r.Buttons[0].Label != "Kick 2" {
			t.Fatalf("Kick all asked %+v, %v", r, err)
		}
		// Raid mode ends before the confirmation, and someone joins, let in:
		// not among the two the question counted.
		must(b.click(t, slackDave, buttons["raid.off"]))
		b.clock.Advance(2 * time.Minute) // past the raid window: no second raid
		b.newcomer(t, 6, year)
		if text := must(b.click(t, slackDave, r.Buttons[0])); text != "Kicked 2 member(s) (cases 4–5)." {
			t.Errorf("confirmed: %q", text)
		}
		var kicked []string
		for _, e := range b.outboxWith(t, "case:") {
			var a bot.ModAction
			if err := json.Unmarshal([]byte(e.Payload), &a); err != nil {
				t.Fatal(err)
			}
			if a.Op == bot.OpKick {
				kicked = append(kicked, a.UserName)
			}
		}
		if diff := cmp.Diff([]string{"raider1", "raider2", "raider5", in[0].Name, in[1].Name}, kicked); diff != "" {
			t.Errorf("kicks sent to Discord, the gate's three then Kick all's (-want +got):\n%s", diff)
		}
		for n, u := range map[int64]bot.User{4: in[0], 5: in[1]} {
			if c, err := db.Case(context.Background(), mGuild, n); err != nil || c.Action != bot.ActionKick || c.TargetID != u.ID || c.Source != bot.SourceSlack {
				t.Errorf("case %d = %+v, %v; want dave's kick of %s", n, c, err, u.Name)
			}
		}
		if c, err := db.Case(context.Background(), mGuild, 6); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("a sixth case: %+v, %v", c, err)
		}
	})
}

// A raid of accounts the gate kicked, every one: nobody is left on the
// server to kick, so the alert offers no Kick all, and the button of an
// alert that had it says so and does nothing. Ban all still bans them.
func TestARaidTheGateStoppedWholeOffersNoKickAll(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupModYAML(t, db, modYAML+"  raid: {joins: 3, window: 60s, min_account_age: 1d, on_duty: [dave]}\n")
		for i := 1; i <= 4; i++ {
			b.clock.Advance(time.Second)
			b.newcomer(t, i, 2*time.Hour)
		}
		alert := b.raidAlert(t)
		if len(alert.Buttons) != 2 || alert.Buttons[0].Label != "Ban all (4)" || alert.Buttons[1].ActionID != "raid.off" {
			t.Errorf("the alert's buttons = %+v, want Ban all (4) and End raid mode", alert.Buttons)
		}
		cases := len(b.outboxWith(t, "case:"))
		dave := bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}
		_, err := b.click(t, dave, bot.Button{ActionID: "raid.kickall", Value: alert.Buttons[0].Value})
		if bot.ErrorCode(err) != bot.EConflict || !strings.Contains(bot.ErrorMessage(err), "was kicked by the join gate: nobody is left to kick") {
			t.Errorf("raid.kickall: %v, want a refusal", err)
		}
		if n := len(b.outboxWith(t, "case:")); n != cases {
			t.Errorf("the refusal made %d case messages", n-cases)
		}
		if r, err := b.click(t, dave, alert.Buttons[0]); err != nil || !strings.HasPrefix(r.Text, "Ban all 4 member(s) who joined since ") {
			t.Errorf("Ban all asked %+v, %v", r, err)
		}
	})
}

// Kick all clicked on the alert after raid mode ended acts on who joined
// during the raid, not on who joined since.
func TestKickAllAfterRaidOffLeavesOutLaterJoiners(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupModYAML(t, db, modYAML+"  raid: {joins: 3, window: 60s, min_account_age: 1d, on_duty: [dave]}\n")
		must := mustOf(t)
		year := 365 * 24 * time.Hour
		for i := 1; i <= 4; i++ { // a fourth join in the window starts raid mode
			b.clock.Advance(time.Second)
			b.newcomer(t, i, year)
		}
		alert := b.raidAlert(t)
		buttons := map[string]bot.Button{}
		for _, btn := range alert.Buttons {
			buttons[btn.ActionID] = btn
		}
		dave := bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}
		must(b.click(t, dave, buttons["raid.off"]))
		b.clock.Advance(2 * time.Minute) // past the raid window: no second raid
		b.newcomer(t, 5, year)
		r, err := b.click(t, dave, buttons["raid.kickall"])
		if err != nil || !strings.HasPrefix(r.Text, "Kick all 4 member(s) who joined since ") || len(r.Buttons) != 2 || r.Buttons[0].Label != "Kick 4" {
			t.Fatalf("Kick all after /raid off asked %+v, %v; want the raid's 4 joiners", r, err)
		}
	})
}
