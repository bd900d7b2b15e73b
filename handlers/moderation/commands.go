package moderation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The Discord commands: their declarations, and how each reads its
// options before the checks and the case every action goes through.

type commandSpec struct {
	spec bot.CommandSpec
	run  func(ctx context.Context, c *bot.Command) (*bot.Reply, error)
}

// specs declares the Discord commands. Discord wants required options
// first; each command is offered by default to members with the Discord
// permission for it, and checked again on every call.
func (m *Moderation) specs() []commandSpec {
	user := func(desc string) bot.OptionSpec {
		return bot.OptionSpec{Name: "user", Description: desc, Type: "user", Required: true}
	}
	reason := func(required bool) bot.OptionSpec {
		return bot.OptionSpec{Name: "reason", Description: "Why: the member, the mod log and the audit log see it", Type: "string", Required: required}
	}
	perm := bot.CommandPermission
	return withExamples([]commandSpec{
		{bot.CommandSpec{Name: "warn", Description: "Warn a member: a case, and escalation points", Permission: perm(bot.ActionWarn),
			Options: []bot.OptionSpec{user("Who to warn"), reason(true)}}, m.cmdWarn},
		{bot.CommandSpec{Name: "timeout", Description: "Time a member out: they cannot talk for a while", Permission: perm(bot.ActionTimeout),
			Options: []bot.OptionSpec{user("Who to time out"),
				{Name: "duration", Description: "How long: 10m, 2h, 7d (over 28d is renewed)", Type: "string", Required: true}, reason(true)}}, m.cmdTimeout},
		{bot.CommandSpec{Name: "untimeout", Description: "Lift a member's timeout", Permission: perm(bot.ActionUntimeout),
			Options: []bot.OptionSpec{user("Whose timeout to lift"), reason(false)}}, m.cmdUntimeout},
		{bot.CommandSpec{Name: "kick", Description: "Kick a member out of the server (they can come back)", Permission: perm(bot.ActionKick),
			Options: []bot.OptionSpec{user("Who to kick"), reason(true)}}, m.cmdKick},
		{bot.CommandSpec{Name: "ban", Description: "Ban a member, for good or for a while", Permission: perm(bot.ActionBan),
			Options: []bot.OptionSpec{user("Who to ban"), reason(true),
				{Name: "duration", Description: "For how long (7d, 2w); leave empty to ban for good", Type: "string"},
				{Name: "delete_messages", Description: "Delete their messages of the last 1h, 1d… up to 7d", Type: "string"}}}, m.cmdBan},
		{bot.CommandSpec{Name: "unban", Description: "Lift a ban", Permission: perm(bot.ActionUnban),
			Options: []bot.OptionSpec{user("Whose ban to lift"), reason(false)}}, m.cmdUnban},
		{bot.CommandSpec{Name: "purge", Description: "Delete recent messages in this channel, after a preview", Permission: perm(bot.ActionPurge),
			Options: []bot.OptionSpec{
				{Name: "count", Description: "How many messages (1 to 100)", Type: "integer", Required: true},
				{Name: "user", Description: "Only messages from this member", Type: "user"},
				{Name: "contains", Description: "Only messages containing this text", Type: "string"},
				{Name: "bots", Description: "Only messages from bots", Type: "boolean"}}}, m.cmdPurge},
		{bot.CommandSpec{Name: "slowmode", Description: "Make members wait between messages in a channel", Permission: perm(bot.ActionSlowmode),
			Options: []bot.OptionSpec{
				{Name: "seconds", Description: "The wait: 30, 5m, up to 6h; 0 turns slowmode off", Type: "string", Required: true},
				{Name: "channel", Description: "Which channel (this one by default)", Type: "channel"}}}, m.cmdSlowmode},
		{bot.CommandSpec{Name: "case", Description: "Show one moderation case", Permission: perm(bot.ActionNote),
			Options: []bot.OptionSpec{{Name: "number", Description: "The case number", Type: "integer", Required: true}}}, m.cmdCase},
		{bot.CommandSpec{Name: "cases", Description: "A member's moderation history and points", Permission: perm(bot.ActionNote),
			Options: []bot.OptionSpec{user("Whose cases")}}, m.cmdCases},
		{bot.CommandSpec{Name: "note", Description: "Add a note to a member's history (they are not told)", Permission: perm(bot.ActionNote),
			Options: []bot.OptionSpec{user("About whom"), {Name: "text", Description: "The note", Type: "string", Required: true}}}, m.cmdNote},
		{bot.CommandSpec{Name: "reason", Description: "Change a case's reason (the mod log is updated)", Permission: perm(bot.ActionNote),
			Options: []bot.OptionSpec{{Name: "number", Description: "The case number", Type: "integer", Required: true},
				{Name: "text", Description: "The new reason", Type: "string", Required: true}}}, m.cmdReason},
		{bot.CommandSpec{Name: "rules", Description: "Show the community rules"}, m.cmdRules},
	})
}

