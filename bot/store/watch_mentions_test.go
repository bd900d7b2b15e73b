package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestMentionsAreOnePerCanonicalURL(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var first, again store.Mention
		err := db.InTx(ctx, func(tx *store.Tx) error {
			first = store.Mention{URLHash: "h1", URL: "https://example.com/a", StoryHash: "s1", Source: "feeds", Query: "brand", Title: "Acme"}
			created, err := tx.CreateMention(ctx, t0, &first)
			if err != nil || !created || first.ID == 0 {
				t.Fatalf("CreateMention = %v, %v (id %d); want created", created, err, first.ID)
			}
			again = store.Mention{URLHash: "h1", URL: "https://example.com/a", Source: "hn", Query: "brand"}
			created, err = tx.CreateMention(ctx, t0, &again)
			if err != nil || created {
				t.Fatalf("CreateMention of the same URL = %v, %v; want not created", created, err)
			}
			first.ChannelID, first.OutboxKey = "C1", "watch:1"
			return tx.SaveMention(ctx, t0, &first)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			root, err := tx.StoryPost(ctx, "s1", "brand", "C1", 0)
			if err != nil || root == nil || root.ID != first.ID {
				t.Errorf("StoryPost = %+v, %v; want mention %d", root, err, first.ID)
			}
			if root, _ := tx.StoryPost(ctx, "s1", "other", "C1", 0); root != nil {
				t.Errorf("StoryPost of another query = %+v, want nil", root)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.Mention(ctx, first.ID)
		if err != nil || m.Title != "Acme" || m.Status != store.MentionNew || m.OutboxKey != "watch:1" || !m.CreatedAt.Equal(t0) {
			t.Errorf("Mention = %+v, %v", m, err)
		}
		// pruning
		if n, err := db.PruneMentions(ctx, t0.Add(time.Hour), 100); err != nil || n != 1 {
			t.Errorf("PruneMentions = %d, %v; want 1", n, err)
		}
		if _, err := db.Mention(ctx, first.ID); err == nil {
			t.Errorf("the pruned mention is still there")
		}
	})
}

func TestMutesAreKeptPerQueryAndCountWhatTheyDrop(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			m := store.Mute{Query: "brand", Kind: store.MuteAuthor, Value: "spammer", CreatedBy: "carol"}
			if added, err := tx.AddMute(ctx, t0, &m); err != nil || !added {
				t.Fatalf("AddMute = %v, %v", added, err)
			}
			dup := store.Mute{Query: "brand", Kind: store.MuteAuthor, Value: "spammer"}
			if added, err := tx.AddMute(ctx, t0, &dup); err != nil || added || dup.ID != m.ID {
				t.Fatalf("AddMute again = %v, %v (id %d), want the same mute %d", added, err, dup.ID, m.ID)
			}
			other := store.Mute{Query: "other", Kind: store.MuteAuthor, Value: "spammer"}
			if added, err := tx.AddMute(ctx, t0, &other); err != nil || !added {
				t.Fatalf("AddMute on another query = %v, %v", added, err)
			}
			return tx.CountDropped(ctx, m.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		mutes, err := db.Mutes(ctx)
		if err != nil || len(mutes) != 2 || mutes[0].Query != "brand" || mutes[0].Dropped != 1 || mutes[1].Dropped != 0 {
			t.Fatalf("Mutes = %+v, %v", mutes, err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.LiftMute(ctx, mutes[0].ID); err != nil {
				return err
			}
			left, err := tx.QueryMutes(ctx, "brand")
			if err != nil || len(left) != 0 {
				t.Errorf("QueryMutes after lifting = %+v, %v", left, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
