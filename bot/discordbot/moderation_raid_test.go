package discordbot_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The join gate's actions through the real client: the DM goes first
// (pinging nobody), then the role is given; taking it back works, and a
// kick follows its DM too.
func TestAGateActionSendsItsNoticeFirstThenActs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupSender(t, db)
		const quarantine = "1200000000000000077"
		b.fake.AddRole(guildID, discordfake.Role{ID: quarantine, Name: "quarantine", Position: 1})
		// Liaison's role may manage roles and kick, above the quarantine role.
		b.fake.AddRole(guildID, discordfake.Role{ID: "1200000000000000088", Name: "Liaison", Position: 9, Permissions: 1<<28 | bot.PermKickMembers})
		b.fake.AddMember(guildID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true, Roles: []string{"1200000000000000088"}})
		b.enqueue(t, "gate:1", bot.KindModerate, "", bot.ModAction{Op: bot.OpAddRole, GuildID: guildID, UserID: malloryID, UserName: "mallory",
			RoleID: quarantine, Reason: "Liaison (join gate), case 1", Notice: "Hello mallory. Come back in a day, @everyone."})
		b.dispatch(t)
		if e := b.entry(t, "gate:1"); e.State != store.OutboxSent {
			t.Fatalf("gate:1 is %s: %s", e.State, e.LastError)
		}
		dms := b.fake.DirectMessages(malloryID)
		if len(dms) != 1 || !strings.HasPrefix(dms[0].Content, "Hello mallory.") || string(dms[0].AllowedMentions) != `{"parse":[],"replied_user":false}` {
			t.Errorf("DMs = %+v", dms)
		}
		m, _ := b.fake.Member(guildID, malloryID)
		if !slices.Contains(m.Roles, quarantine) {
			t.Errorf("mallory's roles = %v", m.Roles)
		}
		dmAt, roleAt := -1, -1
		for i, c := range b.fake.Calls() {
			switch {
			case c.Method == "POST" && c.Path == "/users/@me/channels":
				dmAt = i
			case c.Method == "PUT" && strings.Contains(c.Path, "/roles/"):
				roleAt = i
				if c.AuditLogReason != "Liaison (join gate), case 1" {
					t.Errorf("role reason %q", c.AuditLogReason)
				}
			}
		}
		if dmAt < 0 || roleAt < dmAt {
			t.Errorf("the DM (call %d) did not come before the role (call %d)", dmAt, roleAt)
		}
		b.enqueue(t, "undo:1", bot.KindModerate, "", bot.ModAction{Op: bot.OpRemoveRole, GuildID: guildID, UserID: malloryID, RoleID: quarantine, Reason: "dave via Liaison, case 2"})
		b.enqueue(t, "gate:2", bot.KindModerate, "", bot.ModAction{Op: bot.OpKick, GuildID: guildID, UserID: malloryID, Reason: "Liaison (join gate), case 3", Notice: "Bye for now."})
		b.dispatch(t)
		if m, ok := b.fake.Member(guildID, malloryID); ok {
			t.Errorf("mallory is still a member: %+v", m)
		}
		if dms := b.fake.DirectMessages(malloryID); len(dms) != 2 || dms[1].Content != "Bye for now." {
			t.Errorf("DMs after the kick = %+v", dms)
		}
		for _, k := range []string{"undo:1", "gate:2"} {
			if e := b.entry(t, k); e.State != store.OutboxSent {
				t.Errorf("%s is %s: %s", k, e.State, e.LastError)
			}
		}
	})
}
