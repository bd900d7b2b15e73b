package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// Group commit. A commit costs a round trip and a flush of the database's
// log, and most of Liaison's transactions (a slash command, a click, a
// Discord message) are a handful of small statements: committed one by one,
// the flushes are the throughput. So InTx hands its work to a committer,
// which collects the work of the transactions that arrive while its
// previous commit is in flight (up to Group.Max items, waiting at most
// Group.Wait for more) and runs them in one transaction, one after another
// on one connection: an item that fails (or panics) is undone alone (see
// below: by its SAVEPOINT), the others go on and commit. Each caller
// returns only once its own work has committed, and sees an error if it
// did not, so nothing acknowledged is lost. An item
// sees the earlier items' writes as if they had committed first; rules
// such as one pending draft per target are unique indexes, so they hold
// within a group as across groups.
//
// A savepoint costs a round trip per item, and items seldom fail: so a
// group first runs without them, and only when one of its items fails
// (an error, a panic, a deadlock) is it rolled back whole and run again,
// each item in its own savepoint. Its items' functions then run twice, as
// a deadlock's retry runs one again: a transaction's function must be
// safe to run again (its writes are undone; what it keeps in memory must
// be keyed by what it handles, or be fed by OnCommit). After a failure a
// committer keeps to savepoints for its next carefulGroups groups, so that
// a run of failures does not cost each group twice. A group without
// savepoints also records its items' inbound keys (InTxFirst) ahead, in
// one statement, where each item would have recorded its own.
//
// On SQLite there is one committer, which makes it the only writer of the
// transactions that go through InTx: no writer waits on another's lock.
// On Postgres there may be several (Group.Committers), but the first runs
// every group it can, and the others only help: when helpBacklog
// transactions wait, or when its group has run for helpAfter with work
// waiting (a slow item, a lock). A group costs Postgres a log flush and a
// statement's start whatever its size, so two committers taking turns at a
// moderate load made twice the groups, half as large, for nothing: at
// 2,000 /feedback a second, 1.8 items a group against 2.7-3.1 with one,
// and 283-306 µs of Postgres CPU a command against 208-223 µs. Under a
// burst (a busy Discord channel) the queue fills, and a second group in
// flight overlaps the first's round trips with its items' work.

// GroupOptions tune group commit; the zero value is the default.
type GroupOptions struct {
	// Off runs each InTx in a transaction of its own, as before group
	// commit (for measurements, and a way out).
	Off bool
	// Max bounds the items of one group; default DefaultGroupMax.
	Max int
	// Wait is how long a committer that has fewer than Max items waits for
	// more before it starts. Default on SQLite DefaultSQLiteWait: its one
	// committer is the only writer, and a commit there is a file sync, so
	// waiting a little for a larger group pays. Default on Postgres 0: a
	// group is what arrived while the previous commit was in flight, which
	// makes groups as large as the load and costs an idle server nothing.
	// A negative Wait means 0.
	Wait time.Duration
	// Committers is how many groups may be in flight at once on Postgres;
	// default DefaultCommitters. Those beyond the first only help (see
	// helpBacklog). SQLite always has one.
	Committers int
	// Observe, when set, is told of each group once its callers have
	// their answers: how many transactions it held and how long it took
	// from its first statement (for metrics). It runs on the committer:
	// it must be quick and safe for concurrent use.
	Observe func(size int, took time.Duration)
}

// Group commit defaults (measured: see the commit that set them).
const (
	DefaultGroupMax   = 64
	DefaultCommitters = 2
	DefaultSQLiteWait = time.Millisecond
)

// carefulGroups is how many groups a committer runs with savepoints from
// the start after a group had to run again.
const carefulGroups = 16

// A committer beyond the first starts a group when helpBacklog
// transactions wait, or when the first's group has run for helpAfter while
// any waits.
const (
	helpBacklog = 8
	helpAfter   = 5 * time.Millisecond
)

// errClosed answers work handed to a closed database.
var errClosed = errors.New("the database is closed")

type groupItem struct {
	fn    func(tx *Tx) error
	alone bool // runs in a transaction of its own (long jobs)
	// seen are the inbound keys fn records first (InTxFirst): a group run
	// without savepoints records its items' keys in one statement ahead,
	// or, when every item is pure, with its intake (addSeen).
	seen []*seenRequest
	pure bool // InTxFirstPure: fn may run before its keys are recorded
	done chan groupResult
}

type groupResult struct {
	tx       *Tx // its own view: OnCommit functions and whether it enqueued
	err      error
	panicked any
	stack    bool
}

