package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func newRouter(t *testing.T, db *store.DB) *Router {
	t.Helper()
	return New(Deps{DB: db, Config: config.Default(), Clock: bot.NewManualClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)), Logger: slog.New(slog.DiscardHandler)})
}

func message(eventID string) *bot.Message {
	return &bot.Message{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_event", Key: "T1:" + eventID}, {Kind: "slack_message", Key: "C1:1700000000.000100"}}},
		Place:    bot.Place{Platform: bot.PlatformSlack, ScopeID: "T1", ChannelID: "C1"},
		ID:       "1700000000.000100",
		Text:     "hello",
	}
}

func TestAnEventDeliveredFourTimesIsHandledOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRouter(t, db)
		var handled atomic.Int32
		r.OnEvent(func(ctx context.Context, tx *store.Tx, ev bot.Event) error {
			handled.Add(1)
			_, err := tx.Enqueue(ctx, r.clock.Now(), &bot.OutboxMessage{Key: "relay:" + ev.(*bot.Message).ID, Platform: bot.PlatformSlack, Kind: bot.KindPost})
			return err
		})
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 2 { // two deliveries at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.HandleEvent(ctx, message("Ev1")); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := r.HandleEvent(ctx, message("Ev1")); err != nil { // a retry
			t.Fatal(err)
		}
		if err := r.HandleEvent(ctx, message("Ev2")); err != nil { // same message, another event id
			t.Fatal(err)
		}
		if n := handled.Load(); n != 1 {
			t.Errorf("handled %d times, want 1", n)
		}
		depth, _ := db.OutboxDepth(ctx)
		if depth[store.OutboxPending] != 1 {
			t.Errorf("outbox holds %d messages, want 1", depth[store.OutboxPending])
		}
	})
}

// What an event's preparer works out, outside the transaction, reaches
// every handler of the event through their context; a redelivery is
// prepared (its keys are not read yet) but not handled.
func TestWhatAnEventsPreparerWorksOutReachesItsHandlers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRouter(t, db)
		type key struct{}
		var prepared atomic.Int32
		r.OnEventPrepare(func(ctx context.Context, ev bot.Event) context.Context {
			prepared.Add(1)
			return context.WithValue(ctx, key{}, "worked out for "+ev.(*bot.Message).ID)
		})
		var got []string
		for range 2 {
			r.OnEvent(func(ctx context.Context, tx *store.Tx, ev bot.Event) error {
				v, _ := ctx.Value(key{}).(string)
				got = append(got, v)
				return nil
			})
		}
		ctx := context.Background()
		for range 2 {
			if err := r.HandleEvent(ctx, message("Ev1")); err != nil {
				t.Fatal(err)
			}
		}
		want := "worked out for 1700000000.000100"
		if len(got) != 2 || got[0] != want || got[1] != want {
			t.Errorf("the handlers got %q, want %q twice", got, want)
		}
		if n := prepared.Load(); n != 2 {
			t.Errorf("prepared %d times, want 2 (the delivery and its redelivery)", n)
		}
	})
}

func TestAFailedEventLeavesNoTraceSoItsRetryIsHandled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRouter(t, db)
		fail := true
		var handled int
		r.OnEvent(func(ctx context.Context, tx *store.Tx, ev bot.Event) error {
			if fail {
				return errors.New("database hiccup")
			}
			handled++
			return nil
		})
		ctx := context.Background()
		if err := r.HandleEvent(ctx, message("Ev1")); err == nil {
			t.Fatal("HandleEvent succeeded, want the handler's error")
		}
		fail = false
		if err := r.HandleEvent(ctx, message("Ev1")); err != nil {
			t.Fatal(err)
		}
		if handled != 1 {
			t.Errorf("the retry was handled %d times, want 1", handled)
		}
	})
}

func command(text, trigger string) *bot.Command {
	return &bot.Command{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_command", Key: trigger}}},
		Place:    bot.Place{Platform: bot.PlatformSlack, ChannelID: "C1"},
		Name:     "liaison", Text: text, User: bot.User{Platform: bot.PlatformSlack, ID: "U1", Name: "bob"},
	}
}

func TestLiaisonHelpListsTheCommands(t *testing.T) {
	t.Parallel()
	r := newRouter(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	for i, text := range []string{"help", "", "HELP"} {
		reply, err := r.HandleCommand(ctx, command(text, "trig"+string(rune('a'+i))))
		if err != nil {
			t.Fatalf("/liaison %s: %v", text, err)
		}
		if reply.Public || !strings.HasPrefix(reply.Text, "Liaison relays what the community says") || !strings.Contains(reply.Text, "/liaison help [command] — ") {
			t.Errorf("/liaison %q = %+v, want the private help listing", text, reply)
		}
	}
	reply, err := r.HandleCommand(ctx, command("help help", "t4"))
	if err != nil || reply.Text != "/liaison help [command]\nwhat Liaison can do here, or how to use one command" {
		t.Errorf("/liaison help help = %+v, %v", reply, err)
	}
}

func TestUnknownSubcommandsGetASuggestion(t *testing.T) {
	t.Parallel()
	r := newRouter(t, storetest.Open(t, store.SQLite))
	_, err := r.HandleCommand(context.Background(), command("hlep", "t1"))
	want := "There is no /liaison hlep. Did you mean /liaison help? Type /liaison help to see what Liaison can do."
	if bot.ErrorCode(err) != bot.EInvalid || bot.ErrorMessage(err) != want {
		t.Errorf("/liaison hlep error = %v, want invalid %q", err, want)
	}
	_, err = r.HandleCommand(context.Background(), command("zzzzzz", "t2"))
	if strings.Contains(bot.ErrorMessage(err), "Did you mean") {
		t.Errorf("/liaison zzzzzz suggested something: %q", bot.ErrorMessage(err))
	}
	_, err = r.HandleCommand(context.Background(), &bot.Command{Name: "frobnicate"})
	if bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("/frobnicate error = %v, want not_found", err)
	}
}

func TestAReplayedCommandIsAnsweredOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRouter(t, db)
		first, err := r.HandleCommand(context.Background(), command("help", "same"))
		if err != nil || first == nil {
			t.Fatalf("first = %v, %v", first, err)
		}
		again, err := r.HandleCommand(context.Background(), command("help", "same"))
		if err != nil || again != nil {
			t.Errorf("replay = %+v, %v; want nothing", again, err)
		}
	})
}

func TestClicksAndFormsForUnknownCapabilitiesChangeNothing(t *testing.T) {
	t.Parallel()
	r := newRouter(t, storetest.Open(t, store.SQLite))
	_, err := r.HandleAction(context.Background(), &bot.Action{ActionID: "nothing.here"})
	if bot.ErrorCode(err) != bot.ENotFound || !strings.Contains(bot.ErrorMessage(err), "nothing was changed") {
		t.Errorf("HandleAction = %v", err)
	}
	_, err = r.HandleSubmission(context.Background(), &bot.Submission{CallbackID: "nothing.here"})
	if bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("HandleSubmission = %v", err)
	}
}
