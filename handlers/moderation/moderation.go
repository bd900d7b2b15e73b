// Package moderation is Liaison's moderation capability: Discord slash
// commands (and /liaison mod in Slack) that warn, time out, kick, ban,
// purge and slow down, each a numbered case checked against the same rules
// whatever its source, sent to Discord through the outbox with an
// audit-log reason, and posted to the mod log in Discord and Slack; automod
// on every message, the welcome, actions taken by hand in Discord, and the
// jobs that end temporary actions and report the ones Discord refused.
//
// It has a package of its own because it is the largest capability, with
// the store's cases, expiries, pending questions and mod-log posts to
// itself. It registers on the handlers Router through registrar, and
// imports nothing of package handlers: what it needs of the rest (people
// and channel names, feedback items) comes through small interfaces.
package moderation

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// GuildReader reads what the moderation rules need from Discord. It is
// implemented by the Discord adapter (discordbot.Adapter) and the console.
type GuildReader interface {
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

// directory is implemented by the handlers package's directory: how the
// configuration names people and Discord channels.
type directory interface {
	// Person returns the people: name of u, or "" when u is not declared.
	Person(u bot.User) string
	// Actor names u in histories: their people: name, else their label.
	Actor(u bot.User) string
	// IsStaff reports whether u speaks for the team.
	IsStaff(u bot.User) bool
	// ChannelName returns the short name config gives a Discord channel.
	ChannelName(id string) string
}

// feedbackItems is implemented by *handlers.Feedback: the item whose
// author the Moderate button of a relay acts on.
type feedbackItems interface {
	Item(ctx context.Context, id int64) (*store.FeedbackItem, error)
}

// registrar is implemented by *handlers.Router: where a capability
// declares the events, commands, buttons and jobs it answers, and the
// action (one of bot.Permissions) each command and button needs.
type registrar interface {
	OnEvent(f func(ctx context.Context, tx *store.Tx, ev bot.Event) error)
	OnCommand(name, action string, run func(ctx context.Context, c *bot.Command) (*bot.Reply, error))
	OnSubcommand(name, usage, summary string, needs bot.Needs, run func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error))
	OnAction(id, action string, run func(ctx context.Context, a *bot.Action) (*bot.Reply, error))
	OnForm(id, action string, run func(ctx context.Context, s *bot.Submission) (*bot.Reply, error))
	AddDiscordCommand(spec bot.CommandSpec)
	AddJob(j jobs.Job)
}

// Deps are what moderation is built from, all required (handlers.Build
// gives a default clock and logger).
type Deps struct {
	DB       *store.DB
	Config   *config.Config
	Clock    bot.Clock
	Logger   *slog.Logger
	People   directory
	Feedback feedbackItems
}

// Moderation is the capability. Its state is the automod engine of each
// server (rate windows live there); the rest is in the store.
type Moderation struct {
	db       *store.DB
	cfg      *config.Config
	clock    bot.Clock
	logger   *slog.Logger
	dir      directory
	feedback feedbackItems
	// guilds reads Discord; nil while Discord is off, which disables what
	// needs it. Attached late (Attach): the adapter needs the Router first.
	guilds  GuildReader
	automod map[string]*bot.Automod // by guild id; none when moderation is off
	// drafts holds modmail answers for approval
	// (moderation.modmail.approval); attached late (AttachDrafts).
	drafts ModmailDrafts
	// slack checks the Slack log channels at start; nil when Slack is off.
	slack SlackChannels
}

// New returns the capability, with an automod engine for each configured
// server when moderation is on.
func New(d Deps) *Moderation {
	m := &Moderation{db: d.DB, cfg: d.Config, clock: d.Clock, logger: d.Logger, dir: d.People, feedback: d.Feedback,
		automod: map[string]*bot.Automod{}}
	if m.cfg.Moderation.Enabled {
		for _, g := range m.cfg.Discord.Guilds {
			m.automod[g.ID] = bot.NewAutomod(m.cfg.AutomodRules(g.ID))
		}
	}
	return m
}

// Attach gives moderation the Discord reader; nil disables what needs it.
// Call it before the Router serves.
func (m *Moderation) Attach(g GuildReader) { m.guilds = g }

// AttachSlack gives moderation what it checks Slack channels with; nil
// (Slack off, or the console) checks nothing. Call it before the Router
// serves.
func (m *Moderation) AttachSlack(s SlackChannels) { m.slack = s }

// Durations and limits of moderation.
const (
	maxTimeoutDuration = 365 * 24 * time.Hour // renewed every 28 days by the expiry job
	maxDeleteMessages  = 7 * 24 * time.Hour   // what Discord deletes with a ban
	pendingLifetime    = 15 * time.Minute     // how long a confirmation button works
	maxReason          = 400
)

