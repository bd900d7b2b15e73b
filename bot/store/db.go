package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DefaultSQLitePath is where Liaison keeps its data when LIAISON_DATABASE_URL
// is not set.
const DefaultSQLitePath = "liaison.db"

// DB is Liaison's database handle. It is safe for concurrent use.
type DB struct {
	db      *sqlx.DB
	dialect dialect
	path    string    // SQLite file; empty for Postgres
	lock    *fileLock // SQLite single-process lock, when taken

	enqueued chan struct{}
	wokenMu  sync.Mutex           // committers add to woken, the dispatcher takes it
	woken    wakeups              // the lanes enqueued into since the dispatcher last looked
	seen     batcher[seenRequest] // FirstSeen's writes
	opens    batcher[openRequest] // FirstOpenLike's reads
	closeMu  sync.Once
	claim    prepared // ClaimLanes's statement
	// rollupsBuilt is set once a fold has seen the statistics roll-ups
	// built (see rebuildIfPending).
	rollupsBuilt atomic.Bool
	group        *committers // nil when group commit is off
	feedbackIDs  idBlock     // item ids drawn ahead (Postgres: Tx.nextFeedbackID)
	// alone counts the groups committed as one statement, their BEGIN
	// never sent (Postgres: lazyTx).
	alone atomic.Int64
}

// idBlock holds ids drawn from a sequence, handed out in order.
type idBlock struct {
	mu    sync.Mutex
	ids   []int64
	drawn time.Time // when the last block was drawn
	size  int       // and how many it held
	used  int       // ids handed out since
	// ahead is set while the next block is drawn ahead, outside any
	// group (Tx.nextFeedbackID); drawing waits for it to end.
	ahead   bool
	drawing sync.WaitGroup
	now     func() time.Time // time.Now; tests set a clock
	// inGroup and drawnAhead count the draws (tests).
	inGroup, drawnAhead int
}

// Options tune Open.
type Options struct {
	// Exclusive takes the single-process lock on a SQLite file: every command
	// that writes (run, console, migrate, digest run) sets it, so a second
	// process on the same file is refused with a clear error instead of
	// fighting over it. It has no effect on Postgres, which is built for
	// several replicas.
	Exclusive bool
	// MaxOpenConns caps the connection pool; zero means DefaultPostgresConns
	// on Postgres and 8 on SQLite (readers run side by side; writers take turns, and a
	// writer waiting for its turn holds a connection).
	MaxOpenConns int
	// Group tunes group commit (see InTx).
	Group GroupOptions

	busyTimeout time.Duration // SQLite's busy_timeout; default 10 s (tests set it)
}

// Open connects to the database named by rawURL: "postgres://…" (or
// "postgresql://…") for Postgres, "sqlite:PATH" for a SQLite file, and "" for
// SQLite at DefaultSQLitePath. It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	d := &DB{enqueued: make(chan struct{}, 1)}
	var driver, dsn string
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		d.dialect = dialects[Postgres]
		driver, dsn = "postgres", postgresDSN(rawURL)
	case rawURL == "" || strings.HasPrefix(rawURL, "sqlite:"):
		d.dialect = dialects[SQLite]
		abs, _, err := SQLiteFile(rawURL)
		if err != nil {
			return nil, err
		}
		d.path = abs
		if opts.Exclusive {
			l, err := lockFile(abs + ".lock")
			if err != nil {
				return nil, err
			}
			d.lock = l
		}
		driver, dsn = "sqlite", sqliteDSN(abs, opts.busyTimeout)
	default:
		return nil, fmt.Errorf("open database: LIAISON_DATABASE_URL %q is neither postgres://… nor sqlite:PATH", redact(rawURL))
	}

	var (
		db  *sqlx.DB
		err error
	)
	if d.dialect.name == Postgres {
		var (
			cfg pq.Config
			c   *pq.Connector
		)
		if cfg, err = pq.NewConfig(dsn); err == nil {
			if c, err = pq.NewConnectorConfig(cfg); err == nil {
				db = sqlx.NewDb(sql.OpenDB(stmtCacheConnector{Connector: c, alone: &d.alone, binary: cfg.BinaryParameters}), driver)
			}
		}
	} else {
		db = sqlx.NewDb(sql.OpenDB(newSQLiteConnector(dsn)), driver)
	}
	if err != nil {
		d.unlock()
		return nil, fmt.Errorf("open %s database: %w", d.dialect.name, err)
	}
	d.db = db
	switch d.dialect.name {
	case SQLite:
		db.SetMaxOpenConns(cmpOr(opts.MaxOpenConns, 8))
	default:
		db.SetMaxOpenConns(cmpOr(opts.MaxOpenConns, DefaultPostgresConns))
		db.SetMaxIdleConns(cmpOr(opts.MaxOpenConns, DefaultPostgresConns))
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", d.dialect.name, d.Describe(rawURL), err)
	}
	if !opts.Group.Off {
		d.startCommitters(opts.Group)
	}
	return d, nil
}

