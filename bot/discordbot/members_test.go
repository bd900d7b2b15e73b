package discordbot_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// A member read lately is not asked of the REST API again (an automod hit
// reads its author and Liaison's own member), and what Liaison then reads
// stays true: Liaison's own timeout is read afresh at once, a
// GUILD_MEMBER_UPDATE replaces what is kept, a member who left is no
// longer found, and a new session forgets what it kept.
func TestAMemberReadLatelyIsKeptAndStaysTrue(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	// Liaison's role may time members out, above theirs.
	fake.AddRole(guildID, discordfake.Role{ID: "1200000000000000088", Name: "Liaison", Position: 9, Permissions: 1 << 40})
	fake.AddMember(guildID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true, Roles: []string{"1200000000000000088"}})
	tb := setupOn(t, fake, nil)
	ctx := context.Background()
	reads := func(userID string) int {
		return len(tb.fake.CallsTo("GET", "/guilds/"+guildID+"/members/"+userID))
	}
	read := func(userID string) *bot.Member {
		t.Helper()
		m, err := tb.adapter.GuildMember(ctx, guildID, userID)
		if err != nil {
			t.Fatalf("GuildMember %s: %v", userID, err)
		}
		return m
	}

	for range 3 {
		if m := read(malloryID); m.User.Name != "mallory" || len(m.User.Roles) != 0 {
			t.Fatalf("mallory read as %+v", m.User)
		}
	}
	if n := reads(malloryID); n != 1 {
		t.Fatalf("three reads of mallory asked Discord %d times, want once", n)
	}

	// Liaison times her out: the next read asks Discord, and shows it.
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	payload, _ := json.Marshal(bot.ModAction{Op: bot.OpTimeout, GuildID: guildID, UserID: malloryID, UserName: "mallory", Until: &until, Reason: "test"})
	if _, err := tb.adapter.Sender().Send(ctx, &bot.OutboxMessage{Key: "timeout:1", Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: payload}); err != nil {
		t.Fatalf("timeout: %v", err)
	}
	if m := read(malloryID); !m.TimeoutUntil.Equal(until) {
		t.Errorf("right after Liaison's timeout, mallory reads as timed out until %v, want %v", m.TimeoutUntil, until)
	}
	if n := reads(malloryID); n != 2 {
		t.Errorf("after Liaison's timeout mallory was read from Discord %d times in all, want 2", n)
	}

	// Someone makes her a moderator by hand: the gateway tells.
	tb.fake.GuildMemberUpdate(guildID, malloryID, "mal", []string{modRoleID})
	eventually(t, "mallory's new role", func() bool { return slices.Contains(read(malloryID).User.Roles, modRoleID) })
	if m := read(malloryID); m.User.Display != "mal" {
		t.Errorf("mallory's nickname reads %q, want mal", m.User.Display)
	}
	if n := reads(malloryID); n != 2 {
		t.Errorf("the update was read from Discord (%d reads), want from the gateway's event", n)
	}

	// She leaves: she is no longer found.
	tb.fake.GuildMemberRemove(guildID, malloryID)
	eventually(t, "mallory no longer found after she left", func() bool {
		_, err := tb.adapter.GuildMember(ctx, guildID, malloryID)
		return bot.ErrorCode(err) == bot.ENotFound
	})

	// A new session may have missed events: what was kept is read again.
	read(aliceID)
	before := reads(aliceID)
	tb.fake.InvalidateSessions()
	tb.fake.DropConnections()
	if err := tb.fake.WaitIdentify(waitCtx(t), 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice read from Discord again after a new session", func() bool { read(aliceID); return reads(aliceID) > before })
}

// A Discord user read by id (the moderation log's names for audit-log
// actions and AutoMod alerts) is read from the REST API once while fresh;
// one Discord does not know is asked for again.
func TestAUserReadLatelyIsKept(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ctx := context.Background()
	reads := func() int { return len(tb.fake.CallsTo("GET", "/users/"+malloryID)) }
	for range 3 {
		if u, err := tb.adapter.DiscordUser(ctx, malloryID); err != nil || u.Name != "mallory" {
			t.Fatalf("DiscordUser = %+v, %v", u, err)
		}
	}
	if n := reads(); n != 1 {
		t.Fatalf("three reads of mallory asked Discord %d times, want once", n)
	}
	for range 2 {
		if _, err := tb.adapter.DiscordUser(ctx, "1300000000000009999"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("an unknown user = %v, want not found", err)
		}
	}
	if n := len(tb.fake.CallsTo("GET", "/users/1300000000000009999")); n != 2 {
		t.Errorf("an unknown user was asked %d times, want each time (not kept)", n)
	}
}
