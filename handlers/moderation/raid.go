package moderation

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// Anti-raid (moderation.raid): the join gate stops accounts younger than
// min_account_age at the door (kick, timeout or a quarantine role, after
// a DM saying why and when to come back), each a case by "Liaison (join
// gate)"; more than raid.joins joins in raid.window, or more than
// raid.mentions mentions by new members in a minute, start raid mode once
// per raid (the store counts, so restarts and replicas agree): an alert in
// both mod logs listing who joined in the window, with Ban all and Kick
// all behind a confirmation, slowmode on the configured channels, and the
// gate raised to every newcomer until a moderator runs /raid off. /raid
// undo lifts what the gate did in the last raid.

const (
	// raisedGate is how long raid mode keeps a newcomer out (a timeout's
	// length; what a kicked newcomer is told).
	raisedGate = time.Hour
	// newMember is how long after joining a member's mentions count
	// towards the mention rate.
	newMember = 24 * time.Hour
	// raidKeep is how long joins and mentions stay for the windows.
	raidKeep = 48 * time.Hour
	// alertMembers is how many members the raid alert names.
	alertMembers   = 25
	pendingRaidAll = "raidall"
)

// The names under which Liaison acts by itself.
const (
	gateName = "Liaison (join gate)"
	raidName = "Liaison (raid mode)"
)

// registerRaid declares /raid, its buttons and the pruning job.
func (m *Moderation) registerRaid(r registrar) {
	r.AddJob(jobs.Job{Name: "raid-windows", Every: time.Hour, Run: func(ctx context.Context, now time.Time) (int, error) {
		return m.db.PruneRaidWindows(ctx, now.Add(-raidKeep))
	}})
	if !m.cfg.Moderation.Raid.Enabled {
		return
	}
	r.AddDiscordCommand(bot.CommandSpec{Name: "raid", Description: "End raid mode, or undo what the join gate did in the last raid",
		Permission: bot.CommandPermission(bot.ActionKick), Example: discordShapes["raid"],
		Options: []bot.OptionSpec{{Name: "action", Description: "off, undo or status", Type: "string", Required: true}}})
	r.OnCommand("raid", needs["raid"], m.cmdRaid)
	r.OnAction("raid.banall", needs[bot.ActionBan], m.raidAllClick)
	r.OnAction("raid.kickall", needs[bot.ActionKick], m.raidAllClick)
	r.OnAction("raid.off", needs["raid"], m.raidOffClick)
}

func (m *Moderation) cmdRaid(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	return m.raidVerb(ctx, inv, c.Option("action"), discordShapes["raid"])
}

// raidVerb runs /raid off|undo|status (Discord) or /liaison mod raid … (Slack).
func (m *Moderation) raidVerb(ctx context.Context, inv invocation, verb, example string) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, "raid", ""); err != nil {
		return nil, err
	}
	switch strings.ToLower(strings.TrimSpace(verb)) {
	case "off":
		return m.raidOff(ctx, inv)
	case "undo":
		return m.raidUndo(ctx, inv)
	case "status", "":
		return m.raidStatus(ctx, inv)
	}
	return nil, bot.Errorf(bot.EInvalid, "/raid does off (end raid mode), undo (lift what the join gate did in the last raid) or status, not %q. Use: %s", verb, example)
}

// ageText writes an account's age for people: 2h, 3d, 1y.
func ageText(d time.Duration) string {
	const year = 365 * 24 * time.Hour
	if d >= year {
		return strconv.Itoa(int(d/year)) + "y"
	}
	if d >= 24*time.Hour {
		d = d.Truncate(24 * time.Hour)
	} else {
		d = d.Truncate(time.Minute)
	}
	return bot.FormatDuration(max(d, time.Minute))
}

func (m *Moderation) serverName(guildID string) string {
	for _, g := range m.cfg.Discord.Guilds {
		if g.ID == guildID && g.Name != "" {
			return g.Name
		}
	}
	return "the server"
}

