package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/access"
	"github.com/liaison-bot/liaison/bot/config"
)

const world = `discord:
  guild: "998877665544332211"
  roles: {moderators: ["1200000000000000002"], helpers: ["1200000000000000005"]}
people:
  - {name: bob, slack: U01BOB}
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
`

// platform stands in for Slack's user groups and Discord's members (the
// interfaces access declares); a narrow double for a unit test.
type platform struct {
	groups  map[string][]string
	members map[string][]string // Discord user id → role ids
	reads   int
}

func (p *platform) UsergroupMembers(_ context.Context, id string) ([]string, error) {
	p.reads++
	if id == "S01BROKEN" {
		return nil, errors.New("slack is down")
	}
	return p.groups[id], nil
}

func (p *platform) GuildMember(_ context.Context, _, userID string) (*bot.Member, error) {
	roles, ok := p.members[userID]
	if !ok {
		return nil, bot.Errorf(bot.ENotFound, "not a member")
	}
	return &bot.Member{User: bot.User{Platform: bot.PlatformDiscord, ID: userID, Roles: roles}}, nil
}

func checker(t *testing.T, extra string) (*access.Checker, *platform) {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte(world+extra))
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{
		groups:  map[string][]string{"S01LEADS": {"U01ERIN"}},
		members: map[string][]string{"1300000000000000004": {"1200000000000000002"}},
	}
	return &access.Checker{Config: cfg, Groups: p, Members: p}, p
}

var (
	bob     = bot.User{Platform: bot.PlatformSlack, ID: "U01BOB"}
	carol   = bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}
	daveS   = bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}
	erin    = bot.User{Platform: bot.PlatformSlack, ID: "U01ERIN"} // in @community-leads, not in people:
	mallory = bot.User{Platform: bot.PlatformSlack, ID: "U01MALLORY"}
	helperD = bot.User{Platform: bot.PlatformDiscord, ID: "1300000000000000099", Roles: []string{"1200000000000000005"}}
	aliceD  = bot.User{Platform: bot.PlatformDiscord, ID: "1300000000000000101"}
)

func TestDefaultsLetStaffHandleFeedbackAndModeratorsModerate(t *testing.T) {
	t.Parallel()
	c, _ := checker(t, "")
	ctx := context.Background()
	tests := []struct {
		who    string
		u      bot.User
		action string
		want   bool
	}{
		{"a person of people:", bob, "feedback.close", true},
		{"someone else in the workspace", mallory, "feedback.close", false},
		{"a staff member, by default an admin", carol, "route.replay", true},
		{"a stranger, not an admin", mallory, "route.replay", false},
		{"dave from Slack, moderator on Discord", daveS, "moderation.ban", true},
		{"carol, staff without a Discord account", carol, "moderation.ban", false},
		{"a Discord member without roles", aliceD, "moderation.warn", false},
		{"a staff member, for giveaways (admins)", bob, "giveaways.manage", true},
	}
	for _, tt := range tests {
		got, err := c.Allowed(ctx, tt.u, tt.action)
		if err != nil || got != tt.want {
			t.Errorf("%s: Allowed(%s) = %v, %v; want %v", tt.who, tt.action, got, err, tt.want)
		}
	}
}

func TestPermissionsGrantToGroupsRolesAndEveryone(t *testing.T) {
	t.Parallel()
	c, p := checker(t, `staff: [bob, {slack_group: S01LEADS, handle: community-leads}]
admins: [carol]
permissions:
  feedback.close: [carol, dave]
  moderation.*: [discord:helpers]
  watch.mute: everyone
`)
	ctx := context.Background()
	tests := []struct {
		who    string
		u      bot.User
		action string
		want   bool
	}{
		{"a member of a staff group", erin, "feedback.tag", true},
		{"carol is no longer staff", carol, "feedback.tag", false},
		{"but is named for closing", carol, "feedback.close", true},
		{"bob is staff but not named for closing", bob, "feedback.close", false},
		{"a helper role on Discord", helperD, "moderation.kick", true},
		{"the moderator role no longer moderates", daveS, "moderation.kick", false},
		{"everyone mutes", aliceD, "watch.mute", true},
		{"admins are carol only", bob, "route.replay", false},
		{"carol is an admin", carol, "route.replay", true},
	}
	for _, tt := range tests {
		got, err := c.Allowed(ctx, tt.u, tt.action)
		if err != nil || got != tt.want {
			t.Errorf("%s: Allowed(%s) = %v, %v; want %v", tt.who, tt.action, got, err, tt.want)
		}
	}
	if p.reads == 0 {
		t.Error("the Slack group was never read")
	}
}

