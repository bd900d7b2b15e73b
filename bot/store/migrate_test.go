package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestMigrateUpOnEmptyDatabaseThenIdempotent(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.OpenURL(t, storetest.URL(t, dialect), store.Options{})
			if err := db.Ready(ctx); err == nil || !strings.Contains(err.Error(), "pending migrations") {
				t.Fatalf("Ready before migrating = %v, want a pending-migrations error", err)
			}
			n, err := db.Migrate(ctx)
			if err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if n == 0 {
				t.Fatalf("Migrate on an empty database applied nothing")
			}
			again, err := db.Migrate(ctx)
			if err != nil || again != 0 {
				t.Fatalf("second Migrate = %d, %v; want 0, nil", again, err)
			}
			if err := db.Ready(ctx); err != nil {
				t.Fatalf("Ready after migrating: %v", err)
			}
			st, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st {
				if !s.Applied {
					t.Errorf("migration %d %s not applied", s.Version, s.Name)
				}
			}
			tables, err := db.Tables(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"members", "feedback_items", "feedback_votes", "drafts", "approvals",
				"mod_cases", "outbox", "inbound_events", "job_runs", "leases", "stats_channel_daily"} {
				if len(tables[want]) == 0 {
					t.Errorf("table %s missing after migrate; have %v", want, keys(tables))
				}
			}
		})
	}
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBothDialectsHaveTheSameTablesAndColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lite, err := storetest.Open(t, store.SQLite).Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := storetest.Open(t, store.Postgres).Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pg, lite); diff != "" {
		t.Errorf("SQLite schema differs from Postgres (-postgres +sqlite):\n%s", diff)
	}
}

func TestConcurrentMigrateOnPostgresIsSafe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := storetest.URL(t, store.Postgres)
	const n = 4
	var wg sync.WaitGroup
	applied := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		db := storetest.OpenURL(t, u, store.Options{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	st, err := storetest.OpenURL(t, u, store.Options{}).MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(st) {
		t.Errorf("%d migrators applied %d migrations in all, want each of the %d applied exactly once", n, total, len(st))
	}
}

func TestSecondExclusiveOpenOfOneSQLiteFileIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := storetest.URL(t, store.SQLite)
	first := storetest.OpenURL(t, u, store.Options{Exclusive: true})
	_, err := store.Open(ctx, u, store.Options{Exclusive: true})
	if err == nil {
		t.Fatal("second exclusive Open succeeded, want it refused")
	}
	for _, want := range []string{"in use by another Liaison process", "one Liaison process at a time"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	first.Close()
	again, err := store.Open(ctx, u, store.Options{Exclusive: true})
	if err != nil {
		t.Fatalf("Open after the first process closed: %v", err)
	}
	again.Close()
}

func TestOpenRefusesUnknownURLsWithAClearMessage(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"mysql://x", "sqlite::memory:"} {
		_, err := store.Open(context.Background(), u, store.Options{})
		if err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
		}
	}
}
