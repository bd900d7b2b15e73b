package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// SQLite has one writer at a time, and a connection that finds the write
// lock taken polls for it: it sleeps 1, 2, 5 … then 100 ms at a time
// between tries, until busy_timeout. Polling is not a queue: under load
// the connection that just committed takes the lock again before a sleeper
// wakes, and a writer can wait the whole 10 s and fail with "database is
// locked" while others commit hundreds of times (seen with eight writers
// on four connections, and once in CI, where a moderator's /ban failed so).
//
// So, within the process, writers queue in Go: a write transaction, and a
// statement that writes outside one, first takes the database's writer
// turn (a channel: waiters are served in order), and SQLite's own lock is
// then free or about to be. The busy timeout still guards against another
// process on the same file. All of Liaison's SQLite transactions take the
// write lock at BEGIN (_txlock=immediate), so each is a writer.

// writerWait bounds the wait for the writer turn: past it the statement
// fails as SQLite would have, rather than wait for ever behind a writer
// that never finishes.
const writerWait = time.Minute

// writerTurn is a database's writer turn, held by one writer at a time.
type writerTurn chan struct{}

func (w writerTurn) take(ctx context.Context) error {
	t := time.NewTimer(writerWait)
	defer t.Stop()
	select {
	case w <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("database is locked: another writer of this process held it for %s", writerWait)
	}
}

func (w writerTurn) give() { <-w }

// sqliteConnector opens modernc connections whose writers take turns.
type sqliteConnector struct {
	dsn  string
	turn writerTurn
}

func newSQLiteConnector(dsn string) *sqliteConnector {
	return &sqliteConnector{dsn: dsn, turn: make(writerTurn, 1)}
}

func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := (&sqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc, err := asDriver[driverConn](conn, "connection")
	if err != nil {
		return nil, err
	}
	return &turnConn{driverConn: sc, turn: c.turn}, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// turnConn is a SQLite connection that takes the writer turn for its
// transactions and for its writes outside one. Like any driver connection
// it is used by one goroutine at a time.
type turnConn struct {
	driverConn
	turn writerTurn
	tx   *turnTx // the transaction in progress, holding the turn
	held bool    // the turn is held for a statement outside a transaction
}

func (c *turnConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.turn.take(ctx); err != nil {
		return nil, err
	}
	tx, err := c.driverConn.BeginTx(ctx, opts)
	if err != nil {
		c.turn.give()
		return nil, err
	}
	c.tx = &turnTx{Tx: tx, conn: c}
	return c.tx, nil
}

func (c *turnConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// hold takes the turn for a statement outside a transaction that writes,
// and returns what gives it back (nothing to give when it was not taken).
func (c *turnConn) hold(ctx context.Context, query string) (func(), error) {
	if c.tx != nil || c.held || !writes(query) {
		return func() {}, nil
	}
	if err := c.turn.take(ctx); err != nil {
		return nil, err
	}
	c.held = true
	var once sync.Once
	return func() {
		once.Do(func() {
			c.held = false
			c.turn.give()
		})
	}, nil
}

func (c *turnConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	release, err := c.hold(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return c.driverConn.ExecContext(ctx, query, args)
}

func (c *turnConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	release, err := c.hold(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := c.driverConn.QueryContext(ctx, query, args)
	if err != nil {
		release()
		return nil, err
	}
	return heldRows(rows, release)
}

func (c *turnConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.driverConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ts, err := asDriver[sqliteStmt](st, "statement")
	if err != nil {
		return nil, err
	}
	return &turnStmt{sqliteStmt: ts, conn: c, query: query}, nil
}

func (c *turnConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Close gives the turn back if a transaction was left open: SQLite rolls
// it back with the connection.
func (c *turnConn) Close() error {
	if c.tx != nil {
		c.tx.end()
	}
	return c.driverConn.Close()
}

// turnTx is a transaction holding its connection's writer turn.
type turnTx struct {
	driver.Tx
	conn *turnConn
	once sync.Once
}

func (t *turnTx) end() {
	t.once.Do(func() {
		t.conn.tx = nil
		t.conn.turn.give()
	})
}

func (t *turnTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *turnTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

// sqliteStmt is what database/sql uses of a modernc statement.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// turnStmt is a prepared statement that takes the writer turn when it
// writes outside a transaction.
type turnStmt struct {
	sqliteStmt
	conn  *turnConn
	query string
}

func (s *turnStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	release, err := s.conn.hold(ctx, s.query)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.sqliteStmt.ExecContext(ctx, args)
}

func (s *turnStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	release, err := s.conn.hold(ctx, s.query)
	if err != nil {
		return nil, err
	}
	rows, err := s.sqliteStmt.QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return heldRows(rows, release)
}

// sqliteRows is what database/sql uses of modernc's rows.
type sqliteRows interface {
	typedRows
	driver.RowsColumnTypeNullable
}

// turnRows are the rows of a writing statement (DELETE … RETURNING): the
// turn is given back when they are closed.
type turnRows struct {
	sqliteRows
	release func()
}

func (r *turnRows) Close() error {
	defer r.release()
	return r.sqliteRows.Close()
}

// heldRows are rows that give the turn back when closed (release does
// nothing when it was not taken).
func heldRows(rows driver.Rows, release func()) (driver.Rows, error) {
	r, err := asDriver[sqliteRows](rows, "rows")
	if err != nil {
		release()
		return nil, err
	}
	return &turnRows{sqliteRows: r, release: release}, nil
}

// writeWord finds a statement word that writes.
var writeWord = regexp.MustCompile(`(?i)\b(INSERT|UPDATE|DELETE|REPLACE)\b`)

// writes reports whether a statement run outside a transaction may write:
// everything but SELECT, VALUES, EXPLAIN and PRAGMA, and a WITH whose text
// names no INSERT, UPDATE, DELETE or REPLACE.
func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	for {
		if rest, ok := strings.CutPrefix(q, "--"); ok {
			_, q, _ = strings.Cut(rest, "\n")
		} else if rest, ok := strings.CutPrefix(q, "/*"); ok {
			_, q, _ = strings.Cut(rest, "*/")
		} else {
			break
		}
		q = strings.TrimLeft(q, " \t\r\n(")
	}
	word := q
	if i := strings.IndexAny(q, " \t\r\n("); i >= 0 {
		word = q[:i]
	}
	switch strings.ToUpper(word) {
	case "SELECT", "VALUES", "EXPLAIN", "PRAGMA":
		return false
	case "WITH":
		return writeWord.MatchString(q)
	}
	return true
}
