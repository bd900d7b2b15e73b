package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/handlers"
)

// Giveaways end to end: `liaison run` against both fakes with the real
// clients, on SQLite and Postgres, in the moderation tests' world (dave
// moderates; bob is staff; sam holds the senior role) plus a fans role and
// a few newcomers.

const (
	gwFans     = "1200000000000000020"
	gwEve      = "1400000000000000007"
	gwFresh    = "1400000000000000008" // joined the server an hour before the giveaway
	gwBoosters = "1200000000000000021"
	gwCheater  = "1400000000000000009" // on giveaways.blacklist
	gwOtherBot = "1000000000000000077" // another bot on the server
	gwClosed   = "1100000000000000009" // #announcements: @everyone may not post
)

// gwNewbie is an account created two days before the giveaway starts.
func gwNewbie(now time.Time) string {
	return strconv.FormatInt((now.Add(-48*time.Hour).UnixMilli()-1420070400000)<<22|1, 10)
}

const gwExtra = `approvals:
  channel: approvals
  approvers: [carol, bob]
giveaways:
  claim_within: 48h
  bonus: {boosters: 5}
  blacklist: ["` + gwCheater + `"]
`

// gwApprovals is Slack's #approvals, where carol or bob approve the texts
// Liaison says in the brand's name.
const gwApprovals = "C01APPROVALS"

