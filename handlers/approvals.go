package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// Answers with approval: staff draft a public reply in Slack (from a relay's
// Draft reply button, /liaison reply or /liaison draft); it waits in the
// approvals channel with Approve, Reject and Edit buttons (✅ and ❌
// reactions count the same) and is posted in Discord, as a reply to its
// target, only once the policy's approvers have approved its exact text.

// Approvals holds drafted replies to their approval policy: it owns the
// drafts, their approval messages in Slack and their publishing in
// Discord. It reads and answers feedback items only through feedbackItems.
type Approvals struct {
	db       *store.DB
	cfg      *config.Config
	clock    bot.Clock
	logger   *slog.Logger
	dir      directory
	feedback feedbackItems
	// Attached late (Capabilities.Attach); nil when the platform is off.
	discord messageReader // checks that a draft's Discord message still stands
	slack   slackDirect   // approvers of user groups, answers to reactions
	// web hears about the drafts that answer web mentions; nil without
	// the watch.
	web webMentions
	// modmail sends the approved answers to modmail tickets.
	modmail modmailTickets
}

// feedbackItems is implemented by *Feedback: what approvals reads and
// changes of the items drafts answer.
type feedbackItems interface {
	Item(ctx context.Context, id int64) (*store.FeedbackItem, error)
	ItemOfDiscordMessage(ctx context.Context, tx *store.Tx, channelID, messageID string) (*store.FeedbackItem, error)
	LogDraft(ctx context.Context, tx *store.Tx, id int64, by string, draftID int64) error
	MarkAnswered(ctx context.Context, tx *store.Tx, id int64, by string) error
}

// slackDirect is implemented by *slackbot.Directory and the console: the
// members of a Slack user group (approvers named by slack_group), a
// message shown to one person (the answer to a reaction, which has no
// response_url), and the outbox key of Liaison's own messages.
type slackDirect interface {
	UsergroupMembers(ctx context.Context, groupID string) ([]string, error)
	PostEphemeral(ctx context.Context, channelID, userID string, r *bot.Reply) error
	ownMessages
}

func newApprovals(db *store.DB, cfg *config.Config, clock bot.Clock, logger *slog.Logger, dir directory, feedback feedbackItems) *Approvals {
	return &Approvals{db: db, cfg: cfg, clock: clock, logger: logger, dir: dir, feedback: feedback}
}

func (ap *Approvals) attach(discord messageReader, slack slackDirect) {
	ap.discord, ap.slack = discord, slack
}

// Register declares what approvals answers: ✅ and ❌ on approval messages
// and the events that make a draft stale; the approval message's buttons,
// and the relay's Draft reply; the Draft reply, Edit and Reject forms;
// /liaison reply, draft and drafts; and the jobs that settle drafts.
// Drafting needs drafts.create and reading drafts drafts.view; deciding
// (the approval message's buttons and forms, ✅ and ❌) needs no
// permission: the approvals policy says who decides.
func (ap *Approvals) Register(r *Router) {
	r.OnEventPrepare(ap.prepareEvent)
	r.OnEvent(ap.event)
	r.OnAction("approvals", "", ap.action)
	r.OnAction(draftReplyAction, "drafts.create", ap.draftReplyClicked)
	r.OnForm("approvals.draft", "drafts.create", ap.form)
	r.OnForm("approvals", "", ap.form)
	r.OnSubcommand("reply", "<feedback id> <text>",
		"draft a public reply to a feedback item; it is posted in Discord once approved", bot.Need("drafts.create"), ap.replySubcommand)
	r.OnSubcommand("draft", "<Discord message link> <text> | show N",
		"draft a public reply to any Discord message, or show a draft and its history",
		bot.Needs{Action: "drafts.create", Verbs: map[string]string{"show": "drafts.view"}}, ap.draftSubcommand)
	r.OnSubcommand("drafts", "[pending|mine|all]",
		"the drafted replies and where each stands", bot.Need("drafts.view"), ap.draftsSubcommand)
	if ap.cfg.Watch.Enabled {
		r.OnAction(mentionDraftAction, "drafts.create", ap.mentionDraftClicked)
	}
	for _, j := range jobs.DraftJobs(ap) {
		r.AddJob(j)
	}
}

// draftReplyClicked answers a relay's Draft reply button (its value: the
// feedback item's number) with the form to write the reply.
func (ap *Approvals) draftReplyClicked(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was changed.")
	}
	return ap.openDraftModal(ctx, id, a.User)
}

// Drafting.

// openDraftModal answers a relay's Draft reply button: a form to write the
// reply to feedback item id, showing what it answers.
func (ap *Approvals) openDraftModal(ctx context.Context, id int64, u bot.User) (*bot.Reply, error) {
	if err := ap.mayDraft(u); err != nil {
		return nil, err
	}
	it, err := ap.feedback.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := ap.feedbackTarget(it); err != nil {
		return nil, err
	}
	where := ""
	if it.ChannelName != "" {
		where = " in #" + it.ChannelName
	}
	label := fmt.Sprintf("Your reply to %s%s, who wrote: “%s”", it.AuthorName, where, bot.OneLine(it.Text, 300))
	return &bot.Reply{Modal: &bot.Modal{
		CallbackID: "approvals.draft", Title: fmt.Sprintf("Reply to feedback #%d", it.ID), Submit: "Send for approval",
		Meta:   "feedback:" + strconv.FormatInt(it.ID, 10),
		Fields: []bot.ModalField{{ID: "text", Label: bot.Truncate(label, 1900), Value: "Hi " + it.AuthorName + ", ", Multiline: true}},
	}}, nil
}

// feedbackTarget returns the Discord message a reply to it answers.
func (ap *Approvals) feedbackTarget(it *store.FeedbackItem) (bot.DraftTarget, error) {
	if it.Source != bot.PlatformDiscord || it.MessageID == "" {
		return bot.DraftTarget{}, bot.Errorf(bot.EInvalid, "Feedback #%d did not come from a Discord message, so there is nothing to reply to in Discord.", it.ID)
	}
	if it.Deleted {
		return bot.DraftTarget{}, bot.Errorf(bot.EInvalid, "The Discord message of feedback #%d was deleted, so there is nothing to reply to.", it.ID)
	}
	guild := it.ScopeID
	if guild == "" && len(ap.cfg.Discord.Guilds) == 1 {
		guild = ap.cfg.Discord.Guilds[0].ID
	}
	// A message in a thread or forum post lives in the thread's channel:
	// it is read, and answered, there.
	return bot.DraftTarget{GuildID: guild, ChannelID: cmp.Or(it.ThreadID, it.ChannelID), MessageID: it.MessageID}, nil
}

