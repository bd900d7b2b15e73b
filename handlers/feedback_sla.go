package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// RemindOverdue sends the response-time reminders that are due: one in each
// relay's thread when an item has waited its SLA (in business hours) without
// an answer, with a Claim button; a second in the escalation channel after
// another SLA period. Each reminder is an outbox message with a fixed key, so
// running this twice (two replicas, a restart) reminds once. It returns how
// many reminders it sent. The scheduler runs it every minute.
func (fb *Feedback) RemindOverdue(ctx context.Context, now time.Time) (int, error) {
	f := fb.cfg.Feedback
	if !f.Enabled {
		return 0, nil
	}
	items, err := fb.db.ListFeedback(ctx, store.FeedbackFilter{
		Statuses: []string{store.FeedbackOpen, store.FeedbackAcknowledged}, Unanswered: true, Limit: 5000,
	})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, it := range items {
		if fb.reminderDue(&it, now) == 0 {
			continue
		}
		err := fb.db.InTx(ctx, func(tx *store.Tx) error {
			cur, err := tx.Feedback(ctx, it.ID)
			if err != nil {
				return err
			}
			// Re-checked under the lock: another replica, or an answer, may
			// have come first. After a long gap both reminders may be due.
			for cur.FirstResponseAt == nil {
				stage := fb.reminderDue(cur, now)
				if stage == 0 {
					break
				}
				if err := fb.remind(ctx, tx, cur, stage); err != nil {
					return err
				}
				cur.RemindersSent = stage
				if err := tx.SaveFeedback(ctx, now, cur); err != nil {
					return err
				}
				if err := tx.LogFeedback(ctx, now, cur.ID, "", fmt.Sprintf("reminder %d", stage), ""); err != nil {
					return err
				}
				sent++
			}
			return nil
		})
		if err != nil {
			return sent, fmt.Errorf("remind feedback %d: %w", it.ID, err)
		}
	}
	return sent, nil
}

// RemindersDue counts the reminders due at now and not sent yet: what
// `/liaison status` reports (RemindOverdue sends them within a minute).
func (fb *Feedback) RemindersDue(ctx context.Context, now time.Time) (int, error) {
	if !fb.cfg.Feedback.Enabled {
		return 0, nil
	}
	items, err := fb.db.ListFeedback(ctx, store.FeedbackFilter{
		Statuses: []string{store.FeedbackOpen, store.FeedbackAcknowledged}, Unanswered: true, Limit: 5000,
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		if fb.reminderDue(&it, now) != 0 {
			n++
		}
	}
	return n, nil
}

// reminderDue returns the reminder (1, or 2 for the escalation) that item is
// due for at now, or 0. The second goes to whoever took the item on (its
// claimer, else its acknowledger), else to the escalation channel.
func (fb *Feedback) reminderDue(it *store.FeedbackItem, now time.Time) int {
	f, loc := fb.cfg.Feedback, fb.cfg.Location
	sla := f.SLA.For(it.ChannelID)
	if sla <= 0 {
		return 0
	}
	stage := it.RemindersSent + 1
	if stage > 2 || (stage == 2 && f.EscalateTo.ID == "" && takenOnBy(it) == "") {
		return 0
	}
	due := fb.cfg.BusinessHours.Deadline(it.CreatedAt, time.Duration(stage)*sla, loc)
	if due.IsZero() || now.Before(due) {
		return 0
	}
	return stage
}

// takenOnBy names who took item on, to whom its reminders go: its
// claimer, else whoever acknowledged it; "" when nobody did.
func takenOnBy(it *store.FeedbackItem) string {
	if it.Owner != "" {
		return it.Owner
	}
	if it.Status == store.FeedbackAcknowledged {
		return it.HandledBy
	}
	return ""
}

// slackIDOf returns the Slack user id of a person of people:, "" when the
// name is not one or has no Slack account.
func (fb *Feedback) slackIDOf(name string) string {
	if p, ok := fb.cfg.Person(name); ok {
		return p.Slack
	}
	return ""
}

func (fb *Feedback) remind(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, stage int) error {
	sla := fb.cfg.Feedback.SLA.For(it.ChannelID)
	waited := bot.FormatDuration(time.Duration(stage) * sla)
	claim := []bot.Button{{ActionID: "feedback.claim", Label: "Claim", Value: fmt.Sprint(it.ID), Style: "primary"}}
	now := fb.clock.Now()
	who := takenOnBy(it)
	if stage == 1 || who != "" {
		// In each relay's thread; once someone took the item on, to them.
		text := fmt.Sprintf("Feedback #%d from %s has waited %s of business hours without an answer. Claim it to take it on.", it.ID, it.AuthorName, waited)
		var notify []string
		buttons := claim
		if who != "" {
			text = fmt.Sprintf("%s, feedback #%d from %s, which you took on, has waited %s of business hours without an answer.", who, it.ID, it.AuthorName, waited)
			if id := fb.slackIDOf(who); id != "" {
				notify = []string{id}
			}
			if it.Owner != "" {
				buttons = nil
			}
		}
		relays, err := tx.Relays(ctx, it.ID)
		if err != nil {
			return err
		}
		for _, rl := range relays {
			ref, err := fb.cfg.ResolveChannel(rl.Destination)
			if err != nil {
				continue
			}
			post := bot.Post{ChannelID: ref.ID, Text: text, Buttons: buttons, Notify: notify}
			m := &bot.OutboxMessage{Key: fmt.Sprintf("sla:%d:%d:%s", it.ID, stage, rl.Destination), Platform: ref.Platform, Kind: bot.KindPost, Payload: bot.Payload(post), ParentKey: rl.OutboxKey}
			if _, err := tx.Enqueue(ctx, now, m); err != nil {
				return err
			}
		}
		return nil
	}
	esc := fb.cfg.Feedback.EscalateTo
	post := bot.Post{ChannelID: esc.ID, Title: fmt.Sprintf("Feedback #%d still has no answer after %s of business hours", it.ID, waited),
		Quote: bot.OneLine(itemText(it.Title, it.Text), 300), Buttons: claim}
	relays, err := tx.Relays(ctx, it.ID)
	if err != nil {
		return err
	}
	link, err := fb.sourceLink(ctx, tx, it, relays)
	if err != nil {
		return err
	}
	if link != "" {
		post.Link = &bot.Link{URL: link, Label: "Open in Discord"}
		if it.Source == bot.PlatformSlack {
			post.Link.Label = "Open in Slack"
		}
	}
	_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("sla:%d:2", it.ID), Platform: esc.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)})
	return err
}