// newGWWorld is the moderation world with the giveaways' members and
// config; the clock is moved two days on, so the world's members have
// been on the server that long.
func newGWWorld(t *testing.T, giveawayKeys ...string) *mdWorld {
	t.Helper()
	w := newMDWorld(t)
	cfg := strings.Replace(mdConfig, "channels: {mod-log: C01MODLOG}", "channels: {mod-log: C01MODLOG, community: C01COMMUNITY, approvals: "+gwApprovals+"}", 1)
	cfg = strings.Replace(cfg, `protected: ["`+mdProt+`"]}`, `protected: ["`+mdProt+`"], boosters: ["`+gwBoosters+`"]}`, 1)
	if err := os.WriteFile(w.config, []byte(cfg+gwExtra+strings.Join(giveawayKeys, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	w.slack.AddChannel("C01COMMUNITY", "community")
	w.slack.AddChannel(gwApprovals, "approvals")
	w.discord.AddChannel(mdGuild, discordfake.Channel{ID: gwClosed, Name: "announcements",
		PermissionOverwrites: []discordfake.Overwrite{{ID: mdGuild, Deny: 1 << 11}}})
	// Liaison may attach files (the entrant list), as its invitation asks.
	w.discord.AddRole(mdGuild, discordfake.Role{ID: mdBotRole, Name: "Liaison", Position: 40,
		Permissions: bot.PermBanMembers | bot.PermKickMembers | bot.PermModerateMembers | 1<<15})
	w.discord.AddRole(mdGuild, discordfake.Role{ID: gwFans, Name: "fans", Position: 2})
	w.discord.AddRole(mdGuild, discordfake.Role{ID: gwBoosters, Name: "boosters", Position: 3})
	w.clock.Advance(48 * time.Hour)
	now := w.clock.Now()
	for _, m := range []discordfake.Member{
		{UserID: mdAlice, Username: "alice", Roles: []string{gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: mdSam, Username: "sam", Roles: []string{mdSenior, gwFans, gwBoosters}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: mdPat, Username: "pat", Roles: []string{gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: mdMallory, Username: "mallory", Roles: []string{gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: mdBob, Username: "bob", Roles: []string{mdStaff, gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: gwEve, Username: "eve", JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: gwFresh, Username: "fresh", Roles: []string{gwFans}, JoinedAt: now.Add(-time.Hour)},
		{UserID: gwCheater, Username: "cheater", Roles: []string{gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: gwOtherBot, Username: "otherbot", Bot: true, Roles: []string{gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
		{UserID: gwNewbie(now), Username: "newbie", Roles: []string{gwFans}, JoinedAt: now.Add(-48 * time.Hour)},
	} {
		w.discord.AddMember(mdGuild, m)
	}
	return w
}

// announcementText waits for the approval message, in #approvals, of
// the giveaway announcement text in lang whose quote contains want.
func (w *mdWorld) announcementText(t *testing.T, lang, want string) slackfake.Message {
	t.Helper()
	var found slackfake.Message
	w.waitSlack(t, "the announcement text's approval message", func() bool {
		for _, m := range w.slack.Messages(gwApprovals) {
			if b := string(m.Blocks); strings.Contains(b, "Giveaway announcement text to approve ("+lang+")") && strings.Contains(b, want) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// decideText clicks Approve (or Reject) on a text's approval message as
// the Slack user, and returns what Slack showed them.
func (w *mdWorld) decideText(t *testing.T, a *mdApp, m slackfake.Message, user, label string) string {
	t.Helper()
	value := buttonValue(t, m, "template.decide") // as first posted: a late click still carries it
	if label == "Reject" {
		value = "reject:" + strings.TrimPrefix(value, "approve:")
	}
	before := len(w.slack.Ephemerals(gwApprovals))
	w.send(t, w.slack.Interaction(a.base, mdSecret, w.clock.Now(), &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: m.Channel}}},
		Container: slack.Container{Type: "message", MessageTs: m.TS, ChannelID: m.Channel},
		Message:   slack.Message{Msg: slack.Msg{Timestamp: m.TS}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: "template.decide", BlockID: "actions", Value: value, Type: "button"}}},
	}))
	var told string
	w.waitSlack(t, user+" to be told what their click did", func() bool {
		es := w.slack.Ephemerals(gwApprovals)
		if len(es) == before {
			return false
		}
		told = es[len(es)-1].Text
		return true
	})
	return told
}

// approveAnnouncements approves the English announcement text, as carol:
// the text is asked for when the first giveaway starts.
func (w *mdWorld) approveAnnouncements(t *testing.T, a *mdApp) {
	t.Helper()
	m := w.announcementText(t, "en", "Congratulations!")
	if told := w.decideText(t, a, m, "U01CAROL", "Approve"); !strings.Contains(told, "You approved the giveaway announcement text (en)") {
		t.Fatalf("carol approving the announcement text was told %q", told)
	}
}

func intOpt(name string, v int) discordfake.CommandOption {
	return discordfake.CommandOption{Name: name, Type: 4, Value: v}
}

func roleOpt(name, id string) discordfake.CommandOption {
	return discordfake.CommandOption{Name: name, Type: 8, Value: id}
}

// giveaway runs /giveaway VERB with its options, as user.
func (w *mdWorld) giveaway(t *testing.T, user, verb string, opts ...discordfake.CommandOption) answer {
	t.Helper()
	return w.slash(t, user, "giveaway", discordfake.CommandOption{Name: verb, Type: 1, Options: opts})
}

// message waits for a message of #general whose content matches.
func (w *mdWorld) message(t *testing.T, what string, match func(m discordfake.Message) bool) discordfake.Message {
	t.Helper()
	var found discordfake.Message
	w.wait(t, what, func() bool {
		for _, m := range w.discord.Messages(mdGeneral) {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

func (w *mdWorld) countMessages(match func(m discordfake.Message) bool) int {
	n := 0
	for _, m := range w.discord.Messages(mdGeneral) {
		if match(m) {
			n++
		}
	}
	return n
}

// press clicks the button labelled label on a channel message, as user.
func (w *mdWorld) press(t *testing.T, user string, m discordfake.Message, label string) answer {
	t.Helper()
	m, _ = w.discord.Message(m.ChannelID, m.ID) // as it stands now
	var rows []struct {
		Components []struct {
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	json.Unmarshal(m.Components, &rows)
	for _, r := range rows {
		for _, b := range r.Components {
			if b.Label == label {
				ref := w.discord.InteractionCreate(discordfake.NewInteraction{Type: discordfake.InteractionMessageComponent, GuildID: mdGuild,
					ChannelID: m.ChannelID, UserID: user, MessageID: m.ID, Data: map[string]any{"custom_id": b.CustomID, "component_type": 2}})
				return w.answerOf(t, ref)
			}
		}
	}
	t.Fatalf("no button %q on message %s: %s", label, m.ID, m.Components)
	return answer{}
}

var (
	hexField = func(name string) *regexp.Regexp { return regexp.MustCompile(`\*\*` + name + `:\*\* ([0-9a-f]{64})`) }
	seedRe   = hexField("Seed")
	hashRe   = hexField("Entrants hash")
	commitRe = regexp.MustCompile(`Commitment: ([0-9a-f]{64})`)
)

func isGiveaway(id int) func(discordfake.Message) bool {
	return func(m discordfake.Message) bool {
		return strings.Contains(m.Content, fmt.Sprintf("Giveaway #%d: ", id)) && !strings.Contains(m.Content, "— the draw") && !strings.Contains(m.Content, "— reroll")
	}
}

func isDraw(id int) func(discordfake.Message) bool {
	return func(m discordfake.Message) bool {
		return strings.Contains(m.Content, fmt.Sprintf("Giveaway #%d: ", id)) && strings.Contains(m.Content, "— the draw")
	}
}

// attachment returns the file the upload replying to message id sent,
// read from the multipart request Discord received.
func (w *mdWorld) attachment(t *testing.T, replyTo string) []byte {
	t.Helper()
	var data []byte
	w.wait(t, "the entrant list upload", func() bool {
		for _, c := range w.discord.CallsTo("POST", "/channels/"+mdGeneral+"/messages") {
			mt, params, err := mime.ParseMediaType(c.Header.Get("Content-Type"))
			if err != nil || mt != "multipart/form-data" || c.Status != 200 {
				continue
			}
			mr := multipart.NewReader(bytes.NewReader(c.Body), params["boundary"])
			var payload, file []byte
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(p)
				if p.FormName() == "payload_json" {
					payload = b
				} else {
					file = b
				}
			}
			var body struct {
				Ref struct {
					MessageID string `json:"message_id"`
				} `json:"message_reference"`
			}
			json.Unmarshal(payload, &body)
			if body.Ref.MessageID == replyTo {
				data = file
				return true
			}
		}
		return false
	})
	return data
}

// afterRefusal waits until Discord's refusal of an outbox message is
// recorded (more dead messages than before), then moves the clock past
// the giveaways' next report to staff.
func (w *mdWorld) afterRefusal(t *testing.T, a *mdApp, before int) {
	t.Helper()
	w.wait(t, "Discord's refusal recorded", func() bool {
		d, err := a.app.DB.OutboxDepth(context.Background())
		return err == nil && d[store.OutboxDead] > before
	})
	w.clock.Advance(16 * time.Second)
}

func deadCount(t *testing.T, a *mdApp) int {
	t.Helper()
	d, err := a.app.DB.OutboxDepth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d[store.OutboxDead]
}

func allowedUsers(t *testing.T, m discordfake.Message) []string {
	t.Helper()
	var am struct {
		Parse []string `json:"parse"`
		Users []string `json:"users"`
	}
	if err := json.Unmarshal(m.AllowedMentions, &am); err != nil || am.Parse == nil || len(am.Parse) != 0 {
		t.Errorf("message %s may ping more than it names: allowed_mentions %s", m.ID, m.AllowedMentions)
	}
	slices.Sort(am.Users)
	return am.Users
}

func TestGiveawayFromStartThroughEntriesToAVerifiableDrawAndAReroll(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newGWWorld(t)
			app := w.start(t, storetest.URL(t, dialect))
			newbie := gwNewbie(w.clock.Now())

			// mallory had a timeout: she may not enter for 30 days.
			w.slash(t, mdDave, "timeout", userOpt(mdMallory), strOpt("duration", "10m"), strOpt("reason", "spam"))

			// Bad input changes nothing.
			for _, tc := range []struct {
				opts []discordfake.CommandOption
				want string
			}{
				{[]discordfake.CommandOption{strOpt("prize", "x"), strOpt("duration", "0")}, "A giveaway runs from 1m to 60d"},
				{[]discordfake.CommandOption{strOpt("prize", "x"), strOpt("duration", "61d")}, "A giveaway runs from 1m to 60d"},
				{[]discordfake.CommandOption{strOpt("prize", "x"), strOpt("duration", "1h"), intOpt("winners", 0)}, "winners must be from 1 to 50"},
				{[]discordfake.CommandOption{strOpt("prize", "x"), strOpt("duration", "1h"), intOpt("winners", 51)}, "winners must be from 1 to 50"},
				{[]discordfake.CommandOption{strOpt("prize", "x"), strOpt("duration", "1h"), roleOpt("requires", "1200000000000000999")}, "The server has no role"},
				{[]discordfake.CommandOption{strOpt("prize", "x"), strOpt("duration", "1h"), {Name: "channel", Type: 7, Value: gwClosed}},
					"Liaison cannot post in #announcements (the overwrite for @everyone takes it away): give it View Channel, Send Messages and Attach Files there"},
			} {
				a := w.giveaway(t, mdDave, "start", tc.opts...)
				if !strings.Contains(a.Content, tc.want) || a.Flags&64 == 0 {
					t.Errorf("/giveaway start %v answered %q, want an ephemeral %q", tc.opts, a.Content, tc.want)
				}
			}
			if a := w.giveaway(t, mdMallory, "list"); !strings.Contains(a.Content, "Running giveaways is for") {
				t.Errorf("a member running /giveaway list: %q, want a refusal", a.Content)
			}
			if a := w.giveaway(t, mdDave, "list"); !strings.Contains(a.Content, "No giveaway is open") {
				t.Errorf("/giveaway list after bad starts = %q: the bad starts changed something", a.Content)
			}

			a := w.giveaway(t, mdDave, "start", strOpt("prize", "a Steam key @everyone"), strOpt("duration", "1h"), intOpt("winners", 2),
				roleOpt("requires", gwFans), strOpt("min_account_age", "7d"), strOpt("min_member_for", "1d"),
				roleOpt("bonus_role", mdSenior), intOpt("bonus_tickets", 3), strOpt("description", "Open to fans."))
			if !strings.HasPrefix(a.Content, "Giveaway #1 started in #general") || a.Flags&64 == 0 {
				t.Fatalf("/giveaway start answered %+v", a)
			}
			w.approveAnnouncements(t, app)
			gm := w.message(t, "the giveaway message", isGiveaway(1))
			for _, want := range []string{"Giveaway #1: a Steam key @\u200beveryone", "Open to fans.", "**Ends:** <t:", ":R>", "**Winners:** 2",
				"the @fans role", "a Discord account at least 1w old", "on the server for at least 1d", "@senior: 3 tickets", "@boosters: 5 tickets", "**Entries:** 0", "Commitment: "} {
				if !strings.Contains(gm.Content, want) {
					t.Errorf("the giveaway message lacks %q:\n%s", want, gm.Content)
				}
			}
			if users := allowedUsers(t, gm); len(users) != 0 {
				t.Errorf("the giveaway message may ping %v", users)
			}
			commitment := commitRe.FindStringSubmatch(gm.Content)
			if commitment == nil {
				t.Fatalf("no commitment on the giveaway message:\n%s", gm.Content)
			}

			// Each requirement refuses someone, at the time of the click.
			for _, tc := range []struct{ who, user, want string }{
				{"eve, without the role", gwEve, "for members with the @fans role"},
				{"newbie, a 2-day-old account", newbie, "Your Discord account must be at least 1w old to enter: you would meet it <t:"},
				{"fresh, on the server for an hour", gwFresh, "You must have been on the server for at least 1d to enter: you would meet it <t:"},
				{"mallory, timed out this week", mdMallory, "You had a timeout on this server in the last 30 days (case 1)"},
				{"bob, staff", mdBob, "Staff cannot enter giveaways here"},
				{"cheater, on the blacklist", gwCheater, "You cannot enter giveaways on this server"},
				{"another bot", gwOtherBot, "Bots cannot enter giveaways"},
			} {
				got := w.press(t, tc.user, gm, "Enter")
				if !strings.Contains(got.Content, tc.want) || got.Flags&64 == 0 {
					t.Errorf("%s clicked Enter: %q, want an ephemeral %q", tc.who, got.Content, tc.want)
				}
			}
			// Those who meet them are in; a second click offers to leave.
			if got := w.press(t, mdAlice, gm, "Enter"); got.Content != "You're in giveaway #1 with 1 ticket. The winners are drawn "+
				bot.DiscordTime(w.clock.Now().Add(time.Hour).Truncate(time.Second), "R")+" ("+bot.DiscordTime(w.clock.Now().Add(time.Hour).Truncate(time.Second), "f")+")." {
				t.Errorf("alice clicked Enter: %q", got.Content)
			}
			again := w.press(t, mdAlice, gm, "Enter")
			if again.Content != "You're in giveaway #1 — Leave?" || !strings.Contains(string(again.Components), `"label":"Leave"`) {
				t.Errorf("alice clicked Enter twice: %+v", again)
			}
			if got := w.press(t, mdSam, gm, "Enter"); !strings.Contains(got.Content, "with 5 tickets") {
				t.Errorf("sam (senior 3, boosters 5) clicked Enter: %q, want the most tickets a role gives", got.Content)
			}
			w.press(t, mdPat, gm, "Enter")
			// The count is edited through the outbox, once for the burst.
			w.clock.Advance(11 * time.Second)
			w.wait(t, "the entry count edited to 3", func() bool {
				m, _ := w.discord.Message(mdGeneral, gm.ID)
				return strings.Contains(m.Content, "**Entries:** 3")
			})
			if n := len(w.discord.CallsTo("PATCH", "/channels/"+mdGeneral+"/messages/"+gm.ID)); n > 2 {
				t.Errorf("%d edits of the giveaway message for 3 clicks within 10s, want at most 2", n)
			}

			// Reroll before the draw is refused; the scheduled end draws.
			if got := w.giveaway(t, mdDave, "reroll", intOpt("id", 1), strOpt("reason", "early")); !strings.Contains(got.Content, "is not drawn yet") {
				t.Errorf("reroll of an open giveaway: %q", got.Content)
			}
			w.clock.Advance(time.Hour)
			if got := w.press(t, gwEve, gm, "Enter"); !strings.Contains(got.Content, "entries are closed") {
				t.Errorf("Enter after the end: %q", got.Content)
			}
			draw := w.message(t, "the draw's announcement", isDraw(1))
			if draw.Reference == nil || draw.Reference.MessageID != gm.ID {
				t.Errorf("the announcement does not reply to the giveaway message: %+v", draw.Reference)
			}
			seed, hash := seedRe.FindStringSubmatch(draw.Content), hashRe.FindStringSubmatch(draw.Content)
			if seed == nil || hash == nil || !strings.Contains(draw.Content, "Click Claim within 2d") {
				t.Fatalf("the announcement lacks the seed, the hash or the claim:\n%s", draw.Content)
			}
			winners := allowedUsers(t, draw)
			if len(winners) != 2 {
				t.Fatalf("the announcement pings %v, want the 2 winners", winners)
			}

			// The attached file recomputes the same winners, by code and by the CLI.
			file := w.attachment(t, draw.ID)
			if string(file) != strings.Join([]string{mdAlice + " 1", gwPatLine(), mdSam + " 5", ""}, "\n") {
				t.Errorf("the entrant list = %q", file)
			}
			sb, _ := bot.ParseHex32(seed[1], "seed")
			cb, _ := bot.ParseHex32(commitment[1], "commitment")
			check, err := bot.CheckDraw(file, sb, cb)
			if err != nil {
				t.Fatal(err)
			}
			if bot.Hex(check.EntrantsHash) != hash[1] {
				t.Errorf("sha256 of the attachment = %s, the announcement says %s", bot.Hex(check.EntrantsHash), hash[1])
			}
			recomputed := []string{check.Order[0].UserID, check.Order[1].UserID}
			slices.Sort(recomputed)
			if !slices.Equal(recomputed, winners) {
				t.Errorf("verify gives winners %v, the announcement pinged %v", recomputed, winners)
			}
			path := filepath.Join(t.TempDir(), "giveaway-1-entrants.txt")
			os.WriteFile(path, file, 0o600)
			code, out, _ := run(t, nil, "giveaway", "verify", path, seed[1], "--commitment", commitment[1], "--winners", "2", "--rerolls", "1")
			if code != 0 || !strings.Contains(out, "reserves:\n  3. "+check.Order[2].UserID) {
				t.Errorf("liaison giveaway verify: exit %d\n%s", code, out)
			}
			w.waitSlack(t, "the start and the draw in Slack's #community", func() bool {
				var start, drawn bool
				for _, m := range w.slack.Messages("C01COMMUNITY") {
					start = start || strings.Contains(string(m.Blocks), "Giveaway #1 started in Discord")
					drawn = drawn || strings.Contains(string(m.Blocks), "Giveaway #1 drawn")
				}
				return start && drawn
			})

			// Only winners claim; a reroll takes the next reserve, never an earlier winner.
			if got := w.press(t, check.Order[2].UserID, draw, "Claim"); !strings.Contains(got.Content, "Only the winners") {
				t.Errorf("the reserve clicked Claim: %q", got.Content)
			}
			if got := w.press(t, check.Order[0].UserID, draw, "Claim"); !strings.HasPrefix(got.Content, "Claimed!") {
				t.Errorf("a winner clicked Claim: %q", got.Content)
			}
			if got := w.giveaway(t, mdDave, "end", intOpt("id", 1)); !strings.Contains(got.Content, "already drawn") {
				t.Errorf("/giveaway end of a drawn giveaway: %q", got.Content)
			}
			got := w.giveaway(t, mdDave, "reroll", intOpt("id", 1), strOpt("reason", "a winner broke the rules"))
			if !strings.HasPrefix(got.Content, "Rerolled giveaway #1") {
				t.Fatalf("/giveaway reroll answered %q", got.Content)
			}
			re := w.message(t, "the reroll", func(m discordfake.Message) bool { return strings.Contains(m.Content, "— reroll") })
			if users := allowedUsers(t, re); !slices.Equal(users, []string{check.Order[2].UserID}) || !strings.Contains(re.Content, "a winner broke the rules") {
				t.Errorf("the reroll pings %v, want only the next reserve %s, with its reason:\n%s", users, check.Order[2].UserID, re.Content)
			}
			if got := w.giveaway(t, mdDave, "reroll", intOpt("id", 1), strOpt("reason", "again")); !strings.Contains(got.Content, "no reserve left") {
				t.Errorf("a reroll with no reserve left: %q", got.Content)
			}
			if n := w.countMessages(isDraw(1)); n != 1 {
				t.Errorf("%d draw announcements, want 1", n)
			}

			// A cancelled giveaway cannot be ended.
			w.giveaway(t, mdDave, "start", strOpt("prize", "a mug"), strOpt("duration", "1h"))
			if got := w.giveaway(t, mdDave, "cancel", intOpt("id", 2), strOpt("reason", "out of stock")); !strings.Contains(got.Content, "is cancelled") {
				t.Errorf("/giveaway cancel: %q", got.Content)
			}
			if got := w.giveaway(t, mdDave, "end", intOpt("id", 2)); !strings.Contains(got.Content, "was cancelled (out of stock)") {
				t.Errorf("/giveaway end of a cancelled giveaway: %q", got.Content)
			}
			show := w.giveaway(t, mdDave, "show", intOpt("id", 1))
			for _, want := range []string{"State: drawn", "Seed: " + seed[1], "Commitment: " + commitment[1], "(claimed)"} {
				if !strings.Contains(show.Content, want) {
					t.Errorf("/giveaway show 1 lacks %q:\n%s", want, show.Content)
				}
			}
		})
	}
}

func gwPatLine() string { return mdPat + " 1" }

// startGiveaway starts a 10-minute giveaway that alice and pat enter, and
// returns its message.
func startGiveaway(t *testing.T, w *mdWorld, prize string, id int) discordfake.Message {
	t.Helper()
	if a := w.giveaway(t, mdDave, "start", strOpt("prize", prize), strOpt("duration", "10m")); !strings.Contains(a.Content, "started") {
		t.Fatalf("/giveaway start: %q", a.Content)
	}
	gm := w.message(t, "the giveaway message", isGiveaway(id))
	for _, u := range []string{mdAlice, mdPat} {
		if got := w.press(t, u, gm, "Enter"); !strings.HasPrefix(got.Content, "You're in") {
			t.Fatalf("Enter: %q", got.Content)
		}
	}
	return gm
}

func TestAGiveawayEndingWhileLiaisonIsDownIsDrawnLateOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newGWWorld(t)
			url := storetest.URL(t, dialect)
			a := w.start(t, url)
			ends := w.clock.Now().Add(10 * time.Minute)
			startGiveaway(t, w, "a T-shirt", 1)
			w.approveAnnouncements(t, a)
			a.stop()
			w.clock.Advance(3 * time.Hour)
			w.start(t, url)
			draw := w.message(t, "the late draw", isDraw(1))
			if !strings.Contains(draw.Content, "Drawn late: it ended") || !strings.Contains(draw.Content, "while Liaison was not running") {
				t.Errorf("the late draw does not say it was late and why:\n%s", draw.Content)
			}
			// The giveaway message says when it ended, not when it was drawn.
			gm := w.message(t, "the giveaway message, ended", func(m discordfake.Message) bool {
				return isGiveaway(1)(m) && strings.Contains(m.Content, "Ended:")
			})
			if want := fmt.Sprintf("<t:%d:R>", ends.Unix()); !strings.Contains(gm.Content, want) {
				t.Errorf("the ended giveaway message does not show its end (%s):\n%s", want, gm.Content)
			}
			time.Sleep(2 * time.Second) // several scheduler ticks
			if n := w.countMessages(isDraw(1)); n != 1 {
				t.Errorf("%d announcements, want 1", n)
			}
		})
	}
}

// A replica that commits the draw and dies before sending anything: the
// next one sends the committed announcement once, with the same winners,
// and draws nothing again.
func TestAGiveawayDrawCommittedByAReplicaThatDiedIsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newGWWorld(t)
			url := storetest.URL(t, dialect)
			a := w.start(t, url)
			startGiveaway(t, w, "a T-shirt", 1)
			w.approveAnnouncements(t, a)
			a.stop()
			w.clock.Advance(11 * time.Minute)

			// The dying replica: the draw commits, no dispatcher sends.
			ctx := context.Background()
			db, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(w.config)
			if err != nil {
				t.Fatal(err)
			}
			caps := handlers.Build(handlers.Deps{DB: db, Config: cfg, Clock: w.clock})
			if n, err := caps.Giveaways.DrawDue(ctx, w.clock.Now()); n != 1 || err != nil {
				t.Fatalf("DrawDue = %d, %v", n, err)
			}
			picks, err := db.Picks(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			if got := w.countMessages(isDraw(1)); got != 0 {
				t.Fatalf("%d announcements before a replica sends", got)
			}

			w.start(t, url)
			draw := w.message(t, "the announcement", isDraw(1))
			if users := allowedUsers(t, draw); !slices.Equal(users, []string{picks[0].UserID}) {
				t.Errorf("the announcement pings %v, the committed draw's winner is %s", users, picks[0].UserID)
			}
			time.Sleep(2 * time.Second)
			if n := w.countMessages(isDraw(1)); n != 1 {
				t.Errorf("%d announcements, want 1", n)
			}
		})
	}
}

func TestTwoReplicasDrawAGiveawayOnce(t *testing.T) {
	t.Parallel()
	w := newGWWorld(t)
	url := storetest.URL(t, store.Postgres)
	a := w.start(t, url)
	w.start(t, url)
	startGiveaway(t, w, "a T-shirt", 1)
	w.approveAnnouncements(t, a)
	w.clock.Advance(11 * time.Minute)
	w.message(t, "the announcement", isDraw(1))
	time.Sleep(3 * time.Second)
	if n := w.countMessages(isDraw(1)); n != 1 {
		t.Errorf("two replicas posted %d announcements, want 1", n)
	}
}

// Discord refuses: a giveaway message that cannot be posted cancels the
// giveaway (nobody could enter) and says so in Slack; a draw whose
// announcement cannot be posted still stands, and Slack names the winners.
func TestAGiveawayDiscordRefusesIsReportedInSlack(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newGWWorld(t)
			app := w.start(t, storetest.URL(t, dialect))
			slackSays := func(what, text string) string {
				t.Helper()
				var found string
				w.waitSlack(t, what, func() bool {
					for _, m := range w.slack.Messages("C01COMMUNITY") {
						if strings.Contains(string(m.Blocks), text) {
							found = string(m.Blocks)
							return true
						}
					}
					return false
				})
				return found
			}

			w.discord.Forbid("POST", "/channels/"+mdGeneral+"/messages")
			w.giveaway(t, mdDave, "start", strOpt("prize", "a poster"), strOpt("duration", "1h"))
			w.afterRefusal(t, app, 0)
			s := slackSays("the unposted giveaway", "Giveaway #1 could not start")
			if !strings.Contains(s, "It is cancelled") {
				t.Errorf("Slack says %s", s)
			}
			if a := w.giveaway(t, mdDave, "show", intOpt("id", 1)); !strings.Contains(a.Content, "State: cancelled (Liaison could not post it in Discord") {
				t.Errorf("/giveaway show 1: %q", a.Content)
			}
			w.discord.Allow()
			w.approveAnnouncements(t, app)

			startGiveaway(t, w, "a T-shirt", 2)
			w.discord.Forbid("POST", "/channels/"+mdGeneral+"/messages")
			dead := deadCount(t, app)
			w.clock.Advance(11 * time.Minute)
			w.afterRefusal(t, app, dead)
			s = slackSays("the refused announcement", "Giveaway #2 was drawn, but Discord refused its announcement")
			if !strings.Contains(s, "Winners: ") || !(strings.Contains(s, "alice") || strings.Contains(s, "pat")) {
				t.Errorf("the Slack report names no winner: %s", s)
			}
			if a := w.giveaway(t, mdDave, "show", intOpt("id", 2)); !strings.Contains(a.Content, "State: drawn") {
				t.Errorf("/giveaway show 2: %q", a.Content)
			}
			if n := w.countMessages(isDraw(2)); n != 0 {
				t.Errorf("%d announcements posted though Discord refused them", n)
			}
		})
	}
}

