package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Who may do what, through the Router: each command, button and form
// declares the action it needs, and the Router refuses everyone else
// before the handler runs, changing nothing.

// setupPerms is setupFeedback with extra appended to its configuration,
// and one item made of a Discord message msgID; it returns the item and how
// many outbox messages there are then.
func setupPerms(t *testing.T, db *store.DB, extra, msgID string) (*fbBundle, store.FeedbackItem, int) {
	t.Helper()
	b := setupFeedbackYAML(t, db, feedbackYAML+extra)
	b.event(t, discordMsg(feedbackCh, msgID, aliceID, "alice", "the export is broken"))
	return b, b.only(t), len(b.outbox(t))
}

// refused fails t unless the request was refused as forbidden with a
// message starting with want, and answered nothing else.
func refused(t *testing.T, what string, reply *bot.Reply, err error, want string) {
	t.Helper()
	if reply != nil || bot.ErrorCode(err) != bot.EForbidden || !strings.HasPrefix(bot.ErrorMessage(err), want) {
		t.Errorf("%s = %+v, %v; want forbidden: %q", what, reply, err, want)
	}
}

// unchanged fails t when the item's row, its history or the outbox moved
// since was and outbox were read.
func (b *fbBundle) unchanged(t *testing.T, was store.FeedbackItem, outbox int) {
	t.Helper()
	got := b.only(t)
	if got.Status != was.Status || got.HandledBy != was.HandledBy || got.Owner != was.Owner || got.ClosedAt != nil ||
		strings.Join(got.Tags, ",") != strings.Join(was.Tags, ",") || got.CloseReason != was.CloseReason {
		t.Errorf("the item changed: %+v, was %+v", got, was)
	}
	if n := len(b.outbox(t)); n != outbox {
		t.Errorf("%d outbox messages, want %d: a refusal enqueued something", n, outbox)
	}
	if hist, _ := b.db.FeedbackHistory(context.Background(), was.ID); len(hist) != 0 {
		t.Errorf("a refusal wrote history: %+v", hist)
	}
}

func TestStaffHandleFeedbackAndAnyoneElseIsRefusedWithNothingChanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b, was, outbox := setupPerms(t, db, "", "7001")
		ctx := context.Background()
		const stranger = "U0STRANGER" // in the Slack workspace, not in people:
		id := fmt.Sprint(was.ID)
		for _, tt := range []struct {
			what string
			do   func() (*bot.Reply, error)
			want string
		}{
			{"Close", func() (*bot.Reply, error) { return b.r.HandleAction(ctx, action("feedback.close", stranger, was.ID)) },
				"Closing feedback is for staff: carol or dave. Nothing was changed; ask one of them, or an admin to change permissions: in liaison.yaml."},
			{"Acknowledge", func() (*bot.Reply, error) { return b.r.HandleAction(ctx, action("feedback.ack", stranger, was.ID)) },
				"Acknowledging feedback is for staff: carol or dave."},
			{"Claim", func() (*bot.Reply, error) { return b.r.HandleAction(ctx, action("feedback.claim", stranger, was.ID)) },
				"Claiming feedback is for staff: carol or dave."},
			{"Tag", func() (*bot.Reply, error) { return b.r.HandleAction(ctx, action("feedback.tag", stranger, was.ID)) },
				"Tagging feedback is for staff: carol or dave."},
			{"the Tag form", func() (*bot.Reply, error) {
				return b.r.HandleSubmission(ctx, &bot.Submission{CallbackID: "feedback.tag", Meta: id, Values: map[string]string{"tags": "spam"},
					User: bot.User{Platform: bot.PlatformSlack, ID: stranger}})
			}, "Tagging feedback is for staff: carol or dave."},
			{"Draft reply", func() (*bot.Reply, error) { return b.r.HandleAction(ctx, action("feedback.draft", stranger, was.ID)) },
				"Drafting a public reply is for staff: carol or dave."},
			{"/liaison feedback close", func() (*bot.Reply, error) {
				return b.r.HandleCommand(ctx, slackCommand("liaison", "feedback close "+id+" spam", stranger))
			}, "Closing feedback is for staff: carol or dave."},
			{"/liaison feedback list", func() (*bot.Reply, error) {
				return b.r.HandleCommand(ctx, slackCommand("liaison", "feedback list", stranger))
			}, "Reading the feedback list is for staff: carol or dave."},
			{"Slack's /feedback", func() (*bot.Reply, error) {
				return b.r.HandleCommand(ctx, slackCommand("feedback", "exports are slow from Acme", stranger))
			}, "Logging feedback from Slack is for staff: carol or dave."},
		} {
			reply, err := tt.do()
			refused(t, tt.what, reply, err, tt.want)
		}
		b.unchanged(t, was, outbox) // only() also checks Slack's /feedback made no item

		// The community's ways in stay everyone's: Discord's /feedback.
		dc := &bot.Command{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_interaction", Key: "perm1"}}},
			Place: bot.Place{Platform: bot.PlatformDiscord, ScopeID: guild, ChannelID: generalCh}, Name: "feedback",
			Options: []bot.Option{{Name: "text", Value: "please add SSO"}}, User: bot.User{Platform: bot.PlatformDiscord, ID: eveID, Name: "eve"}}
		if reply, err := b.r.HandleCommand(ctx, dc); err != nil || !strings.HasPrefix(reply.Text, "Thanks! The team has your feedback") {
			t.Errorf("Discord /feedback by eve = %+v, %v", reply, err)
		}

		// Staff may.
		reply, err := b.r.HandleAction(ctx, action("feedback.close", "U01CAROL", was.ID))
		if err != nil || reply.Text != fmt.Sprintf("You closed feedback #%d.", was.ID) {
			t.Fatalf("carol's Close = %+v, %v", reply, err)
		}
		got, _ := db.Feedback(ctx, was.ID)
		if got.Status != store.FeedbackClosed || got.HandledBy != "carol" {
			t.Errorf("after carol's Close: %+v", got)
		}
	})
}

