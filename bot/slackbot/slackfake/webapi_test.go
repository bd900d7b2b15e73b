package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

const (
	botToken = "xoxb-test-token"
	appToken = "xapp-1-test-token"
	product  = "C01PRODUCT"
	market   = "C01MARKETING"
	carol    = "U01CAROL"
)

// setup starts a fake with two channels and a person, and a real slack-go
// client pointed at it.
func setup(t *testing.T) (*slackfake.Server, *slack.Client) {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	fake.SetToken(botToken)
	fake.SetAppToken(appToken)
	fake.AddChannel(product, "product")
	fake.AddChannel(market, "marketing")
	fake.AddUser(carol, "carol", false)
	api := slack.New(botToken, slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(appToken))
	return fake, api
}

// manualClock is a clock a test moves by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func wantSlackError(t *testing.T, err error, code string) {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want slack.SlackErrorResponse %q", err, err, code)
	}
	if se.Err != code {
		t.Fatalf("slack error = %q, want %q", se.Err, code)
	}
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

var tsPattern = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestPostMessageStoresBlocksAndMetadataReturnedOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	meta := slack.SlackMetadata{EventType: "liaison_outbox", EventPayload: map[string]any{"key": "relay:42:C01PRODUCT"}}

	channel, ts, err := api.PostMessage(product,
		slack.MsgOptionText("export crashes", false),
		slack.MsgOptionBlocks(section("*export crashes*")),
		slack.MsgOptionMetadata(meta))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if channel != product || !tsPattern.MatchString(ts) {
		t.Fatalf("PostMessage = %q, %q; want %q and a Slack ts", channel, ts, product)
	}

	with, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product, IncludeAllMetadata: true})
	if err != nil {
		t.Fatalf("GetConversationHistory: %v", err)
	}
	if len(with.Messages) != 1 {
		t.Fatalf("history has %d messages, want 1", len(with.Messages))
	}
	got := with.Messages[0]
	if got.Timestamp != ts || got.Text != "export crashes" || got.BotID == "" {
		t.Errorf("history message = ts %q text %q bot %q; want %q, the text, a bot id", got.Timestamp, got.Text, got.BotID, ts)
	}
	if got.Metadata.EventType != "liaison_outbox" || got.Metadata.EventPayload["key"] != "relay:42:C01PRODUCT" {
		t.Errorf("metadata with include_all_metadata = %+v, want %+v", got.Metadata, meta)
	}
	if len(got.Blocks.BlockSet) != 1 || got.Blocks.BlockSet[0].BlockType() != slack.MBTSection {
		t.Errorf("blocks = %+v, want one section", got.Blocks.BlockSet)
	}

	without, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product})
	if err != nil {
		t.Fatalf("GetConversationHistory: %v", err)
	}
	if md := without.Messages[0].Metadata; md.EventType != "" || md.EventPayload != nil {
		t.Errorf("metadata without include_all_metadata = %+v, want none", md)
	}

	stored := fake.Messages(product)
	if len(stored) != 1 || stored[0].Metadata == nil || stored[0].Metadata.EventType != "liaison_outbox" {
		t.Fatalf("Messages = %+v, want the message with its metadata", stored)
	}
	if !strings.Contains(string(stored[0].Blocks), `"*export crashes*"`) {
		t.Errorf("stored blocks = %s, want the section", stored[0].Blocks)
	}
}

func TestTimestampsAreUniqueAndIncreasing(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	clock := &manualClock{now: time.Unix(1700000000, 0)}
	fake.SetClock(clock.Now)

	var prev string
	for i := range 3 {
		_, ts, err := api.PostMessage(product, slack.MsgOptionText("hi", false))
		if err != nil {
			t.Fatalf("PostMessage %d: %v", i, err)
		}
		if prev != "" && ts <= prev {
			t.Fatalf("ts %q after %q, want increasing", ts, prev)
		}
		prev = ts
	}
	if prev != "1700000000.000002" {
		t.Errorf("third ts at a stopped clock = %q, want 1700000000.000002", prev)
	}
}