// selfID is Liaison's own Discord id in a server, "" when unknown.
func (m *Moderation) selfID(ctx context.Context, guildID string) string {
	if m.guilds == nil {
		return ""
	}
	if g, err := m.guilds.GuildInfo(ctx, guildID); err == nil {
		return g.SelfID
	}
	return ""
}

// raidJoin is a join seen by raid detection and the gate, in the join's
// transaction.
// It reports whether the gate stopped the newcomer (who is then not
// welcomed).
func (m *Moderation) raidJoin(ctx context.Context, tx *store.Tx, e *bot.MemberChange) (gated bool, err error) {
	r := m.cfg.Moderation.Raid
	if !r.Enabled || e.Left || e.User.Bot || e.User.ID == "" || !m.guildConfigured(e.ScopeID) {
		return false, nil
	}
	now := m.clock.Now()
	at := cmp.Or(e.At, now)
	j := store.RaidJoin{GuildID: e.ScopeID, UserID: e.User.ID, UserName: e.User.Label(), JoinedAt: at, AccountAt: snowflakeTime(e.User.ID, time.Time{})}
	if err := tx.RecordJoin(ctx, j); err != nil {
		return false, err
	}
	raid, err := tx.ActiveRaid(ctx, e.ScopeID)
	if err != nil {
		return false, err
	}
	young := r.MinAccountAge > 0 && at.Sub(j.AccountAt) < r.MinAccountAge
	if gated = young || raid != nil; gated {
		if err := m.gate(ctx, tx, j, raid, young); err != nil {
			return false, err
		}
	}
	if raid != nil {
		return gated, nil
	}
	joins, err := tx.JoinsSince(ctx, e.ScopeID, at.Add(-r.Window))
	if err != nil || len(joins) <= r.Joins {
		return gated, err
	}
	return gated, m.startRaid(ctx, tx, e.ScopeID, fmt.Sprintf("%d joins in %s", len(joins), bot.FormatDuration(r.Window)), at.Add(-r.Window))
}

func (m *Moderation) guildConfigured(id string) bool {
	for _, g := range m.cfg.Discord.Guilds {
		if g.ID == id {
			return true
		}
	}
	return false
}

var mentionPattern = regexp.MustCompile(`<@[!&]?\d+>|@everyone|@here`)

// raidMentions counts the mentions of a new member's message towards the
// mention rate.
func (m *Moderation) raidMentions(ctx context.Context, tx *store.Tx, e *bot.Message) error {
	r := m.cfg.Moderation.Raid
	if !r.Enabled || e.Platform != bot.PlatformDiscord || e.Edited || e.Author.Bot || !m.guildConfigured(e.ScopeID) {
		return nil
	}
	n := len(mentionPattern.FindAllString(e.Text, -1))
	if n == 0 {
		return nil
	}
	now := m.clock.Now()
	joins, err := tx.JoinsSince(ctx, e.ScopeID, now.Add(-newMember))
	if err != nil {
		return err
	}
	isNew := false
	for _, j := range joins {
		isNew = isNew || j.UserID == e.Author.ID
	}
	if !isNew {
		return nil
	}
	if err := tx.RecordMentions(ctx, e.ScopeID, e.ID, e.Author.ID, n, cmp.Or(e.At, now)); err != nil {
		return err
	}
	total, err := tx.MentionsSince(ctx, e.ScopeID, now.Add(-time.Minute))
	if err != nil || total <= r.Mentions {
		return err
	}
	if raid, err := tx.ActiveRaid(ctx, e.ScopeID); err != nil || raid != nil {
		return err
	}
	return m.startRaid(ctx, tx, e.ScopeID, fmt.Sprintf("%d mentions by new members in 1m", total), now.Add(-r.Window))
}

