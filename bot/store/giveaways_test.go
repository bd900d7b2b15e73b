package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func newGiveaway(t *testing.T, ctx context.Context, db *store.DB, ends time.Time) *bot.Giveaway {
	t.Helper()
	g := &bot.Giveaway{GuildID: "g1", ChannelID: "c1", Prize: "a T-shirt", Winners: 2, HostID: "dave", HostName: "dave",
		Source: bot.SourceDiscord, Seed: "00", Commitment: "11", EndsAt: ends}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateGiveaway(ctx, t0, g) }); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGiveawayEntriesAreOnePerPersonAndTheDrawIsCommittedOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := newGiveaway(t, ctx, db, t0.Add(time.Hour))
		if g.ID == 0 || g.MessageKey != store.GiveawayMessageKey(g.ID) || g.State != bot.GiveawayOpen {
			t.Fatalf("CreateGiveaway = %+v", g)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, u := range []string{"u1", "u2", "u3", "u1"} {
				if _, err := tx.AddEntry(ctx, t0, g.ID, u, u, 1); err != nil {
					return err
				}
			}
			again, err := tx.AddEntry(ctx, t0, g.ID, "u2", "u2", 3)
			if again || err != nil {
				t.Errorf("AddEntry(u2 twice) = %v, %v; want false", again, err)
			}
			left, err := tx.RemoveEntry(ctx, g.ID, "u3")
			if !left || err != nil {
				t.Errorf("RemoveEntry(u3) = %v, %v", left, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Giveaway(ctx, g.ID)
		if err != nil || got.Entries != 2 || got.Prize != "a T-shirt" || !got.EndsAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("Giveaway = %+v, %v; want 2 entries", got, err)
		}
		if due, _ := db.DueGiveaways(ctx, t0, 10); len(due) != 0 {
			t.Fatalf("DueGiveaways before the end = %v", due)
		}
		if due, _ := db.DueGiveaways(ctx, t0.Add(time.Hour), 10); len(due) != 1 || due[0] != g.ID {
			t.Fatalf("DueGiveaways at the end = %v", due)
		}

		// Two draws race: one commits, the other finds it drawn.
		var wg sync.WaitGroup
		results := make([]bool, 2)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					if _, err := tx.Giveaway(ctx, g.ID); err != nil {
						return err
					}
					es, err := tx.Entrants(ctx, g.ID)
					if err != nil {
						return err
					}
					order := bot.DrawOrder(make([]byte, 32), es)
					ok, err := tx.SaveDraw(ctx, t0, g.ID, "hash", "", order, 1,
						bot.GiveawayRound{AnnouncementKey: "giveaway:1:draw", ClaimUntil: t0.Add(48 * time.Hour)})
					results[i] = ok
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if results[0] == results[1] {
			t.Fatalf("two draws committed %v; want exactly one", results)
		}
		var picks []bot.GiveawayPick
		var rounds []bot.GiveawayRound
		err = db.InTx(ctx, func(tx *store.Tx) (err error) {
			if picks, err = tx.Picks(ctx, g.ID); err != nil {
				return err
			}
			rounds, err = tx.Rounds(ctx, g.ID)
			return err
		})
		if err != nil || len(picks) != 2 || !picks[0].Winner() || picks[1].Winner() || len(rounds) != 1 {
			t.Fatalf("after the draw: picks %+v, rounds %+v, %v", picks, rounds, err)
		}
		got, _ = db.Giveaway(ctx, g.ID)
		if got.State != bot.GiveawayDrawn || got.EntrantsHash != "hash" {
			t.Fatalf("Giveaway after the draw = %+v", got)
		}

		// A reroll makes the reserve a winner, once.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.Reroll(ctx, t0, bot.GiveawayRound{GiveawayID: g.ID, Round: 1, Reason: "did not claim", AnnouncementKey: "k1", ClaimUntil: t0},
				[]int{2}, []int{1})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.Reroll(ctx, t0, bot.GiveawayRound{GiveawayID: g.ID, Round: 2, AnnouncementKey: "k2", ClaimUntil: t0}, []int{2}, nil)
		})
		if bot.ErrorCode(err) != bot.EConflict {
			t.Fatalf("rerolling a winner again = %v, want a conflict", err)
		}
		picks, _ = db.Picks(ctx, g.ID)
		if picks[0].Winner() || !picks[1].Winner() || picks[1].WonRound != 1 {
			t.Fatalf("picks after the reroll = %+v", picks)
		}
		ended, err := db.ClaimsEnded(ctx, t0, 10)
		if err != nil || len(ended) != 1 || ended[0].Round != 1 {
			t.Fatalf("ClaimsEnded = %+v, %v; want round 1 (round 0's window is open)", ended, err)
		}
		if got, err := db.Giveaway(ctx, 999); bot.ErrorCode(err) != bot.ENotFound {
			t.Fatalf("Giveaway(999) = %v, %v", got, err)
		}
	})
}

