package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

// Drafted replies and approvals at the handler level: the real router,
// store and outbox dispatcher, with recording senders in place of Slack and
// Discord, on SQLite and Postgres.

const approvalsYAML = `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT, approvals: C01APPROVALS}
discord:
  guild: "998877665544332211"
  channels: {feedback: "1100000000000000001", general: "1100000000000000002", announcements: "1100000000000000004"}
  roles: {staff: ["1200000000000000001"]}
people:
  - {name: bob, slack: U01BOB}
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
  - {name: erin, slack: U01ERIN}
feedback:
  channels: [feedback]
  default_to: product
approvals:
  channel: approvals
  approvers: [carol, dave, erin]
  quorum: any
  expire_after: 48h
  overrides:
    general: {quorum: 2}
    announcements: {quorum: all, ping_author: true}
`

const (
	apGuild     = "998877665544332211"
	apFeedback  = "1100000000000000001"
	apGeneral   = "1100000000000000002"
	apAnnounce  = "1100000000000000004"
	apApprovals = "C01APPROVALS"
	apAlice     = "1400000000000000001"
	apBob       = "U01BOB"
	apCarol     = "U01CAROL"
	apDave      = "U01DAVE"
	apErin      = "U01ERIN"
)

// apMessages is a messageReader over the Discord messages of a test.
type apMessages struct {
	mu sync.Mutex
	m  map[string]*bot.Message
}

func (a *apMessages) Message(_ context.Context, channelID, id string) (*bot.Message, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if msg, ok := a.m[channelID+"/"+id]; ok {
		return msg, nil
	}
	return nil, bot.Errorf(bot.ENotFound, "Unknown Message")
}

func (a *apMessages) put(m *bot.Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[m.ChannelID+"/"+m.ID] = m
}

func (a *apMessages) remove(channelID, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, channelID+"/"+id)
}

// apDirect is the Slack side handlers read from and speak to directly.
type apDirect struct {
	mu         sync.Mutex
	groups     map[string][]string
	ephemerals []string          // "user: text"
	metadata   map[string]string // channel + " " + ts → the outbox key in the message's metadata
}

func (d *apDirect) OutboxKeyOf(_ context.Context, channelID, ts string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.metadata[channelID+" "+ts], nil
}

func (d *apDirect) UsergroupMembers(_ context.Context, id string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.groups[id]
	if !ok {
		return nil, bot.Errorf(bot.ENotFound, "no group %s", id)
	}
	return g, nil
}

func (d *apDirect) PostEphemeral(_ context.Context, _, userID string, r *bot.Reply) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ephemerals = append(d.ephemerals, userID+": "+r.Text)
	return nil
}

func (d *apDirect) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.ephemerals) == 0 {
		return ""
	}
	return d.ephemerals[len(d.ephemerals)-1]
}

// apSender records what the dispatcher sends and gives each post an id; it
// refuses Discord posts while refuse is set.
type apSender struct {
	mu     sync.Mutex
	n      int
	sent   map[string]int // key → sends
	posts  []*bot.OutboxMessage
	refuse atomic.Bool
}

func (s *apSender) Send(_ context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	if m.Platform == bot.PlatformDiscord && s.refuse.Load() {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("Liaison cannot post in #feedback: give it Send Messages there")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent[m.Key]++
	s.posts = append(s.posts, m)
	var p bot.Post
	_ = json.Unmarshal(m.Payload, &p)
	if m.Kind == bot.KindUpdate {
		return bot.SendResult{PlatformID: m.ParentRef, Channel: p.ChannelID}, nil
	}
	s.n++
	if m.Platform == bot.PlatformDiscord {
		return bot.SendResult{PlatformID: fmt.Sprintf("19000000000000000%02d", s.n), Channel: p.ChannelID}, nil
	}
	return bot.SendResult{PlatformID: fmt.Sprintf("1700000000.%06d", s.n), Channel: p.ChannelID}, nil
}

func (s *apSender) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[key]
}

type apBundle struct {
	r      *Router
	caps   *Capabilities
	db     *store.DB
	clock  *bot.ManualClock
	msgs   *apMessages
	direct *apDirect
	sender *apSender
	disp   *jobs.Dispatcher
	n      atomic.Int64 // delivery keys
}

func setupApprovals(t *testing.T, db *store.DB) *apBundle {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte(approvalsYAML))
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	b := &apBundle{db: db, clock: clock, msgs: &apMessages{m: map[string]*bot.Message{}}, direct: &apDirect{groups: map[string][]string{}},
		sender: &apSender{sent: map[string]int{}}}
	b.caps = Build(Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler), Discord: b.msgs, SlackDirect: b.direct})
	b.r = b.caps.Router
	b.disp = &jobs.Dispatcher{Store: db, Clock: clock, Logger: slog.New(slog.DiscardHandler), MaxAttempts: 3,
		Senders: map[string]bot.Sender{bot.PlatformSlack: b.sender, bot.PlatformDiscord: b.sender}}
	return b
}

// approvalReplicas returns two replicas of Liaison sharing one Postgres
// database and one Discord.
func approvalReplicas(t *testing.T) (one, two *apBundle) {
	t.Helper()
	dbs := storetest.Replicas(t, 2)
	one, two = setupApprovals(t, dbs[0]), setupApprovals(t, dbs[1])
	two.msgs = one.msgs
	two.caps.Attach(Readers{Discord: one.msgs, SlackDirect: two.direct})
	two.n.Store(1_000_000)
	return one, two
}

// settleAll settles several replicas at once, as their dispatchers and jobs
// would run.
func settleAll(t *testing.T, bs ...*apBundle) {
	t.Helper()
	var wg sync.WaitGroup
	for _, b := range bs {
		wg.Add(1)
		go func() { defer wg.Done(); b.settle(t) }()
	}
	wg.Wait()
}

// settle sends every due outbox message and runs the drafts job until
// nothing is left, as the console does after each line.
func (b *apBundle) settle(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for range 50 {
		n, err := b.disp.DispatchOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := b.caps.Approvals.SettleDrafts(ctx, b.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if n+m == 0 {
			return
		}
	}
	t.Fatal("the outbox and the drafts job did not settle")
}

func (b *apBundle) key() bot.Delivery {
	return bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_interaction", Key: fmt.Sprintf("trigger-%d", b.n.Add(1))}}}
}

func apUser(id string) bot.User { return bot.User{Platform: bot.PlatformSlack, ID: id} }

// target posts alice's message in a Discord channel (feedback when it is
// #feedback) and returns it.
func (b *apBundle) target(t *testing.T, channel, id, text string) *bot.Message {
	t.Helper()
	m := &bot.Message{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: id}}},
		Place:    bot.Place{Platform: bot.PlatformDiscord, ScopeID: apGuild, ChannelID: channel},
		ID:       id, Text: text, Author: bot.User{Platform: bot.PlatformDiscord, ID: apAlice, Name: "alice"},
		Permalink: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", apGuild, channel, id),
	}
	b.msgs.put(m)
	if err := b.r.HandleEvent(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (b *apBundle) command(t *testing.T, user, text string) (*bot.Reply, error) {
	t.Helper()
	return b.r.HandleCommand(context.Background(), &bot.Command{Delivery: b.key(), Name: "liaison", Text: text, User: apUser(user),
		Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}})
}

