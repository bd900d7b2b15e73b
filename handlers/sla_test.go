package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestSLARemindersFireOnceInBusinessHoursAcrossAWeekend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.caps.Feedback.cfg.Feedback.EscalateTo, _ = b.caps.Feedback.cfg.ResolveChannel("community")
		paris := b.caps.Feedback.cfg.Location
		// Friday 17:00 in Paris; SLA 4h (default): due Monday 12:00; escalation Monday 16:00.
		b.clock.Set(time.Date(2026, 11, 27, 17, 0, 0, 0, paris))
		b.event(t, discordMsg(feedbackCh, "777", aliceID, "alice", "where is my invoice?"))
		b.send(t)
		ctx := context.Background()
		remind := func(at time.Time) int {
			t.Helper()
			b.clock.Set(at)
			n, err := b.caps.Feedback.RemindOverdue(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, at := range []time.Time{
			time.Date(2026, 11, 27, 21, 0, 0, 0, paris), // Friday night: 1h of business time
			time.Date(2026, 11, 29, 12, 0, 0, 0, paris), // Sunday: still 1h
			time.Date(2026, 11, 30, 11, 59, 0, 0, paris),
		} {
			if n := remind(at); n != 0 {
				t.Fatalf("reminded at %s, before 4 business hours", at)
			}
		}
		if n := remind(time.Date(2026, 11, 30, 12, 0, 0, 0, paris)); n != 1 {
			t.Fatalf("Monday 12:00: %d reminders, want 1", n)
		}
		if n := remind(time.Date(2026, 11, 30, 12, 5, 0, 0, paris)); n != 0 {
			t.Fatalf("reminded twice")
		}
		if n := remind(time.Date(2026, 11, 30, 16, 0, 0, 0, paris)); n != 1 {
			t.Fatalf("Monday 16:00: %d escalations, want 1", n)
		}
		if n := remind(time.Date(2026, 12, 7, 16, 0, 0, 0, paris)); n != 0 {
			t.Fatalf("a third reminder")
		}
		ob := b.outbox(t)
		var sla []outboxed
		for _, o := range ob {
			if strings.HasPrefix(o.e.Key, "sla:") {
				sla = append(sla, o)
			}
		}
		if len(sla) != 2 {
			t.Fatalf("%d reminders in the outbox, want 2", len(sla))
		}
		first, esc := sla[0], sla[1]
		if first.e.ParentID == nil || first.post.ChannelID != "C01PRODUCT" || !strings.Contains(first.post.Text, "has waited 4h of business hours") || first.post.Buttons[0].Label != "Claim" {
			t.Errorf("first reminder = %+v (parent %v), want it in the relay's thread with Claim", first.post, first.e.ParentID)
		}
		if esc.post.ChannelID != "C01COMMUNITY" || !strings.Contains(esc.post.Title, "still has no answer after 8h") {
			t.Errorf("escalation = %+v", esc.post)
		}
		// Claiming records the owner.
		reply, err := b.r.HandleAction(ctx, action("feedback.claim", "U01CAROL", 1))
		if err != nil || reply.Text != "Feedback #1 is yours." {
			t.Errorf("claim = %+v, %v", reply, err)
		}
		if it, _ := db.Feedback(ctx, 1); it.Owner != "carol" {
			t.Errorf("owner = %q", it.Owner)
		}
	})
}

func TestAnAnsweredItemIsNotReminded(t *testing.T) {
	t.Parallel()
	b := setupFeedback(t, storetest.Open(t, store.SQLite))
	paris := b.caps.Feedback.cfg.Location
	b.clock.Set(time.Date(2026, 11, 23, 10, 0, 0, 0, paris))
	b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "is SSO planned?"))
	reply := discordMsg(feedbackCh, "2", daveDiscord, "dave", "yes, in Q1")
	reply.ReplyTo = "1"
	b.event(t, reply)
	if n, _ := b.caps.Feedback.RemindOverdue(context.Background(), time.Date(2026, 11, 24, 10, 0, 0, 0, paris)); n != 0 {
		t.Errorf("an answered item got %d reminders", n)
	}
}

// Once carol acknowledges an item, its second reminder goes to her, in the
// relay's thread, instead of the escalation channel; a claimed item's goes
// to its claimer.
func TestAnAcknowledgedItemsReminderGoesToItsAcknowledger(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.caps.Feedback.cfg.Feedback.EscalateTo, _ = b.caps.Feedback.cfg.ResolveChannel("community")
		paris := b.caps.Feedback.cfg.Location
		ctx := context.Background()
		b.clock.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, paris))
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "where is my invoice?"))
		b.event(t, discordMsg(feedbackCh, "2", aliceID, "alice", "and where is my refund?"))
		b.send(t)
		if _, err := b.r.HandleAction(ctx, action("feedback.ack", "U01CAROL", 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.r.HandleAction(ctx, action("feedback.claim", "U01DAVE", 2)); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 23, 17, 0, 0, 0, paris) // 8 business hours: both reminders due
		b.clock.Set(at)
		if n, err := b.caps.Feedback.RemindOverdue(ctx, at); err != nil || n != 4 {
			t.Fatalf("RemindOverdue = %d, %v; want 2 reminders for each item", n, err)
		}
		got := map[string]outboxed{}
		for _, o := range b.outbox(t) {
			got[o.e.Key] = o
		}
		for _, tc := range []struct{ key, who, slack string }{{"sla:1:2:product", "carol", "U01CAROL"}, {"sla:2:2:product", "dave", "U01DAVE"}} {
			o, ok := got[tc.key]
			if !ok {
				t.Fatalf("no %s in the outbox", tc.key)
			}
			if o.e.ParentID == nil || o.post.ChannelID != "C01PRODUCT" || !strings.HasPrefix(o.post.Text, tc.who+", feedback #") || len(o.post.Notify) != 1 || o.post.Notify[0] != tc.slack {
				t.Errorf("%s = %+v (parent %v), want it in the relay's thread pinging %s", tc.key, o.post, o.e.ParentID, tc.who)
			}
		}
		for _, key := range []string{"sla:1:2", "sla:2:2"} {
			if _, ok := got[key]; ok {
				t.Errorf("%s went to the escalation channel", key)
			}
		}
	})
}
