package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// A group's intake items are written together on Postgres (put off until
// the group's next statement), and the group holds as if each had been
// written at once: an item reads the items before it and its own; a
// message delivered again finds its item, made by an earlier group or
// earlier in this one, and enqueues nothing; an item that fails leaves
// nothing; every other item is stored with its relay and outbox message,
// once.
func TestAGroupsIntakeItemsReadAsIfWrittenAtOnce(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		errBad := errors.New("the handler failed")
		var like []store.Like // what the next item created looks like
		create := func(tx *store.Tx, source string) (bool, *store.FeedbackItem, error) {
			it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "message", Text: "the export crashes: " + source,
				Tags: store.Strings{"bug"}, Sentiment: "negative", SentimentScore: -0.5, CreatedAt: similarNow}
			created, err := tx.CreateFeedbackRelayed(ctx, similarNow, it, like, similarNow.Add(-48*time.Hour),
				func(it *store.FeedbackItem) ([]store.RelayOut, error) {
					text := fmt.Sprintf("#%d", it.ID)
					if it.SimilarTo != nil {
						text += fmt.Sprintf(", like #%d (%.1f)", *it.SimilarTo, it.SimilarScore)
					}
					return []store.RelayOut{{Destination: "product", Route: "bugs", Message: &bot.OutboxMessage{
						Key: fmt.Sprintf("relay:%d:product", it.ID), Platform: bot.PlatformSlack, Kind: bot.KindPost,
						Payload: json.RawMessage(fmt.Sprintf(`{"channel":"C1","text":%q}`, text))}}}, nil
				})
			return created, it, err
		}
		var before, shipped *store.FeedbackItem
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			if _, shipped, err = create(tx, "discord:c:shipped"); err != nil {
				return err
			}
			_, before, err = create(tx, "discord:c:before")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		change(t, db, func(it *store.FeedbackItem) { it.Status = store.FeedbackShipped }, shipped.ID)

		created := make([]bool, 10)
		items := make([]*store.FeedbackItem, 10)
		var read []string
		item := func(i int, source string, then func(tx *store.Tx) error) func(tx *store.Tx) error {
			return func(tx *store.Tx) (err error) {
				if created[i], items[i], err = create(tx, source); err != nil || then == nil {
					return err
				}
				return then(tx)
			}
		}
		// group runs fns as one group, which must run again wantReruns
		// times (-1: whatever).
		group := func(wantReruns int64, fns ...func(tx *store.Tx) error) []error {
			t.Helper()
			reruns := db.GroupReruns()
			errs, panics := oneGroup(t, db, fns...)
			for i, p := range panics {
				if p != nil {
					t.Fatalf("item %d panicked: %v", i, p)
				}
			}
			if got := db.GroupReruns() - reruns; wantReruns >= 0 && got != wantReruns {
				t.Errorf("the group ran again %d times, want %d", got, wantReruns)
			}
			return errs
		}

		// New items only: written together, and read back within the group.
		noErrors(t, group(0,
			item(0, "discord:c:a", nil),
			item(1, "discord:c:b", func(tx *store.Tx) error {
				for _, s := range []string{"discord:c:a", "discord:c:b"} {
					it, err := tx.FeedbackBySource(ctx, s)
					if err != nil {
						return err
					}
					read = append(read, fmt.Sprintf("%s #%d", it.Text, it.ID))
				}
				return nil
			}),
			func(tx *store.Tx) error {
				// It looks like a shipped item first, then an open one.
				like = []store.Like{{ID: shipped.ID, Score: 0.9}, {ID: before.ID, Score: 0.7}}
				defer func() { like = nil }()
				return item(2, "discord:c:c", nil)(tx)
			},
		))
		if want := []string{
			fmt.Sprintf("the export crashes: discord:c:a #%d", items[0].ID),
			fmt.Sprintf("the export crashes: discord:c:b #%d", items[1].ID),
		}; !slices.Equal(read, want) {
			t.Errorf("item 1 read %q, want %q", read, want)
		}

		// Messages delivered again, of an earlier group and of this one: on
		// Postgres the batch finds them and the group runs again, item by
		// item.
		rerun := int64(0)
		if db.Dialect() == store.Postgres {
			rerun = 1
		}
		noErrors(t, group(rerun,
			item(3, "discord:c:before", nil),
			item(4, "discord:c:a", nil),
			item(5, "discord:c:d", nil),
			item(6, "discord:c:d", nil),
		))
		if items[3].ID != before.ID || items[4].ID != items[0].ID || items[6].ID != items[5].ID {
			t.Errorf("messages delivered again hold #%d, #%d and #%d, want #%d, #%d and #%d",
				items[3].ID, items[4].ID, items[6].ID, before.ID, items[0].ID, items[5].ID)
		}

		// An item that fails leaves nothing; the others stand. (The
		// committer may be running its groups with savepoints already.)
		errs := group(-1,
			item(7, "discord:c:failing", func(*store.Tx) error { return errBad }),
			item(8, "discord:c:e", nil),
		)
		if !errors.Is(errs[0], errBad) || errs[1] != nil {
			t.Errorf("errors %v, want %v then none", errs, errBad)
		}
		if want := []bool{true, true, true, false, false, true, false, true, true}; !slices.Equal(created[:9], want) {
			t.Errorf("created %v, want %v", created[:9], want)
		}
		if got := items[2].SimilarTo; got == nil || *got != before.ID || items[2].SimilarScore != 0.7 {
			t.Errorf("item 2 looks like %v (%v), want #%d, the open one", got, items[2].SimilarScore, before.ID)
		}
		relay, err := db.OutboxByKey(ctx, fmt.Sprintf("relay:%d:product", items[2].ID))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"channel":"C1","text":"#%d, like #%d (0.7)"}`, items[2].ID, before.ID); string(relay.Payload) != want {
			t.Errorf("item 2's relay %s, want %s", relay.Payload, want)
		}
		for _, i := range []int{0, 1, 2, 5, 8} {
			got, err := db.Feedback(ctx, items[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SourceKey != items[i].SourceKey || got.Text != items[i].Text || !slices.Equal(got.Tags, store.Strings{"bug"}) ||
				fmt.Sprint(got.SimilarTo != nil) != fmt.Sprint(i == 2) ||
				got.Sentiment != "negative" || got.SentimentScore != -0.5 || got.Status != store.FeedbackOpen || !got.CreatedAt.Equal(similarNow) {
				t.Errorf("item %d stored as %+v", i, got)
			}
			var relays []store.Relay
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				relays, err = tx.Relays(ctx, items[i].ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if len(relays) != 1 || relays[0].OutboxKey != fmt.Sprintf("relay:%d:product", items[i].ID) || relays[0].Route != "bugs" {
				t.Errorf("item %d relays %+v", i, relays)
			}
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.FeedbackBySource(ctx, "discord:c:failing")
			return err
		}); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("the failing item's message: %v, want not found", err)
		}
		depth, err := db.OutboxDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if depth["pending"] != 7 { // shipped, before, a, b, c, d, e
			t.Errorf("outbox %v, want 7 pending", depth)
		}
	})
}

// A group that only takes in feedback through InTxFirstPure is one
// statement on Postgres, with no BEGIN or COMMIT of its own: the items'
// inbound keys, the items, their relays and outbox messages, all written
// at the commit or none. A key recorded before (a redelivery) fails that
// statement; the group runs again item by item and the redelivery is told
// it was not new. A group whose item also reads sends its BEGIN first,
// and reads its own writes. A group with an impure item (InTxFirst)
// records its keys ahead: a redelivery there runs nothing at all.
func TestAnIntakeGroupIsOneStatementAndRecordsItsKeys(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pg := db.Dialect() == store.Postgres
		firsts := map[string]bool{}
		var mu sync.Mutex
		runs := map[string]int{} // of an impure delivery's fn
		deliverAs := func(inTxFirst func(context.Context, time.Time, []bot.InboundKey, func(*store.Tx) error) (bool, error),
			source string, then func(tx *store.Tx) error) func() error {
			return func() error {
				first, err := inTxFirst(ctx, similarNow, []bot.InboundKey{{Kind: "test_message", Key: source}}, func(tx *store.Tx) error {
					it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "message", Text: "the export crashes: " + source,
						CreatedAt: similarNow}
					if _, err := tx.CreateFeedbackRelayed(ctx, similarNow, it, nil, similarNow.Add(-48*time.Hour),
						func(it *store.FeedbackItem) ([]store.RelayOut, error) {
							return []store.RelayOut{{Destination: "product", Route: "all", Message: &bot.OutboxMessage{
								Key: fmt.Sprintf("relay:%d:product", it.ID), Platform: bot.PlatformSlack, Kind: bot.KindPost,
								Payload: json.RawMessage(`{"channel":"C1","text":"an item"}`)}}}, nil
						}); err != nil {
						return err
					}
					if then != nil {
						return then(tx)
					}
					return nil
				})
				mu.Lock()
				firsts[source] = first
				mu.Unlock()
				return err
			}
		}
		deliver := func(source string, then func(tx *store.Tx) error) func() error {
			return deliverAs(db.InTxFirstPure, source, then)
		}
		impure := func(source string) func() error {
			return deliverAs(db.InTxFirst, source, func(*store.Tx) error {
				mu.Lock()
				runs[source]++
				mu.Unlock()
				return nil
			})
		}
		alone, reruns := db.GroupsAlone(), db.GroupReruns()
		noErrors(t, groupOfAll(t, db, deliver("m1", nil), deliver("m2", nil), deliver("m3", nil)))
		wantAlone := int64(0)
		if pg {
			wantAlone = 1
		}
		if got := db.GroupsAlone() - alone; got != wantAlone {
			t.Errorf("%d groups committed as one statement, want %d", got, wantAlone)
		}
		if got := db.GroupReruns() - reruns; got != 0 {
			t.Errorf("the group ran again %d times, want 0", got)
		}

		// An impure delivery (InTxFirst) in the group: the keys are
		// recorded ahead, and m3 again runs nothing, not even once.
		reruns = db.GroupReruns()
		noErrors(t, groupOfAll(t, db, impure("m3"), deliver("m6", nil), impure("m7")))
		if got := db.GroupReruns() - reruns; got != 0 {
			t.Errorf("the group ran again %d times, want 0: its keys were recorded ahead", got)
		}
		if want := map[string]int{"m7": 1}; !maps.Equal(runs, want) {
			t.Errorf("impure deliveries ran %v, want %v", runs, want)
		}

		// m2 again, among new messages: it runs nothing, the others stand.
		var read string
		alone, reruns = db.GroupsAlone(), db.GroupReruns()
		noErrors(t, groupOfAll(t, db, deliver("m4", nil), deliver("m2", nil), deliver("m5", func(tx *store.Tx) error {
			it, err := tx.FeedbackBySource(ctx, "m4")
			if err == nil {
				read = it.Text
			}
			return err
		})))
		if got := db.GroupsAlone() - alone; got != 0 {
			t.Errorf("%d groups committed as one statement, want none: m5 reads", got)
		}
		wantReruns := int64(0)
		if pg {
			wantReruns = 1
		}
		if got := db.GroupReruns() - reruns; got != wantReruns {
			t.Errorf("the group ran again %d times, want %d", got, wantReruns)
		}
		if read != "the export crashes: m4" {
			t.Errorf("m5 read %q of m4, want its text", read)
		}

		if want := map[string]bool{"m1": true, "m2": false, "m3": false, "m4": true, "m5": true, "m6": true, "m7": true}; !maps.Equal(firsts, want) {
			t.Errorf("first deliveries %v, want %v", firsts, want)
		}
		for _, source := range []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7"} {
			var keys, items, outbox int
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.Get(ctx, &keys, `SELECT COUNT(*) FROM inbound_events WHERE kind = 'test_message' AND key = ?`, source); err != nil {
					return err
				}
				if err := tx.Get(ctx, &items, `SELECT COUNT(*) FROM feedback_items WHERE source_key = ?`, source); err != nil {
					return err
				}
				return tx.Get(ctx, &outbox, `SELECT COUNT(*) FROM outbox o JOIN feedback_relays r ON r.outbox_key = o.key
					JOIN feedback_items f ON f.id = r.feedback_id WHERE f.source_key = ?`, source)
			}); err != nil {
				t.Fatal(err)
			}
			if keys != 1 || items != 1 || outbox != 1 {
				t.Errorf("%s: %d inbound keys, %d items, %d outbox messages; want one of each", source, keys, items, outbox)
			}
		}
	})
}

// noErrors fails the test for each call of a group that failed.
func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
}

// groupOfAll is groupOf, failing the test on a panic.
func groupOfAll(t *testing.T, db *store.DB, calls ...func() error) []error {
	t.Helper()
	errs, panics := groupOf(t, db, calls...)
	for i, p := range panics {
		if p != nil {
			t.Fatalf("call %d panicked: %v", i, p)
		}
	}
	return errs
}

// Intake may choose its look-alike before its transaction: FirstOpenLike
// reads the first of the list that is open and created since, marked
// Open, and a batched item (Postgres) takes a look-alike so marked as it
// is, without reading it again. On SQLite, where nothing is batched, the
// list is left as it is and the item's INSERT chooses.
func TestALookAlikeReadOpenBeforeTheTransactionIsTakenAsItIs(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pg := db.Dialect() == store.Postgres
		since := similarNow.Add(-48 * time.Hour)
		create := func(tx *store.Tx, source string, like []store.Like) (*store.FeedbackItem, error) {
			it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "message", Text: "the export crashes: " + source,
				CreatedAt: similarNow}
			_, err := tx.CreateFeedbackRelayed(ctx, similarNow, it, like, since,
				func(*store.FeedbackItem) ([]store.RelayOut, error) { return nil, nil })
			return it, err
		}
		var shipped, open *store.FeedbackItem
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			if shipped, err = create(tx, "discord:c:shipped", nil); err != nil {
				return err
			}
			open, err = create(tx, "discord:c:open", nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		change(t, db, func(it *store.FeedbackItem) { it.Status = store.FeedbackShipped }, shipped.ID)

		like := []store.Like{{ID: shipped.ID, Score: 0.9}, {ID: open.ID + 100, Score: 0.8}, {ID: open.ID, Score: 0.7}}
		got, err := db.FirstOpenLike(ctx, like, since)
		if err != nil {
			t.Fatal(err)
		}
		want := like
		if pg {
			want = []store.Like{{ID: open.ID, Score: 0.7, Open: true}}
		}
		if !slices.Equal(got, want) {
			t.Errorf("FirstOpenLike = %+v, want %+v", got, want)
		}
		if got, err := db.FirstOpenLike(ctx, like[:2], since); err != nil || pg && len(got) != 0 {
			t.Errorf("FirstOpenLike of a shipped item and a missing one = %+v, %v; want none on Postgres", got, err)
		}

		// Marked Open, even the shipped item is taken when batched: the
		// mark says it was read open already.
		var items [2]*store.FeedbackItem
		call := func(i int, source string, like []store.Like) func() error {
			return func() error {
				return db.InTx(ctx, func(tx *store.Tx) (err error) {
					items[i], err = create(tx, source, like)
					return err
				})
			}
		}
		noErrors(t, groupOfAll(t, db,
			call(0, "discord:c:new", []store.Like{{ID: shipped.ID, Score: 0.9, Open: true}}),
			call(1, "discord:c:other", nil)))
		stored, err := db.Feedback(ctx, items[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		wantLike := "none"
		if pg {
			wantLike = fmt.Sprint(shipped.ID)
		}
		for what, it := range map[string]*store.FeedbackItem{"created": items[0], "stored": stored} {
			if got := fmt.Sprint(idOrNone(it.SimilarTo)); got != wantLike {
				t.Errorf("the %s item looks like %s, want %s", what, got, wantLike)
			}
		}
	})
}

// idOrNone is *p, or "none" when p is nil.
func idOrNone(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

// Intake's look-alike reads come from many commands at once and are read
// together (one statement a batch on Postgres): each caller gets the first
// open one of its own list, whatever the others asked.
func TestLookAlikeReadsAtOnceAreEachAnsweredTheirOwn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		since := similarNow.Add(-48 * time.Hour)
		var ids [3]int64 // two open items and a shipped one
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range ids {
				it := &store.FeedbackItem{SourceKey: fmt.Sprintf("discord:c:%d", i), Source: "discord", Intake: "message",
					Text: fmt.Sprint("the export crashes ", i), CreatedAt: similarNow}
				if _, err := tx.CreateFeedbackRelayed(ctx, similarNow, it, nil, since,
					func(*store.FeedbackItem) ([]store.RelayOut, error) { return nil, nil }); err != nil {
					return err
				}
				ids[i] = it.ID
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		a, b, shipped := ids[0], ids[1], ids[2]
		change(t, db, func(it *store.FeedbackItem) { it.Status = store.FeedbackShipped }, shipped)
		cases := []struct {
			like []store.Like
			want int64 // 0: none
		}{
			{[]store.Like{{ID: shipped, Score: 0.9}, {ID: a, Score: 0.8}}, a},
			{[]store.Like{{ID: b, Score: 0.9}, {ID: a, Score: 0.8}}, b},
			{[]store.Like{{ID: shipped, Score: 0.9}}, 0},
			{[]store.Like{{ID: b + 1000, Score: 0.95}, {ID: shipped, Score: 0.9}, {ID: b, Score: 0.7}}, b},
		}
		const callers = 64
		start := make(chan struct{})
		got := make([][]store.Like, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[i], errs[i] = db.FirstOpenLike(ctx, cases[i%len(cases)].like, since)
			}()
		}
		close(start)
		wg.Wait()
		for i := range callers {
			c := cases[i%len(cases)]
			want := c.like // SQLite: as it was
			if db.Dialect() == store.Postgres {
				want = nil
				if c.want != 0 {
					want = []store.Like{{ID: c.want, Score: c.like[slices.IndexFunc(c.like, func(l store.Like) bool { return l.ID == c.want })].Score, Open: true}}
				}
			}
			if errs[i] != nil || !slices.Equal(got[i], want) {
				t.Errorf("caller %d: %+v, %v; want %+v", i, got[i], errs[i], want)
			}
		}
	})
}

// A message delivered or flagged again finds its item and takes no
// number: the next item's is the one after, whether the repeat comes
// alone or in a group whose intake statement it made fail (the group then
// runs again, item by item).
func TestARepeatedMessageSkipsNoFeedbackNumber(t *testing.T) {
	t.Parallel()
	eachGrouped(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		create := func(tx *store.Tx, source string) (int64, error) {
			it := &store.FeedbackItem{SourceKey: source, Source: "discord", Intake: "channel", Text: "the export crashes: " + source, CreatedAt: similarNow}
			_, err := tx.CreateFeedbackRelayed(ctx, similarNow, it, nil, similarNow.Add(-48*time.Hour),
				func(*store.FeedbackItem) ([]store.RelayOut, error) { return nil, nil })
			return it.ID, err
		}
		intake := func(sources ...string) []int64 {
			ids := make([]int64, len(sources))
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				for i, s := range sources {
					if ids[i], err = create(tx, s); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		a := intake("discord:c:a")[0]
		if again := intake("discord:c:a")[0]; again != a {
			t.Fatalf("message a again is item %d, want %d", again, a)
		}
		b := intake("discord:c:b")[0]
		ids := intake("discord:c:c", "discord:c:b", "discord:c:d")
		if want := []int64{a + 1, b + 1, b, b + 2}; b != want[0] || ids[0] != want[1] || ids[1] != want[2] || ids[2] != want[3] {
			t.Errorf("items a %d, b %d, then c, b again and d %v: want b, c, b, d = %v", a, b, ids, want)
		}
	})
}
