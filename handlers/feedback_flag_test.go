package handlers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// heldReader is a messageReader over another whose reads wait until the
// test releases them, as a slow or rate-limited Discord would: it counts
// them and says on started when each begins.
type heldReader struct {
	msgs    messageReader
	started chan struct{} // one send as each read begins
	release chan struct{} // closed to let the reads answer
	reads   atomic.Int32
	once    sync.Once
}

func newHeldReader(msgs messageReader) *heldReader {
	return &heldReader{msgs: msgs, started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (h *heldReader) Message(ctx context.Context, channelID, id string) (*bot.Message, error) {
	h.reads.Add(1)
	h.started <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.msgs.Message(ctx, channelID, id)
}

// letGo answers the reads held and those to come; it may be called again.
func (h *heldReader) letGo() { h.once.Do(func() { close(h.release) }) }

// heldWait bounds how long the test waits for what must happen at once: a
// read to begin, a write to commit while the reads are held.
const heldWait = 10 * time.Second

// A 📣 reads the flagged message back from Discord before the event's
// transaction, not inside it: group commit runs the transactions of a
// group one after another on a committer (SQLite's only one; Postgres's
// first, then a helper), so a read inside one would hold up every other
// command's and event's commit for as long as Discord takes to answer.
// While as many flags' reads are held as there are committers, another
// event commits; once released, the flagged message is one item with its
// relay.
func TestAFlagsDiscordReadHoldsUpNoOtherCommit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := discordMsg(generalCh, "6001", eveID, "eve", "please add dark mode")
		h := newHeldReader(messages{generalCh + "/6001": m})
		b := setupFeedbackReader(t, db, feedbackYAML, h)
		ctx := context.Background()

		release := h.letGo
		var wg sync.WaitGroup
		t.Cleanup(func() { release(); wg.Wait() }) // before the database closes
		handle := func(ev bot.Event) chan error {
			done := make(chan error, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				done <- b.r.HandleEvent(ctx, ev)
			}()
			return done
		}

		// One flag a committer: store.Options{} runs group commit as
		// production does, with one committer on SQLite and
		// DefaultCommitters on Postgres. Each flag's read begins before
		// the next flag arrives, so each flag is a group of its own.
		holders := 1
		if db.Dialect() == store.Postgres {
			holders = store.DefaultCommitters
		}
		flaggers := []string{aliceID, daveDiscord}[:holders]
		var flags []chan error
		for _, who := range flaggers {
			flags = append(flags, handle(reaction(bot.PlatformDiscord, generalCh, "6001", who, "📣")))
			select {
			case <-h.started:
			case <-time.After(heldWait):
				t.Fatalf("the read of the message %s flagged did not begin within %s", who, heldWait)
			}
		}

		other := handle(discordMsg(feedbackCh, "6002", aliceID, "alice", "export is broken"))
		select {
		case err := <-other:
			if err != nil {
				t.Fatalf("the other event: %v", err)
			}
		case <-time.After(heldWait):
			t.Fatalf("another event did not commit within %s while %d flag(s) waited on Discord: "+
				"the flagged message is read inside the event's transaction, which holds up the group commit", heldWait, holders)
		}

		release()
		for i, done := range flags {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("flag %d: %v", i+1, err)
				}
			case <-time.After(heldWait):
				t.Fatalf("flag %d did not finish within %s of its read's release", i+1, heldWait)
			}
		}

		items, err := db.ListFeedback(ctx, store.FeedbackFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var flagged []store.FeedbackItem
		for _, it := range items {
			if it.MessageID == m.ID {
				flagged = append(flagged, it)
			}
		}
		if len(items) != 2 || len(flagged) != 1 {
			t.Fatalf("%d items, %d of the flagged message; want 2, one of them the flagged message's", len(items), len(flagged))
		}
		it := flagged[0]
		if it.Intake != "flag" || it.AuthorName != "eve" || it.Text != m.Text || it.ChannelID != generalCh || it.Permalink != m.Permalink {
			t.Errorf("flagged item = %+v", it)
		}
		if it.LoggedBy != aliceID && it.LoggedBy != "dave" {
			t.Errorf("flagged item logged by %q, want one of the flaggers", it.LoggedBy)
		}
		var relays []outboxed
		for _, o := range b.outbox(t) {
			if strings.HasPrefix(o.e.Key, fmt.Sprintf("relay:%d:", it.ID)) {
				relays = append(relays, o)
			}
		}
		if len(relays) != 1 || relays[0].post.ChannelID != "C01PRODUCT" || relays[0].post.Quote != m.Text {
			t.Errorf("relays of the flagged item = %+v, want one in #product quoting it", relays)
		}
		if n := h.reads.Load(); n != int32(holders) {
			t.Errorf("%d reads from Discord for %d flag(s), want one each (the transaction uses what was read before it)", n, holders)
		}
	})
}