// draftForFeedback drafts text as a reply to feedback item id.
func (ap *Approvals) draftForFeedback(ctx context.Context, id int64, text string, u bot.User) (*bot.Reply, error) {
	if err := ap.mayDraft(u); err != nil {
		return nil, err
	}
	it, err := ap.feedback.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := ap.feedbackTarget(it)
	if err != nil {
		return nil, err
	}
	if ap.discord != nil {
		if _, err := ap.discord.Message(ctx, t.ChannelID, t.MessageID); bot.ErrorCode(err) == bot.ENotFound {
			return nil, bot.Errorf(bot.EInvalid, "The Discord message of feedback #%d no longer exists, so there is nothing to reply to.", it.ID)
		}
	}
	return ap.createDraft(ctx, draftInput{
		target: t, authorID: it.AuthorID, authorName: it.AuthorName, channelName: it.ChannelName, parent: threadParent(it.ThreadID, it.ChannelID), text: it.Text,
		feedbackID: &it.ID, reply: text, by: u,
	})
}

// threadParent is the parent channel of a message in thread (channel, as
// items and read-back messages name a thread's parent), or "" for a
// message in a channel itself.
func threadParent(thread, channel string) string {
	if thread == "" || thread == channel {
		return ""
	}
	return channel
}

// draftForLink drafts text as a reply to the Discord message at link.
func (ap *Approvals) draftForLink(ctx context.Context, link, text string, u bot.User) (*bot.Reply, error) {
	if err := ap.mayDraft(u); err != nil {
		return nil, err
	}
	t, err := bot.ParseMessageLink(link)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(ap.cfg.Discord.Guilds, func(g config.Guild) bool { return g.ID == t.GuildID }) {
		return nil, bot.Errorf(bot.EInvalid, "That message is in a Discord server Liaison is not set up for (server %s): check discord: in liaison.yaml.", t.GuildID)
	}
	if ap.discord == nil {
		return nil, bot.Errorf(bot.EConflict, "Liaison is not connected to Discord right now, so it cannot read that message. Try again once it is.")
	}
	m, err := ap.discord.Message(ctx, t.ChannelID, t.MessageID)
	if bot.ErrorCode(err) == bot.ENotFound {
		return nil, bot.Errorf(bot.EInvalid, "That Discord message no longer exists, or Liaison cannot see its channel.")
	} else if err != nil {
		return nil, err
	}
	return ap.createDraft(ctx, draftInput{
		target: t, authorID: m.Author.ID, authorName: m.Author.Label(), channelName: m.ChannelName, parent: threadParent(m.ThreadID, m.ChannelID), text: m.Text,
		reply: text, by: u,
	})
}

// replySubcommand is /liaison reply <feedback id> <text>.
func (ap *Approvals) replySubcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	idText, text, _ := strings.Cut(args, " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "Which feedback item? Give its number, then the reply: /liaison reply 12 Thanks, a fix ships on Monday!")
	}
	if strings.TrimSpace(text) == "" {
		return nil, bot.Errorf(bot.EInvalid, "Write the reply after the number: /liaison reply %d Thanks, a fix ships on Monday!", id)
	}
	return ap.draftForFeedback(ctx, id, text, c.User)
}

// draftSubcommand is /liaison draft <link> <text> and /liaison draft show N.
func (ap *Approvals) draftSubcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	first, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	if strings.EqualFold(first, "show") {
		id, err := strconv.ParseInt(strings.TrimPrefix(rest, "#"), 10, 64)
		if err != nil {
			return nil, bot.Errorf(bot.EInvalid, "Which draft? Give its number: /liaison draft show 3")
		}
		return ap.showDraft(ctx, id)
	}
	if first == "" || rest == "" {
		return nil, bot.Errorf(bot.EInvalid, "Give the Discord message's link, then the reply: /liaison draft https://discord.com/channels/… Thanks for asking! (or /liaison draft show 3)")
	}
	return ap.draftForLink(ctx, first, rest, c.User)
}

// draftsSubcommand is /liaison drafts [pending|mine|all].
func (ap *Approvals) draftsSubcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	f := store.DraftFilter{}
	what := "waiting for approval"
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "", "pending":
		f.Statuses = []string{bot.DraftPending}
	case "mine":
		f.Author, what = c.User.ID, "you drafted"
	case "all":
		what = "drafted lately"
	default:
		return nil, bot.Errorf(bot.EInvalid, "List which drafts? Use /liaison drafts pending, drafts mine or drafts all.")
	}
	ds, err := ap.db.ListDrafts(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return &bot.Reply{Text: "No drafts " + what + "."}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d draft(s) %s, newest first:", len(ds), what)
	for _, d := range ds {
		to := cmp.Or(d.TargetAuthorName, "a message")
		if d.TargetChannelName != "" {
			to += " in #" + d.TargetChannelName
		}
		fmt.Fprintf(&b, "\n#%d %s · by %s to %s: %s", d.ID, d.Status, d.AuthorName, to, bot.OneLine(d.Text, 80))
	}
	return &bot.Reply{Text: b.String()}, nil
}