func TestAnOverrideInPermissionsRefusesWhomTheDefaultAllowed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b, was, outbox := setupPerms(t, db, "permissions:\n  feedback.close: [carol]\n", "7101")
		ctx := context.Background()
		// dave is staff, but closing is carol's alone now.
		reply, err := b.r.HandleAction(ctx, action("feedback.close", "U01DAVE", was.ID))
		refused(t, "dave's Close", reply, err, "Closing feedback is for carol. Nothing was changed;")
		reply, err = b.r.HandleCommand(ctx, slackCommand("liaison", fmt.Sprintf("feedback close %d", was.ID), "U01DAVE"))
		refused(t, "dave's /liaison feedback close", reply, err, "Closing feedback is for carol. Nothing was changed;")
		b.unchanged(t, was, outbox)
		// The rest of feedback keeps its default.
		if reply, err := b.r.HandleCommand(ctx, slackCommand("liaison", "feedback list", "U01DAVE")); err != nil || !strings.HasPrefix(reply.Text, "1 feedback item(s)") {
			t.Errorf("dave's /liaison feedback list = %+v, %v", reply, err)
		}
		if reply, err := b.r.HandleCommand(ctx, slackCommand("liaison", fmt.Sprintf("feedback close %d done", was.ID), "U01CAROL")); err != nil || reply.Text != fmt.Sprintf("Feedback #%d is closed.", was.ID) {
			t.Errorf("carol's /liaison feedback close = %+v, %v", reply, err)
		}
	})
}

