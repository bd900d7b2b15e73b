package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Moderation: Discord slash commands (and /liaison mod in Slack) that warn,
// time out, kick, ban, purge and slow down, each a numbered case checked
// against the same rules whatever its source, sent to Discord through the
// outbox with an audit-log reason, and posted to the mod log in Discord and
// Slack.

// guildReader reads what the moderation rules need from Discord. It is
// implemented by the Discord adapter (discordbot.Adapter) and the console.
type guildReader interface {
	// GuildInfo returns the server's owner, roles and Liaison's own roles.
	GuildInfo(ctx context.Context, guildID string) (*bot.Guild, error)
	// GuildMember returns a member, or a bot.ENotFound error when the user
	// is not on the server.
	GuildMember(ctx context.Context, guildID, userID string) (*bot.Member, error)
	// GuildBanned reports whether the user is banned from the server.
	GuildBanned(ctx context.Context, guildID, userID string) (bool, error)
	// DiscordUser returns a user by id, member of the server or not.
	DiscordUser(ctx context.Context, userID string) (bot.User, error)
	// SearchMembers returns the members whose user name, display name or
	// nickname is query (any case).
	SearchMembers(ctx context.Context, guildID, query string) ([]bot.Member, error)
	// ChannelHistory returns up to limit of a channel's latest messages,
	// newest first, with their times (Delivery.At).
	ChannelHistory(ctx context.Context, channelID string, limit int) ([]*bot.Message, error)
}

// moderation holds the capability's state: the automod of each server.
type moderation struct {
	r       *Router
	automod map[string]*bot.Automod // by guild id
}

// Durations and limits of moderation.
const (
	maxTimeoutDuration = 365 * 24 * time.Hour // renewed every 28 days by the expiry job
	maxDeleteMessages  = 7 * 24 * time.Hour   // what Discord deletes with a ban
	pendingLifetime    = 15 * time.Minute     // how long a confirmation button works
	maxReason          = 400
)

func (r *Router) registerModeration() {
	m := &moderation{r: r, automod: map[string]*bot.Automod{}}
	r.subcommands["mod"] = &Subcommand{
		Name: "mod", Usage: "warn|timeout|kick|ban|unban|cases|case …",
		Summary: "moderate the Discord server from here, as your Discord account (/liaison mod help)",
		Run:     m.slackCommand,
	}
	if !r.Config.Moderation.Enabled {
		return
	}
	for _, g := range r.Config.Discord.Guilds {
		m.automod[g.ID] = bot.NewAutomod(r.Config.AutomodRules(g.ID))
	}
	r.events = append(r.events, m.event)
	r.actions["mod"] = m.action
	for _, s := range m.specs() {
		r.specs = append(r.specs, s.spec)
		r.commands[s.spec.Name] = s.run
	}
}

type commandSpec struct {
	spec bot.CommandSpec
	run  func(ctx context.Context, c *bot.Command) (*bot.Reply, error)
}

// specs declares the Discord commands. Discord wants required options
// first; each command is offered by default to members with the Discord
// permission for it, and checked again on every call.
func (m *moderation) specs() []commandSpec {
	user := func(desc string) bot.OptionSpec {
		return bot.OptionSpec{Name: "user", Description: desc, Type: "user", Required: true}
	}
	reason := func(required bool) bot.OptionSpec {
		return bot.OptionSpec{Name: "reason", Description: "Why: the member, the mod log and the audit log see it", Type: "string", Required: required}
	}
	perm := bot.CommandPermission
	return []commandSpec{
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
	}
}

// invocation is who asks for a moderation action, from where.
type invocation struct {
	GuildID   string
	ChannelID string // where the command was run (Discord), for purge and links
	MessageID string // the message that triggered the action, when there is one
	Source    string // bot.SourceDiscord or bot.SourceSlack
	Mod       bot.User
}

// discordInvocation reads who runs a Discord command.
func (m *moderation) discordInvocation(c *bot.Command) (invocation, error) {
	if c.Platform != bot.PlatformDiscord || c.ScopeID == "" {
		return invocation{}, bot.Errorf(bot.EInvalid, "Moderation commands work in a Discord server (or through /liaison mod in Slack).")
	}
	return invocation{GuildID: c.ScopeID, ChannelID: c.ChannelID, Source: bot.SourceDiscord, Mod: c.User}, nil
}