// showDraft prints a draft, each version of its text with who wrote it,
// its hash and who approved it, and its whole history.
func (ap *Approvals) showDraft(ctx context.Context, id int64) (*bot.Reply, error) {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil, err
	}
	hist, err := ap.db.DraftHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	versions, err := ap.db.DraftVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	approvals, err := ap.db.Approvals(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	var current []store.Approval
	for _, a := range approvals {
		if a.Version == d.Version {
			current = append(current, a)
		}
	}
	pol := ap.policyOf(ctx, d)
	var b strings.Builder
	to := cmp.Or(d.TargetAuthorName, "a message")
	if d.TargetChannelName != "" {
		to += " in #" + d.TargetChannelName
	}
	fmt.Fprintf(&b, "Draft #%d by %s, a reply to %s", d.ID, d.AuthorName, to)
	if d.FeedbackID != nil {
		fmt.Fprintf(&b, " (feedback #%d)", *d.FeedbackID)
	}
	fmt.Fprintf(&b, "\nOriginal: %s\nReply: %s\nStatus: %s\nPolicy: %s · version %s",
		bot.OneLine(d.TargetText, 200), bot.OneLine(d.Text, 500), ap.draftStatusLine(d, pol, current), describe(pol, d),
		versionLine(d.Version, d.VersionAuthorName, d.TextHash))
	if d.DiscordMessageID != "" {
		t := d.Target()
		t.MessageID = d.DiscordMessageID
		fmt.Fprintf(&b, "\n%s", t.Link())
	}
	b.WriteString("\nVersions:")
	for _, v := range versions {
		fmt.Fprintf(&b, "\nv%d by %s, text %s, %s", v.Version, cmp.Or(v.AuthorName, v.Author), bot.ShortHash(v.TextHash), ap.stamp(v.CreatedAt))
		if v.Version == d.Version {
			b.WriteString(" (current)")
		} else {
			b.WriteString(": “" + bot.OneLine(v.Text, 120) + "”")
		}
		if v.FollowsID != nil {
			fmt.Fprintf(&b, "; a follow-up of #%d", *v.FollowsID)
		}
		var who []string
		for _, a := range approvals {
			if a.Version == v.Version {
				who = append(who, fmt.Sprintf("%s (%s)", cmp.Or(a.ApproverName, a.Approver), ap.stamp(a.CreatedAt)))
			}
		}
		if len(who) > 0 {
			b.WriteString("; approved by " + strings.Join(who, ", "))
		}
		if v.RejectedBy != "" {
			fmt.Fprintf(&b, "; rejected by %s", cmp.Or(v.RejectedByName, ap.dir.slackName(v.RejectedBy)))
			if v.RejectedAt != nil {
				fmt.Fprintf(&b, " (%s)", ap.stamp(*v.RejectedAt))
			}
			if v.Reason != "" {
				b.WriteString(": " + bot.OneLine(v.Reason, 200))
			}
		}
	}
	b.WriteString("\nHistory:")
	for _, h := range hist {
		fmt.Fprintf(&b, "\n%s %s %s", ap.stamp(h.CreatedAt), cmp.Or(h.Actor, "Liaison"), h.Action)
		switch {
		case h.OldHash != "":
			fmt.Fprintf(&b, " (text %s → %s)", bot.ShortHash(h.OldHash), bot.ShortHash(h.TextHash))
		case h.TextHash != "":
			fmt.Fprintf(&b, " (text %s)", bot.ShortHash(h.TextHash))
		}
		if h.Detail != "" {
			b.WriteString(": " + h.Detail)
		}
	}
	return &bot.Reply{Text: b.String()}, nil
}

// stamp writes a time for a record (a history, an audit): date and time in
// the team's timezone.
func (ap *Approvals) stamp(t time.Time) string {
	return t.In(ap.cfg.Location).Format("2006-01-02 15:04")
}

// Deciding.

// seen is the version of a draft's text a person was shown when they
// decided: on the button they clicked, the form they filled or the message
// they reacted to. A decision applies only while that is still the draft's
// current version; otherwise it is refused and the new text is shown.
type seen struct {
	version int    // 0: not known (a button from before versions)
	hash    string // "": not known (a reaction: the message's version says it)
}

// value writes what d's buttons and forms carry: "<id>:v<version>:<hash>".
func seenValue(d *store.Draft) string {
	return fmt.Sprintf("%d:v%d:%s", d.ID, d.Version, d.TextHash)
}

// parseSeen reads a button's value or a form's state: "<id>:v<version>:<hash>",
// "<id>:<hash>" (buttons from before versions) or "<id>" (Retry).
func parseSeen(value string) (int64, seen, error) {
	parts := strings.SplitN(value, ":", 3)
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, seen{}, err
	}
	var s seen
	switch len(parts) {
	case 2:
		s.hash = parts[1]
	case 3:
		s.version, err = strconv.Atoi(strings.TrimPrefix(parts[1], "v"))
		if err != nil || !strings.HasPrefix(parts[1], "v") {
			return 0, seen{}, fmt.Errorf("draft button %q: bad version", value)
		}
		s.hash = parts[2]
	}
	return id, s, nil
}

// check returns nil while d still has the version s saw, or a refusal that
// shows the new one.
func (s seen) check(d *store.Draft) error {
	if (s.version == 0 || s.version == d.Version) && (s.hash == "" || s.hash == d.TextHash) {
		return nil
	}
	where := "on its message in the draft's thread"
	if d.Version == 1 {
		where = "on its message"
	}
	return bot.Errorf(bot.EConflict, "The text of draft #%d changed since this message was shown: here is the new one, version %d by %s (text %s): “%s”. Read it %s, then decide again. Nothing was changed.",
		d.ID, d.Version, d.VersionAuthorName, bot.ShortHash(d.TextHash), bot.OneLine(d.Text, 300), where)
}