// With dm_winners, each winner gets a direct message; one who refuses DMs
// is reported in Slack once, and the draw stands.
func TestGiveawayWinnersAreSentADirectMessageAndARefusalIsReported(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w := newGWWorld(t, "  dm_winners: true\n")
			app := w.start(t, storetest.URL(t, dialect))
			w.discord.BlockBot(mdAlice, true)
			if a := w.giveaway(t, mdDave, "start", strOpt("prize", "a hoodie"), strOpt("duration", "10m"), intOpt("winners", 2)); !strings.Contains(a.Content, "started") {
				t.Fatalf("/giveaway start: %q", a.Content)
			}
			w.approveAnnouncements(t, app)
			gm := w.message(t, "the giveaway message", isGiveaway(1))
			w.press(t, mdAlice, gm, "Enter")
			w.press(t, mdPat, gm, "Enter")
			w.clock.Advance(11 * time.Minute)
			w.message(t, "the draw", isDraw(1))
			w.afterRefusal(t, app, 0)
			var dm discordfake.Message
			w.wait(t, "pat's direct message", func() bool {
				ch := w.discord.DMChannel(mdPat)
				if ch == "" {
					return false
				}
				ms := w.discord.Messages(ch)
				if len(ms) == 1 {
					dm = ms[0]
				}
				return len(ms) == 1
			})
			if !strings.Contains(dm.Content, "You won giveaway #1: a hoodie") || !strings.Contains(dm.Content, "Click Claim on the announcement in #general") {
				t.Errorf("pat's DM = %q", dm.Content)
			}
			w.waitSlack(t, "the refused DM reported", func() bool {
				for _, m := range w.slack.Messages("C01COMMUNITY") {
					if strings.Contains(string(m.Blocks), "could not send alice a direct message about winning giveaway #1") &&
						strings.Contains(string(m.Blocks), "does not accept direct messages") {
						return true
					}
				}
				return false
			})
			time.Sleep(2 * time.Second)
			if n := len(w.discord.CallsTo("POST", "/users/@me/channels")); n != 2 {
				t.Errorf("%d DM channels opened, want 2 (one per winner, the refusal not retried)", n)
			}
			n := 0
			for _, m := range w.slack.Messages("C01COMMUNITY") {
				if strings.Contains(string(m.Blocks), "could not send alice") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the refused DM was reported %d times, want once", n)
			}
		})
	}
}

