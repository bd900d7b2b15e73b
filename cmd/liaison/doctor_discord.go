package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/handlers"
)

// permOrder lists the Discord permissions liaison doctor talks about, in
// the order Discord's settings show them, with their names there.
var permOrder = []struct {
	bit  int64
	name string
}{
	{discordgo.PermissionViewChannel, "View Channel"},
	{discordgo.PermissionManageChannels, "Manage Channels"},
	{discordgo.PermissionViewAuditLogs, "View Audit Log"},
	{discordgo.PermissionKickMembers, "Kick Members"},
	{discordgo.PermissionBanMembers, "Ban Members"},
	{discordgo.PermissionModerateMembers, "Timeout Members"},
	{discordgo.PermissionSendMessages, "Send Messages"},
	{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads"},
	{discordgo.PermissionAttachFiles, "Attach Files"},
	{discordgo.PermissionAddReactions, "Add Reactions"},
	{discordgo.PermissionManageMessages, "Manage Messages"},
	{discordgo.PermissionManageThreads, "Manage Threads"},
	{discordgo.PermissionReadMessageHistory, "Read Message History"},
}

// permName is a permission's name in Discord's settings.
func permName(bit int64) string {
	for _, p := range permOrder {
		if p.bit == bit {
			return p.name
		}
	}
	return fmt.Sprintf("permission %d", bit)
}

// discordNeed is a permission a feature of liaison.yaml needs, in a channel
// or in the whole server.
type discordNeed struct {
	bit int64
	why string // what it is for: "approved replies"
	// soft needs are a ⚠ when missing: only a command used now and then
	// fails there (a /purge in the mod log), not what the channel is for.
	soft bool
}

// discordNeeds works out what the features configured in liaison.yaml need
// from Liaison in one server: per channel id, and server-wide.
func discordNeeds(cfg *config.Config, g config.Guild) (channels map[string][]discordNeed, server []discordNeed) {
	channels = map[string][]discordNeed{}
	add := func(id string, why string, soft bool, bits ...int64) {
		for _, b := range bits {
			channels[id] = append(channels[id], discordNeed{bit: b, why: why, soft: soft})
		}
	}
	here := func(r config.ChannelRef) bool { return r.Platform == config.PlatformDiscord && r.GuildID == g.ID }
	for _, id := range g.Channels {
		add(id, "anything Liaison does there", false, discordgo.PermissionViewChannel)
	}
	for _, r := range cfg.Feedback.Channels {
		if here(r) {
			add(r.ID, "catching up on feedback posted while Liaison was down", false, discordgo.PermissionReadMessageHistory)
			if cfg.Approvals.Enabled {
				add(r.ID, "approved replies", false, discordgo.PermissionSendMessages, discordgo.PermissionSendMessagesInThreads)
			}
		}
	}
	if cfg.Approvals.Enabled {
		for id := range cfg.Approvals.Overrides {
			if slices.Contains(slices.Collect(maps.Values(g.Channels)), id) {
				add(id, "approved replies", false, discordgo.PermissionSendMessages, discordgo.PermissionSendMessagesInThreads)
				// A reply (message_reference) needs to read what it answers.
				add(id, "approved replies, which answer a message", false, discordgo.PermissionReadMessageHistory)
			}
		}
	}
	routed := append(slices.Clone(cfg.Feedback.DefaultTo), cfg.Feedback.EscalateTo)
	for _, rt := range cfg.Feedback.Routes {
		routed = append(routed, rt.To...)
	}
	for _, r := range routed {
		if here(r) {
			add(r.ID, "feedback routed here", false, discordgo.PermissionSendMessages)
		}
	}
	if m := cfg.Moderation; m.Enabled {
		if here(m.ModLog.Discord) {
			add(m.ModLog.Discord.ID, "the mod log", false, discordgo.PermissionSendMessages)
			add(m.ModLog.Discord.ID, "the archives of purged messages in the mod log", false, discordgo.PermissionAttachFiles)
			add(m.ModLog.Discord.ID, "the mod log's follow-ups, which answer a case's entry", false, discordgo.PermissionReadMessageHistory)
		}
		if here(m.Welcome.Channel) {
			add(m.Welcome.Channel.ID, "the welcome", false, discordgo.PermissionSendMessages)
		}
		for _, id := range g.Channels {
			add(id, "/purge", true, discordgo.PermissionManageMessages)
			add(id, "/slowmode", true, discordgo.PermissionManageChannels)
			add(id, "/slowmode in its threads", true, discordgo.PermissionManageThreads)
		}
		for _, rule := range cfg.AutomodRules(g.ID) {
			if !slices.Contains(rule.Actions, bot.AutomodDelete) {
				continue
			}
			for _, id := range g.Channels {
				if (len(rule.Channels) == 0 || slices.Contains(rule.Channels, id)) && !slices.Contains(rule.ExemptChannels, id) {
					add(id, "automod's deletions ("+rule.Name+")", false, discordgo.PermissionManageMessages)
				}
			}
		}
		server = []discordNeed{
			{bit: discordgo.PermissionKickMembers, why: "/kick"},
			{bit: discordgo.PermissionBanMembers, why: "/ban and /unban"},
			{bit: discordgo.PermissionModerateMembers, why: "/timeout"},
			{bit: discordgo.PermissionViewAuditLogs, why: "bans, kicks and timeouts made by hand becoming cases"},
		}
	}
	if b := cfg.Feedback.Board; here(b) {
		add(b.ID, "the status board's posts", false, discordgo.PermissionSendMessages)
		add(b.ID, "finding a board post again after a crash", false, discordgo.PermissionReadMessageHistory)
	}
	for _, dg := range cfg.Digests {
		for _, r := range dg.To {
			if here(r) {
				add(r.ID, "the "+dg.Name+" digest", false, discordgo.PermissionSendMessages)
			}
		}
	}
	return channels, server
}

// discordGroup checks the Discord side: the token, the application, its
// intents, and in each configured server Liaison's access, permissions,
// role order and commands.
func (d *doctor) discordGroup(ctx context.Context) group {
	g := group{Name: "Discord"}
	if d.env.DiscordBotToken == "" {
		platformOff(&g, "discord", "DISCORD_BOT_TOKEN", d.cfg != nil && len(d.cfg.Discord.Guilds) > 0, "a Discord server",
			"set DISCORD_BOT_TOKEN to your application's bot token (https://discord.com/developers/applications → Bot)")
		return g
	}
	in, err := discordbot.NewInspector(d.env.DiscordBotToken, d.env.DiscordAPIURL, d.timeout)
	if err != nil {
		g.fail("discord.token", "token", err.Error(), "correct LIAISON_DISCORD_API_URL, or unset it to use discord.com")
		return g
	}
	me, err := in.Me(ctx)
	if err != nil {
		d.discordTokenFailed(&g, err)
		return g
	}
	g.ok("discord.token", "token", fmt.Sprintf("%s is the bot %s (%s)", mask(d.env.DiscordBotToken), me.Username, me.ID))
	appID := d.discordApplication(ctx, &g, in)
	if d.cfg == nil {
		d.configMissing(&g, "discord.servers")
		return g
	}
	var specs []bot.CommandSpec
	if len(d.cfg.Discord.Guilds) > 0 {
		specs = handlers.New(handlers.Deps{Config: d.cfg}).DiscordCommands()
	}
	for _, cg := range d.cfg.Discord.Guilds {
		d.discordServer(ctx, &g, in, me, appID, cg, specs)
	}
	return g
}

func (d *doctor) discordTokenFailed(g *group, err error) {
	switch status, _ := discordbot.RESTStatus(err); status {
	case 0:
		where := firstNonEmpty(d.env.DiscordAPIURL, "discord.com")
		g.fail("discord.token", "token", fmt.Sprintf("cannot reach Discord (%s): %v", where, err),
			"check this machine's access to "+where+" (proxy, firewall, DNS), then run liaison doctor again")
	case 401:
		g.fail("discord.token", "token", fmt.Sprintf("Discord refused DISCORD_BOT_TOKEN %s (401 Unauthorized)", mask(d.env.DiscordBotToken)),
			"set DISCORD_BOT_TOKEN to the bot's token: https://discord.com/developers/applications → your application → Bot → Reset Token")
	default:
		g.fail("discord.token", "token", fmt.Sprintf("GET /users/@me failed: %v", err), "run liaison doctor again; if it persists, check https://discordstatus.com")
	}
}

// discordApplication checks DISCORD_APP_ID, the public key and the
// privileged intents, and returns the application id to use.
func (d *doctor) discordApplication(ctx context.Context, g *group, in *discordbot.Inspector) string {
	app, err := in.Application(ctx)
	if err != nil {
		g.fail("discord.application", "application", fmt.Sprintf("could not read the application (GET /applications/@me): %v", err),
			"run liaison doctor again; if it persists, check https://discordstatus.com")
		return d.env.DiscordAppID
	}
	switch d.env.DiscordAppID {
	case app.ID:
		g.ok("discord.application", "application", fmt.Sprintf("DISCORD_APP_ID %s is the token's application (%s)", app.ID, app.Name))
	case "":
		g.warn("discord.application", "application", fmt.Sprintf("DISCORD_APP_ID is not set; the token's application is %s (%s)", app.ID, app.Name),
			"set DISCORD_APP_ID="+app.ID+" (Liaison otherwise learns it only once connected)")
	default:
		g.fail("discord.application", "application", fmt.Sprintf("DISCORD_APP_ID is %s but the token belongs to application %s (%s): commands would be registered for the wrong application", d.env.DiscordAppID, app.ID, app.Name),
			"set DISCORD_APP_ID="+app.ID+", or use the token of application "+d.env.DiscordAppID)
	}
	if d.env.DiscordPublicKey != "" && app.VerifyKey != "" && !strings.EqualFold(d.env.DiscordPublicKey, app.VerifyKey) {
		g.fail("discord.public_key", "public key", "DISCORD_PUBLIC_KEY is not this application's public key: every interaction sent over HTTP would be refused",
			"copy the Public Key from https://discord.com/developers/applications/"+app.ID+"/information into DISCORD_PUBLIC_KEY")
	}
	members, content := discordbot.PrivilegedIntents(app.Flags)
	var off []string
	if !members {
		off = append(off, "Server Members (joins and leaves for the welcome, the digest and moderation)")
	}
	if !content {
		off = append(off, "Message Content (the text of feedback, flagged messages and automod)")
	}
	if len(off) == 0 {
		g.ok("discord.intents", "intents", "Server Members and Message Content are enabled")
	} else {
		g.fail("discord.intents", "intents", fmt.Sprintf("%s off: Liaison asks for it when it connects, so Discord refuses the connection (close code 4014)", strings.Join(off, " and ")),
			"turn on the privileged intents under Bot → Privileged Gateway Intents at https://discord.com/developers/applications/"+app.ID+"/bot (a bot in 100 servers or more must be approved for them)")
	}
	return firstNonEmpty(d.env.DiscordAppID, app.ID)
}

// discordServer checks one configured server.
func (d *doctor) discordServer(ctx context.Context, g *group, in *discordbot.Inspector, me *discordgo.User, appID string, cg config.Guild, specs []bot.CommandSpec) {
	prefix := "discord.server." + cg.ID
	chNeeds, serverNeeds := discordNeeds(d.cfg, cg)
	guild, err := in.Guild(ctx, cg.ID)
	if err != nil {
		if status, _ := discordbot.RESTStatus(err); status == 403 || status == 404 {
			g.fail(prefix, "server "+cg.ID, "Liaison is not in this server (or it does not exist)",
				"check the server id in liaison.yaml, and invite Liaison: "+inviteURL(appID, cg.ID, chNeeds, serverNeeds))
			return
		}
		g.fail(prefix, "server "+cg.ID, fmt.Sprintf("could not read it: %v", err), "run liaison doctor again; if it persists, check https://discordstatus.com")
		return
	}
	title := "server " + guild.Name
	member, err := in.Member(ctx, cg.ID, me.ID)
	if err != nil {
		g.fail(prefix, title, fmt.Sprintf("could not read Liaison's roles there: %v", err), "run liaison doctor again; if it persists, check https://discordstatus.com")
		return
	}
	if member.User == nil {
		member.User = me
	}
	top := discordbot.TopRole(guild, member)
	botRole := "Liaison's role"
	if top != nil {
		botRole = "@" + top.Name
		g.ok(prefix, title, fmt.Sprintf("Liaison is in %s (%s); its highest role is %s", guild.Name, guild.ID, botRole))
	} else {
		g.ok(prefix, title, fmt.Sprintf("Liaison is in %s (%s), without a role of its own", guild.Name, guild.ID))
	}
	d.discordRoles(g, guild, cg)
	for _, name := range slices.Sorted(maps.Keys(cg.Channels)) {
		d.discordChannel(ctx, g, in, guild, member, botRole, name, cg.Channels[name], chNeeds[cg.Channels[name]])
	}
	d.discordBoard(ctx, g, in, guild, member, botRole, cg)
	if d.cfg.Moderation.Enabled {
		discordModeration(g, guild, member, top, botRole, serverNeeds, d.cfg, cg)
	}
	discordCommands(ctx, g, in, guild, appID, specs)
}

// inviteURL is the OAuth2 link that adds Liaison to a server with every
// permission the configuration needs there.
func inviteURL(appID, guildID string, chNeeds map[string][]discordNeed, serverNeeds []discordNeed) string {
	perms := int64(discordgo.PermissionUseApplicationCommands)
	for _, ns := range chNeeds {
		for _, n := range ns {
			perms |= n.bit
		}
	}
	for _, n := range serverNeeds {
		perms |= n.bit
	}
	return fmt.Sprintf("https://discord.com/oauth2/authorize?client_id=%s&scope=bot+applications.commands&permissions=%d&guild_id=%s", appID, perms, guildID)
}

// discordRoles checks that the roles of discord.roles exist.
func (d *doctor) discordRoles(g *group, guild *discordgo.Guild, cg config.Guild) {
	for _, name := range slices.Sorted(maps.Keys(cg.Roles)) {
		for _, id := range cg.Roles[name] {
			if !slices.ContainsFunc(guild.Roles, func(r *discordgo.Role) bool { return r.ID == id }) {
				g.fail("discord.role."+cg.ID+"."+name, "role "+name, fmt.Sprintf("%s has no role %s", guild.Name, id),
					"correct discord.roles."+name+" in liaison.yaml: in Discord, Server Settings → Roles, right-click the role → Copy Role ID (Developer Mode on)")
			}
		}
	}
}

// discordChannel checks that a configured channel exists in the server and
// that Liaison has there what the features configured there need.
func (d *doctor) discordChannel(ctx context.Context, g *group, in *discordbot.Inspector, guild *discordgo.Guild, member *discordgo.Member, botRole, name, id string, needs []discordNeed) {
	checkID, title := "discord.channel."+guild.ID+"."+name, "#"+name
	ch, err := in.Channel(ctx, id)
	if err != nil {
		if status, _ := discordbot.RESTStatus(err); status == 403 || status == 404 {
			g.fail(checkID, title, fmt.Sprintf("Discord has no channel %s that Liaison can see", id),
				fmt.Sprintf("check discord.channels.%s in liaison.yaml (right-click the channel → Copy Channel ID); if the channel is private, allow View Channel for %s in its permissions", name, botRole))
			return
		}
		g.fail(checkID, title, fmt.Sprintf("could not read channel %s: %v", id, err), "run liaison doctor again; if it persists, check https://discordstatus.com")
		return
	}
	if ch.GuildID != guild.ID {
		g.fail(checkID, title, fmt.Sprintf("channel %s (#%s) is in another server, not %s", id, ch.Name, guild.Name),
			fmt.Sprintf("move discord.channels.%s under the server it belongs to in liaison.yaml, or name a channel of %s", name, guild.Name))
		return
	}
	have := discordbot.ChannelPermissions(guild, member, ch)
	var hard, soft []string // "Send Messages (the welcome, approved replies)"
	var fixes []string
	missing := map[int64][]string{}
	var order []int64
	for _, n := range needs {
		if have&n.bit != 0 {
			continue
		}
		if _, seen := missing[n.bit]; !seen {
			order = append(order, n.bit)
		}
		missing[n.bit] = append(missing[n.bit], n.why)
	}
	if have&discordgo.PermissionViewChannel == 0 && len(order) > 0 {
		order = []int64{discordgo.PermissionViewChannel} // nothing else applies without it
	}
	isSoft := func(bit int64) bool {
		return !slices.ContainsFunc(needs, func(n discordNeed) bool { return n.bit == bit && !n.soft })
	}
	for _, bit := range order {
		line := fmt.Sprintf("%s (%s)", permName(bit), strings.Join(slices.Compact(missing[bit]), ", "))
		if isSoft(bit) {
			soft = append(soft, line)
		} else {
			hard = append(hard, line)
		}
		if by := discordbot.DeniedBy(guild, member, ch, bit); by != "" {
			fixes = append(fixes, fmt.Sprintf("in #%s → Edit Channel → Permissions, %s denies %s: allow it for %s there", ch.Name, by, permName(bit), botRole))
		} else {
			fixes = append(fixes, fmt.Sprintf("give %s %s in Server Settings → Roles (or allow it for %s in #%s's permissions)", botRole, permName(bit), botRole, ch.Name))
		}
	}
	switch {
	case len(hard) > 0:
		g.fail(checkID, title, "Liaison lacks "+strings.Join(append(hard, soft...), "; "), strings.Join(fixes, "; "))
	case len(soft) > 0:
		g.warn(checkID, title, "Liaison lacks "+strings.Join(soft, "; "), strings.Join(fixes, "; "))
	default:
		g.ok(checkID, title, fmt.Sprintf("channel %s: Liaison has %s", id, neededNames(needs)))
	}
}

// neededNames lists the permissions of needs once each, in Discord's order.
func neededNames(needs []discordNeed) string {
	var names []string
	for _, p := range permOrder {
		if slices.ContainsFunc(needs, func(n discordNeed) bool { return n.bit == p.bit }) {
			names = append(names, p.name)
		}
	}
	return strings.Join(names, ", ")
}

// discordModeration checks the server-wide permissions moderation needs and
// that Liaison's highest role is above the roles of the members it
// moderates.
func discordModeration(g *group, guild *discordgo.Guild, member *discordgo.Member, top *discordgo.Role, botRole string, needs []discordNeed, cfg *config.Config, cg config.Guild) {
	have := discordbot.GuildPermissions(guild, member)
	var lacking []string
	for _, n := range needs {
		if have&n.bit == 0 {
			lacking = append(lacking, fmt.Sprintf("%s (%s)", permName(n.bit), n.why))
		}
	}
	id := "discord.moderation." + guild.ID
	if len(lacking) > 0 {
		g.fail(id+".permissions", "moderation", "Liaison lacks "+strings.Join(lacking, "; "),
			fmt.Sprintf("give %s these permissions in Server Settings → Roles", botRole))
	} else {
		g.ok(id+".permissions", "moderation", "Liaison may kick, ban, time out and read the audit log")
	}

	// The roles Liaison may act on: everyone's but @everyone, the roles
	// integrations manage, administrators', protected ones and its own.
	protected := cfg.RoleIDs(cg.ID, cfg.Moderation.ProtectedRoles)
	team := cfg.RoleIDs(cg.ID, append([]string{"staff"}, cfg.Moderation.ModeratorRoles...))
	var over, overTeam []*discordgo.Role
	for _, r := range guild.Roles {
		if r.ID == guild.ID || r.Managed || r.Permissions&discordgo.PermissionAdministrator != 0 ||
			slices.Contains(protected, r.ID) || slices.Contains(member.Roles, r.ID) {
			continue
		}
		if top != nil && discordbot.RoleAbove(top, r) {
			continue
		}
		if slices.Contains(team, r.ID) {
			overTeam = append(overTeam, r)
		} else {
			over = append(over, r)
		}
	}
	move := "@" + member.User.Username
	if top != nil {
		move = "@" + top.Name
	}
	switch {
	case len(over) > 0:
		g.fail(id+".roles", "role order", fmt.Sprintf("%s is not above %s: Discord refuses to moderate their members", botRole, roleList(over)),
			fmt.Sprintf("move %s above %s in Server Settings → Roles", move, highest(over)))
	case len(overTeam) > 0:
		g.warn(id+".roles", "role order", fmt.Sprintf("%s is not above %s: Liaison cannot moderate your team's members", botRole, roleList(overTeam)),
			fmt.Sprintf("if moderators should be able to act on each other, move %s above %s in Server Settings → Roles", move, highest(overTeam)))
	default:
		g.ok(id+".roles", "role order", botRole+" is above every role Liaison moderates")
	}
}

// roleList names roles, highest first: "@Members, @Regulars".
func roleList(rs []*discordgo.Role) string {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b *discordgo.Role) int {
		if discordbot.RoleAbove(a, b) {
			return -1
		}
		return 1
	})
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = "@" + r.Name
	}
	return strings.Join(names, ", ")
}

