package handlers

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Drafts that answer a web mention: a draft like any other (the same
// approvals policy, versions, expiry), whose target is the mention rather
// than a Discord message. Liaison cannot post on the web page, so once
// approved the draft is marked "to post manually at <url>" and the watch
// asks whoever handles the mention to post it and confirm with Answered.

// webTarget is the TargetChannelID of a draft answering a web mention;
// its TargetMessageID is the mention's number and its TargetAuthorID the
// page's address (web pages have no author id to ping).
const webTarget = "web"

// mentionDraftAction is the ActionID of a mention's Draft reply button.
const mentionDraftAction = "watch.draft"

func isWeb(d *store.Draft) bool { return d.TargetChannelID == webTarget }

// webMentions is implemented by *watch.Watch: what approvals tells the
// watch about the drafts that answer its mentions.
type webMentions interface {
	// ReplyApproved records, in tx, that draft draftID answering mention
	// mentionID was approved, to be posted by hand.
	ReplyApproved(ctx context.Context, tx *store.Tx, mentionID, draftID int64, drafterID string) error
}

// mentionDraftClicked answers a mention's Draft reply button (its value:
// the mention's number) with the form to write the reply.
func (ap *Approvals) mentionDraftClicked(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a web mention; nothing was changed.")
	}
	if err := ap.mayDraft(a.User); err != nil {
		return nil, err
	}
	m, err := ap.db.Mention(ctx, id)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("Your reply to %s on %s, who wrote: “%s”. Once approved, you post it yourself at %s",
		cmp.Or(m.Author, "someone"), m.Source, bot.OneLine(m.Title+" "+m.Excerpt, 300), m.URL)
	return &bot.Reply{Modal: &bot.Modal{
		CallbackID: "approvals.draft", Title: fmt.Sprintf("Reply to mention #%d", m.ID), Submit: "Send for approval",
		Meta:   "mention:" + strconv.FormatInt(m.ID, 10),
		Fields: []bot.ModalField{{ID: "text", Label: bot.Truncate(label, 1900), Multiline: true}},
	}}, nil
}

// draftForMention drafts text as a reply to web mention id.
func (ap *Approvals) draftForMention(ctx context.Context, id int64, text string, u bot.User) (*bot.Reply, error) {
	m, err := ap.db.Mention(ctx, id)
	if err != nil {
		return nil, err
	}
	return ap.createDraft(ctx, draftInput{
		target:   bot.DraftTarget{ChannelID: webTarget, MessageID: strconv.FormatInt(m.ID, 10)},
		authorID: m.URL, authorName: cmp.Or(m.Author, "someone"), channelName: m.Source,
		text: bot.OneLine(m.Title+"\n"+m.Excerpt, draftQuoteMax), reply: text, by: u,
	})
}

// publishWeb marks an approved web draft "to post manually", says so in
// its thread and tells the watch. d must be locked in tx.
func (ap *Approvals) publishWeb(ctx context.Context, tx *store.Tx, d *store.Draft, pol bot.ApprovalPolicy) error {
	if err := ap.move(ctx, tx, d, bot.DraftPublish, store.DraftEvent{Action: publishAction, Detail: quorumReached + describe(pol, d) + "; to post manually at " + d.TargetAuthorID}, pol); err != nil {
		return err
	}
	say := fmt.Sprintf("Approved. %s, post it by hand at %s, then click Answered on mention #%s with the link.", d.AuthorName, d.TargetAuthorID, d.TargetMessageID)
	if err := ap.sayInThread(ctx, tx, d, say, d.Author); err != nil {
		return err
	}
	if ap.web == nil {
		return nil
	}
	id, err := strconv.ParseInt(d.TargetMessageID, 10, 64)
	if err != nil {
		return nil
	}
	return ap.web.ReplyApproved(ctx, tx, id, d.ID, d.Author)
}

// PostedByHand records, in tx, that web draft id was posted by hand by by
// (at link, when given): the draft is posted, and so in the record of
// replies (liaison audit drafts). It changes nothing for a draft that is
// not an approved web draft. It is how the watch tells approvals.
func (ap *Approvals) PostedByHand(ctx context.Context, tx *store.Tx, id int64, by, link string) error {
	d, err := tx.Draft(ctx, id)
	if err != nil {
		return err
	}
	if !isWeb(d) || d.Status != bot.DraftApproved {
		return nil
	}
	detail := "by hand"
	if link != "" {
		detail += " at " + link
	}
	return ap.move(ctx, tx, d, bot.DraftSent, store.DraftEvent{Actor: by, Action: "posted", Detail: detail}, ap.policyOf(ctx, d))
}
