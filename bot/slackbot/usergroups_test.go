package slackbot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
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

// A message's permalink is read from Slack once: relays show their items'
// links each time they are refreshed, inside the transaction that changed
// the item. A failed read is not remembered.
func TestTheDirectoryReadsAPermalinkOnce(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ctx := context.Background()
	ts := tb.fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "the export is slow"})
	d := slackbot.NewDirectory(tb.adapter.Sender(), tb.clock)
	want := "https://" + slackfake.TeamDomain + ".slack.com/archives/" + product + "/p" + strings.ReplaceAll(ts, ".", "")
	for range 3 {
		if link, err := d.Permalink(ctx, product, ts); err != nil || link != want {
			t.Fatalf("Permalink = %q, %v; want %q", link, err, want)
		}
	}
	if n := len(tb.fake.CallsTo("chat.getPermalink")); n != 1 {
		t.Errorf("%d chat.getPermalink calls for one message, want 1", n)
	}
	for range 2 {
		if _, err := d.Permalink(ctx, product, "1.000001"); err == nil {
			t.Error("the permalink of a message Slack does not have was found")
		}
	}
	if n := len(tb.fake.CallsTo("chat.getPermalink")); n != 3 {
		t.Errorf("%d chat.getPermalink calls, want 3: a failed read is asked again", n)
	}
}
