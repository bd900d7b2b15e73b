package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/slackbot"
)

// slackScope is one bot scope of slack-app-manifest.yaml (a test keeps the
// two lists equal) and what it is for.
type slackScope struct {
	name string
	// breaks is what does not work without it.
	breaks string
	// used reports whether the installation uses what the scope is for;
	// nil means always. A missing scope that is used is a ✗, one that is
	// not (yet) a ⚠.
	used func(u slackUse) bool
	// doctor marks the scopes only liaison doctor uses: missing, they are
	// a ⚠, since Liaison itself works without them.
	doctor bool
}

// slackUse is what decides which scopes an installation needs.
type slackUse struct {
	cfg     *config.Config // nil when liaison.yaml is unusable
	private bool           // a configured channel is private
	groups  bool           // liaison.yaml names Slack user groups
}

var slackScopes = []slackScope{
	{name: "chat:write", breaks: "every message Liaison posts, edits or shows to one person"},
	{name: "commands", breaks: "/liaison, /feedback and the Send to product shortcut"},
	{name: "channels:history", breaks: "messages in public channels, and the history look-up that keeps a re-sent post from appearing twice"},
	{name: "groups:history", breaks: "messages in private channels, and their history look-up", used: func(u slackUse) bool { return u.private }},
	{name: "channels:read", breaks: "liaison doctor's check that each channel exists, is not archived and has Liaison in it", doctor: true},
	{name: "groups:read", breaks: "liaison doctor's check of private channels", doctor: true},
	{name: "reactions:read", breaks: "✅ and ❌ reactions on drafts, and 👍 votes on feedback", used: func(u slackUse) bool {
		return u.cfg != nil && (u.cfg.Approvals.Enabled || u.cfg.Feedback.Enabled)
	}},
	{name: "reactions:write", breaks: "the reactions Liaison adds to messages"},
	{name: "files:write", breaks: "the digest's chart and the archive of purged messages in the Slack mod log", used: func(u slackUse) bool {
		if u.cfg == nil {
			return false
		}
		for _, dg := range u.cfg.Digests {
			if slices.ContainsFunc(dg.To, func(r config.ChannelRef) bool { return r.Platform == config.PlatformSlack }) {
				return true
			}
		}
		return u.cfg.Moderation.ModLog.Slack.ID != ""
	}},
	{name: "users:read", breaks: "the names of people in events and commands"},
	{name: "usergroups:read", breaks: "approvers and staff named by a Slack user group (slack_group)", used: func(u slackUse) bool { return u.groups }},
	{name: "im:write", breaks: "/liaison feedback export, whose file comes in a direct message", used: func(u slackUse) bool {
		return u.cfg != nil && u.cfg.Feedback.Enabled
	}},
}

// slackGroup checks the Slack side: the token, how Slack reaches Liaison,
// the scopes, the channels and the user groups liaison.yaml names.
func (d *doctor) slackGroup(ctx context.Context) group {
	g := group{Name: "Slack"}
	if d.env.SlackBotToken == "" {
		platformOff(&g, "slack", "SLACK_BOT_TOKEN", d.cfg != nil && len(d.cfg.Slack.Channels) > 0, "Slack channels",
			"set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) of the app made from slack-app-manifest.yaml")
		return g
	}
	in := slackbot.NewInspector(d.env.SlackBotToken, d.env.SlackAPIURL, d.timeout)
	id, err := in.Identity(ctx)
	if err != nil {
		slackTokenFailed(&g, d.env, err)
		return g
	}
	msg := fmt.Sprintf("%s is @%s (%s) in %s (%s)", mask(d.env.SlackBotToken), id.User, id.UserID, id.Team, id.TeamID)
	if !strings.HasPrefix(d.env.SlackBotToken, "xoxb-") {
		g.warn("slack.token", "token", msg+", but it is not a bot token", "use the app's Bot User OAuth Token (xoxb-…), from OAuth & Permissions")
	} else {
		g.ok("slack.token", "token", msg)
	}
	d.slackMode(ctx, &g)

	use := slackUse{cfg: d.cfg, groups: len(d.slackGroupRefs()) > 0}
	var channels group // rows about channels come after the scopes'
	if d.cfg == nil {
		d.configMissing(&channels, "slack.channels")
	} else {
		use.private = d.slackChannels(ctx, &channels, in, id)
	}
	slackScopesCheck(&g, id, use)
	g.Checks = append(g.Checks, channels.Checks...)
	if d.cfg != nil {
		d.slackUsergroups(ctx, &g, in, id)
	}
	return g
}

// slackTokenFailed explains why auth.test failed.
func slackTokenFailed(g *group, env Env, err error) {
	code := slackbot.ErrorCode(err)
	switch code {
	case "":
		where := firstNonEmpty(env.SlackAPIURL, "slack.com")
		g.fail("slack.token", "token", fmt.Sprintf("cannot reach Slack (%s): %v", where, err),
			"check this machine's access to "+where+" (proxy, firewall, DNS), then run liaison doctor again")
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
		g.fail("slack.token", "token", fmt.Sprintf("Slack refused SLACK_BOT_TOKEN %s (%s)", mask(env.SlackBotToken), code),
			"set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) under OAuth & Permissions at https://api.slack.com/apps (reinstall the app if the token was revoked)")
	default:
		g.fail("slack.token", "token", fmt.Sprintf("auth.test failed: %s", code), "check SLACK_BOT_TOKEN, and Slack's status at https://status.slack.com")
	}
}