func TestThreadRepliesAndBroadcasts(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	_, parent, err := api.PostMessage(product, slack.MsgOptionText("feedback #7", false))
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := api.PostMessage(product, slack.MsgOptionText("SLA reminder", false), slack.MsgOptionTS(parent))
	if err != nil {
		t.Fatal(err)
	}
	// A reply to the reply joins the parent's thread, as in Slack.
	_, nested, err := api.PostMessage(product, slack.MsgOptionText("again", false), slack.MsgOptionTS(reply), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatal(err)
	}

	msgs, hasMore, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: product, Timestamp: parent})
	if err != nil {
		t.Fatalf("GetConversationReplies: %v", err)
	}
	if hasMore || len(msgs) != 3 || msgs[0].Timestamp != parent || msgs[1].Timestamp != reply || msgs[2].Timestamp != nested {
		t.Fatalf("replies = %d messages (has_more %v), want parent, reply, nested", len(msgs), hasMore)
	}
	if msgs[1].ThreadTimestamp != parent || msgs[2].ThreadTimestamp != parent {
		t.Errorf("reply thread_ts = %q, %q; want %q", msgs[1].ThreadTimestamp, msgs[2].ThreadTimestamp, parent)
	}

	hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product})
	if err != nil {
		t.Fatal(err)
	}
	// Newest first: the broadcast reply, then the parent; the plain reply stays in the thread.
	if len(hist.Messages) != 2 || hist.Messages[0].Timestamp != nested || hist.Messages[1].Timestamp != parent {
		t.Fatalf("history = %+v, want the broadcast then the parent", hist.Messages)
	}
	if hist.Messages[0].SubType != "thread_broadcast" {
		t.Errorf("broadcast subtype = %q, want thread_broadcast", hist.Messages[0].SubType)
	}
	if got := hist.Messages[1].ReplyCount; got != 2 {
		t.Errorf("parent reply_count = %d, want 2", got)
	}

	// A reply to a message that does not exist is posted outside any thread.
	_, orphan, err := api.PostMessage(product, slack.MsgOptionText("orphan", false), slack.MsgOptionTS("1600000000.000001"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := fake.Message(product, orphan); m.ThreadTS != "" {
		t.Errorf("orphan reply thread_ts = %q, want none", m.ThreadTS)
	}
}

func TestUpdateAndDeleteMessage(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	_, ts, err := api.PostMessage(product, slack.MsgOptionText("draft", false), slack.MsgOptionBlocks(section("draft")))
	if err != nil {
		t.Fatal(err)
	}
	channel, gotTS, text, err := api.UpdateMessage(product, ts, slack.MsgOptionText("approved", false))
	if err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	if channel != product || gotTS != ts || text != "approved" {
		t.Errorf("UpdateMessage = %q %q %q, want %q %q approved", channel, gotTS, text, product, ts)
	}
	m, ok := fake.Message(product, ts)
	if !ok || m.Text != "approved" || !m.Edited || len(m.Blocks) == 0 {
		t.Errorf("after update: %+v, want text approved, edited, blocks kept", m)
	}
	hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product})
	if err != nil {
		t.Fatal(err)
	}
	if hist.Messages[0].Edited == nil {
		t.Error("history shows no edited mark")
	}

	_, _, _, err = api.UpdateMessage(product, "1600000000.000001", slack.MsgOptionText("x", false))
	wantSlackError(t, err, "message_not_found")

	userTS := fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "mine"})
	_, _, _, err = api.UpdateMessage(product, userTS, slack.MsgOptionText("x", false))
	wantSlackError(t, err, "cant_update_message")

	if _, _, err := api.DeleteMessage(product, ts); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if _, ok := fake.Message(product, ts); ok {
		t.Error("deleted message is still there")
	}
}

func TestPostEphemeralIsRecordedForTheUserOnly(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ts, err := api.PostEphemeral(product, carol, slack.MsgOptionText("only you can see this", false))
	if err != nil {
		t.Fatalf("PostEphemeral: %v", err)
	}
	got := fake.Ephemerals(product)
	if len(got) != 1 || got[0].User != carol || got[0].TS != ts || got[0].Text != "only you can see this" {
		t.Fatalf("Ephemerals = %+v, want one to carol with ts %q", got, ts)
	}
	if msgs := fake.Messages(product); len(msgs) != 0 {
		t.Errorf("channel has %d messages, want none", len(msgs))
	}
	_, err = api.PostEphemeral(product, "U0NOBODY", slack.MsgOptionText("x", false))
	wantSlackError(t, err, "user_not_in_channel")
}

