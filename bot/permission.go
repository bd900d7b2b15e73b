package bot

import (
	"strings"
	"sync"
)

// Who is a set of people allowed to do something, as liaison.yaml's staff:,
// admins: and permissions: entries write it. Any one entry that matches is
// enough.
type Who struct {
	// Everyone is anybody at all (the everyone keyword).
	Everyone bool
	// Staff and Admins are the people of the top-level staff: and admins:
	// lists; Moderators are the holders of the Discord moderator roles
	// (discord.roles.moderators).
	Staff, Admins, Moderators bool
	// People are names from people:.
	People []string
	// SlackGroups are Slack user group ids (S01LEADS) whose members qualify.
	SlackGroups []string
	// DiscordRoles are role short names from discord.roles (discord:ROLE in
	// the file) whose holders qualify.
	DiscordRoles []string
}

// IsZero reports whether w allows nobody.
func (w Who) IsZero() bool {
	return !w.Everyone && !w.Staff && !w.Admins && !w.Moderators &&
		len(w.People) == 0 && len(w.SlackGroups) == 0 && len(w.DiscordRoles) == 0
}

// String writes w back as the file would: "staff", "[moderators, admins]",
// "[carol, slack_group:S01LEADS, discord:moderators]".
func (w Who) String() string {
	var parts []string
	if w.Everyone {
		parts = append(parts, "everyone")
	}
	if w.Staff {
		parts = append(parts, "staff")
	}
	if w.Admins {
		parts = append(parts, "admins")
	}
	if w.Moderators {
		parts = append(parts, "moderators")
	}
	parts = append(parts, w.People...)
	for _, g := range w.SlackGroups {
		parts = append(parts, "slack_group:"+g)
	}
	for _, r := range w.DiscordRoles {
		parts = append(parts, "discord:"+r)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Permission is one thing people may do, declared once with who may do it
// unless liaison.yaml's permissions: says otherwise. Its Action is
// capability.verb, the key permissions: uses.
type Permission struct {
	Action string
	// Doing names the act for refusals, as in "Closing feedback is for
	// staff: carol, dave".
	Doing string
	// Default is who may when permissions: does not name the action.
	Default Who
}

// Permissions is the catalogue of every action a permissions: entry may
// name, in the order `config check` lists them. Approving a draft is not
// here: the approvals policy decides it. A capability that adds an action
// adds it here, and declares it on the commands, buttons and forms that do
// it.
var Permissions = []Permission{
	{Action: "feedback.log", Doing: "Logging feedback from Slack", Default: Who{Staff: true}},
	{Action: "feedback.acknowledge", Doing: "Acknowledging feedback", Default: Who{Staff: true}},
	{Action: "feedback.tag", Doing: "Tagging feedback", Default: Who{Staff: true}},
	{Action: "feedback.claim", Doing: "Claiming feedback", Default: Who{Staff: true}},
	{Action: "feedback.close", Doing: "Closing feedback", Default: Who{Staff: true}},
	{Action: "feedback.reopen", Doing: "Reopening feedback", Default: Who{Staff: true}},
	{Action: "feedback.merge", Doing: "Merging feedback", Default: Who{Staff: true}},
	{Action: "feedback.status", Doing: "Setting a feedback item's status", Default: Who{Staff: true}},
	{Action: "feedback.export", Doing: "Exporting feedback", Default: Who{Staff: true}},
	{Action: "feedback.view", Doing: "Reading the feedback list", Default: Who{Staff: true}},
	{Action: "drafts.create", Doing: "Drafting a public reply", Default: Who{Staff: true}},
	{Action: "drafts.view", Doing: "Reading drafted replies", Default: Who{Staff: true}},
	{Action: "route.test", Doing: "Testing the routing rules", Default: Who{Staff: true}},
	{Action: "route.replay", Doing: "Replaying feedback through the routing rules", Default: Who{Admins: true}},
	{Action: "digest.preview", Doing: "Previewing a digest", Default: Who{Staff: true}},
	{Action: "moderation.warn", Doing: "Warning members", Default: Who{Moderators: true}},
	{Action: "moderation.timeout", Doing: "Timing members out", Default: Who{Moderators: true}},
	{Action: "moderation.kick", Doing: "Kicking members", Default: Who{Moderators: true}},
	{Action: "moderation.ban", Doing: "Banning members", Default: Who{Moderators: true}},
	{Action: "moderation.purge", Doing: "Purging messages", Default: Who{Moderators: true}},
	{Action: "moderation.slowmode", Doing: "Setting slowmode", Default: Who{Moderators: true}},
	{Action: "moderation.note", Doing: "Adding notes to cases", Default: Who{Moderators: true}},
	{Action: "moderation.cases", Doing: "Reading moderation cases", Default: Who{Moderators: true}},
	{Action: "moderation.retry", Doing: "Retrying a moderation action Discord refused", Default: Who{Moderators: true}},
	{Action: "moderation.modmail", Doing: "Answering modmail", Default: Who{Staff: true}},
	{Action: "ops.status", Doing: "Reading Liaison's status", Default: Who{Staff: true}},
	{Action: "ops.retry", Doing: "Retrying the messages Liaison gave up", Default: Who{Staff: true}},
	{Action: "ops.doctor", Doing: "Running Liaison's round trip", Default: Who{Admins: true}},
	{Action: "moderation.raid", Doing: "Ending raid mode and undoing the join gate", Default: Who{Moderators: true}},
	{Action: "giveaways.manage", Doing: "Running giveaways", Default: Who{Moderators: true, Admins: true}},
	{Action: "watch.claim", Doing: "Claiming and answering web mentions", Default: Who{Staff: true}},
	{Action: "watch.mute", Doing: "Muting web mentions", Default: Who{Staff: true}},
	{Action: "watch.configure", Doing: "Changing the watch's queries", Default: Who{Admins: true}},
}

// Needs is what a /liaison subcommand declares it needs: the action (one
// of Permissions) its caller must be allowed, for the whole subcommand or
// per verb when its verbs differ (/liaison feedback list reads, close
// changes). The Router checks it before the subcommand runs; help lists
// for each person only what they may run.
type Needs struct {
	// Action is what every verb Verbs does not name needs, the bare
	// subcommand included; "" lets everyone run them.
	Action string
	// Verbs maps a verb, in lower case, to the action it needs ("" for
	// everyone).
	Verbs map[string]string
	// VerbOf reads the verb from the subcommand's arguments when it is not
	// simply their first word (/liaison mod in:SERVER ban …); nil reads the
	// first word.
	VerbOf func(args string) string
}

// Need declares one action for a whole command, button or subcommand.
func Need(action string) Needs { return Needs{Action: action} }

// For returns the action that running the subcommand with args needs.
func (n Needs) For(args string) string {
	return n.ForVerb(n.Verb(args))
}

// Verb returns the verb of args, in lower case.
func (n Needs) Verb(args string) string {
	if n.VerbOf != nil {
		return strings.ToLower(n.VerbOf(args))
	}
	verb, _, _ := strings.Cut(strings.TrimSpace(args), " ")
	return strings.ToLower(verb)
}

// ForVerb returns the action verb needs.
func (n Needs) ForVerb(verb string) string {
	if a, ok := n.Verbs[strings.ToLower(verb)]; ok {
		return a
	}
	return n.Action
}

// PermissionFor returns the catalogue entry of action.
func PermissionFor(action string) (Permission, bool) {
	i, ok := PermissionIndex(action)
	if !ok {
		return Permission{}, false
	}
	return Permissions[i], true
}

// PermissionIndex returns where action is in Permissions.
func PermissionIndex(action string) (int, bool) {
	i, ok := permissionIndex()[action]
	return i, ok
}

// permissionIndex is where each action is in Permissions: every access
// check looks its action up (help, a hundred times).
var permissionIndex = sync.OnceValue(func() map[string]int {
	m := make(map[string]int, len(Permissions))
	for i, p := range Permissions {
		m[p.Action] = i
	}
	return m
})

// Actions lists the catalogue's action names matching pattern: the name
// itself, or every action of a capability for "capability.*".
func Actions(pattern string) []string {
	var out []string
	prefix, all := strings.CutSuffix(pattern, ".*")
	for _, p := range Permissions {
		if p.Action == pattern || all && strings.HasPrefix(p.Action, prefix+".") {
			out = append(out, p.Action)
		}
	}
	return out
}
