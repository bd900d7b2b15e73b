package store_test

import (
	"context"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// An item has one board post, whatever asks for it twice; its edits are
// numbered after it and each waits for the one before; a vote on the post
// finds the item by the post's thread once Discord has it.
func TestABoardPostIsOpenedOnceAndEditedInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it := item("discord:1100:42")
		create(t, db, it, t0)
		open := func(shown string) (opened bool) {
			t.Helper()
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				opened, err = tx.OpenBoardPost(ctx, t0, it.ID, "1106", shown, &bot.OutboxMessage{Key: "board:1", Platform: bot.PlatformDiscord, Kind: bot.KindForumPost,
					Payload: bot.Payload(bot.ForumPost{ChannelID: "1106"})})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return opened
		}
		if !open("a") || open("b") {
			t.Fatal("want the first open to open the post and the second to change nothing")
		}
		var p *store.BoardPost
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			if p, err = tx.BoardPost(ctx, it.ID); err != nil {
				return err
			}
			for _, shown := range []string{"b", "c"} {
				m := &bot.OutboxMessage{Key: p.NextEditKey(), Platform: bot.PlatformDiscord, Kind: bot.KindForumUpdate, ParentKey: p.LastKey(),
					Payload: bot.Payload(bot.ForumPost{ChannelID: "1106"})}
				if err := tx.EditBoardPost(ctx, t0, p, shown, m); err != nil {
					return err
				}
			}
			_, err = tx.NotePlatformID(ctx, t0, "board:1", "1500", "1500")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := db.OutboxEntries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range entries {
			keys = append(keys, e.Key)
		}
		if len(keys) != 3 || keys[0] != "board:1" || keys[1] != "board:1:edit:1" || keys[2] != "board:1:edit:2" {
			t.Errorf("outbox keys = %v, want the post and its two edits", keys)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.BoardPost(ctx, it.ID)
			if err != nil {
				return err
			}
			if p.Edits != 2 || p.Shown != "c" || p.ThreadID != "1500" || p.LastKey() != "board:1:edit:2" {
				t.Errorf("board post = %+v", p)
			}
			got, err := tx.FeedbackByBoardPost(ctx, "1500")
			if err != nil || got.ID != it.ID {
				t.Errorf("FeedbackByBoardPost(1500) = %v, %v; want item %d", got, err, it.ID)
			}
			if _, err := tx.FeedbackByBoardPost(ctx, "42"); bot.ErrorCode(err) != bot.ENotFound {
				t.Errorf("FeedbackByBoardPost(42) = %v, want not found", err)
			}
			none, err := tx.BoardPost(ctx, 999)
			if none != nil || err != nil {
				t.Errorf("BoardPost(999) = %+v, %v; want none", none, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
