package giveaways

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// approved records every announcement text as approved, as handlers'
// Templates has it once an approver has approved it (the approval itself
// is tested there and end to end).
type approved struct{}

func (approved) Ensure(ctx context.Context, tx *store.Tx, status, lang, text string) (*store.NoticeTemplate, error) {
	h := sha256.Sum256([]byte(text))
	t := &store.NoticeTemplate{Status: status, Lang: lang, TextHash: hex.EncodeToString(h[:]), Text: text}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := tx.EnsureNoticeTemplate(ctx, now, t); err != nil {
		return nil, err
	}
	t.State = store.NoticeApproved
	return t, tx.SaveNoticeTemplate(ctx, now, t)
}

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

// startGiveaway starts giveaway #1, of a mug, for d with winners, by dave
// in #general, on a manual clock at 24 Nov 2026 09:00 UTC.
func startGiveaway(t *testing.T, db *store.DB, d time.Duration, winners int) (*Giveaways, who, *bot.ManualClock) {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte("discord: {guild: \"998877665544332211\", channels: {general: \"1100000000000000002\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	g := New(Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler), People: names{}, Templates: approved{}})
	g.Attach(server{})
	w := who{GuildID: "998877665544332211", ChannelID: "1100000000000000002", ID: "1300000000000000004", Name: "dave", Source: bot.SourceDiscord}
	if _, err := g.start(context.Background(), w, startRequest{Prize: "a mug", Duration: d, Winners: winners, ChannelID: w.ChannelID}); err != nil {
		t.Fatal(err)
	}
	return g, w, clock
}

// Twenty members click Enter at once: twenty entries, and the count on the
// message is one edit (or two, if a click lands after the first was sent)
// showing them all.
func TestConcurrentEntriesAreCountedInOneEdit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g, _, _ := startGiveaway(t, db, time.Hour, 1)
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

// A replica killed between the draw and its commit leaves nothing behind:
// the next run draws the same order from the same seed and entries, and
// commits it once.
func TestADrawRolledBackIsDrawnAgainTheSameOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g, _, clock := startGiveaway(t, db, time.Hour, 2)
		for i := range 5 {
			a := &bot.Action{ActionID: "giveaway.enter", Value: "1", User: bot.User{Platform: bot.PlatformDiscord, ID: fmt.Sprint(1400000000000000000 + i)}}
			if _, err := g.enterClick(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Hour)
		killed := fmt.Errorf("killed before the commit")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			gw, err := tx.Giveaway(ctx, 1)
			if err != nil {
				return err
			}
			es, _ := tx.Entrants(ctx, 1)
			if _, err := tx.SaveDraw(ctx, clock.Now(), 1, "h", "", es, gw.Winners, bot.GiveawayRound{AnnouncementKey: "giveaway:1:round:0", ClaimUntil: clock.Now()}); err != nil {
				return err
			}
			return killed
		})
		if err != killed {
			t.Fatalf("the killed draw: %v", err)
		}
		if gw, _ := db.Giveaway(ctx, 1); gw.State != bot.GiveawayOpen {
			t.Fatalf("after the rollback the giveaway is %s, want open", gw.State)
		}
		if n, err := g.DrawDue(ctx, clock.Now()); n != 1 || err != nil {
			t.Fatalf("DrawDue = %d, %v", n, err)
		}
		if n, err := g.DrawDue(ctx, clock.Now()); n != 0 || err != nil {
			t.Fatalf("DrawDue again = %d, %v; want nothing to draw", n, err)
		}
		gw, _ := db.Giveaway(ctx, 1)
		seed, _ := bot.ParseHex32(gw.Seed, "seed")
		var es []bot.Entrant
		for i := range 5 {
			es = append(es, bot.Entrant{UserID: fmt.Sprint(1400000000000000000 + i), Tickets: 1})
		}
		want := bot.DrawOrder(seed, es)
		picks, err := db.Picks(ctx, 1)
		if err != nil || len(picks) != 5 {
			t.Fatalf("Picks = %+v, %v", picks, err)
		}
		for i, p := range picks {
			if p.UserID != want[i].UserID || p.Winner() != (i < 2) {
				t.Errorf("pick %d = %+v, want %s (winner %v)", i+1, p, want[i].UserID, i < 2)
			}
		}
		entries, _ := db.OutboxEntries(ctx)
		n := 0
		for _, e := range entries {
			if e.Key == "giveaway:1:round:0" {
				n++
				if !strings.Contains(e.Payload, want[0].UserID) || !strings.Contains(e.Payload, want[1].UserID) {
					t.Errorf("the announcement does not ping the winners %s and %s: %s", want[0].UserID, want[1].UserID, e.Payload)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d announcements in the outbox, want 1", n)
		}
	})
}

