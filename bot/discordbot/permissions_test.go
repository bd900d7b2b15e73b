package discordbot_test

import (
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
)

const (
	permGuild   = "900"
	permBot     = "100"
	permMembers = "901"
	permBotRole = "902"
	permMods    = "903"
)

const (
	view    = discordgo.PermissionViewChannel
	send    = discordgo.PermissionSendMessages
	attach  = discordgo.PermissionAttachFiles
	history = discordgo.PermissionReadMessageHistory
	manage  = discordgo.PermissionManageMessages
)

func permGuildWith(everyone, botRole int64) *discordgo.Guild {
	return &discordgo.Guild{ID: permGuild, OwnerID: "1", Roles: []*discordgo.Role{
		{ID: permGuild, Name: "@everyone", Permissions: everyone},
		{ID: permMembers, Name: "Members", Position: 1, Permissions: send},
		{ID: permBotRole, Name: "Liaison", Position: 2, Permissions: botRole},
		{ID: permMods, Name: "Moderators", Position: 3},
	}}
}

func botMember(roles ...string) *discordgo.Member {
	return &discordgo.Member{User: &discordgo.User{ID: permBot}, Roles: roles}
}

func role(id string, allow, deny int64) *discordgo.PermissionOverwrite {
	return &discordgo.PermissionOverwrite{ID: id, Type: discordgo.PermissionOverwriteTypeRole, Allow: allow, Deny: deny}
}

func TestChannelPermissionsFollowDiscordsAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		everyone   int64
		botRole    int64
		roles      []string
		overwrites []*discordgo.PermissionOverwrite
		want       int64
		deniedBy   map[int64]string
	}{
		{name: "@everyone's permissions are the base", everyone: view | send, roles: nil, want: view | send},
		{name: "the member's roles add theirs", everyone: view, botRole: manage, roles: []string{permBotRole}, want: view | manage},
		{name: "Administrator has every permission despite overwrites", everyone: view, botRole: discordgo.PermissionAdministrator, roles: []string{permBotRole},
			overwrites: []*discordgo.PermissionOverwrite{role(permGuild, 0, view|send)}, want: 1<<63 - 1},
		{name: "an @everyone overwrite denies what the roles grant", everyone: view | send | history, roles: []string{permBotRole},
			overwrites: []*discordgo.PermissionOverwrite{role(permGuild, 0, send)}, want: view | history,
			deniedBy: map[int64]string{send: "the overwrite for @everyone"}},
		{name: "a role's overwrite allows back what @everyone's denies", everyone: view | send, roles: []string{permBotRole},
			overwrites: []*discordgo.PermissionOverwrite{role(permGuild, 0, send), role(permBotRole, send, 0)}, want: view | send,
			deniedBy: map[int64]string{send: ""}},
		{name: "the roles' overwrites combine, allow beating deny", everyone: view | send, roles: []string{permBotRole, permMods},
			overwrites: []*discordgo.PermissionOverwrite{role(permMods, 0, send), role(permBotRole, send, 0)}, want: view | send},
		{name: "a role's overwrite denies", everyone: view | send, roles: []string{permBotRole},
			overwrites: []*discordgo.PermissionOverwrite{role(permBotRole, 0, send)}, want: view,
			deniedBy: map[int64]string{send: "the overwrite for @Liaison"}},
		{name: "the member's own overwrite comes last", everyone: view | send, roles: []string{permBotRole},
			overwrites: []*discordgo.PermissionOverwrite{role(permBotRole, send, 0), {ID: permBot, Type: discordgo.PermissionOverwriteTypeMember, Deny: send}}, want: view,
			deniedBy: map[int64]string{send: "the overwrite for the bot itself"}},
		{name: "another member's overwrite does not apply", everyone: view | send,
			overwrites: []*discordgo.PermissionOverwrite{{ID: "555", Type: discordgo.PermissionOverwriteTypeMember, Deny: send}}, want: view | send},
		{name: "without View Channel nothing applies", everyone: view | send | history,
			overwrites: []*discordgo.PermissionOverwrite{role(permGuild, 0, view)}, want: 0,
			deniedBy: map[int64]string{view: "the overwrite for @everyone"}},
		{name: "without Send Messages files cannot be attached", everyone: view | attach, want: view},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := permGuildWith(tt.everyone, tt.botRole)
			m := botMember(tt.roles...)
			ch := &discordgo.Channel{ID: "700", GuildID: permGuild, PermissionOverwrites: tt.overwrites}
			if got := discordbot.ChannelPermissions(g, m, ch); got != tt.want {
				t.Errorf("ChannelPermissions = %b, want %b", got, tt.want)
			}
			for bit, want := range tt.deniedBy {
				if got := discordbot.DeniedBy(g, m, ch, bit); got != want {
					t.Errorf("DeniedBy(%b) = %q, want %q", bit, got, want)
				}
			}
		})
	}
}

