package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"
)

// Postgres parses, analyses and plans every statement sent unnamed, which
// is how lib/pq sends a query with parameters: for the short statements
// of intake (an item, its terms, its relay) that work was about half of
// the server's time per statement, more than running them. Each
// connection therefore prepares a statement the first time it runs it and
// afterwards only binds and executes it, as pgx's statement cache does;
// Postgres also keeps a generic plan for a statement once it has seen that
// planning it anew does not pay.
//
// The cache wraps lib/pq's connections, so every statement benefits
// (transactions, group commit, reads) without call sites changing. A query
// without parameters goes through unchanged: lib/pq sends it as a simple
// query, which may hold several statements. A connection caches at most
// stmtCacheSize statements and never evicts: closing a statement needs the
// connection, which may be reading another's rows, and the statements that
// matter are the frequent ones, met early. Texts past the cap (a VALUES
// list of an unusual length) run unnamed, as before.
const stmtCacheSize = 256

// stmtCacheConnector opens lib/pq connections that cache their statements.
type stmtCacheConnector struct {
	driver.Connector
	alone  *atomic.Int64 // counts lazyTx's commits without a BEGIN
	binary bool          // lib/pq sends parameters in binary (binary_parameters)
}

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtCacheConn(conn, c.alone, c.binary)
}

// pqConn is what database/sql uses of a lib/pq connection.
type pqConn interface {
	driverConn
	driver.NamedValueChecker
}

func newStmtCacheConn(c driver.Conn, alone *atomic.Int64, binary bool) (driver.Conn, error) {
	pc, err := asDriver[pqConn](c, "connection")
	if err != nil {
		return nil, err
	}
	if alone == nil {
		alone = new(atomic.Int64)
	}
	return &stmtCacheConn{pqConn: pc, stmts: map[string]driver.Stmt{}, alone: alone, binary: binary}, nil
}

// stmtCacheConn is a lib/pq connection with its prepared statements. Like
// any driver connection it is used by one goroutine at a time.
type stmtCacheConn struct {
	pqConn
	stmts map[string]driver.Stmt
	// reading is set while rows of this connection are open: lib/pq
	// refuses a query sent before they are read, but not a prepared
	// statement's, whose messages would interleave with the rows'.
	reading bool
	// pending is the intake its group put off (intake_batch.go), while a
	// group runs on this connection: written before any other statement.
	pending *intakeBatch
	// lazy is a group's transaction whose BEGIN is put off (BeginTx): nil
	// once it is sent, and when there is none.
	lazy  *lazyTx
	alone *atomic.Int64 // its database's count of groups committed without a BEGIN
	// binary is set when lib/pq sends this connection's parameters in
	// binary: a []byte parameter is then taken as the value's binary form
	// (binaryTextArray).
	binary bool
}

// errQueryInProgress is lib/pq's answer to a query sent while another's
// rows are still being read.
var errQueryInProgress = errors.New("pq: there is already a query being processed")

// prepared returns query's statement on this connection, preparing it the
// first time; nil when query is not to be cached.
func (c *stmtCacheConn) prepared(ctx context.Context, query string, args []driver.NamedValue) (driver.Stmt, error) {
	if len(args) == 0 || isCopy(query) {
		return nil, nil
	}
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		return nil, nil
	}
	st, err := c.pqConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// forget drops query's statement after an error that says the server no
// longer holds it as prepared (a schema change altered its result, or a
// DISCARD): the next run prepares it again.
func (c *stmtCacheConn) forget(query string, err error) {
	switch pqCode(err) {
	case "0A000", "26000": // feature_not_supported (cached plan must not change result type), invalid_sql_statement_name
		if st, ok := c.stmts[query]; ok {
			delete(c.stmts, query)
			_ = st.Close()
		}
	}
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.reading {
		return nil, errQueryInProgress
	}
	if err := c.beforeStatement(ctx, query); err != nil {
		return nil, err
	}
	st, err := c.prepared(ctx, query, args)
	if err != nil {
		return nil, err
	}
	var rows driver.Rows
	if st == nil {
		rows, err = c.pqConn.QueryContext(ctx, query, args)
	} else if rows, err = st.(driver.StmtQueryContext).QueryContext(ctx, args); err != nil {
		c.forget(query, err)
	}
	if err != nil {
		return nil, err
	}
	r, err := asDriver[pqRows](rows, "rows")
	if err != nil {
		return nil, err
	}
	c.reading = true
	return &cachedRows{pqRows: r, conn: c}, nil
}