// draft drafts text as a reply to target by author through /liaison draft,
// and settles, so the approval message has its Slack ts.
func (b *apBundle) draft(t *testing.T, author string, target *bot.Message, text string) *store.Draft {
	t.Helper()
	link := fmt.Sprintf("https://discord.com/channels/%s/%s/%s", apGuild, target.ChannelID, target.ID)
	reply, err := b.command(t, author, "draft "+link+" "+text)
	if err != nil {
		t.Fatalf("/liaison draft: %v", err)
	}
	var id int64
	if _, err := fmt.Sscanf(reply.Text, "Draft #%d", &id); err != nil {
		t.Fatalf("/liaison draft = %q", reply.Text)
	}
	b.settle(t)
	return b.get(t, id)
}

func (b *apBundle) get(t *testing.T, id int64) *store.Draft {
	t.Helper()
	d, err := b.db.Draft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (b *apBundle) click(d *store.Draft, user, action string) (*bot.Reply, error) {
	value := fmt.Sprintf("%d:v%d:%s", d.ID, d.Version, d.TextHash)
	if action == "approvals.retry" {
		value = fmt.Sprint(d.ID)
	}
	return b.r.HandleAction(context.Background(), &bot.Action{Delivery: b.key(), ActionID: action, Value: value, User: apUser(user),
		Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}})
}

func (b *apBundle) submit(user, callback, meta string, values map[string]string) (*bot.Reply, error) {
	return b.r.HandleSubmission(context.Background(), &bot.Submission{Delivery: b.key(), CallbackID: callback, Meta: meta, Values: values,
		User: apUser(user), Place: bot.Place{Platform: bot.PlatformSlack}})
}

// slackTS returns the ts the sender gave the approval message of d's
// version (as d was read).
func (b *apBundle) slackTS(t *testing.T, d *store.Draft) string {
	t.Helper()
	e, err := b.db.OutboxByKey(context.Background(), store.DraftVersionKey(d.ID, d.Version))
	if err != nil || e.PlatformID == "" {
		t.Fatalf("approval message of draft %d: %+v, %v", d.ID, e, err)
	}
	return e.PlatformID
}

func (b *apBundle) react(t *testing.T, d *store.Draft, user, emoji string) {
	t.Helper()
	b.reaction(t, d, user, emoji, false)
}

// unreact removes user's emoji reaction from d's approval message.
func (b *apBundle) unreact(t *testing.T, d *store.Draft, user, emoji string) {
	t.Helper()
	b.reaction(t, d, user, emoji, true)
}

func (b *apBundle) reaction(t *testing.T, d *store.Draft, user, emoji string, removed bool) {
	t.Helper()
	ev := &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_event", Key: fmt.Sprintf("Ev%d", b.n.Add(1))}}},
		Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}, MessageID: b.slackTS(t, d), User: apUser(user), Emoji: emoji, Removed: removed}
	if err := b.r.HandleEvent(context.Background(), ev); err != nil {
		t.Fatalf("reaction %s by %s: %v", emoji, user, err)
	}
}

// lastPost returns the newest outbox message whose key starts with prefix,
// decoded.
func (b *apBundle) lastPost(t *testing.T, prefix string) (store.OutboxEntry, bot.Post) {
	t.Helper()
	entries, err := b.db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if strings.HasPrefix(entries[i].Key, prefix) {
			var p bot.Post
			if err := json.Unmarshal([]byte(entries[i].Payload), &p); err != nil {
				t.Fatal(err)
			}
			return entries[i], p
		}
	}
	t.Fatalf("no outbox message %s…", prefix)
	return store.OutboxEntry{}, bot.Post{}
}

// approvalMessage renders what the Slack message of d's version (as d was
// read) shows now: its last edit.
func (b *apBundle) approvalMessage(t *testing.T, d *store.Draft) (string, []bot.Button) {
	t.Helper()
	base := store.DraftVersionKey(d.ID, d.Version)
	entries, err := b.db.OutboxEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if k := entries[i].Key; k == base || strings.HasPrefix(k, base+":update:") {
			var p bot.Post
			if err := json.Unmarshal([]byte(entries[i].Payload), &p); err != nil {
				t.Fatal(err)
			}
			return apPostText(p), p.Buttons
		}
	}
	t.Fatalf("no approval message %s", base)
	return "", nil
}

func apPostText(p bot.Post) string {
	parts := []string{p.Title, p.Text, p.Quote}
	for _, f := range p.Fields {
		parts = append(parts, f.Name+": "+f.Value)
	}
	if p.Link != nil {
		parts = append(parts, p.Link.Label+" "+p.Link.URL)
	}
	return strings.Join(append(parts, p.Context), "\n")
}

func apLabels(bs []bot.Button) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Label)
	}
	return strings.Join(out, ",")
}

func (b *apBundle) publishes(t *testing.T) []*bot.OutboxMessage {
	t.Helper()
	b.sender.mu.Lock()
	defer b.sender.mu.Unlock()
	var out []*bot.OutboxMessage
	for _, m := range b.sender.posts {
		if strings.HasPrefix(m.Key, "publish:") {
			out = append(out, m)
		}
	}
	return out
}