// subject is what the checks found out: the server, the moderator and the
// target as members (Target nil when the user is not on the server).
type subject struct {
	Guild      *bot.Guild
	Mod        *bot.Member
	ModName    string
	Target     *bot.Member
	TargetID   string
	TargetName string
}

func (m *moderation) reader() (guildReader, error) {
	if m.r.Guilds == nil {
		return nil, bot.Errorf(bot.EInvalid, "Moderation needs Discord, which is not connected: set DISCORD_BOT_TOKEN and restart Liaison.")
	}
	return m.r.Guilds, nil
}

// check applies the rules every action obeys: the moderator may take it,
// and the target (when there is one) may be its object.
func (m *moderation) check(ctx context.Context, inv invocation, action, targetID string) (*subject, error) {
	gr, err := m.reader()
	if err != nil {
		return nil, err
	}
	g, err := gr.GuildInfo(ctx, inv.GuildID)
	if err != nil {
		return nil, fmt.Errorf("read server %s: %w", inv.GuildID, err)
	}
	mod, err := gr.GuildMember(ctx, inv.GuildID, inv.Mod.ID)
	switch {
	case bot.ErrorCode(err) == bot.ENotFound:
		if inv.Source == bot.SourceSlack {
			return nil, bot.Errorf(bot.EForbidden, "Your Discord account is not on the server, so Liaison cannot act as you there.")
		}
		mod = &bot.Member{User: inv.Mod}
	case err != nil:
		return nil, fmt.Errorf("read moderator %s: %w", inv.Mod.ID, err)
	}
	cfg := m.r.Config
	if err := bot.CheckPermission(g, mod, action, cfg.RoleIDs(inv.GuildID, cfg.Moderation.ModeratorRoles)); err != nil {
		return nil, err
	}
	s := &subject{Guild: g, Mod: mod, ModName: m.r.actor(mod.User), TargetID: targetID}
	if targetID == "" {
		return s, nil
	}
	s.Target, err = gr.GuildMember(ctx, inv.GuildID, targetID)
	switch {
	case bot.ErrorCode(err) == bot.ENotFound:
		s.Target = nil
		u, err := gr.DiscordUser(ctx, targetID)
		if err != nil {
			if bot.ErrorCode(err) == bot.ENotFound {
				return nil, bot.Errorf(bot.ENotFound, "Discord knows no user %s: check the id.", targetID)
			}
			return nil, fmt.Errorf("read user %s: %w", targetID, err)
		}
		s.TargetName = u.Label()
	case err != nil:
		return nil, fmt.Errorf("read member %s: %w", targetID, err)
	default:
		s.TargetName = s.Target.User.Label()
	}
	if err := bot.CheckTarget(g, mod, s.Target, targetID, s.TargetName, cfg.RoleIDs(inv.GuildID, cfg.Moderation.ProtectedRoles)); err != nil {
		return nil, err
	}
	return s, nil
}

// request is one case to record, with what it causes.
type request struct {
	inv        invocation
	subj       *subject
	action     string
	reason     string
	duration   time.Duration
	deleteSecs int
	linked     int64
	noPoints   bool // an escalation's own action carries no points
	done       bool // already done in Discord (a manual action): record only
	confirmed  bool // the moderator confirmed an escalation
	channelID  string
	targetName string // overrides the subject's (slowmode, purge)
}

