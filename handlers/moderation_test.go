package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/handlers/moderation"
	"github.com/liaison-bot/liaison/jobs"
)

const modYAML = `timezone: Europe/Paris
slack:
  channels: {mod-log: C01MODLOG, product: C01PRODUCT}
discord:
  guild: "998877665544332211"
  channels: {general: "1100000000000000002", mod-log: "1100000000000000003"}
  roles: {staff: ["1200000000000000001"], moderators: ["1200000000000000002"], protected: ["1200000000000000003"]}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
  - {name: bob, slack: U01BOB, discord: "1300000000000000002"}
moderation:
  mod_log: {discord: mod-log, slack: mod-log}
  escalation:
    points: {warn: 1, timeout: 2}
    decay: {points: 1, every: 30d}
    thresholds:
      - {points: 3, action: timeout, duration: 1h}
      - {points: 5, action: ban, duration: 7d}
  automod:
    exempt_roles: [staff]
    rules:
      - {name: scams, words: [free nitro], actions: [delete, warn, alert]}
      - {name: invites, invites: true, actions: [delete]}
  welcome: {channel: general, text: "Welcome {user}! Read /rules."}
  rules: "1. Be kind."
`

// Ids of the test server.
const (
	mGuild   = "998877665544332211"
	mGeneral = "1100000000000000002"
	mModLog  = "1100000000000000003"
	rStaff   = "1200000000000000001"
	rMod     = "1200000000000000002"
	rProt    = "1200000000000000003"
	rSenior  = "1200000000000000009"
	rLiaison = "1200000000000000010"
	uDave    = "1300000000000000004"
	uBob     = "1300000000000000002"
	uMallory = "1400000000000000002"
	uAlice   = "1400000000000000001"
	uPat     = "1400000000000000005"
	uSam     = "1400000000000000006"
	uOwner   = "1400000000000000007"
	uSelf    = "1000000000000000042"
)

// fakeGuild is a guildReader over a fixed server.
type fakeGuild struct {
	mu      sync.Mutex
	guild   bot.Guild
	members map[string]*bot.Member
	banned  map[string]bool
	history map[string][]*bot.Message
	// slowmode is each channel's slowmode in seconds (ChannelSlowmode).
	slowmode map[string]int
}

func (f *fakeGuild) ChannelSlowmode(_ context.Context, channelID string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slowmode[channelID], nil
}

func newFakeGuild() *fakeGuild {
	f := &fakeGuild{
		guild: bot.Guild{ID: mGuild, OwnerID: uOwner, SelfID: uSelf, SelfRoles: []string{rLiaison}, Roles: []bot.Role{
			{ID: mGuild, Name: "@everyone"}, {ID: rProt, Name: "partners", Position: 5}, {ID: rStaff, Name: "staff", Position: 10},
			{ID: rMod, Name: "moderators", Position: 20}, {ID: rSenior, Name: "senior", Position: 30}, {ID: rLiaison, Name: "Liaison", Position: 40},
		}},
		members: map[string]*bot.Member{}, banned: map[string]bool{}, history: map[string][]*bot.Message{},
	}
	for id, m := range map[string][]string{
		uDave: {rStaff, rMod}, uBob: {rStaff}, uMallory: nil, uAlice: nil, uPat: {rProt}, uSam: {rSenior}, uOwner: nil, uSelf: {rLiaison},
	} {
		name := map[string]string{uDave: "dave", uBob: "bob", uMallory: "mallory", uAlice: "alice", uPat: "pat", uSam: "sam", uOwner: "owner", uSelf: "liaison"}[id]
		f.members[id] = &bot.Member{User: bot.User{Platform: bot.PlatformDiscord, ID: id, Name: name, Roles: m}}
	}
	return f
}

func (f *fakeGuild) GuildInfo(context.Context, string) (*bot.Guild, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.guild
	return &g, nil
}

func (f *fakeGuild) GuildMember(_ context.Context, _, id string) (*bot.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.members[id]
	if !ok {
		return nil, bot.Errorf(bot.ENotFound, "not a member")
	}
	c := *m
	return &c, nil
}

func (f *fakeGuild) GuildBanned(_ context.Context, _, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.banned[id], nil
}

func (f *fakeGuild) DiscordUser(_ context.Context, id string) (bot.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.members[id]; ok {
		return m.User, nil
	}
	if id == "1400000000000000099" {
		return bot.User{Platform: bot.PlatformDiscord, ID: id, Name: "ghost"}, nil
	}
	return bot.User{}, bot.Errorf(bot.ENotFound, "unknown user")
}

