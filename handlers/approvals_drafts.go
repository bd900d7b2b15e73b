package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
)

// Drafted replies: how a draft is made, shown in the approvals channel,
// moved from one status to the next (always in one transaction with the
// draft row locked, its history line and its outbox messages), published,
// and kept current by the jobs (publishing outcomes, expiry, staleness).

// maxReply is the longest reply Discord accepts in one message.
const maxReply = 2000

// draftQuoteMax bounds the original message quoted on an approval message.
const draftQuoteMax = 1500

// draftInput is what a new draft is made of.
type draftInput struct {
	target      bot.DraftTarget
	authorID    string // the target's author, on Discord
	authorName  string
	channelName string
	// parent is the channel a target in a thread is under, whose approval
	// policy applies; "" for a target in a channel itself.
	parent     string
	text       string // the target's text
	feedbackID *int64
	reply      string
	by         bot.User
}

// mentionRoom is what the mention of the author takes before a reply that
// pings them: "<@" + a snowflake of up to 20 digits + ">" + a line break.
const mentionRoom = 24

// checkReply validates a reply's text (a form shows the error next to its
// one box). Its length is counted as Discord will count it, once rendered
// (Slack's escapes undone, @everyone defused) with the mention of the
// author when the channel's policy pings them, so that what is approved
// is never refused by Discord or cut by the sender.
func (ap *Approvals) checkReply(text, channelID string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", bot.Errorf(bot.EInvalid, "Write the reply that should appear in Discord.")
	}
	limit := maxReply
	if channelID == modmailTarget {
		limit -= modmailSignatureRoom
	} else if ap.cfg.Approvals.For(channelID).PingAuthor {
		limit -= mentionRoom
	}
	if n := utf8.RuneCountInString(bot.DiscordText(text)); n > limit {
		return "", bot.Errorf(bot.EInvalid, "The reply is %d characters long; Discord takes at most %d in one message. Shorten it.", n, limit)
	}
	return text, nil
}

// mayDraft checks that drafting is set up and that u drafts from Slack,
// where approvals happen. Who may draft (drafts.create) is declared where
// the drafting commands, button and form register.
func (ap *Approvals) mayDraft(u bot.User) error {
	if !ap.cfg.Approvals.Enabled {
		return bot.Errorf(bot.EInvalid, "Drafting replies is not set up here yet: ask an admin to add an approvals: section to liaison.yaml.")
	}
	if u.Platform != bot.PlatformSlack {
		return bot.Errorf(bot.EInvalid, "Public replies are drafted in Slack, where they wait for approval.")
	}
	return nil
}