// gate stops a newcomer at the door: young (an account under the minimum
// age) or because raid mode is on.
func (m *Moderation) gate(ctx context.Context, tx *store.Tx, j store.RaidJoin, raid *store.Raid, young bool) error {
	r := m.cfg.Moderation.Raid
	now := m.clock.Now()
	loc := m.cfg.Location
	server := m.serverName(j.GuildID)
	age := ageText(j.JoinedAt.Sub(j.AccountAt))
	back := now.Add(raisedGate)
	var reason, why string
	if young {
		back = j.AccountAt.Add(r.MinAccountAge)
		reason = fmt.Sprintf("account %s old; the server admits accounts from %s old", age, bot.FormatDuration(r.MinAccountAge))
		why = fmt.Sprintf("%s admits Discord accounts from %s old, and yours is %s old.", capitalise(server), bot.FormatDuration(r.MinAccountAge), age)
	} else {
		reason = "raid mode: the server takes no newcomers until the moderators end it"
		why = fmt.Sprintf("%s is closed to newcomers for a while: it is dealing with a raid.", capitalise(server))
	}
	req := request{
		inv:  invocation{GuildID: j.GuildID, Source: bot.SourceGate, Mod: bot.User{Platform: bot.PlatformDiscord, ID: m.selfID(ctx, j.GuildID), Name: gateName}},
		subj: &subject{TargetID: j.UserID, TargetName: j.UserName, ModName: gateName}, reason: reason, noPoints: true,
	}
	switch r.GateAction {
	case config.GateTimeout:
		req.action = bot.ActionTimeout
		req.duration = min(max(back.Sub(now), time.Minute), bot.TimeoutStep).Round(time.Minute)
		back = now.Add(req.duration)
		req.notice = fmt.Sprintf("Hello %s. %s You can read the server, and talk from %s.", j.UserName, why, when(back, loc))
	case config.GateRole:
		ids := m.cfg.RoleIDs(j.GuildID, []string{r.QuarantineRole})
		if len(ids) == 0 {
			return fmt.Errorf("join gate: the quarantine role %q has no id in server %s", r.QuarantineRole, j.GuildID)
		}
		req.action, req.roleID = bot.ActionQuarantine, ids[0]
		req.notice = fmt.Sprintf("Hello %s. %s Until %s you can only read: a moderator may let you in sooner.", j.UserName, why, when(back, loc))
	default:
		req.action = bot.ActionKick
		req.notice = fmt.Sprintf("Hello %s. %s You are welcome to join again from %s.", j.UserName, why, when(back, loc))
	}
	c, _, err := m.record(ctx, tx, req)
	if err != nil {
		return err
	}
	var raidID int64
	if raid != nil {
		raidID = raid.ID
	}
	return tx.SetJoinGate(ctx, j, r.GateAction, c.Number, raidID)
}

// startRaid starts raid mode once: the alert, slowmode, the raised gate.
func (m *Moderation) startRaid(ctx context.Context, tx *store.Tx, guildID, trigger string, windowStart time.Time) error {
	now := m.clock.Now()
	raid := &store.Raid{GuildID: guildID, Trigger: trigger, WindowStart: windowStart, StartedAt: now}
	ok, err := tx.StartRaid(ctx, raid)
	if err != nil || !ok {
		return err
	}
	joins, err := tx.JoinsSince(ctx, guildID, windowStart)
	if err != nil {
		return err
	}
	r := m.cfg.Moderation.Raid
	var slowed []string
	self := bot.User{Platform: bot.PlatformDiscord, ID: m.selfID(ctx, guildID), Name: raidName}
	seconds := r.Slowmode.Seconds
	for _, ch := range r.Slowmode.Channels {
		if ch.GuildID != guildID {
			continue
		}
		// What the channel had before, for /raid off to put back; a
		// channel already as slow or slower is left alone.
		prev := m.slowmodeOf(ctx, ch.ID)
		if prev >= seconds {
			continue
		}
		if err := tx.RecordRaidSlowmode(ctx, raid.ID, ch.ID, prev); err != nil {
			return err
		}
		where := m.channelLabel(ch.ID)
		_, _, err := m.record(ctx, tx, request{inv: invocation{GuildID: guildID, Source: bot.SourceRaid, Mod: self}, subj: &subject{ModName: raidName},
			action: bot.ActionSlowmode, reason: "raid mode: " + trigger, duration: time.Duration(r.Slowmode.Seconds) * time.Second,
			channelID: ch.ID, targetName: where, noPoints: true})
		if err != nil {
			return err
		}
		slowed = append(slowed, where)
	}
	return m.raidAlert(ctx, tx, raid, joins, slowed)
}

