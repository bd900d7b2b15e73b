package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/lib/pq"
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
type stmtCacheConnector struct{ driver.Connector }

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtCacheConn(conn)
}

// pqConn is what database/sql uses of a lib/pq connection.
type pqConn interface {
	driverConn
	driver.NamedValueChecker
}

func newStmtCacheConn(c driver.Conn) (driver.Conn, error) {
	pc, err := asDriver[pqConn](c, "connection")
	if err != nil {
		return nil, err
	}
	return &stmtCacheConn{pqConn: pc, stmts: map[string]driver.Stmt{}}, nil
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
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return
	}
	switch pqErr.Code {
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
	if err := c.flushPending(ctx, query); err != nil {
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
	if err := c.flushPending(ctx, query); err != nil {
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

// flushPending writes the intake put off on this connection, if any,
// before query runs: unless query is the drawing of item ids or the
// choice of an item's look-alike, which the next items of the batch need
// and which read nothing it writes (run every few items, they would cut
// the batch short each time).
func (c *stmtCacheConn) flushPending(ctx context.Context, query string) error {
	if c.pending == nil || query == feedbackIDsQuery || query == firstOpenLike {
		return nil
	}
	return c.pending.flushConn(ctx, c)
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