// action handles the approval message's buttons. A button carries the
// version of the text its message shows (Retry's, the draft's number
// alone): a decision applies to the text the clicker was shown.
func (ap *Approvals) action(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, sw, err := parseSeen(a.Value)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a draft; nothing was changed.")
	}
	switch a.ActionID {
	case "approvals.approve":
		var msg string
		reads := ap.readForDecision(ctx, id, bot.DraftApprove)
		err := ap.db.InTx(ctx, func(tx *store.Tx) (err error) {
			msg, err = ap.approve(ctx, tx, id, a.User, sw, reads)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Text: msg}, nil
	case "approvals.reject":
		d, pol, err := ap.decidable(ctx, id, a.User, sw, bot.DraftReject)
		if err != nil {
			return nil, err
		}
		if err := pol.Check(a.User.ID, d.VersionAuthor, d.VersionAuthorName, "reject"); err != nil {
			return nil, err
		}
		return &bot.Reply{Modal: &bot.Modal{
			CallbackID: "approvals.reject", Title: fmt.Sprintf("Reject draft #%d", d.ID), Submit: "Reject",
			Meta:   seenValue(d),
			Fields: []bot.ModalField{{ID: "reason", Label: fmt.Sprintf("Why? %s reads this in the thread, and can edit the draft and resubmit it.", d.AuthorName), Multiline: true}},
		}}, nil
	case "approvals.edit":
		d, _, err := ap.decidable(ctx, id, a.User, sw, bot.DraftEdit)
		if err != nil {
			return nil, err
		}
		if err := ap.mayEdit(ctx, d, a.User, nil); err != nil {
			return nil, err
		}
		return &bot.Reply{Modal: &bot.Modal{
			CallbackID: "approvals.edit", Title: fmt.Sprintf("Edit draft #%d", d.ID), Submit: "Save",
			Meta:   seenValue(d),
			Fields: []bot.ModalField{{ID: "text", Label: "The reply (a new version, which needs its own approvals)", Value: d.Text, Multiline: true}},
		}}, nil
	case "approvals.retry":
		return ap.retry(ctx, id, a.User)
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was changed.")
}

// decidable reads draft id for a decision about to be asked for (a form
// opening): it must allow action and still show the version sw saw.
func (ap *Approvals) decidable(ctx context.Context, id int64, u bot.User, sw seen, action string) (*store.Draft, bot.ApprovalPolicy, error) {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil, bot.ApprovalPolicy{}, err
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, action); err != nil {
		if action == bot.DraftEdit {
			err = editRefusal(d, err)
		}
		return nil, bot.ApprovalPolicy{}, err
	}
	if err := sw.check(d); err != nil {
		return nil, bot.ApprovalPolicy{}, err
	}
	pol, err := ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.PolicyChannel()))
	return d, pol, err
}

// Reads before deciding. A decision on a draft (approve, edit, reject,
// withdraw) runs in a transaction that locks the draft, and that
// transaction is one item of a group commit (store.DB.InTx): while it
// runs, the other items of its group wait to commit, and on SQLite, where
// one committer is the only writer, every other transaction does. So
// what a decision asks the platforms, whether the Discord message the
// draft answers can still take a reply (targetStale: two REST calls,
// seconds when Discord rate-limits) and who may approve it (resolvePolicy:
// a Slack user group's members, a network call when the group is not
// remembered), is read before the transaction (readForDecision, or
// prepareEvent for a reaction) and handed to it. The policy is handed in
// resolved rather than left in the Slack directory's cache for the
// transaction to find: a group Slack did not answer for is then not asked
// again inside, and the cache's minute may end in between. The draft may
// change in between (another approver, an edit): the transaction still
// locks and reads it, and decides on what it finds; it uses what was read
// before only when that was read for the draft it found (the same draft,
// target and policy channel), and reads again itself otherwise, so no
// decision depends on the reads made before it.

// decisionReads is what was read from the platforms for a decision on a
// draft, before the decision's transaction. A nil *decisionReads is
// valid: nothing was read, and the transaction reads what it needs.
// It is not changed once read: a transaction that runs again (group.go)
// finds it as it was.
type decisionReads struct {
	id            int64
	target        bot.DraftTarget
	policyChannel string
	// pol is the draft's policy, resolved; polErr, why it could not be (a
	// user group Slack did not answer for), the decision's answer then,
	// as it would have been had the transaction asked.
	pol    bot.ApprovalPolicy
	polErr error
	// stale is targetStale's answer, when staleRead.
	stale     string
	staleRead bool
}

// readForDecision reads, outside any transaction, what a decision of kind
// action (bot.DraftApprove, bot.DraftEdit, …) on draft id needs from the
// platforms. It returns nil when the draft cannot be read: the
// transaction finds out why.
func (ap *Approvals) readForDecision(ctx context.Context, id int64, action string) *decisionReads {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil
	}
	return ap.readsOf(ctx, d, action)
}

// readsOf reads what a decision of kind action on d needs: its policy,
// and whether its target still takes a reply when action approves or
// edits it and d, as read, allows that ("" for action: the policy alone).
func (ap *Approvals) readsOf(ctx context.Context, d *store.Draft, action string) *decisionReads {
	r := &decisionReads{id: d.ID, target: d.Target(), policyChannel: d.PolicyChannel()}
	r.pol, r.polErr = ap.resolvePolicy(ctx, ap.cfg.Approvals.For(r.policyChannel))
	if action == bot.DraftApprove || action == bot.DraftEdit {
		if _, err := bot.DraftTransition(d.ID, d.Status, action); err == nil {
			r.stale, r.staleRead = ap.targetStale(ctx, d), true
		}
	}
	return r
}

// of reports whether r was read for d, as a transaction locked it.
func (r *decisionReads) of(d *store.Draft) bool {
	return r != nil && r.id == d.ID && r.target == d.Target() && r.policyChannel == d.PolicyChannel()
}

// policyFor returns d's approval policy: as reads resolved it when they
// are d's, else resolved now.
func (ap *Approvals) policyFor(ctx context.Context, d *store.Draft, reads *decisionReads) (bot.ApprovalPolicy, error) {
	if reads.of(d) {
		return reads.pol, reads.polErr
	}
	return ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.PolicyChannel()))
}

// shownPolicy is policyFor for showing d (see policyOf): a user group
// that could not be read is left out.
func (ap *Approvals) shownPolicy(ctx context.Context, d *store.Draft, reads *decisionReads) bot.ApprovalPolicy {
	p, err := ap.policyFor(ctx, d, reads)
	if err != nil {
		ap.logger.Warn("approvals: policy shown without a user group's members", "draft", d.ID, "err", err)
	}
	return p
}

// staleFor returns targetStale's answer for d: as reads read it when they
// are d's and read it, else read now.
func (ap *Approvals) staleFor(ctx context.Context, d *store.Draft, reads *decisionReads) string {
	if reads.of(d) && reads.staleRead {
		return reads.stale
	}
	return ap.targetStale(ctx, d)
}