// withExamples gives each command its example from discordShapes.
func withExamples(specs []commandSpec) []commandSpec {
	for i := range specs {
		specs[i].spec.Example = discordShapes[specs[i].spec.Name]
	}
	return specs
}

// userOption reads a user option (an id).
func userOption(c *bot.Command, name string) (string, error) {
	v := strings.TrimSpace(c.Option(name))
	v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(v, "<@"), "!"), "@"), ">")
	if v == "" {
		return "", bot.Errorf(bot.EInvalid, "Say who: /%s needs a member.", c.Name)
	}
	return v, nil
}

// discordShapes is an example of each Discord command, its options named,
// for the answer to a command typed wrong (named options work in the
// console too).
var discordShapes = map[string]string{
	"warn":      `/warn user:mallory reason:"spamming links"`,
	"timeout":   `/timeout user:mallory duration:10m reason:"spamming links"`,
	"untimeout": `/untimeout user:mallory reason:"apologised"`,
	"kick":      `/kick user:mallory reason:"trolling"`,
	"ban":       `/ban user:mallory reason:"spam" duration:7d`,
	"unban":     `/unban user:mallory reason:"appeal accepted"`,
	"note":      `/note user:mallory text:"warned in DM"`,
	"cases":     `/cases user:mallory`,
	"case":      `/case number:12`,
	"reason":    `/reason number:12 text:"spam links"`,
	"raid":      `/raid action:off`,
}

// shaped adds to a mistake in the options of command cmd the shape it
// expects, with an example, as a sentence of its own: the mistake may end
// without a full stop (a duration's does).
func shaped(cmd string, err error) error {
	if err == nil || bot.ErrorCode(err) != bot.EInvalid || discordShapes[cmd] == "" {
		return err
	}
	return bot.Errorf(bot.EInvalid, "%s Use: %s", bot.Sentence(bot.ErrorMessage(err)), discordShapes[cmd])
}

// reasonText checks a reason; required says whether it may be empty.
func reasonText(s string, required bool, cmd string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" && required {
		return "", bot.Errorf(bot.EInvalid, "Give a reason: /%s needs one, and the member, the mod log and the audit log see it.", cmd)
	}
	if len([]rune(s)) > maxReason {
		return "", bot.Errorf(bot.EInvalid, "The reason is too long (%d characters): keep it under %d.", len([]rune(s)), maxReason)
	}
	return s, nil
}

// memberCommand reads what a command aimed at a member starts with, in this
// order: who runs it, the member, and the reason (required or not); cmd
// names the command in the error about a missing reason.
func (m *Moderation) memberCommand(c *bot.Command, cmd string, reasonRequired bool) (inv invocation, target, reason string, err error) {
	if inv, err = m.discordInvocation(c); err != nil {
		return invocation{}, "", "", err
	}
	if target, err = userOption(c, "user"); err != nil {
		return invocation{}, "", "", shaped(c.Name, err)
	}
	if reason, err = reasonText(c.Option("reason"), reasonRequired, cmd); err != nil {
		return invocation{}, "", "", shaped(c.Name, err)
	}
	return inv, target, reason, nil
}

