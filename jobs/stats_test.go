package jobs_test

import (
	"context"
	"testing"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/jobs"
)

func TestFoldStatsJobAddsAppendedMessagesToTheRollUps(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, author := range []string{"u-alice", "u-bob", "u-alice"} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.RecordMessage(ctx, t0, store.MessageStat{GuildID: "g1", ChannelID: "c1", AuthorID: author, Day: "2026-11-23"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		job := jobs.FoldStats(db)
		if n, err := job.Run(ctx, t0); n != 3 || err != nil {
			t.Fatalf("fold = %d, %v; want the 3 messages", n, err)
		}
		if n, err := job.Run(ctx, t0); n != 0 || err != nil {
			t.Fatalf("second fold = %d, %v; want nothing left", n, err)
		}
		cs, _, _, err := db.DailyStats(ctx, "2026-11-23", "2026-11-23")
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Messages != 3 || cs[0].Authors != 2 {
			t.Errorf("channel days = %+v, want 3 messages from 2 authors", cs)
		}
	})
}