// editRefusal words err, the refusal of an edit of d, with what to do
// instead when d was approved: a reply in Discord is not edited; a
// follow-up says more.
func editRefusal(d *store.Draft, err error) error {
	switch d.Status {
	case bot.DraftApproved, bot.DraftPosted, bot.DraftFailed:
		return bot.Errorf(bot.EConflict, "%s What was approved is what Discord shows. To say more, draft a follow-up to the same message: /liaison draft %s <your text>. Nothing was changed.",
			bot.ErrorMessage(err), d.Target().Link())
	}
	return err
}

// mayEdit says whether u may edit d: its author or one of its approvers,
// by d's policy as reads has it (nil: resolved now).
func (ap *Approvals) mayEdit(ctx context.Context, d *store.Draft, u bot.User, reads *decisionReads) error {
	if u.ID == d.Author {
		return nil
	}
	pol, err := ap.policyFor(ctx, d, reads)
	if err != nil {
		return err
	}
	if !slices.Contains(pol.Approvers, u.ID) {
		return bot.Errorf(bot.EForbidden, "Only %s, who wrote draft #%d, and its approvers can edit it. Nothing was changed.", d.AuthorName, d.ID)
	}
	return nil
}

// approve records u's approval of the current version of draft id, which
// must be the one u saw, and publishes the draft when that reaches the
// quorum, in tx with the draft locked, with what reads read before tx
// (nil: nothing). It returns what to tell u; an error changes nothing.
func (ap *Approvals) approve(ctx context.Context, tx *store.Tx, id int64, u bot.User, sw seen, reads *decisionReads) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	if ap.expiredNow(d) || d.Status == bot.DraftExpired {
		// (When it is not marked yet, the drafts job does on its next tick.)
		return "", bot.Errorf(bot.EConflict, "Draft #%d expired %s, before it had its approvals: it can't be approved any more. Draft the reply again to answer. Nothing was changed.",
			d.ID, ap.when(*d.ExpiresAt))
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, bot.DraftApprove); err != nil {
		return "", err
	}
	if err := sw.check(d); err != nil {
		return "", err
	}
	pol, err := ap.policyFor(ctx, d, reads)
	if err != nil {
		return "", err
	}
	if err := pol.Check(u.ID, d.VersionAuthor, d.VersionAuthorName, "approve"); err != nil {
		return "", err
	}
	if why := ap.staleFor(ctx, d, reads); why != "" {
		if err := ap.goStale(ctx, tx, d, why, pol); err != nil {
			return "", err
		}
		if why == staleClosed {
			return fmt.Sprintf("Draft #%d answers a message in a Discord thread that is now locked or archived, so the draft can't be posted any more.", d.ID), nil
		}
		return fmt.Sprintf("The Discord message draft #%d answers was deleted, so the draft can't be posted any more.", d.ID), nil
	}
	now := ap.clock.Now()
	by := ap.dir.Actor(u)
	added, err := tx.AddApproval(ctx, now, d.ID, d.Version, u.ID, by, d.TextHash)
	if err != nil {
		return "", err
	}
	approvals, err := tx.Approvals(ctx, d.ID, d.Version)
	if err != nil {
		return "", err
	}
	ids := approverIDs(approvals)
	if !added {
		return "", bot.Errorf(bot.EConflict, "You already approved version %d of draft #%d, and an approval counts once: it needs %d more, from someone else (it %s). Nothing was changed.",
			d.Version, d.ID, pol.Needed(d.VersionAuthor)-pol.Count(d.VersionAuthor, ids), describe(pol, d))
	}
	if err := tx.LogDraft(ctx, now, d.ID, store.DraftEvent{Actor: by, Action: "approved", TextHash: d.TextHash}); err != nil {
		return "", err
	}
	if pol.Reached(d.VersionAuthor, ids) {
		lostTo, err := ap.publish(ctx, tx, d, pol)
		if err != nil {
			return "", err
		}
		if lostTo != 0 {
			return ap.becomeFollowUp(ctx, tx, d, lostTo, pol)
		}
		if isWeb(d) {
			return fmt.Sprintf("You approved draft #%d: it is to be posted by hand at %s.", d.ID, d.TargetAuthorID), nil
		}
		return fmt.Sprintf("You approved draft #%d: it is being posted in Discord.", d.ID), nil
	}
	if err := ap.refreshDraft(ctx, tx, d, pol); err != nil {
		return "", err
	}
	left := pol.Needed(d.VersionAuthor) - pol.Count(d.VersionAuthor, ids)
	return fmt.Sprintf("You approved draft #%d. It needs %d more approval(s) before it is posted.", d.ID, left), nil
}

// withdraw takes back u's approval of draft id (u removed their ✅), in tx
// with the draft locked, while the draft still waits for approvals, with
// what reads read before tx (nil: nothing). It returns what to tell u, or
// "" when u had not approved this text.
func (ap *Approvals) withdraw(ctx context.Context, tx *store.Tx, id int64, u bot.User, reads *decisionReads) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	switch d.Status {
	case bot.DraftPending:
	case bot.DraftApproved, bot.DraftPosted, bot.DraftFailed:
		if approved, err := tx.Approvals(ctx, d.ID, d.Version); err != nil {
			return "", err
		} else if !slices.ContainsFunc(approved, func(a store.Approval) bool { return a.Approver == u.ID }) {
			return "", nil
		}
		return fmt.Sprintf("Draft #%d already had its approvals and was sent to Discord: removing ✅ does not take it back.", d.ID), nil
	default:
		return "", nil
	}
	removed, err := tx.RemoveApproval(ctx, d.ID, d.Version, u.ID)
	if err != nil || !removed {
		return "", err
	}
	by := ap.dir.Actor(u)
	if err := tx.LogDraft(ctx, ap.clock.Now(), d.ID, store.DraftEvent{Actor: by, Action: "withdrew their approval", TextHash: d.TextHash}); err != nil {
		return "", err
	}
	if err := ap.refreshDraft(ctx, tx, d, ap.shownPolicy(ctx, d, reads)); err != nil {
		return "", err
	}
	return fmt.Sprintf("You withdrew your approval of draft #%d.", d.ID), nil
}