// createDraft stores a draft and posts it for approval, in one transaction.
func (ap *Approvals) createDraft(ctx context.Context, in draftInput) (*bot.Reply, error) {
	if err := ap.mayDraft(in.by); err != nil {
		return nil, err
	}
	text, err := ap.checkReply(in.reply, in.target.ChannelID)
	if err != nil {
		return nil, err
	}
	cfgPol := ap.cfg.Approvals.For(cmp.Or(in.parent, in.target.ChannelID))
	pol, err := ap.resolvePolicy(ctx, cfgPol)
	if err != nil {
		return nil, err
	}
	by := ap.dir.Actor(in.by)
	if !pol.Possible(in.by.ID) {
		return nil, bot.Errorf(bot.EInvalid, "Nobody could approve this draft: it %s. Ask an admin to add approvers to liaison.yaml's approvals: section.", pol.Describe(in.by.ID, by))
	}
	now := ap.clock.Now()
	expires := now.Add(cfgPol.ExpireAfter)
	d := &store.Draft{
		FeedbackID: in.feedbackID, TargetGuildID: in.target.GuildID, TargetChannelID: in.target.ChannelID,
		TargetMessageID: in.target.MessageID, TargetAuthorID: in.authorID, TargetAuthorName: in.authorName,
		TargetChannelName: cmp.Or(in.channelName, ap.dir.ChannelName(in.target.ChannelID)), TargetParentID: in.parent, TargetText: in.text,
		Text: text, TextHash: bot.DraftHash(text, in.target), Author: in.by.ID, AuthorName: by,
		SlackChannelID: ap.cfg.Approvals.Channel.ID, ExpiresAt: &expires,
	}
	if d.FeedbackID == nil {
		// A reply to a message that is a feedback item answers the item.
		// Looked up in a transaction of its own, which reads the item
		// locked: the draft's insert below may wait for another draft's
		// approval to commit (one pending draft per message), and that
		// approval marks the item answered.
		err = ap.db.InTx(ctx, func(tx *store.Tx) error {
			it, err := ap.feedback.ItemOfDiscordMessage(ctx, tx, d.TargetChannelID, d.TargetMessageID)
			if err == nil {
				d.FeedbackID = &it.ID
			} else if bot.ErrorCode(err) != bot.ENotFound {
				return err
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var prior *store.Draft
	err = ap.db.InTx(ctx, func(tx *store.Tx) error {
		// A message already answered gets a follow-up, shown with the
		// reply before it.
		last, err := tx.LastReply(ctx, d.TargetChannelID, d.TargetMessageID)
		if err != nil {
			return err
		}
		if last != 0 {
			d.FollowsID = &last
		}
		if err := tx.CreateDraft(ctx, now, d); err != nil {
			return err // a draft already waiting for that message: ErrPendingDraft
		}
		if err := tx.LogDraft(ctx, now, d.ID, store.DraftEvent{Actor: d.AuthorName, Action: "created", TextHash: d.TextHash, Detail: "version 1 by " + d.AuthorName}); err != nil {
			return err
		}
		if d.FeedbackID != nil {
			if err := ap.feedback.LogDraft(ctx, tx, *d.FeedbackID, d.AuthorName, d.ID); err != nil {
				return err
			}
		}
		if prior, err = ap.priorOf(ctx, tx, d); err != nil {
			return err
		}
		post := ap.approvalPost(d, pol, nil, prior)
		_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: store.DraftOutboxKey(d.ID), Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(post)})
		return err
	})
	if errors.Is(err, store.ErrPendingDraft) {
		return ap.oneAnswer(ctx, d.TargetChannelID, d.TargetMessageID, in.by)
	} else if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("Draft #%d is waiting for approval in #%s: it %s.", d.ID, ap.cfg.Approvals.Channel.Name, describe(pol, d))
	if prior != nil {
		msg += fmt.Sprintf(" It is a follow-up: %s.", ap.followUp(prior))
	}
	return &bot.Reply{Text: msg}, nil
}

// oneAnswer refuses a second draft waiting for approval for the Discord
// message (channel, message): it names the one waiting and, when u may edit
// it, offers its Edit.
func (ap *Approvals) oneAnswer(ctx context.Context, channelID, messageID string, u bot.User) (*bot.Reply, error) {
	p, err := ap.db.PendingDraft(ctx, channelID, messageID)
	if bot.ErrorCode(err) == bot.ENotFound {
		// Decided between the refusal and this read.
		return nil, bot.Errorf(bot.EConflict, "Another draft for that message was waiting for approval a moment ago, and was just decided: look at #%s, then try again. Nothing was saved.", ap.cfg.Approvals.Channel.Name)
	} else if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Draft #%d by %s is already waiting for approval as the answer to that message (version %d by %s: “%s”). A message gets one answer: change that draft instead of writing a second. Nothing was saved.",
		p.ID, p.AuthorName, p.Version, p.VersionAuthorName, bot.OneLine(p.Text, 200))
	r := &bot.Reply{}
	if ap.mayEdit(ctx, p, u, nil) == nil {
		text += fmt.Sprintf(" Edit it here, or on its message in #%s.", ap.cfg.Approvals.Channel.Name)
		r.Buttons = []bot.Button{{ActionID: "approvals.edit", Label: fmt.Sprintf("Edit draft #%d", p.ID), Value: seenValue(p), Style: "primary"}}
	} else {
		text += fmt.Sprintf(" %s or one of its approvers can edit it.", p.AuthorName)
	}
	r.Text = text
	return r, nil
}

// priorOf returns the reply d follows up (nil when it answers a message
// for the first time), as tx sees it.
func (ap *Approvals) priorOf(ctx context.Context, tx *store.Tx, d *store.Draft) (*store.Draft, error) {
	if d.FollowsID == nil {
		return nil, nil
	}
	return tx.PeekDraft(ctx, *d.FollowsID)
}

// followUp says where the reply a follow-up follows stands: "#3 was
// already posted on Fri 27 Nov 10:00".
func (ap *Approvals) followUp(prior *store.Draft) string {
	switch {
	case prior.Status == bot.DraftPosted && prior.PostedAt != nil:
		return fmt.Sprintf("#%d was already posted on %s", prior.ID, ap.when(*prior.PostedAt))
	case prior.Status == bot.DraftFailed:
		return fmt.Sprintf("#%d was approved, but Discord refused it", prior.ID)
	}
	return fmt.Sprintf("#%d is approved and being posted", prior.ID)
}

// resolvePolicy turns a configured policy into Slack user ids: people's ids,
// and the members of user groups, read from Slack (the Slack side caches
// them briefly). A group that cannot be read is an error, so that nobody is
// refused, or allowed, by mistake.
func (ap *Approvals) resolvePolicy(ctx context.Context, c config.ApprovalPolicy) (bot.ApprovalPolicy, error) {
	p := bot.ApprovalPolicy{Quorum: c.Quorum, NamesOf: map[string]string{}}
	for _, a := range c.Approvers {
		p.Names = append(p.Names, a.Label())
		if a.Slack != "" {
			p.Approvers = append(p.Approvers, a.Slack)
			p.NamesOf[a.Slack] = a.Person
			continue
		}
		if a.Group == "" {
			continue
		}
		if ap.slack == nil {
			return p, bot.Errorf(bot.EConflict, "Liaison is not connected to Slack, so it cannot read the user group %s that approves this draft.", a.Label())
		}
		ids, err := ap.slack.UsergroupMembers(ctx, a.Group)
		if err != nil {
			return p, fmt.Errorf("read approvers of user group %s: %w", a.Group, err)
		}
		p.Approvers = append(p.Approvers, ids...)
	}
	return p, nil
}

// describe writes pol for d's current version, whose author may not
// approve it.
func describe(pol bot.ApprovalPolicy, d *store.Draft) string {
	return pol.Describe(d.VersionAuthor, d.VersionAuthorName)
}

// policyOf resolves the policy of d for showing it: when a group cannot be
// read, its members are left out, which only changes the counts shown.
func (ap *Approvals) policyOf(ctx context.Context, d *store.Draft) bot.ApprovalPolicy {
	return ap.shownPolicy(ctx, d, nil)
}

// when formats a time for people, in the team's timezone.
func (ap *Approvals) when(t time.Time) string {
	return t.In(ap.cfg.Location).Format("Mon 2 Jan 15:04")
}

// approvalPost renders d's current version as its message in the approvals
// channel: the original quoted, the earlier reply it follows up (prior),
// the reply, who drafted it, the version with
// who wrote it and its hash (and, from version 2 on, which version it
// replaces), the policy, where it stands, and the buttons that apply, which
// carry the version they decide on. approvals are those of d's current
// version.
func (ap *Approvals) approvalPost(d *store.Draft, pol bot.ApprovalPolicy, approvals []store.Approval, prior *store.Draft) bot.Post {
	p := ap.draftHeader(d, d.Version)
	if prior != nil {
		// Its approvers see every earlier reply to the message.
		p.Fields = append(p.Fields, bot.Field{Name: "Follow-up", Value: fmt.Sprintf("%s: “%s”", ap.followUp(prior), bot.OneLine(prior.Text, 500))})
	}
	p.Fields = append(p.Fields, []bot.Field{
		{Name: "Reply", Value: d.Text},
		{Name: "Drafted by", Value: d.AuthorName},
		{Name: "Version", Value: versionLine(d.Version, d.VersionAuthorName, d.TextHash)},
	}...)
	switch {
	case d.Version == 2:
		p.Fields = append(p.Fields, bot.Field{Name: "Replaces", Value: "version 1 ↑ (the message this thread starts from)"})
	case d.Version > 2:
		p.Fields = append(p.Fields, bot.Field{Name: "Replaces", Value: fmt.Sprintf("version %d ↑ (above in this thread)", d.Version-1)})
	}
	p.Fields = append(p.Fields,
		bot.Field{Name: "Policy", Value: describe(pol, d)},
		bot.Field{Name: "Status", Value: ap.draftStatusLine(d, pol, approvals)})
	if who := ap.approvers(approvals); who != "" {
		p.Fields = append(p.Fields, bot.Field{Name: "Approved by", Value: who})
	}
	if d.DiscordMessageID != "" && !isModmail(d) {
		t := d.Target()
		t.MessageID = d.DiscordMessageID
		p.Link = &bot.Link{URL: t.Link(), Label: "Open the reply in Discord"}
	}
	bound := seenValue(d) // an approval is bound to the version the message shows
	switch d.Status {
	case bot.DraftPending:
		p.Context = "react ✅ to approve or ❌ to reject"
		p.Buttons = []bot.Button{
			{ActionID: "approvals.approve", Label: "Approve", Value: bound, Style: "primary"},
			{ActionID: "approvals.reject", Label: "Reject", Value: bound, Style: "danger"},
			{ActionID: "approvals.edit", Label: "Edit", Value: bound},
		}
	case bot.DraftRejected:
		p.Buttons = []bot.Button{{ActionID: "approvals.edit", Label: "Edit", Value: bound}}
	case bot.DraftFailed:
		p.Buttons = []bot.Button{{ActionID: "approvals.retry", Label: "Retry", Value: strconv.FormatInt(d.ID, 10), Style: "primary"}}
	}
	return p
}

// supersededPost renders the message of version v of d once version next
// replaced it: its text, author and hash and the approvals it had, marked
// superseded, with no buttons: nothing decided there counts any more.
func (ap *Approvals) supersededPost(d *store.Draft, v store.DraftVersion, approvals []store.Approval, next int) bot.Post {
	p := ap.draftHeader(d, v.Version)
	p.Fields = []bot.Field{
		{Name: "Reply", Value: v.Text},
		{Name: "Drafted by", Value: d.AuthorName},
		{Name: "Version", Value: versionLine(v.Version, v.AuthorName, v.TextHash)},
	}
	where := "below in this thread"
	if v.Version == 1 {
		where = "in this message's thread"
	}
	p.Fields = append(p.Fields, bot.Field{Name: "Status", Value: fmt.Sprintf("superseded by version %d ↓ (%s): decide on that one", next, where)})
	if v.RejectedBy != "" {
		p.Fields = append(p.Fields, bot.Field{Name: "Rejected", Value: ap.rejection(v)})
	}
	if who := ap.approvers(approvals); who != "" {
		p.Fields = append(p.Fields, bot.Field{Name: "Approved by", Value: who + " (for this version only)"})
	}
	p.Context = "superseded: reactions here no longer count"
	return p
}

// rejection says who rejected version v and why: "by dave on Mon 23 Nov
// 10:00: too harsh".
func (ap *Approvals) rejection(v store.DraftVersion) string {
	s := "by " + cmp.Or(v.RejectedByName, ap.dir.slackName(v.RejectedBy))
	if v.RejectedAt != nil {
		s += " on " + ap.when(*v.RejectedAt)
	}
	if v.Reason != "" {
		s += ": " + v.Reason
	}
	return s
}

// draftHeader is what every message of d shows: its title, the original
// quoted, and a link to it.
func (ap *Approvals) draftHeader(d *store.Draft, version int) bot.Post {
	to := cmp.Or(d.TargetAuthorName, "a message")
	if d.TargetChannelName != "" {
		to += " in #" + d.TargetChannelName
	}
	title := fmt.Sprintf("Draft reply #%d to %s", d.ID, to)
	if isWeb(d) {
		title = fmt.Sprintf("Draft reply #%d to %s on %s (web mention #%s), to post by hand", d.ID, d.TargetAuthorName, d.TargetChannelName, d.TargetMessageID)
	}
	if isModmail(d) {
		title = fmt.Sprintf("Draft answer #%d to %s's modmail ticket #%s, sent as a DM signed by the team once approved", d.ID, d.TargetAuthorName, d.TargetMessageID)
	}
	if d.FeedbackID != nil {
		title += fmt.Sprintf(" (feedback #%d)", *d.FeedbackID)
	}
	if version > 1 {
		title += fmt.Sprintf(", version %d", version)
	}
	p := bot.Post{ChannelID: d.SlackChannelID, Title: title, Quote: d.TargetText}
	if len(p.Quote) > draftQuoteMax {
		p.Quote = bot.Truncate(p.Quote, draftQuoteMax) + " … (the whole message is in Discord)"
	}
	if p.Quote == "" {
		p.Quote = "(no text)"
	}
	if d.TargetGuildID != "" {
		p.Link = &bot.Link{URL: d.Target().Link(), Label: "Open the original in Discord"}
	}
	if isWeb(d) {
		p.Link = &bot.Link{URL: d.TargetAuthorID, Label: "Open the mention"}
	}
	return p
}

// approvers lists who gave approvals, and when.
func (ap *Approvals) approvers(approvals []store.Approval) string {
	var who []string
	for _, a := range approvals {
		who = append(who, fmt.Sprintf("%s (%s)", cmp.Or(a.ApproverName, a.Approver), ap.when(a.CreatedAt)))
	}
	return strings.Join(who, ", ")
}

// approverIDs returns who gave approvals, as the policy counts them.
func approverIDs(approvals []store.Approval) []string {
	ids := make([]string, 0, len(approvals))
	for _, a := range approvals {
		ids = append(ids, a.Approver)
	}
	return ids
}

// currentVersion returns d's current version, about to be replaced, and
// its approvals.
func currentVersion(ctx context.Context, tx *store.Tx, d *store.Draft) (store.DraftVersion, []store.Approval, error) {
	v, err := tx.DraftVersion(ctx, d.ID, d.Version)
	if err != nil {
		return store.DraftVersion{}, nil, err
	}
	approvals, err := tx.Approvals(ctx, d.ID, d.Version)
	return *v, approvals, err
}

// versionLine names a version of a draft's text, who wrote it and its hash:
// "2 by dave · text 1a2b3c4d".
func versionLine(n int, author, hash string) string {
	return fmt.Sprintf("%d by %s · text %s", n, author, bot.ShortHash(hash))
}

// draftStatusLine says where d stands, in a line.
func (ap *Approvals) draftStatusLine(d *store.Draft, pol bot.ApprovalPolicy, approvals []store.Approval) string {
	switch d.Status {
	case bot.DraftPending:
		ids := approverIDs(approvals)
		s := fmt.Sprintf("waiting for approval (%d of %d)", pol.Count(d.VersionAuthor, ids), pol.Needed(d.VersionAuthor))
		if d.ExpiresAt != nil {
			s += ", expires " + ap.when(*d.ExpiresAt)
		}
		return s
	case bot.DraftApproved:
		if isWeb(d) {
			return "approved: to post manually at " + d.TargetAuthorID
		}
		if isModmail(d) {
			return "approved: sending it to " + d.TargetAuthorName + " as a DM…"
		}
		return "approved: posting in Discord…"
	case bot.DraftPosted:
		s := "posted in Discord"
		if isWeb(d) {
			s = "posted by hand at " + d.TargetAuthorID
		}
		if isModmail(d) {
			s = "sent to " + d.TargetAuthorName + " as a DM"
		}
		if d.PostedAt != nil {
			s += " on " + ap.when(*d.PostedAt)
		}
		return s
	case bot.DraftFailed:
		return "Discord refused the reply: " + d.Reason + ". Fix that, then click Retry."
	case bot.DraftRejected:
		by := ap.dir.slackName(d.DecidedBy)
		if d.Reason == "" {
			return fmt.Sprintf("rejected by %s with ❌ (%s, please give the reason in the thread)", by, by)
		}
		return fmt.Sprintf("rejected by %s: %s. Edit it to resubmit.", by, d.Reason)
	case bot.DraftExpired:
		s := "expired: nobody approved it in time"
		if d.ExpiresAt != nil {
			s = "expired " + ap.when(*d.ExpiresAt) + ": nobody approved it in time"
		}
		return s + ". Draft it again to answer."
	case bot.DraftStale:
		return "cannot be posted any more: " + cmp.Or(d.Reason, "the Discord message it answers was deleted")
	}
	return d.Status
}

// nextKey returns the next numbered outbox key under prefix and the key of
// the message before it ("" for the first), so that numbered messages of
// one draft (edits of its approval message, replies in its thread) have
// stable keys and land in order.
func nextKey(ctx context.Context, tx *store.Tx, prefix string) (key, last string, err error) {
	last, err = tx.LastOutboxKey(ctx, prefix)
	if err != nil {
		return "", "", err
	}
	n := 1
	if last != "" {
		prev, _ := strconv.Atoi(strings.TrimPrefix(last, prefix))
		n = prev + 1
	}
	return prefix + strconv.Itoa(n), last, nil
}

// refreshDraft enqueues an edit of the message of d's current version
// showing its state now, chained after the edits before it.
func (ap *Approvals) refreshDraft(ctx context.Context, tx *store.Tx, d *store.Draft, pol bot.ApprovalPolicy) error {
	approvals, err := tx.Approvals(ctx, d.ID, d.Version)
	if err != nil {
		return err
	}
	prior, err := ap.priorOf(ctx, tx, d)
	if err != nil {
		return err
	}
	return ap.editMessage(ctx, tx, store.DraftVersionKey(d.ID, d.Version), ap.approvalPost(d, pol, approvals, prior))
}

// editMessage enqueues an edit of the approval message with key, chained
// after the edits before it.
func (ap *Approvals) editMessage(ctx context.Context, tx *store.Tx, base string, post bot.Post) error {
	key, last, err := nextKey(ctx, tx, base+":update:")
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, ap.clock.Now(), &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindUpdate,
		Payload: bot.Payload(post), ParentKey: cmp.Or(last, base)})
	return err
}