func (f *fakeGuild) SearchMembers(_ context.Context, _, q string) ([]bot.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []bot.Member
	for _, m := range f.members {
		if strings.EqualFold(m.User.Name, q) {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (f *fakeGuild) ChannelHistory(_ context.Context, ch string, limit int) ([]*bot.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.history[ch]
	return h[:min(limit, len(h))], nil
}

type modBundle struct {
	r     *Router
	mod   *moderation.Moderation
	db    *store.DB
	clock *bot.ManualClock
	guild *fakeGuild
	seq   atomic.Int64
	step  time.Duration // the clock moves this much before each Discord command
}

func setupMod(t *testing.T, db *store.DB) *modBundle { return setupModYAML(t, db, modYAML) }

// setupModYAML is setupMod with the configuration yaml.
func setupModYAML(t *testing.T, db *store.DB, yaml string) *modBundle {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	g := newFakeGuild()
	c := Build(Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler), Guilds: g})
	return &modBundle{r: c.Router, mod: c.Moderation, db: db, clock: clock, guild: g}
}

func (b *modBundle) delivery() bot.Delivery {
	return bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_interaction", Key: fmt.Sprint("i", b.seq.Add(1))}}, At: b.clock.Now()}
}

// discord runs a Discord slash command as the member with id by.
func (b *modBundle) discord(t *testing.T, by, name string, opts ...string) (*bot.Reply, error) {
	t.Helper()
	b.clock.Advance(b.step)
	b.guild.mu.Lock()
	u := b.guild.members[by].User
	b.guild.mu.Unlock()
	c := &bot.Command{Delivery: b.delivery(), Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: mGuild, ChannelID: mGeneral}, Name: name, User: u}
	for i := 0; i+1 < len(opts); i += 2 {
		c.Options = append(c.Options, bot.Option{Name: opts[i], Value: opts[i+1]})
	}
	return b.r.HandleCommand(context.Background(), c)
}

// slack runs /liaison text as the Slack user id.
func (b *modBundle) slack(id, text string) (*bot.Reply, error) {
	c := &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_command", Key: fmt.Sprint("t", b.seq.Add(1))}}},
		Place: bot.Place{Platform: bot.PlatformSlack, ScopeID: "T1", ChannelID: "C01MODLOG"}, Name: "liaison", Text: text,
		User: bot.User{Platform: bot.PlatformSlack, ID: id}}
	return b.r.HandleCommand(context.Background(), c)
}

func (b *modBundle) click(t *testing.T, u bot.User, btn bot.Button) (*bot.Reply, error) {
	t.Helper()
	return b.r.HandleAction(context.Background(), &bot.Action{Delivery: b.delivery(), ActionID: btn.ActionID, Value: btn.Value, User: u,
		Place: bot.Place{Platform: u.Platform, ScopeID: mGuild, ChannelID: mGeneral}})
}

// mustOf returns a function that gives a reply's text, failing t when the
// request was refused.
func mustOf(t *testing.T) func(*bot.Reply, error) string {
	return func(r *bot.Reply, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return r.Text
	}
}