// reject rejects draft id on u's word, in tx with the draft locked, with
// what reads read before tx (nil: nothing), and tells its author in the
// thread. An empty reason (a ❌ reaction) asks u for one there.
func (ap *Approvals) reject(ctx context.Context, tx *store.Tx, id int64, u bot.User, sw seen, reason string, reads *decisionReads) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, bot.DraftReject); err != nil {
		return "", err
	}
	if err := sw.check(d); err != nil {
		return "", err
	}
	pol, err := ap.policyFor(ctx, d, reads)
	if err != nil {
		return "", err
	}
	if err := pol.Check(u.ID, d.VersionAuthor, d.VersionAuthorName, "reject"); err != nil {
		return "", err
	}
	by := ap.dir.Actor(u)
	d.Reason, d.DecidedBy = reason, u.ID
	detail := reason
	if reason == "" {
		detail = "with ❌; the reason is asked for in the thread"
	}
	if err := tx.RejectVersion(ctx, ap.clock.Now(), d.ID, d.Version, u.ID, by, reason); err != nil {
		return "", err
	}
	if err := ap.move(ctx, tx, d, bot.DraftReject, store.DraftEvent{Actor: by, Action: "rejected", Detail: detail}, pol); err != nil {
		return "", err
	}
	if reason == "" {
		text := fmt.Sprintf("%s rejected this draft with ❌. %s, please reply in this thread with the reason, so that %s knows what to change; %s can then edit the draft and resubmit it.",
			by, by, d.AuthorName, d.AuthorName)
		if err := ap.sayInThread(ctx, tx, d, text, d.Author, u.ID); err != nil {
			return "", err
		}
		return fmt.Sprintf("You rejected draft #%d. Please give %s the reason in its thread.", d.ID, d.AuthorName), nil
	}
	text := fmt.Sprintf("%s rejected this draft: %s\nEdit it to resubmit a new text.", by, reason)
	if err := ap.sayInThread(ctx, tx, d, text, d.Author); err != nil {
		return "", err
	}
	return fmt.Sprintf("You rejected draft #%d; %s is told in its thread.", d.ID, d.AuthorName), nil
}

// edit saves u's new text for draft id as its next version, in tx with the
// draft locked, with what reads read before tx (nil: nothing). u wrote
// that version, so u may not approve it (a text resubmitted unchanged
// after a rejection keeps its author). Approvals of the earlier version
// stay on record but do not count for the new one; the thread tells those
// who gave them. A rejected draft is resubmitted (with a new deadline).
// The answer says who may approve the new version.
func (ap *Approvals) edit(ctx context.Context, tx *store.Tx, id int64, u bot.User, sw seen, text string, reads *decisionReads) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, bot.DraftEdit); err != nil {
		return "", editRefusal(d, err)
	}
	if sw.check(d) != nil {
		return "", bot.Errorf(bot.EConflict, "Someone changed draft #%d while you were editing it (it is at version %d, by %s, now): click Edit on its newest message to start from the new text. Nothing was saved.",
			d.ID, d.Version, d.VersionAuthorName)
	}
	if err := ap.mayEdit(ctx, d, u, reads); err != nil {
		return "", err
	}
	text, err = ap.checkReply(text, d.TargetChannelID)
	if err != nil {
		return "", err
	}
	newHash := bot.DraftHash(text, d.Target())
	resubmit := d.Status == bot.DraftRejected
	if newHash == d.TextHash && !resubmit {
		return fmt.Sprintf("Draft #%d has that text already: nothing changed.", d.ID), nil
	}
	pol, err := ap.policyFor(ctx, d, reads)
	if err != nil {
		return "", err
	}
	by := ap.dir.Actor(u)
	author, authorName := u.ID, by
	if newHash == d.TextHash {
		// Resubmitted as it was: its words are still its author's.
		author, authorName = d.VersionAuthor, d.VersionAuthorName
	}
	if !pol.Possible(author) {
		return "", bot.Errorf(bot.EInvalid, "Nobody could approve that version: it %s. Nothing was saved.", pol.Describe(author, authorName))
	}
	if why := ap.staleFor(ctx, d, reads); why != "" {
		if d.Status == bot.DraftRejected {
			// It stays rejected: that is what happened to it.
			return "", bot.Errorf(bot.EInvalid, "Draft #%d can't be posted any more: %s. Nothing was saved.", d.ID, why)
		}
		if err := ap.goStale(ctx, tx, d, why, pol); err != nil {
			return "", err
		}
		return fmt.Sprintf("Draft #%d can't be posted any more: %s. Your edit was not saved.", d.ID, why), nil
	}
	old, earlier, err := currentVersion(ctx, tx, d)
	if err != nil {
		return "", err
	}
	// The new version shows the message's latest reply, if one came since.
	if last, err := tx.LastReply(ctx, d.TargetChannelID, d.TargetMessageID); err != nil {
		return "", err
	} else if last != 0 && last != d.ID {
		d.FollowsID = &last
	}
	now := ap.clock.Now()
	oldHash, oldVersion, rejecter := d.TextHash, d.Version, d.DecidedBy
	d.Text, d.TextHash, d.Version, d.VersionAuthor, d.VersionAuthorName = text, newHash, d.Version+1, author, authorName
	if err := tx.AddDraftVersion(ctx, now, d); err != nil {
		return "", err
	}
	action := "edited"
	if resubmit {
		action = "resubmitted"
		exp := now.Add(ap.cfg.Approvals.For(d.PolicyChannel()).ExpireAfter)
		d.Reason, d.DecidedBy, d.ExpiresAt = "", "", &exp
	}
	e := store.DraftEvent{Actor: by, Action: action, TextHash: newHash, Detail: fmt.Sprintf("version %d by %s", d.Version, authorName)}
	if newHash != oldHash {
		e.OldHash = oldHash
	}
	if len(earlier) > 0 {
		e.Detail += fmt.Sprintf("; the %d approval(s) of version %d do not count for it", len(earlier), oldVersion)
	}
	if err := ap.transition(ctx, tx, d, bot.DraftEdit, e); err != nil {
		return "", err
	}
	if err := ap.replaceVersion(ctx, tx, d, old, earlier, pol); err != nil {
		return "", err
	}
	var notify, names []string
	for _, a := range earlier {
		if !slices.Contains(notify, a.Approver) {
			notify = append(notify, a.Approver)
			names = append(names, cmp.Or(a.ApproverName, a.Approver))
		}
	}
	var say string
	switch {
	case resubmit:
		say = fmt.Sprintf("%s resubmitted the draft after its rejection", by)
		if newHash != oldHash {
			say += ", with a new text"
		}
		say += fmt.Sprintf(", as version %d", d.Version)
		notify = append(notify, rejecter)
	default:
		say = fmt.Sprintf("%s wrote version %d of this draft", by, d.Version)
		if u.ID != d.Author {
			notify = append(notify, d.Author)
		}
	}
	if len(names) > 0 {
		say += fmt.Sprintf(". The approvals of %s were for version %d and do not count for it", strings.Join(names, ", "), oldVersion)
	}
	say += fmt.Sprintf(". Version %d %s.", d.Version, describe(pol, d))
	if err := ap.sayInThread(ctx, tx, d, say, notify...); err != nil {
		return "", err
	}
	if resubmit {
		return fmt.Sprintf("Draft #%d is resubmitted for approval as version %d: it %s.", d.ID, d.Version, describe(pol, d)), nil
	}
	msg := fmt.Sprintf("Draft #%d is saved as version %d: it %s.", d.ID, d.Version, describe(pol, d))
	if len(earlier) > 0 {
		msg += fmt.Sprintf(" The approvals of version %d do not count for it.", oldVersion)
	}
	return msg, nil
}

