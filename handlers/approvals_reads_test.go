package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Deciding on a draft reads from Discord whether the message it answers
// can still take a reply; that read is made before the decision's
// transaction, not in it. While Discord is slow to answer, another
// transaction still commits, where before the read held the group commit's
// committers (SQLite's only one; on Postgres the first and, once it ran
// long, the helper that stepped in); then the decision goes on as ever.
func TestASlowDiscordReadWhileDecidingADraftHoldsUpNoOtherCommit(t *testing.T) {
	t.Parallel()
	for _, way := range []struct {
		name string
		// decide decides on d as dave (approves) or carol (edits), and
		// returns the answer shown to them.
		decide func(b *apBundle, d *store.Draft, ts string) (string, error)
		want   func(d *store.Draft) string
		// check checks the decision's outcome once settled.
		check func(t *testing.T, b *apBundle, d *store.Draft)
	}{
		{
			name: "Approve button",
			decide: func(b *apBundle, d *store.Draft, _ string) (string, error) {
				reply, err := b.click(d, apDave, "approvals.approve")
				if err != nil {
					return "", err
				}
				return reply.Text, nil
			},
			want: func(d *store.Draft) string {
				return fmt.Sprintf("You approved draft #%d: it is being posted in Discord.", d.ID)
			},
			check: checkPublishedOnce,
		},
		{
			name: "check mark",
			decide: func(b *apBundle, d *store.Draft, ts string) (string, error) {
				ev := &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_event", Key: fmt.Sprintf("Ev%d", b.n.Add(1))}}},
					Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: apApprovals}, MessageID: ts, User: apUser(apDave), Emoji: "white_check_mark"}
				if err := b.r.HandleEvent(context.Background(), ev); err != nil {
					return "", err
				}
				// The answer to a reaction is shown to its author directly.
				b.direct.mu.Lock()
				defer b.direct.mu.Unlock()
				prefix := fmt.Sprintf("%s: You approved draft #%d", apDave, d.ID)
				if i := slices.IndexFunc(b.direct.ephemerals, func(e string) bool { return strings.HasPrefix(e, prefix) }); i >= 0 {
					return strings.TrimPrefix(b.direct.ephemerals[i], apDave+": "), nil
				}
				return "", fmt.Errorf("dave was told %q", b.direct.ephemerals)
			},
			want: func(d *store.Draft) string {
				return fmt.Sprintf("You approved draft #%d: it is being posted in Discord.", d.ID)
			},
			check: checkPublishedOnce,
		},
		{
			name: "Edit form",
			decide: func(b *apBundle, d *store.Draft, _ string) (string, error) {
				reply, err := b.submit(apCarol, "approvals.edit", seenValue(d), map[string]string{"text": editedText(d)})
				if err != nil {
					return "", err
				}
				return reply.Text, nil
			},
			want: func(d *store.Draft) string {
				return fmt.Sprintf("Draft #%d is saved as version 2: it needs 1 of carol, dave, erin — carol wrote this version, so only dave or erin can approve it.", d.ID)
			},
			check: func(t *testing.T, b *apBundle, d *store.Draft) {
				got := b.get(t, d.ID)
				if got.Status != bot.DraftPending || got.Version != 2 || got.Text != editedText(d) {
					t.Errorf("draft %d after the edit: %s, version %d, %q", d.ID, got.Status, got.Version, got.Text)
				}
				if text, buttons := b.approvalMessage(t, got); !strings.Contains(text, "Reply: "+editedText(d)) || apLabels(buttons) != "Approve,Reject,Edit" {
					t.Errorf("version 2's approval message of draft %d: %s\n%s", d.ID, apLabels(buttons), text)
				}
			},
		},
	} {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				b := setupApprovals(t, db)
				ctx := context.Background()
				// Without the fix, the other transaction waits only when
				// every committer is held: SQLite has one; on Postgres a
				// helper takes the next group when the first runs long.
				holds := 1
				if db.Dialect() == store.Postgres {
					holds = store.DefaultCommitters
				}
				var drafts []*store.Draft
				for i := range holds {
					m := b.target(t, apFeedback, fmt.Sprintf("15000000000000090%02d", i+1), "does the export run on Linux?")
					drafts = append(drafts, b.draft(t, apCarol, m, fmt.Sprintf("Yes, since version 2.%d.", i)))
				}
				tss := make([]string, holds)
				for i, d := range drafts {
					tss[i] = b.slackTS(t, d)
				}
				held := newHeldReader(b.msgs)
				release := held.letGo
				defer release() // a failure lets the reads, and so the decisions, end
				b.caps.Attach(Readers{Discord: held, SlackDirect: b.direct})

				type answer struct {
					text string
					err  error
				}
				answers := make([]chan answer, holds)
				for i, d := range drafts {
					answers[i] = make(chan answer, 1)
					go func() {
						text, err := way.decide(b, d, tss[i])
						answers[i] <- answer{text, err}
					}()
					// Each decision reads its target before the next starts.
					select {
					case <-held.started:
					case a := <-answers[i]:
						t.Fatalf("deciding draft %d ended before reading its Discord message: %q, %v", d.ID, a.text, a.err)
					case <-time.After(10 * time.Second):
						t.Fatalf("deciding draft %d never read its Discord message", d.ID)
					}
				}

				const other = "test:meanwhile"
				wrote := make(chan error, 1)
				go func() {
					wrote <- db.InTx(ctx, func(tx *store.Tx) error {
						_, err := tx.Enqueue(ctx, b.clock.Now(), &bot.OutboxMessage{Key: other, Platform: bot.PlatformSlack, Kind: bot.KindPost,
							Payload: bot.Payload(bot.Post{ChannelID: "C01PRODUCT", Text: "meanwhile"})})
						return err
					})
				}()
				select {
				case err := <-wrote:
					if err != nil {
						t.Fatalf("the other transaction: %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("another transaction waited 10 s for the commit of %d decision(s) (%s) whose Discord reads were held: the reads ran inside their transactions", holds, way.name)
				}

				release()
				for i, d := range drafts {
					select {
					case a := <-answers[i]:
						if a.err != nil || a.text != way.want(d) {
							t.Errorf("deciding draft %d = %q, %v; want %q", d.ID, a.text, a.err, way.want(d))
						}
					case <-time.After(30 * time.Second):
						t.Fatalf("deciding draft %d did not end once its Discord read was released", d.ID)
					}
				}
				if n := held.reads.Load(); n != int32(holds) {
					t.Errorf("the Discord messages were read %d times for %d decision(s), want once each", n, holds)
				}
				if _, err := db.OutboxByKey(ctx, other); err != nil {
					t.Errorf("the other transaction's write: %v", err)
				}
				b.settle(t)
				for _, d := range drafts {
					way.check(t, b, d)
				}
			})
		})
	}
}

