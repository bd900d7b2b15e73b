package discordfake_test

import (
	"encoding/json"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// currentApplication asks GET /applications/@me through discordgo's
// request helper, as liaison doctor does (discordgo v0.29 has no method for
// it).
func currentApplication(t *testing.T, s *discordgo.Session) *discordgo.Application {
	t.Helper()
	body, err := s.RequestWithBucketID("GET", discordgo.EndpointApplication("@me"), nil, discordgo.EndpointApplication("@me"))
	if err != nil {
		t.Fatalf("GET /applications/@me: %v", err)
	}
	var app discordgo.Application
	if err := json.Unmarshal(body, &app); err != nil {
		t.Fatalf("decode the application: %v", err)
	}
	return &app
}

func TestCurrentApplicationHasTheBotAndTheIntentFlags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)

	app := currentApplication(t, s)
	if app.ID != botID || app.Flags != discordfake.DefaultApplicationFlags {
		t.Errorf("application = id %s flags %b, want id %s (the bot's) and the default flags %b", app.ID, app.Flags, botID, discordfake.DefaultApplicationFlags)
	}
	b.fake.SetApplicationID("555000000000000001")
	b.fake.SetApplicationFlags(discordfake.FlagGatewayMessageContent)
	app = currentApplication(t, s)
	if app.ID != "555000000000000001" || app.Flags != discordfake.FlagGatewayMessageContent {
		t.Errorf("after SetApplicationID and SetApplicationFlags: id %s flags %b", app.ID, app.Flags)
	}
	// The route does not shadow the application's commands.
	if _, err := s.ApplicationCommands("555000000000000001", guildID); err != nil {
		t.Errorf("ApplicationCommands next to /applications/@me: %v", err)
	}
}

func TestChannelsCarryTheirPermissionOverwrites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	b.fake.AddChannel(guildID, discordfake.Channel{ID: generalID, Name: "general", PermissionOverwrites: []discordfake.Overwrite{
		{ID: guildID, Deny: discordgo.PermissionSendMessages},
		{ID: botID, Member: true, Allow: discordgo.PermissionSendMessages | discordgo.PermissionAttachFiles},
	}})

	ch, err := s.Channel(generalID)
	if err != nil {
		t.Fatal(err)
	}
	want := []discordgo.PermissionOverwrite{
		{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionSendMessages},
		{ID: botID, Type: discordgo.PermissionOverwriteTypeMember, Allow: discordgo.PermissionSendMessages | discordgo.PermissionAttachFiles},
	}
	if len(ch.PermissionOverwrites) != len(want) {
		t.Fatalf("overwrites = %+v, want %+v", ch.PermissionOverwrites, want)
	}
	for i, o := range ch.PermissionOverwrites {
		if *o != want[i] {
			t.Errorf("overwrite %d = %+v, want %+v", i, *o, want[i])
		}
	}
	chans, err := s.GuildChannels(guildID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chans {
		if c.ID == feedbackID && len(c.PermissionOverwrites) != 0 {
			t.Errorf("#feedback has overwrites %+v, want none", c.PermissionOverwrites)
		}
	}
}
