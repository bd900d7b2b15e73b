package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
)

// TestSQLiteWritersWaitTheirTurnInsteadOfFailingLocked: SQLite's busy
// timeout is set to 50 ms here, so a writer left to SQLite's polling fails
// with "database is locked" after 50 ms behind a transaction that takes
// longer. Liaison's writers queue for their turn instead, and readers do
// not wait at all.
func TestSQLiteWritersWaitTheirTurnInsteadOfFailingLocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "liaison.db")
	db, err := store.Open(ctx, url, store.WithBusyTimeout(store.Options{Group: store.GroupOptions{Off: true}}, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, `CREATE TABLE turns (who TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}

	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.Exec(ctx, `INSERT INTO turns (who) VALUES ('first')`); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding

	// A read goes on while the transaction holds the write lock.
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM turns`); err != nil || n != 0 {
		t.Fatalf("a read during the transaction: %d, %v", n, err)
	}
	// A transaction and a statement outside one wait, past the busy timeout.
	waiting := make(chan error, 2)
	go func() {
		waiting <- db.InTx(ctx, func(tx *store.Tx) error { return tx.Exec(ctx, `INSERT INTO turns (who) VALUES ('second')`) })
	}()
	go func() { waiting <- db.Exec(ctx, `INSERT INTO turns (who) VALUES ('third')`) }()
	select {
	case err := <-waiting:
		t.Fatalf("a writer did not wait for the transaction to end: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-waiting; err != nil {
			t.Errorf("a writer that waited failed: %v", err)
		}
	}
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM turns`); err != nil || n != 3 {
		t.Errorf("%d rows, want 3 (%v)", n, err)
	}
}