// outboxKeys returns the outbox entries whose key starts with prefix.
func (b *modBundle) outboxWith(t *testing.T, prefix string) []store.OutboxEntry {
	t.Helper()
	all, err := b.db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OutboxEntry
	for _, e := range all {
		if strings.HasPrefix(e.Key, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func (b *modBundle) action(t *testing.T, key string) bot.ModAction {
	t.Helper()
	es := b.outboxWith(t, key)
	if len(es) == 0 || es[0].Key != key {
		t.Fatalf("no outbox message %s", key)
	}
	var a bot.ModAction
	if err := json.Unmarshal([]byte(es[0].Payload), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestEachCommandMakesACaseWithItsActionAndModLog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		b.step = moderation.BurstWindow // no burst: every case has its own mod-log post
		must := mustOf(t)
		key := func(n int) string { return fmt.Sprintf("case:%s:%d", mGuild, n) }

		text := must(b.discord(t, uDave, "warn", "user", uMallory, "reason", "spamming links"))
		if text != "Warned mallory (case 1). mallory has 1 point(s) now; at 3: a 1h timeout." {
			t.Errorf("/warn = %q", text)
		}
		if es := b.outboxWith(t, key(1)+":apply"); len(es) != 0 {
			t.Errorf("a warn sends nothing to Discord: %+v", es)
		}

		text = must(b.discord(t, uDave, "timeout", "user", uMallory, "duration", "2h", "reason", "still spamming"))
		if !strings.HasPrefix(text, "Timed out mallory for 2h, until Mon 23 Nov 12:00 CET (case 2)") {
			t.Errorf("/timeout = %q", text)
		}
		a := b.action(t, key(2)+":apply")
		until := b.clock.Now().Add(2 * time.Hour)
		if a.Op != bot.OpTimeout || a.UserID != uMallory || !a.Until.Equal(until) || a.Reason != "dave via Liaison, case 2: still spamming" {
			t.Errorf("timeout action = %+v", a)
		}

		b.guild.members[uMallory].TimeoutUntil = until
		must(b.discord(t, uDave, "untimeout", "user", uMallory))
		if a := b.action(t, key(3)+":apply"); a.Op != bot.OpUntimeout || a.Reason != "dave via Liaison, case 3" {
			t.Errorf("untimeout action = %+v", a)
		}

		must(b.discord(t, uDave, "kick", "user", uAlice, "reason", "trolling"))
		if a := b.action(t, key(4)+":apply"); a.Op != bot.OpKick || a.UserID != uAlice {
			t.Errorf("kick action = %+v", a)
		}

		text = must(b.discord(t, uDave, "ban", "user", uMallory, "reason", "raid", "duration", "7d", "delete_messages", "1d"))
		if !strings.HasPrefix(text, "Banned mallory for 1w, until Mon 30 Nov 10:00 CET (case 5)") {
			t.Errorf("/ban = %q", text)
		}
		if a := b.action(t, key(5)+":apply"); a.Op != bot.OpBan || a.DeleteMessageSeconds != 86400 || a.Reason != "dave via Liaison, case 5: raid" {
			t.Errorf("ban action = %+v", a)
		}

		b.guild.banned[uMallory] = true
		must(b.discord(t, uDave, "unban", "user", uMallory, "reason", "appeal accepted"))
		if a := b.action(t, key(6)+":apply"); a.Op != bot.OpUnban {
			t.Errorf("unban action = %+v", a)
		}
		exp, _ := db.Expiries(context.Background(), mGuild)
		for _, e := range exp {
			if e.CaseNumber == 5 && e.Status != store.ExpiryCancelled {
				t.Errorf("the unban left the temporary ban's expiry %+v", e)
			}
		}

		must(b.discord(t, uDave, "note", "user", uMallory, "text", "talked to her in DM"))
		must(b.discord(t, uDave, "slowmode", "seconds", "30"))
		if a := b.action(t, key(8)+":apply"); a.Op != bot.OpSlowmode || a.Seconds != 30 || a.ChannelID != mGeneral {
			t.Errorf("slowmode action = %+v", a)
		}

		// Every case is in the mod log, in Discord and Slack.
		for n := 1; n <= 8; n++ {
			for _, p := range []string{"discord", "slack"} {
				es := b.outboxWith(t, fmt.Sprintf("%s:log:%s", key(n), p))
				if len(es) != 1 {
					t.Fatalf("case %d has %d mod-log posts on %s", n, len(es), p)
				}
				var post bot.Post
				json.Unmarshal([]byte(es[0].Payload), &post)
				if want := map[string]string{"discord": mModLog, "slack": "C01MODLOG"}[p]; post.ChannelID != want || len(post.Notify) != 0 {
					t.Errorf("case %d post on %s = %+v", n, p, post)
				}
			}
		}

		text = must(b.discord(t, uDave, "case", "number", "2"))
		for _, want := range []string{"Case 2 · timeout 2h", "Member: mallory (" + uMallory + ")", "Moderator: dave", "Reason: still spamming", "Expires: Mon 23 Nov 12:00 CET"} {
			if !strings.Contains(text, want) {
				t.Errorf("/case 2 lacks %q:\n%s", want, text)
			}
		}
		text = must(b.discord(t, uDave, "cases", "user", uMallory))
		if !strings.HasPrefix(text, "mallory has 6 case(s), newest first:\nCase 7 · note") || !strings.Contains(text, "Points now: 3. At 5: a 1w ban.") {
			t.Errorf("/cases = %q", text)
		}

		// /reason edits the case and both mod-log posts (they were sent).
		b.sendAll(t)
		must(b.discord(t, uDave, "reason", "number", "1", "text", "spamming links in #general"))
		c, _ := db.Case(context.Background(), mGuild, 1)
		if c.Reason != "spamming links in #general" {
			t.Errorf("reason = %q", c.Reason)
		}
		for _, p := range []string{"discord", "slack"} {
			es := b.outboxWith(t, fmt.Sprintf("%s:log:%s:edit:1", key(1), p))
			if len(es) != 1 || es[0].Kind != bot.KindUpdate || !strings.Contains(es[0].Payload, "spamming links in #general") {
				t.Errorf("edit of case 1 on %s = %+v", p, es)
			}
		}
	})
}

// sendAll marks every due outbox message sent, as the dispatcher would.
func (b *modBundle) sendAll(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for {
		msgs, err := b.db.ClaimOutbox(ctx, "test", b.clock.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return
		}
		var outs []store.OutboxOutcome
		for _, m := range msgs {
			id := "id-" + m.Key
			if m.Kind == bot.KindUpdate {
				id = m.ParentRef
			}
			outs = append(outs, store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts, State: store.OutboxSent, Result: bot.SendResult{PlatformID: id}})
		}
		if err := b.db.FinishOutbox(ctx, b.clock.Now(), outs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefusalsAreClearAndChangeNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		tests := []struct {
			name string
			by   string
			cmd  []string
			want string
		}{
			{"a non-moderator", uBob, []string{"timeout", "user", uMallory, "duration", "1h", "reason", "x"},
				"Timing members out is for the Discord moderators. Nothing was changed"},
			{"a target above the moderator", uDave, []string{"kick", "user", uSam, "reason", "x"}, "sam is above you in the role list"},
			{"a protected member", uDave, []string{"ban", "user", uPat, "reason", "x"}, "pat has the partners role, which is protected"},
			{"oneself", uDave, []string{"warn", "user", uDave, "reason", "x"}, "You cannot moderate yourself."},
			{"Liaison", uDave, []string{"warn", "user", uSelf, "reason", "x"}, "Liaison does not moderate itself."},
			{"the owner", uDave, []string{"ban", "user", uOwner, "reason", "x"}, "owner owns the server"},
			{"a bad duration", uDave, []string{"timeout", "user", uMallory, "duration", "soon", "reason", "x"}, `"soon" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m. Use: /timeout user:mallory duration:10m`},
			{"a bad ban duration", uDave, []string{"ban", "user", uMallory, "reason", "x", "duration", "a week"},
				`"a week" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m. Use: /ban user:mallory reason:"spam" duration:7d`},
			{"no reason", uDave, []string{"warn", "user", uMallory, "reason", " "}, "Give a reason"},
			{"not timed out", uDave, []string{"untimeout", "user", uMallory}, "mallory is not timed out: there is no timeout to lift"},
			{"not banned", uDave, []string{"unban", "user", uMallory}, "mallory is not banned: there is no ban to lift"},
			{"kicking who left", uDave, []string{"kick", "user", "1400000000000000099", "reason", "x"}, "ghost is not on the server (they left"},
			{"too much history", uDave, []string{"ban", "user", uMallory, "reason", "x", "delete_messages", "8d"}, "at most the last 7d"},
		}
		for _, tt := range tests {
			_, err := b.discord(t, tt.by, tt.cmd[0], tt.cmd[1:]...)
			if err == nil || !strings.Contains(bot.ErrorMessage(err), tt.want) || bot.ErrorCode(err) == bot.EInternal {
				t.Errorf("%s: %v, want a refusal saying %q", tt.name, err, tt.want)
			}
		}
		if es := b.outboxWith(t, ""); len(es) != 0 {
			t.Errorf("refusals enqueued %d messages", len(es))
		}
		if cs, _ := db.CasesFor(context.Background(), mGuild, uMallory, 0); len(cs) != 0 {
			t.Errorf("refusals made cases: %+v", cs)
		}
	})
}

func TestCaseNumbersStayGaplessUnderConcurrentCommands(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.discord(t, uDave, "note", "user", uMallory, "text", fmt.Sprint("note ", i)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		cases, _ := db.CasesFor(context.Background(), mGuild, uMallory, 50)
		seen := map[int64]bool{}
		for _, c := range cases {
			seen[c.Number] = true
		}
		for n := int64(1); n <= 20; n++ {
			if !seen[n] {
				t.Errorf("case %d is missing; got %d cases", n, len(cases))
			}
		}
	})
}