func TestARefusalSaysWhoMayAndAnUnreadableGroupRefuses(t *testing.T) {
	t.Parallel()
	c, _ := checker(t, "staff: [carol, dave, {slack_group: S01LEADS, handle: community-leads}]\n")
	err := c.Check(context.Background(), mallory, "feedback.close")
	want := "Closing feedback is for staff: carol, dave, or members of @community-leads. Nothing was changed; ask one of them, or an admin to change permissions: in liaison.yaml."
	if bot.ErrorCode(err) != bot.EForbidden || bot.ErrorMessage(err) != want {
		t.Errorf("Check = %v\nwant forbidden: %s", err, want)
	}
	if err := c.Check(context.Background(), carol, "feedback.close"); err != nil {
		t.Errorf("Check(carol) = %v, want nil", err)
	}
	c, _ = checker(t, "staff: [{slack_group: S01BROKEN}]\n")
	if ok, err := c.Allowed(context.Background(), mallory, "feedback.close"); ok || err == nil {
		t.Errorf("with Slack down: Allowed = %v, %v; want false and the error", ok, err)
	}
}

func TestTheModeratorsAreTheHoldersOfModerationsModeratorRoles(t *testing.T) {
	t.Parallel()
	// moderation.moderator_roles names helpers: the moderators role of
	// discord.roles no longer moderates.
	c, _ := checker(t, "moderation:\n  moderator_roles: [helpers]\n")
	ctx := context.Background()
	for _, tt := range []struct {
		who  string
		u    bot.User
		want bool
	}{
		{"a helper on Discord", helperD, true},
		{"dave, holder of the role called moderators", daveS, false},
	} {
		if got, err := c.Allowed(ctx, tt.u, "moderation.kick"); err != nil || got != tt.want {
			t.Errorf("%s: Allowed(moderation.kick) = %v, %v; want %v", tt.who, got, err, tt.want)
		}
	}
}

// countingMembers counts the Discord member reads.
type countingMembers struct {
	platform
	memberReads int
}

func (m *countingMembers) GuildMember(ctx context.Context, guildID, userID string) (*bot.Member, error) {
	m.memberReads++
	return m.platform.GuildMember(ctx, guildID, userID)
}

func TestOnceReadsEachGroupAndMemberOnceForOneRequest(t *testing.T) {
	t.Parallel()
	c, p := checker(t, "staff: [{slack_group: S01LEADS}]\n")
	m := &countingMembers{platform: *p}
	c.Members = m
	once := c.Once()
	ctx := context.Background()
	for _, action := range []string{"moderation.warn", "moderation.kick", "moderation.ban"} {
		if ok, err := once.Allowed(ctx, daveS, action); !ok || err != nil {
			t.Errorf("Allowed(dave, %s) = %v, %v", action, ok, err)
		}
		if ok, err := once.Allowed(ctx, carol, action); ok || err != nil {
			t.Errorf("Allowed(carol, %s) = %v, %v", action, ok, err)
		}
	}
	for _, action := range []string{"feedback.close", "feedback.tag"} {
		if ok, err := once.Allowed(ctx, erin, action); !ok || err != nil {
			t.Errorf("Allowed(erin, %s) = %v, %v", action, ok, err)
		}
	}
	if m.memberReads != 1 || p.reads != 1 {
		t.Errorf("%d member reads and %d group reads, want 1 and 1", m.memberReads, p.reads)
	}
	// The checker it was made from still reads every time.
	c.Allowed(ctx, daveS, "moderation.warn")
	c.Allowed(ctx, daveS, "moderation.warn")
	if m.memberReads != 3 {
		t.Errorf("the original checker read %d members in all, want 3", m.memberReads)
	}
}
