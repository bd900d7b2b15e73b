package slackbot_test

import (
	"slices"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
)

func TestPingsAreTheMentionsSlackParsesInTheRendering(t *testing.T) {
	t.Parallel()
	// User text carrying Slack's mention syntax, everywhere a post has
	// text: the renderer escapes it, so only Notify pings.
	sneaky := "<!channel> <!here> <!everyone> <!subteam^S01TEAM|@team> <@U01BOB>"
	post := &bot.Post{
		ChannelID: "C01PRODUCT", Notify: []string{"U01CAROL", "U01DAVE"},
		Title: sneaky, Text: sneaky, Quote: sneaky, Context: sneaky,
		Fields:   []bot.Field{{Name: sneaky, Value: sneaky}},
		Sections: []bot.Section{{Title: sneaky, Lines: []bot.Line{{Text: sneaky}, {Text: sneaky, URL: "https://example.com"}}}},
		Link:     &bot.Link{URL: "https://example.com", Label: sneaky},
		Buttons:  []bot.Button{{ActionID: "a", Label: sneaky}},
	}
	got, err := slackbot.PostPings(post)
	if err != nil || !slices.Equal(got, []string{"@U01CAROL", "@U01DAVE"}) {
		t.Errorf("PostPings = %v, %v; want carol and dave only", got, err)
	}
	if got, err := slackbot.PostPings(&bot.Post{ChannelID: "C01PRODUCT", Text: sneaky}); err != nil || len(got) != 0 {
		t.Errorf("PostPings of user text = %v, %v; want nobody", got, err)
	}
	if _, err := slackbot.PostPings(&bot.Post{ChannelID: "C01PRODUCT", Notify: []string{"1300000000000000101"}, Text: "hi"}); err == nil {
		t.Errorf("PostPings with a Discord id in Notify succeeded; the sender refuses it")
	}
	if got := slackbot.ReplyPings(&bot.Reply{Text: sneaky, Public: true, Buttons: []bot.Button{{ActionID: "a", Label: sneaky}}}); len(got) != 0 {
		t.Errorf("ReplyPings = %v, want nobody", got)
	}
	if got := slackbot.UploadPings(&bot.Upload{Comment: sneaky, Filename: "a.png"}); len(got) != 0 {
		t.Errorf("UploadPings = %v, want nobody", got)
	}
}