// editedText is the text the Edit form gives d.
func editedText(d *store.Draft) string { return d.Text + " Tested on Ubuntu and Fedora." }

// checkPublishedOnce checks that d, approved by dave, was sent to Discord
// once and its approval message says so.
func checkPublishedOnce(t *testing.T, b *apBundle, d *store.Draft) {
	t.Helper()
	if n := b.sender.count(store.PublishOutboxKey(d.ID)); n != 1 {
		t.Errorf("draft %d's reply was sent %d times, want once", d.ID, n)
	}
	got := b.get(t, d.ID)
	if got.Status != bot.DraftPosted {
		t.Errorf("draft %d is %s, want posted", d.ID, got.Status)
	}
	text, buttons := b.approvalMessage(t, got)
	if !strings.Contains(text, "Status: posted in Discord") || !strings.Contains(text, "Approved by: dave") || len(buttons) != 0 {
		t.Errorf("draft %d's approval message: %s\n%s", d.ID, apLabels(buttons), text)
	}
}

// A decision uses what was read before its transaction only when that was
// read for the draft the transaction locked; otherwise, or when nothing
// was read, it reads for itself, so that no decision rests on another
// draft's reads.
func TestADecisionReadsAgainWhenWhatWasReadBeforeIsNotItsDrafts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupApprovals(t, db)
		ctx := context.Background()
		ap := b.caps.Approvals
		standing := b.draft(t, apCarol, b.target(t, apFeedback, "1500000000000009101", "still here"), "Thanks!")
		deleted := b.draft(t, apCarol, b.target(t, apFeedback, "1500000000000009102", "deleted soon"), "Thanks too!")
		b.msgs.remove(apFeedback, "1500000000000009102")
		readsOfDeleted := ap.readForDecision(ctx, deleted.ID, bot.DraftApprove)
		if readsOfDeleted == nil || !readsOfDeleted.staleRead || readsOfDeleted.stale != staleDeleted {
			t.Fatalf("reads of the deleted target's draft = %+v", readsOfDeleted)
		}
		if readsOfDeleted.of(b.get(t, standing.ID)) {
			t.Fatal("one draft's reads are taken for another's")
		}
		approve := func(d *store.Draft, reads *decisionReads) string {
			t.Helper()
			var msg string
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				msg, err = ap.approve(ctx, tx, d.ID, apUser(apDave), seen{version: d.Version, hash: d.TextHash}, reads)
				return err
			}); err != nil {
				t.Fatalf("approve draft %d: %v", d.ID, err)
			}
			return msg
		}
		// Handed the other draft's reads, the approval reads its own target.
		if msg := approve(standing, readsOfDeleted); msg != fmt.Sprintf("You approved draft #%d: it is being posted in Discord.", standing.ID) {
			t.Errorf("approving with another draft's reads = %q", msg)
		}
		// Handed nothing, it reads its target in the transaction.
		if msg := approve(deleted, nil); msg != fmt.Sprintf("The Discord message draft #%d answers was deleted, so the draft can't be posted any more.", deleted.ID) {
			t.Errorf("approving without reads = %q", msg)
		}
		b.settle(t)
		if got := b.get(t, standing.ID); got.Status != bot.DraftPosted {
			t.Errorf("the standing target's draft is %s, want posted", got.Status)
		}
		if got := b.get(t, deleted.ID); got.Status != bot.DraftStale {
			t.Errorf("the deleted target's draft is %s, want stale", got.Status)
		}
	})
}
