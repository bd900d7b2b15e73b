package discordfake_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

func TestOpenIdentifiesAndReadyCarriesTheBotUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	ready := collect[*discordgo.Ready](s)
	guilds := collect[*discordgo.GuildCreate](s)
	open(t, s)

	r := recv(t, ready, "READY")
	if r.User == nil || r.User.ID != botID || r.User.Username != "liaison" {
		t.Errorf("READY user = %+v, want id %s liaison", r.User, botID)
	}
	if r.SessionID == "" {
		t.Error("READY has no session_id")
	}
	g := recv(t, guilds, "GUILD_CREATE")
	if g.ID != guildID || g.Name != "Acme Community" || len(g.Channels) != 2 || len(g.Members) != 4 {
		t.Errorf("GUILD_CREATE = %s %q, %d channels, %d members; want %s, 2 channels, 4 members", g.ID, g.Name, len(g.Channels), len(g.Members), guildID)
	}

	// The state is fed by GUILD_CREATE before handlers run.
	if st, err := s.State.Guild(guildID); err != nil || st.OwnerID != ownerID || len(st.Roles) != 3 {
		t.Errorf("State.Guild = %+v, %v; want owner %s and 3 roles", st, err, ownerID)
	}
	if c, err := s.State.Channel(feedbackID); err != nil || c.Name != "feedback" || c.GuildID != guildID {
		t.Errorf("State.Channel(feedback) = %+v, %v", c, err)
	}
	if m, err := s.State.Member(guildID, aliceID); err != nil || m.User.Username != "alice" || len(m.Roles) != 1 {
		t.Errorf("State.Member(alice) = %+v, %v", m, err)
	}

	log := b.fake.IdentifyLog()
	if len(log) != 1 {
		t.Fatalf("IdentifyLog has %d entries, want 1", len(log))
	}
	if log[0].Token != "Bot test-token" || log[0].Intents != int64(s.Identify.Intents) || log[0].SessionID != r.SessionID {
		t.Errorf("IDENTIFY = %+v; want token %q, intents %d, session %s", log[0], "Bot test-token", s.Identify.Intents, r.SessionID)
	}
	if q := log[0].Query; q.Get("encoding") != "json" || q.Get("v") == "" {
		t.Errorf("gateway query = %v, want v and encoding=json", q)
	}
	// Open asked GET /gateway, not /gateway/bot.
	if n := len(b.fake.CallsTo("GET", "/gateway")); n != 1 {
		t.Errorf("GET /gateway calls = %d, want 1", n)
	}
}

func TestHeartbeatsAreAcknowledged(t *testing.T) {
	t.Parallel()
	b := setup(t, discordfake.WithHeartbeatInterval(40*time.Millisecond))
	s := newSession(t, b.fake)
	opened := time.Now()
	open(t, s)

	// Without ACKs discordgo reconnects after 5 intervals (200 ms); 10
	// heartbeats on the first session prove they were acknowledged.
	if err := b.fake.WaitFor(ctx(t), func() bool { return b.fake.Heartbeats() >= 10 }); err != nil {
		t.Fatal(err)
	}
	if id, re, inv := b.fake.Identifies(), b.fake.Resumes(), b.fake.InvalidSessions(); id != 1 || re != 0 || inv != 0 {
		t.Errorf("identifies, resumes, invalid sessions = %d, %d, %d; want 1, 0, 0", id, re, inv)
	}
	s.RLock()
	ack := s.LastHeartbeatAck
	s.RUnlock()
	if !ack.After(opened) {
		t.Errorf("LastHeartbeatAck = %v, want after %v", ack, opened)
	}
}

func TestMessageCreateReachesHandlerAndREST(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	msgs := collect[*discordgo.MessageCreate](s)
	connect(t, b.fake, s)

	sent := b.fake.MessageCreate(feedbackID, aliceID, "the export button crashes <@"+malloryID+">")
	got := recv(t, msgs, "MESSAGE_CREATE")
	if got.ID != sent.ID || got.Content != sent.Content || got.ChannelID != feedbackID || got.GuildID != guildID {
		t.Errorf("MESSAGE_CREATE = %s %q in %s/%s; want %s %q in %s/%s", got.ID, got.Content, got.GuildID, got.ChannelID, sent.ID, sent.Content, guildID, feedbackID)
	}
	if got.Author == nil || got.Author.ID != aliceID || got.Member == nil || len(got.Member.Roles) != 1 {
		t.Errorf("author %+v, member %+v; want alice with her role", got.Author, got.Member)
	}
	if len(got.Mentions) != 1 || got.Mentions[0].ID != malloryID {
		t.Errorf("mentions = %v, want mallory", got.Mentions)
	}

	m, err := s.ChannelMessage(feedbackID, sent.ID)
	if err != nil || m.Content != sent.Content {
		t.Errorf("ChannelMessage = %+v, %v; want %q", m, err, sent.Content)
	}
	if m != nil && m.GuildID != "" {
		t.Errorf("REST message has guild_id %q; Discord sends it on the gateway only", m.GuildID)
	}

	// The bot's own posts come back on the gateway, as on Discord.
	own, err := s.ChannelMessageSend(generalID, "hello from liaison")
	if err != nil {
		t.Fatal(err)
	}
	echo := recv(t, msgs, "echo of the bot's post")
	if echo.ID != own.ID || echo.Author.ID != botID {
		t.Errorf("echo = %s by %s, want %s by the bot", echo.ID, echo.Author.ID, own.ID)
	}
}