// raidAlert posts raid mode's start to both mod logs: the Slack one pings
// the moderators on duty.
func (m *Moderation) raidAlert(ctx context.Context, tx *store.Tx, raid *store.Raid, joins []store.RaidJoin, slowed []string) error {
	loc := m.cfg.Location
	title := fmt.Sprintf("Raid mode is on in %s: %s", m.serverName(raid.GuildID), raid.Trigger)
	lines := []string{fmt.Sprintf("%d member(s) joined since %s (account age):", len(joins), raid.WindowStart.In(loc).Format("15:04:05"))}
	for i, j := range joins {
		if i == alertMembers {
			lines = append(lines, fmt.Sprintf("… and %d more", len(joins)-alertMembers))
			break
		}
		line := fmt.Sprintf("%s (%s)", j.UserName, ageText(j.JoinedAt.Sub(j.AccountAt)))
		if j.Gate != "" {
			line += " · stopped by the join gate"
		}
		lines = append(lines, line)
	}
	did := "Newcomers are stopped at the door until a moderator ends raid mode with /raid off."
	if len(slowed) > 0 {
		did = fmt.Sprintf("Slowmode %ds in %s. ", m.cfg.Moderation.Raid.Slowmode.Seconds, strings.Join(slowed, ", ")) + did
	}
	lines = append(lines, did)
	id := strconv.FormatInt(raid.ID, 10)
	// The buttons count whom they would act on, as their confirmation
	// does: Kick all not who the gate already kicked.
	var all []bot.Button
	if n := len(raidTargets(joins, bot.ActionBan)); n > 0 {
		all = append(all, bot.Button{ActionID: "raid.banall", Label: fmt.Sprintf("Ban all (%d)", n), Value: id, Style: "danger"})
	}
	if n := len(raidTargets(joins, bot.ActionKick)); n > 0 {
		all = append(all, bot.Button{ActionID: "raid.kickall", Label: fmt.Sprintf("Kick all (%d)", n), Value: id})
	}
	now := m.clock.Now()
	for _, dst := range m.logDestinations(raid.GuildID) {
		post := bot.Post{ChannelID: dst.ID, Title: title, Text: strings.Join(lines, "\n"), Buttons: all}
		if dst.Platform == bot.PlatformSlack {
			post.Buttons = append(append([]bot.Button{}, all...), bot.Button{ActionID: "raid.off", Label: "End raid mode", Value: id})
			post.Notify = m.onDuty()
		}
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("raid:%d:alert:%s", raid.ID, dst.Platform), Platform: dst.Platform,
			Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
			return err
		}
	}
	return nil
}

// onDuty is who a raid alert pings in Slack: the on-duty people's Slack
// ids and user groups.
func (m *Moderation) onDuty() []string {
	w := m.cfg.Moderation.Raid.OnDuty
	var out []string
	for _, name := range w.People {
		if p, ok := m.cfg.Person(name); ok && p.Slack != "" {
			out = append(out, p.Slack)
		}
	}
	return append(out, w.SlackGroups...)
}