// postgresDSN asks lib/pq to send parameters in binary, which also sends a
// parameterised statement in one round trip instead of two (parse and
// describe, then bind and execute): most of Liaison's statements are small,
// so this nearly halves their latency. A URL that sets it keeps its choice.
func postgresDSN(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // lib/pq reports the malformed URL
	}
	q := u.Query()
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// sqliteDSN turns a file path into modernc's DSN: WAL so readers never block
// the writer, a busy timeout so concurrent writers wait instead of failing,
// foreign keys enforced, write transactions taking the write lock at BEGIN
// (no deadlock upgrading a read lock), and times written in one fixed layout
// so that, all being UTC, text comparison orders them correctly.
func sqliteDSN(path string, busy time.Duration) string {
	if busy <= 0 {
		busy = 10 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Dialect returns Postgres or SQLite.
func (d *DB) Dialect() string { return d.dialect.name }

// Path returns the SQLite file's absolute path, or "" on Postgres.
func (d *DB) Path() string { return d.path }

// Describe names the database for logs and errors without its password.
func (d *DB) Describe(rawURL string) string {
	if d.path != "" {
		return d.path
	}
	return redact(rawURL)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Close closes the pool and releases the SQLite lock. It is safe to call twice.
func (d *DB) Close() error {
	var err error
	d.closeMu.Do(func() {
		if d.group != nil {
			d.group.close()
		}
		d.feedbackIDs.drawing.Wait()
		if d.db != nil {
			err = d.db.Close()
		}
		d.unlock()
	})
	return err
}

func (d *DB) unlock() {
	if d.lock != nil {
		d.lock.release()
		d.lock = nil
	}
}

// Tx is one database transaction. Its methods are the building blocks the
// exported DB methods are made of, so callers compose them atomically.
type Tx struct {
	tx        *sqlx.Tx
	db        *DB
	enqueued  wakeups // what it enqueued: the dispatcher is woken for it at commit
	committed []func()
	stats     []statsEvent // appended at commit (see appendStats)
	// seenAhead are the inbound keys its group recorded before its items
	// ran that were new and not yet claimed (InTxFirst); nil when its
	// item records its own.
	seenAhead map[[2]string]bool
	// batch, in a group run without savepoints on Postgres, takes the
	// intake items put off until the group's next statement
	// (intake_batch.go); nil elsewhere.
	batch *intakeBatch
}

// OnCommit runs fn after the transaction commits, and never if it rolls
// back: for what may only be said once the change is made (an answer shown
// to one person directly, outside the outbox).
func (tx *Tx) OnCommit(fn func()) { tx.committed = append(tx.committed, fn) }

// InTx runs fn in a transaction, committing if fn returns nil and rolling
// back otherwise. fn must not keep tx after it returns, nor call InTx
// itself. With group commit on (the default), fn runs on a committer's
// connection among other callers' work, undone alone when it fails (see
// group.go): it returns once fn's work is committed, or with the error
// that undid it. fn may run more than once (its group runs again when
// another item fails, or it loses a deadlock), its earlier runs' writes
// undone: what it keeps outside the database goes through OnCommit.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if d.group == nil {
		return d.plainTx(ctx, fn)
	}
	return d.groupTx(ctx, &groupItem{fn: fn})
}

// ownTx runs fn in a transaction of its own: for long work (folds,
// rebuilds) that must not hold up other callers' groups. On SQLite it
// still goes through the committer, the only writer.
func (d *DB) ownTx(ctx context.Context, fn func(tx *Tx) error) error {
	if d.group == nil || d.dialect.name != SQLite {
		return d.plainTx(ctx, fn)
	}
	return d.groupTx(ctx, &groupItem{fn: fn, alone: true})
}

// groupTx hands it to a committer and, once it committed, runs what
// follows a commit.
func (d *DB) groupTx(ctx context.Context, it *groupItem) error {
	tx, err := d.group.do(ctx, it)
	if err != nil {
		return err
	}
	tx.afterCommit()
	return nil
}

func (d *DB) plainTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := d.runTx(ctx, fn)
	if err != nil {
		return err
	}
	tx.afterCommit()
	return nil
}