func TestAWarnThatEscalatesAsksFirstAndPointsDecay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		dave := b.guild.members[uDave].User
		warn := func(reason string) (*bot.Reply, error) {
			return b.discord(t, uDave, "warn", "user", uMallory, "reason", reason)
		}
		must(warn("one"))
		b.clock.Advance(24 * time.Hour)
		must(warn("two"))
		// 31 days later a point has faded: 1 + 1 = 2, below the threshold.
		b.clock.Advance(30 * 24 * time.Hour)
		if text := must(warn("three")); !strings.Contains(text, "mallory has 2 point(s) now; at 3: a 1h timeout.") {
			t.Errorf("after decay: %q", text)
		}
		r, err := warn("four")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.Text, "This warning brings mallory to 3 points, which triggers a 1h timeout.") || len(r.Buttons) != 3 || r.Buttons[0].Label != "Confirm" {
			t.Fatalf("the escalating warn = %+v", r)
		}
		if cs, _ := db.CasesFor(context.Background(), mGuild, uMallory, 0); len(cs) != 3 {
			t.Errorf("%d cases before the confirmation, want 3", len(cs))
		}
		// Someone else cannot answer for dave.
		if _, err := b.click(t, b.guild.members[uBob].User, r.Buttons[0]); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("bob's click: %v", err)
		}
		text := must(b.click(t, dave, r.Buttons[0]))
		if !strings.HasPrefix(text, "Warned mallory (case 4). Timed out mallory for 1h") {
			t.Errorf("confirmed: %q", text)
		}
		c, err := db.Case(context.Background(), mGuild, 5)
		if err != nil || c.Action != bot.ActionTimeout || c.LinkedCase != 4 || c.Duration != time.Hour || c.Points != 0 {
			t.Errorf("the escalation's case = %+v, %v", c, err)
		}
		if a := b.action(t, fmt.Sprintf("case:%s:5:apply", mGuild)); a.Op != bot.OpTimeout {
			t.Errorf("escalation action = %+v", a)
		}
		if _, err := b.click(t, dave, r.Buttons[0]); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("a second click: %v, want a conflict", err)
		}
	})
}

func TestSlackStaffModerateAsTheirDiscordIdentity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		text := must(b.slack("U01DAVE", "mod warn mallory spamming from Slack"))
		if !strings.HasPrefix(text, "Warned mallory (case 1).") {
			t.Errorf("/liaison mod warn = %q", text)
		}
		c, _ := db.Case(context.Background(), mGuild, 1)
		if c.Source != bot.SourceSlack || c.ModeratorID != uDave || c.ModeratorName != "dave" || c.Reason != "spamming from Slack" {
			t.Errorf("case = %+v", c)
		}
		must(b.slack("U01DAVE", "mod ban mallory 2d spam again"))
		c, _ = db.Case(context.Background(), mGuild, 2)
		if c.Action != bot.ActionBan || c.Duration != 48*time.Hour || c.Reason != "spam again" {
			t.Errorf("ban from Slack = %+v", c)
		}
		if a := b.action(t, fmt.Sprintf("case:%s:2:apply", mGuild)); a.Reason != "dave via Liaison (Slack), case 2: spam again" {
			t.Errorf("audit reason = %q", a.Reason)
		}
		for _, tt := range []struct{ user, text, want string }{
			{"U01BOB", "mod kick mallory x", "Kicking members is for the Discord moderators."},
			{"U01CAROL", "mod warn mallory x", "Warning members is for the Discord moderators."}, // no Discord account, no role
			{"U0STRANGER", "mod warn mallory x", "Warning members is for the Discord moderators."},
			{"U01DAVE", "mod warn nobody x", "Nobody called nobody is on the Discord server"},
			{"U01DAVE", "mod frobnicate mallory", "There is no /liaison mod frobnicate"},
		} {
			if _, err := b.slack(tt.user, tt.text); err == nil || !strings.Contains(bot.ErrorMessage(err), tt.want) {
				t.Errorf("%s %q: %v, want %q", tt.user, tt.text, err, tt.want)
			}
		}
		text = must(b.slack("U01DAVE", "mod cases mallory"))
		if !strings.HasPrefix(text, "mallory has 2 case(s)") {
			t.Errorf("/liaison mod cases = %q", text)
		}
	})
}