// raidPost posts a line about raid mode to both mod logs, once per key.
func (m *Moderation) raidPost(ctx context.Context, tx *store.Tx, guildID, key, text string) error {
	now := m.clock.Now()
	for _, dst := range m.logDestinations(guildID) {
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key + ":" + dst.Platform, Platform: dst.Platform, Kind: bot.KindPost,
			Payload: bot.Payload(bot.Post{ChannelID: dst.ID, Text: text})}); err != nil {
			return err
		}
	}
	return nil
}

// raidOff ends raid mode: the gate back to normal, and each channel raid
// mode slowed back to the slowmode it had before.
func (m *Moderation) raidOff(ctx context.Context, inv invocation) (*bot.Reply, error) {
	s, err := m.check(ctx, inv, "raid", "")
	if err != nil {
		return nil, err
	}
	var text string
	err = m.db.InTx(ctx, func(tx *store.Tx) error {
		raid, err := tx.ActiveRaid(ctx, inv.GuildID)
		if err != nil {
			return err
		}
		if raid == nil {
			return bot.Errorf(bot.EConflict, "Raid mode is not on: nothing to end. /raid undo lifts what the join gate did in the last raid.")
		}
		now := m.clock.Now()
		if _, err := tx.EndRaid(ctx, raid.ID, now, s.ModName); err != nil {
			return err
		}
		// Each channel raid mode slowed gets back the slowmode it had.
		before, err := tx.RaidSlowmodes(ctx, raid.ID)
		if err != nil {
			return err
		}
		var cases []string
		for _, ch := range m.cfg.Moderation.Raid.Slowmode.Channels {
			prev, ok := before[ch.ID]
			if ch.GuildID != inv.GuildID || !ok {
				continue
			}
			c, _, err := m.record(ctx, tx, request{inv: inv, subj: s, action: bot.ActionSlowmode, reason: "raid mode ended", channelID: ch.ID,
				duration: time.Duration(prev) * time.Second, targetName: m.channelLabel(ch.ID), noPoints: true})
			if err != nil {
				return err
			}
			back := "off"
			if prev > 0 {
				back = bot.FormatDuration(time.Duration(prev) * time.Second)
			}
			cases = append(cases, fmt.Sprintf("%s (%s, case %d)", m.channelLabel(ch.ID), back, c.Number))
		}
		text = fmt.Sprintf("Raid mode is off (it began %s: %s).", when(raid.StartedAt, m.cfg.Location), raid.Trigger)
		if age := m.cfg.Moderation.Raid.MinAccountAge; age > 0 {
			text += fmt.Sprintf(" The join gate is back to accounts under %s.", bot.FormatDuration(age))
		} else {
			text += " Newcomers may join again."
		}
		if len(cases) > 0 {
			text += " Slowmode back to what it was in " + strings.Join(cases, ", ") + "."
		}
		return m.raidPost(ctx, tx, inv.GuildID, fmt.Sprintf("raid:%d:off", raid.ID), fmt.Sprintf("%s ended raid mode. %s", s.ModName, text))
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: text}, nil
}

// raidUndo lifts what the join gate did in the last raid: its timeouts
// and quarantine roles; a kick keeps nobody out, so kicked members are
// only counted.
func (m *Moderation) raidUndo(ctx context.Context, inv invocation) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, "raid", ""); err != nil {
		return nil, err
	}
	var raid *store.Raid
	var gated []store.RaidJoin
	err := m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if raid, err = tx.LastRaid(ctx, inv.GuildID); err != nil || raid == nil {
			return err
		}
		gated, err = tx.RaidGated(ctx, raid.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if raid == nil {
		return nil, bot.Errorf(bot.ENotFound, "There has been no raid on this server: nothing to undo.")
	}
	var lifted []int64
	kicked, gone := 0, 0
	for _, j := range gated {
		var action string
		switch j.Gate {
		case config.GateTimeout:
			action = bot.ActionUntimeout
		case config.GateRole:
			action = bot.ActionUnquarantine
		default:
			kicked++
			continue
		}
		t, err := m.check(ctx, inv, action, j.UserID)
		if err != nil {
			return nil, err
		}
		// Left since, or the timeout is over: nothing to lift.
		over := t.Target == nil || (action == bot.ActionUntimeout && !t.Target.TimeoutUntil.After(m.clock.Now()))
		err = m.db.InTx(ctx, func(tx *store.Tx) error {
			if over {
				gone++
				return tx.SetJoinUndone(ctx, j, 0)
			}
			req := request{inv: inv, subj: t, action: action, reason: fmt.Sprintf("/raid undo: lifts case %d of the join gate", j.GateCase.Int64),
				noPoints: true, linked: j.GateCase.Int64}
			if ids := m.cfg.RoleIDs(inv.GuildID, []string{m.cfg.Moderation.Raid.QuarantineRole}); action == bot.ActionUnquarantine && len(ids) > 0 {
				req.roleID = ids[0]
			}
			c, _, err := m.record(ctx, tx, req)
			if err != nil {
				return err
			}
			lifted = append(lifted, c.Number)
			return tx.SetJoinUndone(ctx, j, c.Number)
		})
		if err != nil {
			return nil, err
		}
	}
	if err := m.db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkRaidUndone(ctx, raid.ID, m.clock.Now()) }); err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Undid the join gate of the raid of %s: ", when(raid.StartedAt, m.cfg.Location))
	switch len(lifted) {
	case 0:
		text += "nothing left to lift"
	case 1:
		text += fmt.Sprintf("lifted 1 (case %d)", lifted[0])
	default:
		text += fmt.Sprintf("lifted %d (cases %d–%d)", len(lifted), lifted[0], lifted[len(lifted)-1])
	}
	if gone > 0 {
		text += fmt.Sprintf("; %d already over or gone", gone)
	}
	if kicked > 0 {
		text += fmt.Sprintf("; %d kicked member(s) may simply join again (a kick keeps nobody out)", kicked)
	}
	return &bot.Reply{Text: text + "."}, nil
}