// retry sends again a reply Discord refused, on the word of the draft's
// author or an approver, once they have fixed what made it fail.
func (ap *Approvals) retry(ctx context.Context, id int64, u bot.User) (*bot.Reply, error) {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil, err
	}
	reads := ap.readsOf(ctx, d, "")
	if err := ap.mayEdit(ctx, d, u, reads); err != nil {
		return nil, bot.Errorf(bot.EForbidden, "Only %s, who wrote draft #%d, and its approvers can retry it. Nothing was changed.", d.AuthorName, d.ID)
	}
	if d.Status != bot.DraftFailed {
		return nil, bot.Errorf(bot.EConflict, "Draft #%d %s: there is nothing to retry.", d.ID, bot.DraftStatusText(d.Status))
	}
	if err := ap.db.RetryOutbox(ctx, ap.clock.Now(), store.PublishOutboxKey(d.ID)); err != nil {
		return nil, err
	}
	by := ap.dir.Actor(u)
	err = ap.db.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.Draft(ctx, id)
		if err != nil || d.Status != bot.DraftFailed {
			return err // the reply may be sent already
		}
		d.Reason = ""
		return ap.move(ctx, tx, d, bot.DraftRetry, store.DraftEvent{Actor: by, Action: "retried"}, ap.shownPolicy(ctx, d, reads))
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Liaison is trying again to post draft #%d in Discord.", d.ID)}, nil
}

// form handles the Draft reply, Edit and Reject forms.
func (ap *Approvals) form(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	kind, ref, _ := strings.Cut(s.Meta, ":")
	switch s.CallbackID {
	case "approvals.draft":
		id, err := strconv.ParseInt(ref, 10, 64)
		if kind == "mention" && err == nil {
			return ap.draftForMention(ctx, id, s.Values["text"], s.User)
		}
		if kind != "feedback" || err != nil {
			return nil, bot.Errorf(bot.EInvalid, "This form does not name a feedback item; nothing was changed.")
		}
		return ap.draftForFeedback(ctx, id, s.Values["text"], s.User)
	case "approvals.edit", "approvals.reject":
		id, sw, err := parseSeen(s.Meta)
		if err != nil {
			return nil, bot.Errorf(bot.EInvalid, "This form does not name a draft; nothing was changed.")
		}
		edit := s.CallbackID == "approvals.edit"
		reason := strings.TrimSpace(s.Values["reason"])
		if !edit && reason == "" {
			return nil, bot.Errorf(bot.EInvalid, "Say why, so that the author knows what to change.")
		}
		action := bot.DraftReject
		if edit {
			action = bot.DraftEdit
		}
		reads := ap.readForDecision(ctx, id, action)
		var msg string
		err = ap.db.InTx(ctx, func(tx *store.Tx) (err error) {
			if edit {
				msg, err = ap.edit(ctx, tx, id, s.User, sw, s.Values["text"], reads)
				return err
			}
			msg, err = ap.reject(ctx, tx, id, s.User, sw, reason, reads)
			return err
		})
		if errors.Is(err, store.ErrPendingDraft) {
			// A rejected draft resubmitted while another waits for its message.
			d, derr := ap.db.Draft(ctx, id)
			if derr != nil {
				return nil, derr
			}
			return ap.oneAnswer(ctx, d.TargetChannelID, d.TargetMessageID, s.User)
		} else if err != nil {
			return nil, err
		}
		return &bot.Reply{Text: msg}, nil
	}
	return nil, bot.Errorf(bot.ENotFound, "This form belongs to something Liaison no longer handles; nothing was changed.")
}

// Events.