// record makes the case, enqueues its action, schedules its expiry, posts
// it to the mod log and, for a warn, applies what escalation triggers, all
// in tx. It returns the case and, when escalation acted, its case too.
func (m *moderation) record(ctx context.Context, tx *store.Tx, req request) (*bot.Case, *bot.Case, error) {
	now := m.r.Clock.Now()
	c := &bot.Case{
		GuildID: req.inv.GuildID, Action: req.action, Reason: req.reason, Duration: req.duration, Source: req.inv.Source,
		ModeratorID: req.inv.Mod.ID, ChannelID: cmpOr(req.channelID, req.inv.ChannelID), TriggerMessageID: req.inv.MessageID,
		LinkedCase: req.linked,
	}
	if req.subj != nil {
		c.ModeratorName, c.TargetID, c.TargetName = req.subj.ModName, req.subj.TargetID, req.subj.TargetName
		if req.subj.Mod != nil && c.ModeratorID == "" {
			c.ModeratorID = req.subj.Mod.User.ID
		}
	}
	c.ModeratorName = cmpOr(c.ModeratorName, req.inv.Mod.Label())
	c.TargetName = cmpOr(req.targetName, c.TargetName)
	esc := m.r.Config.Moderation.Escalation
	if !req.noPoints {
		c.Points = esc.PointsFor(req.action)
	}
	if req.duration > 0 && (req.action == bot.ActionTimeout || req.action == bot.ActionBan) {
		c.ExpiresAt = now.Add(req.duration)
	}
	if err := tx.CreateCase(ctx, now, c); err != nil {
		return nil, nil, err
	}
	if !req.done {
		if err := m.enqueueAction(ctx, tx, c, req); err != nil {
			return nil, nil, err
		}
	}
	if err := m.scheduleExpiries(ctx, tx, c, now); err != nil {
		return nil, nil, err
	}
	if err := m.logCase(ctx, tx, c); err != nil {
		return nil, nil, err
	}
	if req.action != bot.ActionWarn || !esc.Enabled() || (!req.confirmed && req.inv.Source != bot.SourceAutomod) {
		return c, nil, nil
	}
	// The counter lock CreateCase took serialises this server's cases: the
	// history read now includes every case committed before this one.
	t, crossed, err := m.crossed(ctx, tx, c)
	if err != nil || !crossed {
		return c, nil, err
	}
	follow := req
	follow.action, follow.duration, follow.linked, follow.noPoints, follow.deleteSecs = t.Action, t.Duration, c.Number, true, 0
	follow.reason = fmt.Sprintf("escalation: %d points reached with case %d (%s)", t.Points, c.Number, oneLine(c.Reason, 200))
	follow.confirmed = false
	e, _, err := m.record(ctx, tx, follow)
	return c, e, err
}

// crossed returns the threshold case c's points made its target cross.
func (m *moderation) crossed(ctx context.Context, tx *store.Tx, c *bot.Case) (bot.Threshold, bool, error) {
	esc := m.r.Config.Moderation.Escalation
	hist, err := tx.PointsHistory(ctx, c.GuildID, c.TargetID)
	if err != nil {
		return bot.Threshold{}, false, err
	}
	now := m.r.Clock.Now()
	// The history is in case order and c is this server's newest case.
	before := hist
	if c.Points != 0 && len(hist) > 0 {
		before = hist[:len(hist)-1]
	}
	t, ok := esc.Crossed(esc.Balance(before, now), esc.Balance(hist, now))
	return t, ok, nil
}

// enqueueAction writes the Discord action of a case to the outbox, with the
// audit-log reason naming the moderator and the case.
func (m *moderation) enqueueAction(ctx context.Context, tx *store.Tx, c *bot.Case, req request) error {
	a := bot.ModAction{GuildID: c.GuildID, UserID: c.TargetID, UserName: c.TargetName, Reason: bot.AuditReason(c)}
	switch c.Action {
	case bot.ActionTimeout:
		until := c.CreatedAt.Add(min(c.Duration, bot.MaxTimeout))
		a.Op, a.Until = bot.OpTimeout, &until
	case bot.ActionUntimeout:
		a.Op = bot.OpUntimeout
	case bot.ActionKick:
		a.Op = bot.OpKick
	case bot.ActionBan:
		a.Op, a.DeleteMessageSeconds = bot.OpBan, req.deleteSecs
	case bot.ActionUnban:
		a.Op = bot.OpUnban
	case bot.ActionSlowmode:
		a.Op, a.ChannelID, a.Seconds, a.UserID, a.UserName = bot.OpSlowmode, c.ChannelID, int(c.Duration/time.Second), "", ""
	default:
		return nil // warn, note, purge (enqueued by purge)
	}
	_, err := tx.Enqueue(ctx, c.CreatedAt, &bot.OutboxMessage{Key: c.Key() + ":apply", Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: mustJSON(a)})
	return err
}