func (m *Moderation) raidStatus(ctx context.Context, inv invocation) (*bot.Reply, error) {
	var raid *store.Raid
	err := m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		raid, err = tx.LastRaid(ctx, inv.GuildID)
		return err
	})
	if err != nil {
		return nil, err
	}
	r := m.cfg.Moderation.Raid
	gate := "no join gate"
	if r.MinAccountAge > 0 {
		gate = fmt.Sprintf("a join gate at %s (%s)", bot.FormatDuration(r.MinAccountAge), r.GateAction)
	}
	text := fmt.Sprintf("Raid detection: more than %d joins in %s, or %d mentions by new members in 1m; %s.", r.Joins, bot.FormatDuration(r.Window), r.Mentions, gate)
	switch {
	case raid == nil:
		text += " No raid so far."
	case raid.EndedAt == nil:
		text += fmt.Sprintf(" Raid mode is ON since %s (%s): /raid off ends it.", when(raid.StartedAt, m.cfg.Location), raid.Trigger)
	default:
		text += fmt.Sprintf(" Last raid: %s (%s), ended by %s.", when(raid.StartedAt, m.cfg.Location), raid.Trigger, raid.EndedBy)
	}
	return &bot.Reply{Text: text}, nil
}

// actorInvocation is who clicked a raid button, acting as their Discord
// account in the raid's server.
func (m *Moderation) actorInvocation(a *bot.Action, guildID string) (invocation, error) {
	modID, err := m.discordIdentity(a.User)
	if err != nil {
		return invocation{}, err
	}
	src := bot.SourceDiscord
	if a.User.Platform == bot.PlatformSlack {
		src = bot.SourceSlack
	}
	return invocation{GuildID: guildID, Source: src, Mod: bot.User{Platform: bot.PlatformDiscord, ID: modID, Name: m.dir.Person(a.User)}}, nil
}