func TestEachDraftingPathMakesADraftWaitingInTheApprovalsChannel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		m := b.target(t, apFeedback, "1500000000000005001", "the export button crashes on big files")
		items, _ := db.ListFeedback(ctx, store.FeedbackFilter{})
		it := items[0]

		// 1. The relay's Draft reply button opens a form, prefilled with context.
		reply, err := b.r.HandleAction(ctx, &bot.Action{Delivery: b.key(), ActionID: "feedback.draft", Value: fmt.Sprint(it.ID), User: apUser(apCarol)})
		if err != nil || reply.Modal == nil {
			t.Fatalf("Draft reply = %+v, %v", reply, err)
		}
		md := reply.Modal
		if md.CallbackID != "approvals.draft" || md.Meta != fmt.Sprintf("feedback:%d", it.ID) || !strings.Contains(md.Fields[0].Label, "the export button crashes") ||
			md.Fields[0].Value != "Hi alice, " || len(md.Title) > 24 {
			t.Errorf("form = %+v", md)
		}
		reply, err = b.submit(apCarol, md.CallbackID, md.Meta, map[string]string{"text": "Hi alice, a fix ships on Monday."})
		if err != nil || reply.Text != "Draft #1 is waiting for approval in #approvals: it needs 1 of carol, dave, erin — carol wrote this version, so only dave or erin can approve it." {
			t.Fatalf("submit = %+v, %v", reply, err)
		}
		// 2. /liaison reply <feedback id> <text>, to another item.
		b.target(t, apFeedback, "1500000000000005003", "and the import hangs")
		reply, err = b.command(t, apBob, "reply 2 Thanks for the report!")
		if err != nil || !strings.HasPrefix(reply.Text, "Draft #2 is waiting") {
			t.Fatalf("/liaison reply = %+v, %v", reply, err)
		}
		// 3. /liaison draft <link> <text>, to a message that is not feedback.
		other := b.target(t, apGeneral, "1500000000000005002", "when is the next release?")
		d3 := b.draft(t, apBob, other, "Next week!")
		b.settle(t)

		d1 := b.get(t, 1)
		if d1.FeedbackID == nil || *d1.FeedbackID != it.ID || d1.TargetMessageID != m.ID || d1.TargetAuthorName != "alice" || d1.Author != apCarol ||
			d1.TextHash != bot.DraftHash("Hi alice, a fix ships on Monday.", d1.Target()) || d1.Status != bot.DraftPending {
			t.Errorf("draft 1 = %+v", d1)
		}
		if d2 := b.get(t, 2); d2.FeedbackID == nil || *d2.FeedbackID != 2 || d2.Author != apBob {
			t.Errorf("draft 2 = %+v", d2)
		}
		if d3.FeedbackID != nil || d3.TargetChannelName != "general" || d3.TargetText != "when is the next release?" {
			t.Errorf("draft 3 = %+v", d3)
		}
		e, p := b.lastPost(t, store.DraftOutboxKey(1))
		if e.Key != "draft:1" || e.State != store.OutboxSent || p.ChannelID != apApprovals {
			t.Fatalf("approval message = %+v", e)
		}
		text := apPostText(p)
		for _, want := range []string{"Draft reply #1 to alice in #feedback (feedback #1)", "the export button crashes on big files",
			"Reply: Hi alice, a fix ships on Monday.", "Drafted by: carol", "Version: 1 by carol · text " + bot.ShortHash(d1.TextHash), "Policy: needs 1 of carol, dave, erin — carol wrote this version, so only dave or erin can approve it",
			"Status: waiting for approval (0 of 1), expires Wed 25 Nov 10:00", "react ✅ to approve"} {
			if !strings.Contains(text, want) {
				t.Errorf("approval message lacks %q:\n%s", want, text)
			}
		}
		if apLabels(p.Buttons) != "Approve,Reject,Edit" || p.Buttons[0].Value != fmt.Sprintf("1:v1:%s", d1.TextHash) {
			t.Errorf("buttons = %+v", p.Buttons)
		}
		hist, _ := db.FeedbackHistory(ctx, it.ID)
		if hist[len(hist)-1].Action != "drafted a reply" {
			t.Errorf("feedback history = %+v", hist)
		}

		// What cannot be drafted changes nothing and says why.
		for _, tc := range []struct{ user, text, want string }{
			{"U01NOBODY", fmt.Sprintf("reply %d hi", it.ID), "Drafting a public reply is for staff: bob, carol, dave, or erin."},
			{apBob, "reply 99 hi", "There is no feedback item 99."},
			{apBob, fmt.Sprintf("reply %d", it.ID), "Write the reply after the number"},
			{apBob, fmt.Sprintf("reply %d %s", it.ID, strings.Repeat("a", 2001)), "The reply is 2001 characters long; Discord takes at most 2000"},
			// 2,000 characters as typed, 2,001 as Discord gets them (@everyone defused).
			{apBob, fmt.Sprintf("reply %d %s @everyone", it.ID, strings.Repeat("a", 1990)), "The reply is 2001 characters long; Discord takes at most 2000"},
			{apBob, "draft https://discord.com/channels/111111111111111111/1100000000000000001/1500000000000005001 hi", "a Discord server Liaison is not set up for"},
			{apBob, "draft https://discord.com/channels/998877665544332211/1100000000000000001/1500000000000009999 hi", "That Discord message no longer exists"},
			{apBob, "draft not-a-link hi", "is not a Discord message link"},
		} {
			if _, err := b.command(t, tc.user, tc.text); err == nil || !strings.Contains(bot.ErrorMessage(err), tc.want) {
				t.Errorf("/liaison %.60s = %v, want %q", tc.text, err, tc.want)
			}
		}
		if all, _ := db.ListDrafts(ctx, store.DraftFilter{}); len(all) != 3 {
			t.Errorf("%d drafts, want 3", len(all))
		}
	})
}

func TestOnlyApproversApproveAndNeverTheirOwnDraft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		d := b.draft(t, apCarol, b.target(t, apFeedback, "1500000000000005001", "it crashes"), "We are on it.")

		_, err := b.click(d, apBob, "approvals.approve")
		if bot.ErrorCode(err) != bot.EForbidden || bot.ErrorMessage(err) != "You are not an approver for this draft: it needs 1 of carol, dave, erin — carol wrote this version, so only dave or erin can approve it. Nothing was changed." {
			t.Errorf("bob's click = %v", err)
		}
		_, err = b.click(d, apCarol, "approvals.approve")
		if bot.ErrorCode(err) != bot.EForbidden || !strings.HasPrefix(bot.ErrorMessage(err), "You wrote this version of the draft, so you cannot approve it") {
			t.Errorf("carol's own click = %v", err)
		}
		b.react(t, d, apBob, "white_check_mark")
		if got := b.direct.last(); !strings.HasPrefix(got, apBob+": You are not an approver for this draft") {
			t.Errorf("bob's ✅ answered %q", got)
		}
		b.react(t, d, apCarol, "white_check_mark::skin-tone-3")
		if got := b.direct.last(); !strings.HasPrefix(got, apCarol+": You wrote this version of the draft") {
			t.Errorf("carol's ✅ answered %q", got)
		}
		b.react(t, d, apBob, "x")
		if got := b.direct.last(); !strings.HasPrefix(got, apBob+": You are not an approver for this draft") {
			t.Errorf("bob's ❌ answered %q", got)
		}
		if _, err := b.click(d, apBob, "approvals.reject"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("bob's Reject = %v", err)
		}
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftPending || len(b.publishes(t)) != 0 {
			t.Errorf("after refusals: %s, %d publishes", got.Status, len(b.publishes(t)))
		}
		hist, _ := db.DraftHistory(context.Background(), d.ID)
		if len(hist) != 1 {
			t.Errorf("refusals left history %+v", hist)
		}
		// A reaction elsewhere, or another emoji, is not a decision.
		b.react(t, d, apDave, "eyes")
		if got := b.get(t, d.ID); got.Status != bot.DraftPending {
			t.Errorf("👀 changed the draft: %s", got.Status)
		}
	})
}