// scheduleExpiries records what a temporary action needs later, and
// cancels what an action makes moot: a new ban or an unban supersedes a
// temporary ban's end; a new timeout, its lifting, a kick or a ban end an
// earlier timeout's renewals.
func (m *moderation) scheduleExpiries(ctx context.Context, tx *store.Tx, c *bot.Case, now time.Time) error {
	why := fmt.Sprintf("superseded by case %d", c.Number)
	cancel := func(actions ...string) error {
		_, err := tx.CancelExpiries(ctx, now, c.GuildID, c.TargetID, why, actions...)
		return err
	}
	switch c.Action {
	case bot.ActionBan:
		if err := cancel(store.ExpiryUnban, store.ExpiryRenewTimeout, store.ExpiryUntimeout); err != nil {
			return err
		}
		if !c.ExpiresAt.IsZero() {
			return tx.AddExpiry(ctx, c.GuildID, c.Number, store.ExpiryUnban, c.TargetID, c.ExpiresAt)
		}
	case bot.ActionUnban:
		return cancel(store.ExpiryUnban)
	case bot.ActionKick, bot.ActionUntimeout:
		return cancel(store.ExpiryRenewTimeout, store.ExpiryUntimeout)
	case bot.ActionTimeout:
		if err := cancel(store.ExpiryRenewTimeout, store.ExpiryUntimeout); err != nil {
			return err
		}
		if c.Duration > bot.MaxTimeout {
			if err := tx.AddExpiry(ctx, c.GuildID, c.Number, store.ExpiryRenewTimeout, c.TargetID, renewAt(c.CreatedAt.Add(bot.MaxTimeout))); err != nil {
				return err
			}
		}
		if !c.ExpiresAt.IsZero() {
			return tx.AddExpiry(ctx, c.GuildID, c.Number, store.ExpiryUntimeout, c.TargetID, c.ExpiresAt)
		}
	}
	return nil
}

// renewAt is when a timeout ending at until is renewed: an hour before.
func renewAt(until time.Time) time.Time { return until.Add(-time.Hour) }

// ---- The commands ----

// userOption reads a user option (an id).
func userOption(c *bot.Command, name string) (string, error) {
	v := strings.TrimSpace(c.Option(name))
	v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(v, "<@"), "!"), "@"), ">")
	if v == "" {
		return "", bot.Errorf(bot.EInvalid, "Say who: /%s needs a member.", c.Name)
	}
	return v, nil
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
func (m *moderation) memberCommand(c *bot.Command, cmd string, reasonRequired bool) (inv invocation, target, reason string, err error) {
	if inv, err = m.discordInvocation(c); err != nil {
		return invocation{}, "", "", err
	}
	if target, err = userOption(c, "user"); err != nil {
		return invocation{}, "", "", err
	}
	if reason, err = reasonText(c.Option("reason"), reasonRequired, cmd); err != nil {
		return invocation{}, "", "", err
	}
	return inv, target, reason, nil
}

func (m *moderation) cmdWarn(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, target, reason, err := m.memberCommand(c, "warn", true)
	if err != nil {
		return nil, err
	}
	return m.warn(ctx, inv, target, reason, false)
}