func TestReplayingRoutesIsForAdmins(t *testing.T) {
	t.Parallel()
	run := func(b *fbBundle, user, text string) (*bot.Reply, error) {
		return b.r.HandleCommand(context.Background(), slackCommand("liaison", text, user))
	}
	b, _, _ := setupPerms(t, storetest.Open(t, store.SQLite), "admins: [carol]\n", "7301")
	reply, err := run(b, "U01DAVE", "route replay 7d")
	refused(t, "dave's route replay", reply, err, "Replaying feedback through the routing rules is for admins: carol. Nothing was changed;")
	if reply, err := run(b, "U01DAVE", `route test "it crashes"`); err != nil || !strings.Contains(reply.Text, "It would go to: product (bugs)") {
		t.Errorf("dave's route test = %+v, %v", reply, err)
	}
	if reply, err := run(b, "U01CAROL", "route replay 7d"); err != nil || !strings.HasSuffix(reply.Text, "Nothing was posted.") {
		t.Errorf("carol's route replay = %+v, %v", reply, err)
	}
	reply, err = run(b, "U0STRANGER", `route test "it crashes"`)
	refused(t, "a stranger's route test", reply, err, "Testing the routing rules is for staff: carol or dave.")
	// Without admins:, the admins are the staff.
	b, _, _ = setupPerms(t, storetest.Open(t, store.SQLite), "", "7302")
	if reply, err := run(b, "U01DAVE", "route replay 7d"); err != nil || !strings.HasSuffix(reply.Text, "Nothing was posted.") {
		t.Errorf("dave's route replay with the default admins = %+v, %v", reply, err)
	}
}

func TestANonModeratorIsRefusedBeforeModerationsOwnChecks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setupMod(t, db)
		reply, err := b.discord(t, uBob, "ban", "user", uMallory, "reason", "spam")
		refused(t, "bob's /ban", reply, err, "Banning members is for the Discord moderators. Nothing was changed;")
		reply, err = b.slack("U01BOB", "mod ban mallory spam")
		refused(t, "bob's /liaison mod ban", reply, err, "Banning members is for the Discord moderators.")
		reply, err = b.slack("U01BOB", "mod in:main ban mallory spam")
		refused(t, "bob's /liaison mod in:SERVER ban", reply, err, "Banning members is for the Discord moderators.")
		if es := b.outboxWith(t, ""); len(es) != 0 {
			t.Errorf("refusals enqueued %d messages", len(es))
		}
		if cs, _ := db.CasesFor(ctx, mGuild, uMallory, 0); len(cs) != 0 {
			t.Errorf("refusals made cases: %+v", cs)
		}
		// /rules and /liaison mod help are everyone's.
		if reply, err := b.discord(t, uMallory, "rules"); err != nil || reply.Text != "1. Be kind." {
			t.Errorf("mallory's /rules = %+v, %v", reply, err)
		}
		if reply, err := b.slack("U0STRANGER", "mod help"); err != nil || !strings.HasPrefix(reply.Text, "Moderate the Discord server as your Discord account") {
			t.Errorf("/liaison mod help = %+v, %v", reply, err)
		}
		if text := mustOf(t)(b.discord(t, uDave, "ban", "user", uMallory, "reason", "spam")); text != "Banned mallory for good (case 1)." {
			t.Errorf("dave's /ban = %q", text)
		}

		// When permissions: lets everyone ban, moderation's own checks
		// still stand: bob holds neither a moderator role nor Discord's
		// Ban Members permission.
		seq := b.seq.Load()
		b = setupModYAML(t, db, modYAML+"permissions:\n  moderation.ban: everyone\n")
		b.seq.Store(seq) // same database: new interaction ids
		reply, err = b.discord(t, uBob, "ban", "user", uAlice, "reason", "x")
		refused(t, "bob's /ban allowed by permissions:", reply, err, "Only moderators can ban members: you need the moderators role or Discord's Ban Members permission.")
		if cs, _ := db.CasesFor(ctx, mGuild, uAlice, 0); len(cs) != 0 {
			t.Errorf("bob's refused ban made a case: %+v", cs)
		}
	})
}

// helpLines returns the commands a help listing shows, without their
// summaries, and its "For others" line.
func helpLines(text string) (commands []string, others string) {
	for _, l := range strings.Split(text, "\n") {
		if c, ok := strings.CutPrefix(l, "  /liaison "); ok {
			c, _, _ = strings.Cut(c, " — ")
			commands = append(commands, c)
		}
		if o, ok := strings.CutPrefix(l, "For others: "); ok {
			others = o
		}
	}
	return commands, others
}

