package discordbot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

func TestServerLogEventsArriveAsTheirOwnEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, func(o *discordbot.Options) { o.RequestMembers, o.ReadDeleters = true, true })

	chunk := recvAs[*bot.MembersChunk](t, b.rec.events, "the member list asked for at start")
	if chunk.ScopeID != guildID || len(chunk.Members) != 5 || chunk.Count != 1 {
		t.Fatalf("chunk = %s %d members %d chunks, want the 5 members in one chunk", chunk.ScopeID, len(chunk.Members), chunk.Count)
	}

	b.fake.GuildMemberUpdate(guildID, malloryID, "mal", []string{modRoleID})
	up := recvAs[*bot.MemberUpdated](t, b.rec.events, "the member update")
	if up.User.ID != malloryID || up.Nick != "mal" || !slices.Equal(up.User.Roles, []string{modRoleID}) {
		t.Errorf("update = %+v, want mallory with nick mal and the moderators role", up)
	}

	m := b.fake.MessageCreate(generalID, aliceID, "one")
	recvAs[*bot.Message](t, b.rec.events, "the message")
	b.fake.ModeratorDeleteMessage(generalID, m.ID, ownerID)
	d := recvAs[*bot.MessageDeleted](t, b.rec.events, "the deletion")
	if d.ID != m.ID || d.DeletedBy != ownerID || d.DeletedOf != aliceID {
		t.Errorf("deletion = %+v, want %s deleted by the owner, of alice", d, m.ID)
	}
	if len(okCalls(b.fake, "GET", "/guilds/"+guildID+"/audit-logs")) == 0 {
		t.Error("the audit log was not read")
	}

	m1 := b.fake.MessageCreate(generalID, aliceID, "a")
	m2 := b.fake.MessageCreate(generalID, aliceID, "b")
	recvAs[*bot.Message](t, b.rec.events, "a")
	recvAs[*bot.Message](t, b.rec.events, "b")
	b.fake.MessageDeleteBulk(generalID, m1.ID, m2.ID)
	bulk := recvAs[*bot.MessagesDeleted](t, b.rec.events, "the bulk deletion")
	if !slices.Equal(bulk.IDs, []string{m1.ID, m2.ID}) || bulk.ChannelID != generalID {
		t.Errorf("bulk = %+v, want both messages in #general", bulk)
	}

	b.fake.GuildAuditLogEntryCreate(guildID, discordfake.AuditLogEntry{ActionType: 11, UserID: ownerID, TargetID: generalID,
		Changes: []map[string]any{{"key": "name", "old_value": "general", "new_value": "lobby"}}})
	ch := recvAs[*bot.ServerChange](t, b.rec.events, "the channel change")
	if ch.Subject != "channel" || ch.Op != "updated" || ch.Name != "lobby" || len(ch.Changes) != 1 || ch.Changes[0] != "name: general → lobby" {
		t.Errorf("change = %+v, want the channel renamed general → lobby", ch)
	}

	dm := b.fake.DirectMessage(malloryID, "hello mods", discordfake.WithAttachments("proof.png"))
	got := recvAs[*bot.DirectMessage](t, b.rec.events, "the direct message")
	if got.ID != dm.ID || got.Author.ID != malloryID || got.Text != "hello mods" || !slices.Equal(got.Attachments, []string{"proof.png"}) {
		t.Errorf("dm = %+v, want mallory's message with its attachment", got)
	}
}

func TestADirectMessageIsSentInTheUsersDMChannelAndABlockIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	s := b.adapter.Sender()
	msg := &bot.OutboxMessage{Key: "modmail:1:reply:1", Platform: bot.PlatformDiscord, Kind: bot.KindDM,
		Payload: bot.Payload(bot.DirectPost{UserID: malloryID, Lane: malloryID, Post: bot.Post{Text: "Hi @everyone, the team here"}})}
	res, err := s.Send(context.Background(), msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := b.fake.DirectMessages(malloryID)
	if len(got) != 1 || got[0].ID != res.PlatformID || !strings.Contains(got[0].Content, "the team here") {
		t.Fatalf("mallory's DMs = %+v, want the one message sent (%s)", got, res.PlatformID)
	}
	var am struct {
		Parse []string `json:"parse"`
	}
	if json.Unmarshal(got[0].AllowedMentions, &am) != nil || len(am.Parse) != 0 {
		t.Errorf("allowed_mentions = %s, want parse: [] (nobody pinged)", got[0].AllowedMentions)
	}
	// The same key again (a reclaimed row): the nonce finds the same message.
	if res2, err := s.Send(context.Background(), msg); err != nil || res2.PlatformID != res.PlatformID || len(b.fake.DirectMessages(malloryID)) != 1 {
		t.Errorf("re-send = %v, %v; want the same message, not a second", res2, err)
	}

	b.fake.BlockBot(malloryID, true)
	msg2 := *msg
	msg2.Key = "modmail:1:reply:2"
	_, err = s.Send(context.Background(), &msg2)
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "does not accept direct messages") {
		t.Errorf("Send to a member who blocked Liaison = %v, want a permanent error saying so", err)
	}
}

func TestInvitesAreReadWithTheirUses(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.fake.AddInvite(guildID, discordfake.Invite{Code: "spring", ChannelID: generalID, InviterID: aliceID})
	b.fake.GuildMemberAddVia(guildID, "spring", discordfake.Member{UserID: "300000000000000077", Username: "zoe", JoinedAt: time.Now()})
	invs, err := b.adapter.Invites(context.Background(), guildID)
	if err != nil || len(invs) != 1 || invs[0] != (bot.Invite{Code: "spring", Uses: 1, InviterID: aliceID}) {
		t.Errorf("Invites = %+v, %v; want spring used once", invs, err)
	}
}
