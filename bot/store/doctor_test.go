package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestProbeLockSaysWhoHoldsTheSQLiteLockWithoutTakingIt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "liaison.db")
	if st, err := store.ProbeLock(path); err != nil || st.Held {
		t.Fatalf("ProbeLock of a database never opened = %+v, %v; want free", st, err)
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("ProbeLock created %s.lock (%v)", path, err)
	}
	db, err := store.Open(context.Background(), "sqlite:"+path, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.ProbeLock(path)
	if err != nil || !st.Held || st.PID != os.Getpid() || st.Path != path+".lock" {
		t.Errorf("ProbeLock while open = %+v, %v; want held by pid %d", st, err, os.Getpid())
	}
	// Probing did not take the lock away from its holder.
	if _, err := store.Open(context.Background(), "sqlite:"+path, store.Options{Exclusive: true}); err == nil || !strings.Contains(err.Error(), "is in use") {
		t.Errorf("a second exclusive Open after probing = %v, want in use", err)
	}
	db.Close()
	if st, err := store.ProbeLock(path); err != nil || st.Held {
		t.Errorf("ProbeLock after Close = %+v, %v; want free", st, err)
	}
}

func TestSQLiteFileResolvesTheURLAsOpenDoes(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	for _, tt := range []struct {
		url, want string
		ok        bool
	}{
		{"", filepath.Join(wd, store.DefaultSQLitePath), true},
		{"sqlite:data/x.db", filepath.Join(wd, "data/x.db"), true},
		{"sqlite:///var/lib/liaison.db", "/var/lib/liaison.db", true},
		{"postgres://u@h/db", "", false},
	} {
		got, ok, err := store.SQLiteFile(tt.url)
		if err != nil || got != tt.want || ok != tt.ok {
			t.Errorf("SQLiteFile(%q) = %q, %v, %v; want %q, %v", tt.url, got, ok, err, tt.want, tt.ok)
		}
	}
	if _, _, err := store.SQLiteFile("sqlite::memory:"); err == nil {
		t.Error("SQLiteFile accepted an in-memory database")
	}
}

func TestServerReportsVersionAndConnectionBudget(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, err := db.Server(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Version == "" || !strings.Contains(f.Version, ".") {
			t.Errorf("Version = %q, want a dotted version", f.Version)
		}
		if db.Dialect() == store.Postgres && (f.MaxConnections < 1 || f.InUse < 1 || f.Reserved < 0 || f.InUse > f.MaxConnections) {
			t.Errorf("Postgres facts = %+v, want max_connections ≥ 1 and at least this connection in use", f)
		}
	})
}
