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
func (ap *Approvals) Register(r *Router) {
	r.OnEvent(ap.event)
	r.OnAction("approvals", ap.action)
	r.OnAction(draftReplyAction, ap.draftReplyClicked)
	r.OnForm("approvals", ap.form)
	r.OnSubcommand("reply", "<feedback id> <text>",
		"draft a public reply to a feedback item; it is posted in Discord once approved", ap.replySubcommand)
	r.OnSubcommand("draft", "<Discord message link> <text> | show N",
		"draft a public reply to any Discord message, or show a draft and its history", ap.draftSubcommand)
	r.OnSubcommand("drafts", "[pending|mine|all]",
		"the drafted replies and where each stands", ap.draftsSubcommand)
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
		target: t, authorID: it.AuthorID, authorName: it.AuthorName, channelName: it.ChannelName, text: it.Text,
		feedbackID: &it.ID, reply: text, by: u,
	})
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
		target: t, authorID: m.Author.ID, authorName: m.Author.Label(), channelName: m.ChannelName, text: m.Text,
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

// showDraft prints a draft and its whole history.
func (ap *Approvals) showDraft(ctx context.Context, id int64) (*bot.Reply, error) {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil, err
	}
	hist, err := ap.db.DraftHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	var approvals []store.Approval
	err = ap.db.InTx(ctx, func(tx *store.Tx) (err error) {
		approvals, err = tx.Approvals(ctx, id, d.TextHash)
		return err
	})
	if err != nil {
		return nil, err
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
	fmt.Fprintf(&b, "\nOriginal: %s\nReply: %s\nStatus: %s\nPolicy: %s · text %s",
		bot.OneLine(d.TargetText, 200), bot.OneLine(d.Text, 500), ap.draftStatusLine(d, pol, approvals), pol.Describe(d.Author), bot.ShortHash(d.TextHash))
	if d.DiscordMessageID != "" {
		t := d.Target()
		t.MessageID = d.DiscordMessageID
		fmt.Fprintf(&b, "\n%s", t.Link())
	}
	b.WriteString("\nHistory:")
	for _, h := range hist {
		fmt.Fprintf(&b, "\n%s %s %s", h.CreatedAt.In(ap.cfg.Location).Format("2006-01-02 15:04"), cmp.Or(h.Actor, "Liaison"), h.Action)
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

// Deciding.

// action handles the approval message's buttons. A button's value
// is "<draft id>:<text hash>" (Retry's, the id alone): a decision applies to
// the text the clicker was shown.
func (ap *Approvals) action(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	idText, hash, _ := strings.Cut(a.Value, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a draft; nothing was changed.")
	}
	switch a.ActionID {
	case "approvals.approve":
		var msg string
		err := ap.db.InTx(ctx, func(tx *store.Tx) (err error) {
			msg, err = ap.approve(ctx, tx, id, a.User, hash)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Text: msg}, nil
	case "approvals.reject":
		d, pol, err := ap.decidable(ctx, id, a.User, hash, bot.DraftReject)
		if err != nil {
			return nil, err
		}
		if err := pol.Check(a.User.ID, d.Author, "reject"); err != nil {
			return nil, err
		}
		return &bot.Reply{Modal: &bot.Modal{
			CallbackID: "approvals.reject", Title: fmt.Sprintf("Reject draft #%d", d.ID), Submit: "Reject",
			Meta:   idText + ":" + d.TextHash,
			Fields: []bot.ModalField{{ID: "reason", Label: fmt.Sprintf("Why? %s reads this in the thread, and can edit the draft and resubmit it.", d.AuthorName), Multiline: true}},
		}}, nil
	case "approvals.edit":
		d, _, err := ap.decidable(ctx, id, a.User, hash, bot.DraftEdit)
		if err != nil {
			return nil, err
		}
		if err := ap.mayEdit(ctx, d, a.User); err != nil {
			return nil, err
		}
		return &bot.Reply{Modal: &bot.Modal{
			CallbackID: "approvals.edit", Title: fmt.Sprintf("Edit draft #%d", d.ID), Submit: "Save",
			Meta:   idText + ":" + d.TextHash,
			Fields: []bot.ModalField{{ID: "text", Label: "The reply (a changed text needs its approvals again)", Value: d.Text, Multiline: true}},
		}}, nil
	case "approvals.retry":
		return ap.retry(ctx, id, a.User)
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was changed.")
}

// decidable reads draft id for a decision about to be asked for (a form
// opening): it must allow action and still show the text hash (when given).
func (ap *Approvals) decidable(ctx context.Context, id int64, u bot.User, hash, action string) (*store.Draft, bot.ApprovalPolicy, error) {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil, bot.ApprovalPolicy{}, err
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, action); err != nil {
		return nil, bot.ApprovalPolicy{}, err
	}
	if hash != "" && hash != d.TextHash {
		return nil, bot.ApprovalPolicy{}, changedUnder(d.ID)
	}
	pol, err := ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.TargetChannelID))
	return d, pol, err
}

func changedUnder(id int64) error {
	return bot.Errorf(bot.EConflict, "The text of draft #%d changed since you last saw it: read the new text on its message, then decide again. Nothing was changed.", id)
}

// mayEdit says whether u may edit d: its author or one of its approvers.
func (ap *Approvals) mayEdit(ctx context.Context, d *store.Draft, u bot.User) error {
	if u.ID == d.Author {
		return nil
	}
	pol, err := ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.TargetChannelID))
	if err != nil {
		return err
	}
	if !slices.Contains(pol.Approvers, u.ID) {
		return bot.Errorf(bot.EForbidden, "Only %s, who wrote draft #%d, and its approvers can edit it. Nothing was changed.", d.AuthorName, d.ID)
	}
	return nil
}

