package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestCaseInForceFollowsBansTimeoutsAndWhatEndsThem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		add := func(action string, d time.Duration, at time.Time) int64 {
			t.Helper()
			c := newCase("g1", "mallory")
			c.Action, c.Duration, c.Points = action, d, 0
			if d > 0 {
				c.ExpiresAt = at.Add(d)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateCase(ctx, at, c) }); err != nil {
				t.Fatal(err)
			}
			return c.Number
		}
		inForce := func(action string, at time.Time) int64 {
			t.Helper()
			c, err := db.CaseInForce(ctx, "g1", "mallory", action, at)
			if err != nil {
				t.Fatal(err)
			}
			if c == nil {
				return 0
			}
			return c.Number
		}
		day := 24 * time.Hour
		if n := inForce(bot.ActionBan, t0); n != 0 {
			t.Errorf("ban in force with no case: %d", n)
		}
		to := add(bot.ActionTimeout, 2*day, t0)
		add(bot.ActionWarn, 0, t0)
		if n := inForce(bot.ActionTimeout, t0.Add(day)); n != to {
			t.Errorf("timeout in force = %d, want %d", n, to)
		}
		if n := inForce(bot.ActionTimeout, t0.Add(3*day)); n != 0 {
			t.Errorf("an ended timeout is in force: %d", n)
		}
		ban := add(bot.ActionBan, 0, t0.Add(time.Hour))
		if n := inForce(bot.ActionTimeout, t0.Add(2*time.Hour)); n != 0 {
			t.Errorf("a ban ends a timeout, yet %d is in force", n)
		}
		if n := inForce(bot.ActionBan, t0.Add(400*day)); n != ban {
			t.Errorf("a permanent ban in force = %d, want %d", n, ban)
		}
		// Shortened in place, it ends.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetCaseEnd(ctx, t0, "g1", ban, 7*day, t0.Add(7*day))
		}); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.Case(ctx, "g1", ban); c.Duration != 7*day || !c.ExpiresAt.Equal(t0.Add(7*day)) {
			t.Errorf("case after SetCaseEnd = %v until %v", c.Duration, c.ExpiresAt)
		}
		if n := inForce(bot.ActionBan, t0.Add(8*day)); n != 0 {
			t.Errorf("a ban past its new end is in force: %d", n)
		}
		add(bot.ActionUnban, 0, t0.Add(2*day))
		if n := inForce(bot.ActionBan, t0.Add(3*day)); n != 0 {
			t.Errorf("an unban ends a ban, yet %d is in force", n)
		}
		// A rescheduled expiry is pending again at its new time.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.AddExpiry(ctx, "g1", ban, store.ExpiryUnban, "mallory", t0.Add(day)); err != nil {
				return err
			}
			if _, err := tx.CancelExpiries(ctx, t0, "g1", "mallory", "changed", store.ExpiryUnban); err != nil {
				return err
			}
			return tx.RescheduleExpiry(ctx, "g1", ban, store.ExpiryUnban, "mallory", t0.Add(9*day))
		})
		if err != nil {
			t.Fatal(err)
		}
		ex, _ := db.Expiries(ctx, "g1")
		if len(ex) != 1 || ex[0].Status != store.ExpiryPending || !ex[0].DueAt.Equal(t0.Add(9*day)) {
			t.Errorf("expiries = %+v", ex)
		}
	})
}
