package console

import (
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestADMIsDeliveredAndLiaisonsDMsPrintInTheConversation(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	out := exec(t, c, b, "dm mallory: someone keeps messaging me @everyone")
	if want := "[discord dm › mallory] d1 mallory: someone keeps messaging me @everyone\n"; out != want {
		t.Errorf("dm printed %q, want %q", out, want)
	}
	dm, ok := b.h.events[len(b.h.events)-1].(*bot.DirectMessage)
	if !ok || dm.Author.ID != malloryID || dm.Text != "someone keeps messaging me @everyone" || dm.Keys[0].Kind != "discord_message" {
		t.Fatalf("delivered %+v, want mallory's DirectMessage", b.h.events[len(b.h.events)-1])
	}
	b.outbox.enqueue("discord", bot.KindDM, "modmail:1:answer:1", bot.DirectPost{UserID: malloryID, Lane: malloryID,
		Post: bot.Post{Text: "Thanks @everyone, we are on it.\n\n— the moderation team"}}, "")
	out = exec(t, c, b, "clock +1s")
	if !strings.Contains(out, "[discord dm › mallory] d2 liaison: Thanks @everyone, we are on it.\n\n    — the moderation team\n    (pings: nobody)\n") {
		t.Errorf("Liaison's DM printed:\n%s", out)
	}

	// Banned, she shares no server with Liaison: no DM either way.
	b.outbox.enqueue("discord", bot.KindModerate, "ban", bot.ModAction{Op: bot.OpBan, GuildID: guildID, UserID: malloryID, Reason: "spam"}, "")
	exec(t, c, b, "clock +1s")
	events := len(b.h.events)
	out = exec(t, c, b, "dm mallory: let me back")
	if !strings.Contains(out, "mallory cannot write to Liaison: they are banned") || len(b.h.events) != events {
		t.Errorf("a banned member's DM printed %q and delivered %d events, want a refusal and none", out, len(b.h.events)-events)
	}
	b.outbox.enqueue("discord", bot.KindDM, "modmail:1:answer:2", bot.DirectPost{UserID: malloryID, Post: bot.Post{Text: "hello?"}}, "")
	if out = exec(t, c, b, "clock +1s"); strings.Contains(out, "hello?") {
		t.Errorf("a DM to a banned member printed:\n%s", out)
	}
}
