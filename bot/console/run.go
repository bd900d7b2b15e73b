package console

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// runRecorder is implemented by *store.DB.
type runRecorder interface {
	FirstSeen(ctx context.Context, now time.Time, kind, key string) (bool, error)
}

// ClaimRun returns the number of this console run on db: 1 on a new
// database, then 2, 3… It records the run among the inbound identities
// (kind "console_run"), so two consoles never get the same number, and the
// console folds it into the ids it makes up: a second run on the same
// database, even at the same --now, never repeats a message id that Liaison
// would take for a redelivery.
func ClaimRun(ctx context.Context, db runRecorder, now time.Time) (int, error) {
	for n := 1; n < 1_000_000; n++ {
		first, err := db.FirstSeen(ctx, now, "console_run", strconv.Itoa(n))
		if err != nil {
			return 0, fmt.Errorf("number this console run: %w", err)
		}
		if first {
			return n, nil
		}
	}
	return 0, fmt.Errorf("number this console run: a million runs on one database; start a new one with --db")
}