func TestHelpListsWhatThePersonAskingMayRun(t *testing.T) {
	t.Parallel()
	// carol (no Discord account) is the admin; dave is a moderator on
	// Discord, which Liaison reads through the Discord member reader when
	// he asks from Slack; bob is staff only.
	b := setupModYAML(t, storetest.Open(t, store.SQLite), modYAML+"admins: [carol]\n")
	help := func(user, text string) string {
		t.Helper()
		reply, err := b.slack(user, text)
		if err != nil {
			t.Fatalf("%s: /liaison %s: %v", user, text, err)
		}
		return reply.Text
	}
	const route = `route test "<text>" [#channel]`
	const giveaway = "giveaway start|end|cancel|reroll|list|show …"
	type listed struct {
		who, user    string
		want, others string
	}
	lists := []listed{
		{"a stranger", "U0STRANGER", "help [command]",
			"/liaison digest, /liaison doctor, /liaison draft, /liaison drafts, /liaison feedback, /liaison giveaway, /liaison mod, /liaison reply, /liaison route, /liaison status. /liaison help COMMAND says who may run one."},
		{"bob, staff", "U01BOB", "digest preview [name]|draft <Discord message link> <text> | show N|drafts [pending|mine|all]|" +
			"feedback list [open|mine|tag:X] | show N | close N [reason] | status N planned|in-progress|shipped|declined [note] | reopen N | merge N into M | unmerge N | export [--since 90d] [--format csv|json]|help [command]|reply <feedback id> <text>|" + route + "|status",
			"/liaison doctor, /liaison giveaway, /liaison mod, /liaison route replay 7d. /liaison help COMMAND says who may run one."},
		{"carol, admin", "U01CAROL", "digest preview [name]|doctor round-trip|draft <Discord message link> <text> | show N|drafts [pending|mine|all]|" +
			"feedback list [open|mine|tag:X] | show N | close N [reason] | status N planned|in-progress|shipped|declined [note] | reopen N | merge N into M | unmerge N | export [--since 90d] [--format csv|json]|" + giveaway + "|help [command]|reply <feedback id> <text>|" + route + " | replay 7d|status",
			"/liaison mod. /liaison help COMMAND says who may run one."},
		{"dave, moderator", "U01DAVE", "digest preview [name]|draft <Discord message link> <text> | show N|drafts [pending|mine|all]|" +
			"feedback list [open|mine|tag:X] | show N | close N [reason] | status N planned|in-progress|shipped|declined [note] | reopen N | merge N into M | unmerge N | export [--since 90d] [--format csv|json]|" + giveaway + "|help [command]|mod warn|timeout|kick|ban|unban|cases|case …|reply <feedback id> <text>|" + route + "|status",
			"/liaison doctor, /liaison route replay 7d. /liaison help COMMAND says who may run one."},
	}
	// Twice round: the second time each list is the one written for the
	// same answers, which must be the person's own.
	for _, tt := range slices.Concat(lists, lists) {
		commands, others := helpLines(help(tt.user, "help"))
		if got := strings.Join(commands, "|"); got != tt.want {
			t.Errorf("%s's help lists\n%s\nwant\n%s", tt.who, got, tt.want)
		}
		if others != tt.others {
			t.Errorf("%s's help: For others: %q, want %q", tt.who, others, tt.others)
		}
	}

	// Asking about one command says who may run what is not yours.
	for _, tt := range []struct{ user, text, want string }{
		{"U01BOB", "help route", "/liaison " + route + "\nwhich routes a text would match, or where the last days' items would have gone\n/liaison route replay 7d is for admins: carol."},
		{"U01CAROL", "help route", "/liaison " + route + " | replay 7d\nwhich routes a text would match, or where the last days' items would have gone"},
		{"U0STRANGER", "help mod", "/liaison mod warn|timeout|kick|ban|unban|cases|case …\nmoderate the Discord server from here, as your Discord account (/liaison mod help)\n" +
			"/liaison mod is for the Discord moderators."},
		{"U0STRANGER", "help feedback", "/liaison feedback list [open|mine|tag:X] | show N | close N [reason] | status N planned|in-progress|shipped|declined [note] | reopen N | merge N into M | unmerge N | export [--since 90d] [--format csv|json]\nthe feedback items Liaison tracks: list them, see one, close one, say what the team does about it, merge duplicates, export them as a file\n" +
			"/liaison feedback list [open|mine|tag:X] is for staff: carol, dave, or bob.\n/liaison feedback show N is for staff: carol, dave, or bob.\n" +
			"/liaison feedback close N [reason] is for staff: carol, dave, or bob.\n" +
			"/liaison feedback status N planned|in-progress|shipped|declined [note] is for staff: carol, dave, or bob.\n" +
			"/liaison feedback reopen N is for staff: carol, dave, or bob.\n" +
			"/liaison feedback merge N into M is for staff: carol, dave, or bob.\n" +
			"/liaison feedback unmerge N is for staff: carol, dave, or bob.\n" +
			"/liaison feedback export [--since 90d] [--format csv|json] is for staff: carol, dave, or bob."},
	} {
		if got := help(tt.user, tt.text); got != tt.want {
			t.Errorf("%s: /liaison %s =\n%s\nwant\n%s", tt.user, tt.text, got, tt.want)
		}
	}

	// A suggestion is never a command the person may not run.
	for _, tt := range []struct{ user, text, want string }{
		{"U01CAROL", "rout", "Did you mean /liaison route?"},
		{"U0STRANGER", "rout", ""},
		{"U0STRANGER", "hlp", "Did you mean /liaison help?"},
		{"U01BOB", "md", ""},
		{"U01DAVE", "md", "Did you mean /liaison mod?"},
	} {
		_, err := b.slack(tt.user, tt.text)
		msg := bot.ErrorMessage(err)
		if bot.ErrorCode(err) != bot.EInvalid || tt.want == "" && strings.Contains(msg, "Did you mean") || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: /liaison %s = %v, want a suggestion %q", tt.user, tt.text, err, tt.want)
		}
	}
}

