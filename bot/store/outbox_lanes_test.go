package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Migration 12 names the lanes of the messages still to send as bot.Lane
// does, so that an upgrade keeps their order and pace.
func TestMigration12GivesTheMessagesStillToSendTheirLanes(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := storetest.URL(t, dialect)
			db := storetest.OpenURL(t, u, store.Options{})
			if _, err := db.MigrateTo(ctx, 11); err != nil {
				t.Fatal(err)
			}
			driver, dsn := "postgres", u
			if dialect == store.SQLite {
				driver, dsn = "sqlite", strings.TrimPrefix(u, "sqlite:")
			}
			raw, err := sqlx.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			rows := []struct{ key, platform, kind, payload, state string }{
				{"a", bot.PlatformSlack, bot.KindPost, `{"channel_id":"C1","text":"hi"}`, store.OutboxPending},
				{"b", bot.PlatformSlack, bot.KindUpdate, `{"channel_id":"C1"}`, store.OutboxSending},
				{"c", bot.PlatformDiscord, bot.KindPost, `{"channel_id":"D1"}`, store.OutboxPending},
				{"d", bot.PlatformDiscord, bot.KindReact, `{"channel_id":"D1","emoji":"👍"}`, store.OutboxPending},
				{"e", bot.PlatformDiscord, bot.KindModerate, `{"op":"ban","guild_id":"G"}`, store.OutboxPending},
				{"f", bot.PlatformSlack, bot.KindPost, `{"channel_id":5}`, store.OutboxPending},
				{"g", bot.PlatformSlack, bot.KindPost, `not json`, store.OutboxPending},
				{"h", bot.PlatformSlack, bot.KindPost, `["C1"]`, store.OutboxPending},
				{"i", bot.PlatformSlack, bot.KindPost, `{"channel_id":"C1"}`, store.OutboxSent}, // done: no lane needed
			}
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			for _, r := range rows {
				_, err := raw.ExecContext(ctx, raw.Rebind(`INSERT INTO outbox (key, platform, kind, payload, state, next_attempt_at, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), r.key, r.platform, r.kind, r.payload, r.state, now, now, now)
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				want := bot.Lane(r.platform, r.kind, []byte(r.payload))
				if r.state == store.OutboxSent {
					want = ""
				}
				e, err := db.OutboxByKey(ctx, r.key)
				if err != nil {
					t.Fatal(err)
				}
				if e.Lane != want {
					t.Errorf("%s %s %s: lane %q after migrating, want %q", r.platform, r.kind, r.payload, e.Lane, want)
				}
			}
		})
	}
}