func (m *Moderation) cmdWarn(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, target, reason, err := m.memberCommand(c, "warn", true)
	if err != nil {
		return nil, err
	}
	return m.warn(ctx, inv, target, reason, false)
}

func (m *Moderation) cmdTimeout(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	target, err := userOption(c, "user")
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	d, err := timeoutDuration(c.Option("duration"))
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	reason, err := reasonText(c.Option("reason"), true, "timeout")
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	return m.act(ctx, inv, bot.ActionTimeout, target, reason, d, 0)
}

func timeoutDuration(s string) (time.Duration, error) {
	d, err := bot.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < time.Minute || d > maxTimeoutDuration {
		return 0, bot.Errorf(bot.EInvalid, "A timeout lasts from 1m to 365d (%s given): durations look like 10m, 2h, 7d.", bot.FormatDuration(d))
	}
	return d, nil
}

func (m *Moderation) cmdUntimeout(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	return m.simple(ctx, c, bot.ActionUntimeout, false)
}

func (m *Moderation) cmdKick(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	return m.simple(ctx, c, bot.ActionKick, true)
}

func (m *Moderation) cmdUnban(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	return m.simple(ctx, c, bot.ActionUnban, false)
}

// simple runs a command of a user and a reason.
func (m *Moderation) simple(ctx context.Context, c *bot.Command, action string, reasonRequired bool) (*bot.Reply, error) {
	inv, target, reason, err := m.memberCommand(c, c.Name, reasonRequired)
	if err != nil {
		return nil, err
	}
	return m.act(ctx, inv, action, target, reason, 0, 0)
}

func (m *Moderation) cmdBan(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, target, reason, err := m.memberCommand(c, "ban", true)
	if err != nil {
		return nil, err
	}
	d, del, err := banOptions(c.Option("duration"), c.Option("delete_messages"))
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	return m.act(ctx, inv, bot.ActionBan, target, reason, d, del)
}

// banOptions reads a ban's duration (empty: for good) and how much of the
// member's history to delete (up to 7d).
func banOptions(duration, deleteMessages string) (time.Duration, int, error) {
	var d, del time.Duration
	var err error
	if s := strings.TrimSpace(duration); s != "" && !strings.EqualFold(s, "permanent") {
		if d, err = bot.ParseDuration(s); err != nil {
			return 0, 0, err
		}
		if d < time.Minute {
			return 0, 0, bot.Errorf(bot.EInvalid, "A temporary ban lasts at least 1m: durations look like 1h, 7d, 2w; leave it empty to ban for good.")
		}
	}
	if s := strings.TrimSpace(deleteMessages); s != "" {
		if del, err = bot.ParseDuration(s); err != nil {
			return 0, 0, err
		}
		if del > maxDeleteMessages {
			return 0, 0, bot.Errorf(bot.EInvalid, "Discord deletes at most the last 7d of messages with a ban (%s given).", bot.FormatDuration(del))
		}
	}
	return d, int(del / time.Second), nil
}

// act checks and records one action on a member and answers the moderator.
func (m *Moderation) act(ctx context.Context, inv invocation, action, targetID, reason string, d time.Duration, deleteSecs int) (*bot.Reply, error) {
	s, err := m.check(ctx, inv, action, targetID)
	if err != nil {
		return nil, err
	}
	if err := m.applicable(ctx, inv, action, s); err != nil {
		return nil, err
	}
	if r, err := m.inForce(ctx, inv, action, s, reason, d); r != nil || err != nil {
		return r, err
	}
	var c *bot.Case
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		c, _, err = m.record(ctx, tx, request{inv: inv, subj: s, action: action, reason: reason, duration: d, deleteSecs: deleteSecs})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: m.done(c)}, nil
}

