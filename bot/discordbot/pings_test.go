package discordbot_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
)

func TestPingsFollowDiscordsRulesForAllowedMentions(t *testing.T) {
	t.Parallel()
	const content = "<@300000000000000002> <@!300000000000000003> <@&120000000000000001> @everyone @here <@300000000000000002>"
	tests := []struct {
		name string
		out  discordbot.Outgoing
		want discordbot.Pings
	}{
		{"without allowed_mentions Discord parses everything", discordbot.Outgoing{Content: content},
			discordbot.Pings{Users: []string{"300000000000000002", "300000000000000003"}, Roles: []string{"120000000000000001"}, Everyone: true, Here: true, RepliedUser: true}},
		{"parse: [] lets only the listed users through", discordbot.Outgoing{Content: content, AllowedMentions: &discordbot.AllowedMentions{Parse: []string{}, Users: []string{"300000000000000003"}}},
			discordbot.Pings{Users: []string{"300000000000000003"}}},
		{"parse names the kinds it lets through", discordbot.Outgoing{Content: content, AllowedMentions: &discordbot.AllowedMentions{Parse: []string{"roles", "everyone"}, RepliedUser: true}},
			discordbot.Pings{Roles: []string{"120000000000000001"}, Everyone: true, Here: true, RepliedUser: true}},
		{"a post pings its Notify and no one its text names", discordbot.PostOutgoing(&bot.Post{Notify: []string{"300000000000000002", "U01BOB"}, Text: "@everyone <@300000000000000003>"}),
			discordbot.Pings{Users: []string{"300000000000000002"}}},
		{"a text pings nobody", discordbot.TextOutgoing("<@300000000000000002> @here"), discordbot.Pings{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.out.Pings()); diff != "" {
			t.Errorf("%s: Pings (-want +got):\n%s", tt.name, diff)
		}
	}
}