// approve records u's approval of draft id (of the text with hash, when
// given) and publishes the draft when that reaches the quorum, in tx with
// the draft locked. It returns what to tell u; an error changes nothing.
func (ap *Approvals) approve(ctx context.Context, tx *store.Tx, id int64, u bot.User, hash string) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	if ap.expiredNow(d) {
		// The job has not got to it yet: expire it now, and say so.
		if err := ap.expire(ctx, tx, d); err != nil {
			return "", err
		}
		return fmt.Sprintf("Draft #%d expired %s, before it had its approvals: it can't be approved any more.", d.ID, ap.when(*d.ExpiresAt)), nil
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, bot.DraftApprove); err != nil {
		return "", err
	}
	if hash != "" && hash != d.TextHash {
		return "", changedUnder(d.ID)
	}
	pol, err := ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.TargetChannelID))
	if err != nil {
		return "", err
	}
	if err := pol.Check(u.ID, d.Author, "approve"); err != nil {
		return "", err
	}
	if why := ap.targetStale(ctx, d); why != "" {
		if err := ap.goStale(ctx, tx, d, why); err != nil {
			return "", err
		}
		if why == staleClosed {
			return fmt.Sprintf("Draft #%d answers a message in a Discord thread that is now locked or archived, so the draft can't be posted any more.", d.ID), nil
		}
		return fmt.Sprintf("The Discord message draft #%d answers was deleted, so the draft can't be posted any more.", d.ID), nil
	}
	now := ap.clock.Now()
	by := ap.dir.Actor(u)
	added, err := tx.AddApproval(ctx, now, d.ID, u.ID, by, d.TextHash)
	if err != nil {
		return "", err
	}
	if !added {
		return fmt.Sprintf("You already approved this text of draft #%d.", d.ID), nil
	}
	if err := tx.LogDraft(ctx, now, d.ID, store.DraftEvent{Actor: by, Action: "approved", TextHash: d.TextHash}); err != nil {
		return "", err
	}
	approvals, err := tx.Approvals(ctx, d.ID, d.TextHash)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, a := range approvals {
		ids = append(ids, a.Approver)
	}
	if pol.Reached(d.Author, ids) {
		if err := ap.publish(ctx, tx, d, pol); err != nil {
			return "", err
		}
		return fmt.Sprintf("You approved draft #%d: it is being posted in Discord.", d.ID), nil
	}
	if err := ap.refreshDraft(ctx, tx, d, pol); err != nil {
		return "", err
	}
	left := pol.Needed(d.Author) - pol.Count(d.Author, ids)
	return fmt.Sprintf("You approved draft #%d. It needs %d more approval(s) before it is posted.", d.ID, left), nil
}