func TestQuorumAnyAllAndNBeforePublishing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		channel   string
		approvers []string // in order; the draft is published at the last
	}{
		{"any (feedback)", apFeedback, []string{apDave}},
		{"2 (general)", apGeneral, []string{apDave, apErin}},
		{"all but the author (announcements)", apAnnounce, []string{apDave, apErin, apCarol}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				b := setupApprovals(t, db)
				d := b.draft(t, apBob, b.target(t, tt.channel, "1500000000000005001", "hello?"), "Hello!")
				for i, who := range tt.approvers {
					reply, err := b.click(d, who, "approvals.approve")
					if err != nil {
						t.Fatalf("approval %d by %s: %v", i+1, who, err)
					}
					b.settle(t)
					last := i == len(tt.approvers)-1
					if got := b.get(t, d.ID).Status; (got == bot.DraftPosted) != last {
						t.Fatalf("after %d of %d approvals: %s (%q)", i+1, len(tt.approvers), got, reply.Text)
					}
					if !last && !strings.Contains(reply.Text, fmt.Sprintf("It needs %d more approval(s)", len(tt.approvers)-i-1)) {
						t.Errorf("reply = %q", reply.Text)
					}
				}
				if n := len(b.publishes(t)); n != 1 {
					t.Errorf("%d publishes", n)
				}
			})
		})
	}
}

func TestAnApprovalPublishesTheReplyInDiscordAndAnswersTheFeedback(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		m := b.target(t, apFeedback, "1500000000000005001", "it crashes")
		d := b.draft(t, apCarol, m, "We are on it, @everyone <!channel>.")
		b.clock.Advance(30 * time.Minute)
		reply, err := b.click(d, apDave, "approvals.approve")
		if err != nil || reply.Text != "You approved draft #1: it is being posted in Discord." {
			t.Fatalf("approve = %+v, %v", reply, err)
		}
		// In the same transaction: the reply in the outbox, the item answered.
		e, p := b.lastPost(t, "publish:1")
		if e.Platform != bot.PlatformDiscord || p.ChannelID != apFeedback || p.ThreadOf != m.ID || p.Text != d.Text || len(p.Notify) != 0 {
			t.Errorf("publish = %+v %+v", e, p)
		}
		it, _ := db.Feedback(ctx, *d.FeedbackID)
		if it.Status != store.FeedbackAnswered || it.FirstResponseAt == nil || !it.FirstResponseAt.Equal(b.clock.Now()) {
			t.Errorf("item = %s %v", it.Status, it.FirstResponseAt)
		}
		b.settle(t)
		got := b.get(t, d.ID)
		if got.Status != bot.DraftPosted || got.DiscordMessageID == "" || got.PostedAt == nil {
			t.Fatalf("draft = %+v", got)
		}
		text, buttons := b.approvalMessage(t, got)
		for _, want := range []string{"Status: posted in Discord on Mon 23 Nov 10:30", "Approved by: dave (Mon 23 Nov 10:30)",
			"Open the reply in Discord https://discord.com/channels/" + apGuild + "/" + apFeedback + "/" + got.DiscordMessageID} {
			if !strings.Contains(text, want) {
				t.Errorf("approval message lacks %q:\n%s", want, text)
			}
		}
		if len(buttons) != 0 {
			t.Errorf("a posted draft still has buttons %v", apLabels(buttons))
		}
		hist, _ := db.DraftHistory(ctx, d.ID)
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Actor+" "+h.Action)
		}
		if strings.Join(actions, "|") != "carol created|dave approved| queued the reply for Discord| posted" || hist[3].Detail != "Discord message "+got.DiscordMessageID || hist[1].TextHash != d.TextHash {
			t.Errorf("history = %+v", hist)
		}
		// Nothing more can happen to it.
		if _, err := b.click(d, apErin, "approvals.approve"); bot.ErrorCode(err) != bot.EConflict || bot.ErrorMessage(err) != "Draft #1 was already posted in Discord, so it cannot be approved." {
			t.Errorf("late approval = %v", err)
		}
		show, err := b.command(t, apCarol, "draft show 1")
		if err != nil || !strings.Contains(show.Text, "History:\n2026-11-23 10:00 carol created (text "+bot.ShortHash(d.TextHash)+")") ||
			!strings.Contains(show.Text, "Liaison posted (text ") || !strings.Contains(show.Text, "Status: posted in Discord") {
			t.Errorf("draft show = %+v, %v", show, err)
		}
		list, err := b.command(t, apCarol, "drafts mine")
		if err != nil || !strings.Contains(list.Text, "#1 posted · by carol to alice in #feedback: We are on it") {
			t.Errorf("drafts mine = %+v, %v", list, err)
		}
		if list, _ := b.command(t, apCarol, "drafts"); list.Text != "No drafts waiting for approval." {
			t.Errorf("drafts = %q", list.Text)
		}
	})
}

