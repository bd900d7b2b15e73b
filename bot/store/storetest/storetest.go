// Package storetest gives tests a real, isolated, migrated database: a fresh
// SQLite file, and a fresh Postgres schema when LIAISON_TEST_DATABASE_URL is
// set. Every test runs against both, in parallel, and cleans up after itself.
//
// Without LIAISON_TEST_DATABASE_URL the Postgres variants skip with a message
// saying how to run them; with LIAISON_REQUIRE_POSTGRES=1 they fail instead,
// so CI can never skip them silently.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot/store"
)

// Environment variables read by this package.
const (
	EnvURL     = "LIAISON_TEST_DATABASE_URL"
	EnvRequire = "LIAISON_REQUIRE_POSTGRES"
)

const howTo = "Postgres tests skipped: set " + EnvURL + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them (CI sets " + EnvRequire + "=1 so they can never be skipped there)"

// Dialects returns the dialects to test: SQLite always, Postgres when
// configured.
func Dialects() []string { return []string{store.SQLite, store.Postgres} }

// Each runs fn as a parallel subtest for each dialect, with a fresh migrated
// database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated database of the given dialect, closed and
// dropped when the test ends.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db := OpenURL(t, URL(t, dialect), store.Options{})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// OpenURL opens the database at rawURL (from URL) without migrating it, and
// closes it when the test ends. Several handles on one URL behave like
// several processes sharing a database.
func OpenURL(t testing.TB, rawURL string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), rawURL, opts)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Replicas returns n handles on one fresh, migrated Postgres database, as n
// replicas of Liaison sharing it would have. Tests of several replicas run
// on Postgres only: SQLite is single-process.
func Replicas(t testing.TB, n int) []*store.DB {
	t.Helper()
	u := URL(t, store.Postgres)
	dbs := make([]*store.DB, n)
	for i := range dbs {
		dbs[i] = OpenURL(t, u, store.Options{})
	}
	if _, err := dbs[0].Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dbs
}

// URL returns the address of a fresh, empty database of the given dialect:
// a new SQLite file in the test's temporary directory, or a new Postgres
// schema (dropped at cleanup). It skips or fails the test when Postgres is
// not configured, as the package comment says.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case store.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "liaison.db")
	case store.Postgres:
		return postgresSchema(t)
	}
	t.Fatalf("unknown dialect %q", dialect)
	return ""
}

var (
	adminOnce sync.Once
	admin     *sqlx.DB
	adminErr  error
)

func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s is not set", EnvRequire, EnvURL)
		}
		t.Skip(howTo)
	}
	adminOnce.Do(func() {
		admin, adminErr = sqlx.Open("postgres", base)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("connect to %s: %v (is Postgres running?)", EnvURL, adminErr)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