// withdraw takes back u's approval of draft id (u removed their ✅), in tx
// with the draft locked, while the draft still waits for approvals. It
// returns what to tell u, or "" when u had not approved this text.
func (ap *Approvals) withdraw(ctx context.Context, tx *store.Tx, id int64, u bot.User) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	switch d.Status {
	case bot.DraftPending:
	case bot.DraftApproved, bot.DraftPosted, bot.DraftFailed:
		if approved, err := tx.Approvals(ctx, d.ID, d.TextHash); err != nil {
			return "", err
		} else if !slices.ContainsFunc(approved, func(a store.Approval) bool { return a.Approver == u.ID }) {
			return "", nil
		}
		return fmt.Sprintf("Draft #%d already had its approvals and was sent to Discord: removing ✅ does not take it back.", d.ID), nil
	default:
		return "", nil
	}
	removed, err := tx.RemoveApproval(ctx, d.ID, u.ID, d.TextHash)
	if err != nil || !removed {
		return "", err
	}
	by := ap.dir.Actor(u)
	if err := tx.LogDraft(ctx, ap.clock.Now(), d.ID, store.DraftEvent{Actor: by, Action: "withdrew their approval", TextHash: d.TextHash}); err != nil {
		return "", err
	}
	pol := ap.policyOf(ctx, d)
	if err := ap.refreshDraft(ctx, tx, d, pol); err != nil {
		return "", err
	}
	return fmt.Sprintf("You withdrew your approval of draft #%d.", d.ID), nil
}

// reject rejects draft id on u's word, in tx with the draft locked, and
// tells its author in the thread. An empty reason (a ❌ reaction) asks u
// for one there.
func (ap *Approvals) reject(ctx context.Context, tx *store.Tx, id int64, u bot.User, hash, reason string) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, bot.DraftReject); err != nil {
		return "", err
	}
	if hash != "" && hash != d.TextHash {
		return "", changedUnder(d.ID)
	}
	pol, err := ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.TargetChannelID))
	if err != nil {
		return "", err
	}
	if err := pol.Check(u.ID, d.Author, "reject"); err != nil {
		return "", err
	}
	by := ap.dir.Actor(u)
	d.Reason, d.DecidedBy = reason, u.ID
	detail := reason
	if reason == "" {
		detail = "with ❌; the reason is asked for in the thread"
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

// edit saves u's new text for draft id, in tx with the draft locked. A
// changed text voids every approval, and the thread says so to those who
// had approved; a rejected draft is resubmitted (with a new deadline).
func (ap *Approvals) edit(ctx context.Context, tx *store.Tx, id int64, u bot.User, hash, text string) (string, error) {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return "", err
	}
	if _, err := bot.DraftTransition(d.ID, d.Status, bot.DraftEdit); err != nil {
		return "", err
	}
	if hash != "" && hash != d.TextHash {
		return "", bot.Errorf(bot.EConflict, "Someone changed draft #%d while you were editing it: click Edit again to start from the new text. Nothing was saved.", d.ID)
	}
	if err := ap.mayEdit(ctx, d, u); err != nil {
		return "", err
	}
	text, err = checkReply(text)
	if err != nil {
		return "", err
	}
	newHash := bot.DraftHash(text, d.Target())
	resubmit := d.Status == bot.DraftRejected
	if newHash == d.TextHash && !resubmit {
		return fmt.Sprintf("Draft #%d has that text already: nothing changed.", d.ID), nil
	}
	pol, err := ap.resolvePolicy(ctx, ap.cfg.Approvals.For(d.TargetChannelID))
	if err != nil {
		return "", err
	}
	cleared, err := tx.ClearApprovals(ctx, d.ID)
	if err != nil {
		return "", err
	}
	now := ap.clock.Now()
	by := ap.dir.Actor(u)
	oldHash, rejecter := d.TextHash, d.DecidedBy
	d.Text, d.TextHash = text, newHash
	action := "edited"
	if resubmit {
		action = "resubmitted"
		exp := now.Add(ap.cfg.Approvals.For(d.TargetChannelID).ExpireAfter)
		d.Reason, d.DecidedBy, d.ExpiresAt = "", "", &exp
	}
	e := store.DraftEvent{Actor: by, Action: action, TextHash: newHash}
	if newHash != oldHash {
		e.OldHash = oldHash
	}
	if len(cleared) > 0 {
		e.Detail = fmt.Sprintf("%d approval(s) cleared", len(cleared))
	}
	if err := ap.move(ctx, tx, d, bot.DraftEdit, e, pol); err != nil {
		return "", err
	}
	var notify, names []string
	for _, a := range cleared {
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
		notify = append(notify, rejecter)
	default:
		say = fmt.Sprintf("%s edited the text of this draft", by)
		if u.ID != d.Author {
			notify = append(notify, d.Author)
		}
	}
	if len(names) > 0 {
		say += fmt.Sprintf(". The approvals of %s were cleared: they applied to the old text", strings.Join(names, ", "))
	}
	say += fmt.Sprintf(". The new text %s.", pol.Describe(d.Author))
	if err := ap.sayInThread(ctx, tx, d, say, notify...); err != nil {
		return "", err
	}
	if resubmit {
		return fmt.Sprintf("Draft #%d is resubmitted for approval.", d.ID), nil
	}
	if len(cleared) > 0 {
		return fmt.Sprintf("Draft #%d is saved. Its approvals were cleared: the new text needs them again.", d.ID), nil
	}
	return fmt.Sprintf("Draft #%d is saved.", d.ID), nil
}