// replaceVersion shows d's new current version for approval: the message of
// version old (which had approvals) is edited to say it is superseded, its
// buttons removed, and the new version is posted as a new message in the
// thread of the draft's first one, so that a ✅ always approves the version
// its message shows.
func (ap *Approvals) replaceVersion(ctx context.Context, tx *store.Tx, d *store.Draft, old store.DraftVersion, approvals []store.Approval, pol bot.ApprovalPolicy) error {
	if err := ap.editMessage(ctx, tx, store.DraftVersionKey(d.ID, old.Version), ap.supersededPost(d, old, approvals, d.Version)); err != nil {
		return err
	}
	prior, err := ap.priorOf(ctx, tx, d)
	if err != nil {
		return err
	}
	post := ap.approvalPost(d, pol, nil, prior)
	_, err = tx.Enqueue(ctx, ap.clock.Now(), &bot.OutboxMessage{Key: store.DraftVersionKey(d.ID, d.Version), Platform: bot.PlatformSlack,
		Kind: bot.KindPost, Payload: bot.Payload(post), ParentKey: store.DraftOutboxKey(d.ID)})
	return err
}

// sayInThread enqueues a reply in d's approval message thread, pinging
// notify (Slack user ids) and nobody else.
func (ap *Approvals) sayInThread(ctx context.Context, tx *store.Tx, d *store.Draft, text string, notify ...string) error {
	base := store.DraftOutboxKey(d.ID)
	key, _, err := nextKey(ctx, tx, base+":thread:")
	if err != nil {
		return err
	}
	var who []string
	for _, id := range notify {
		if id != "" && !slices.Contains(who, id) {
			who = append(who, id)
		}
	}
	post := bot.Post{ChannelID: d.SlackChannelID, Text: text, Notify: who}
	_, err = tx.Enqueue(ctx, ap.clock.Now(), &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost,
		Payload: bot.Payload(post), ParentKey: base})
	return err
}