// runTx runs fn in a transaction of its own and commits it, leaving what
// follows a commit to the caller.
func (d *DB) runTx(ctx context.Context, fn func(tx *Tx) error) (*Tx, error) {
	sqltx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqltx, db: d}
	if err := fn(tx); err != nil {
		_ = sqltx.Rollback()
		return nil, err
	}
	if err := writeStats(ctx, tx, tx.stats); err != nil {
		_ = sqltx.Rollback()
		return nil, err
	}
	if err := sqltx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return tx, nil
}

// afterCommit wakes the dispatcher if tx enqueued, and runs its OnCommit
// functions.
func (tx *Tx) afterCommit() {
	if !tx.enqueued.empty() {
		tx.db.signalEnqueued(&tx.enqueued)
	}
	for _, fn := range tx.committed {
		fn()
	}
}

// wakeups are lanes (bot.Lane) messages were enqueued into; any when some
// went into lanes not named (a retry of whatever was dead).
type wakeups struct {
	any   bool
	lanes map[string]struct{}
}

func (w *wakeups) lane(name string) {
	if w.lanes == nil {
		w.lanes = map[string]struct{}{}
	}
	w.lanes[name] = struct{}{}
}

// wakeLanes notes that tx enqueued into lanes: the dispatcher is woken for
// them once tx commits.
func (tx *Tx) wakeLanes(lanes []string) {
	for _, l := range lanes {
		tx.enqueued.lane(l)
	}
}

func (w *wakeups) empty() bool { return !w.any && len(w.lanes) == 0 }

// Enqueued is signalled (without blocking, coalesced) after a transaction that
// added outbox messages commits, so a dispatcher can wake up at once instead
// of waiting for its next poll. EnqueuedLanes says into which lanes.
func (d *DB) Enqueued() <-chan struct{} { return d.enqueued }

// EnqueuedLanes returns the lanes messages were enqueued into since it was
// last called, and any when some of them are not known (retries): a
// dispatcher need not claim for a lane that cannot send yet.
func (d *DB) EnqueuedLanes() (lanes []string, any bool) {
	d.wokenMu.Lock()
	defer d.wokenMu.Unlock()
	for l := range d.woken.lanes {
		lanes = append(lanes, l)
	}
	any = d.woken.any
	clear(d.woken.lanes)
	d.woken.any = false
	return lanes, any
}

// signalEnqueued wakes the dispatcher for w's lanes; nil for any lane.
func (d *DB) signalEnqueued(w *wakeups) {
	d.wokenMu.Lock()
	if w == nil {
		d.woken.any = true
	} else {
		d.woken.any = d.woken.any || w.any
		for l := range w.lanes {
			d.woken.lane(l)
		}
	}
	d.wokenMu.Unlock()
	select {
	case d.enqueued <- struct{}{}:
	default:
	}
}

func (tx *Tx) rebind(q string) string { return tx.tx.Rebind(q) }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, tx.rebind(q), args...)
}

// isNoRows reports whether err means an empty result.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// utc returns t in UTC, and nil for the zero time (a NULL column).
func utc(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
