package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

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