func TestTheOwnerHasEveryPermission(t *testing.T) {
	t.Parallel()
	g := permGuildWith(0, 0)
	g.OwnerID = permBot
	ch := &discordgo.Channel{PermissionOverwrites: []*discordgo.PermissionOverwrite{role(permGuild, 0, view)}}
	if p := discordbot.ChannelPermissions(g, botMember(), ch); p&(view|discordgo.PermissionModerateMembers) != view|discordgo.PermissionModerateMembers {
		t.Errorf("the owner's permissions = %b, want everything", p)
	}
}

func TestTopRoleBreaksTiesByTheOlderID(t *testing.T) {
	t.Parallel()
	g := permGuildWith(0, 0)
	if r := discordbot.TopRole(g, botMember(permMembers, permBotRole)); r == nil || r.ID != permBotRole {
		t.Errorf("TopRole = %v, want Liaison (position 2)", r)
	}
	if r := discordbot.TopRole(g, botMember()); r != nil {
		t.Errorf("TopRole without roles = %v, want nil", r)
	}
	older, newer := &discordgo.Role{ID: "99", Position: 4}, &discordgo.Role{ID: "100", Position: 4}
	if !discordbot.RoleAbove(older, newer) || discordbot.RoleAbove(newer, older) {
		t.Error("at the same position, the role with the smaller id is above")
	}
}

func TestPrivilegedIntentsCountTheLimitedFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		flags            int
		members, content bool
	}{
		{0, false, false},
		{1 << 14, true, false},
		{1 << 15, true, false},
		{1 << 18, false, true},
		{1<<19 | 1<<15, true, true},
		{1<<12 | 1<<13, false, false}, // presence is not one Liaison needs
	} {
		if m, c := discordbot.PrivilegedIntents(tt.flags); m != tt.members || c != tt.content {
			t.Errorf("PrivilegedIntents(%b) = %v, %v; want %v, %v", tt.flags, m, c, tt.members, tt.content)
		}
	}
}

func TestCommandDriftNamesMissingChangedAndExtraCommands(t *testing.T) {
	t.Parallel()
	specs := []bot.CommandSpec{
		{Name: "warn", Description: "Warn a member", Options: []bot.OptionSpec{{Name: "user", Type: "user", Description: "who", Required: true}}},
		{Name: "rules", Description: "Show the rules"},
		{Name: "Send to product", MessageMenu: true},
	}
	registered := []*discordgo.ApplicationCommand{
		{Name: "warn", Type: discordgo.ChatApplicationCommand, Description: "Warn a member", Options: []*discordgo.ApplicationCommandOption{
			{Name: "user", Type: discordgo.ApplicationCommandOptionUser, Description: "who", Required: false}}},
		{Name: "Send to product", Type: discordgo.MessageApplicationCommand},
		{Name: "giveaway", Type: discordgo.ChatApplicationCommand, Description: "old"},
	}
	missing, changed, extra, err := discordbot.CommandDrift(specs, registered)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0] != "/rules" || len(changed) != 1 || changed[0] != "/warn" || len(extra) != 1 || extra[0] != "/giveaway" {
		t.Errorf("CommandDrift = missing %v, changed %v, extra %v; want [/rules] [/warn] [/giveaway]", missing, changed, extra)
	}
	registered[0].Options[0].Required = true
	registered = append(registered[:2], &discordgo.ApplicationCommand{Name: "rules", Type: discordgo.ChatApplicationCommand, Description: "Show the rules"})
	if missing, changed, extra, _ := discordbot.CommandDrift(specs, registered); len(missing)+len(changed)+len(extra) != 0 {
		t.Errorf("the same commands drift: %v %v %v", missing, changed, extra)
	}
}
