package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The digest thanks nobody moderation dealt with: mallory, banned in the
// week, leaves the top contributors; eve's message automod removed leaves
// her count and the public figures; and a week too quiet once that is
// taken out posts no public highlights.
func TestTheDigestLeavesOutWhomModerationRemoved(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupDigest(t, db.Dialect())
		b.script(t)
		ctx := context.Background()
		b.exec(t, `INSERT INTO mod_cases (guild_id, number, action, target_id, source, created_at, updated_at) VALUES (?, 5, 'ban', ?, 'discord', ?, ?)`,
			dgGuild, dgMallory, paris(27, 12, 0).UTC(), paris(27, 12, 0).UTC())
		removed := func(id, author string, day int) {
			t.Helper()
			err := b.db.InTx(ctx, func(tx *store.Tx) error {
				return tx.RecordRemovedMessage(ctx, store.RemovedMessage{GuildID: dgGuild, ChannelID: dgGeneral, MessageID: id, AuthorID: author,
					SentAt: paris(day, 9, 30), RemovedBy: bot.SourceAutomod})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		removed("r1", dgEve, 24)
		removed("r1", dgEve, 24) // recorded twice: counted once
		d, _ := b.dg.Config("weekly")
		slot := paris(30, 9, 0)
		b.clock.Set(slot)
		got, err := b.dg.Compute(ctx, d, slot)
		if err != nil {
			t.Fatal(err)
		}
		want := []bot.Contributor{{ID: dgAlice, Name: "alice", Messages: 3}, {ID: dgEve, Name: "eve", Messages: 1}}
		if diff := cmp.Diff(want, got.Activity.Contributors); diff != "" {
			t.Errorf("top contributors (-want +got):\n%s", diff)
		}
		if n, _ := got.PublicMessages(); n != 7 || got.Activity.Messages != 8 {
			t.Errorf("public messages %d of %d, want 7 of the 8", n, got.Activity.Messages)
		}
		public := publicPost(got, "C")
		text := digestText(public)
		if !strings.Contains(text, "Messages: 7") || !strings.Contains(text, "alice, eve") || strings.Contains(text, "mallory") {
			t.Errorf("public highlights:\n%s", text)
		}

		// Three more removed: 4 left, under the digest's 5. The Slack digest
		// is posted; the public highlights are not.
		for _, id := range []string{"r2", "r3", "r4"} {
			removed(id, dgAlice, 25)
		}
		if ok, err := b.dg.Publish(ctx, "weekly", slot, false, "test"); !ok || err != nil {
			t.Fatalf("Publish = %v, %v", ok, err)
		}
		entries, _ := b.db.OutboxEntries(ctx)
		var keys []string
		for _, e := range entries {
			if strings.HasPrefix(e.Key, "digest:") {
				keys = append(keys, e.Key)
			}
		}
		if diff := cmp.Diff([]string{"digest:weekly:2026-11-30T08:00:00Z:community", "digest:weekly:2026-11-30T08:00:00Z:community:chart"}, keys); diff != "" {
			t.Errorf("a quiet week's digest rows (-want +got):\n%s", diff)
		}
	})
}