// applicable refuses an action that makes no sense for the member as they
// are: kicking or timing out someone not on the server, lifting a timeout
// or a ban that is not there.
func (m *Moderation) applicable(ctx context.Context, inv invocation, action string, s *subject) error {
	switch action {
	case bot.ActionWarn, bot.ActionTimeout, bot.ActionKick, bot.ActionUntimeout:
		if s.Target == nil {
			return bot.Errorf(bot.EInvalid, "%s is not on the server (they left, or were kicked or banned): only /ban, /unban, /note and /cases work on someone who is not a member.", s.TargetName)
		}
	}
	switch action {
	case bot.ActionUntimeout:
		if !s.Target.TimeoutUntil.After(m.clock.Now()) {
			return bot.Errorf(bot.EInvalid, "%s is not timed out: there is no timeout to lift, and nothing was done.", s.TargetName)
		}
	case bot.ActionUnban:
		banned, err := m.guilds.GuildBanned(ctx, inv.GuildID, s.TargetID)
		if err != nil {
			return fmt.Errorf("read ban of %s: %w", s.TargetID, err)
		}
		if !banned {
			return bot.Errorf(bot.EInvalid, "%s is not banned: there is no ban to lift, and nothing was done.", s.TargetName)
		}
	}
	return nil
}

// done is the reply to a moderator once a case is recorded.
func (m *Moderation) done(c *bot.Case) string {
	loc := m.cfg.Location
	switch c.Action {
	case bot.ActionTimeout:
		text := fmt.Sprintf("Timed out %s for %s, until %s (case %d).", c.TargetName, bot.FormatDuration(c.Duration), when(c.ExpiresAt, loc), c.Number)
		if c.Duration > bot.TimeoutStep {
			text += " Discord takes 28 days at a time: Liaison renews the timeout until then."
		}
		return text
	case bot.ActionBan:
		if c.ExpiresAt.IsZero() {
			return fmt.Sprintf("Banned %s for good (case %d).", c.TargetName, c.Number)
		}
		return fmt.Sprintf("Banned %s for %s, until %s (case %d).", c.TargetName, bot.FormatDuration(c.Duration), when(c.ExpiresAt, loc), c.Number)
	case bot.ActionUntimeout:
		return fmt.Sprintf("Lifted the timeout of %s (case %d).", c.TargetName, c.Number)
	case bot.ActionNote:
		return fmt.Sprintf("Noted on %s's record (case %d).", c.TargetName, c.Number)
	}
	return fmt.Sprintf("%s %s (case %d).", capitalise(bot.Past(c.Action)), c.TargetName, c.Number)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// when writes a time for people, in the team's timezone.
func when(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

func (m *Moderation) cmdNote(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	target, err := userOption(c, "user")
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	text, err := reasonText(c.Option("text"), true, "note")
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	return m.act(ctx, inv, bot.ActionNote, target, text, 0, 0)
}

func (m *Moderation) cmdCase(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	n, err := caseNumber(c.Option("number"))
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	return m.showCase(ctx, inv, n)
}

func caseNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n < 1 {
		return 0, bot.Errorf(bot.EInvalid, "Give a case number, like 12.")
	}
	return n, nil
}

func (m *Moderation) showCase(ctx context.Context, inv invocation, n int64) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, bot.ActionNote, ""); err != nil {
		return nil, err
	}
	c, err := m.db.Case(ctx, inv.GuildID, n)
	if err != nil {
		return nil, err
	}
	p := m.casePost(c, "")
	lines := []string{p.Title}
	for _, f := range p.Fields {
		lines = append(lines, f.Name+": "+f.Value)
	}
	if p.Link != nil {
		lines = append(lines, p.Link.Label+": "+p.Link.URL)
	}
	if e, err := m.db.OutboxByKey(ctx, c.Key()+":apply"); err == nil && e.State == store.OutboxDead {
		lines = append(lines, fmt.Sprintf("⚠️ Not applied on Discord: %s. /liaison mod retry %d in Slack sends it again.", bot.PlainRefusal(e.LastError), n))
	} else if err != nil && bot.ErrorCode(err) != bot.ENotFound {
		return nil, err
	}
	return &bot.Reply{Text: strings.Join(lines, "\n")}, nil
}

