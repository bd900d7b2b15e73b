package discordbot

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The watched channel of these tests, and one that is not watched.
const watchedID, unwatchedID = "110000000000000002", "110000000000000001"

// newTestCatchup returns a catch-up of watchedID keeping its cursor in db,
// not started: nothing is read from Discord and no retry is scheduled, so
// a test drives the cursor alone and reads the row it saves.
func newTestCatchup(t *testing.T, db *store.DB) (c *catchup, saved func() map[string]string) {
	c = newCatchup(CatchUpOptions{Channels: []string{watchedID}, Cursors: db}, nil, nil, nil, bot.SystemClock{}, slog.New(slog.DiscardHandler))
	return c, func() map[string]string {
		t.Helper()
		ctx := context.Background()
		c.save(ctx)
		got, err := db.DiscordCursors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
}

// Threads are handled on workers of their own, so the handler commits a
// channel's messages in any order: after each commit the saved cursor is
// just before the oldest message still queued (a low-water mark), whatever
// the order.
func TestTheSavedCursorStaysBeforeTheOldestMessageStillQueued(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c, saved := newTestCatchup(t, db)
		const base = 1300000000000001000
		for p, order := range permutations(4) {
			// Four messages, each in a thread of its own, queued oldest
			// first; ids grow from one order to the next.
			first := uint64(base + 10*p + 1)
			ids := make([]string, 4)
			for i := range ids {
				ids[i] = strconv.FormatUint(first+uint64(i), 10)
				c.queued(watchedID, ids[i])
			}
			committed := make([]bool, 4)
			for n, i := range order {
				c.handled(watchedID, ids[i], false)
				committed[i] = true
				want := ids[3]
				for j := range ids {
					if !committed[j] {
						want = strconv.FormatUint(first+uint64(j)-1, 10) // just before ids[j]
						break
					}
				}
				if got := saved()[watchedID]; got != want {
					t.Errorf("messages committed in the order %v, after %d: saved cursor %s, want %s", order, n+1, got, want)
				}
			}
		}
	})
}

// The cursor holds still while its channel is caught up, and stays before
// a message the handler lost until a catch-up from there; a message the
// queue refused does not hold it, and a channel not watched has none.
func TestTheSavedCursorHoldsDuringACatchUpAndBeforeALostMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c, saved := newTestCatchup(t, db)
		const m1, m2, m3, m4, m5, m6, m7, m8 = "1300000000000000101", "1300000000000000102", "1300000000000000103",
			"1300000000000000104", "1300000000000000105", "1300000000000000106", "1300000000000000107", "1300000000000000108"
		var endCatchUp func(ok bool)
		steps := []struct {
			what string
			do   func()
			want string // the saved cursor of watchedID; "" for no row
		}{
			{"a message is queued", func() { c.queued(watchedID, m1) }, ""},
			{"it is committed", func() { c.handled(watchedID, m1, false) }, m1},
			{"a message of a channel not watched is committed", func() { c.queued(unwatchedID, m2); c.handled(unwatchedID, m2, false) }, m1},
			{"a catch-up begins and delivers a message", func() { endCatchUp = c.holdStill(watchedID, m1); c.handled(watchedID, m2, false) }, m1},
			{"the catch-up read everything", func() { endCatchUp(true) }, m2},
			{"a message the queue refused, then a newer one committed", func() {
				c.queued(watchedID, m3)
				c.queued(watchedID, m4)
				c.dropped(watchedID, m3)
				c.handled(watchedID, m4, false)
			}, m4},
			{"a message is lost after a newer one was committed", func() {
				c.queued(watchedID, m5)
				c.queued(watchedID, m6)
				c.handled(watchedID, m6, false)
				c.handled(watchedID, m5, true)
			}, m4},
			{"newer messages are committed before the catch-up from the loss", func() {
				c.queued(watchedID, m7)
				c.handled(watchedID, m7, false)
				c.queued(watchedID, m8)
				c.handled(watchedID, m8, false)
			}, m4},
		}
		for _, s := range steps {
			s.do()
			want := map[string]string{}
			if s.want != "" {
				want[watchedID] = s.want
			}
			if diff := cmp.Diff(want, saved()); diff != "" {
				t.Errorf("after %s: saved cursors (-want +got):\n%s", s.what, diff)
			}
		}
	})
}

// permutations returns every order of 0…n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for at := range n {
			q := append(append(append([]int{}, p[:at]...), n-1), p[at:]...)
			out = append(out, q)
		}
	}
	return out
}
