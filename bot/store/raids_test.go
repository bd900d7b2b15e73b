package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestARaidStartsOnceAndOldJoinsArePrunedUnlessARaidNeedsThem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		join := func(user string, at time.Time, gate string) store.RaidJoin {
			t.Helper()
			j := store.RaidJoin{GuildID: "g1", UserID: user, UserName: user, JoinedAt: at, AccountAt: at.Add(-time.Hour)}
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.RecordJoin(ctx, j); err != nil {
					return err
				}
				if gate != "" {
					return tx.SetJoinGate(ctx, j, gate, 1, 0)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
		join("old", t0.Add(-72*time.Hour), "")
		join("gated", t0.Add(-72*time.Hour), "timeout")
		join("new", t0, "")
		start := func() (bool, int64) {
			t.Helper()
			r := &store.Raid{GuildID: "g1", Trigger: "11 joins in 1m", WindowStart: t0.Add(-73 * time.Hour), StartedAt: t0}
			var ok bool
			err := db.InTx(ctx, func(tx *store.Tx) (err error) { ok, err = tx.StartRaid(ctx, r); return err })
			if err != nil {
				t.Fatal(err)
			}
			return ok, r.ID
		}
		ok, id := start()
		if again, _ := start(); !ok || again {
			t.Fatalf("StartRaid = %v then %v, want true then false", ok, again)
		}
		var gated []store.RaidJoin
		db.InTx(ctx, func(tx *store.Tx) (err error) { gated, err = tx.RaidGated(ctx, id); return err })
		if len(gated) != 1 || gated[0].UserID != "gated" {
			t.Errorf("the raid's gated joins = %+v", gated)
		}
		if n, err := db.PruneRaidWindows(ctx, t0.Add(-48*time.Hour)); err != nil || n != 1 {
			t.Errorf("pruned %d, %v; want the old join the raid does not need", n, err)
		}
		var ended, twice bool
		db.InTx(ctx, func(tx *store.Tx) (err error) {
			if ended, err = tx.EndRaid(ctx, id, t0, "dave"); err != nil {
				return err
			}
			twice, err = tx.EndRaid(ctx, id, t0, "dave")
			return err
		})
		if !ended || twice {
			t.Errorf("EndRaid = %v then %v", ended, twice)
		}
		if ok, _ := start(); !ok {
			t.Error("a new raid cannot start after the last ended")
		}
	})
}