// Enter clicked on a giveaway ended early says when it actually ended, not
// when it was to end: "just now" at that very moment (Discord would show
// its relative time as "now" or "in a few seconds"), its relative time
// once it has passed.
func TestEnteringAGiveawayEndedEarlySaysWhenItEnded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g, w, clock := startGiveaway(t, db, 24*time.Hour, 1)
		enter := func(user string) string {
			a := &bot.Action{ActionID: "giveaway.enter", Value: "1", User: bot.User{Platform: bot.PlatformDiscord, ID: user}}
			r, err := g.enterClick(ctx, a)
			if err != nil {
				return bot.ErrorMessage(err)
			}
			return r.Text
		}
		enter("1400000000000000001")
		ended := clock.Now()
		if _, err := g.end(ctx, w, 1); err != nil {
			t.Fatal(err)
		}
		f := bot.DiscordTime(ended, "f")
		if got, want := enter("1400000000000000002"), "Giveaway #1 ended just now ("+f+"): entries are closed."; got != want {
			t.Errorf("Enter at the end = %q, want %q", got, want)
		}
		clock.Advance(2 * time.Minute)
		if got, want := enter("1400000000000000002"), "Giveaway #1 ended "+bot.DiscordTime(ended, "R")+" ("+f+"): entries are closed."; got != want {
			t.Errorf("Enter 2m after the end = %q, want %q", got, want)
		}
	})
}

// Ended while its last count edit is being sent, the giveaway's message
// gets its end as an edit of its own, after that one: when the count edit
// fails and is retried, Discord still gets the old count first and the
// end last, never the Enter button again after the end.
func TestTheEndOfAGiveawayComesAfterACountEditBeingSent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g, w, clock := startGiveaway(t, db, 24*time.Hour, 1)
		// send claims what is due and sends it, noting the edits of the
		// giveaway message in the order they went out, with their payloads.
		var edits []string
		payloads := map[string]string{}
		send := func() {
			t.Helper()
			claimed, err := db.ClaimOutbox(ctx, "r1", clock.Now(), 50)
			if err != nil {
				t.Fatal(err)
			}
			var outcomes []store.OutboxOutcome
			for _, m := range claimed {
				o := store.OutboxOutcome{ID: m.ID, Attempts: m.Attempts, State: store.OutboxSent, Result: bot.SendResult{PlatformID: "m1"}}
				if m.Kind == bot.KindUpdate && m.ParentKey != "" {
					edits = append(edits, m.Key)
					payloads[m.Key] = string(m.Payload)
				}
				outcomes = append(outcomes, o)
			}
			if err := db.FinishOutbox(ctx, clock.Now(), outcomes); err != nil {
				t.Fatal(err)
			}
		}
		send() // the giveaway message
		if _, err := g.enterClick(ctx, &bot.Action{ActionID: "giveaway.enter", Value: "1",
			User: bot.User{Platform: bot.PlatformDiscord, ID: "1400000000000000001"}}); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimOutbox(ctx, "r1", clock.Now(), 50)
		if err != nil || len(claimed) != 1 || claimed[0].Key != "giveaway:1:count:1" {
			t.Fatalf("ClaimOutbox = %+v, %v; want the count edit", claimed, err)
		}
		if _, err := g.end(ctx, w, 1); err != nil {
			t.Fatal(err)
		}
		// The count edit fails while the draw is committed.
		if err := db.FinishOutbox(ctx, clock.Now(), []store.OutboxOutcome{{ID: claimed[0].ID, Attempts: claimed[0].Attempts,
			State: store.OutboxPending, RetryAt: clock.Now().Add(5 * time.Second), Error: "502 Bad Gateway"}}); err != nil {
			t.Fatal(err)
		}
		send()
		clock.Advance(5 * time.Second)
		send()
		send()
		if want := []string{"giveaway:1:count:1", "giveaway:1:edit:drawn"}; !slices.Equal(edits, want) {
			t.Fatalf("the giveaway message was edited by %q, want %q in that order", edits, want)
		}
		if p := payloads["giveaway:1:edit:drawn"]; !strings.Contains(p, `"name":"Ended"`) || strings.Contains(p, "giveaway.enter") {
			t.Errorf("the last edit of the giveaway message does not show it ended, without Enter: %s", p)
		}
	})
}