func (m *Moderation) clickedRaid(ctx context.Context, a *bot.Action) (*store.Raid, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button names no raid Liaison knows; nothing was done.")
	}
	var raid *store.Raid
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		raid, err = tx.Raid(ctx, id)
		return err
	})
	if err == nil && raid == nil {
		err = bot.Errorf(bot.ENotFound, "This raid is no longer known to Liaison; nothing was done.")
	}
	return raid, err
}

func (m *Moderation) raidOffClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	raid, err := m.clickedRaid(ctx, a)
	if err != nil {
		return nil, err
	}
	inv, err := m.actorInvocation(a, raid.GuildID)
	if err != nil {
		return nil, err
	}
	return m.raidOff(ctx, inv)
}

// pendingAll is a Ban all or Kick all waiting for confirmation, with the
// members its question counted: confirming acts on exactly those.
type pendingAll struct {
	Inv     invocation   `json:"inv"`
	Raid    int64        `json:"raid"`
	Action  string       `json:"action"`
	Members []raidMember `json:"members,omitempty"` // nil in a question an older Liaison asked: read again
}

// raidMember is one member a Ban all or Kick all acts on.
type raidMember struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// raidTargets are the members a Ban all or Kick all (action) acts on, in
// the order they first joined: each person who joined since the raid
// window began, once; for Kick all, not those the join gate kicked at
// their latest join, who are no longer on the server (Ban all bans them
// too: a raider the gate kicked would come back). The alert's buttons and
// the confirmation count exactly these, and confirming acts on them;
// staff and protected members among them are skipped then, and said.
func raidTargets(joins []store.RaidJoin, action string) []raidMember {
	latest := map[string]store.RaidJoin{}
	var order []string
	for _, j := range joins {
		if _, ok := latest[j.UserID]; !ok {
			order = append(order, j.UserID)
		}
		latest[j.UserID] = j
	}
	var out []raidMember
	for _, id := range order {
		if j := latest[id]; action == bot.ActionBan || j.Gate != config.GateKick {
			out = append(out, raidMember{ID: id, Name: j.UserName})
		}
	}
	return out
}

// raidMembers reads the members a Ban all or Kick all (action) of raid
// acts on now: who joined from its window's start until raid mode ended
// (a button clicked on the alert after /raid off leaves out who joined
// later), or until now.
func (m *Moderation) raidMembers(ctx context.Context, raid *store.Raid, action string) ([]raidMember, error) {
	var joins []store.RaidJoin
	err := m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		joins, err = tx.JoinsSince(ctx, raid.GuildID, raid.WindowStart)
		return err
	})
	if raid.EndedAt != nil {
		joins = slices.DeleteFunc(joins, func(j store.RaidJoin) bool { return j.JoinedAt.After(*raid.EndedAt) })
	}
	return raidTargets(joins, action), err
}

// raidAllClick asks to confirm Ban all or Kick all, with the count.
func (m *Moderation) raidAllClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	raid, err := m.clickedRaid(ctx, a)
	if err != nil {
		return nil, err
	}
	inv, err := m.actorInvocation(a, raid.GuildID)
	if err != nil {
		return nil, err
	}
	action := bot.ActionBan
	if a.ActionID == "raid.kickall" {
		action = bot.ActionKick
	}
	if _, err := m.check(ctx, inv, action, ""); err != nil {
		return nil, err
	}
	members, err := m.raidMembers(ctx, raid, action)
	if err != nil {
		return nil, err
	}
	since := when(raid.WindowStart, m.cfg.Location)
	switch {
	case len(members) == 0 && action == bot.ActionKick:
		return nil, bot.Errorf(bot.EConflict, "Everyone who joined since %s was kicked by the join gate: nobody is left to kick, and nothing was done.", since)
	case len(members) == 0:
		return nil, bot.Errorf(bot.EConflict, "Nobody joined since %s: there is nobody to ban, and nothing was done.", since)
	}
	id, err := m.askChange(ctx, inv, pendingRaidAll, pendingAll{Inv: inv, Raid: raid.ID, Action: action, Members: members})
	if err != nil {
		return nil, err
	}
	verb := map[string]string{bot.ActionBan: "Ban", bot.ActionKick: "Kick"}[action]
	return &bot.Reply{Text: fmt.Sprintf("%s all %d member(s) who joined since %s? Each gets a case; staff and protected members are skipped.",
		verb, len(members), since), Buttons: []bot.Button{
		{ActionID: "mod.confirm", Label: fmt.Sprintf("%s %d", verb, len(members)), Value: id, Style: "danger"},
		{ActionID: "mod.cancel", Label: "Cancel", Value: id},
	}}, nil
}

