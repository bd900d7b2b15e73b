package discordbot_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// The adapter keeps each server's owner, roles and channels from the
// gateway (no request to read them), follows their changes, and forgets a
// server Liaison was removed from; its members are read when needed.
func TestTheServersRolesAndChannelsFollowTheGateway(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	recv(t, b.rec.counts, "the server's GUILD_CREATE")
	guildReads := func() int {
		return len(b.fake.CallsTo("GET", "/guilds/"+guildID)) - len(b.fake.CallsTo("GET", "/guilds/"+guildID+"/"))
	}

	g, err := b.adapter.GuildInfo(ctx, guildID)
	if err != nil || g.OwnerID != ownerID || g.SelfID != botID || !hasRole(g.Roles, modRoleID, "moderators") {
		t.Fatalf("GuildInfo = %+v, %v; want the owner, Liaison and the moderators role", g, err)
	}
	if n := guildReads(); n != 0 {
		t.Errorf("GuildInfo read the server from the REST API %d times, want 0: the gateway announced it", n)
	}

	// A role created, renamed and deleted.
	const helpersID = "120000000000000077"
	b.fake.Dispatch("GUILD_ROLE_CREATE", map[string]any{"guild_id": guildID, "role": map[string]any{"id": helpersID, "name": "helpers", "position": 2, "permissions": "0"}})
	waitRoles(t, b, func(names map[string]string) bool {
		return names[helpersID] == "helpers" && names[modRoleID] == "moderators"
	})
	b.fake.Dispatch("GUILD_ROLE_UPDATE", map[string]any{"guild_id": guildID, "role": map[string]any{"id": helpersID, "name": "community helpers", "position": 2, "permissions": "0"}})
	waitRoles(t, b, func(names map[string]string) bool { return names[helpersID] == "community helpers" })
	b.fake.Dispatch("GUILD_ROLE_DELETE", map[string]any{"guild_id": guildID, "role_id": helpersID})
	waitRoles(t, b, func(names map[string]string) bool {
		_, ok := names[helpersID]
		return !ok && names[modRoleID] == "moderators"
	})

	// A channel renamed: the messages after it carry the new name.
	b.fake.Dispatch("CHANNEL_UPDATE", map[string]any{"id": feedbackID, "guild_id": guildID, "type": 0, "name": "ideas-and-bugs"})
	b.fake.MessageCreate(feedbackID, aliceID, "the export crashes")
	if m := recvAs[*bot.Message](t, b.rec.events, "the message after the rename"); m.ChannelName != "ideas-and-bugs" {
		t.Errorf("message in the renamed channel names %q, want ideas-and-bugs", m.ChannelName)
	}
	// A channel created after the start is known by name too.
	const newsID = "110000000000000077"
	b.fake.AddChannel(guildID, discordfake.Channel{ID: newsID, Name: "news"}) // the fake's REST side; no event
	b.fake.Dispatch("CHANNEL_CREATE", map[string]any{"id": newsID, "guild_id": guildID, "type": 0, "name": "news"})
	b.fake.MessageCreate(newsID, aliceID, "hello news")
	if m := recvAs[*bot.Message](t, b.rec.events, "the message in the new channel"); m.ChannelName != "news" || m.ScopeID != guildID {
		t.Errorf("message in the new channel = %q in %q, want news in %s", m.ChannelName, m.ScopeID, guildID)
	}

	// Removed from the server: what Liaison knew of it is gone, and
	// GuildInfo asks Discord.
	b.fake.Dispatch("GUILD_DELETE", map[string]any{"id": guildID})
	deadline := time.Now().Add(10 * time.Second)
	for len(b.adapter.RoleNames(guildID)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the server's roles are still known after GUILD_DELETE: %v", b.adapter.RoleNames(guildID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if g, err := b.adapter.GuildInfo(ctx, guildID); err != nil || g.OwnerID != ownerID || guildReads() != 1 {
		t.Errorf("GuildInfo after GUILD_DELETE = %+v, %v with %d reads of the server; want it read from the REST API once", g, err, guildReads())
	}
}

func hasRole(roles []bot.Role, id, name string) bool {
	for _, r := range roles {
		if r.ID == id && r.Name == name {
			return true
		}
	}
	return false
}

// waitRoles waits until the adapter's role names satisfy ok.
func waitRoles(t *testing.T, b *testBundle, ok func(map[string]string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(b.adapter.RoleNames(guildID)) {
		if time.Now().After(deadline) {
			t.Fatalf("role names = %v", b.adapter.RoleNames(guildID))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A server Liaison is in but not configured for costs it no memory: its
// roles and channels are not kept, and a reader asks the REST API.
func TestAServerNotConfiguredIsNotKept(t *testing.T) {
	t.Parallel()
	const otherID, otherRole, otherChannel = "900000000000000777", "120000000000000777", "110000000000000777"
	fake := newFake(t)
	fake.AddGuild(otherID, "Another Community", ownerID)
	fake.AddRole(otherID, discordfake.Role{ID: otherRole, Name: "elsewhere", Position: 1})
	fake.AddChannel(otherID, discordfake.Channel{ID: otherChannel, Name: "lobby"})
	fake.AddMember(otherID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true})
	b := setupOn(t, fake, nil)
	// Events come in order: once this message is delivered, both servers'
	// GUILD_CREATE have been through.
	b.fake.MessageCreate(feedbackID, aliceID, "the export crashes")
	recvAs[*bot.Message](t, b.rec.events, "a message after both GUILD_CREATEs")

	if names := b.adapter.RoleNames(guildID); names[modRoleID] != "moderators" {
		t.Errorf("RoleNames(configured) = %v, want the moderators role", names)
	}
	if names := b.adapter.RoleNames(otherID); len(names) != 0 {
		t.Errorf("RoleNames(not configured) = %v, want nothing kept", names)
	}
	g, err := b.adapter.GuildInfo(context.Background(), otherID)
	if err != nil || !hasRole(g.Roles, otherRole, "elsewhere") {
		t.Fatalf("GuildInfo(not configured) = %+v, %v; want its roles from the REST API", g, err)
	}
	if n := len(b.fake.CallsTo("GET", "/guilds/"+otherID)) - len(b.fake.CallsTo("GET", "/guilds/"+otherID+"/")); n != 1 {
		t.Errorf("GuildInfo(not configured) read the server %d times, want once", n)
	}
}