func TestAddReactionTwiceIsAlreadyReacted(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ts := fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "the export button crashes"})
	ref := slack.NewRefToMessage(product, ts)
	if err := api.AddReaction("white_check_mark", ref); err != nil {
		t.Fatalf("AddReaction: %v", err)
	}
	wantSlackError(t, api.AddReaction("white_check_mark", ref), "already_reacted")
	wantSlackError(t, api.AddReaction(":x:", ref), "invalid_name")

	m, _ := fake.Message(product, ts)
	if len(m.Reactions) != 1 || m.Reactions[0].Name != "white_check_mark" || len(m.Reactions[0].Users) != 1 || m.Reactions[0].Users[0] != "U0BOT" {
		t.Errorf("reactions = %+v, want white_check_mark by the bot", m.Reactions)
	}
	if err := api.RemoveReaction("white_check_mark", ref); err != nil {
		t.Fatalf("RemoveReaction: %v", err)
	}
	wantSlackError(t, api.RemoveReaction("white_check_mark", ref), "no_reaction")
}

func modal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		CallbackID: "reject_reason",
		Blocks:     slack.Blocks{BlockSet: []slack.Block{section("Why?")}},
	}
}

func TestOpenViewNeedsAFreshTriggerID(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	clock := &manualClock{now: time.Unix(1700000000, 0)}
	fake.SetClock(clock.Now)

	trigger := fake.TriggerID(carol)
	resp, err := api.OpenView(trigger, modal("Reject"))
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	if resp.View.ID == "" || resp.View.CallbackID != "reject_reason" || resp.View.Hash == "" {
		t.Fatalf("OpenView view = %+v, want an id, the callback id and a hash", resp.View)
	}
	views := fake.Views()
	if len(views) != 1 || views[0].ID != resp.View.ID || views[0].User != carol || views[0].CallbackID != "reject_reason" {
		t.Fatalf("Views = %+v, want the modal opened for carol", views)
	}

	_, err = api.OpenView(trigger, modal("Again"))
	wantSlackError(t, err, "exchanged_trigger_id")
	_, err = api.OpenView("123.456.nope", modal("Reject"))
	wantSlackError(t, err, "invalid_trigger_id")

	late := fake.TriggerID(carol)
	clock.Advance(4 * time.Second)
	_, err = api.OpenView(late, modal("Reject"))
	wantSlackError(t, err, "expired_trigger_id")

	updated, err := api.UpdateView(modal("Rejected"), "", resp.View.Hash, resp.View.ID)
	if err != nil {
		t.Fatalf("UpdateView: %v", err)
	}
	if updated.View.Title.Text != "Rejected" {
		t.Errorf("updated title = %q, want Rejected", updated.View.Title.Text)
	}
	_, err = api.UpdateView(modal("x"), "", resp.View.Hash, resp.View.ID)
	wantSlackError(t, err, "hash_conflict")

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{section("hi")}}}
	if _, err := api.PublishView(carol, home, ""); err != nil {
		t.Fatalf("PublishView: %v", err)
	}
}

func TestUploadFileSharesItInTheThread(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	_, parent, err := api.PostMessage(market, slack.MsgOptionText("weekly digest", false))
	if err != nil {
		t.Fatal(err)
	}
	png := "\x89PNG fake chart bytes"
	summary, err := api.UploadFileContext(context.Background(), slack.UploadFileParameters{
		Reader:          strings.NewReader(png),
		Filename:        "chart.png",
		FileSize:        len(png),
		Title:           "Activity",
		Channel:         market,
		ThreadTimestamp: parent,
		InitialComment:  "this week",
	})
	if err != nil {
		t.Fatalf("UploadFileContext: %v", err)
	}
	f, ok := fake.File(summary.ID)
	if !ok || string(f.Data) != png || f.Name != "chart.png" || f.Title != "Activity" {
		t.Fatalf("File(%q) = %+v, %v; want the uploaded chart", summary.ID, f, ok)
	}

	msgs, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: market, Timestamp: parent})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("thread has %d messages, want parent and the file share", len(msgs))
	}
	share := msgs[1]
	if share.Text != "this week" || len(share.Files) != 1 || share.Files[0].ID != summary.ID || share.Files[0].Name != "chart.png" || share.Files[0].Mimetype != "image/png" {
		t.Errorf("file share = text %q files %+v, want the comment and chart.png", share.Text, share.Files)
	}

	// The url_private serves the bytes to the bot.
	req, _ := http.NewRequest(http.MethodGet, share.Files[0].URLPrivate, nil)
	req.Header.Set("Authorization", "Bearer "+botToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != png {
		t.Errorf("url_private served %q, want the file", body)
	}

	for _, method := range []string{"files.getUploadURLExternal", "files.completeUploadExternal"} {
		if n := len(fake.CallsTo(method)); n != 1 {
			t.Errorf("%d calls to %s, want 1", n, method)
		}
	}
	if got := fake.CallsTo("files.completeUploadExternal")[0].Params.Get("channel_id"); got != market {
		t.Errorf("completeUploadExternal channel_id = %q, want %q", got, market)
	}
}

