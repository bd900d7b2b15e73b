package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Moderation: cases, the permission and role-hierarchy rules every action
// obeys whatever its source, and the outbox payload that carries an action
// to Discord.

// Case actions.
const (
	ActionWarn      = "warn"
	ActionTimeout   = "timeout"
	ActionUntimeout = "untimeout"
	ActionKick      = "kick"
	ActionBan       = "ban"
	ActionUnban     = "unban"
	ActionPurge     = "purge"
	ActionSlowmode  = "slowmode"
	ActionNote      = "note"
	// ActionQuarantine gives a member the quarantine role (the join gate);
	// ActionUnquarantine takes it back.
	ActionQuarantine   = "quarantine"
	ActionUnquarantine = "unquarantine"
)

// Case sources: where the action came from.
const (
	SourceDiscord = "discord" // a slash command in Discord
	SourceSlack   = "slack"   // /liaison mod in Slack, as the mapped Discord identity
	SourceAutomod = "automod" // Liaison's automod
	SourceManual  = "manual"  // done by hand in Discord, seen in the audit log
	SourceGate    = "gate"    // the join gate, on a new account
	SourceRaid    = "raid"    // raid mode (slowmode, and its end)
)

// MaxTimeout is the longest timeout Discord applies at once; a longer one is
// renewed by the expiry job until it ends.
const MaxTimeout = 28 * 24 * time.Hour

// TimeoutMargin is what Liaison keeps below MaxTimeout when it applies a
// long timeout: Discord refuses an end past 28 days by its own clock, and
// host clocks drift. A longer timeout is applied TimeoutStep at a time.
const (
	TimeoutMargin = 10 * time.Minute
	TimeoutStep   = MaxTimeout - TimeoutMargin
)

