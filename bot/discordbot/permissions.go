package discordbot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// allPermissions is every permission bit, present and future: what the
// owner and Administrator have. (discordgo.PermissionAll predates Moderate
// Members, Manage Threads and others.)
const allPermissions int64 = 1<<63 - 1

// GuildPermissions computes a member's permissions in a server, as Discord
// documents it: the @everyone role's permissions, OR every role of the
// member's; every permission for the owner or with Administrator.
func GuildPermissions(g *discordgo.Guild, m *discordgo.Member) int64 {
	if m.User != nil && m.User.ID == g.OwnerID {
		return allPermissions
	}
	var p int64
	for _, r := range g.Roles {
		if r.ID == g.ID || slices.Contains(m.Roles, r.ID) {
			p |= r.Permissions
		}
	}
	if p&discordgo.PermissionAdministrator != 0 {
		return allPermissions
	}
	return p
}

// ChannelPermissions computes a member's permissions in a channel, as
// Discord documents it: the server permissions (GuildPermissions), then the
// channel's overwrites in three steps, each removing its denied bits and
// adding its allowed ones: @everyone's overwrite; the overwrites of the
// member's roles, combined; the member's own. Administrator (and the owner)
// skip the overwrites. Last come the implicit rules: without View Channel
// nothing else applies, and without Send Messages neither do Attach Files,
// Embed Links, Mention Everyone nor Send TTS Messages.
func ChannelPermissions(g *discordgo.Guild, m *discordgo.Member, ch *discordgo.Channel) int64 {
	p := GuildPermissions(g, m)
	if p == allPermissions {
		return p
	}
	apply := func(allow, deny int64) { p = p&^deny | allow }
	var roleAllow, roleDeny, memberAllow, memberDeny int64
	for _, o := range ch.PermissionOverwrites {
		switch {
		case o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == g.ID:
			apply(o.Allow, o.Deny)
		case o.Type == discordgo.PermissionOverwriteTypeRole && slices.Contains(m.Roles, o.ID):
			roleAllow, roleDeny = roleAllow|o.Allow, roleDeny|o.Deny
		case o.Type == discordgo.PermissionOverwriteTypeMember && m.User != nil && o.ID == m.User.ID:
			memberAllow, memberDeny = o.Allow, o.Deny
		}
	}
	apply(roleAllow, roleDeny)
	apply(memberAllow, memberDeny)
	if p&discordgo.PermissionViewChannel == 0 {
		return 0
	}
	if p&discordgo.PermissionSendMessages == 0 {
		p &^= discordgo.PermissionAttachFiles | discordgo.PermissionEmbedLinks | discordgo.PermissionMentionEveryone | discordgo.PermissionSendTTSMessages
	}
	return p
}

// DeniedBy names the overwrite that takes a permission bit away from a
// member in a channel although a role grants it in the server: "the
// overwrite for @everyone", "the overwrite for @Members" (one of the
// member's roles) or "the overwrite for the bot itself" (the member's own);
// "" when the server permissions lack the bit or no overwrite removes it.
// It follows the steps of ChannelPermissions, where an allow beats a deny
// of the same step and a later step overrides an earlier one.
func DeniedBy(g *discordgo.Guild, m *discordgo.Member, ch *discordgo.Channel, bit int64) string {
	if gp := GuildPermissions(g, m); gp&bit == 0 || gp == allPermissions {
		return ""
	}
	by := ""
	step := func(allow, deny int64, who string) {
		switch {
		case allow&bit != 0:
			by = ""
		case deny&bit != 0:
			by = who
		}
	}
	var roleAllow, roleDeny int64
	roleWho := ""
	for _, o := range ch.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == g.ID {
			step(o.Allow, o.Deny, "the overwrite for @everyone")
		}
	}
	for _, o := range ch.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeRole && o.ID != g.ID && slices.Contains(m.Roles, o.ID) {
			roleAllow, roleDeny = roleAllow|o.Allow, roleDeny|o.Deny
			if o.Deny&bit != 0 && roleWho == "" {
				roleWho = "the overwrite for @" + roleName(g, o.ID)
			}
		}
	}
	step(roleAllow, roleDeny, roleWho)
	for _, o := range ch.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeMember && m.User != nil && o.ID == m.User.ID {
			step(o.Allow, o.Deny, "the overwrite for the bot itself")
		}
	}
	return by
}