func TestCancelledGiveawayIsNeitherDueNorDrawn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := newGiveaway(t, ctx, db, t0)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if ok, err := tx.CancelGiveaway(ctx, t0, g.ID, "prize out of stock"); !ok || err != nil {
				t.Errorf("CancelGiveaway = %v, %v", ok, err)
			}
			if ok, _ := tx.CancelGiveaway(ctx, t0, g.ID, "again"); ok {
				t.Error("cancelled twice")
			}
			if ok, _ := tx.SaveDraw(ctx, t0, g.ID, "h", "", nil, 1, bot.GiveawayRound{AnnouncementKey: "k", ClaimUntil: t0}); ok {
				t.Error("a cancelled giveaway was drawn")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if due, _ := db.DueGiveaways(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
			t.Fatalf("DueGiveaways = %v", due)
		}
		list, err := db.Giveaways(ctx, "g1", t0, 10)
		if err != nil || len(list) != 1 || list[0].State != bot.GiveawayCancelled || list[0].CancelReason != "prize out of stock" {
			t.Fatalf("Giveaways = %+v, %v", list, err)
		}
	})
}

func TestGiveawayFiguresCountNewcomersWhoStayedAWeek(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := newGiveaway(t, ctx, db, t0.Add(24*time.Hour)) // open from t0 to t0+1d
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, u := range []string{"u1", "u2", "u3"} {
				if _, err := tx.AddEntry(ctx, t0, g.ID, u, u, 1); err != nil {
					return err
				}
			}
			for _, m := range []store.MemberStat{
				{GuildID: "g1", UserID: "stays", At: t0.Add(time.Hour), Day: "2026-11-23"},
				{GuildID: "g1", UserID: "leaves", At: t0.Add(2 * time.Hour), Day: "2026-11-23"},
				{GuildID: "g1", UserID: "leaves", At: t0.Add(3 * 24 * time.Hour), Day: "2026-11-26", Left: true},
				{GuildID: "g1", UserID: "before", At: t0.Add(-time.Hour), Day: "2026-11-23"},
				{GuildID: "g1", UserID: "after", At: t0.Add(2 * 24 * time.Hour), Day: "2026-11-25"},
			} {
				if err := tx.RecordMemberChange(ctx, t0, m); err != nil {
					return err
				}
			}
			_, err := tx.SaveDraw(ctx, t0.Add(24*time.Hour), g.ID, "h", "", []bot.Entrant{{UserID: "u1", Tickets: 1}}, 1,
				bot.GiveawayRound{AnnouncementKey: "k", ClaimUntil: t0})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.FoldStats(ctx); err != nil {
			t.Fatal(err)
		}
		week := t0.Add(7 * 24 * time.Hour)
		got, err := db.GiveawayFigures(ctx, t0, t0.Add(48*time.Hour), week.Add(3*time.Hour))
		want := store.GiveawayFigures{Held: 1, Entrants: 3, Joined: 2, Stayed: 1}
		if err != nil || got != want {
			t.Fatalf("GiveawayFigures a week on = %+v, %v; want %+v", got, err, want)
		}
		// Before their first week is over, newcomers are not counted yet.
		if got, _ := db.GiveawayFigures(ctx, t0, t0.Add(48*time.Hour), t0.Add(48*time.Hour)); got.Joined != 0 || got.Held != 1 {
			t.Fatalf("GiveawayFigures within the week = %+v", got)
		}
		if got, _ := db.GiveawayFigures(ctx, t0.Add(48*time.Hour), t0.Add(96*time.Hour), week); got != (store.GiveawayFigures{}) {
			t.Fatalf("GiveawayFigures of a period without a draw = %+v", got)
		}
	})
}

func TestALargeDrawIsStoredWholeInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := newGiveaway(t, ctx, db, t0)
		order := make([]bot.Entrant, 1203)
		for i := range order {
			order[i] = bot.Entrant{UserID: fmt.Sprint(100000 + i*7), Tickets: 1 + i%3}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SaveDraw(ctx, t0, g.ID, "h", "", order, 50, bot.GiveawayRound{AnnouncementKey: "k", ClaimUntil: t0})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		picks, err := db.Picks(ctx, g.ID)
		if err != nil || len(picks) != len(order) {
			t.Fatalf("Picks = %d picks, %v; want %d", len(picks), err, len(order))
		}
		for i, p := range picks {
			if p.Position != i+1 || p.UserID != order[i].UserID || p.Tickets != order[i].Tickets || p.Winner() != (i < 50) {
				t.Fatalf("pick %d = %+v, want %+v (winner %v)", i, p, order[i], i < 50)
			}
		}
	})
}