// committers run the groups of a DB.
type committers struct {
	queue  chan *groupItem
	max    int
	wait   time.Duration
	mu     sync.RWMutex
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup

	// help wakes a helper (a committer beyond the first); nil when there
	// is none. watch fires it when the first's group runs long.
	help    chan struct{}
	watch   *time.Timer
	running atomic.Bool // the first committer runs a group

	groups, items atomic.Int64 // started so far
	reruns        atomic.Int64 // groups run again with savepoints, an item having failed
	observe       func(size int, took time.Duration)
}

// GroupCommits returns how many groups the committers have run and how
// many transactions they held: items / groups is the mean group size.
// Both are zero when group commit is off.
func (d *DB) GroupCommits() (groups, items int64) {
	if d.group == nil {
		return 0, 0
	}
	return d.group.groups.Load(), d.group.items.Load()
}

// GroupsAlone returns how many groups were committed without a BEGIN, as
// the one statement that wrote their intake (Postgres: lazyTx).
func (d *DB) GroupsAlone() int64 { return d.alone.Load() }

// GroupReruns returns how many groups ran a second time, with savepoints,
// because one of their items failed.
func (d *DB) GroupReruns() int64 {
	if d.group == nil {
		return 0
	}
	return d.group.reruns.Load()
}

func (d *DB) startCommitters(o GroupOptions) {
	n, wait := cmpOr(o.Committers, DefaultCommitters), o.Wait
	if d.dialect.name == SQLite {
		n = 1
		if wait == 0 {
			wait = DefaultSQLiteWait
		}
	}
	c := &committers{queue: make(chan *groupItem, 1024), max: cmpOr(o.Max, DefaultGroupMax), wait: max(wait, 0), stop: make(chan struct{}), observe: o.Observe}
	if n > 1 {
		c.help = make(chan struct{}, 1)
		c.watch = time.AfterFunc(time.Hour, func() {
			if !c.running.Load() {
				return
			}
			if len(c.queue) > 0 {
				c.callHelp()
			}
			c.watch.Reset(helpAfter) // and again while the group runs on
		})
		c.watch.Stop()
	}
	for i := range n {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.loop(d, i > 0)
		}()
	}
	d.group = c
}

// callHelp wakes a helper, if one sleeps.
func (c *committers) callHelp() {
	select {
	case c.help <- struct{}{}:
	default:
	}
}

// close stops the committers once the work already handed over is done.
func (c *committers) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.stop)
	c.mu.Unlock()
	c.wg.Wait()
}

// do hands it to a committer and waits for its outcome.
func (c *committers) do(ctx context.Context, it *groupItem) (*Tx, error) {
	it.done = make(chan groupResult, 1)
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return nil, errClosed
	}
	select {
	case c.queue <- it:
	case <-ctx.Done():
		c.mu.RUnlock()
		return nil, ctx.Err()
	}
	c.mu.RUnlock()
	if c.help != nil && len(c.queue) >= helpBacklog {
		c.callHelp()
	}
	// Once handed over, the outcome is waited for even if ctx ends: the
	// work may be committing, and the caller must not say otherwise.
	r := <-it.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.tx, r.err
}

// loop runs groups until the committers stop: as the first committer, or
// as a helper (see helpBacklog).
func (c *committers) loop(d *DB, helper bool) {
	var held *groupItem // an alone item met while collecting: next group
	careful := 0        // groups left to run with savepoints from the start
	for {
		first := held
		held = nil
		if first == nil {
			if first = c.next(d, helper); first == nil {
				return
			}
		}
		items := []*groupItem{first}
		if !first.alone {
			items, held = c.collect(items)
		}
		// Counted before its callers hear back, so a caller that reads
		// the counts after InTx returns sees its own group.
		c.groups.Add(1)
		c.items.Add(int64(len(items)))
		start := time.Now()
		if c.watch != nil && !helper {
			c.running.Store(true)
			c.watch.Reset(helpAfter)
		}
		switch {
		case careful > 0 || len(items) == 1 && d.dialect.name != Postgres:
			careful = max(careful-1, 0)
			d.runGroup(items)
		case !d.runUnguarded(items):
			c.reruns.Add(1)
			if len(items) > 1 {
				careful = carefulGroups
			}
			d.runGroup(items)
		}
		if c.watch != nil && !helper {
			c.running.Store(false)
			c.watch.Stop()
		}
		if c.observe != nil {
			c.observe(len(items), time.Since(start))
		}
	}
}