func TestEditClearsApprovalsAndALaterApprovalPublishesTheNewText(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		d := b.draft(t, apBob, b.target(t, apGeneral, "1500000000000005001", "is it down?"), "It is not down.") // quorum 2
		if _, err := b.click(d, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		// Only the author and approvers edit.
		if _, err := b.click(d, "U01NOBODY", "approvals.edit"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("an outsider's Edit = %v", err)
		}
		reply, err := b.click(d, apBob, "approvals.edit")
		if err != nil || reply.Modal == nil || reply.Modal.Fields[0].Value != "It is not down." || reply.Modal.Meta != fmt.Sprintf("%d:v1:%s", d.ID, d.TextHash) {
			t.Fatalf("Edit = %+v, %v", reply, err)
		}
		form := reply.Modal
		reply, err = b.submit(apBob, form.CallbackID, form.Meta, map[string]string{"text": "It was down for 5 minutes; it is back."})
		if err != nil || reply.Text != "Draft #1 is saved as version 2: it needs 2 of carol, dave, erin. The approvals of version 1 do not count for it." {
			t.Fatalf("save = %+v, %v", reply, err)
		}
		b.settle(t)
		edited := b.get(t, d.ID)
		if edited.TextHash == d.TextHash || edited.Status != bot.DraftPending {
			t.Fatalf("edited = %+v", edited)
		}
		_, thread := b.lastPost(t, "draft:1:thread:")
		if thread.Text != "bob wrote version 2 of this draft. The approvals of dave were for version 1 and do not count for it. Version 2 needs 2 of carol, dave, erin." ||
			strings.Join(thread.Notify, ",") != apDave {
			t.Errorf("thread = %+v", thread)
		}
		if text, _ := b.approvalMessage(t, edited); !strings.Contains(text, "Reply: It was down for 5 minutes") || !strings.Contains(text, "(0 of 2)") {
			t.Errorf("approval message:\n%s", text)
		}
		// The same form again is refused: it was for the old text.
		if _, err := b.submit(apBob, form.CallbackID, form.Meta, map[string]string{"text": "again"}); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("a stale edit = %v", err)
		}
		// apDave's old button (old text) is refused; the new one counts.
		if _, err := b.click(d, apDave, "approvals.approve"); bot.ErrorCode(err) != bot.EConflict || !strings.Contains(bot.ErrorMessage(err), "changed since this message was shown: here is the new one, version 2 by bob") {
			t.Errorf("approving the old text = %v", err)
		}
		for _, who := range []string{apDave, apErin} {
			if _, err := b.click(edited, who, "approvals.approve"); err != nil {
				t.Fatal(err)
			}
		}
		b.settle(t)
		pubs := b.publishes(t)
		var p bot.Post
		if len(pubs) != 1 || json.Unmarshal(pubs[0].Payload, &p) != nil || p.Text != "It was down for 5 minutes; it is back." {
			t.Fatalf("published %d: %+v", len(pubs), p)
		}
		hist, _ := db.DraftHistory(context.Background(), d.ID)
		if hist[2].Action != "edited" || hist[2].OldHash != d.TextHash || hist[2].TextHash != edited.TextHash || hist[2].Detail != "version 2 by bob; the 1 approval(s) of version 1 do not count for it" {
			t.Errorf("edit history = %+v", hist[2])
		}
	})
}

func TestRejectWithAReasonTellsTheAuthorWhoMayResubmit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "your app is bad"), "No it is not.")
		reply, err := b.click(d, apDave, "approvals.reject")
		if err != nil || reply.Modal == nil || reply.Modal.CallbackID != "approvals.reject" || reply.Modal.Fields[0].ID != "reason" {
			t.Fatalf("Reject = %+v, %v", reply, err)
		}
		if _, err := b.submit(apDave, "approvals.reject", reply.Modal.Meta, map[string]string{"reason": " "}); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("an empty reason = %v", err)
		}
		reply, err = b.submit(apDave, "approvals.reject", reply.Modal.Meta, map[string]string{"reason": "too defensive; thank them first"})
		if err != nil || reply.Text != "You rejected draft #1; bob is told in its thread." {
			t.Fatalf("reject = %+v, %v", reply, err)
		}
		b.settle(t)
		got := b.get(t, d.ID)
		if got.Status != bot.DraftRejected || got.Reason != "too defensive; thank them first" || got.DecidedBy != apDave {
			t.Errorf("rejected = %+v", got)
		}
		_, thread := b.lastPost(t, "draft:1:thread:")
		if thread.Text != "dave rejected this draft: too defensive; thank them first\nEdit it to resubmit a new text." || strings.Join(thread.Notify, ",") != apBob {
			t.Errorf("thread = %+v", thread)
		}
		text, buttons := b.approvalMessage(t, got)
		if !strings.Contains(text, "Status: rejected by dave: too defensive; thank them first. Edit it to resubmit.") || apLabels(buttons) != "Edit" {
			t.Errorf("approval message %v:\n%s", apLabels(buttons), text)
		}
		if _, err := b.click(got, apErin, "approvals.approve"); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("approving a rejected draft = %v", err)
		}
		// apBob edits and resubmits: waiting again, apDave is told.
		reply, err = b.submit(apBob, "approvals.edit", fmt.Sprintf("%d:%s", got.ID, got.TextHash), map[string]string{"text": "Thank you for telling us! What went wrong?"})
		if err != nil || reply.Text != "Draft #1 is resubmitted for approval as version 2: it needs 1 of carol, dave, erin." {
			t.Fatalf("resubmit = %+v, %v", reply, err)
		}
		b.settle(t)
		again := b.get(t, d.ID)
		if again.Status != bot.DraftPending || again.Reason != "" || again.DecidedBy != "" {
			t.Errorf("resubmitted = %+v", again)
		}
		_, thread = b.lastPost(t, "draft:1:thread:")
		if !strings.HasPrefix(thread.Text, "bob resubmitted the draft after its rejection, with a new text, as version 2.") || strings.Join(thread.Notify, ",") != apDave {
			t.Errorf("thread = %+v", thread)
		}
		if _, err := b.click(again, apErin, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftPosted {
			t.Errorf("after resubmission and approval: %s", got.Status)
		}
	})
}

func TestACrossReactionRejectsAndTheThreadAsksTheRejecterWhy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "refund?"), "No refunds.")
		b.react(t, d, apErin, "x")
		if got := b.direct.last(); got != apErin+": You rejected draft #1. Please give bob the reason in its thread." {
			t.Errorf("erin was told %q", got)
		}
		b.settle(t)
		got := b.get(t, d.ID)
		if got.Status != bot.DraftRejected || got.Reason != "" || got.DecidedBy != apErin {
			t.Fatalf("rejected = %+v", got)
		}
		_, thread := b.lastPost(t, "draft:1:thread:")
		if !strings.HasPrefix(thread.Text, "erin rejected this draft with ❌. erin, please reply in this thread with the reason") || strings.Join(thread.Notify, ",") != apBob+","+apErin {
			t.Errorf("thread = %+v", thread)
		}
		ts := b.slackTS(t, d)
		say := func(user, text string) {
			ev := &bot.Message{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_message", Key: fmt.Sprintf("m%d", b.n.Add(1))}}},
				Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}, ID: fmt.Sprintf("1700000100.%06d", b.n.Load()),
				ThreadID: ts, Author: apUser(user), Text: text}
			if err := b.r.HandleEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		say(apBob, "why?")
		if b.get(t, d.ID).Reason != "" {
			t.Error("the author's message was taken for the rejecter's reason")
		}
		say(apErin, "we do refund within 30 days")
		b.settle(t)
		got = b.get(t, d.ID)
		if got.Reason != "we do refund within 30 days" {
			t.Errorf("reason = %q", got.Reason)
		}
		if text, _ := b.approvalMessage(t, got); !strings.Contains(text, "rejected by erin: we do refund within 30 days") {
			t.Errorf("approval message:\n%s", text)
		}
		hist, _ := db.DraftHistory(ctx, d.ID)
		if last := hist[len(hist)-1]; last.Action != "gave the reason" || last.Actor != "erin" {
			t.Errorf("history = %+v", hist)
		}
	})
}