// highest names the highest of roles: moving a role above it moves it above
// them all.
func highest(rs []*discordgo.Role) string {
	return strings.SplitN(roleList(rs), ", ", 2)[0]
}

// discordCommands compares the commands registered in a server with this
// version's.
func discordCommands(ctx context.Context, g *group, in *discordbot.Inspector, guild *discordgo.Guild, appID string, specs []bot.CommandSpec) {
	id, title := "discord.commands."+guild.ID, "commands"
	registered, err := in.Commands(ctx, appID, guild.ID)
	if err != nil {
		g.fail(id, title, fmt.Sprintf("could not list the slash commands of application %s in %s: %v", appID, guild.Name, err),
			"check DISCORD_APP_ID, and that Liaison was invited with the applications.commands scope")
		return
	}
	missing, changed, extra, err := discordbot.CommandDrift(specs, registered)
	if err != nil {
		g.fail(id, title, err.Error(), "this is a bug in Liaison: please report it")
		return
	}
	restart := "start liaison run with this version: it registers its commands in every configured server when it connects"
	switch {
	case len(registered) == 0 && len(specs) > 0:
		g.warn(id, title, "no slash command is registered in "+guild.Name+" yet", restart)
	case len(missing)+len(changed)+len(extra) > 0:
		var parts []string
		for _, p := range []struct {
			what  string
			names []string
		}{{"missing", missing}, {"different", changed}, {"no longer Liaison's", extra}} {
			if len(p.names) > 0 {
				parts = append(parts, p.what+": "+strings.Join(p.names, ", "))
			}
		}
		g.warn(id, title, "the slash commands registered in "+guild.Name+" are not this version's ("+strings.Join(parts, "; ")+")", restart+" (a running older version registers its own)")
	default:
		g.ok(id, title, "the slash commands registered in "+guild.Name+" match this version")
	}
}
