package console

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

var pingsLine = regexp.MustCompile(`\(pings: [^)\n]*\)`)

// consolePings sends m through the console's Discord sender and returns
// the pings line it printed, and the id the message got.
func consolePings(t *testing.T, c *Console, b *testBundle, m *bot.OutboxMessage) (string, string) {
	t.Helper()
	b.out.Reset()
	res, err := c.Sender(bot.PlatformDiscord).Send(context.Background(), m)
	if err != nil {
		t.Fatalf("console Send(%s): %v", m.Key, err)
	}
	lines := pingsLine.FindAllString(b.out.String(), -1)
	if len(lines) != 1 {
		t.Fatalf("the console printed %d pings lines for %s:\n%s", len(lines), m.Key, b.out.String())
	}
	return lines[0], res.PlatformID
}

// TestPingsAreWhatDiscordNotifiesForTheSamePost sends the same posts
// through the console and through the real Discord sender to the Discord
// fake, and checks that the console's "(pings: …)" names whom Discord
// notifies for the request the fake recorded: the mentions of its content
// that its allowed_mentions lets through, as the fake works them out.
func TestPingsAreWhatDiscordNotifiesForTheSamePost(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	const botID, ownerID = "1300000000000000999", "1300000000000000998"
	fake := discordfake.New()
	t.Cleanup(fake.Close)
	fake.SetBotUser(botID, "liaison")
	fake.AddGuild(guildID, "Acme", ownerID)
	for name, ids := range b.cfg.Discord.Guilds[0].Roles {
		for _, id := range ids {
			fake.AddRole(guildID, discordfake.Role{ID: id, Name: name, Position: rolePosition(name), Mentionable: true})
		}
	}
	for name, id := range b.cfg.Discord.Guilds[0].Channels {
		fake.AddChannel(guildID, discordfake.Channel{ID: id, Name: name})
	}
	fake.AddMember(guildID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true})
	for _, p := range c.dir.people[bot.PlatformDiscord] {
		u, _ := c.dir.user(bot.PlatformDiscord, p.name, bot.Place{ScopeID: guildID})
		fake.AddMember(guildID, discordfake.Member{UserID: p.id, Username: p.name, Roles: u.Roles})
	}
	adapter, err := discordbot.New(discordbot.Options{Token: "test-token", AppID: botID, APIURL: fake.APIURL(), Guilds: []string{guildID}, Handler: b.h, Clock: b.clock})
	if err != nil {
		t.Fatal(err)
	}
	sender := adapter.Sender()
	// A plain client, to read the messages back as Discord shows them.
	reader, err := discordgo.New("Bot test-token")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := discordbot.NewTransport(fake.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	reader.Client = &http.Client{Transport: tr, Timeout: 10 * time.Second}

	// mallory's message, in both worlds, for the reply.
	exec(t, c, b, "discord #general mallory: I love the new dashboard")
	original := map[bool]string{true: c.refs["d1"].id, false: fake.AddMessage(generalID, malloryID, "I love the new dashboard", time.Now()).ID}
	posted := map[bool]string{} // the first post's id in each world, for the edit

	for _, tt := range []struct {
		name  string
		kind  string
		post  func(console bool) bot.Post
		pings string
	}{
		{"user text pings nobody", bot.KindPost, func(bool) bot.Post {
			return bot.Post{ChannelID: generalID, Title: "Feedback from mallory", Quote: "@everyone @here look <@" + aliceID + "> <@&1200000000000000002> <!channel> <@U01BOB>"}
		}, "(pings: nobody)"},
		{"notify pings the one it names", bot.KindPost, func(bool) bot.Post {
			return bot.Post{ChannelID: generalID, Notify: []string{aliceID}, Text: "Welcome, alice! @everyone say hi"}
		}, "(pings: @alice)"},
		{"notify pings each it names", bot.KindPost, func(bool) bot.Post {
			return bot.Post{ChannelID: generalID, Notify: []string{aliceID, eveID}, Text: "You both won"}
		}, "(pings: @alice, @eve)"},
		{"a reply does not ping its author", bot.KindPost, func(console bool) bot.Post {
			return bot.Post{ChannelID: generalID, ThreadOf: original[console], Text: "Thank you mallory!"}
		}, "(pings: nobody)"},
		{"an edit pings whom it names", bot.KindUpdate, func(console bool) bot.Post {
			return bot.Post{ChannelID: generalID, MessageID: posted[console], Notify: []string{eveID}, Text: "You won, eve"}
		}, "(pings: @eve)"},
		{"a notify that is no Discord id pings nobody", bot.KindPost, func(bool) bot.Post {
			return bot.Post{ChannelID: generalID, Notify: []string{"U01BOB"}, Text: "hello"}
		}, "(pings: nobody)"},
	} {
		msg := func(console bool) *bot.OutboxMessage {
			payload, _ := json.Marshal(tt.post(console))
			return &bot.OutboxMessage{Key: "pings:" + tt.name, Platform: bot.PlatformDiscord, Kind: tt.kind, Payload: payload}
		}
		got, id := consolePings(t, c, b, msg(true))
		res, err := sender.Send(context.Background(), msg(false))
		if err != nil {
			t.Fatalf("%s: the Discord sender: %v", tt.name, err)
		}
		if len(posted) == 0 {
			posted[true], posted[false] = id, res.PlatformID
		}
		// What the fake recorded: allowed_mentions parses nothing and lets
		// through only the post's Notify.
		rec, ok := fake.Message(generalID, res.PlatformID)
		var am struct {
			Parse []string `json:"parse"`
			Users []string `json:"users"`
		}
		if !ok || json.Unmarshal(rec.AllowedMentions, &am) != nil || am.Parse == nil || len(am.Parse) != 0 {
			t.Errorf("%s: recorded allowed_mentions %s, want parse: [] and the notified users", tt.name, rec.AllowedMentions)
		}
		// Whom Discord notifies for it, as the fake reads it back.
		m, err := reader.ChannelMessage(generalID, res.PlatformID)
		if err != nil {
			t.Fatalf("%s: read back: %v", tt.name, err)
		}
		var who, ids []string
		if m.MentionEveryone {
			who = append(who, "@everyone")
		}
		for _, r := range m.MentionRoles {
			who = append(who, "@"+c.dir.roleName(r))
		}
		for _, u := range m.Mentions {
			who = append(who, "@"+c.dir.userName(bot.PlatformDiscord, u.ID))
			ids = append(ids, u.ID)
		}
		if want := pingsText(who); got != want || got != tt.pings {
			t.Errorf("%s: the console shows %s; Discord notifies %s (want %s)", tt.name, got, want, tt.pings)
		}
		if !slices.Equal(am.Users, ids) {
			t.Errorf("%s: allowed_mentions lets through %v, Discord notifies %v", tt.name, am.Users, ids)
		}
	}
}

func TestSlackPingsAreTheMentionsOfTheSlackRendering(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.h.command = func(*bot.Command) (*bot.Reply, error) {
		return &bot.Reply{Text: "<!channel> the digest is out", Public: true}, nil
	}
	b.outbox.enqueue("slack", bot.KindPost, "notify", bot.Post{ChannelID: "C01APPROVALS", Notify: []string{"U01BOB", "U01DAVE"}, Text: "<!here> please review <@U01CAROL>"}, "")
	b.outbox.enqueue("slack", bot.KindPost, "bad", bot.Post{ChannelID: "C01APPROVALS", Notify: []string{aliceID}, Text: "hello"}, "")
	out := exec(t, c, b, "slack #community carol: /liaison digest post")
	wantOutput(t, out, `[slack #community] carol: /liaison digest post
[slack #community] s1 liaison: <!channel> the digest is out
    (pings: nobody)
[slack #approvals] s2 liaison: @bob @dave <!here> please review <@U01CAROL>
    (pings: @bob, @dave)
`)
	if !bot.IsPermanent(b.outbox.errs["bad"]) {
		t.Errorf("a Slack post notifying a Discord id: %v, want the permanent error the Slack sender gives", b.outbox.errs["bad"])
	}
}