// roleName is a role's name, or its id when the server has no such role.
func roleName(g *discordgo.Guild, id string) string {
	for _, r := range g.Roles {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

// TopRole returns the member's highest role (by position, then by lower id
// as Discord breaks ties), or nil when they have none but @everyone.
func TopRole(g *discordgo.Guild, m *discordgo.Member) *discordgo.Role {
	var top *discordgo.Role
	for _, r := range g.Roles {
		if slices.Contains(m.Roles, r.ID) && (top == nil || RoleAbove(r, top)) {
			top = r
		}
	}
	return top
}

// RoleAbove reports whether role a sits above role b in the server's role
// list: a higher position, or the same position and an older (smaller) id.
func RoleAbove(a, b *discordgo.Role) bool {
	if a.Position != b.Position {
		return a.Position > b.Position
	}
	return snowflakeCompare(a.ID, b.ID) < 0
}

func snowflakeCompare(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// Application flags that enable the privileged gateway intents Liaison
// identifies with (see Intents). An unverified application has the
// _LIMITED flag once the toggle is on in the developer portal; a verified
// one the plain flag once Discord approved it. Either enables the intent.
const (
	appFlagGuildMembers          = 1 << 14
	appFlagGuildMembersLimited   = 1 << 15
	appFlagMessageContent        = 1 << 18
	appFlagMessageContentLimited = 1 << 19
)

// PrivilegedIntents reports which privileged intents an application's
// flags enable.
func PrivilegedIntents(flags int) (serverMembers, messageContent bool) {
	return flags&(appFlagGuildMembers|appFlagGuildMembersLimited) != 0,
		flags&(appFlagMessageContent|appFlagMessageContentLimited) != 0
}

// ApplicationCommands returns the application commands the adapter
// registers for specs, in order.
func ApplicationCommands(specs []bot.CommandSpec) ([]*discordgo.ApplicationCommand, error) {
	return applicationCommands(specs)
}

// CommandDrift compares the commands registered in a server with those
// Liaison registers from specs (the same conversion as at start): the
// names of commands missing there, registered differently (description,
// options, their order, or default permissions), or registered but no
// longer Liaison's. All empty means the server runs this version's
// commands.
func CommandDrift(specs []bot.CommandSpec, registered []*discordgo.ApplicationCommand) (missing, changed, extra []string, err error) {
	want, err := applicationCommands(specs)
	if err != nil {
		return nil, nil, nil, err
	}
	key := func(c *discordgo.ApplicationCommand) string {
		return fmt.Sprintf("%d/%s", cmp.Or(c.Type, discordgo.ChatApplicationCommand), c.Name)
	}
	have := map[string]*discordgo.ApplicationCommand{}
	for _, c := range registered {
		have[key(c)] = c
	}
	for _, w := range want {
		h, ok := have[key(w)]
		delete(have, key(w))
		switch {
		case !ok:
			missing = append(missing, commandLabel(w))
		case !sameCommand(w, h):
			changed = append(changed, commandLabel(w))
		}
	}
	for _, h := range have {
		extra = append(extra, commandLabel(h))
	}
	slices.Sort(extra)
	return missing, changed, extra, nil
}

// commandLabel is how people see a command: /warn, or "Send to product" for
// a message menu.
func commandLabel(c *discordgo.ApplicationCommand) string {
	if c.Type == discordgo.MessageApplicationCommand {
		return fmt.Sprintf("%q", c.Name)
	}
	return "/" + c.Name
}

func sameCommand(a, b *discordgo.ApplicationCommand) bool {
	perm := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	if a.Description != b.Description || perm(a.DefaultMemberPermissions) != perm(b.DefaultMemberPermissions) || len(a.Options) != len(b.Options) {
		return false
	}
	for i, o := range a.Options {
		p := b.Options[i]
		if o.Type != p.Type || o.Name != p.Name || o.Description != p.Description || o.Required != p.Required {
			return false
		}
	}
	return true
}