func TestABurstOfCasesIsBatchedInTheModLog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		for i := range 12 {
			must(b.discord(t, uDave, "note", "user", uMallory, "text", fmt.Sprint("raid ", i)))
		}
		for _, p := range []string{"discord", "slack"} {
			singles := 0
			for n := 1; n <= 12; n++ {
				singles += len(b.outboxWith(t, fmt.Sprintf("case:%s:%d:log:%s", mGuild, n, p)))
			}
			batches := b.outboxWith(t, fmt.Sprintf("modlog:%s:%s:", mGuild, p))
			if singles != moderation.BurstCases || len(batches) != 1 {
				t.Fatalf("%s: %d single posts and %d batches, want %d and 1", p, singles, len(batches), moderation.BurstCases)
			}
			var post bot.Post
			json.Unmarshal([]byte(batches[0].Payload), &post)
			if post.Title != "Cases 6–12 (7 cases in a burst)" || strings.Count(post.Text, "\n") != 6 || batches[0].NextAttemptAt.After(b.clock.Now()) {
				t.Errorf("%s batch = %+v due %v, want it due now (%v): the mod log shows a burst as it happens", p, post, batches[0].NextAttemptAt, b.clock.Now())
			}
		}
		// Once the batch is sent, a case still in the burst edits it, and
		// later cases rewrite that edit while it waits instead of adding more.
		b.clock.Advance(time.Second)
		b.sendAll(t)
		must(b.discord(t, uDave, "note", "user", uMallory, "text", "after"))
		must(b.discord(t, uDave, "note", "user", uMallory, "text", "after again"))
		edits := b.outboxWith(t, fmt.Sprintf("modlog:%s:slack:1:edit:", mGuild))
		if len(edits) != 1 || len(b.outboxWith(t, fmt.Sprintf("modlog:%s:slack:2", mGuild))) != 0 {
			t.Fatalf("after the batch was sent: edits %+v; want one edit and no second batch", edits)
		}
		var post bot.Post
		json.Unmarshal([]byte(edits[0].Payload), &post)
		if post.Title != "Cases 6–14 (9 cases in a burst)" || !strings.Contains(post.Text, "after again") {
			t.Errorf("the edit shows %q / %q, want cases 6–14 with the last note", post.Title, post.Text)
		}
		// A case after the window opens a new batch (the burst goes on: the
		// server logged more than BurstCases cases in the window).
		b.sendAll(t)
		b.clock.Advance(moderation.BurstWindow)
		for i := range moderation.BurstCases {
			must(b.discord(t, uDave, "note", "user", uMallory, "text", fmt.Sprint("second wave ", i)))
		}
		must(b.discord(t, uDave, "note", "user", uMallory, "text", "second wave batched"))
		if es := b.outboxWith(t, fmt.Sprintf("modlog:%s:slack:2", mGuild)); len(es) != 1 {
			t.Errorf("the next batch: %+v", es)
		}
	})
}

func TestManualActionsFromTheAuditLogBecomeOneCase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		ctx := context.Background()
		entry := func(id string, byLiaison bool) *bot.AuditLogEntry {
			return &bot.AuditLogEntry{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_audit_log", Key: id}}, At: b.clock.Now()},
				GuildID: mGuild, EntryID: id, Action: bot.ActionBan, ActorID: uDave, TargetID: uMallory, Reason: "raid, by hand", ByLiaison: byLiaison}
		}
		for range 2 { // a redelivery
			if err := b.r.HandleEvent(ctx, entry("e1", false)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.r.HandleEvent(ctx, entry("e2", true)); err != nil { // Liaison's own
			t.Fatal(err)
		}
		cases, _ := db.CasesFor(ctx, mGuild, uMallory, 0)
		if len(cases) != 1 || cases[0].Source != bot.SourceManual || cases[0].ModeratorName != "dave" || cases[0].Reason != "raid, by hand" {
			t.Fatalf("cases = %+v", cases)
		}
		if es := b.outboxWith(t, fmt.Sprintf("case:%s:1:apply", mGuild)); len(es) != 0 {
			t.Errorf("a manual ban is not sent again: %+v", es)
		}
		if es := b.outboxWith(t, fmt.Sprintf("case:%s:1:log:", mGuild)); len(es) != 2 {
			t.Errorf("the manual ban's mod-log posts: %d", len(es))
		}
		// A manual timeout records its duration.
		to := &bot.AuditLogEntry{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_audit_log", Key: "e3"}}, At: b.clock.Now()},
			GuildID: mGuild, Action: bot.ActionTimeout, ActorID: uDave, TargetID: uAlice, Until: b.clock.Now().Add(10 * time.Minute)}
		if err := b.r.HandleEvent(ctx, to); err != nil {
			t.Fatal(err)
		}
		c, _ := db.Case(ctx, mGuild, 2)
		if c.Action != bot.ActionTimeout || c.Duration != 10*time.Minute {
			t.Errorf("manual timeout = %+v", c)
		}
	})
}

func TestAutomodActsOnRuleBreakersOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		ctx := context.Background()
		say := func(id, author, text string, roles ...string) {
			t.Helper()
			m := &bot.Message{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: id}}, At: b.clock.Now()},
				Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: mGuild, ChannelID: mGeneral}, ID: id, Text: text,
				Author: bot.User{Platform: bot.PlatformDiscord, ID: author, Name: b.guild.members[author].User.Name, Roles: roles}}
			if err := b.r.HandleEvent(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		say("m1", uMallory, "get FR\u200bEE N1TR0 here")
		if a := b.action(t, "automod:m1:delete"); a.Op != bot.OpDelete || a.MessageIDs[0] != "m1" || !strings.Contains(a.Reason, "automod rule scams") {
			t.Errorf("delete = %+v", a)
		}
		c, err := db.Case(ctx, mGuild, 1)
		if err != nil || c.Action != bot.ActionWarn || c.Source != bot.SourceAutomod || c.TriggerMessageID != "m1" || c.ModeratorID != uSelf {
			t.Errorf("automod case = %+v, %v", c, err)
		}
		alert := b.outboxWith(t, "automod:m1:alert")
		if len(alert) != 1 || !strings.Contains(alert[0].Payload, "C01MODLOG") || !strings.Contains(alert[0].Payload, "warned (case 1)") {
			t.Errorf("alert = %+v", alert)
		}
		say("m2", uAlice, "see discord.gg/elsewhere")
		if len(b.outboxWith(t, "automod:m2:delete")) != 1 || len(b.outboxWith(t, "automod:m2:alert")) != 0 {
			t.Error("the invite rule deletes without alerting")
		}
		// Moderators, exempt roles and innocent messages are left alone.
		say("m3", uDave, "free nitro", rStaff, rMod)
		say("m4", uBob, "free nitro", rStaff)
		say("m5", uAlice, "is nitro free with the plan?")
		for _, id := range []string{"m3", "m4", "m5"} {
			if es := b.outboxWith(t, "automod:"+id); len(es) != 0 {
				t.Errorf("%s: %+v", id, es)
			}
		}
		// A protected member is only reported.
		say("m6", uPat, "free nitro", rProt)
		if len(b.outboxWith(t, "automod:m6:delete")) != 0 {
			t.Error("a protected member's message was deleted")
		}
		if al := b.outboxWith(t, "automod:m6:alert"); len(al) != 1 || !strings.Contains(al[0].Payload, "nothing done: pat has the partners role") {
			t.Errorf("protected alert = %+v", al)
		}
	})
}

func TestWelcomeAndRulesPingNobodyElse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		ev := &bot.MemberChange{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_member", Key: "j1"}}, At: b.clock.Now()},
			ScopeID: mGuild, User: bot.User{Platform: bot.PlatformDiscord, ID: "1400000000000000011", Name: "newbie"}}
		if err := b.r.HandleEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		es := b.outboxWith(t, "welcome:")
		if len(es) != 1 {
			t.Fatalf("welcome posts: %d", len(es))
		}
		var p bot.Post
		json.Unmarshal([]byte(es[0].Payload), &p)
		if p.ChannelID != mGeneral || len(p.Notify) != 1 || p.Notify[0] != "1400000000000000011" || p.Text != "Welcome newbie! Read /rules." {
			t.Errorf("welcome = %+v", p)
		}
		r, err := b.discord(t, uAlice, "rules")
		if err != nil || r.Text != "1. Be kind." || r.Public {
			t.Errorf("/rules by a member = %+v, %v: want it shown to them alone", r, err)
		}
		r, err = b.discord(t, uDave, "rules")
		if err != nil || !r.Public {
			t.Errorf("/rules by staff = %+v, %v: want it posted", r, err)
		}
	})
}

