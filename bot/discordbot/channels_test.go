package discordbot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// A raid's start reads its slowmode channels' slowmode inside the
// transaction that starts the raid: from the gateway's state, without a
// REST call, as the last CHANNEL_UPDATE left it.
func TestChannelSlowmodeComesFromTheGateway(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	const slowID = "110000000000000077"
	fake.AddChannel(guildID, discordfake.Channel{ID: slowID, Name: "slow", RateLimitPerUser: 10})
	tb := setupChannelManager(t, fake)
	ctx := context.Background()
	slowmode := func(channelID string) int {
		t.Helper()
		n, err := tb.adapter.ChannelSlowmode(ctx, channelID)
		if err != nil {
			t.Fatalf("ChannelSlowmode %s: %v", channelID, err)
		}
		return n
	}
	if n := slowmode(slowID); n != 10 {
		t.Errorf("#slow's slowmode reads %d, want 10", n)
	}
	if n := slowmode(generalID); n != 0 {
		t.Errorf("#general's slowmode reads %d, want 0", n)
	}
	if calls := tb.fake.CallsTo("GET", "/channels/"); len(calls) != 0 {
		t.Errorf("reading two slowmodes asked Discord %d times, want none: %+v", len(calls), calls)
	}

	// Liaison slows #general down: the gateway's CHANNEL_UPDATE shows it.
	payload, _ := json.Marshal(bot.ModAction{Op: bot.OpSlowmode, GuildID: guildID, ChannelID: generalID, Seconds: 30, Reason: "raid mode"})
	if _, err := tb.adapter.Sender().Send(ctx, &bot.OutboxMessage{Key: "slowmode:1", Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: payload}); err != nil {
		t.Fatalf("slowmode: %v", err)
	}
	eventually(t, "#general's new slowmode", func() bool { return slowmode(generalID) == 30 })

	// A channel the state does not hold is read from the REST API.
	if _, err := tb.adapter.ChannelSlowmode(ctx, "110000000000000099"); err == nil {
		t.Error("an unknown channel's slowmode read without an error")
	}
	if calls := tb.fake.CallsTo("GET", "/channels/"); len(calls) != 1 {
		t.Errorf("after an unknown channel, %d reads from Discord, want 1", len(calls))
	}
}

// The gateway's reader replaces a channel the state holds in place as its
// CHANNEL_UPDATEs come; readers of the state read it meanwhile (run with
// -race).
func TestChannelsAreReadWhileTheGatewayUpdatesThem(t *testing.T) {
	t.Parallel()
	tb := setupChannelManager(t, newFake(t))
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 30 {
			payload, _ := json.Marshal(bot.ModAction{Op: bot.OpSlowmode, GuildID: guildID, ChannelID: generalID, Seconds: i + 1, Reason: "test"})
			if _, err := tb.adapter.Sender().Send(ctx, &bot.OutboxMessage{Key: fmt.Sprintf("slowmode:%d", i), Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: payload}); err != nil {
				t.Errorf("slowmode %d: %v", i, err)
				return
			}
		}
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		if _, err := tb.adapter.ChannelSlowmode(ctx, generalID); err != nil {
			t.Fatalf("ChannelSlowmode: %v", err)
		}
	}
	eventually(t, "the last slowmode", func() bool { n, _ := tb.adapter.ChannelSlowmode(ctx, generalID); return n == 30 })
}

// setupChannelManager connects Liaison, which may manage channels, to
// fake, and waits for the server to be in the gateway's state.
func setupChannelManager(t *testing.T, fake *discordfake.Server) *testBundle {
	t.Helper()
	fake.AddRole(guildID, discordfake.Role{ID: "1200000000000000088", Name: "Liaison", Position: 9, Permissions: 1 << 4})
	fake.AddMember(guildID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true, Roles: []string{"1200000000000000088"}})
	tb := setupOn(t, fake, nil)
	eventually(t, "the server in the gateway's state", func() bool { return len(tb.adapter.RoleNames(guildID)) > 0 })
	return tb
}