// slackMode checks what lets Slack reach Liaison: the app token for
// Socket Mode, else the signing secret for the HTTP endpoints.
func (d *doctor) slackMode(ctx context.Context, g *group) {
	switch {
	case d.env.SlackAppToken != "" && !strings.HasPrefix(d.env.SlackAppToken, "xapp-"):
		g.fail("slack.mode", "Socket Mode", fmt.Sprintf("SLACK_APP_TOKEN %s is not an app-level token (xapp-…)", mask(d.env.SlackAppToken)),
			"create an app-level token with the connections:write scope under Basic Information → App-Level Tokens, and set SLACK_APP_TOKEN to it")
	case d.env.SlackAppToken != "":
		if err := slackbot.CheckAppToken(ctx, d.env.SlackAppToken, d.env.SlackAPIURL, d.timeout); err != nil {
			g.fail("slack.mode", "Socket Mode", fmt.Sprintf("Slack refused SLACK_APP_TOKEN %s for Socket Mode (%v): liaison run would never hear from Slack", mask(d.env.SlackAppToken), err),
				"turn Socket Mode on (Settings → Socket Mode) and set SLACK_APP_TOKEN to an app-level token with connections:write (Basic Information → App-Level Tokens)")
			return
		}
		g.ok("slack.mode", "Socket Mode", fmt.Sprintf("SLACK_APP_TOKEN %s may open Socket Mode: Slack's events come over it", mask(d.env.SlackAppToken)))
	case d.env.SlackSigningSecret == "":
		g.fail("slack.mode", "HTTP mode", "neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set: Liaison could post but never hear from Slack, and liaison run refuses to start",
			"set SLACK_SIGNING_SECRET (Basic Information → App Credentials → Signing Secret), or SLACK_APP_TOKEN to use Socket Mode")
	default:
		g.ok("slack.mode", "HTTP mode", "SLACK_SIGNING_SECRET is set: Slack's requests to /slack/… are verified")
		g.info("slack.request_urls", "request URLs", "request URL reachability is not checked: use --round-trip")
	}
}

// slackScopesCheck compares the granted scopes with slack-app-manifest.yaml's.
func slackScopesCheck(g *group, id slackbot.Identity, use slackUse) {
	if len(id.Scopes) == 0 {
		g.warn("slack.scopes", "scopes", "Slack did not say which scopes the token has (no X-OAuth-Scopes header)",
			"compare the scopes under OAuth & Permissions at https://api.slack.com/apps with slack-app-manifest.yaml")
		return
	}
	missing := 0
	for _, sc := range slackScopes {
		if slices.Contains(id.Scopes, sc.name) {
			continue
		}
		missing++
		fix := reinstallFix(sc.name, id.AppID)
		id, title := "slack.scope."+sc.name, "scope "+sc.name
		switch {
		case sc.doctor:
			g.warn(id, title, "not granted: Liaison works without it, but not "+sc.breaks, fix)
		case sc.used == nil || sc.used(use):
			g.fail(id, title, "not granted: without it, "+sc.breaks+" will fail", fix)
		default:
			g.warn(id, title, "not granted; nothing in liaison.yaml needs it today, but "+sc.breaks+" would fail", fix)
		}
	}
	if missing == 0 {
		g.ok("slack.scopes", "scopes", fmt.Sprintf("all %d scopes of slack-app-manifest.yaml are granted", len(slackScopes)))
	}
}

// reinstallFix says how to grant a scope: update the app from the manifest
// and reinstall it, with links to the app's pages when its id is known.
func reinstallFix(scope, appID string) string {
	if appID == "" {
		return fmt.Sprintf("add %s: open your app at https://api.slack.com/apps, paste slack-app-manifest.yaml under App Manifest and save, then reinstall the app to the workspace", scope)
	}
	return fmt.Sprintf("add %s: paste slack-app-manifest.yaml at https://api.slack.com/apps/%s/app-manifest and save, then reinstall the app at https://api.slack.com/apps/%s/install-on-team", scope, appID, appID)
}