// countingReader is a messageReader over msgs that counts its reads.
type countingReader struct {
	msgs  messages
	reads atomic.Int32
}

func (c *countingReader) Message(ctx context.Context, channelID, id string) (*bot.Message, error) {
	c.reads.Add(1)
	return c.msgs.Message(ctx, channelID, id)
}

// Only a 📣 added by a person reads a message back from Discord: votes,
// other emoji, a flag taken away and a bot's flag read nothing.
func TestOnlyAFlagReadsFromDiscord(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := discordMsg(generalCh, "6001", eveID, "eve", "please add dark mode")
		c := &countingReader{msgs: messages{generalCh + "/6001": m}}
		b := setupFeedbackReader(t, db, feedbackYAML, c)
		b.event(t, discordMsg(feedbackCh, "6002", aliceID, "alice", "export is broken"))

		vote := reaction(bot.PlatformDiscord, feedbackCh, "6002", eveID, "👍")
		unvote := reaction(bot.PlatformDiscord, feedbackCh, "6002", eveID, "👍")
		unvote.Removed = true
		unvote.Keys[0].Key += ":removed"
		other := reaction(bot.PlatformDiscord, generalCh, "6001", aliceID, "🎉")
		unflag := reaction(bot.PlatformDiscord, generalCh, "6001", aliceID, "📣")
		unflag.Removed = true
		unflag.Keys[0].Key += ":removed"
		byBot := reaction(bot.PlatformDiscord, generalCh, "6001", "1400000000000000099", "📣")
		byBot.User.Bot = true
		for _, ev := range []*bot.Reaction{vote, unvote, other, unflag, byBot} {
			b.event(t, ev)
		}
		if n := c.reads.Load(); n != 0 {
			t.Errorf("%d reads from Discord for votes, other emoji, a flag taken away and a bot's flag; want none", n)
		}
		if items, _ := db.ListFeedback(context.Background(), store.FeedbackFilter{}); len(items) != 1 {
			t.Errorf("%d items, want 1: only the channel message", len(items))
		}

		b.event(t, reaction(bot.PlatformDiscord, generalCh, "6001", aliceID, "📣"))
		if n := c.reads.Load(); n != 1 {
			t.Errorf("%d reads from Discord for one flag, want 1", n)
		}
	})
}

// A flagged message Discord does not give back fails the event with the
// read's error, as it always did (read once, before the transaction, the
// error carried to the handler), and leaves nothing behind: the event is
// not recorded, so its redelivery, once Discord answers, makes the item.
func TestAFlagWhoseMessageCannotBeReadFailsAndItsRedeliveryMakesTheItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := &countingReader{msgs: messages{}}
		b := setupFeedbackReader(t, db, feedbackYAML, c)
		ctx := context.Background()
		flag := reaction(bot.PlatformDiscord, generalCh, "6001", aliceID, "📣")
		err := b.r.HandleEvent(ctx, flag)
		if bot.ErrorCode(err) != bot.ENotFound || !strings.Contains(err.Error(), "read flagged message 6001") {
			t.Fatalf("HandleEvent(flag of a message Discord does not have) = %v, want the read's not-found error", err)
		}
		if n := c.reads.Load(); n != 1 {
			t.Errorf("%d reads from Discord for the failed flag, want 1", n)
		}
		if items, _ := db.ListFeedback(ctx, store.FeedbackFilter{}); len(items) != 0 {
			t.Fatalf("%d items after a failed read, want none", len(items))
		}
		if n := len(b.outbox(t)); n != 0 {
			t.Fatalf("%d outbox messages after a failed read, want none", n)
		}

		c.msgs[generalCh+"/6001"] = discordMsg(generalCh, "6001", eveID, "eve", "please add dark mode")
		b.event(t, flag)
		if n := c.reads.Load(); n != 2 {
			t.Errorf("%d reads from Discord after the redelivery, want 2", n)
		}
		if it := b.only(t); it.Intake != "flag" || it.MessageID != "6001" || it.LoggedBy != aliceID {
			t.Errorf("item after the redelivery = %+v", it)
		}
		if n := len(b.outbox(t)); n != 1 {
			t.Errorf("%d outbox messages, want the relay", n)
		}
	})
}
