package handlers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers/moderation"
)

// Drafts that answer a modmail ticket (moderation.modmail.approval: true):
// a draft like any other (the same approvals policy, versions, expiry, no
// approving one's own), whose target is the ticket rather than a Discord
// message. Once approved, moderation sends the approved text to the
// member as a DM signed as every modmail answer is, and records it in the
// ticket with the writer's name.

// modmailTarget is the TargetChannelID of a draft answering a modmail
// ticket; its TargetMessageID is the ticket's number and its
// TargetAuthorID the member's Discord id.
const modmailTarget = "modmail"

// modmailSignatureRoom is what the signature takes after a modmail answer
// ("— dave, for the moderation team"), so that an edited answer still
// fits in one Discord message.
const modmailSignatureRoom = 100

func isModmail(d *store.Draft) bool { return d.TargetChannelID == modmailTarget }

// modmailTickets is implemented by *moderation.Moderation: what approvals
// tells modmail of an approved answer.
type modmailTickets interface {
	// SendApproved sends, in tx, the approved answer text of writer to the
	// member of ticket ticketID under the outbox key key, and records it
	// in the ticket (approved by approvedBy).
	SendApproved(ctx context.Context, tx *store.Tx, ticketID int64, key, text, writer, approvedBy string) error
}

var _ moderation.ModmailDrafts = (*Approvals)(nil)

// DraftModmail drafts a staff member's answer to a modmail ticket; it is
// how moderation sends answers for approval.
func (ap *Approvals) DraftModmail(ctx context.Context, in moderation.ModmailDraft) (*bot.Reply, error) {
	return ap.createDraft(ctx, draftInput{
		target:   bot.DraftTarget{ChannelID: modmailTarget, MessageID: strconv.FormatInt(in.TicketID, 10)},
		authorID: in.UserID, authorName: in.UserName, channelName: fmt.Sprintf("modmail ticket #%d", in.TicketID),
		text: in.Quote, reply: in.Text, by: in.By,
	})
}

// publishModmail marks an approved modmail answer approved and has
// moderation send it and record it in its ticket. d must be locked in tx.
func (ap *Approvals) publishModmail(ctx context.Context, tx *store.Tx, d *store.Draft, pol bot.ApprovalPolicy) error {
	if ap.modmail == nil {
		return bot.Errorf(bot.EInvalid, "Draft #%d answers a modmail ticket, and modmail is not set up any more: nothing was sent.", d.ID)
	}
	id, err := strconv.ParseInt(d.TargetMessageID, 10, 64)
	if err != nil {
		return fmt.Errorf("draft %d names no ticket: %q", d.ID, d.TargetMessageID)
	}
	approvals, err := tx.Approvals(ctx, d.ID, d.Version)
	if err != nil {
		return err
	}
	if err := ap.modmail.SendApproved(ctx, tx, id, store.PublishOutboxKey(d.ID), d.Text, d.VersionAuthorName, ap.approvers(approvals)); err != nil {
		return err
	}
	return ap.move(ctx, tx, d, bot.DraftPublish, store.DraftEvent{Action: publishAction, Detail: quorumReached + describe(pol, d) + "; sent as a DM"}, pol)
}