func TestDraftsExpireAndGoStale(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		old := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "hello"), "Hi!")
		b.clock.Advance(47 * time.Hour)
		if n, _ := b.caps.Approvals.SettleDrafts(ctx, b.clock.Now()); n != 0 {
			t.Errorf("%d drafts expired before their deadline", n)
		}
		b.clock.Advance(time.Hour)
		b.settle(t)
		got := b.get(t, old.ID)
		if got.Status != bot.DraftExpired {
			t.Fatalf("after 48h: %s", got.Status)
		}
		text, buttons := b.approvalMessage(t, got)
		if !strings.Contains(text, "Status: expired Wed 25 Nov 10:00: nobody approved it in time. Draft it again to answer.") || len(buttons) != 0 {
			t.Errorf("expired message %v:\n%s", apLabels(buttons), text)
		}
		if _, err := b.click(old, apDave, "approvals.approve"); bot.ErrorMessage(err) != "Draft #1 expired Wed 25 Nov 10:00, before it had its approvals: it can't be approved any more. Draft the reply again to answer. Nothing was changed." {
			t.Errorf("approving an expired draft = %v", err)
		}

		// Past its deadline but not yet seen by the job: a click is refused,
		// and the job expires it.
		late := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005002", "hello again"), "Hi again!")
		b.clock.Advance(49 * time.Hour)
		_, err := b.click(late, apDave, "approvals.approve")
		if bot.ErrorCode(err) != bot.EConflict || !strings.HasPrefix(bot.ErrorMessage(err), "Draft #2 expired ") || b.get(t, late.ID).Status != bot.DraftPending {
			t.Errorf("late approval = %v", err)
		}
		b.settle(t)
		if got := b.get(t, late.ID).Status; got != bot.DraftExpired {
			t.Errorf("after the job: %s", got)
		}

		// Staleness: the target deleted while Liaison listened…
		m3 := b.target(t, apFeedback, "1500000000000005003", "one")
		heard := b.draft(t, apBob, m3, "Answer one.")
		b.msgs.remove(apFeedback, m3.ID)
		if err := b.r.HandleEvent(ctx, &bot.MessageDeleted{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_delete", Key: m3.ID}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ChannelID: apFeedback}, ID: m3.ID}); err != nil {
			t.Fatal(err)
		}
		// …while it did not (found by the periodic check)…
		m4 := b.target(t, apFeedback, "1500000000000005004", "two")
		unheard := b.draft(t, apBob, m4, "Answer two.")
		// …and found at the approval itself.
		m5 := b.target(t, apFeedback, "1500000000000005005", "three")
		atClick := b.draft(t, apBob, m5, "Answer three.")
		b.msgs.remove(apFeedback, m4.ID)
		if n, err := b.caps.Approvals.CheckDraftTargets(ctx, b.clock.Now()); err != nil || n != 1 {
			t.Errorf("CheckDraftTargets = %d, %v", n, err)
		}
		b.msgs.remove(apFeedback, m5.ID)
		reply, err := b.click(atClick, apDave, "approvals.approve")
		if err != nil || reply.Text != "The Discord message draft #5 answers was deleted, so the draft can't be posted any more." {
			t.Errorf("approving a draft whose target is gone = %+v, %v", reply, err)
		}
		b.settle(t)
		for _, d := range []*store.Draft{heard, unheard, atClick} {
			got := b.get(t, d.ID)
			text, buttons := b.approvalMessage(t, got)
			if got.Status != bot.DraftStale || !strings.Contains(text, "Status: cannot be posted any more: the Discord message it answers was deleted") || len(buttons) != 0 {
				t.Errorf("draft %d: %s %v\n%s", d.ID, got.Status, apLabels(buttons), text)
			}
		}
		if len(b.publishes(t)) != 0 {
			t.Error("an expired or stale draft was published")
		}
	})
}

func TestADiscordRefusalIsShownInPlainWordsAndRetried(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "hello"), "Hi!")
		b.sender.refuse.Store(true)
		if _, err := b.click(d, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		got := b.get(t, d.ID)
		if got.Status != bot.DraftFailed {
			t.Fatalf("after a refusal: %s", got.Status)
		}
		text, buttons := b.approvalMessage(t, got)
		if !strings.Contains(text, "Status: Discord refused the reply: Liaison cannot post in #feedback: give it Send Messages there. Fix that, then click Retry.") || apLabels(buttons) != "Retry" {
			t.Fatalf("failed message %v:\n%s", apLabels(buttons), text)
		}
		if _, err := b.click(got, "U01NOBODY", "approvals.retry"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("an outsider's Retry = %v", err)
		}
		b.sender.refuse.Store(false)
		reply, err := b.click(got, apErin, "approvals.retry")
		if err != nil || reply.Text != "Liaison is trying again to post draft #1 in Discord." {
			t.Fatalf("Retry = %+v, %v", reply, err)
		}
		b.settle(t)
		if got := b.get(t, d.ID); got.Status != bot.DraftPosted || b.sender.count("publish:1") != 1 {
			t.Errorf("after Retry: %s, sent %d", got.Status, b.sender.count("publish:1"))
		}
		if _, err := b.click(got, apErin, "approvals.retry"); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("a second Retry = %v", err)
		}
		hist, _ := b.db.DraftHistory(context.Background(), d.ID)
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		if got := strings.Join(actions, ","); got != "created,approved,queued the reply for Discord,failed,retried,posted" {
			t.Errorf("history = %s", got)
		}
	})
}

func TestTheReplyPingsTheTargetsAuthorOnlyWhenThePolicySays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		quiet := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "hi"), "Hello <@U01CAROL> @here")
		loud := b.draft(t, apBob, b.target(t, apAnnounce, "1500000000000005002", "when?"), "Soon!")
		if _, err := b.click(quiet, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{apCarol, apDave, apErin} {
			if _, err := b.click(loud, who, "approvals.approve"); err != nil {
				t.Fatal(err)
			}
		}
		_, p := b.lastPost(t, store.PublishOutboxKey(quiet.ID))
		if len(p.Notify) != 0 {
			t.Errorf("ping_author off: Notify = %v", p.Notify)
		}
		_, p = b.lastPost(t, store.PublishOutboxKey(loud.ID))
		if strings.Join(p.Notify, ",") != apAlice {
			t.Errorf("ping_author on: Notify = %v, want only alice", p.Notify)
		}
	})
}

// Exactly once: however the approvals arrive, one reply is published.