// staffGroups is the Slack user groups reader (the Slack adapter's
// Directory in production).
type staffGroups struct {
	mu     sync.Mutex
	groups map[string][]string
	reads  int
}

func (g *staffGroups) UsergroupMembers(_ context.Context, id string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reads++
	return g.groups[id], nil
}

func (g *staffGroups) PostEphemeral(context.Context, string, string, *bot.Reply) error { return nil }

func (g *staffGroups) OutboxKeyOf(context.Context, string, string) (string, error) { return "", nil }

func TestAMemberOfAStaffSlackGroupIsStaffOnceSlackIsAttached(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b, was, outbox := setupPerms(t, db, "staff: [carol, {slack_group: S01SUPPORT, handle: support}]\n", "7201")
		ctx := context.Background()
		// Before the Slack adapter is attached, a group matches nobody.
		reply, err := b.r.HandleAction(ctx, action("feedback.ack", "U01ERIN", was.ID))
		refused(t, "erin's Acknowledge without Slack", reply, err, "Acknowledging feedback is for staff: carol or members of @support.")
		b.unchanged(t, was, outbox)

		groups := &staffGroups{groups: map[string][]string{"S01SUPPORT": {"U01ERIN"}}}
		b.caps.Attach(Readers{Discord: b.msgs, SlackDirect: groups})
		reply, err = b.r.HandleAction(ctx, action("feedback.ack", "U01ERIN", was.ID))
		if err != nil || reply.Text != fmt.Sprintf("You acknowledged feedback #%d.", was.ID) {
			t.Fatalf("erin's Acknowledge = %+v, %v", reply, err)
		}
		if got := b.only(t); got.Status != store.FeedbackAcknowledged {
			t.Errorf("after erin's Acknowledge: %+v", got)
		}
		if groups.reads == 0 {
			t.Error("the group was never read")
		}
		// dave is in people:, but staff: no longer names him.
		reply, err = b.r.HandleAction(ctx, action("feedback.close", "U01DAVE", was.ID))
		refused(t, "dave's Close", reply, err, "Closing feedback is for staff: carol or members of @support.")
	})
}