// needs maps each moderation verb (a Discord command, a /liaison mod verb)
// to the action permissions: knows it by. The Router checks it first;
// then every action still gets moderation's own checks (the moderator's
// roles and Discord permissions, the role hierarchy, protected members).
var needs = map[string]string{
	bot.ActionWarn:      "moderation.warn",
	bot.ActionTimeout:   "moderation.timeout",
	bot.ActionUntimeout: "moderation.timeout",
	bot.ActionKick:      "moderation.kick",
	bot.ActionBan:       "moderation.ban",
	bot.ActionUnban:     "moderation.ban",
	bot.ActionPurge:     "moderation.purge",
	bot.ActionSlowmode:  "moderation.slowmode",
	bot.ActionNote:      "moderation.note",
	"reason":            "moderation.note",
	"case":              "moderation.cases",
	"cases":             "moderation.cases",
	"retry":             "moderation.retry",
	"raid":              "moderation.raid",
}

// Register declares what moderation answers: /liaison mod always; when
// moderation is on, the events it watches, its buttons and its Discord
// commands; and its jobs, which find nothing to do while it is off:
// reporting the actions Discord refused (every tick) and acting on
// expiries (every 30s).
//
// Each command and verb needs its action from needs (/rules and /liaison
// mod help are everyone's). The Moderate menu of a relay needs nothing,
// its buttons what they do; Confirm, Warn only and Cancel need nothing
// more: only the moderator who asked the question may answer it.
func (m *Moderation) Register(r registrar) {
	r.OnSubcommand("mod", "warn|timeout|kick|ban|unban|cases|case …",
		"moderate the Discord server from here, as your Discord account (/liaison mod help)",
		bot.Needs{Verbs: needs, VerbOf: func(args string) string { _, verb, _ := splitModArgs(args); return verb }}, m.slackCommand)
	r.AddJob(jobs.Job{Name: "moderation-failures", Every: 0, Run: m.ReportFailedActions})
	r.AddJob((&jobs.Expiries{Store: m.db, Apply: m.ApplyExpiry}).Job())
	if !m.cfg.Moderation.Enabled {
		return
	}
	m.registerRaid(r)
	r.OnEvent(m.event)
	m.registerServerLogs(r)
	m.registerModmail(r)
	if len(m.cfg.SlackLogUses()) > 0 {
		r.AddJob(m.slackCheckJob())
	}
	r.OnAction("mod.menu", "", m.action)
	r.OnAction("mod.fbwarn", needs[bot.ActionWarn], m.action)
	r.OnAction("mod.fbtimeout", needs[bot.ActionTimeout], m.action)
	r.OnAction("mod.fbdelete", needs[bot.ActionPurge], m.action)
	r.OnAction("mod.retry", needs["retry"], m.action)
	for _, id := range []string{"mod.confirm", "mod.warnonly", "mod.cancel"} {
		r.OnAction(id, "", m.action)
	}
	for _, s := range m.specs() {
		r.AddDiscordCommand(s.spec)
		r.OnCommand(s.spec.Name, needs[s.spec.Name], s.run)
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
func (m *Moderation) discordInvocation(c *bot.Command) (invocation, error) {
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

func (m *Moderation) reader() (GuildReader, error) {
	if m.guilds == nil {
		return nil, bot.Errorf(bot.EInvalid, "Moderation needs Discord, which is not connected: set DISCORD_BOT_TOKEN and restart Liaison.")
	}
	return m.guilds, nil
}

// check applies the rules every action obeys: the moderator may take it,
// and the target (when there is one) may be its object.
func (m *Moderation) check(ctx context.Context, inv invocation, action, targetID string) (*subject, error) {
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
	cfg := m.cfg
	if err := bot.CheckPermission(g, mod, action, cfg.RoleIDs(inv.GuildID, cfg.Moderation.ModeratorRoles)); err != nil {
		return nil, err
	}
	s := &subject{Guild: g, Mod: mod, ModName: m.dir.Actor(mod.User), TargetID: targetID}
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
	notice     string // a DM to the member before the action (the join gate)
	roleID     string // the role a quarantine gives or takes
}

// record makes the case, enqueues its action, schedules its expiry, posts
// it to the mod log and, for a warn, applies what escalation triggers, all
// in tx. It returns the case and, when escalation acted, its case too.
func (m *Moderation) record(ctx context.Context, tx *store.Tx, req request) (*bot.Case, *bot.Case, error) {
	now := m.clock.Now()
	c := &bot.Case{
		GuildID: req.inv.GuildID, Action: req.action, Reason: req.reason, Duration: req.duration, Source: req.inv.Source,
		ModeratorID: req.inv.Mod.ID, ChannelID: cmp.Or(req.channelID, req.inv.ChannelID), TriggerMessageID: req.inv.MessageID,
		LinkedCase: req.linked,
	}
	if req.subj != nil {
		c.ModeratorName, c.TargetID, c.TargetName = req.subj.ModName, req.subj.TargetID, req.subj.TargetName
		if req.subj.Mod != nil && c.ModeratorID == "" {
			c.ModeratorID = req.subj.Mod.User.ID
		}
	}
	c.ModeratorName = cmp.Or(c.ModeratorName, req.inv.Mod.Label())
	c.TargetName = cmp.Or(req.targetName, c.TargetName)
	esc := m.cfg.Moderation.Escalation
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
	follow.reason = fmt.Sprintf("escalation: %d points reached with case %d (%s)", t.Points, c.Number, bot.OneLine(c.Reason, 200))
	follow.confirmed = false
	e, _, err := m.record(ctx, tx, follow)
	return c, e, err
}

// crossed returns the threshold case c's points made its target cross.
func (m *Moderation) crossed(ctx context.Context, tx *store.Tx, c *bot.Case) (bot.Threshold, bool, error) {
	esc := m.cfg.Moderation.Escalation
	hist, err := tx.PointsHistory(ctx, c.GuildID, c.TargetID)
	if err != nil {
		return bot.Threshold{}, false, err
	}
	now := m.clock.Now()
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
func (m *Moderation) enqueueAction(ctx context.Context, tx *store.Tx, c *bot.Case, req request) error {
	a := bot.ModAction{GuildID: c.GuildID, UserID: c.TargetID, UserName: c.TargetName, Reason: bot.AuditReason(c), Notice: req.notice}
	switch c.Action {
	case bot.ActionQuarantine:
		a.Op, a.RoleID = bot.OpAddRole, req.roleID
	case bot.ActionUnquarantine:
		a.Op, a.RoleID = bot.OpRemoveRole, req.roleID
	case bot.ActionTimeout:
		until := c.CreatedAt.Add(min(c.Duration, bot.TimeoutStep))
		a.Op, a.Until = bot.OpTimeout, &until
	case bot.ActionUntimeout:
		a.Op = bot.OpUntimeout
	case bot.ActionKick:
		a.Op = bot.OpKick
	case bot.ActionBan:
		a.Op, a.DeleteMessageSeconds = bot.OpBan, req.deleteSecs
		a.Notice = m.banNotice(c, req.subj != nil && req.subj.Target != nil)
	case bot.ActionUnban:
		a.Op = bot.OpUnban
	case bot.ActionSlowmode:
		a.Op, a.ChannelID, a.Seconds, a.UserID, a.UserName = bot.OpSlowmode, c.ChannelID, int(c.Duration/time.Second), "", ""
	default:
		return nil // warn, note, purge (enqueued by purge)
	}
	_, err := tx.Enqueue(ctx, c.CreatedAt, &bot.OutboxMessage{Key: c.Key() + ":apply", Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: bot.Payload(a)})
	return err
}

// scheduleExpiries records what a temporary action needs later, and
// cancels what an action makes moot: a new ban or an unban supersedes a
// temporary ban's end; a new timeout, its lifting, a kick or a ban end an
// earlier timeout's renewals.
func (m *Moderation) scheduleExpiries(ctx context.Context, tx *store.Tx, c *bot.Case, now time.Time) error {
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
		if c.Duration > bot.TimeoutStep {
			if err := tx.AddExpiry(ctx, c.GuildID, c.Number, store.ExpiryRenewTimeout, c.TargetID, renewAt(c.CreatedAt.Add(bot.TimeoutStep))); err != nil {
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

// action handles the moderation buttons: mod.confirm, mod.warnonly and
// mod.cancel (Value: a pending question), and the Moderate menu of a
// relayed feedback item (feedback.go).
func (m *Moderation) action(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
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
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.TakePending(ctx, m.clock.Now(), id, status)
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
	case p.Kind == pendingRaidAll && a.ActionID == "mod.confirm":
		return m.confirmRaidAll(ctx, p)
	case (p.Kind == pendingReban || p.Kind == pendingRetimout) && a.ActionID == "mod.confirm":
		return m.confirmChange(ctx, p)
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was done.")
}

// discordIdentity returns the Discord id of whoever acts: their own on
// Discord, the one people: maps their Slack account to on Slack.
func (m *Moderation) discordIdentity(u bot.User) (string, error) {
	if u.Platform == bot.PlatformDiscord {
		return u.ID, nil
	}
	for _, p := range m.cfg.People {
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
func (m *Moderation) event(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	switch e := ev.(type) {
	case *bot.Message:
		if err := m.raidMentions(ctx, tx, e); err != nil {
			return err
		}
		return m.automodMessage(ctx, tx, e)
	case *bot.MemberChange:
		if gated, err := m.raidJoin(ctx, tx, e); err != nil || gated {
			return err // the gate stopped them: no welcome
		}
		return m.welcome(ctx, tx, e)
	case *bot.AuditLogEntry:
		return m.manualAction(ctx, tx, e)
	case *bot.AutoModExecution:
		return m.relayAutoMod(ctx, tx, e)
	}
	return nil
}

// isModerator reports whether roles include a moderator role of the server.
func (m *Moderation) isModerator(guildID string, roles []string) bool {
	cfg := m.cfg
	for _, id := range cfg.RoleIDs(guildID, cfg.Moderation.ModeratorRoles) {
		if slices.Contains(roles, id) {
			return true
		}
	}
	return false
}