func TestPublishingIsExactlyOnceUnderDoubleClicksAndReplays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "hello"), "Hi!")
		a := &bot.Action{Delivery: b.key(), ActionID: "approvals.approve", Value: fmt.Sprintf("%d:v1:%s", d.ID, d.TextHash), User: apUser(apDave)}
		first, err := b.r.HandleAction(ctx, a)
		if err != nil || !strings.Contains(first.Text, "it is being posted") {
			t.Fatalf("first = %+v, %v", first, err)
		}
		// The same payload again (Slack retried it): not handled twice.
		if again, err := b.r.HandleAction(ctx, a); again != nil || err != nil {
			t.Errorf("replayed payload = %+v, %v", again, err)
		}
		// A second click (a new trigger): refused, nothing changes.
		if _, err := b.click(d, apDave, "approvals.approve"); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("double click = %v", err)
		}
		b.react(t, d, apErin, "white_check_mark")
		b.settle(t)
		if n := b.sender.count("publish:1"); n != 1 {
			t.Errorf("published %d times", n)
		}
		var approvals []store.Approval
		_ = db.InTx(ctx, func(tx *store.Tx) (err error) { approvals, err = tx.Approvals(ctx, d.ID, d.Version); return err })
		if len(approvals) != 1 {
			t.Errorf("%d approvals recorded, want dave's", len(approvals))
		}
	})
}

func TestTwoApproversAtOnceWithQuorumOnePublishOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		for round := range 5 {
			d := b.draft(t, apBob, b.target(t, apFeedback, fmt.Sprint(1500000000000006000+round), "hello"), fmt.Sprintf("Hi %d!", round))
			var wg sync.WaitGroup
			var ok atomic.Int32
			for i, who := range []string{apCarol, apDave, apErin} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					if i == 2 {
						ev := &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_event", Key: fmt.Sprintf("race-%d-%d", round, i)}}},
							Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}, MessageID: b.slackTS(t, d), User: apUser(who), Emoji: "white_check_mark"}
						err = b.r.HandleEvent(context.Background(), ev)
					} else {
						_, err = b.click(d, who, "approvals.approve")
					}
					if err == nil {
						ok.Add(1)
					} else if bot.ErrorCode(err) != bot.EConflict {
						t.Errorf("%s: %v", who, err)
					}
				}()
			}
			wg.Wait()
			b.settle(t)
			if n := b.sender.count(store.PublishOutboxKey(d.ID)); n != 1 {
				t.Errorf("round %d: published %d times", round, n)
			}
			if got := b.get(t, d.ID); got.Status != bot.DraftPosted {
				t.Errorf("round %d: %s", round, got.Status)
			}
		}
	})
}

func TestTwoReplicasApprovingAtOncePublishOnce(t *testing.T) {
	t.Parallel()
	one, two := approvalReplicas(t)
	for round := range 5 {
		d := one.draft(t, apBob, one.target(t, apFeedback, fmt.Sprint(1500000000000007000+round), "hello"), fmt.Sprintf("Hi %d!", round))
		var wg sync.WaitGroup
		for i, b := range []*apBundle{one, two, one, two} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				who := []string{apCarol, apDave, apErin, apCarol}[i]
				if _, err := b.click(d, who, "approvals.approve"); err != nil && bot.ErrorCode(err) != bot.EConflict {
					t.Errorf("%s on replica %d: %v", who, i%2+1, err)
				}
			}()
		}
		wg.Wait()
		settleAll(t, one, two) // both replicas' dispatchers and jobs run
		if n := one.sender.count(store.PublishOutboxKey(d.ID)) + two.sender.count(store.PublishOutboxKey(d.ID)); n != 1 {
			t.Errorf("round %d: published %d times across replicas", round, n)
		}
	}
}

func TestARestartBetweenApprovalAndSendPublishesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "hello"), "Hi!")
		if _, err := b.click(d, apDave, "approvals.approve"); err != nil {
			t.Fatal(err)
		}
		// The process stops before its dispatcher sends anything; a new one
		// (new router, new dispatcher, same database) takes over.
		after := setupApprovals(t, db)
		after.msgs = b.msgs
		after.settle(t)
		after.settle(t)
		if n := after.sender.count("publish:1") + b.sender.count("publish:1"); n != 1 {
			t.Errorf("published %d times", n)
		}
		if got := after.get(t, d.ID); got.Status != bot.DraftPosted {
			t.Errorf("after the restart: %s", got.Status)
		}
	})
}

func TestUserGroupsApproveThroughSlack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg, err := config.Parse("liaison.yaml", []byte(strings.Replace(approvalsYAML, "approvers: [carol, dave, erin]",
			"approvers: [carol, {slack_group: S01LEADS, handle: leads}]", 1)))
		if err != nil {
			t.Fatal(err)
		}
		b := setupApprovals(t, db)
		b.caps = Build(Deps{DB: db, Config: cfg, Clock: b.clock, Logger: slog.New(slog.DiscardHandler), Discord: b.msgs, SlackDirect: b.direct})
		b.r = b.caps.Router
		b.direct.groups["S01LEADS"] = []string{"U01LEAD1"}
		d := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000005001", "hello"), "Hi!")
		if _, p := b.lastPost(t, "draft:1"); !strings.Contains(apPostText(p), "Policy: needs 1 of carol, @leads") {
			t.Errorf("policy line:\n%s", apPostText(p))
		}
		if _, err := b.click(d, apDave, "approvals.approve"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("dave, not in the group = %v", err)
		}
		if _, err := b.click(d, "U01LEAD1", "approvals.approve"); err != nil {
			t.Errorf("a member of the group = %v", err)
		}
		// A group Slack cannot read refuses the draft rather than guess.
		delete(b.direct.groups, "S01LEADS")
		m := b.target(t, apFeedback, "1500000000000005002", "hello")
		if _, err := b.command(t, apBob, fmt.Sprintf("draft https://discord.com/channels/%s/%s/%s Hi!", apGuild, apFeedback, m.ID)); err == nil {
			t.Error("a draft was made while its approvers could not be read")
		}
	})
}