// confirmRaidAll bans or kicks the members its question counted (see
// raidTargets), a case each, skipping whom the rules protect.
func (m *Moderation) confirmRaidAll(ctx context.Context, p *store.Pending) (*bot.Reply, error) {
	var q pendingAll
	if err := json.Unmarshal([]byte(p.Payload), &q); err != nil {
		return nil, fmt.Errorf("pending %d: %w", p.ID, err)
	}
	var raid *store.Raid
	err := m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		raid, err = tx.Raid(ctx, q.Raid)
		return err
	})
	if err == nil && raid == nil {
		err = bot.Errorf(bot.ENotFound, "This raid is no longer known to Liaison; nothing was done.")
	}
	if err != nil {
		return nil, err
	}
	members := q.Members
	if members == nil {
		if members, err = m.raidMembers(ctx, raid, q.Action); err != nil {
			return nil, err
		}
	}
	var done []int64
	var skipped []string
	for _, mb := range members {
		s, err := m.check(ctx, q.Inv, q.Action, mb.ID)
		if err == nil {
			err = m.applicable(ctx, q.Inv, q.Action, s)
		}
		if err == nil && q.Action == bot.ActionBan {
			if banned, berr := m.guilds.GuildBanned(ctx, q.Inv.GuildID, mb.ID); berr != nil {
				err = berr
			} else if banned {
				err = bot.Errorf(bot.EConflict, "already banned")
			}
		}
		if err != nil {
			if bot.ErrorCode(err) == bot.EInternal {
				return nil, err
			}
			skipped = append(skipped, mb.Name)
			continue
		}
		err = m.db.InTx(ctx, func(tx *store.Tx) error {
			c, _, err := m.record(ctx, tx, request{inv: q.Inv, subj: s, action: q.Action, reason: fmt.Sprintf("raid of %s: %s", when(raid.StartedAt, m.cfg.Location), raid.Trigger)})
			if err == nil {
				done = append(done, c.Number)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	text := fmt.Sprintf("%s %d member(s)", capitalise(bot.Past(q.Action)), len(done))
	if len(done) > 0 {
		text += fmt.Sprintf(" (cases %d–%d)", done[0], done[len(done)-1])
	}
	if len(skipped) > 0 {
		text += fmt.Sprintf("; skipped %d (gone, protected or already done): %s", len(skipped), strings.Join(skipped, ", "))
	}
	return &bot.Reply{Text: text + "."}, nil
}

// slowmodeReader is implemented by the Discord adapter: a channel's
// slowmode now.
type slowmodeReader interface {
	ChannelSlowmode(ctx context.Context, channelID string) (int, error)
}

// slowmodeOf returns a channel's slowmode in seconds, 0 when Liaison
// cannot read it (it then restores no slowmode, as before it read it).
func (m *Moderation) slowmodeOf(ctx context.Context, channelID string) int {
	sr, ok := m.guilds.(slowmodeReader)
	if !ok {
		return 0
	}
	n, err := sr.ChannelSlowmode(ctx, channelID)
	if err != nil {
		m.logger.Warn("raid mode: could not read a channel's slowmode; /raid off will turn it off", "channel", channelID, "err", err)
		return 0
	}
	return n
}
