package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// A digest of any period reads the roll-up hierarchy: for every period of
// 1 to 31 days, on random data, the additive figures and the top
// contributors equal a brute-force count of the messages recorded, and the
// active members are within the sketches' bound. After a rebuild from the
// daily rows (what the migration's first fold does) the figures are the
// same.
func TestActivityOfAnyPeriodMatchesABruteForceCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(19, 31))
		first := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		const days = 75
		type msg struct {
			guild, author, day string
			thread, staff      bool
		}
		var msgs []msg
		for d := range days {
			day := first.AddDate(0, 0, d).Format(time.DateOnly)
			n := rng.IntN(60) // some days are quiet, a few empty
			err := db.InTx(ctx, func(tx *store.Tx) error {
				for range n {
					a := int(rng.ExpFloat64() * 40) // skewed: a few talk a lot
					m := msg{guild: "g1", author: fmt.Sprintf("u%03d", a), day: day, thread: rng.IntN(10) == 0, staff: a < 3}
					if rng.IntN(8) == 0 {
						m.guild = "g2"
					}
					msgs = append(msgs, m)
					err := tx.RecordMessage(ctx, t0, store.MessageStat{GuildID: m.guild, ChannelID: fmt.Sprintf("c%d", rng.IntN(4)),
						AuthorID: m.author, AuthorName: "name-" + m.author, Day: day, ThreadStart: m.thread, Staff: m.staff})
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		type check struct {
			p       bot.Period
			staffIn bool
		}
		var checks []check
		for length := 1; length <= 31; length++ {
			start := first.AddDate(0, 0, rng.IntN(days-length+5)-2)
			checks = append(checks, check{bot.Period{Start: start, End: start.AddDate(0, 0, length)}, rng.IntN(2) == 0})
		}
		// A calendar month and a whole ISO week, which read their own rows.
		checks = append(checks, check{bot.Period{Start: first.AddDate(0, 1, 0), End: first.AddDate(0, 2, 0)}, false},
			check{bot.Period{Start: time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)}, true})

		verify := func(t *testing.T, c check) {
			t.Helper()
			got, err := db.Activity(ctx, store.ActivityQuery{Period: c.p, Top: 5, StaffInTop: c.staffIn})
			if err != nil {
				t.Fatal(err)
			}
			var want bot.Activity
			perDay := map[string]int64{}
			distinct := map[[2]string]bool{}
			type tot struct {
				guild, author string
				n             int64
				staff         bool
			}
			by := map[[2]string]*tot{}
			for _, m := range msgs {
				if m.day < c.p.FirstDay() || m.day >= c.p.EndDay() {
					continue
				}
				want.Messages++
				if m.thread {
					want.Discussions++
				}
				perDay[m.day]++
				k := [2]string{m.guild, m.author}
				distinct[k] = true
				if by[k] == nil {
					by[k] = &tot{guild: m.guild, author: m.author, staff: m.staff}
				}
				by[k].n++
			}
			for _, d := range c.p.Days() {
				want.PerDay = append(want.PerDay, perDay[d])
			}
			var tops []*tot
			for _, v := range by {
				if c.staffIn || !v.staff {
					tops = append(tops, v)
				}
			}
			sort.Slice(tops, func(i, j int) bool {
				if tops[i].n != tops[j].n {
					return tops[i].n > tops[j].n
				}
				if tops[i].author != tops[j].author {
					return tops[i].author < tops[j].author
				}
				return tops[i].guild < tops[j].guild
			})
			for _, v := range tops[:min(5, len(tops))] {
				want.Contributors = append(want.Contributors, bot.Contributor{ID: v.author, Name: "name-" + v.author, Messages: v.n, Staff: v.staff})
			}
			exact := int64(len(distinct))
			if diff := exact - got.ActiveMembers; diff*100 > exact || -diff*100 > exact+100 {
				t.Errorf("%s: active members ≈%d, exactly %d: beyond 1 %%", c.p, got.ActiveMembers, exact)
			}
			if !got.ActiveApprox {
				t.Errorf("%s: active members not marked as estimated", c.p)
			}
			gotAdd := bot.Activity{Messages: got.Messages, Discussions: got.Discussions, PerDay: got.PerDay, Contributors: got.Contributors}
			if diff := cmp.Diff(want, gotAdd); diff != "" {
				t.Errorf("%s (%d days, staff in top %v) (-brute force +roll-ups):\n%s", c.p, len(c.p.Days()), c.staffIn, diff)
			}
		}
		for _, c := range checks {
			verify(t, c)
		}
		if err := db.RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			verify(t, c)
		}
	})
}