func TestMessageContentNeedsTheIntent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	s.Identify.Intents = discordgo.IntentsAllWithoutPrivileged // no MESSAGE_CONTENT
	msgs := collect[*discordgo.MessageCreate](s)
	connect(t, b.fake, s)

	b.fake.MessageCreate(feedbackID, aliceID, "secret")
	if got := recv(t, msgs, "MESSAGE_CREATE"); got.Content != "" {
		t.Errorf("content without the intent = %q, want empty", got.Content)
	}
	b.fake.MessageCreate(feedbackID, aliceID, "<@"+botID+"> hi")
	if got := recv(t, msgs, "MESSAGE_CREATE"); got.Content != "<@"+botID+"> hi" {
		t.Errorf("content mentioning the bot = %q, want it kept", got.Content)
	}
	// GUILD_MEMBERS is privileged and not asked for: no member events.
	if n := b.fake.Dispatch("GUILD_MEMBER_ADD", map[string]any{"guild_id": guildID}); n != 0 {
		t.Errorf("GUILD_MEMBER_ADD went to %d sessions, want 0 without the intent", n)
	}
}

// contents reads n MESSAGE_CREATE contents.
func contents(t *testing.T, ch <-chan *discordgo.MessageCreate, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, recv(t, ch, "MESSAGE_CREATE").Content)
	}
	return out
}

func TestDroppedConnectionResumesAndReplaysExactlyOnceInOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	s.SyncEvents = true // handlers run in order, on discordgo's reader
	msgs := collect[*discordgo.MessageCreate](s)
	resumed := collect[*discordgo.Resumed](s)
	connect(t, b.fake, s)
	b.fake.MessageCreate(generalID, aliceID, "before")
	if got := contents(t, msgs, 1); got[0] != "before" {
		t.Fatalf("got %q, want before", got)
	}

	b.fake.DropConnections()
	for _, c := range []string{"one", "two", "three"} {
		if n := b.fake.Dispatch("MESSAGE_CREATE", map[string]any{
			"id": "1", "channel_id": generalID, "guild_id": guildID, "content": c,
			"author": map[string]any{"id": aliceID, "username": "alice"},
		}); n != 1 {
			t.Fatalf("Dispatch went to %d sessions, want 1 (buffered)", n)
		}
	}
	if err := b.fake.WaitResume(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	recv(t, resumed, "RESUMED")
	b.fake.MessageCreate(generalID, aliceID, "after")

	got := contents(t, msgs, 4)
	want := []string{"one", "two", "three", "after"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events after the drop = %q, want %q", got, want)
		}
	}
	if id := b.fake.Identifies(); id != 1 {
		t.Errorf("identifies = %d, want 1 (resumed, not re-identified)", id)
	}
}

// A heartbeat says which events the client has: the fake keeps only the
// later ones for a resume, and a resume still replays all of those.
func TestHeartbeatsTrimTheReplayBufferAndResumesStillReplay(t *testing.T) {
	t.Parallel()
	b := setup(t, discordfake.WithHeartbeatInterval(100*time.Millisecond))
	s := newSession(t, b.fake)
	s.SyncEvents = true
	msgs := collect[*discordgo.MessageCreate](s)
	connect(t, b.fake, s)
	for i := range 20 {
		b.fake.MessageCreate(generalID, aliceID, fmt.Sprintf("m%d", i))
	}
	contents(t, msgs, 20)
	if err := b.fake.WaitFor(ctx(t), func() bool { return b.fake.Replayable() == 0 }); err != nil {
		t.Fatalf("%d events still held for a resume after the client's heartbeats: %v", b.fake.Replayable(), err)
	}

	// Dropped just after a heartbeat: discordgo's heartbeat goroutine for
	// the dropped connection, should it tick before it sees the connection
	// gone, fails to write, closes the session's current connection
	// normally (the resumed one, by then) and reconnects. A normal close
	// ends a session, on Discord as here, and what the resume replayed is
	// lost: with a heartbeat every 40 ms and the drop at any moment, CI
	// saw that once.
	beats := b.fake.Heartbeats()
	if err := b.fake.WaitFor(ctx(t), func() bool { return b.fake.Heartbeats() > beats }); err != nil {
		t.Fatal(err)
	}
	b.fake.DropConnections()
	for _, c := range []string{"one", "two"} {
		b.fake.MessageCreate(generalID, aliceID, c)
	}
	if n := b.fake.Replayable(); n != 2 {
		t.Errorf("%d events held for the resume, want 2", n)
	}
	if err := b.fake.WaitResume(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, msgs, 2); got[0] != "one" || got[1] != "two" {
		t.Errorf("replayed %q, want one, two", got)
	}
}