// slackChannels checks each channel of slack.channels, and reports whether
// one of them is private.
func (d *doctor) slackChannels(ctx context.Context, g *group, in *slackbot.Inspector, id slackbot.Identity) (private bool) {
	for _, name := range slices.Sorted(maps.Keys(d.cfg.Slack.Channels)) {
		chID := d.cfg.Slack.Channels[name]
		checkID, title := "slack.channel."+name, "#"+name
		ch, err := in.Channel(ctx, chID)
		switch code := slackbot.ErrorCode(err); {
		case code == "missing_scope":
			g.warn("slack.channels", "channels", "not checked: the token lacks channels:read (see its row)", reinstallFix("channels:read", id.AppID))
			return private
		case code == "channel_not_found":
			g.fail(checkID, title, fmt.Sprintf("Slack has no channel %s that Liaison can see", chID)+d.slackLost(chID),
				fmt.Sprintf("check slack.channels.%s in liaison.yaml (the id is at the bottom of the channel's About tab); if the channel is private, invite Liaison in it first: /invite @%s", name, id.User))
			continue
		case err != nil:
			g.fail(checkID, title, fmt.Sprintf("could not check %s: %v", chID, err), "run liaison doctor again; if it persists, check Slack's status at https://status.slack.com")
			continue
		}
		private = private || ch.Private
		kind := "channel"
		if ch.Private {
			kind = "private channel"
		}
		switch {
		case ch.Archived:
			g.fail(checkID, title, fmt.Sprintf("the %s %s is archived: nothing can be posted there", kind, chID)+d.slackLost(chID),
				fmt.Sprintf("unarchive #%s in Slack, or point slack.channels.%s at another channel", ch.Name, name))
		case !ch.Member:
			g.fail(checkID, title, fmt.Sprintf("Liaison is not in the %s %s (#%s): it can neither post nor read there", kind, chID, ch.Name)+d.slackLost(chID),
				fmt.Sprintf("/invite @%s in #%s", id.User, ch.Name))
		default:
			g.ok(checkID, title, fmt.Sprintf("%s %s exists and Liaison is in it", kind, chID))
		}
	}
	return private
}

// slackLost says what moderation writes to a Slack channel, lost while
// Liaison cannot post there ("; what moderation writes there (the mod
// log, modmail tickets) is lost until this is fixed"), or "" when
// moderation writes nothing there.
func (d *doctor) slackLost(channelID string) string {
	uses := d.cfg.SlackLogUses()[channelID]
	if len(uses) == 0 {
		return ""
	}
	return "; what moderation writes there (" + strings.Join(uses, ", ") + ") is lost until this is fixed"
}

// slackGroupRefs maps each Slack user group liaison.yaml names to where.
func (d *doctor) slackGroupRefs() map[string]string {
	refs := map[string]string{}
	if d.cfg == nil {
		return refs
	}
	note := func(where string, ids ...string) {
		for _, id := range ids {
			if _, ok := refs[id]; !ok {
				refs[id] = where
			}
		}
	}
	note("staff", d.cfg.Staff.SlackGroups...)
	note("admins", d.cfg.Admins.SlackGroups...)
	for _, a := range d.cfg.Approvals.Policy.Approvers {
		note("approvals.approvers", a.Group)
	}
	for _, ch := range slices.Sorted(maps.Keys(d.cfg.Approvals.Overrides)) {
		for _, a := range d.cfg.Approvals.Overrides[ch].Approvers {
			note("approvals.overrides", a.Group)
		}
	}
	for _, action := range slices.Sorted(maps.Keys(d.cfg.Permissions)) {
		note("permissions."+action, d.cfg.Permissions[action].SlackGroups...)
	}
	delete(refs, "")
	return refs
}

// slackUsergroups checks that the user groups liaison.yaml names exist and
// are enabled.
func (d *doctor) slackUsergroups(ctx context.Context, g *group, in *slackbot.Inspector, id slackbot.Identity) {
	refs := d.slackGroupRefs()
	if len(refs) == 0 {
		return
	}
	groups, err := in.Usergroups(ctx)
	switch code := slackbot.ErrorCode(err); {
	case code == "missing_scope":
		g.fail("slack.usergroups", "user groups", "not checked: the token lacks usergroups:read, so their members cannot be read either", reinstallFix("usergroups:read", id.AppID))
		return
	case err != nil:
		g.fail("slack.usergroups", "user groups", fmt.Sprintf("could not list them: %v", err), "run liaison doctor again; if it persists, check Slack's status at https://status.slack.com")
		return
	}
	for _, gid := range slices.Sorted(maps.Keys(refs)) {
		where := refs[gid]
		label := d.cfg.GroupLabel(gid)
		i := slices.IndexFunc(groups, func(u slackbot.Usergroup) bool { return u.ID == gid })
		if i >= 0 {
			label = "@" + groups[i].Handle
		}
		switch {
		case i < 0:
			g.fail("slack.usergroup."+gid, "user group "+label, fmt.Sprintf("there is no user group %s in this workspace (named in %s)", gid, where),
				fmt.Sprintf("correct %s in liaison.yaml: a user group's id starts with S (in Slack, open the group under People → User groups; the id is in the address)", where))
		case groups[i].Disabled:
			g.fail("slack.usergroup."+gid, "user group "+label, fmt.Sprintf("@%s (%s) is disabled: it has no members, so nobody qualifies through it (named in %s)", groups[i].Handle, gid, where),
				fmt.Sprintf("enable @%s again in Slack, or name another group in %s", groups[i].Handle, where))
		default:
			g.ok("slack.usergroup."+gid, "user group "+label, fmt.Sprintf("@%s (%s) exists (named in %s)", groups[i].Handle, gid, where))
		}
	}
}