// move changes d's status by action, saves it, logs e and refreshes its
// approval message. d must be locked in tx.
func (ap *Approvals) move(ctx context.Context, tx *store.Tx, d *store.Draft, action string, e store.DraftEvent, pol bot.ApprovalPolicy) error {
	if err := ap.transition(ctx, tx, d, action, e); err != nil {
		return err
	}
	return ap.refreshDraft(ctx, tx, d, pol)
}

// transition changes d's status by action, saves it and logs e. d must be
// locked in tx.
func (ap *Approvals) transition(ctx context.Context, tx *store.Tx, d *store.Draft, action string, e store.DraftEvent) error {
	to, err := bot.DraftTransition(d.ID, d.Status, action)
	if err != nil {
		return err
	}
	now := ap.clock.Now()
	d.Status = to
	if to == bot.DraftPosted {
		d.PostedAt = &now
	}
	if err := tx.SaveDraft(ctx, now, d); err != nil {
		return err
	}
	e.TextHash = cmp.Or(e.TextHash, d.TextHash)
	return tx.LogDraft(ctx, now, d.ID, e)
}

// publish moves d to approved and, in the same transaction, enqueues its
// reply in Discord under the one key a draft's reply can have, and marks
// the feedback item it answers as answered; provided its target's last
// reply is still the one d's approvers were shown (none, or the one d
// follows up). Otherwise nothing is done and publish returns the reply that
// got there first, which d must now follow up.
func (ap *Approvals) publish(ctx context.Context, tx *store.Tx, d *store.Draft, pol bot.ApprovalPolicy) (lostTo int64, err error) {
	var follows int64
	if d.FollowsID != nil {
		follows = *d.FollowsID
	}
	last, err := tx.ClaimReply(ctx, ap.clock.Now(), d, follows)
	if err != nil || last != d.ID {
		return last, err
	}
	if isWeb(d) {
		return 0, ap.publishWeb(ctx, tx, d, pol)
	}
	if isModmail(d) {
		return 0, ap.publishModmail(ctx, tx, d, pol)
	}
	cfgPol := ap.cfg.Approvals.For(d.PolicyChannel())
	post := bot.Post{ChannelID: d.TargetChannelID, ThreadOf: d.TargetMessageID, Text: d.Text}
	if cfgPol.PingAuthor && d.TargetAuthorID != "" {
		post.Notify = []string{d.TargetAuthorID}
	}
	if _, err := tx.Enqueue(ctx, ap.clock.Now(), &bot.OutboxMessage{Key: store.PublishOutboxKey(d.ID), Platform: bot.PlatformDiscord,
		Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
		return 0, err
	}
	if err := ap.move(ctx, tx, d, bot.DraftPublish, store.DraftEvent{Action: publishAction, Detail: quorumReached + describe(pol, d)}, pol); err != nil {
		return 0, err
	}
	if d.FeedbackID == nil {
		return 0, nil
	}
	return 0, ap.feedback.MarkAnswered(ctx, tx, *d.FeedbackID, d.AuthorName)
}

// becomeFollowUp turns d, whose approvals were reached but whose message
// got another reply first (winner), into a follow-up of that reply: a new
// version with the same text and author, shown with the winner's text,
// which needs its approvals again. It returns what to tell the approver.
// d must be locked in tx.
func (ap *Approvals) becomeFollowUp(ctx context.Context, tx *store.Tx, d *store.Draft, winner int64, pol bot.ApprovalPolicy) (string, error) {
	old, earlier, err := currentVersion(ctx, tx, d)
	if err != nil {
		return "", err
	}
	now := ap.clock.Now()
	d.FollowsID, d.Version = &winner, d.Version+1
	if err := tx.AddDraftVersion(ctx, now, d); err != nil {
		return "", err
	}
	if err := tx.SaveDraft(ctx, now, d); err != nil {
		return "", err
	}
	if err := tx.LogDraft(ctx, now, d.ID, store.DraftEvent{Action: "became a follow-up", TextHash: d.TextHash,
		Detail: fmt.Sprintf("draft #%d answered the same message first; version %d shows it and needs its approvals again", winner, d.Version)}); err != nil {
		return "", err
	}
	if err := ap.replaceVersion(ctx, tx, d, old, earlier, pol); err != nil {
		return "", err
	}
	notify := []string{d.Author}
	for _, a := range earlier {
		notify = append(notify, a.Approver)
	}
	say := fmt.Sprintf("Draft #%d answered the same message first, so this draft was not posted. It is now a follow-up that shows #%d's reply, as version %d, and needs its approvals again: it %s.",
		winner, winner, d.Version, describe(pol, d))
	if err := ap.sayInThread(ctx, tx, d, say, notify...); err != nil {
		return "", err
	}
	return fmt.Sprintf("Draft #%d was not posted: draft #%d answered the same message first. #%d is now a follow-up showing #%d's reply (version %d), and needs its approvals again.",
		d.ID, winner, d.ID, winner, d.Version), nil
}

// Why a draft goes stale, as its message and history say it.
const (
	staleDeleted = "the Discord message it answers was deleted"
	staleClosed  = "the Discord thread it answers in is locked or archived"
)

// targetStale says why the Discord message d answers can no longer take a
// reply (deleted, or in a locked or archived thread), or "" when it can, as
// far as Discord (or the console) says; a failed read is not a reason.
func (ap *Approvals) targetStale(ctx context.Context, d *store.Draft) string {
	if ap.discord == nil || isWeb(d) || isModmail(d) {
		return ""
	}
	m, err := ap.discord.Message(ctx, d.TargetChannelID, d.TargetMessageID)
	switch {
	case bot.ErrorCode(err) == bot.ENotFound:
		return staleDeleted
	case err != nil:
		ap.logger.Warn("approvals: could not check that a draft's Discord message still exists", "draft", d.ID, "err", err)
	case m.Closed:
		return staleClosed
	}
	return ""
}

// goStale marks d stale (it can no longer be posted) and says why on its
// message, which shows pol. d must be locked in tx.
func (ap *Approvals) goStale(ctx context.Context, tx *store.Tx, d *store.Draft, why string, pol bot.ApprovalPolicy) error {
	d.Reason = why
	return ap.move(ctx, tx, d, bot.DraftGoStale, store.DraftEvent{Action: "stale", Detail: why}, pol)
}

// The jobs.

// SettleDrafts brings drafts up to date with time and with their replies'
// fate, for the scheduler (every tick): a reply Discord accepted makes its
// draft posted (recording the Discord message and linking it on the Slack
// message); one Discord refused makes it failed, shown in plain words with
// a Retry button; a retried one is approved again; a draft not approved by
// its deadline expires. It returns how many drafts changed.
func (ap *Approvals) SettleDrafts(ctx context.Context, now time.Time) (int, error) {
	if !ap.cfg.Approvals.Enabled {
		return 0, nil
	}
	changed := 0
	publishing, err := ap.db.ListDrafts(ctx, store.DraftFilter{Statuses: []string{bot.DraftApproved, bot.DraftFailed}, Limit: 500})
	if err != nil {
		return 0, err
	}
	for _, d := range publishing {
		n, err := ap.settlePublish(ctx, &d)
		if err != nil {
			return changed, fmt.Errorf("settle draft %d: %w", d.ID, err)
		}
		changed += n
	}
	due, err := ap.db.ListDrafts(ctx, store.DraftFilter{Statuses: []string{bot.DraftPending}, ExpiresUntil: now, Limit: 500})
	if err != nil {
		return changed, err
	}
	for _, d := range due {
		n := 0
		reads := ap.readsOf(ctx, &d, "") // its policy, read before the transaction
		err := ap.db.InTx(ctx, func(tx *store.Tx) error {
			d, err := tx.Draft(ctx, d.ID)
			if err != nil || !ap.expiredNow(d) {
				return err
			}
			n = 1
			return ap.expire(ctx, tx, d, ap.shownPolicy(ctx, d, reads))
		})
		if err != nil {
			return changed, fmt.Errorf("expire draft %d: %w", d.ID, err)
		}
		changed += n
	}
	return changed, nil
}

// expiredNow reports whether d is past its deadline and still waiting: only
// a waiting version expires; a rejected one stays rejected.
func (ap *Approvals) expiredNow(d *store.Draft) bool {
	return d.Status == bot.DraftPending && d.ExpiresAt != nil && !ap.clock.Now().Before(*d.ExpiresAt)
}

// expire marks d expired, its message showing pol. d must be locked in tx.
func (ap *Approvals) expire(ctx context.Context, tx *store.Tx, d *store.Draft, pol bot.ApprovalPolicy) error {
	return ap.move(ctx, tx, d, bot.DraftExpire, store.DraftEvent{Action: "expired", Detail: "nobody approved it by " + ap.when(*d.ExpiresAt)}, pol)
}

// settlePublish reconciles listed, a draft as listed, with its reply's
// outbox message.
func (ap *Approvals) settlePublish(ctx context.Context, listed *store.Draft) (int, error) {
	n := 0
	reads := ap.readsOf(ctx, listed, "") // its policy, read before the transaction
	err := ap.db.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.Draft(ctx, listed.ID)
		if err != nil {
			return err
		}
		e, err := tx.PublishState(ctx, d.ID)
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		pol := ap.shownPolicy(ctx, d, reads)
		switch {
		case e.State == store.OutboxSent && (d.Status == bot.DraftApproved || d.Status == bot.DraftFailed):
			d.DiscordMessageID = e.PlatformID
			n = 1
			return ap.move(ctx, tx, d, bot.DraftSent, store.DraftEvent{Action: "posted", Detail: "Discord message " + e.PlatformID}, pol)
		case e.State == store.OutboxDead && d.Status == bot.DraftApproved:
			d.Reason = bot.PlainRefusal(e.LastError)
			n = 1
			return ap.move(ctx, tx, d, bot.DraftFail, store.DraftEvent{Action: "failed", Detail: d.Reason}, pol)
		case e.State != store.OutboxDead && e.State != store.OutboxSent && d.Status == bot.DraftFailed:
			d.Reason = ""
			n = 1
			return ap.move(ctx, tx, d, bot.DraftRetry, store.DraftEvent{Action: "retrying"}, pol)
		}
		return nil
	})
	return n, err
}

