package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// eachGrouped runs fn on both databases, opened with one committer so the
// groups a test builds are the groups that run; on Postgres also with
// binary_parameters=no, where a group's intake sends its arrays as text
// (with Open's default, binary_parameters=yes, in binary).
func eachGrouped(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, variant := range append(storetest.Dialects(), textParameters) {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			var u string
			switch variant {
			case textParameters:
				u = withQuery(t, storetest.URL(t, store.Postgres), "binary_parameters", "no")
			default:
				u = storetest.URL(t, variant)
			}
			db := storetest.OpenURL(t, u, store.Options{Group: store.GroupOptions{Committers: 1}})
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			fn(t, db)
		})
	}
}

// textParameters names eachGrouped's Postgres run with binary_parameters=no.
const textParameters = "postgres-text-parameters"

// withQuery returns rawURL with its query's key set to value.
func withQuery(t *testing.T, rawURL, key, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func jobRuns(t *testing.T, db *store.DB, job string) map[string]bool {
	t.Helper()
	runs, err := db.JobRuns(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range runs {
		out[r.Owner] = true
	}
	return out
}

// One group of five transactions: two fail (one by returning an error after
// writing, one on a duplicate key the database refuses), one panics. Each is
// undone alone; the two others commit, and every caller hears its own
// outcome.
func TestAFailingItemOfAGroupRollsBackAlone(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		slot := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
		claim := func(tx *store.Tx, i int, owner string) error {
			ok, err := tx.ClaimJobRun(ctx, t0, "group-test", slot(i), false, owner, "")
			if err == nil && !ok {
				err = fmt.Errorf("slot %d already claimed", i)
			}
			return err
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return claim(tx, 0, "before") }); err != nil {
			t.Fatal(err)
		}
		groups0, _ := db.GroupCommits()
		errBad := errors.New("the user's input was wrong")
		items := []func(tx *store.Tx) error{
			func(tx *store.Tx) error { return claim(tx, 2, "first") },
			func(tx *store.Tx) error {
				if err := claim(tx, 3, "fails after writing"); err != nil {
					return err
				}
				return errBad
			},
			func(tx *store.Tx) error {
				if err := claim(tx, 4, "duplicate"); err != nil {
					return err
				}
				// The database refuses this one: slot 0 is taken.
				return tx.Exec(ctx, `INSERT INTO job_runs (job, slot, status, delayed, owner, detail, started_at) VALUES (?, ?, 'done', ?, 'duplicate', '', ?)`,
					"group-test", slot(0).UTC(), false, t0.UTC())
			},
			func(tx *store.Tx) error {
				if err := claim(tx, 5, "panics"); err != nil {
					return err
				}
				panic("a bug in a handler")
			},
			func(tx *store.Tx) error { return claim(tx, 6, "last") },
		}
		errs, panics := oneGroup(t, db, items...)
		if groups, _ := db.GroupCommits(); groups-groups0 != 2 {
			t.Fatalf("ran %d groups, want 2 (the blocker, then the five together)", groups-groups0)
		}
		if errs[0] != nil || errs[4] != nil {
			t.Errorf("the good transactions failed: %v, %v", errs[0], errs[4])
		}
		if !errors.Is(errs[1], errBad) {
			t.Errorf("the failing transaction's caller got %v, want its own error", errs[1])
		}
		if errs[2] == nil {
			t.Errorf("the duplicate key's caller got no error")
		}
		if panics[3] != "a bug in a handler" {
			t.Errorf("the panicking transaction's caller recovered %v, want its panic", panics[3])
		}
		got := jobRuns(t, db, "group-test")
		want := map[string]bool{"before": true, "first": true, "last": true}
		for o := range want {
			if !got[o] {
				t.Errorf("%s's row was not committed", o)
			}
		}
		for _, o := range []string{"fails after writing", "duplicate", "panics"} {
			if got[o] {
				t.Errorf("%s's row was committed, want it rolled back", o)
			}
		}
	})
}

// Many requests at once: every one commits, in fewer transactions than
// requests.
func TestConcurrentTransactionsAllCommitInGroups(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, dialect)
			ctx := context.Background()
			const n = 300
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- db.InTx(ctx, func(tx *store.Tx) error {
						ok, err := tx.ClaimJobRun(ctx, t0, "many", t0.Add(time.Duration(i)*time.Second), false, fmt.Sprint("owner-", i), "")
						if err == nil && !ok {
							err = fmt.Errorf("slot %d already claimed", i)
						}
						return err
					})
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := jobRuns(t, db, "many")
			if len(got) != n {
				t.Fatalf("%d rows committed, want %d", len(got), n)
			}
			groups, items := db.GroupCommits()
			if items < n || groups >= items {
				t.Errorf("%d transactions in %d groups: want several per group", items, groups)
			}
			t.Logf("%s: %d transactions in %d groups", dialect, items, groups)
		})
	}
}