// next waits for the first item of a committer's next group; nil once the
// committers stop. A helper takes one only when called (callHelp), and
// only if one still waits.
func (c *committers) next(d *DB, helper bool) *groupItem {
	for helper {
		select {
		case <-c.help:
		case <-c.stop:
			return nil // the first committer finishes what is queued
		}
		select {
		case it := <-c.queue:
			return it
		default:
		}
	}
	select {
	case it := <-c.queue:
		return it
	case <-c.stop:
		// Finish what was handed over before the stop.
		for {
			select {
			case it := <-c.queue:
				d.runGroup([]*groupItem{it})
			default:
				return nil
			}
		}
	}
}

// collect adds to items what is queued, up to max, waiting up to c.wait
// for more. An alone item ends the group and is returned to run next.
func (c *committers) collect(items []*groupItem) ([]*groupItem, *groupItem) {
	var timer <-chan time.Time
	if c.wait > 0 {
		t := time.NewTimer(c.wait)
		defer t.Stop()
		timer = t.C
	}
	for len(items) < c.max {
		var it *groupItem
		// What is queued already joins the group even when the wait is
		// over: a select with both ready picks one at random, which cut
		// groups short on a busy machine.
		select {
		case it = <-c.queue:
		default:
			if timer == nil {
				return items, nil
			}
			select {
			case it = <-c.queue:
			case <-timer:
				return items, nil
			}
		}
		if it.alone {
			return items, it
		}
		items = append(items, it)
	}
	return items, nil
}

// runUnguarded runs items in one transaction without savepoints, commits,
// and answers each. When an item fails (or the transaction cannot start)
// it rolls back, answers no one and returns false: the group must run
// again (runGroup).
func (d *DB) runUnguarded(items []*groupItem) bool {
	ctx := context.Background()
	sqltx, g, err := d.beginUnguarded(ctx)
	if err != nil {
		return false
	}
	defer g.release()
	batch := g.batch
	var ahead map[[2]string]bool
	if slices.ContainsFunc(items, func(it *groupItem) bool { return len(it.seen) > 0 }) {
		if batch != nil && !slices.ContainsFunc(items, func(it *groupItem) bool { return len(it.seen) > 0 && !it.pure }) {
			ahead = batch.addSeen(items) // written with the batch
		} else if ahead, err = d.recordSeenAhead(ctx, sqltx, items); err != nil {
			_ = sqltx.Rollback()
			return false
		}
	}
	results := make([]groupResult, len(items))
	var stats []statsEvent
	for i, it := range items {
		tx := &Tx{tx: sqltx, db: d, batch: batch}
		if len(it.seen) > 0 {
			tx.seenAhead = ahead
		}
		// A batch that failed fails the group, whatever the item made of
		// the error its statement got.
		if err, p := callItem(it.fn, tx); err != nil || p != nil || batch != nil && batch.failed != nil {
			_ = sqltx.Rollback()
			return false
		}
		results[i] = groupResult{tx: tx}
		stats = append(stats, tx.stats...)
	}
	if err := writeStats(ctx, &Tx{tx: sqltx, db: d}, stats); err != nil {
		_ = sqltx.Rollback()
		return false
	}
	// The commit writes what the batch still holds first: a batch that
	// fails there committed nothing, and the group runs again.
	if err := sqltx.Commit(); err != nil {
		if batch != nil && batch.failed != nil {
			return false
		}
		failCommit(results, err)
	}
	for i, it := range items {
		it.done <- results[i]
	}
	return true
}

// groupConn is an unguarded group's own connection on Postgres, with the
// intake batch put on it (intake_batch.go); elsewhere it has neither, and
// the group writes each item at once.
type groupConn struct {
	conn  *sqlx.Conn
	batch *intakeBatch
}

// beginUnguarded begins an unguarded group's transaction, on a connection
// of its own on Postgres.
func (d *DB) beginUnguarded(ctx context.Context) (*sqlx.Tx, groupConn, error) {
	if d.dialect.name != Postgres {
		sqltx, err := d.db.BeginTxx(ctx, nil)
		return sqltx, groupConn{}, err
	}
	conn, err := d.db.Connx(ctx)
	if err != nil {
		return nil, groupConn{}, err
	}
	g := groupConn{conn: conn}
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(*stmtCacheConn); ok {
			g.batch = &intakeBatch{ids: &d.feedbackIDs}
			c.pending = g.batch
		}
		return nil
	})
	sqltx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		g.release()
		return nil, groupConn{}, err
	}
	return sqltx, g, nil
}

// release takes the batch off the connection and gives the connection
// back to the pool.
func (g groupConn) release() {
	if g.conn == nil {
		return
	}
	_ = g.conn.Raw(func(dc any) error {
		if c, ok := dc.(*stmtCacheConn); ok {
			c.pending = nil
		}
		return nil
	})
	_ = g.conn.Close()
}

