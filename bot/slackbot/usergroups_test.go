package slackbot_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
)

func TestTheDirectoryRemembersAGroupBrieflyAndShowsEphemerals(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ctx := context.Background()
	tb.fake.AddUsergroup("S01LEADS", "leads", carol)
	d := slackbot.NewDirectory(tb.adapter.Sender(), tb.clock)
	for range 3 {
		if ids, err := d.UsergroupMembers(ctx, "S01LEADS"); err != nil || len(ids) != 1 || ids[0] != carol {
			t.Fatalf("UsergroupMembers = %v, %v", ids, err)
		}
	}
	if n := len(tb.fake.CallsTo("usergroups.users.list")); n != 1 {
		t.Errorf("%d reads within the TTL, want 1", n)
	}
	tb.fake.AddUsergroup("S01LEADS", "leads", carol, "U01DAVE")
	tb.clock.Advance(slackbot.DefaultGroupTTL + time.Second)
	if ids, _ := d.UsergroupMembers(ctx, "S01LEADS"); len(ids) != 2 {
		t.Errorf("after the TTL: %v, want the group's new members", ids)
	}
	if _, err := d.UsergroupMembers(ctx, "S0NONE"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("an unknown group = %v, want not_found", err)
	}
	if err := d.PostEphemeral(ctx, product, carol, &bot.Reply{Text: "only you"}); err != nil {
		t.Fatal(err)
	}
	if e := tb.fake.Ephemerals(product); len(e) != 1 || e[0].User != carol {
		t.Errorf("ephemerals = %+v", e)
	}
}