// On Postgres the first committer runs every group it can and the second
// only helps: a group that runs long (an item waiting on a lock, a slow
// statement) does not hold up the transactions that arrive meanwhile.
func TestASlowGroupDoesNotHoldUpTheNextTransaction(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	started, bDone := make(chan struct{}), make(chan struct{})
	slow := make(chan error, 1)
	go func() {
		slow <- db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ClaimJobRun(ctx, t0, "slow", t0, false, "slow", ""); err != nil {
				return err
			}
			close(started)
			select {
			case <-bDone:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("the next transaction waited for the slow one")
			}
		})
	}()
	<-started
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ClaimJobRun(ctx, t0, "slow", t0.Add(time.Minute), false, "next", "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	close(bDone)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if got := jobRuns(t, db, "slow"); !got["slow"] || !got["next"] {
		t.Errorf("committed %v, want both", got)
	}
}

// Two groups in flight on Postgres that each hold a row the other's item
// wants: Postgres fails one item with "deadlock detected"; it runs again on
// its own once its group is over, and both callers see their work
// committed.
func TestAnItemThatLosesADeadlockRunsAgainAlone(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	for i, owner := range []string{"one", "two"} {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ClaimJobRun(ctx, t0, "deadlock", t0.Add(time.Duration(i)*time.Minute), false, owner, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	touch := func(tx *store.Tx, i int, by string) error {
		return tx.Exec(ctx, `UPDATE job_runs SET detail = detail || ? WHERE job = 'deadlock' AND slot = ?`, by, t0.Add(time.Duration(i)*time.Minute).UTC())
	}
	aHas, bHas := make(chan struct{}), make(chan struct{})
	var onceA, onceB sync.Once
	errs := make(chan error, 2)
	go func() {
		errs <- db.InTx(ctx, func(tx *store.Tx) error {
			if err := touch(tx, 0, "a"); err != nil {
				return err
			}
			onceA.Do(func() { close(aHas) })
			<-bHas
			return touch(tx, 1, "a")
		})
	}()
	<-aHas
	go func() {
		errs <- db.InTx(ctx, func(tx *store.Tx) error {
			if err := touch(tx, 1, "b"); err != nil {
				return err
			}
			onceB.Do(func() { close(bHas) })
			return touch(tx, 0, "b")
		})
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction failed: %v", err)
		}
	}
	runs, err := db.JobRuns(ctx, "deadlock")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if len(r.Detail) != 2 {
			t.Errorf("row %s was changed by %q, want both transactions once", r.Owner, r.Detail)
		}
	}
}

// oneGroup hands items to db's one committer so that they make one group,
// in order (the committer is held by a transaction of its own until all
// are queued), and returns each caller's error, and what each recovered
// from a panic.
func oneGroup(t *testing.T, db *store.DB, items ...func(tx *store.Tx) error) ([]error, []any) {
	t.Helper()
	calls := make([]func() error, len(items))
	for i, fn := range items {
		calls[i] = func() error { return db.InTx(context.Background(), fn) }
	}
	return groupOf(t, db, calls...)
}