func TestUserGroupsAndUsers(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	fake.AddUser("U01DAVE", "dave", false)
	fake.AddUsergroup("S01LEADS", "leads", carol, "U01DAVE")

	members, err := api.GetUserGroupMembers("S01LEADS")
	if err != nil {
		t.Fatalf("GetUserGroupMembers: %v", err)
	}
	if strings.Join(members, ",") != carol+",U01DAVE" {
		t.Errorf("members = %v, want carol and dave", members)
	}
	_, err = api.GetUserGroupMembers("S0NONE")
	wantSlackError(t, err, "no_such_subteam")

	u, err := api.GetUserInfo(carol)
	if err != nil {
		t.Fatalf("GetUserInfo: %v", err)
	}
	if u.ID != carol || u.Name != "carol" || u.IsBot {
		t.Errorf("user = %+v, want carol, not a bot", u)
	}
	bot, err := api.GetUserInfo("U0BOT")
	if err != nil || !bot.IsBot {
		t.Errorf("bot user = %+v, %v; want a bot", bot, err)
	}
	_, err = api.GetUserInfo("U0NOBODY")
	wantSlackError(t, err, "user_not_found")
}

func TestRateLimitNextIsARateLimitedError(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	fake.RateLimitNext("chat.postMessage", 3*time.Second)

	_, _, err := api.PostMessage(product, slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("error = %v (%T), want *slack.RateLimitedError", err, err)
	}
	if rl.RetryAfter != 3*time.Second {
		t.Errorf("RetryAfter = %v, want 3s", rl.RetryAfter)
	}
	if n := len(fake.Messages(product)); n != 0 {
		t.Errorf("rate-limited call posted %d messages", n)
	}
	if _, _, err := api.PostMessage(product, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("next call: %v, want success", err)
	}
}

func TestEnforceRateLimitsEachChannelWithABurst(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	clock := &manualClock{now: time.Unix(1700000000, 0)}
	fake.SetClock(clock.Now)
	fake.EnforceRate("chat.postMessage", time.Second, 3)

	var ok, limited int
	for range 5 {
		_, _, err := api.PostMessage(product, slack.MsgOptionText("hi", false))
		var rl *slack.RateLimitedError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &rl):
			limited++
			if rl.RetryAfter != time.Second {
				t.Errorf("RetryAfter = %v, want 1s", rl.RetryAfter)
			}
		default:
			t.Fatalf("PostMessage: %v", err)
		}
	}
	if ok != 3 || limited != 2 {
		t.Fatalf("5 quick posts: %d ok, %d limited; want 3 and 2", ok, limited)
	}
	if n := len(fake.Messages(product)); n != 3 {
		t.Errorf("channel has %d messages, want 3", n)
	}
	if _, _, err := api.PostMessage(market, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("another channel: %v, want unaffected", err)
	}
	clock.Advance(time.Second)
	if _, _, err := api.PostMessage(product, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("a second later: %v, want one more allowed", err)
	}
	if _, _, err := api.PostMessage(product, slack.MsgOptionText("hi", false)); err == nil {
		t.Error("two in that second were allowed, want one")
	}
}