func (m *moderation) cmdTimeout(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	target, err := userOption(c, "user")
	if err != nil {
		return nil, err
	}
	d, err := timeoutDuration(c.Option("duration"))
	if err != nil {
		return nil, err
	}
	reason, err := reasonText(c.Option("reason"), true, "timeout")
	if err != nil {
		return nil, err
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

func (m *moderation) cmdUntimeout(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	return m.simple(ctx, c, bot.ActionUntimeout, false)
}

func (m *moderation) cmdKick(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	return m.simple(ctx, c, bot.ActionKick, true)
}

func (m *moderation) cmdUnban(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	return m.simple(ctx, c, bot.ActionUnban, false)
}

// simple runs a command of a user and a reason.
func (m *moderation) simple(ctx context.Context, c *bot.Command, action string, reasonRequired bool) (*bot.Reply, error) {
	inv, target, reason, err := m.memberCommand(c, c.Name, reasonRequired)
	if err != nil {
		return nil, err
	}
	return m.act(ctx, inv, action, target, reason, 0, 0)
}

func (m *moderation) cmdBan(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, target, reason, err := m.memberCommand(c, "ban", true)
	if err != nil {
		return nil, err
	}
	d, del, err := banOptions(c.Option("duration"), c.Option("delete_messages"))
	if err != nil {
		return nil, err
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
func (m *moderation) act(ctx context.Context, inv invocation, action, targetID, reason string, d time.Duration, deleteSecs int) (*bot.Reply, error) {
	s, err := m.check(ctx, inv, action, targetID)
	if err != nil {
		return nil, err
	}
	if err := m.applicable(ctx, inv, action, s); err != nil {
		return nil, err
	}
	var c *bot.Case
	err = m.r.DB.InTx(ctx, func(tx *store.Tx) (err error) {
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
func (m *moderation) applicable(ctx context.Context, inv invocation, action string, s *subject) error {
	switch action {
	case bot.ActionWarn, bot.ActionTimeout, bot.ActionKick, bot.ActionUntimeout:
		if s.Target == nil {
			return bot.Errorf(bot.EInvalid, "%s is not on the server.", s.TargetName)
		}
	}
	switch action {
	case bot.ActionUntimeout:
		if !s.Target.TimeoutUntil.After(m.r.Clock.Now()) {
			return bot.Errorf(bot.EInvalid, "%s is not timed out.", s.TargetName)
		}
	case bot.ActionUnban:
		banned, err := m.r.Guilds.GuildBanned(ctx, inv.GuildID, s.TargetID)
		if err != nil {
			return fmt.Errorf("read ban of %s: %w", s.TargetID, err)
		}
		if !banned {
			return bot.Errorf(bot.EInvalid, "%s is not banned.", s.TargetName)
		}
	}
	return nil
}

// done is the reply to a moderator once a case is recorded.
func (m *moderation) done(c *bot.Case) string {
	loc := m.r.Config.Location
	switch c.Action {
	case bot.ActionTimeout:
		return fmt.Sprintf("Timed out %s for %s, until %s (case %d).", c.TargetName, bot.FormatDuration(c.Duration), when(c.ExpiresAt, loc), c.Number)
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

func (m *moderation) cmdNote(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	target, err := userOption(c, "user")
	if err != nil {
		return nil, err
	}
	text, err := reasonText(c.Option("text"), true, "note")
	if err != nil {
		return nil, err
	}
	return m.act(ctx, inv, bot.ActionNote, target, text, 0, 0)
}

func (m *moderation) cmdCase(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	n, err := caseNumber(c.Option("number"))
	if err != nil {
		return nil, err
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

func (m *moderation) showCase(ctx context.Context, inv invocation, n int64) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, bot.ActionNote, ""); err != nil {
		return nil, err
	}
	c, err := m.r.DB.Case(ctx, inv.GuildID, n)
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
	if e, err := m.r.DB.OutboxByKey(ctx, c.Key()+":apply"); err == nil && e.State == store.OutboxDead {
		lines = append(lines, fmt.Sprintf("⚠️ Not applied on Discord: %s. /liaison mod retry %d in Slack sends it again.", plainRefusal(e.LastError), n))
	} else if err != nil && bot.ErrorCode(err) != bot.ENotFound {
		return nil, err
	}
	return &bot.Reply{Text: strings.Join(lines, "\n")}, nil
}

func (m *moderation) cmdCases(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	target, err := userOption(c, "user")
	if err != nil {
		return nil, err
	}
	return m.listCases(ctx, inv, target)
}

func (m *moderation) listCases(ctx context.Context, inv invocation, targetID string) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, bot.ActionNote, ""); err != nil {
		return nil, err
	}
	name := targetID
	if mem, err := m.r.Guilds.GuildMember(ctx, inv.GuildID, targetID); err == nil {
		name = mem.User.Label()
	} else if u, err := m.r.Guilds.DiscordUser(ctx, targetID); err == nil {
		name = u.Label()
	}
	cases, err := m.r.DB.CasesFor(ctx, inv.GuildID, targetID, 15)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if len(cases) == 0 {
		fmt.Fprintf(&b, "%s has no cases.", name)
	} else {
		fmt.Fprintf(&b, "%s has %d case(s), newest first:", name, len(cases))
	}
	loc := m.r.Config.Location
	for _, c := range cases {
		fmt.Fprintf(&b, "\nCase %d · %s · %s · by %s", c.Number, actionLabel(c), c.CreatedAt.In(loc).Format("2 Jan 2006"), c.ModeratorName)
		if c.Reason != "" {
			b.WriteString(": " + oneLine(c.Reason, 120))
		}
	}
	if esc := m.r.Config.Moderation.Escalation; esc.Enabled() {
		hist, err := m.r.DB.PointsHistory(ctx, inv.GuildID, targetID)
		if err != nil {
			return nil, err
		}
		pts := esc.Balance(hist, m.r.Clock.Now())
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

func (m *moderation) cmdReason(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	n, err := caseNumber(c.Option("number"))
	if err != nil {
		return nil, err
	}
	text, err := reasonText(c.Option("text"), true, "reason")
	if err != nil {
		return nil, err
	}
	return m.editReason(ctx, inv, n, text)
}

func (m *moderation) editReason(ctx context.Context, inv invocation, n int64, text string) (*bot.Reply, error) {
	if _, err := m.check(ctx, inv, bot.ActionNote, ""); err != nil {
		return nil, err
	}
	err := m.r.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, inv.GuildID, n)
		if err != nil {
			return err
		}
		now := m.r.Clock.Now()
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

func (m *moderation) cmdRules(_ context.Context, c *bot.Command) (*bot.Reply, error) {
	rules := m.r.Config.Moderation.Rules
	if rules == "" {
		return nil, bot.Errorf(bot.ENotFound, "This server has no rules set in Liaison yet: an admin can add them under moderation: rules in liaison.yaml.")
	}
	// Staff post the rules for everyone to read; anyone else sees them alone.
	return &bot.Reply{Text: rules, Public: m.r.isStaff(c.User)}, nil
}

// action handles the moderation buttons: mod.confirm, mod.warnonly and
// mod.cancel (Value: a pending question), and the Moderate menu of a
// relayed feedback item (moderation_feedback.go).
func (m *moderation) action(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	switch a.ActionID {
	case "mod.menu", "mod.fbwarn", "mod.fbtimeout", "mod.fbdelete":
		return m.feedbackAction(ctx, a)
	case "mod.retry":
		return m.retryClick(ctx, a)
	}
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button names nothing Liaison knows; nothing was done.")
	}
	modID, err := m.discordIdentity(a.User)
	if err != nil {
		return nil, err
	}
	status := "done"
	if a.ActionID == "mod.cancel" {
		status = "cancelled"
	}
	var p *store.Pending
	err = m.r.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.TakePending(ctx, m.r.Clock.Now(), id, status)
		if err == nil && p.ModeratorID != modID {
			return bot.Errorf(bot.EForbidden, "Only the moderator who asked can answer this.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if status == "cancelled" {
		return &bot.Reply{Text: "Cancelled: nothing was done."}, nil
	}
	switch {
	case p.Kind == pendingEscalation && (a.ActionID == "mod.confirm" || a.ActionID == "mod.warnonly"):
		return m.confirmWarn(ctx, p, a.ActionID == "mod.confirm")
	case p.Kind == pendingPurge && a.ActionID == "mod.confirm":
		return m.confirmPurge(ctx, p)
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was done.")
}

// discordIdentity returns the Discord id of whoever acts: their own on
// Discord, the one people: maps their Slack account to on Slack.
func (m *moderation) discordIdentity(u bot.User) (string, error) {
	if u.Platform == bot.PlatformDiscord {
		return u.ID, nil
	}
	for _, p := range m.r.Config.People {
		if p.Slack != "" && p.Slack == u.ID {
			if p.Discord == "" {
				return "", bot.Errorf(bot.EForbidden, "Your entry in liaison.yaml's people: (%s) has no discord: account, so Liaison cannot act as you on Discord. Ask an admin to add it.", p.Name)
			}
			return p.Discord, nil
		}
	}
	return "", bot.Errorf(bot.EForbidden, "Your Slack account is not in liaison.yaml's people:, so Liaison does not know your Discord account and cannot moderate as you. Ask an admin to add you with your discord: id.")
}

// event handles what moderation watches: messages (automod), members
// joining (welcome), the audit log (manual actions) and Discord's AutoMod.
func (m *moderation) event(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	switch e := ev.(type) {
	case *bot.Message:
		return m.automodMessage(ctx, tx, e)
	case *bot.MemberChange:
		return m.welcome(ctx, tx, e)
	case *bot.AuditLogEntry:
		return m.manualAction(ctx, tx, e)
	case *bot.AutoModExecution:
		return m.relayAutoMod(ctx, tx, e)
	}
	return nil
}

// isModerator reports whether roles include a moderator role of the server.
func (m *moderation) isModerator(guildID string, roles []string) bool {
	cfg := m.r.Config
	for _, id := range cfg.RoleIDs(guildID, cfg.Moderation.ModeratorRoles) {
		if slices.Contains(roles, id) {
			return true
		}
	}
	return false
}
