package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// prepared is how many statements the server holds prepared for the
// connection whose text contains marker.
func prepared(t *testing.T, ctx context.Context, c *sqlx.Conn, marker string) int {
	t.Helper()
	var n int
	if err := c.GetContext(ctx, &n, `SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%' AND statement NOT LIKE '%pg_prepared_statements%'`, marker); err != nil {
		t.Fatal(err)
	}
	return n
}

// pgConn is one connection of a fresh Postgres database's pool, closed
// when the test ends.
func pgConn(t *testing.T) *sqlx.Conn {
	t.Helper()
	conn, err := storetest.Open(t, store.Postgres).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestAPostgresConnectionPreparesAStatementOnceAndReusesIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgConn(t)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE cache_probe (id BIGINT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := conn.ExecContext(ctx, `INSERT INTO cache_probe (id, name) VALUES ($1, $2) /* probe-insert */`, i, fmt.Sprint("n", i)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for range 3 {
		names = nil
		if err := conn.SelectContext(ctx, &names, `SELECT name FROM cache_probe WHERE id < $1 /* probe-select */ ORDER BY id`, 3); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(names, ",") != "n0,n1,n2" {
		t.Errorf("read %v through the prepared statement", names)
	}
	if n := prepared(t, ctx, conn, "probe-insert"); n != 1 {
		t.Errorf("five inserts left %d prepared statements, want 1", n)
	}
	if n := prepared(t, ctx, conn, "probe-select"); n != 1 {
		t.Errorf("three selects left %d prepared statements, want 1", n)
	}
	// Without parameters a statement goes as a simple query, several at once.
	if _, err := conn.ExecContext(ctx, `UPDATE cache_probe SET name = 'x' WHERE id = 0 /* probe-simple */; UPDATE cache_probe SET name = 'y' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if n := prepared(t, ctx, conn, "probe-simple"); n != 0 {
		t.Errorf("a query without parameters was prepared (%d)", n)
	}

	// A change of the table that changes a cached statement's result fails
	// that run, as Postgres says, and the next one prepares it anew.
	if _, err := conn.ExecContext(ctx, `ALTER TABLE cache_probe ADD COLUMN extra TEXT NOT NULL DEFAULT 'e'`); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	star := `SELECT * FROM cache_probe WHERE id = $1 /* probe-star */`
	if err := selectMaps(ctx, conn, &rows, star, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `ALTER TABLE cache_probe DROP COLUMN extra`); err != nil {
		t.Fatal(err)
	}
	_ = selectMaps(ctx, conn, &rows, star, 2) // may fail: the plan's result changed
	if err := selectMaps(ctx, conn, &rows, star, 2); err != nil {
		t.Fatalf("after the table changed, the statement was not prepared again: %v", err)
	}
	if len(rows) != 1 || len(rows[0]) != 2 {
		t.Errorf("SELECT * after the column went: %v", rows)
	}
}

// selectMaps reads q's rows as maps of column to value.
func selectMaps(ctx context.Context, conn *sqlx.Conn, out *[]map[string]any, q string, args ...any) error {
	rows, err := conn.QueryxContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	*out = nil
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			return err
		}
		*out = append(*out, m)
	}
	return rows.Err()
}

func TestAQueryWhileAnothersRowsAreOpenIsRefusedNotInterleaved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgConn(t)
	rows, err := conn.QueryxContext(ctx, `SELECT g FROM generate_series(1, $1::int) AS g`, 3)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.GetContext(ctx, &n, `SELECT $1::int + 1`, 1); err == nil || !strings.Contains(err.Error(), "already a query being processed") {
		t.Errorf("a query while rows were open: %v", err)
	}
	var got []int
	for rows.Next() {
		var g int
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("the open rows read %v", got)
	}
	if err := conn.GetContext(ctx, &n, `SELECT $1::int + 1`, 1); err != nil || n != 2 {
		t.Errorf("once the rows were closed: %d, %v", n, err)
	}
}

func TestPastTheCacheStatementsRunUnprepared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgConn(t)
	for i := range 300 {
		var n int
		if err := conn.GetContext(ctx, &n, fmt.Sprintf(`SELECT $1::int + %d /* probe-many */`, i), 1); err != nil || n != 1+i {
			t.Fatalf("statement %d: %d, %v", i, n, err)
		}
	}
	if n := prepared(t, ctx, conn, "probe-many"); n != 256 {
		t.Errorf("%d statements prepared, want the cap of 256", n)
	}
}