// commitGroup commits a group's transaction; when the commit fails, the
// items that stood are told so instead.
func commitGroup(sqltx *sqlx.Tx, results []groupResult) {
	if err := sqltx.Commit(); err != nil {
		failCommit(results, err)
	}
}

// failCommit tells the items that stood (a result with its Tx) that their
// group's commit failed with err.
func failCommit(results []groupResult, err error) {
	for i := range results {
		if results[i].tx != nil {
			results[i] = groupResult{err: fmt.Errorf("commit: %w", err)}
		}
	}
}

// runGroup runs items in one transaction, each in a savepoint when there
// are several, commits, and answers each.
func (d *DB) runGroup(items []*groupItem) {
	results := make([]groupResult, len(items))
	answer := func() {
		for i, it := range items {
			it.done <- results[i]
		}
	}
	failAll := func(err error) {
		for i := range results {
			if results[i].err == nil && results[i].panicked == nil {
				results[i] = groupResult{err: err}
			}
		}
		answer()
	}
	ctx := context.Background()
	sqltx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("begin transaction: %w", err))
		return
	}
	// Savepoint statements carry no parameters: on Postgres the release
	// of one item's savepoint and the next one's travel together, in one
	// round trip (lib/pq's simple query protocol takes several statements).
	// The last savepoint is released by the commit.
	savepoints, open := len(items) > 1, false
	savepoint := func(q string) error {
		if open && d.dialect.name == Postgres {
			q = `RELEASE SAVEPOINT liaison_item; ` + q
		} else if open {
			if _, err := sqltx.ExecContext(ctx, `RELEASE SAVEPOINT liaison_item`); err != nil {
				return err
			}
		}
		open = false
		if q == "" {
			return nil
		}
		_, err := sqltx.ExecContext(ctx, q)
		return err
	}
	ok := 0
	var stats []statsEvent
	var retry []int // items that lost a deadlock
	answer = func() {
		for _, i := range retry {
			// Alone it can still meet another deadlock: a few tries.
			for try := 1; ; try++ {
				tx, err := d.runTx(ctx, items[i].fn)
				results[i] = groupResult{tx: tx, err: err}
				if !isDeadlock(err) || try == 3 {
					break
				}
			}
		}
		for i, it := range items {
			it.done <- results[i]
		}
	}
	for i, it := range items {
		tx := &Tx{tx: sqltx, db: d}
		if savepoints {
			if err := savepoint(`SAVEPOINT liaison_item`); err != nil {
				_ = sqltx.Rollback()
				failAll(fmt.Errorf("group commit: savepoint: %w", err))
				return
			}
			open = true
		}
		err, p := callItem(it.fn, tx)
		if err == nil && p == nil {
			results[i] = groupResult{tx: tx}
			stats = append(stats, tx.stats...)
			ok++
			continue
		}
		results[i] = groupResult{err: err, panicked: p}
		if p == nil && isDeadlock(err) {
			// Two groups each held what the other's item wanted: Postgres
			// broke the tie by failing this item. It runs again on its own
			// once its group is over, as it would have had it come alone.
			retry = append(retry, i)
		}
		if !savepoints {
			continue
		}
		// This item alone is undone; the others go on.
		if _, rerr := sqltx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT liaison_item`); rerr != nil {
			_ = sqltx.Rollback()
			// The transaction is lost with the earlier items' work: they
			// are told so, and nothing of theirs was committed.
			failAll(fmt.Errorf("group commit: roll back a failed item: %w", rerr))
			return
		}
	}
	if ok == 0 {
		_ = sqltx.Rollback()
		answer()
		return
	}
	if open && d.dialect.name != Postgres {
		if err := savepoint(""); err != nil {
			_ = sqltx.Rollback()
			failAll(fmt.Errorf("group commit: release savepoint: %w", err))
			return
		}
	}
	// The statistics events of the items that stand, in one statement.
	if err := writeStats(ctx, &Tx{tx: sqltx, db: d}, stats); err != nil {
		_ = sqltx.Rollback()
		failAll(err)
		return
	}
	commitGroup(sqltx, results)
	answer()
}

// isDeadlock reports whether err is Postgres's "deadlock detected".
func isDeadlock(err error) bool { return pqCode(err) == "40P01" }

// callItem runs fn, turning a panic into a value re-raised in the caller.
func callItem(fn func(*Tx) error, tx *Tx) (err error, p any) {
	defer func() {
		if r := recover(); r != nil {
			p = r
		}
	}()
	return fn(tx), nil
}