func TestPurgePreviewsSplitsAtFourteenDaysAndArchives(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		now := b.clock.Now()
		var h []*bot.Message
		for i := range 5 {
			at := now.Add(-time.Duration(i) * 4 * 24 * time.Hour) // 0, 4, 8, 12, 16 days old
			author := uMallory
			if i == 1 {
				author = uAlice
			}
			h = append(h, &bot.Message{Delivery: bot.Delivery{At: at}, ID: fmt.Sprint("m", i), Text: fmt.Sprint("spam ", i),
				Author: bot.User{Platform: bot.PlatformDiscord, ID: author, Name: b.guild.members[author].User.Name}})
		}
		b.guild.history[mGeneral] = h
		r, err := b.discord(t, uDave, "purge", "count", "10", "user", uMallory)
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != "Purge 4 message(s) in #general (from mallory)? 3 recent: deleted at once. 1 older than 14 days: Discord deletes those one by one, about 2s. Their text is archived in the mod log." {
			t.Errorf("preview = %q", r.Text)
		}
		if es := b.outboxWith(t, ""); len(es) != 0 {
			t.Fatalf("the preview enqueued %d messages", len(es))
		}
		text := must(b.click(t, b.guild.members[uDave].User, r.Buttons[0]))
		if !strings.HasPrefix(text, "Purging 4 message(s) in #general (case 1)") {
			t.Errorf("confirmed: %q", text)
		}
		if a := b.action(t, fmt.Sprintf("case:%s:1:apply:bulk:1", mGuild)); a.Op != bot.OpBulkDelete || strings.Join(a.MessageIDs, ",") != "m0,m2,m3" {
			t.Errorf("bulk = %+v", a)
		}
		if a := b.action(t, fmt.Sprintf("case:%s:1:apply:delete:m4", mGuild)); a.Op != bot.OpDelete {
			t.Errorf("old delete = %+v", a)
		}
		for _, p := range []string{"discord", "slack"} {
			up := b.outboxWith(t, fmt.Sprintf("case:%s:1:archive:%s", mGuild, p))
			if len(up) != 1 || up[0].Kind != bot.KindUpload {
				t.Fatalf("archive on %s: %+v", p, up)
			}
			var u bot.Upload
			json.Unmarshal([]byte(up[0].Payload), &u)
			if u.Filename != "purge-case-1.txt" || !strings.Contains(string(u.Data), "mallory ("+uMallory+"), message m4:\n    spam 4") || strings.Contains(string(u.Data), "spam 1") {
				t.Errorf("archive = %s\n%s", u.Filename, u.Data)
			}
		}
	})
}

func TestExpiriesLiftTempBansAndRenewLongTimeoutsOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		ctx := context.Background()
		x := &jobs.Expiries{Store: db, Apply: b.mod.ApplyExpiry}
		must(b.discord(t, uDave, "ban", "user", uMallory, "reason", "cool off", "duration", "1d"))
		must(b.discord(t, uDave, "timeout", "user", uAlice, "duration", "40d", "reason", "long one"))
		t0 := b.clock.Now()
		if a := b.action(t, fmt.Sprintf("case:%s:2:apply", mGuild)); !a.Until.Equal(t0.Add(bot.MaxTimeout - 10*time.Minute)) {
			t.Errorf("a 40d timeout is applied for 28d less a margin first: %+v", a)
		}
		run := func() int {
			t.Helper()
			n, err := x.Run(ctx, b.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := run(); n != 0 {
			t.Errorf("%d expiries acted at once", n)
		}
		b.clock.Advance(24 * time.Hour)
		if n := run(); n != 1 {
			t.Errorf("after a day: %d acted, want the unban", n)
		}
		if a := b.action(t, fmt.Sprintf("case:%s:1:expire", mGuild)); a.Op != bot.OpUnban || a.UserID != uMallory {
			t.Errorf("unban = %+v", a)
		}
		if n := run(); n != 0 {
			t.Errorf("a second run acted %d times", n)
		}
		b.clock.Set(t0.Add(bot.MaxTimeout - 10*time.Minute - time.Hour))
		if n := run(); n != 1 {
			t.Errorf("renewal: %d", n)
		}
		renews := b.outboxWith(t, fmt.Sprintf("case:%s:2:renew:", mGuild))
		var a bot.ModAction
		json.Unmarshal([]byte(renews[0].Payload), &a)
		if len(renews) != 1 || !a.Until.Equal(t0.Add(40*24*time.Hour)) {
			t.Errorf("renewal = %+v until %v", renews, a.Until)
		}
		b.clock.Set(t0.Add(40 * 24 * time.Hour))
		if n := run(); n != 1 {
			t.Errorf("the end of the timeout: %d", n)
		}
		if es := b.outboxWith(t, fmt.Sprintf("case:%s:2:ended:slack", mGuild)); len(es) != 1 || !strings.Contains(es[0].Payload, "the 5w5d timeout of alice ended") {
			t.Errorf("ended note = %+v", es)
		}
	})
}

func TestTwoSchedulersActOnAnExpiryOnce(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.Postgres) // several replicas: Postgres only
	b := setupMod(t, db)
	must := mustOf(t)
	for _, u := range []string{uMallory, uAlice} {
		must(b.discord(t, uDave, "ban", "user", u, "reason", "cool off", "duration", "1h"))
	}
	b.clock.Advance(time.Hour)
	// Two replicas' expiry jobs at the same moment, leases aside: each
	// expiry is claimed by one of them.
	var acted atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := &jobs.Expiries{Store: db, Apply: b.mod.ApplyExpiry}
			n, err := x.Run(context.Background(), b.clock.Now())
			if err != nil {
				t.Error(err)
			}
			acted.Add(int32(n))
		}()
	}
	wg.Wait()
	if acted.Load() != 2 {
		t.Errorf("acted %d times on 2 expiries", acted.Load())
	}
	// And through two schedulers sharing the lease.
	must(b.discord(t, uDave, "ban", "user", uBob, "reason", "cool off", "duration", "1h"))
	b.clock.Advance(time.Hour)
	for _, holder := range []string{"a", "b"} {
		s := &jobs.Scheduler{Leases: db, Clock: b.clock, Holder: holder}
		s.Add((&jobs.Expiries{Store: db, Apply: b.mod.ApplyExpiry}).Job())
		if _, err := s.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if es := b.outboxWith(t, fmt.Sprintf("case:%s:", mGuild)); len(filterSuffix(es, ":expire")) != 3 {
		t.Errorf("%d unbans enqueued, want 3", len(filterSuffix(es, ":expire")))
	}
}