func TestInjectedFailures(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)

	_, _, err := api.PostMessage("C0NOWHERE", slack.MsgOptionText("hi", false))
	wantSlackError(t, err, "channel_not_found")

	fake.FailNext("chat.postMessage", "is_archived")
	_, _, err = api.PostMessage(product, slack.MsgOptionText("hi", false))
	wantSlackError(t, err, "is_archived")

	fake.StatusNext("chat.postMessage", http.StatusInternalServerError)
	_, _, err = api.PostMessage(product, slack.MsgOptionText("hi", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
		t.Fatalf("error = %v (%T), want slack.StatusCodeError 500", err, err)
	}

	if _, _, err := api.PostMessage(product, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("after the injections: %v, want success", err)
	}
	if n := len(fake.CallsTo("chat.postMessage")); n != 4 {
		t.Errorf("%d calls recorded, want 4", n)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ts := fake.AddMessage(slackfake.Message{Channel: product, User: carol, Text: "hi"})
	wrong := slack.New("xoxb-wrong", slack.OptionAPIURL(fake.APIURL()))

	// Form-encoded (token in the body), GET (bearer header), JSON (bearer header).
	_, _, err := wrong.PostMessage(product, slack.MsgOptionText("hi", false))
	wantSlackError(t, err, "invalid_auth")
	_, err = wrong.GetPermalink(&slack.PermalinkParameters{Channel: product, Ts: ts})
	wantSlackError(t, err, "invalid_auth")
	_, err = wrong.OpenView(fake.TriggerID(carol), modal("x"))
	wantSlackError(t, err, "invalid_auth")

	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: product, Ts: ts})
	if err != nil || !strings.Contains(link, "/archives/"+product+"/p") {
		t.Errorf("GetPermalink = %q, %v; want an archives link", link, err)
	}

	// Socket Mode wants the app-level token, the Web API the bot token.
	_, _, err = api.StartSocketModeContext(context.Background())
	if err != nil {
		t.Errorf("apps.connections.open with the app token: %v", err)
	}
	botOnly := slack.New(botToken, slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(botToken))
	_, _, err = botOnly.StartSocketModeContext(context.Background())
	wantSlackError(t, err, "not_allowed_token_type")
	appAsBot := slack.New(appToken, slack.OptionAPIURL(fake.APIURL()))
	_, err = appAsBot.AuthTest()
	wantSlackError(t, err, "not_allowed_token_type")

	auth, err := api.AuthTest()
	if err != nil || auth.UserID != "U0BOT" || auth.TeamID != slackfake.TeamID {
		t.Errorf("AuthTest = %+v, %v; want the bot user in the fake team", auth, err)
	}
}

func TestJSONBodiesAndUnknownMethods(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)

	call := func(method, contentType, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, fake.APIURL()+method, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+botToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	out := call("chat.postMessage", "application/json", `{"channel":"#product","text":"from JSON","metadata":{"event_type":"t","event_payload":{"n":1}}}`)
	if out["ok"] != true || out["channel"] != product {
		t.Fatalf("JSON chat.postMessage = %v, want ok in %s", out, product)
	}
	m := fake.Messages(product)
	if len(m) != 1 || m[0].Text != "from JSON" || m[0].Metadata == nil || m[0].Metadata.EventType != "t" {
		t.Errorf("stored = %+v, want the JSON message with metadata", m)
	}
	calls := fake.CallsTo("chat.postMessage")
	if got := calls[0].Params.Get("metadata"); got != `{"event_payload":{"n":1},"event_type":"t"}` {
		t.Errorf("flattened metadata param = %s", got)
	}

	if out := call("chat.postMessage", "application/json", `{"channel":"#product"}`); out["error"] != "no_text" {
		t.Errorf("message without text = %v, want no_text", out)
	}
	if out := call("chat.postMessage", "application/x-www-form-urlencoded", `channel=C01PRODUCT&text=x&blocks=not-json`); out["error"] != "invalid_blocks" {
		t.Errorf("bad blocks = %v, want invalid_blocks", out)
	}
	if out := call("chat.frobnicate", "application/json", `{}`); out["error"] != "unknown_method" {
		t.Errorf("unknown method = %v, want unknown_method", out)
	}
	_, err := api.GetTeamInfo()
	wantSlackError(t, err, "unknown_method")
}

