package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func item(source string) *store.FeedbackItem {
	return &store.FeedbackItem{
		SourceKey: source, Source: "discord", Intake: "channel", ChannelID: "1100", ChannelName: "feedback",
		MessageID: "42", AuthorID: "7", AuthorName: "alice", Text: "the export button crashes",
		Tags: store.Strings{"bug"}, Sentiment: "negative", SentimentScore: -0.6, SentimentReasons: "crashes",
	}
}

func create(t *testing.T, db *store.DB, it *store.FeedbackItem, at time.Time) bool {
	t.Helper()
	var created bool
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		created, err = tx.CreateFeedback(context.Background(), at, it)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func TestTheSameSourceMessageIsOneFeedbackItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		first := item("discord:1100:42")
		if !create(t, db, first, t0) || first.ID == 0 {
			t.Fatalf("first create: id %d", first.ID)
		}
		again := item("discord:1100:42")
		again.Intake = "flag"
		if create(t, db, again, t0.Add(time.Minute)) {
			t.Fatal("second create of the same source reported created")
		}
		if again.ID != first.ID || again.Intake != "channel" || !again.CreatedAt.Equal(t0) {
			t.Errorf("duplicate create left %+v, want the stored item %d", again, first.ID)
		}
		got, err := db.Feedback(context.Background(), first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Text != "the export button crashes" || len(got.Tags) != 1 || got.Tags[0] != "bug" || got.Status != store.FeedbackOpen || got.SentimentScore != -0.6 {
			t.Errorf("stored item = %+v", got)
		}
		if _, err := db.Feedback(context.Background(), 999); bot.ErrorCode(err) != bot.ENotFound || bot.ErrorMessage(err) != "There is no feedback item 999. /liaison feedback list shows the open ones." {
			t.Errorf("unknown id: %v", err)
		}
	})
}

func TestVotesCountOncePerPerson(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it := item("discord:1100:43")
		create(t, db, it, t0)
		var wg sync.WaitGroup
		for _, voter := range []string{"discord:1", "discord:1", "slack:U1", "discord:1", "slack:U1", "discord:2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.AddVote(ctx, t0, it.ID, voter); return err }); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, _ := db.Feedback(ctx, it.ID)
		if got.Votes != 3 {
			t.Errorf("votes = %d, want 3 distinct voters", got.Votes)
		}
		var removed bool
		db.InTx(ctx, func(tx *store.Tx) (err error) { removed, err = tx.RemoveVote(ctx, t0, it.ID, "discord:2"); return err })
		db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.RemoveVote(ctx, t0, it.ID, "discord:9"); return err })
		got, _ = db.Feedback(ctx, it.ID)
		if !removed || got.Votes != 2 {
			t.Errorf("after removing one vote (and a vote never cast): votes = %d, removed %v", got.Votes, removed)
		}
	})
}

func TestRelaysAreFoundByTheirSentMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it := item("discord:1100:44")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateFeedback(ctx, t0, it); err != nil {
				return err
			}
			for _, dest := range []string{"product", "product", "marketing"} {
				key := "relay:" + dest
				if _, err := tx.Enqueue(ctx, t0, &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost}); err != nil {
					return err
				}
				if err := tx.AddRelay(ctx, it.ID, dest, "bugs", key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := db.ClaimOutbox(ctx, "t", t0, 10)
		var outcomes []store.OutboxOutcome
		for i, m := range msgs {
			outcomes = append(outcomes, store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts, State: store.OutboxSent,
				Result: bot.SendResult{PlatformID: []string{"111.1", "222.2"}[i], Channel: "C-" + m.Key}})
		}
		if err := db.FinishOutbox(ctx, t0, outcomes); err != nil {
			t.Fatal(err)
		}
		var relays []store.Relay
		var found *store.FeedbackItem
		err = db.InTx(ctx, func(tx *store.Tx) (err error) {
			if relays, err = tx.Relays(ctx, it.ID); err != nil {
				return err
			}
			found, err = tx.FeedbackByRelay(ctx, relays[0].ChannelID, relays[0].MessageID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(relays) != 2 || relays[0].Destination != "marketing" || relays[0].MessageID == "" || relays[1].Route != "bugs" {
			t.Errorf("relays = %+v, want marketing and product, each once, with their sent ids", relays)
		}
		if found.ID != it.ID {
			t.Errorf("FeedbackByRelay = %d, want %d", found.ID, it.ID)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.FeedbackByRelay(ctx, "C-x", "1.1"); return err })
		if bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("unknown relay: %v", err)
		}
	})
}

func TestSaveFeedbackAndListByStatusPersonTagAndTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b, c := item("s:a"), item("s:b"), item("s:c")
		b.Tags = store.Strings{"praise"}
		create(t, db, a, t0)
		create(t, db, b, t0.Add(time.Hour))
		create(t, db, c, t0.Add(2*time.Hour))
		closed := t0.Add(3 * time.Hour)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			it, err := tx.Feedback(ctx, c.ID)
			if err != nil {
				return err
			}
			it.Status, it.HandledBy, it.CloseReason, it.ClosedAt = store.FeedbackClosed, "carol", "fixed in 2.3", &closed
			if err := tx.SaveFeedback(ctx, closed, it); err != nil {
				return err
			}
			return tx.LogFeedback(ctx, closed, it.ID, "carol", "closed", "fixed in 2.3")
		})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(f store.FeedbackFilter) []int64 {
			items, err := db.ListFeedback(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		check := func(name string, got []int64, want ...int64) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s = %v, want %v", name, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
		}
		check("open", ids(store.FeedbackFilter{Statuses: []string{store.FeedbackOpen}}), b.ID, a.ID)
		check("carol's", ids(store.FeedbackFilter{Person: "carol"}), c.ID)
		check("tag:praise", ids(store.FeedbackFilter{Tag: "praise"}), b.ID)
		check("since +1h", ids(store.FeedbackFilter{Since: t0.Add(time.Hour)}), c.ID, b.ID)
		check("limit 1", ids(store.FeedbackFilter{Limit: 1}), c.ID)
		got, _ := db.Feedback(ctx, c.ID)
		if got.ClosedAt == nil || !got.ClosedAt.Equal(closed) || got.CloseReason != "fixed in 2.3" {
			t.Errorf("saved = %+v", got)
		}
		h, err := db.FeedbackHistory(ctx, c.ID)
		if err != nil || len(h) != 1 || h[0].Actor != "carol" || h[0].Action != "closed" || !h[0].CreatedAt.Equal(closed) {
			t.Errorf("history = %+v, %v", h, err)
		}
	})
}