func (m *Moderation) cmdCases(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	target, err := userOption(c, "user")
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	return m.listCases(ctx, inv, target)
}

func (m *Moderation) listCases(ctx context.Context, inv invocation, targetID string) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, bot.ActionNote, ""); err != nil {
		return nil, err
	}
	name := targetID
	if mem, err := m.guilds.GuildMember(ctx, inv.GuildID, targetID); err == nil {
		name = mem.User.Label()
	} else if u, err := m.guilds.DiscordUser(ctx, targetID); err == nil {
		name = u.Label()
	}
	cases, err := m.db.CasesFor(ctx, inv.GuildID, targetID, 15)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if len(cases) == 0 {
		fmt.Fprintf(&b, "%s has no cases.", name)
	} else {
		fmt.Fprintf(&b, "%s has %d case(s), newest first:", name, len(cases))
	}
	loc := m.cfg.Location
	for _, c := range cases {
		fmt.Fprintf(&b, "\nCase %d · %s · %s · by %s", c.Number, actionLabel(c), c.CreatedAt.In(loc).Format("2 Jan 2006"), c.ModeratorName)
		if c.Reason != "" {
			b.WriteString(": " + bot.OneLine(c.Reason, 120))
		}
	}
	if esc := m.cfg.Moderation.Escalation; esc.Enabled() {
		hist, err := m.db.PointsHistory(ctx, inv.GuildID, targetID)
		if err != nil {
			return nil, err
		}
		pts := esc.Balance(hist, m.clock.Now())
		fmt.Fprintf(&b, "\nPoints now: %d.", pts)
		if t, ok := esc.Next(pts); ok {
			fmt.Fprintf(&b, " At %d: %s.", t.Points, t.Describe())
		}
	}
	return &bot.Reply{Text: b.String()}, nil
}

// actionLabel names a case's action with its duration: "timeout 1h", "ban 7d".
func actionLabel(c *bot.Case) string {
	if c.Duration > 0 && c.Action != bot.ActionSlowmode {
		return c.Action + " " + bot.FormatDuration(c.Duration)
	}
	return c.Action
}

func (m *Moderation) cmdReason(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	n, err := caseNumber(c.Option("number"))
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	text, err := reasonText(c.Option("text"), true, "reason")
	if err != nil {
		return nil, shaped(c.Name, err)
	}
	return m.editReason(ctx, inv, n, text)
}

func (m *Moderation) editReason(ctx context.Context, inv invocation, n int64, text string) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, bot.ActionNote, ""); err != nil {
		return nil, err
	}
	err := m.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, inv.GuildID, n)
		if err != nil {
			return err
		}
		now := m.clock.Now()
		if err := tx.SetCaseReason(ctx, now, inv.GuildID, n, text); err != nil {
			return err
		}
		c.Reason = text
		return m.refreshLog(ctx, tx, c)
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Case %d now reads: %s. The mod log is updated.", n, text)}, nil
}

func (m *Moderation) cmdRules(_ context.Context, c *bot.Command) (*bot.Reply, error) {
	rules := m.cfg.Moderation.Rules
	if rules == "" {
		return nil, bot.Errorf(bot.ENotFound, "This server has no rules set in Liaison yet: an admin can add them under moderation: rules in liaison.yaml.")
	}
	// Staff post the rules for everyone to read; anyone else sees them alone.
	return &bot.Reply{Text: rules, Public: m.dir.IsStaff(c.User)}, nil
}