// CheckDraftTargets marks stale the waiting drafts whose Discord message
// was deleted while Liaison was not listening (a deletion it hears about
// does so at once), or whose thread was locked or archived, for the
// scheduler. It reads each message from Discord,
// so it runs rarely. It returns how many drafts went stale.
func (ap *Approvals) CheckDraftTargets(ctx context.Context, _ time.Time) (int, error) {
	if !ap.cfg.Approvals.Enabled || ap.discord == nil {
		return 0, nil
	}
	waiting, err := ap.db.ListDrafts(ctx, store.DraftFilter{Statuses: []string{bot.DraftPending}, Limit: 500})
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, d := range waiting {
		why := ap.targetStale(ctx, &d)
		if why == "" {
			continue
		}
		reads := ap.readsOf(ctx, &d, "") // its policy, read before the transaction
		var stale bool                   // set by the transaction's last run
		err := ap.db.InTx(ctx, func(tx *store.Tx) error {
			d, err := tx.Draft(ctx, d.ID)
			if stale = err == nil && d.Status == bot.DraftPending; !stale {
				return err
			}
			return ap.goStale(ctx, tx, d, why, ap.shownPolicy(ctx, d, reads))
		})
		if err != nil {
			return changed, fmt.Errorf("check draft %d: %w", d.ID, err)
		}
		if stale {
			changed++
		}
	}
	return changed, nil
}