// pqRows is what database/sql uses of lib/pq's rows.
type pqRows interface {
	typedRows
	driver.RowsNextResultSet
}

// cachedRows are a connection's open rows: closing them frees it.
type cachedRows struct {
	pqRows
	conn *stmtCacheConn
}

func (r *cachedRows) Close() error {
	r.conn.reading = false
	return r.pqRows.Close()
}

func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.reading {
		return nil, errQueryInProgress
	}
	if err := c.beforeStatement(ctx, query); err != nil {
		return nil, err
	}
	st, err := c.prepared(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
	if err != nil {
		c.forget(query, err)
	}
	return res, err
}

// beforeStatement readies the connection for query in a group: it sends
// the group's BEGIN if it was put off, then writes the intake put off, if
// any. Neither is done for the drawing of item ids or the choice of an
// item's look-alike, which the next items of the batch need and which
// read nothing it writes (run every few items, they would cut the batch
// short each time). Both are the same in the transaction or out of it: a
// sequence is never rolled back, and the choice reads committed items
// only, which each statement of a READ COMMITTED transaction sees afresh.
func (c *stmtCacheConn) beforeStatement(ctx context.Context, query string) error {
	if query == feedbackIDsQuery || query == firstOpenLike {
		return nil
	}
	if err := c.begin(); err != nil {
		return err
	}
	if c.pending == nil {
		return nil
	}
	return c.pending.flushConn(ctx, c)
}

// A group's transaction on Postgres begins lazily. Its BEGIN and COMMIT
// were two of the group's round trips, and a group that only takes in
// feedback (its items' inbound keys and intake put off, intake_batch.go)
// writes everything in one statement at its commit: that statement then
// runs alone, in the transaction Postgres gives every statement sent
// outside one, committed as it ends, atomic and durable as a COMMIT is.
// The BEGIN goes out before any other statement (beforeStatement), and
// before a statement is prepared for later use (COPY), so everything else
// the group does runs in its transaction as before.

// BeginTx begins a transaction. A group's (its intake batch on the
// connection) begins lazily; any other at once.
func (c *stmtCacheConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.pending == nil {
		return c.pqConn.BeginTx(ctx, opts)
	}
	c.lazy = &lazyTx{c: c, ctx: ctx, opts: opts}
	return c.lazy, nil
}

// begin sends the put-off BEGIN of the connection's transaction, if any.
func (c *stmtCacheConn) begin() error {
	t := c.lazy
	if t == nil || t.tx != nil {
		return nil
	}
	tx, err := c.pqConn.BeginTx(t.ctx, t.opts)
	if err != nil {
		return err
	}
	t.tx = tx
	return nil
}

func (c *stmtCacheConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.beforeStatement(ctx, query); err != nil {
		return nil, err
	}
	return c.pqConn.PrepareContext(ctx, query)
}

// lazyTx is a group's transaction, its BEGIN put off until a statement
// needs it (tx is then lib/pq's).
type lazyTx struct {
	c    *stmtCacheConn
	ctx  context.Context
	opts driver.TxOptions
	tx   driver.Tx
}

// Commit writes the intake put off and commits: in one statement, alone,
// when nothing needed the BEGIN.
func (t *lazyTx) Commit() error {
	c := t.c
	c.lazy = nil
	if t.tx == nil {
		if c.pending == nil {
			return nil
		}
		wrote := !c.pending.empty()
		if err := c.pending.flushConn(t.ctx, c); err != nil {
			return err
		}
		if wrote {
			c.alone.Add(1)
		}
		return nil
	}
	if c.pending != nil {
		if err := c.pending.flushConn(t.ctx, c); err != nil {
			_ = t.tx.Rollback()
			return err
		}
	}
	return t.tx.Commit()
}

// Rollback forgets the intake put off, and rolls back what was sent.
func (t *lazyTx) Rollback() error {
	c := t.c
	c.lazy = nil
	if c.pending != nil {
		c.pending.take(false)
	}
	if t.tx == nil {
		return nil
	}
	return t.tx.Rollback()
}

// Close closes the connection; its statements go with it on the server.
func (c *stmtCacheConn) Close() error {
	c.stmts = nil
	return c.pqConn.Close()
}

func isCopy(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) >= 4 && strings.EqualFold(q[:4], "copy")
}
