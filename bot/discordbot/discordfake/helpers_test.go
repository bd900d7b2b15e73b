package discordfake_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// The seeded world of most tests.
const (
	guildID    = "900000000000000001"
	ownerID    = "300000000000000001"
	botID      = "100000000000000042"
	aliceID    = "300000000000000002"
	malloryID  = "300000000000000003"
	generalID  = "110000000000000001"
	feedbackID = "110000000000000002"
	modRoleID  = "120000000000000001"
	botRoleID  = "120000000000000002"
)

// testBundle is a fake and its seeds.
type testBundle struct {
	fake *discordfake.Server
}

// setup starts a seeded fake, closed when the test ends.
func setup(t *testing.T, opts ...discordfake.Option) *testBundle {
	t.Helper()
	fake := discordfake.New(opts...)
	t.Cleanup(fake.Close)
	fake.SetBotUser(botID, "liaison")
	fake.AddGuild(guildID, "Acme Community", ownerID)
	fake.AddRole(guildID, discordfake.Role{ID: modRoleID, Name: "moderators", Position: 1})
	fake.AddRole(guildID, discordfake.Role{ID: botRoleID, Name: "liaison", Position: 5, Permissions: 1 << 2 /* ban */})
	fake.AddChannel(guildID, discordfake.Channel{ID: generalID, Name: "general"})
	fake.AddChannel(guildID, discordfake.Channel{ID: feedbackID, Name: "feedback"})
	fake.AddMember(guildID, discordfake.Member{UserID: ownerID, Username: "owner"})
	fake.AddMember(guildID, discordfake.Member{UserID: botID, Username: "liaison", Bot: true, Roles: []string{botRoleID}})
	fake.AddMember(guildID, discordfake.Member{UserID: aliceID, Username: "alice", Roles: []string{modRoleID}})
	fake.AddMember(guildID, discordfake.Member{UserID: malloryID, Username: "mallory"})
	return &testBundle{fake: fake}
}

// newSession builds a discordgo session aimed at the fake through the
// rewriting transport, with the intents Liaison asks for.
func newSession(t *testing.T, fake *discordfake.Server) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot test-token")
	if err != nil {
		t.Fatalf("discordgo.New: %v", err)
	}
	tr, err := discordbot.NewTransport(fake.APIURL(), nil)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	s.Client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	s.Identify.Intents = discordgo.IntentsAllWithoutPrivileged | discordgo.IntentGuildMembers | discordgo.IntentMessageContent
	return s
}

// open opens the session's gateway and closes it when the test ends (before
// the fake closes: cleanups run last-in first-out).
func open(t *testing.T, s *discordgo.Session) {
	t.Helper()
	if err := s.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
}

// connect opens the session and waits until the fake has answered its
// IDENTIFY and received its first heartbeat. Waiting for the heartbeat
// matters before breaking the connection: discordgo v0.29 starts its
// heartbeat goroutine at the end of Open, and if a RECONNECT or a drop
// arrives before that goroutine's first write, the goroutine later fails on
// the dead socket, calls Close on the new connection (code 1000, which ends
// the session) and starts a second reconnect loop.
func connect(t *testing.T, fake *discordfake.Server, s *discordgo.Session) {
	t.Helper()
	beats := fake.Heartbeats()
	ids := fake.Identifies()
	open(t, s)
	if err := fake.WaitFor(ctx(t), func() bool { return fake.Identifies() > ids && fake.Heartbeats() > beats }); err != nil {
		t.Fatalf("waiting for IDENTIFY and a heartbeat: %v", err)
	}
}

// ctx is a test context with a deadline well under go test's.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

// recv waits for one value from ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// collect registers a handler that forwards events of one type to a
// buffered channel.
func collect[T any](s *discordgo.Session) <-chan T {
	ch := make(chan T, 64)
	s.AddHandler(func(_ *discordgo.Session, e T) { ch <- e })
	return ch
}