// retry sends again a reply Discord refused, on the word of the draft's
// author or an approver, once they have fixed what made it fail.
func (ap *Approvals) retry(ctx context.Context, id int64, u bot.User) (*bot.Reply, error) {
	d, err := ap.db.Draft(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ap.mayEdit(ctx, d, u); err != nil {
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
		return ap.move(ctx, tx, d, bot.DraftRetry, store.DraftEvent{Actor: by, Action: "retried"}, ap.policyOf(ctx, d))
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
		if kind != "feedback" || err != nil {
			return nil, bot.Errorf(bot.EInvalid, "This form does not name a feedback item; nothing was changed.")
		}
		return ap.draftForFeedback(ctx, id, s.Values["text"], s.User)
	case "approvals.edit", "approvals.reject":
		id, err := strconv.ParseInt(kind, 10, 64)
		if err != nil {
			return nil, bot.Errorf(bot.EInvalid, "This form does not name a draft; nothing was changed.")
		}
		var msg string
		err = ap.db.InTx(ctx, func(tx *store.Tx) (err error) {
			if s.CallbackID == "approvals.edit" {
				msg, err = ap.edit(ctx, tx, id, s.User, ref, s.Values["text"])
				return err
			}
			reason := strings.TrimSpace(s.Values["reason"])
			if reason == "" {
				return bot.Errorf(bot.EInvalid, "Say why, so that the author knows what to change.")
			}
			msg, err = ap.reject(ctx, tx, id, s.User, ref, reason)
			return err
		})
		if err != nil {
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
		if e.Platform != bot.PlatformSlack || e.ChannelID != a.Channel.ID || e.User.Bot {
			return nil
		}
		approve, reject := bot.SameEmoji(e.Emoji, "✅"), bot.SameEmoji(e.Emoji, "❌")
		if !approve && !(reject && !e.Removed) {
			return nil // a ❌ taken back changes nothing: the draft was rejected
		}
		d, err := reactedTo(ctx, tx, ap.slack, ap.clock, e, func() (*store.Draft, error) { return tx.DraftByMessage(ctx, e.ChannelID, e.MessageID) })
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		var msg string
		if e.Removed {
			msg, err = ap.withdraw(ctx, tx, d.ID, e.User)
		} else if approve {
			msg, err = ap.approve(ctx, tx, d.ID, e.User, "")
		} else {
			msg, err = ap.reject(ctx, tx, d.ID, e.User, "", "")
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
		d, err := tx.DraftByMessage(ctx, e.ChannelID, e.ThreadID)
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

// staleDrafts makes stale, for why, the waiting drafts that answer the
// Discord message (channel, messageID), or any message of channel when
// messageID is empty.
func (ap *Approvals) staleDrafts(ctx context.Context, tx *store.Tx, channel, messageID, why string) error {
	ids, err := tx.DraftsByTarget(ctx, channel, messageID, bot.DraftPending, bot.DraftRejected)
	if err != nil {
		return err
	}
	for _, id := range ids {
		d, err := tx.Draft(ctx, id)
		if err != nil {
			return err
		}
		if err := ap.goStale(ctx, tx, d, why); err != nil {
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