// restart starts an App again on the database at dbURL and returns once
// it answers a command: its commands are registered already, which is all
// start waits for, and a cold start on a loaded machine can take a while.
func (w *mdWorld) restart(t *testing.T, dbURL string) *mdApp {
	t.Helper()
	identified := w.discord.Identifies()
	a := w.start(t, dbURL)
	until(t, "the restarted App on the gateway", func() bool { return w.discord.Identifies() > identified })
	ref := w.discord.SlashCommand(mdGuild, mdGeneral, mdDave, "giveaway", discordfake.CommandOption{Name: "list", Type: 1})
	until(t, "the restarted App to answer /giveaway list", func() bool {
		rec, ok := w.discord.Interaction(ref.ID)
		return ok && rec.Callback != nil
	})
	return a
}

// communitySays waits for a message in Slack's #community containing
// every want, and returns its blocks.
func (w *mdWorld) communitySays(t *testing.T, what string, want ...string) string {
	t.Helper()
	var found string
	w.waitSlack(t, what, func() bool {
		for _, m := range w.slack.Messages("C01COMMUNITY") {
			b := string(m.Blocks)
			ok := true
			for _, s := range want {
				ok = ok && strings.Contains(b, s)
			}
			if ok {
				found = b
				return true
			}
		}
		return false
	})
	return found
}