func filterSuffix(es []store.OutboxEntry, suffix string) []store.OutboxEntry {
	var out []store.OutboxEntry
	for _, e := range es {
		if strings.HasSuffix(e.Key, suffix) {
			out = append(out, e)
		}
	}
	return out
}

func TestTheModerateMenuOfAFeedbackItemActsOnItsAuthor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupMod(t, db)
		must := mustOf(t)
		ctx := context.Background()
		it := &store.FeedbackItem{SourceKey: "discord:g:f1", Source: bot.PlatformDiscord, Intake: "channel", ScopeID: mGuild, ChannelID: mGeneral,
			MessageID: "f1", AuthorID: uMallory, AuthorName: "mallory", Text: "your product is garbage, buy mine"}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.CreateFeedback(ctx, b.clock.Now(), it); return err }); err != nil {
			t.Fatal(err)
		}
		dave := bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}
		r, err := b.click(t, dave, moderation.ModerateButton(it.ID))
		if err != nil || len(r.Buttons) != 3 || r.Text != fmt.Sprintf("Moderate mallory, the author of feedback #%d?", it.ID) {
			t.Fatalf("menu = %+v, %v", r, err)
		}
		if text := must(b.click(t, dave, r.Buttons[0])); !strings.HasPrefix(text, "Warned mallory (case 1).") {
			t.Errorf("warn = %q", text)
		}
		c, _ := db.Case(ctx, mGuild, 1)
		if c.Source != bot.SourceSlack || c.ModeratorID != uDave || c.TriggerMessageID != "f1" || !strings.HasPrefix(c.Reason, fmt.Sprintf("feedback #%d: ", it.ID)) {
			t.Errorf("case = %+v", c)
		}
		must(b.click(t, dave, r.Buttons[2]))
		if a := b.action(t, fmt.Sprintf("case:%s:2:apply", mGuild)); a.Op != bot.OpDelete || a.MessageIDs[0] != "f1" || a.ChannelID != mGeneral {
			t.Errorf("delete = %+v", a)
		}
		if up := b.outboxWith(t, fmt.Sprintf("case:%s:2:archive:slack", mGuild)); len(up) != 1 || !strings.Contains(up[0].Payload, "purge-case-2.txt") {
			t.Errorf("archive = %+v", up)
		}
		if _, err := b.click(t, bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}, r.Buttons[1]); err == nil || !strings.Contains(bot.ErrorMessage(err), "Timing members out is for the Discord moderators.") {
			t.Errorf("carol's timeout: %v", err)
		}
	})
}

// With several Discord servers, /liaison mod names the one it acts on.
func TestSlackModerationNamesTheServerWhenThereAreSeveral(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		yaml := strings.Replace(modYAML, `  guild: "998877665544332211"
  channels: {general: "1100000000000000002", mod-log: "1100000000000000003"}
  roles: {staff: ["1200000000000000001"], moderators: ["1200000000000000002"], protected: ["1200000000000000003"]}
`, `  guilds:
    - id: "998877665544332211"
      name: main
      channels: {general: "1100000000000000002", mod-log: "1100000000000000003"}
      roles: {staff: ["1200000000000000001"], moderators: ["1200000000000000002"], protected: ["1200000000000000003"]}
    - id: "998877665544332299"
      name: beta
      channels: {beta-general: "1100000000000000009"}
`, 1)
		cfg, err := config.Parse("liaison.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		b := setupMod(t, db)
		b.r = New(Deps{DB: db, Config: cfg, Clock: b.clock, Logger: slog.New(slog.DiscardHandler), Guilds: b.guild})
		for _, tt := range []struct{ text, want string }{
			{"mod warn mallory spam", "Liaison watches 2 Discord servers: say which with /liaison mod in:SERVER … (main, beta)."},
			{"mod in:nowhere warn mallory spam", `Liaison knows no Discord server "nowhere". Its servers: main, beta.`},
		} {
			if _, err := b.slack("U01DAVE", tt.text); bot.ErrorMessage(err) != tt.want {
				t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
			}
		}
		if n, _ := db.CasesFor(context.Background(), mGuild, uMallory, 10); len(n) != 0 {
			t.Errorf("a refused command made %d case(s)", len(n))
		}
		text := mustOf(t)(b.slack("U01DAVE", "mod in:main warn mallory spam"))
		if !strings.HasPrefix(text, "Warned mallory (case 1).") {
			t.Errorf("/liaison mod in:main warn = %q", text)
		}
		if c, err := db.Case(context.Background(), mGuild, 1); err != nil || c.Reason != "spam" {
			t.Errorf("case 1 of main = %+v, %v", c, err)
		}
	})
}
