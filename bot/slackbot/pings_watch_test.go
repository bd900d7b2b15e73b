package slackbot

import (
	"slices"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestNotifyMayPingAUserGroupAndNothingElse(t *testing.T) {
	got, err := PostPings(&bot.Post{ChannelID: "C1", Text: "alert <!here>", Notify: []string{"U01CAROL", "S01ONCALL"}})
	if err != nil || !slices.Equal(got, []string{"@U01CAROL", "!subteam^S01ONCALL"}) {
		t.Errorf("PostPings = %v, %v; want carol and the group only", got, err)
	}
	if _, err := PostPings(&bot.Post{ChannelID: "C1", Text: "x", Notify: []string{"here"}}); err == nil {
		t.Errorf("a Notify that is no id was accepted")
	}
}
