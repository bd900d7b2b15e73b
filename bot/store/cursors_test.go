package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestDiscordCursorsAreSavedAndReplaced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if got, err := db.DiscordCursors(ctx); err != nil || len(got) != 0 {
			t.Fatalf("cursors of a new database = %v, %v; want none", got, err)
		}
		if err := db.SaveDiscordCursors(ctx, t0, map[string]string{"c1": "100", "c2": "200"}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveDiscordCursors(ctx, t0, map[string]string{"c1": "150"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.DiscordCursors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"c1": "150", "c2": "200"}, got); diff != "" {
			t.Errorf("cursors (-want +got):\n%s", diff)
		}
	})
}