func TestHistoryPagination(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	clock := &manualClock{now: time.Unix(1700000000, 0)}
	fake.SetClock(clock.Now)
	var all []string
	for range 5 {
		clock.Advance(time.Second)
		_, ts, err := api.PostMessage(product, slack.MsgOptionText("m", false))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ts)
	}

	var seen []string
	cursor := ""
	for range 5 {
		page, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			seen = append(seen, m.Timestamp)
		}
		cursor = page.ResponseMetaData.NextCursor
		if page.HasMore != (cursor != "") {
			t.Errorf("has_more %v with cursor %q", page.HasMore, cursor)
		}
		if cursor == "" {
			break
		}
	}
	want := []string{all[4], all[3], all[2], all[1], all[0]}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("pages = %v, want %v", seen, want)
	}

	window, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product, Oldest: all[1], Latest: all[3]})
	if err != nil {
		t.Fatal(err)
	}
	if len(window.Messages) != 1 || window.Messages[0].Timestamp != all[2] {
		t.Errorf("exclusive window = %d messages, want only %s", len(window.Messages), all[2])
	}
	window, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: product, Oldest: all[1], Latest: all[3], Inclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(window.Messages) != 3 {
		t.Errorf("inclusive window = %d messages, want 3", len(window.Messages))
	}
}

func TestConversationInfoAndDirectMessages(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: product})
	if err != nil {
		t.Fatalf("GetConversationInfo: %v", err)
	}
	if ch.ID != product || ch.Name != "product" || !ch.IsChannel {
		t.Errorf("channel = %+v, want #product", ch)
	}
	_, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0NONE"})
	wantSlackError(t, err, "channel_not_found")

	dm, _, err := api.PostMessage(carol, slack.MsgOptionText("please approve", false))
	if err != nil {
		t.Fatalf("PostMessage to a user: %v", err)
	}
	if !strings.HasPrefix(dm, "D") || len(fake.Messages(dm)) != 1 {
		t.Errorf("DM channel %q with %d messages, want a D… channel with the message", dm, len(fake.Messages(dm)))
	}
}

func TestCallsAreRecordedWithTheClock(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return at })
	if _, _, err := api.PostMessage(product, slack.MsgOptionText("hello", false)); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	c := calls[0]
	if c.Method != "chat.postMessage" || c.Params.Get("channel") != product || c.Params.Get("text") != "hello" || !c.At.Equal(at) || len(c.Body) == 0 {
		t.Errorf("call = %+v, want chat.postMessage to product with the text at %v", c, at)
	}
}

func TestResponseURLActsLikeSlack(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ts, err := func() (string, error) {
		_, ts, err := api.PostMessage(product, slack.MsgOptionText("Approve?", false))
		return ts, err
	}()
	if err != nil {
		t.Fatal(err)
	}

	inChannel := fake.ResponseURL(product, carol, "")
	if _, _, err := api.PostMessage("", slack.MsgOptionText("posted for all", false), slack.MsgOptionResponseURL(inChannel, slack.ResponseTypeInChannel)); err != nil {
		t.Fatalf("in_channel response: %v", err)
	}
	ephemeral := fake.ResponseURL(product, carol, "")
	if _, _, err := api.PostMessage("", slack.MsgOptionText("just you", false), slack.MsgOptionResponseURL(ephemeral, slack.ResponseTypeEphemeral)); err != nil {
		t.Fatalf("ephemeral response: %v", err)
	}
	clicked := fake.ResponseURL(product, carol, ts)
	if _, _, err := api.PostMessage("", slack.MsgOptionText("Approved by carol", false), slack.MsgOptionReplaceOriginal(clicked)); err != nil {
		t.Fatalf("replace_original response: %v", err)
	}

	msgs := fake.Messages(product)
	if len(msgs) != 2 || msgs[0].Text != "Approved by carol" || !msgs[0].Edited || msgs[1].Text != "posted for all" {
		t.Errorf("channel = %+v, want the replaced original and the in_channel answer", msgs)
	}
	if e := fake.Ephemerals(product); len(e) != 1 || e[0].User != carol || e[0].Text != "just you" {
		t.Errorf("ephemerals = %+v, want one to carol", e)
	}
	rs := fake.Responses()
	if len(rs) != 3 || rs[0].ResponseType != "in_channel" || !rs[2].ReplaceOriginal {
		t.Errorf("responses = %+v, want the three POSTs", rs)
	}
}

func TestWaitUntilWakesOnChange(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessage(product, slack.MsgOptionText("async", false))
		errc <- err
	}()
	if err := fake.WaitUntil(ctx, func() bool { return len(fake.Messages(product)) == 1 }); err != nil {
		t.Fatalf("WaitUntil: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	if err := fake.WaitUntil(short, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitUntil on a cancelled context = %v, want context.Canceled", err)
	}
}