func TestADraftInALockedOrArchivedThreadGoesStale(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		closeThread := func(m *bot.Message) {
			closed := *m
			closed.Closed = true
			b.msgs.put(&closed)
		}
		// Found at the approval itself…
		m1 := b.target(t, apFeedback, "1500000000000006001", "in a thread")
		atClick := b.draft(t, apBob, m1, "Answer one.")
		closeThread(m1)
		reply, err := b.click(atClick, apDave, "approvals.approve")
		if err != nil || reply.Text != "Draft #1 answers a message in a Discord thread that is now locked or archived, so the draft can't be posted any more." {
			t.Errorf("approving a draft in a locked thread = %+v, %v", reply, err)
		}
		// …and by the periodic check.
		m2 := b.target(t, apFeedback, "1500000000000006002", "also in a thread")
		checked := b.draft(t, apBob, m2, "Answer two.")
		closeThread(m2)
		if n, err := b.caps.Approvals.CheckDraftTargets(ctx, b.clock.Now()); err != nil || n != 1 {
			t.Errorf("CheckDraftTargets = %d, %v", n, err)
		}
		b.settle(t)
		for _, d := range []*store.Draft{atClick, checked} {
			got := b.get(t, d.ID)
			text, buttons := b.approvalMessage(t, got)
			if got.Status != bot.DraftStale || !strings.Contains(text, "cannot be posted any more: the Discord thread it answers in is locked or archived") || len(buttons) != 0 {
				t.Errorf("draft %d: %s %v\n%s", d.ID, got.Status, apLabels(buttons), text)
			}
		}
		if len(b.publishes(t)) != 0 {
			t.Error("a draft in a closed thread was published")
		}
		// …and at once when Discord says the thread closed.
		const thread = "1700000000000000099"
		inThread := b.target(t, thread, "1500000000000006003", "asked in a forum post")
		waiting := b.draft(t, apBob, inThread, "Answer three.")
		elsewhere := b.draft(t, apBob, b.target(t, apFeedback, "1500000000000006004", "not in it"), "Answer four.")
		err = b.r.HandleEvent(ctx, &bot.ThreadClosed{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_thread", Key: thread + ":closed"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: apGuild, ChannelID: apFeedback}, ThreadID: thread})
		if err != nil {
			t.Fatal(err)
		}
		b.settle(t)
		if got := b.get(t, waiting.ID); got.Status != bot.DraftStale || got.Reason != "the Discord thread it answers in is locked or archived" {
			t.Errorf("the draft in the closed thread: %s %q", got.Status, got.Reason)
		}
		if got := b.get(t, elsewhere.ID); got.Status != bot.DraftPending {
			t.Errorf("a draft elsewhere went %s", got.Status)
		}
	})
}

// Removing one's ✅ takes the approval back while the draft waits; once
// the draft is sent, it changes nothing and says so.
func TestRemovingACheckMarkWithdrawsTheApprovalUntilTheDraftIsSent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		d := b.draft(t, apBob, b.target(t, apGeneral, "1500000000000005001", "hello?"), "Hello!") // quorum 2
		b.react(t, d, apDave, "white_check_mark")
		b.settle(t)
		if text, _ := b.approvalMessage(t, b.get(t, d.ID)); !strings.Contains(text, "waiting for approval (1 of 2") {
			t.Fatalf("dave's approval is not shown:\n%s", text)
		}
		b.unreact(t, d, apDave, "white_check_mark")
		if got := b.direct.last(); got != apDave+": You withdrew your approval of draft #1." {
			t.Errorf("dave was told %q", got)
		}
		b.settle(t)
		if text, _ := b.approvalMessage(t, b.get(t, d.ID)); !strings.Contains(text, "waiting for approval (0 of 2)") {
			t.Errorf("the approval message still counts dave's approval:\n%s", text)
		}
		// Someone who had not approved removes a ✅: nothing to say.
		b.unreact(t, d, apErin, "white_check_mark")
		if got := b.direct.last(); got != apDave+": You withdrew your approval of draft #1." {
			t.Errorf("erin was told %q", got)
		}
		// erin's approval alone does not reach the quorum of 2 any more.
		b.react(t, d, apErin, "white_check_mark")
		b.settle(t)
		if got := b.get(t, d.ID).Status; got != bot.DraftPending {
			t.Fatalf("after the withdrawal and one approval: %s, want pending", got)
		}
		b.react(t, d, apDave, "white_check_mark")
		b.settle(t)
		if got := b.get(t, d.ID).Status; got != bot.DraftPosted {
			t.Fatalf("after two approvals: %s, want posted", got)
		}
		b.unreact(t, d, apErin, "white_check_mark")
		if got := b.direct.last(); got != apErin+": Draft #1 already had its approvals and was sent to Discord: removing ✅ does not take it back." {
			t.Errorf("erin was told %q", got)
		}
		if got := b.get(t, d.ID).Status; got != bot.DraftPosted || len(b.publishes(t)) != 1 {
			t.Errorf("after a late withdrawal: %s, %d publishes", got, len(b.publishes(t)))
		}
		hist, _ := db.DraftHistory(ctx, d.ID)
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Actor+" "+h.Action)
		}
		if !slices.Contains(actions, "dave withdrew their approval") {
			t.Errorf("history = %v", actions)
		}
	})
}

// A ✅ on the approval message in the moment before the dispatcher has
// recorded its ts still counts: the message's metadata names its row.
func TestACheckMarkBeforeTheApprovalMessageTSIsRecordedStillApproves(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		target := b.target(t, apFeedback, "1500000000000005001", "refund?")
		if _, err := b.command(t, apBob, fmt.Sprintf("draft https://discord.com/channels/%s/%s/%s We refund within 30 days.", apGuild, target.ChannelID, target.ID)); err != nil {
			t.Fatal(err)
		}
		d := b.get(t, 1)
		// A dispatcher is sending the approval message: Slack has it, the
		// outbox does not know its ts yet.
		claimed, err := db.ClaimOutbox(ctx, "slow-dispatcher", b.clock.Now(), 10)
		if err != nil || len(claimed) == 0 {
			t.Fatalf("claim = %d, %v", len(claimed), err)
		}
		const ts = "1700000500.000100"
		b.direct.mu.Lock()
		b.direct.metadata = map[string]string{apApprovals + " " + ts: "draft:1"}
		b.direct.mu.Unlock()
		react := func(own bool) {
			ev := &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_event", Key: fmt.Sprintf("Ev%d", b.n.Add(1))}}},
				Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}, MessageID: ts, User: apUser(apDave), Emoji: "white_check_mark", OwnMessage: own}
			if err := b.r.HandleEvent(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
		react(false) // a message that is not Liaison's: nothing is asked of Slack
		if got := b.get(t, d.ID).Status; got != bot.DraftPending {
			t.Fatalf("a ✅ on someone else's message changed the draft: %s", got)
		}
		react(true)
		if got := b.direct.last(); got != apDave+": You approved draft #1: it is being posted in Discord." {
			t.Errorf("dave was told %q", got)
		}
		if e, _ := db.OutboxByKey(ctx, "draft:1"); e.PlatformID != ts || e.PlatformChannel != apApprovals || e.State != store.OutboxSending {
			t.Errorf("the approval message's row = %+v, want its ts noted while it is being sent", e)
		}
	})
}
