package giveaways

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// server is a Discord server for the capability: every member exists,
// joined long ago, with no role.
type server struct{}

func (server) GuildInfo(_ context.Context, id string) (*bot.Guild, error) {
	return &bot.Guild{ID: id}, nil
}

func (server) GuildMember(_ context.Context, _, userID string) (*bot.Member, error) {
	return &bot.Member{User: bot.User{Platform: bot.PlatformDiscord, ID: userID, Name: "m" + userID},
		JoinedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}

type names struct{}

func (names) Actor(u bot.User) string   { return u.Label() }
func (names) ChannelName(string) string { return "general" }

// Twenty members click Enter at once: twenty entries, and the count on the
// message is one edit (or two, if a click lands after the first was sent)
// showing them all.
func TestConcurrentEntriesAreCountedInOneEdit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg, err := config.Parse("liaison.yaml", []byte("discord: {guild: \"998877665544332211\", channels: {general: \"1100000000000000002\"}}\n"))
		if err != nil {
			t.Fatal(err)
		}
		clock := bot.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		g := New(Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler), People: names{}})
		g.Attach(server{})
		w := who{GuildID: "998877665544332211", ChannelID: "1100000000000000002", ID: "1300000000000000004", Name: "dave", Source: bot.SourceDiscord}
		if _, err := g.start(ctx, w, startRequest{Prize: "a mug", Duration: time.Hour, Winners: 1, ChannelID: w.ChannelID}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := &bot.Action{ActionID: "giveaway.enter", Value: "1", User: bot.User{Platform: bot.PlatformDiscord, ID: fmt.Sprint(1400000000000000000 + i)}}
				if r, err := g.enterClick(ctx, a); err != nil || !strings.HasPrefix(r.Text, "You're in giveaway #1 with 1 ticket") {
					t.Errorf("click %d: %v, %v", i, r, err)
				}
			}()
		}
		wg.Wait()
		gw, err := db.Giveaway(ctx, 1)
		if err != nil || gw.Entries != 20 {
			t.Fatalf("Giveaway = %+v, %v; want 20 entries", gw, err)
		}
		entries, err := db.OutboxEntries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var edits []store.OutboxEntry
		for _, e := range entries {
			if strings.HasPrefix(e.Key, "giveaway:1:count:") {
				edits = append(edits, e)
			}
		}
		if len(edits) != 1 || !strings.Contains(edits[0].Payload, `"name":"Entries","value":"20"`) {
			t.Fatalf("count edits = %+v, want one showing 20 entries (nothing was sent meanwhile)", edits)
		}
	})
}
