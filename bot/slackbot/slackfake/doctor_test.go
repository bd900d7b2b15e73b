package slackfake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

func TestEveryAnswerListsTheGrantedScopesInXOAuthScopes(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	scopes := func() string {
		t.Helper()
		auth, err := api.AuthTest()
		if err != nil {
			t.Fatal(err)
		}
		return auth.Header.Get("X-OAuth-Scopes")
	}
	if got, want := scopes(), strings.Join(slackfake.DefaultScopes, ","); got != want {
		t.Errorf("X-OAuth-Scopes = %q, want the default %q", got, want)
	}
	fake.SetScopes("chat:write", "commands")
	if got := scopes(); got != "chat:write,commands" {
		t.Errorf("X-OAuth-Scopes after SetScopes = %q, want chat:write,commands", got)
	}
}

func TestAMethodWhoseScopeWasNotGrantedAnswersMissingScope(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	fake.SetScopes("chat:write", "users:read")

	_, err := api.GetUserGroups()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "usergroups:read" || se.Provided != "chat:write,users:read" {
		t.Fatalf("usergroups.list without usergroups:read = %#v (%v), want missing_scope needing usergroups:read", se, err)
	}
	_, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: product})
	wantSlackError(t, err, "missing_scope")
	if _, _, err := api.PostMessage(product, slack.MsgOptionText("still allowed", false)); err != nil {
		t.Errorf("chat.postMessage with chat:write: %v", err)
	}
	if _, err := api.GetUserInfo(carol); err != nil {
		t.Errorf("users.info with users:read: %v", err)
	}
}

func TestConversationsInfoReportsArchivedPrivateAndMembership(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	info := func(id string) *slack.Channel {
		t.Helper()
		ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: id})
		if err != nil {
			t.Fatalf("conversations.info %s: %v", id, err)
		}
		return ch
	}
	if ch := info(product); ch.IsArchived || !ch.IsMember || ch.IsPrivate || ch.Name != "product" {
		t.Errorf("a fresh channel: archived=%v member=%v private=%v name=%q, want a public channel the bot is in", ch.IsArchived, ch.IsMember, ch.IsPrivate, ch.Name)
	}
	fake.ArchiveChannel(product)
	fake.SetBotMember(market, false)
	fake.SetPrivate(market)
	if ch := info(product); !ch.IsArchived || !ch.IsMember {
		t.Errorf("after ArchiveChannel: archived=%v member=%v", ch.IsArchived, ch.IsMember)
	}
	if ch := info(market); ch.IsMember || !ch.IsPrivate {
		t.Errorf("after SetBotMember(false) and SetPrivate: member=%v private=%v", ch.IsMember, ch.IsPrivate)
	}
	fake.SetBotMember(market, true)
	if ch := info(market); !ch.IsMember {
		t.Error("after SetBotMember(true) the bot is still not a member")
	}
	_, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0NOPE"})
	wantSlackError(t, err, "channel_not_found")
}

func TestUsergroupsListLeavesDisabledGroupsOutUnlessAsked(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	fake.AddUsergroup("S01LEADS", "leads", carol)
	fake.AddUsergroup("S01OLD", "old-team")
	fake.DisableUsergroup("S01OLD")

	groups, err := api.GetUserGroups(slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].ID != "S01LEADS" || groups[0].Handle != "leads" || !cmp.Equal(groups[0].Users, []string{carol}) {
		t.Errorf("usergroups.list = %+v, want only S01LEADS (@leads) with carol", groups)
	}
	groups, err = api.GetUserGroups(slack.GetUserGroupsOptionIncludeDisabled(true))
	if err != nil {
		t.Fatal(err)
	}
	var disabled []string
	for _, g := range groups {
		if g.DateDelete != 0 {
			disabled = append(disabled, g.ID)
		}
	}
	if len(groups) != 2 || !cmp.Equal(disabled, []string{"S01OLD"}) {
		t.Errorf("with include_disabled: %d groups, disabled %v; want 2 with S01OLD disabled", len(groups), disabled)
	}
}

func TestBotsInfoNamesTheBotsApp(t *testing.T) {
	t.Parallel()
	_, api := setup(t)
	auth, err := api.AuthTest()
	if err != nil {
		t.Fatal(err)
	}
	b, err := api.GetBotInfo(slack.GetBotInfoParameters{Bot: auth.BotID})
	if err != nil {
		t.Fatal(err)
	}
	if b.AppID != slackfake.AppID || b.UserID != auth.UserID || b.ID != auth.BotID {
		t.Errorf("bots.info = %+v, want app %s and the auth.test bot %s (%s)", b, slackfake.AppID, auth.BotID, auth.UserID)
	}
	_, err = api.GetBotInfo(slack.GetBotInfoParameters{Bot: "B0OTHER"})
	wantSlackError(t, err, "bot_not_found")
}