// Case is one moderation action in a server: a sequential number per
// server, with no gaps or duplicates, and everything a moderator needs to
// understand it later.
type Case struct {
	GuildID          string
	Number           int64
	Action           string
	TargetID         string // a user id; empty for purge or slowmode without one
	TargetName       string // how the target was known when the case was made (#general for slowmode)
	ModeratorID      string // the Discord user id of who acted; Liaison's for automod
	ModeratorName    string
	Reason           string
	Duration         time.Duration // timeout length, temporary ban length, slowmode delay; zero when none
	ExpiresAt        time.Time     // when a temporary action ends; zero when it does not
	Source           string
	ChannelID        string // where it happened, when it happened in a channel
	TriggerMessageID string // the Discord message that triggered it, when there is one
	LinkedCase       int64  // the case this one follows from (an escalation's warn); zero when none
	Points           int    // escalation points it carries
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Label names the case for people: "case 12".
func (c *Case) Label() string { return fmt.Sprintf("case %d", c.Number) }

// Key is the prefix of the outbox keys of everything the case causes:
// "case:<guild>:<n>", so its action is "case:<guild>:<n>:apply".
func (c *Case) Key() string { return fmt.Sprintf("case:%s:%d", c.GuildID, c.Number) }

// Past is the action in the past tense, for replies and the mod log.
func Past(action string) string {
	switch action {
	case ActionWarn:
		return "warned"
	case ActionTimeout:
		return "timed out"
	case ActionUntimeout:
		return "lifted the timeout of"
	case ActionKick:
		return "kicked"
	case ActionBan:
		return "banned"
	case ActionUnban:
		return "unbanned"
	case ActionPurge:
		return "purged"
	case ActionSlowmode:
		return "set slowmode in"
	case ActionNote:
		return "added a note on"
	case ActionQuarantine:
		return "quarantined"
	case ActionUnquarantine:
		return "released from quarantine"
	}
	return action
}

// Discord permission bits Liaison checks (Discord's bit positions).
const (
	PermKickMembers     int64 = 1 << 1
	PermBanMembers      int64 = 1 << 2
	PermAdministrator   int64 = 1 << 3
	PermManageChannels  int64 = 1 << 4
	PermManageMessages  int64 = 1 << 13
	PermModerateMembers int64 = 1 << 40
)

// permissionFor says which Discord permission lets a member take an action
// without a moderator role, and how Discord's settings name it.
func permissionFor(action string) (int64, string) {
	switch action {
	case ActionTimeout, ActionUntimeout:
		return PermModerateMembers, "Timeout Members"
	case ActionKick:
		return PermKickMembers, "Kick Members"
	case ActionBan, ActionUnban:
		return PermBanMembers, "Ban Members"
	case ActionPurge:
		return PermManageMessages, "Manage Messages"
	case ActionSlowmode:
		return PermManageChannels, "Manage Channels"
	}
	// Warnings, notes and reading cases: any moderation permission.
	return PermModerateMembers | PermKickMembers | PermBanMembers, "Timeout Members"
}

// CommandPermission is the default_member_permissions a Discord command for
// action is registered with (a decimal bit set): Discord hides it from
// members without the permission, and Liaison checks again on every call.
func CommandPermission(action string) string {
	p, _ := permissionFor(action)
	if p == PermModerateMembers|PermKickMembers|PermBanMembers {
		p = PermModerateMembers // Discord requires every bit given: ask for the mildest
	}
	return strconv.FormatInt(p, 10)
}

// Guild is what the moderation rules need to know about a Discord server.
type Guild struct {
	ID        string
	OwnerID   string
	SelfID    string   // Liaison's user id
	SelfRoles []string // Liaison's roles in the server
	Roles     []Role
}

// Role is a server role and its place in the role list.
type Role struct {
	ID          string
	Name        string
	Position    int // higher is more powerful; @everyone is 0
	Permissions int64
}

// Member is a member of a server.
type Member struct {
	User         User // Platform discord, with Roles
	TimeoutUntil time.Time
	JoinedAt     time.Time // when they joined the server; zero when unknown
}

// Role returns the role with id.
func (g *Guild) Role(id string) (Role, bool) {
	for _, r := range g.Roles {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// Permissions returns the server-wide permissions of someone holding roles:
// @everyone's and every role's, or all of them for the owner and for
// administrators.
func (g *Guild) Permissions(userID string, roles []string) int64 {
	if userID != "" && userID == g.OwnerID {
		return -1
	}
	var p int64
	if r, ok := g.Role(g.ID); ok {
		p = r.Permissions
	}
	for _, id := range roles {
		if r, ok := g.Role(id); ok {
			p |= r.Permissions
		}
	}
	if p&PermAdministrator != 0 {
		return -1
	}
	return p
}

// TopRole returns the highest of roles (the role list's order), or
// @everyone when there is none.
func (g *Guild) TopRole(roles []string) Role {
	top := Role{ID: g.ID, Name: "@everyone"}
	for _, id := range roles {
		if r, ok := g.Role(id); ok && r.Position > top.Position {
			top = r
		}
	}
	return top
}

// CheckPermission refuses, with a bot.Error saying what is missing, a
// moderator who holds neither one of moderatorRoles nor the Discord
// permission for action.
func CheckPermission(g *Guild, mod *Member, action string, moderatorRoles []string) error {
	for _, id := range mod.User.Roles {
		if slices.Contains(moderatorRoles, id) {
			return nil
		}
	}
	perm, name := permissionFor(action)
	if g.Permissions(mod.User.ID, mod.User.Roles)&perm != 0 {
		return nil
	}
	roles := "a moderator role"
	var names []string
	for _, id := range moderatorRoles {
		if r, ok := g.Role(id); ok && r.Name != "" {
			names = append(names, r.Name)
		}
	}
	if len(names) > 0 {
		roles = "the " + strings.Join(names, " or ") + " role"
	}
	verb := map[string]string{ActionWarn: "warn members", ActionTimeout: "time members out", ActionUntimeout: "lift timeouts",
		ActionKick: "kick members", ActionBan: "ban members", ActionUnban: "unban members", ActionPurge: "purge messages",
		ActionSlowmode: "set slowmode", ActionNote: "add notes"}[action]
	if verb == "" {
		verb = "use moderation commands"
	}
	return Errorf(EForbidden, "Only moderators can %s: you need %s or Discord's %s permission. Ask an admin if you should have it.", verb, roles, name)
}

// CheckTarget refuses, with a bot.Error a moderator can act on, a target
// that nobody may moderate through Liaison: oneself, Liaison, the server
// owner, administrators, members with a protected role, and anyone not
// below both the moderator (unless the moderator owns the server) and
// Liaison in the role list. target is nil for a user who is not a member
// (who can still be banned or unbanned).
func CheckTarget(g *Guild, mod *Member, target *Member, targetID, targetName string, protectedRoles []string) error {
	if targetID == mod.User.ID {
		return Errorf(EInvalid, "You cannot moderate yourself.")
	}
	if targetID == g.SelfID {
		return Errorf(EInvalid, "Liaison does not moderate itself.")
	}
	if targetID == g.OwnerID {
		return Errorf(EForbidden, "%s owns the server: nobody can moderate the owner.", targetName)
	}
	if target == nil {
		return nil
	}
	if g.Permissions(targetID, target.User.Roles)&PermAdministrator != 0 {
		return Errorf(EForbidden, "%s is an administrator: Liaison does not moderate administrators.", targetName)
	}
	for _, id := range target.User.Roles {
		if slices.Contains(protectedRoles, id) {
			name := "protected"
			if r, ok := g.Role(id); ok && r.Name != "" {
				name = r.Name
			}
			return Errorf(EForbidden, "%s has the %s role, which is protected: Liaison never moderates protected members.", targetName, name)
		}
	}
	top := g.TopRole(target.User.Roles)
	if mod.User.ID != g.OwnerID {
		mine := g.TopRole(mod.User.Roles)
		if top.Position > mine.Position {
			return Errorf(EForbidden, "%s is above you in the role list (their highest role is %s, yours is %s): only someone higher can moderate them.", targetName, top.Name, mine.Name)
		}
		if top.Position == mine.Position {
			return Errorf(EForbidden, "%s is at your level in the role list (you both have %s as highest role): only someone higher can moderate them.", targetName, top.Name)
		}
	}
	if self := g.TopRole(g.SelfRoles); top.Position >= self.Position {
		return Errorf(EForbidden, "%s is not below Liaison in the role list (their highest role is %s, Liaison's is %s): an admin must move Liaison's role above theirs in Server Settings → Roles.", targetName, top.Name, self.Name)
	}
	return nil
}

// maxAuditReason is Discord's limit on an audit-log reason.
const maxAuditReason = 512

// AuditReason is the reason Discord's audit log shows for a case's action:
// who asked, through what, the case number, and the reason, within
// Discord's 512 characters. It is sent in the X-Audit-Log-Reason header.
func AuditReason(c *Case) string {
	by := c.ModeratorName + " via Liaison"
	switch c.Source {
	case SourceSlack:
		by = c.ModeratorName + " via Liaison (Slack)"
	case SourceAutomod:
		by = "Liaison automod"
	case SourceGate:
		by = "Liaison (join gate)"
	case SourceRaid:
		by = "Liaison (raid mode)"
	}
	s := fmt.Sprintf("%s, case %d", by, c.Number)
	if c.Action == ActionTimeout && c.Duration > TimeoutStep && !c.ExpiresAt.IsZero() {
		// Discord shows the end of the first 28 days: say the real one.
		s += fmt.Sprintf(" (%s, until %s UTC, renewed every 28 days)", FormatDuration(c.Duration), c.ExpiresAt.UTC().Format("2006-01-02 15:04"))
	}
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	return truncateRunes(strings.Join(strings.Fields(s), " "), maxAuditReason)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// KindModerate is the outbox kind of a moderation action on Discord; its
// payload is a ModAction.
const KindModerate = "moderate"

// Operations a ModAction performs.
const (
	OpTimeout    = "timeout"     // set the member's timeout to Until
	OpUntimeout  = "untimeout"   // lift it
	OpKick       = "kick"        // remove the member
	OpBan        = "ban"         // ban, deleting DeleteMessageSeconds of their messages
	OpUnban      = "unban"       // lift a ban; no ban is not an error
	OpDelete     = "delete"      // delete MessageIDs[0]; already gone is not an error
	OpBulkDelete = "bulk_delete" // delete MessageIDs (2 to 100, younger than 14 days) at once
	OpSlowmode   = "slowmode"    // set ChannelID's slowmode to Seconds
	OpAddRole    = "add_role"    // give the member RoleID
	OpRemoveRole = "remove_role" // take RoleID back; not having it is not an error
)

// ModAction is one write to Discord a case causes. Every operation is
// idempotent, so a re-send after a crash does no harm.
type ModAction struct {
	Op                   string     `json:"op"`
	GuildID              string     `json:"guild_id,omitempty"`
	UserID               string     `json:"user_id,omitempty"`
	UserName             string     `json:"user_name,omitempty"` // for transcripts and errors
	ChannelID            string     `json:"channel_id,omitempty"`
	MessageIDs           []string   `json:"message_ids,omitempty"`
	Until                *time.Time `json:"until,omitempty"`
	DeleteMessageSeconds int        `json:"delete_message_seconds,omitempty"`
	Seconds              int        `json:"seconds,omitempty"`
	RoleID               string     `json:"role_id,omitempty"`
	// Notice is a direct message to the member sent just before the
	// action (why, when to come back, a ban's appeal link), best effort: a
	// member who accepts no DMs is still acted on. It goes first because a
	// member kicked or banned from the last server Liaison shares with them
	// cannot get it. "" sends none.
	Notice string `json:"notice,omitempty"`
	// Reason goes to Discord's audit log (AuditReason).
	Reason string `json:"reason"`
}

// AuditLogEntry is a moderation action Discord recorded in a server's
// audit log (GUILD_AUDIT_LOG_ENTRY_CREATE): bans, unbans, kicks and timeouts
// done by hand, and Liaison's own (ByLiaison), which it has already recorded.
type AuditLogEntry struct {
	Delivery
	GuildID   string
	EntryID   string
	Action    string // ActionBan, ActionUnban, ActionKick, ActionTimeout or ActionUntimeout
	ActorID   string // who acted
	TargetID  string
	Reason    string
	Until     time.Time // a timeout's end
	ByLiaison bool      // Liaison itself acted
}

// AutoModExecution is an action Discord's own AutoMod took
// (AUTO_MODERATION_ACTION_EXECUTION).
type AutoModExecution struct {
	Delivery
	Place
	RuleID    string
	Trigger   string // keyword, spam, keyword preset, mention spam, member profile
	Action    string // blocked the message, sent an alert, timed the member out
	User      User
	MessageID string
	Content   string // empty without the message content intent
	Matched   string // the keyword or content that matched
}
