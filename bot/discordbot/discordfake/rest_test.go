package discordfake_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// restCode returns the Discord error code of a *discordgo.RESTError.
func restCode(t *testing.T, err error) int {
	t.Helper()
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v (%T), want *discordgo.RESTError", err, err)
	}
	if re.Message == nil {
		t.Fatalf("RESTError without a message: %s", re.ResponseBody)
	}
	return re.Message.Code
}

func TestUnknownChannelIsRESTError10003(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)

	_, err := s.Channel("424242")
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusNotFound || re.Message == nil || re.Message.Code != discordfake.CodeUnknownChannel {
		t.Fatalf("Channel(unknown) error = %v, want 404 RESTError code 10003", err)
	}
	if _, err := s.ChannelMessage(generalID, "1"); restCode(t, err) != discordfake.CodeUnknownMessage {
		t.Errorf("unknown message: %v", err)
	}
	if _, err := s.GuildMember(guildID, "1"); restCode(t, err) != discordfake.CodeUnknownMember {
		t.Errorf("unknown member: %v", err)
	}
	if _, err := s.GuildBan(guildID, aliceID); restCode(t, err) != discordfake.CodeUnknownBan {
		t.Errorf("unknown ban: %v", err)
	}
}

func TestRequestsNeedABotToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	s.Token = "test-token" // no "Bot " prefix

	_, err := s.User("@me")
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("User(@me) without Bot prefix: %v, want 401", err)
	}
	s.Token = "Bot test-token"
	if u, err := s.User("@me"); err != nil || u.ID != botID || !u.Bot {
		t.Errorf("User(@me) = %+v, %v; want the bot", u, err)
	}
}

func TestChannelMessageSendComplexIsStoredAndListed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	parent := b.fake.MessageCreate(feedbackID, aliceID, "the export button crashes")

	sent, err := s.ChannelMessageSendComplex(feedbackID, &discordgo.MessageSend{
		Content:         "Thanks @everyone <@" + aliceID + ">, we are on it",
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		Reference:       &discordgo.MessageReference{MessageID: parent.ID},
		Embeds:          []*discordgo.MessageEmbed{{Title: "Feedback #1"}},
	})
	if err != nil {
		t.Fatalf("ChannelMessageSendComplex: %v", err)
	}
	if sent.Author.ID != botID || sent.Type != discordgo.MessageTypeReply || len(sent.Mentions) != 0 || sent.MentionEveryone {
		t.Errorf("sent = type %d by %s, mentions %v, everyone %v; want a reply by the bot pinging nobody", sent.Type, sent.Author.ID, sent.Mentions, sent.MentionEveryone)
	}

	stored, ok := b.fake.Message(feedbackID, sent.ID)
	if !ok || string(stored.AllowedMentions) != `{"parse":[],"replied_user":false}` || stored.Reference == nil || stored.Reference.MessageID != parent.ID {
		t.Errorf("stored = %+v; want allowed_mentions and reference as sent", stored)
	}
	list, err := s.ChannelMessages(feedbackID, 10, "", "", "")
	if err != nil || len(list) != 2 || list[0].ID != sent.ID || list[1].ID != parent.ID {
		t.Fatalf("ChannelMessages = %v, %v; want [sent, parent], newest first", list, err)
	}
	if list[0].ReferencedMessage == nil || list[0].ReferencedMessage.ID != parent.ID || len(list[0].Embeds) != 1 {
		t.Errorf("listed reply = %+v", list[0])
	}

	_, err = s.ChannelMessageSendReply(feedbackID, "to nowhere", &discordgo.MessageReference{MessageID: "12345"})
	if code := restCode(t, err); code != discordfake.CodeInvalidFormBody {
		t.Errorf("reply to an unknown message: code %d, want %d", code, discordfake.CodeInvalidFormBody)
	}
}