// groupOf makes calls, each handing one transaction to the committers
// (InTx, InTxFirst), and has the committer run them as one group, in
// order; it returns each call's error, and what each panicked with.
func groupOf(t *testing.T, db *store.DB, calls ...func() error) ([]error, []any) {
	t.Helper()
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	queued0 := db.Queued()
	go func() {
		blocker <- db.InTx(ctx, func(tx *store.Tx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	errs, panics := make([]error, len(calls)), make([]any, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = call()
		}()
		// In order, so the group's order is the list's.
		for db.Queued() < queued0+i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	return errs, panics
}

// InTxFirst runs a delivery's work only when each of its keys is new, in
// a group as alone. A group without savepoints records its items' keys
// ahead, in one statement: the first item already finds a later item's
// key recorded. A key two items of one group share runs the first only;
// an item that fails leaves its keys unrecorded, so a redelivery runs.
func TestInTxFirstRunsEachDeliveryOnceInAGroupAsAlone(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		key := func(k string) []bot.InboundKey { return []bot.InboundKey{{Kind: "test_event", Key: k}} }
		recorded := func(tx *store.Tx, k string) bool {
			var n int
			if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM inbound_events WHERE kind = 'test_event' AND key = ?`, k); err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
		var mu sync.Mutex
		runs := map[string]int{}
		var cAheadOfA bool
		errBad := errors.New("the handler failed")
		firsts := make([]bool, 5)
		call := func(i int, keys []bot.InboundKey, name string, fails bool) func() error {
			return func() (err error) {
				firsts[i], err = db.InTxFirst(ctx, t0, keys, func(tx *store.Tx) error {
					mu.Lock()
					runs[name]++
					mu.Unlock()
					if name == "a" {
						cAheadOfA = recorded(tx, "c")
					}
					if fails {
						return errBad
					}
					return nil
				})
				return err
			}
		}
		two := append(key("b1"), key("b2")...)
		errs, _ := groupOf(t, db,
			call(0, key("a"), "a", false),
			call(1, two, "b", false),
			call(2, key("c"), "c", false),
			call(3, key("a"), "a again", false),
			call(4, append(key("d"), key("b2")...), "d", false))
		for i, err := range errs {
			if err != nil {
				t.Fatalf("item %d: %v", i, err)
			}
		}
		if got, want := fmt.Sprint(firsts), "[true true true false false]"; got != want {
			t.Errorf("first seen: %s, want %s (a key shared in the group is new for its first item only)", got, want)
		}
		if runs["a"] != 1 || runs["b"] != 1 || runs["c"] != 1 || runs["a again"] != 0 || runs["d"] != 0 {
			t.Errorf("runs: %v; want a, b and c once, the repeats never", runs)
		}
		if !cAheadOfA || db.GroupReruns() != 0 {
			t.Errorf("c's key recorded when a ran: %v (want true: recorded ahead); %d groups ran again", cAheadOfA, db.GroupReruns())
		}

		// A failing item rolls its group back and runs again with
		// savepoints: its key is not kept; the others' are.
		errs, _ = groupOf(t, db,
			call(0, key("e"), "e", false),
			call(1, key("f"), "f", true),
			call(2, key("g"), "g", false))
		if errs[0] != nil || !errors.Is(errs[1], errBad) || errs[2] != nil {
			t.Fatalf("group with a failure: %v", errs)
		}
		if db.GroupReruns() != 1 {
			t.Errorf("%d groups ran again, want 1", db.GroupReruns())
		}
		// Alone now: the failed delivery's retry runs, the others are
		// repeats.
		for _, k := range []string{"e", "f", "g", "c"} {
			first, err := db.InTxFirst(ctx, t0, key(k), func(*store.Tx) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if first != (k == "f") {
				t.Errorf("%s delivered again: first=%v, want %v", k, first, k == "f")
			}
		}
	})
}

// A group runs without savepoints, each item once, until one of its items
// fails: then it is rolled back whole and runs again with a savepoint per
// item (the items that stand run twice, and commit once). The committer
// keeps to savepoints for the groups that follow, so the next failure
// costs no second run.
func TestAGroupRunsAgainWithSavepointsOnlyWhenAnItemFails(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		runs := map[string]int{}
		errBad := errors.New("the user's input was wrong")
		item := func(owner string, fails bool) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				mu.Lock()
				runs[owner]++
				mu.Unlock()
				ok, err := tx.ClaimJobRun(ctx, t0, "rerun", t0.Add(time.Duration(len(owner))*time.Minute), false, owner, "")
				if err == nil && !ok {
					err = fmt.Errorf("%s: slot taken", owner)
				}
				if err == nil && fails {
					err = errBad
				}
				return err
			}
		}
		ran := func(owners ...string) string {
			mu.Lock()
			defer mu.Unlock()
			var out []string
			for _, o := range owners {
				out = append(out, fmt.Sprintf("%s×%d", o, runs[o]))
			}
			return fmt.Sprint(out)
		}

		// All good: each ran once, the group once.
		errs, _ := oneGroup(t, db, item("a", false), item("bb", false), item("ccc", false))
		if errs[0] != nil || errs[1] != nil || errs[2] != nil {
			t.Fatalf("good group: %v", errs)
		}
		if got, want := ran("a", "bb", "ccc"), "[a×1 bb×1 ccc×1]"; got != want || db.GroupReruns() != 0 {
			t.Errorf("a group without failures ran %s (want %s), %d groups again", got, want, db.GroupReruns())
		}

		// One fails: the group runs again; the others commit.
		errs, _ = oneGroup(t, db, item("dddd", false), item("eeeee", true), item("ffffff", false))
		if errs[0] != nil || !errors.Is(errs[1], errBad) || errs[2] != nil {
			t.Fatalf("group with a failure: %v", errs)
		}
		if got, want := ran("dddd", "eeeee", "ffffff"), "[dddd×2 eeeee×2 ffffff×1]"; got != want || db.GroupReruns() != 1 {
			t.Errorf("a group with a failing item ran %s (want %s), %d groups again (want 1)", got, want, db.GroupReruns())
		}

		// Right after, a failure costs no second run.
		errs, _ = oneGroup(t, db, item("ggggggg", false), item("hhhhhhhh", true), item("iiiiiiiii", false))
		if errs[0] != nil || !errors.Is(errs[1], errBad) || errs[2] != nil {
			t.Fatalf("careful group: %v", errs)
		}
		if got, want := ran("ggggggg", "hhhhhhhh", "iiiiiiiii"), "[ggggggg×1 hhhhhhhh×1 iiiiiiiii×1]"; got != want || db.GroupReruns() != 1 {
			t.Errorf("the group after a failure ran %s (want %s), %d groups again (want 1)", got, want, db.GroupReruns())
		}

		got := jobRuns(t, db, "rerun")
		for _, o := range []string{"a", "bb", "ccc", "dddd", "ffffff", "ggggggg", "iiiiiiiii"} {
			if !got[o] {
				t.Errorf("%s's row was not committed", o)
			}
		}
		for _, o := range []string{"eeeee", "hhhhhhhh"} {
			if got[o] {
				t.Errorf("%s's row was committed, want it rolled back", o)
			}
		}
	})
}