func TestInvalidatedSessionMakesDiscordgoIdentifyAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	ready := collect[*discordgo.Ready](s)
	msgs := collect[*discordgo.MessageCreate](s)
	connect(t, b.fake, s)
	first := recv(t, ready, "first READY")

	b.fake.InvalidateSessions()
	b.fake.DropConnections()
	lost := b.fake.MessageCreate(generalID, aliceID, "lost with the session")
	if err := b.fake.WaitIdentify(ctx(t), 2); err != nil {
		t.Fatal(err)
	}
	second := recv(t, ready, "second READY")
	if second.SessionID == first.SessionID {
		t.Errorf("second READY reuses session %s", first.SessionID)
	}
	if n := b.fake.InvalidSessions(); n != 1 {
		t.Errorf("INVALID_SESSION sent %d times, want 1", n)
	}
	if n := b.fake.Resumes(); n != 0 {
		t.Errorf("resumes = %d, want 0", n)
	}

	b.fake.MessageCreate(generalID, aliceID, "on the new session")
	if got := recv(t, msgs, "MESSAGE_CREATE"); got.Content != "on the new session" {
		t.Errorf("first event after re-identify = %q (id %s); the message %s dispatched to the dead session must not arrive", got.Content, got.ID, lost.ID)
	}
}

func TestReconnectOpcodeLeadsToResume(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	msgs := collect[*discordgo.MessageCreate](s)
	connect(t, b.fake, s)

	b.fake.SendReconnect()
	if err := b.fake.WaitResume(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	if id := b.fake.Identifies(); id != 1 {
		t.Errorf("identifies = %d, want 1", id)
	}
	b.fake.MessageCreate(generalID, aliceID, "still here")
	if got := recv(t, msgs, "MESSAGE_CREATE"); got.Content != "still here" {
		t.Errorf("got %q after RECONNECT, want %q", got.Content, "still here")
	}
}

func TestInteractionCallbackAndFollowupAreRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	created := collect[*discordgo.InteractionCreate](s)
	connect(t, b.fake, s)

	ref := b.fake.SlashCommand(guildID, generalID, aliceID, "warn",
		discordfake.CommandOption{Name: "user", Type: 6, Value: malloryID},
		discordfake.CommandOption{Name: "reason", Type: 3, Value: "spam"})
	ic := recv(t, created, "INTERACTION_CREATE")
	if ic.ID != ref.ID || ic.Token != ref.Token || ic.Member == nil || ic.Member.User.ID != aliceID {
		t.Fatalf("interaction = %s/%s by %+v; want %s/%s by alice", ic.ID, ic.Token, ic.Member, ref.ID, ref.Token)
	}
	data := ic.ApplicationCommandData()
	if data.Name != "warn" || data.GetOption("user").UserValue(nil).ID != malloryID || data.GetOption("reason").StringValue() != "spam" {
		t.Errorf("command data = %+v", data)
	}

	err := s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "warned mallory", Flags: discordgo.MessageFlagsEphemeral},
	})
	if err != nil {
		t.Fatalf("InteractionRespond: %v", err)
	}
	if _, err := s.FollowupMessageCreate(ic.Interaction, true, &discordgo.WebhookParams{Content: "case #1 opened"}); err != nil {
		t.Fatalf("FollowupMessageCreate: %v", err)
	}
	rec, _ := b.fake.Interaction(ref.ID)
	if rec.Callback == nil || rec.Callback.Type != 4 || rec.Original == nil || rec.Original.Content != "warned mallory" || !rec.Original.Ephemeral {
		t.Errorf("callback %+v, original %+v; want type 4, ephemeral %q", rec.Callback, rec.Original, "warned mallory")
	}
	if len(rec.Followups) != 1 || rec.Followups[0].Content != "case #1 opened" {
		t.Errorf("followups = %+v", rec.Followups)
	}
	orig, err := s.InteractionResponse(ic.Interaction)
	if err != nil || orig.Content != "warned mallory" {
		t.Errorf("InteractionResponse = %+v, %v", orig, err)
	}

	err = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	if code := restCode(t, err); code != discordfake.CodeInteractionAcked {
		t.Errorf("second callback: code %d, want %d", code, discordfake.CodeInteractionAcked)
	}
}