// event handles ✅ and ❌ on approval messages, the reason a ❌
// rejecter gives in the thread, and the deletion of a draft's target or the
// closing of its thread.
func (ap *Approvals) event(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	a := ap.cfg.Approvals
	if !a.Enabled {
		return nil
	}
	switch e := ev.(type) {
	case *bot.Reaction:
		approve, reject := ap.reactionDecides(e)
		if !approve && !reject {
			return nil
		}
		type shown struct {
			d       *store.Draft
			version int
		}
		m, err := reactedTo(ctx, tx, ap.slack, ap.clock, e, func() (shown, error) {
			d, v, err := tx.DraftByMessage(ctx, e.ChannelID, e.MessageID)
			return shown{d, v}, err
		})
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		d, sw := m.d, seen{version: m.version}
		reads, _ := ctx.Value(decisionReadsKey{}).(*decisionReads) // prepareEvent's
		var msg string
		switch {
		case e.Removed && sw.version != d.Version:
			return nil // an approval of a superseded version never counted
		case e.Removed:
			msg, err = ap.withdraw(ctx, tx, d.ID, e.User, reads)
		case sw.version != d.Version && (d.Status == bot.DraftPending || d.Status == bot.DraftRejected):
			err = ap.supersededReaction(d, sw.version)
		case approve:
			msg, err = ap.approve(ctx, tx, d.ID, e.User, sw, reads)
		default:
			msg, err = ap.reject(ctx, tx, d.ID, e.User, sw, "", reads)
		}
		if err != nil && bot.ErrorCode(err) == bot.EInternal {
			return err
		}
		if err != nil {
			// Refused (not an approver, already decided…): nothing changed;
			// tell the person who reacted, and only them.
			msg = bot.ErrorMessage(err)
		}
		// Said once the change is made: a rolled-back approval is not told.
		tx.OnCommit(func() { ap.tell(context.WithoutCancel(ctx), e.ChannelID, e.User.ID, msg) })
		return nil
	case *bot.Message:
		if e.Platform != bot.PlatformSlack || e.ChannelID != a.Channel.ID || e.ThreadID == "" || e.Author.Bot || e.Edited {
			return nil
		}
		d, _, err := tx.DraftByMessage(ctx, e.ChannelID, e.ThreadID)
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		if d.Status != bot.DraftRejected || d.Reason != "" || d.DecidedBy != e.Author.ID || strings.TrimSpace(e.Text) == "" {
			return nil
		}
		d.Reason = strings.TrimSpace(e.Text)
		now := ap.clock.Now()
		if err := tx.SaveDraft(ctx, now, d); err != nil {
			return err
		}
		if err := tx.RejectVersion(ctx, now, d.ID, d.Version, d.DecidedBy, ap.dir.Actor(e.Author), d.Reason); err != nil {
			return err
		}
		if err := tx.LogDraft(ctx, now, d.ID, store.DraftEvent{Actor: ap.dir.Actor(e.Author), Action: "gave the reason", TextHash: d.TextHash, Detail: d.Reason}); err != nil {
			return err
		}
		return ap.refreshDraft(ctx, tx, d, ap.policyOf(ctx, d))
	case *bot.MessageDeleted:
		if e.Platform != bot.PlatformDiscord {
			return nil
		}
		return ap.staleDrafts(ctx, tx, e.ChannelID, e.ID, staleDeleted)
	case *bot.ThreadClosed:
		return ap.staleDrafts(ctx, tx, e.ThreadID, "", staleClosed)
	}
	return nil
}

// reactionDecides says what reaction e decides on an approval message:
// ✅ approves (taken back, it withdraws the approval), ❌ rejects; any
// other reaction, and a ❌ taken back (the draft was rejected), decides
// nothing.
func (ap *Approvals) reactionDecides(e *bot.Reaction) (approve, reject bool) {
	a := ap.cfg.Approvals
	if !a.Enabled || e.Platform != bot.PlatformSlack || e.ChannelID != a.Channel.ID || e.User.Bot {
		return false, false
	}
	return bot.SameEmoji(e.Emoji, "✅"), bot.SameEmoji(e.Emoji, "❌") && !e.Removed
}

// decisionReadsKey is the context key of the decisionReads prepareEvent
// read for a ✅ or ❌.
type decisionReadsKey struct{}

// prepareEvent reads, before the event's transaction, what the decision a
// ✅ or ❌ on an approval message makes needs from the platforms (see
// decisionReads), for event to hand to it. A reaction on a message that
// is not a draft's, or not known as one yet (its ts not recorded), gets
// nothing: the transaction reads what it needs.
func (ap *Approvals) prepareEvent(ctx context.Context, ev bot.Event) context.Context {
	e, ok := ev.(*bot.Reaction)
	if !ok {
		return ctx
	}
	approve, reject := ap.reactionDecides(e)
	if !approve && !reject {
		return ctx
	}
	d, version, err := ap.db.DraftByMessage(ctx, e.ChannelID, e.MessageID)
	if err != nil {
		return ctx
	}
	action := "" // a rejection, a withdrawal, a superseded version: the policy alone
	if approve && !e.Removed && version == d.Version {
		action = bot.DraftApprove
	}
	return context.WithValue(ctx, decisionReadsKey{}, ap.readsOf(ctx, d, action))
}

// supersededReaction refuses a ✅ or ❌ on the message of version, which a
// later version of d replaced: the reaction was given to a text that is no
// longer the one to decide on.
func (ap *Approvals) supersededReaction(d *store.Draft, version int) error {
	where := "further down this thread"
	if version == 1 {
		where = "in this message's thread"
	}
	return bot.Errorf(bot.EConflict, "This message shows version %d of draft #%d, which is superseded: the text changed since this message was shown. Here is the new one, version %d by %s (text %s): “%s”. React on its message %s. Nothing was changed.",
		version, d.ID, d.Version, d.VersionAuthorName, bot.ShortHash(d.TextHash), bot.OneLine(d.Text, 300), where)
}

// staleDrafts makes stale, for why, the waiting (pending) drafts that answer the
// Discord message (channel, messageID), or any message of channel when
// messageID is empty.
func (ap *Approvals) staleDrafts(ctx context.Context, tx *store.Tx, channel, messageID, why string) error {
	ids, err := tx.DraftsByTarget(ctx, channel, messageID, bot.DraftPending)
	if err != nil {
		return err
	}
	for _, id := range ids {
		d, err := tx.Draft(ctx, id)
		if err != nil {
			return err
		}
		if err := ap.goStale(ctx, tx, d, why, ap.policyOf(ctx, d)); err != nil {
			return err
		}
	}
	return nil
}

// tell shows text to one Slack user, directly: the answer to a reaction.
// It is best effort, bounded, and never fails the event.
func (ap *Approvals) tell(ctx context.Context, channelID, userID, text string) {
	if ap.slack == nil || text == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := ap.slack.PostEphemeral(ctx, channelID, userID, &bot.Reply{Text: text}); err != nil && !errors.Is(err, context.Canceled) {
		ap.logger.Warn("approvals: could not answer a reaction", "user", userID, "err", err)
	}
}
