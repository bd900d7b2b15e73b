package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func TestLastOutboxKeyMatchesThePrefixExactly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var msgs []*bot.OutboxMessage
		for _, k := range []string{
			"relay:1:product:edit:1", "relay:1:product:edit:2", // the chain
			"relay:10:product:edit:9",                // another item whose id starts the same
			"relay:1:product:edit;x",                 // the byte after ':'
			"relay:1:PRODUCT:edit:7",                 // another case
			"a_b:edit:1", "axb:edit:2", "a%b:edit:3", // LIKE's wildcards, literally
		} {
			msgs = append(msgs, &bot.OutboxMessage{Key: k, Platform: bot.PlatformSlack, Kind: bot.KindUpdate, Payload: []byte(`{}`)})
		}
		if err := db.Enqueue(ctx, t0, msgs...); err != nil {
			t.Fatal(err)
		}
		for prefix, want := range map[string]string{
			"relay:1:product:edit:": "relay:1:product:edit:2",
			"relay:1:PRODUCT:edit:": "relay:1:PRODUCT:edit:7",
			"relay:2:product:edit:": "",
			"a_b:":                  "a_b:edit:1",
			"a%b:":                  "a%b:edit:3",
			"":                      "a%b:edit:3", // every key: the newest
		} {
			var got string
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				got, err = tx.LastOutboxKey(ctx, prefix)
				return err
			})
			if err != nil || got != want {
				t.Errorf("LastOutboxKey(%q) = %q, %v; want %q", prefix, got, err, want)
			}
		}
	})
}

// The prefix look-up of an edit chain is served by the key's one unique
// index on Postgres (bytewise, migration 0027), not by a scan of the
// outbox: with scans priced out, the plan must name that index.
func TestAKeyPrefixIsLookedUpInTheKeysUniqueIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := pgConn(t)
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	if err := conn.SelectContext(ctx, &plan, `EXPLAIN SELECT key FROM outbox WHERE key LIKE $1 ESCAPE '\' ORDER BY key DESC LIMIT 1`, `relay:1:product:edit:%`); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "outbox_key_key") || strings.Contains(text, "Seq Scan") {
		t.Errorf("the prefix look-up is not served by the key's unique index:\n%s", text)
	}
	var indexes []string
	if err := conn.SelectContext(ctx, &indexes, `SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'outbox'::regclass
		AND indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = 'outbox'::regclass AND attname = 'key')`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(indexes, []string{"outbox_key_key"}) {
		t.Errorf("indexes on the outbox key: %v, want only the unique one", indexes)
	}
}

func TestOnCommitRunsOnlyOnceTheTransactionCommitted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var said []string
		failed := errors.New("the handler failed")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			tx.OnCommit(func() { said = append(said, "rolled back") })
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("InTx = %v", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			tx.OnCommit(func() {
				// The change is visible when the hook runs.
				e, err := db.OutboxByKey(ctx, "told")
				said = append(said, fmt.Sprintf("committed: %v %v", e != nil, err))
			})
			_, err := tx.Enqueue(ctx, t0, &bot.OutboxMessage{Key: "told", Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: []byte(`{}`)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"committed: true <nil>"}; !slices.Equal(said, want) {
			t.Errorf("hooks ran %q, want %q", said, want)
		}
	})
}

// A paced edit whose new text must not wait (a giveaway that ended) goes
// at once with it; one that waits for the platform's Retry-After, or for
// its retry after a failure, takes the new text and keeps its time; one
// already sent is left as it is.
func TestReplacePendingPayloadNowSendsAPacedMessageAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		edit := func(key, channel, text string, notBefore time.Time) *bot.OutboxMessage {
			return &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindUpdate, NotBefore: notBefore,
				Payload: []byte(`{"channel_id":"` + channel + `","text":"` + text + `"}`)}
		}
		// Each in a channel of its own: a lane of its own.
		if err := db.Enqueue(ctx, t0, edit("paced", "c1", "3 entries", t0.Add(10*time.Second)), edit("limited", "c2", "3 entries", time.Time{}),
			edit("failed", "c3", "3 entries", time.Time{}), edit("sent", "c4", "3 entries", time.Time{})); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimOutbox(ctx, "r1", t0, 10)
		if err != nil || len(claimed) != 3 {
			t.Fatalf("ClaimOutbox = %d messages, %v; want the 3 due", len(claimed), err)
		}
		var outcomes []store.OutboxOutcome
		for _, m := range claimed {
			o := store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts}
			switch m.Key {
			case "limited":
				o.State, o.RetryAt, o.RateLimited, o.Uncounted, o.Error = store.OutboxPending, t0.Add(30*time.Second), true, true, "429"
			case "failed":
				o.State, o.RetryAt, o.Error = store.OutboxPending, t0.Add(20*time.Second), "502"
			case "sent":
				o.State, o.Result = store.OutboxSent, bot.SendResult{PlatformID: "m4"}
			}
			outcomes = append(outcomes, o)
		}
		if err := db.FinishOutbox(ctx, t0, outcomes); err != nil {
			t.Fatal(err)
		}
		db.EnqueuedLanes() // forget the wake-ups of the enqueues

		now := t0.Add(time.Second)
		rewrote := map[string]bool{}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for i, k := range []string{"paced", "limited", "failed", "sent"} {
				ok, err := tx.ReplacePendingPayloadNow(ctx, now, k, edit(k, fmt.Sprintf("c%d", i+1), "ended", time.Time{}).Payload)
				if err != nil {
					return err
				}
				rewrote[k] = ok
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]struct {
			rewritten bool
			due       time.Time
		}{
			"paced":   {true, now},
			"limited": {true, t0.Add(30 * time.Second)},
			"failed":  {true, t0.Add(20 * time.Second)},
			"sent":    {false, t0},
		} {
			e, err := db.OutboxByKey(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if rewrote[k] != want.rewritten || strings.Contains(e.Payload, "ended") != want.rewritten {
				t.Errorf("ReplacePendingPayloadNow(%s) = %v, payload %s; want rewritten %v", k, rewrote[k], e.Payload, want.rewritten)
			}
			if k != "sent" && !e.NextAttemptAt.Equal(want.due) {
				t.Errorf("%s is due at %v, want %v", k, e.NextAttemptAt, want.due)
			}
		}
		if lanes, _ := db.EnqueuedLanes(); !slices.Contains(lanes, "discord/update:c1") {
			t.Errorf("EnqueuedLanes() = %v: the dispatcher is not woken for the paced edit now due", lanes)
		}
		claimed, err = db.ClaimOutbox(ctx, "r1", now, 10)
		if err != nil || len(claimed) != 1 || claimed[0].Key != "paced" || !strings.Contains(string(claimed[0].Payload), "ended") {
			t.Fatalf("ClaimOutbox(now) = %+v, %v; want the paced edit with its new text", claimed, err)
		}
	})
}
