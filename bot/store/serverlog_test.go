package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestMemberFactsKeepTheBeforeThatDiscordDoesNotSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		joined := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		mallory := bot.MemberFacts{User: bot.User{ID: "u1", Name: "mallory", Roles: []string{"r2", "r1"}}, Nick: "mal", JoinedAt: joined}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			before, err := tx.PutMemberFacts(ctx, t0, "g1", mallory)
			if err != nil || before != nil {
				return fmt.Errorf("first PutMemberFacts = %v, %v; want nothing before", before, err)
			}
			changed := mallory
			changed.Nick, changed.User.Roles, changed.JoinedAt = "", []string{"r1"}, time.Time{}
			before, err = tx.PutMemberFacts(ctx, t0.Add(time.Minute), "g1", changed)
			if err != nil {
				return err
			}
			if before.Nick != "mal" || !slices.Equal(before.User.Roles, []string{"r1", "r2"}) || !before.JoinedAt.Equal(joined) {
				return fmt.Errorf("before = %+v, want nick mal, roles r1 r2, joined %s", before, joined)
			}
			left, err := tx.ForgetMember(ctx, "g1", "u1")
			if err != nil {
				return err
			}
			if left == nil || left.Nick != "" || !slices.Equal(left.User.Roles, []string{"r1"}) || !left.JoinedAt.Equal(joined) {
				return fmt.Errorf("facts at leaving = %+v, want roles r1, the join date kept", left)
			}
			if again, err := tx.MemberFacts(ctx, "g1", "u1"); err != nil || again != nil {
				return fmt.Errorf("facts after leaving = %+v, %v; want none", again, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTheMessageCacheIsBoundedPerChannelAndInTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range 5 {
				for _, ch := range []string{"c1", "c2"} {
					m := store.CachedMessage{MessageID: fmt.Sprintf("%s-%d", ch, i), ChannelID: ch, GuildID: "g1", AuthorID: "u1",
						AuthorName: "alice", Content: fmt.Sprint("text ", i), CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
					if _, err := tx.CacheMessage(ctx, m); err != nil {
						return err
					}
				}
			}
			before, err := tx.CacheMessage(ctx, store.CachedMessage{MessageID: "c1-4", ChannelID: "c1", GuildID: "g1", AuthorID: "u1", Content: "edited", CreatedAt: t0})
			if err != nil || before == nil || before.Content != "text 4" || before.AuthorName != "alice" {
				return fmt.Errorf("edit's before = %+v, %v; want text 4 by alice", before, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Older than t0+1h goes; then at most 2 per channel stay.
		n, err := db.PruneMessageCache(ctx, t0.Add(time.Hour), 2)
		if err != nil || n != 6 {
			t.Fatalf("PruneMessageCache = %d, %v; want 6 removed (1 too old and 2 beyond the bound, per channel)", n, err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			got, err := tx.UncacheMessages(ctx, []string{"c1-0", "c1-2", "c1-3", "c1-4", "c2-3", "c2-4"})
			if err != nil {
				return err
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.MessageID+"="+m.Content)
			}
			if want := []string{"c1-3=text 3", "c1-4=edited", "c2-3=text 3", "c2-4=text 4"}; !slices.Equal(ids, want) {
				return fmt.Errorf("kept = %v, want %v", ids, want)
			}
			if m, err := tx.CachedMessage(ctx, "c1-4"); err != nil || m != nil {
				return fmt.Errorf("c1-4 after uncaching = %+v, %v; want gone", m, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTheInviteWhoseUsesWentUpIsTheOneUsed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		read := func(invs ...bot.Invite) []string {
			t.Helper()
			var used []string
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) { used, err = tx.InvitesUsed(ctx, "g1", invs); return err }); err != nil {
				t.Fatal(err)
			}
			return used
		}
		if used := read(bot.Invite{Code: "a", Uses: 3}); used != nil {
			t.Errorf("first reading = %v, want nothing (nothing to compare with)", used)
		}
		if used := read(bot.Invite{Code: "a", Uses: 4}, bot.Invite{Code: "b", Uses: 0}); !slices.Equal(used, []string{"a"}) {
			t.Errorf("second reading = %v, want [a]", used)
		}
		if used := read(bot.Invite{Code: "a", Uses: 4}, bot.Invite{Code: "b", Uses: 1}); !slices.Equal(used, []string{"b"}) {
			t.Errorf("third reading = %v, want [b]", used)
		}
	})
}

func TestOneOpenTicketPerMember(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var id int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			tk := &store.Ticket{GuildID: "g1", UserID: "u1", UserName: "mallory", SlackChannel: "C1"}
			if err := tx.CreateTicket(ctx, t0, tk); err != nil {
				return err
			}
			id = tk.ID
			if err := tx.AddTicketMessage(ctx, t0, &store.TicketMessage{TicketID: id, Kind: store.TicketFromMember, Author: "mallory", Text: "hi"}); err != nil {
				return err
			}
			open, err := tx.OpenTicketOf(ctx, "u1")
			if err != nil || open == nil || open.ID != id {
				return fmt.Errorf("OpenTicketOf = %+v, %v; want ticket %d", open, err, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateTicket(ctx, t0, &store.Ticket{GuildID: "g1", UserID: "u1", UserName: "mallory", SlackChannel: "C1"})
		})
		if err == nil {
			t.Fatal("a second open ticket for the same member was stored")
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CloseTicket(ctx, t0.Add(time.Hour), id, "carol"); err != nil {
				return err
			}
			if open, err := tx.OpenTicketOf(ctx, "u1"); err != nil || open != nil {
				return fmt.Errorf("open ticket after closing = %+v, %v", open, err)
			}
			msgs, err := tx.TicketMessages(ctx, id)
			if err != nil || len(msgs) != 1 || msgs[0].Text != "hi" {
				return fmt.Errorf("messages = %+v, %v", msgs, err)
			}
			return tx.CreateTicket(ctx, t0.Add(2*time.Hour), &store.Ticket{GuildID: "g1", UserID: "u1", UserName: "mallory", SlackChannel: "C1"})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
