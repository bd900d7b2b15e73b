package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// lastRelay returns the newest version of an item's relay in #product.
func (b *fbBundle) lastRelay(t *testing.T, id string) bot.Post {
	t.Helper()
	var p *bot.Post
	for _, o := range b.outbox(t) {
		if o.e.Key == "relay:"+id+":product" || strings.HasPrefix(o.e.Key, "relay:"+id+":product:edit:") {
			p = &o.post
		}
	}
	if p == nil {
		t.Fatalf("no relay of #%s", id)
	}
	return *p
}

func (b *fbBundle) liaison(t *testing.T, user, text string) (*bot.Reply, error) {
	t.Helper()
	return b.r.HandleCommand(context.Background(), slackCommand("liaison", text, user))
}

// Statuses the community hears of, set with /liaison feedback status and
// from the relay's Status menu; declined needs a reason; reopen brings a
// declined item back; bad input changes nothing.
func TestStatusesAreSetFromTheCommandAndTheRelaysMenu(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "please add dark mode"))
		b.send(t)

		reply, err := b.liaison(t, "U01CAROL", "feedback status 1 planned for the spring release")
		if err != nil || reply.Text != "Feedback #1 is planned (carol): for the spring release now." {
			t.Fatalf("status planned = %+v, %v", reply, err)
		}
		p := b.lastRelay(t, "1")
		if !strings.Contains(fieldsText(p), "Status: planned (carol): for the spring release") || apLabels(p.Buttons) != "Tag,Status,Draft reply,Close,Merge" {
			t.Errorf("relay = %s / %s", fieldsText(p), apLabels(p.Buttons))
		}

		for _, bad := range []struct{ text, want string }{
			{"feedback status 1 maybe", `"maybe" is not a status: use planned, in-progress, shipped or declined`},
			{"feedback status 1 declined", "Say why feedback #1 is declined"},
			{"feedback status one shipped", "Which item? Give its number"},
			{"feedback status 1", "Give the item's number and its status"},
			{"feedback status 9 shipped", "There is no feedback item 9"},
			{"feedback reopen 1", "Feedback #1 is planned (carol): for the spring release, not closed or declined: there is nothing to reopen."},
		} {
			_, err := b.liaison(t, "U01CAROL", bad.text)
			if err == nil || !strings.Contains(bot.ErrorMessage(err), bad.want) {
				t.Errorf("%s = %v, want %q", bad.text, err, bad.want)
			}
		}
		if _, err := b.liaison(t, "U0STRANGER", "feedback status 1 shipped"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("a stranger's status = %v, want forbidden", err)
		}
		if it := b.only(t); it.Status != store.FeedbackPlanned || it.StatusNote != "for the spring release" {
			t.Errorf("after refusals the item is %s: %q", it.Status, it.StatusNote)
		}

		// The relay's Status menu: the statuses as buttons; in progress at once.
		menu, err := b.r.HandleAction(ctx, action("feedback.status", "U01DAVE", 1))
		if err != nil || apLabels(menu.Buttons) != "Planned,In progress,Shipped,Declined" {
			t.Fatalf("Status = %+v, %v", menu, err)
		}
		click := func(i int) (*bot.Reply, error) {
			a := action("feedback.setstatus", "U01DAVE", 1)
			a.Value = menu.Buttons[i].Value
			return b.r.HandleAction(ctx, a)
		}
		if r, err := click(1); err != nil || r.Text != "Feedback #1 is in progress (dave) now." {
			t.Fatalf("In progress = %+v, %v", r, err)
		}
		form, err := click(3)
		if err != nil || form.Modal == nil || form.Modal.CallbackID != "feedback.status" || form.Modal.Fields[0].Optional {
			t.Fatalf("Declined = %+v, %v; want a form asking for the reason", form, err)
		}
		submit := func(note string) (*bot.Reply, error) {
			return b.r.HandleSubmission(ctx, &bot.Submission{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_view", Key: "v-" + note}}},
				CallbackID: form.Modal.CallbackID, Meta: form.Modal.Meta, Values: map[string]string{"note": note},
				User: bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}, Place: bot.Place{Platform: bot.PlatformSlack}})
		}
		if _, err := submit("  "); err == nil || !strings.Contains(bot.ErrorMessage(err), "Say why") {
			t.Errorf("an empty reason = %v, want a refusal", err)
		}
		if r, err := submit("it does not fit the product"); err != nil || r.Text != "Feedback #1 is declined (dave): it does not fit the product now." {
			t.Fatalf("declined = %+v, %v", r, err)
		}
		if p := b.lastRelay(t, "1"); len(p.Buttons) != 0 || !strings.Contains(fieldsText(p), "Status: declined (dave): it does not fit the product") {
			t.Errorf("declined relay = %s / %s, want no buttons", fieldsText(p), apLabels(p.Buttons))
		}
		if r, err := b.liaison(t, "U01CAROL", "feedback reopen 1"); err != nil || r.Text != "Feedback #1 is open again." {
			t.Fatalf("reopen = %+v, %v", r, err)
		}
		if it := b.only(t); it.Status != store.FeedbackOpen || it.ClosedAt != nil || it.StatusNote != "" {
			t.Errorf("reopened item = %+v", it)
		}
		show, err := b.liaison(t, "U01CAROL", "feedback show 1")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"carol set the status: planned: for the spring release", "dave set the status: in progress", "dave set the status: declined: it does not fit the product", "carol reopened"} {
			if !strings.Contains(show.Text, want) {
				t.Errorf("history lacks %q:\n%s", want, show.Text)
			}
		}
	})
}