// nonceMessage is how Liaison posts for exactly-once delivery: discordgo's
// MessageSend has no nonce.
type nonceMessage struct {
	Content         string                            `json:"content"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions,omitempty"`
	Nonce           string                            `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
}

func TestEnforcedNonceReturnsTheOriginalMessage(t *testing.T) {
	t.Parallel()
	clock := time.Now()
	b := setup(t, discordfake.WithClock(func() time.Time { return clock }))
	s := newSession(t, b.fake)

	post := func(nonce string) *discordgo.Message {
		t.Helper()
		body, err := s.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(generalID),
			nonceMessage{Content: "relay", Nonce: nonce, EnforceNonce: true}, discordgo.EndpointChannelMessages(generalID))
		if err != nil {
			t.Fatalf("post with nonce %q: %v", nonce, err)
		}
		var m discordgo.Message
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	first, again := post("relay:42:C01PRODUCT"), post("relay:42:C01PRODUCT")
	if first.ID != again.ID {
		t.Errorf("same nonce twice gave %s and %s, want one message", first.ID, again.ID)
	}
	if n := len(b.fake.Messages(generalID)); n != 1 {
		t.Errorf("channel has %d messages, want 1", n)
	}
	if other := post("relay:43:C01PRODUCT"); other.ID == first.ID {
		t.Error("another nonce returned the same message")
	}

	_, err := s.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(generalID),
		nonceMessage{Content: "x", Nonce: strings.Repeat("n", 26), EnforceNonce: true}, "")
	if code := restCode(t, err); code != discordfake.CodeInvalidFormBody {
		t.Errorf("26-character nonce: code %d, want %d", code, discordfake.CodeInvalidFormBody)
	}

	clock = clock.Add(discordfake.DefaultNonceWindow + time.Second)
	if late := post("relay:42:C01PRODUCT"); late.ID == first.ID {
		t.Error("nonce still deduplicated after the window")
	}
}

func TestRateLimitIsRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	const wait = 300 * time.Millisecond
	b.fake.RateLimitNext("POST", "/channels/"+generalID+"/messages", wait, false)

	start := time.Now()
	if _, err := s.ChannelMessageSend(generalID, "hello"); err != nil {
		t.Fatalf("ChannelMessageSend: %v", err)
	}
	if took := time.Since(start); took < wait {
		t.Errorf("send took %v, want at least the %v retry_after", took, wait)
	}
	calls := b.fake.CallsTo("POST", "/channels/"+generalID+"/messages")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || calls[1].Status != http.StatusOK {
		t.Fatalf("calls = %d, want a 429 then a 200", len(calls))
	}
	if d := calls[1].At.Sub(calls[0].At); d < wait {
		t.Errorf("retried after %v, want at least %v", d, wait)
	}
}

func TestRateLimitWithoutRetryReturnsRateLimitError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	s.ShouldRetryOnRateLimit = false
	b.fake.RateLimitNext("POST", "/channels/", 1500*time.Millisecond, false)

	_, err := s.ChannelMessageSend(generalID, "hello")
	var rle *discordgo.RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("error = %v (%T), want *discordgo.RateLimitError", err, err)
	}
	if rle.RetryAfter != 1500*time.Millisecond || rle.Message != "You are being rate limited." {
		t.Errorf("RateLimitError = %+v, want retry after 1.5s", rle.TooManyRequests)
	}
	if n := len(b.fake.CallsTo("POST", "/channels/")); n != 1 {
		t.Errorf("%d calls, want 1 (no retry)", n)
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		t.Error("a 429 without retry also matched *discordgo.RESTError")
	}
}

func TestGlobalRateLimitHoldsOtherRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	s.ShouldRetryOnRateLimit = false
	const wait = 400 * time.Millisecond
	b.fake.RateLimitNext("GET", "/users/@me", wait, true)

	start := time.Now()
	if _, err := s.User("@me"); err == nil {
		t.Fatal("want the injected 429")
	}
	if _, err := s.Channel(generalID); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < wait {
		t.Errorf("a call on another route went after %v, want discordgo to hold it %v", took, wait)
	}
}

func TestFailNextAndForbid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)

	b.fake.FailNext("GET", "/channels/"+generalID, http.StatusInternalServerError, discordfake.APIError{Code: 0, Message: "500: Internal Server Error"})
	if _, err := s.Channel(generalID); err == nil {
		t.Error("want the injected 500")
	}
	if _, err := s.Channel(generalID); err != nil {
		t.Errorf("FailNext must fail one call only: %v", err)
	}

	b.fake.Forbid("DELETE", "/guilds/"+guildID+"/members/")
	for range 2 {
		if code := restCode(t, s.GuildMemberDelete(guildID, malloryID)); code != discordfake.CodeMissingPermissions {
			t.Errorf("kick while forbidden: code %d, want 50013", code)
		}
	}
	b.fake.Allow()
	if err := s.GuildMemberDelete(guildID, malloryID); err != nil {
		t.Errorf("kick after Allow: %v", err)
	}
	if _, ok := b.fake.Member(guildID, malloryID); ok {
		t.Error("mallory is still a member after the kick")
	}
}

func TestBanRecordsAuditLogReasonAndDeleteSeconds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	spam := b.fake.MessageCreate(generalID, malloryID, "buy now")
	reason := "case #3: spam — repeated"

	_, err := s.RequestWithBucketID("PUT", discordgo.EndpointGuildBan(guildID, malloryID),
		map[string]int{"delete_message_seconds": 3600}, discordgo.EndpointGuildBan(guildID, ""),
		discordgo.WithAuditLogReason(url.PathEscape(reason)))
	if err != nil {
		t.Fatalf("ban: %v", err)
	}
	ban, ok := b.fake.Ban(guildID, malloryID)
	if !ok || ban.Reason != reason || ban.DeleteMessageSeconds != 3600 {
		t.Errorf("ban = %+v, want reason %q and 3600 s", ban, reason)
	}
	calls := b.fake.CallsTo("PUT", "/guilds/"+guildID+"/bans/")
	if len(calls) != 1 || calls[0].AuditLogReason != reason || calls[0].Header.Get("X-Audit-Log-Reason") != url.PathEscape(reason) {
		t.Errorf("recorded call = %+v", calls)
	}
	if _, ok := b.fake.Member(guildID, malloryID); ok {
		t.Error("a banned member stays a member")
	}
	if _, ok := b.fake.Message(generalID, spam.ID); ok {
		t.Error("the banned user's recent message survived delete_message_seconds")
	}
	if got, err := s.GuildBan(guildID, malloryID); err != nil || got.Reason != reason {
		t.Errorf("GuildBan = %+v, %v", got, err)
	}

	// The owner cannot be banned.
	err = s.GuildBanCreateWithReason(guildID, ownerID, "nope", 0)
	if code := restCode(t, err); code != discordfake.CodeMissingPermissions {
		t.Errorf("banning the owner: code %d, want 50013", code)
	}
	if err := s.GuildBanDelete(guildID, malloryID); err != nil {
		t.Errorf("unban: %v", err)
	}
}

func TestTimeoutIsStoredAndHierarchyEnforced(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)

	if err := s.GuildMemberTimeout(guildID, malloryID, &until); err != nil {
		t.Fatalf("timeout: %v", err)
	}
	m, _ := b.fake.Member(guildID, malloryID)
	if m.CommunicationDisabledUntil == nil || !m.CommunicationDisabledUntil.Equal(until) {
		t.Errorf("communication_disabled_until = %v, want %v", m.CommunicationDisabledUntil, until)
	}
	if err := s.GuildMemberTimeout(guildID, malloryID, nil); err != nil {
		t.Fatalf("lift timeout: %v", err)
	}
	if m, _ := b.fake.Member(guildID, malloryID); m.CommunicationDisabledUntil != nil {
		t.Errorf("timeout not lifted: %v", m.CommunicationDisabledUntil)
	}

	b.fake.AddRole(guildID, discordfake.Role{ID: "120000000000000009", Name: "admins", Position: 9})
	b.fake.AddMember(guildID, discordfake.Member{UserID: "300000000000000009", Username: "boss", Roles: []string{"120000000000000009"}})
	if code := restCode(t, s.GuildMemberTimeout(guildID, "300000000000000009", &until)); code != discordfake.CodeMissingPermissions {
		t.Errorf("timing out a member above the bot: code %d, want 50013", code)
	}
	tooLong := time.Now().Add(29 * 24 * time.Hour)
	if code := restCode(t, s.GuildMemberTimeout(guildID, malloryID, &tooLong)); code != discordfake.CodeInvalidFormBody {
		t.Errorf("29-day timeout: code %d, want 50035", code)
	}
}

func TestBulkDeleteRefusesMessagesOlderThan14Days(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	now := time.Now()
	old := b.fake.AddMessage(generalID, malloryID, "ancient", now.Add(-15*24*time.Hour))
	recent1 := b.fake.AddMessage(generalID, malloryID, "spam 1", now.Add(-time.Hour))
	recent2 := b.fake.AddMessage(generalID, malloryID, "spam 2", now.Add(-time.Minute))

	err := s.ChannelMessagesBulkDelete(generalID, []string{old.ID, recent1.ID})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.Message == nil || re.Message.Code != discordfake.CodeBulkDeleteTooOld {
		t.Fatalf("bulk delete with a 15-day-old message: %v, want 400 code 50034", err)
	}
	if n := len(b.fake.Messages(generalID)); n != 3 {
		t.Fatalf("%d messages left, want all 3 (refused as a whole)", n)
	}

	if err := s.ChannelMessagesBulkDelete(generalID, []string{recent1.ID, recent2.ID}); err != nil {
		t.Fatalf("bulk delete of recent messages: %v", err)
	}
	if left := b.fake.Messages(generalID); len(left) != 1 || left[0].ID != old.ID {
		t.Errorf("left = %v, want only the old message", left)
	}
	_, err = s.RequestWithBucketID("POST", discordgo.EndpointChannelMessagesBulkDelete(generalID), map[string][]string{"messages": {old.ID}}, "")
	if code := restCode(t, err); code != discordfake.CodeInvalidFormBody {
		t.Errorf("bulk delete of one id: code %d, want 50035", code)
	}
}

func TestMessageHistoryPagesLikeDiscord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	base := time.Now().Add(-time.Hour)
	var ids []string
	for i := range 7 {
		ids = append(ids, b.fake.AddMessage(generalID, aliceID, "m", base.Add(time.Duration(i)*time.Minute)).ID)
	}
	idsOf := func(ms []*discordgo.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name                  string
		limit                 int
		before, after, around string
		want                  []string
	}{
		{"latest", 3, "", "", "", []string{ids[6], ids[5], ids[4]}},
		{"before", 2, ids[3], "", "", []string{ids[2], ids[1]}},
		{"after", 2, "", ids[3], "", []string{ids[5], ids[4]}},
		{"around", 3, "", "", ids[3], []string{ids[4], ids[3], ids[2]}},
	}
	for _, tt := range tests {
		got, err := s.ChannelMessages(generalID, tt.limit, tt.before, tt.after, tt.around)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if g := idsOf(got); strings.Join(g, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: ids = %v, want %v", tt.name, g, tt.want)
		}
	}
}

func TestCommandsBulkOverwriteThenGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	cmds := []*discordgo.ApplicationCommand{
		{Name: "warn", Description: "Warn a member", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "Who", Required: true},
			{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why", Required: true},
		}},
		{Name: "purge", Description: "Delete recent messages"},
		{Name: "Send to product", Type: discordgo.MessageApplicationCommand},
	}
	created, err := s.ApplicationCommandBulkOverwrite(botID, guildID, cmds)
	if err != nil {
		t.Fatalf("bulk overwrite: %v", err)
	}
	if len(created) != 3 || created[0].ID == "" || created[0].ApplicationID != botID || created[0].GuildID != guildID {
		t.Fatalf("created = %+v", created)
	}
	got, err := s.ApplicationCommands(botID, guildID)
	if err != nil || len(got) != 3 || got[0].Name != "warn" || got[0].ID != created[0].ID || len(got[0].Options) != 2 {
		t.Fatalf("ApplicationCommands = %+v, %v", got, err)
	}

	again, err := s.ApplicationCommandBulkOverwrite(botID, guildID, cmds[:1])
	if err != nil || len(again) != 1 || again[0].ID != created[0].ID {
		t.Errorf("overwrite with a subset = %+v, %v; want warn keeping id %s", again, err, created[0].ID)
	}
	if n := len(b.fake.Commands(guildID)); n != 1 {
		t.Errorf("%d commands registered, want 1 (overwrite replaces the set)", n)
	}

	bad := []*discordgo.ApplicationCommand{{Name: "ban", Description: "Ban", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "duration", Description: "How long"},
		{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "Who", Required: true},
	}}}
	_, err = s.ApplicationCommandBulkOverwrite(botID, guildID, bad)
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != discordfake.CodeInvalidFormBody || !strings.Contains(string(re.ResponseBody), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID") {
		t.Errorf("required option after optional: %v", err)
	}
	if _, err := s.ApplicationCommandBulkOverwrite("777", guildID, cmds); restCode(t, err) != discordfake.CodeNotAuthorizedApp {
		t.Errorf("another application's id: %v", err)
	}
}

func TestReactionsAndEdits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	m := b.fake.MessageCreate(feedbackID, aliceID, "love the new dashboard")

	if err := s.MessageReactionAdd(feedbackID, m.ID, "📣"); err != nil {
		t.Fatalf("MessageReactionAdd: %v", err)
	}
	got, _ := b.fake.Message(feedbackID, m.ID)
	if len(got.Reactions) != 1 || got.Reactions[0].Emoji != "📣" || got.Reactions[0].UserIDs[0] != botID {
		t.Errorf("reactions = %+v", got.Reactions)
	}
	if err := s.MessageReactionRemove(feedbackID, m.ID, "📣", "@me"); err != nil {
		t.Fatalf("MessageReactionRemove: %v", err)
	}
	if got, _ := b.fake.Message(feedbackID, m.ID); len(got.Reactions) != 0 {
		t.Errorf("reactions after removal = %+v", got.Reactions)
	}

	if _, err := s.ChannelMessageEdit(feedbackID, m.ID, "not yours"); restCode(t, err) != discordfake.CodeCannotEditOthers {
		t.Errorf("editing alice's message: %v", err)
	}
	own, _ := s.ChannelMessageSend(feedbackID, "draft")
	edited, err := s.ChannelMessageEdit(feedbackID, own.ID, "final")
	if err != nil || edited.Content != "final" || edited.EditedTimestamp == nil {
		t.Errorf("edit = %+v, %v", edited, err)
	}
	if err := s.ChannelMessageDelete(feedbackID, own.ID); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, ok := b.fake.Message(feedbackID, own.ID); ok {
		t.Error("deleted message still stored")
	}
}

func TestSlowmodeIsStored(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	slow := 30
	c, err := s.ChannelEdit(generalID, &discordgo.ChannelEdit{RateLimitPerUser: &slow})
	if err != nil || c.RateLimitPerUser != 30 {
		t.Fatalf("ChannelEdit = %+v, %v", c, err)
	}
	if got, _ := b.fake.Channel(generalID); got.RateLimitPerUser != 30 {
		t.Errorf("stored slowmode = %d, want 30", got.RateLimitPerUser)
	}
	tooSlow := 21601
	if _, err := s.ChannelEdit(generalID, &discordgo.ChannelEdit{RateLimitPerUser: &tooSlow}); restCode(t, err) != discordfake.CodeInvalidFormBody {
		t.Errorf("slowmode above 6 h: %v", err)
	}
}

func TestTwoSessionsTalkToTwoFakes(t *testing.T) {
	t.Parallel()
	one, two := setup(t), setup(t)
	two.fake.SetBotUser("200000000000000002", "staging")
	s1, s2 := newSession(t, one.fake), newSession(t, two.fake)

	u1, err1 := s1.User("@me")
	u2, err2 := s2.User("@me")
	if err1 != nil || err2 != nil || u1.ID != botID || u2.ID != "200000000000000002" {
		t.Errorf("bots = %v (%v), %v (%v); want each fake's own", u1, err1, u2, err2)
	}
	if len(one.fake.Calls()) != 1 || len(two.fake.Calls()) != 1 {
		t.Errorf("calls = %d and %d, want 1 each", len(one.fake.Calls()), len(two.fake.Calls()))
	}
}