// The winners announcement is brand speech: until its text is approved
// the draw happens on time and is committed, its announcement waits (Slack
// says so), nothing can reroll it, and no claim window runs; the approval
// sends it once, with the committed winners. A text changed in liaison.yaml
// needs an approval of its own, which its writer cannot give; a draw that
// waited for a rejected text is announced with the next approved one.
// Only an approver decides.
func TestAGiveawayAnnouncementWaitsForItsTextToBeApproved(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			w := newGWWorld(t)
			url := storetest.URL(t, dialect)
			app := w.start(t, url)
			startGiveaway(t, w, "a T-shirt", 1)
			m := w.announcementText(t, "en", "Congratulations! Click Claim within {claim_within} (by {claim_by}) to get your prize.")
			if told := w.decideText(t, app, m, "U01DAVE", "Approve"); !strings.Contains(told, "You are not an approver") {
				t.Errorf("dave (no approver) approving the text was told %q", told)
			}

			w.clock.Advance(11 * time.Minute)
			w.communitySays(t, "the draw's notice in Slack", "Giveaway #1 drawn: a T-shirt",
				"The announcement in Discord waits for the approval of the giveaway announcement text (en) in #approvals")
			w.message(t, "the giveaway message showing its end", func(m discordfake.Message) bool {
				return isGiveaway(1)(m) && strings.Contains(m.Content, "Ended:")
			})
			picks, err := app.app.DB.Picks(ctx, 1)
			if err != nil || len(picks) != 2 || !picks[0].Winner() {
				t.Fatalf("the committed draw: %+v, %v", picks, err)
			}
			if a := w.giveaway(t, mdDave, "reroll", intOpt("id", 1), strOpt("reason", "too soon")); !strings.Contains(a.Content, "waits for the approval of its text") {
				t.Errorf("/giveaway reroll while the announcement waits: %q", a.Content)
			}
			w.clock.Advance(49 * time.Hour) // no claim window runs while nobody was told
			time.Sleep(2 * time.Second)     // several scheduler ticks
			if n := w.countMessages(isDraw(1)); n != 0 {
				t.Fatalf("%d announcements before the text is approved", n)
			}
			for _, sm := range w.slack.Messages("C01COMMUNITY") {
				if strings.Contains(string(sm.Blocks), "not claimed") {
					t.Errorf("staff were told of an unclaimed prize nobody was told of: %s", sm.Blocks)
				}
			}

			if told := w.decideText(t, app, m, "U01CAROL", "Approve"); told != "You approved the giveaway announcement text (en): announcements using it are posted; 1 waiting went out now." {
				t.Errorf("carol approving was told %q", told)
			}
			draw := w.message(t, "the announcement", isDraw(1))
			if users := allowedUsers(t, draw); !slices.Equal(users, []string{picks[0].UserID}) {
				t.Errorf("the announcement pings %v, the committed winner is %s", users, picks[0].UserID)
			}
			if !strings.Contains(draw.Content, "Congratulations! Click Claim within 2d") {
				t.Errorf("the announcement:\n%s", draw.Content)
			}
			w.communitySays(t, "the release's notice", "Giveaway #1's announcement went out in #general now that its text is approved")
			if told := w.decideText(t, app, m, "U01CAROL", "Approve"); !strings.Contains(told, "is approved already; nothing was changed") {
				t.Errorf("a second approval was told %q", told)
			}
			time.Sleep(2 * time.Second)
			if n := w.countMessages(isDraw(1)); n != 1 {
				t.Errorf("%d announcements, want 1", n)
			}

			// The text changes in liaison.yaml, written by carol: it needs its
			// own approval, which she cannot give.
			app.stop()
			cfg, err := os.ReadFile(w.config)
			if err != nil {
				t.Fatal(err)
			}
			changed := string(cfg) + "  announcement:\n    en: \"Bravo {winners}! {prize} is yours: click Claim by {claim_by}.\"\n    written_by: carol\n"
			if err := os.WriteFile(w.config, []byte(changed), 0o600); err != nil {
				t.Fatal(err)
			}
			app = w.restart(t, url)
			startGiveaway(t, w, "a mug", 2)
			m2 := w.announcementText(t, "en", "Bravo {winners}! {prize} is yours")
			if b := string(m2.Blocks); !strings.Contains(b, "carol wrote this version, so only bob can approve it") {
				t.Errorf("the changed text's approval message does not say carol cannot approve it:\n%s", b)
			}
			w.clock.Advance(11 * time.Minute)
			w.communitySays(t, "the second draw's notice", "Giveaway #2 drawn: a mug", "waits for the approval")
			if n := w.countMessages(isDraw(2)); n != 0 {
				t.Fatalf("%d announcements of the changed text before its approval", n)
			}
			if told := w.decideText(t, app, m2, "U01CAROL", "Approve"); !strings.Contains(told, "You wrote the giveaway announcement text (en) (liaison.yaml says so in giveaways.announcement.written_by), so you cannot approve it") {
				t.Errorf("carol approving the text she wrote was told %q", told)
			}
			time.Sleep(time.Second)
			if n := w.countMessages(isDraw(2)); n != 0 {
				t.Fatalf("%d announcements after its writer's approval", n)
			}
			// bob rejects it; carol rewrites it, and the next text, once
			// approved, announces the draw that waited for the rejected one.
			if told := w.decideText(t, app, m2, "U01BOB", "Reject"); told != "You rejected the giveaway announcement text (en): announcements using it wait until it changes in liaison.yaml." {
				t.Errorf("bob rejecting the changed text was told %q", told)
			}
			app.stop()
			rewritten := strings.Replace(changed, "Bravo {winners}! {prize} is yours: click Claim by {claim_by}.", "Well done {winners}: {prize} is yours. Claim it by {claim_by}.", 1)
			if err := os.WriteFile(w.config, []byte(rewritten), 0o600); err != nil {
				t.Fatal(err)
			}
			app = w.restart(t, url)
			w.clock.Advance(2 * time.Minute) // the job that asks for changed texts
			m3 := w.announcementText(t, "en", "Well done {winners}: {prize} is yours.")
			if told := w.decideText(t, app, m3, "U01BOB", "Approve"); !strings.Contains(told, "1 waiting went out now") {
				t.Errorf("bob approving the rewritten text was told %q", told)
			}
			picks, _ = app.app.DB.Picks(ctx, 2)
			draw2 := w.message(t, "the second announcement", isDraw(2))
			if !strings.Contains(draw2.Content, "Well done "+picks[0].UserName+": a mug is yours. Claim it by <t:") {
				t.Errorf("the second announcement does not use the approved text:\n%s", draw2.Content)
			}
			if n := w.countMessages(isDraw(1)); n != 1 {
				t.Errorf("%d announcements of giveaway #1, want 1", n)
			}
		})
	}
}
