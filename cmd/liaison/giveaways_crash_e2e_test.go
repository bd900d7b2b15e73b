package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// Crash tests: `liaison run` in a child process (this test binary,
// re-executed as TestLiaisonRunChild), against the same fakes and database
// as the test, killed with SIGKILL at the points where a draw could be
// lost or doubled, then started again. A giveaway that ended while
// Liaison was down is drawn when it starts (the child runs on the system
// clock, long after the test world's giveaway ended).

// childEnv marks the process TestLiaisonRunChild runs `liaison run` in.
const childEnv = "LIAISON_CRASH_TEST_CHILD"

// TestLiaisonRunChild is `liaison run` for the crash tests, in the child
// process they start; run directly, it has nothing to do.
func TestLiaisonRunChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("the crash tests' child process: it runs only when they start it")
	}
	os.Exit(Main(context.Background(), []string{"run"}, &Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv))
}

// child is one `liaison run` process.
type child struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	once sync.Once
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runChild starts `liaison run` in a child process on the database at
// dbURL, against w's fakes; the test's end kills it.
func (w *mdWorld) runChild(t *testing.T, dbURL string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestLiaisonRunChild$", "-test.count=1"), out: &lockedBuffer{}}
	c.cmd.Env = append(os.Environ(), childEnv+"=1",
		"LIAISON_DATABASE_URL="+dbURL, "LIAISON_CONFIG="+w.config, "LIAISON_LOG_LEVEL=debug",
		"LIAISON_HTTP_ADDR=127.0.0.1:0", "LIAISON_ADMIN_ADDR=127.0.0.1:0",
		"SLACK_BOT_TOKEN=xoxb-md", "SLACK_SIGNING_SECRET="+mdSecret, "LIAISON_SLACK_API_URL="+w.slack.APIURL(),
		"DISCORD_BOT_TOKEN=md-token", "DISCORD_APP_ID="+mdBot, "LIAISON_DISCORD_API_URL="+w.discord.APIURL())
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start liaison run: %v", err)
	}
	t.Cleanup(func() {
		c.kill(t)
		if t.Failed() {
			t.Logf("liaison run (pid %d) said:\n%s", c.cmd.Process.Pid, c.out.String())
		}
	})
	return c
}

// kill sends SIGKILL, as a crashed machine or the OOM killer would, and
// waits for the process to be gone.
func (c *child) kill(t *testing.T) {
	t.Helper()
	c.once.Do(func() {
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Logf("kill pid %d: %v", c.cmd.Process.Pid, err)
		}
		_ = c.cmd.Wait()
	})
}

// until waits for cond, generously: the child starts cold (migrations,
// the gateway) on a shared machine.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 90s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashWorld is a giveaway that alice and pat entered, with its
// announcement's text approved, that ended while Liaison was stopped.
func crashWorld(t *testing.T, dialect string) (w *mdWorld, dbURL string, winner string) {
	t.Helper()
	w = newGWWorld(t)
	// A dead replica's claimed messages go back to the queue after 1s.
	appendConfig(t, w.config, "outbox: {reclaim_after: 1s}\n")
	dbURL = storetest.URL(t, dialect)
	a := w.start(t, dbURL)
	startGiveaway(t, w, "a T-shirt", 1)
	w.approveAnnouncements(t, a)
	a.stop()
	db := openDB(t, dbURL)
	gw, err := db.Giveaway(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !time.Now().After(gw.EndsAt) {
		t.Skipf("the system clock (%s) is before the test world's giveaway ended (%s)", time.Now().Format(time.RFC3339), gw.EndsAt.Format(time.RFC3339))
	}
	seed, err := bot.ParseHex32(gw.Seed, "seed")
	if err != nil {
		t.Fatal(err)
	}
	order := bot.DrawOrder(seed, []bot.Entrant{{UserID: mdAlice, Tickets: 1}, {UserID: mdPat, Tickets: 1}})
	return w, dbURL, order[0].UserID
}

// openDB opens the database beside the child, as a reader.
func openDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// drawnOnce restarts Liaison and checks that giveaway 1 has exactly one
// announcement, pinging winner alone, after several scheduler ticks.
func drawnOnce(t *testing.T, w *mdWorld, dbURL, winner string) {
	t.Helper()
	c := w.runChild(t, dbURL)
	var draw discordfake.Message
	until(t, "the announcement", func() bool {
		for _, m := range w.discord.Messages(mdGeneral) {
			if isDraw(1)(m) {
				draw = m
				return true
			}
		}
		return false
	})
	if users := allowedUsers(t, draw); !slices.Equal(users, []string{winner}) {
		t.Errorf("the announcement pings %v; the draw from the seed and the entrants makes %s the winner", users, winner)
	}
	picks, err := openDB(t, dbURL).Picks(context.Background(), 1)
	if err != nil || len(picks) != 2 || picks[0].UserID != winner || !picks[0].Winner() {
		t.Errorf("the committed draw = %+v, %v; want %s first", picks, err, winner)
	}
	time.Sleep(3 * time.Second) // several scheduler and dispatcher ticks
	if n := w.countMessages(isDraw(1)); n != 1 {
		t.Errorf("%d announcements, want 1", n)
	}
	c.kill(t)
}

// Killed after the draw committed, before its announcement reached
// Discord (Discord failed the first attempt, so nothing was sent): the
// next process sends the committed announcement once.
func TestAGiveawayKilledBetweenCommitAndSendIsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w, url, winner := crashWorld(t, dialect)
			posts := len(w.discord.CallsTo("POST", "/channels/"+mdGeneral+"/messages"))
			// Discord fails the first attempts, so nothing is sent before
			// the kill, however late it comes; the retry after the restart
			// may meet the second failure, and is retried in turn.
			for range 2 {
				w.discord.FailNext("POST", "/channels/"+mdGeneral+"/messages", 500, discordfake.APIError{Message: "500: Internal Server Error"})
			}
			c := w.runChild(t, url)
			until(t, "the first attempt to post the announcement", func() bool {
				return len(w.discord.CallsTo("POST", "/channels/"+mdGeneral+"/messages")) > posts
			})
			c.kill(t)
			gw, err := openDB(t, url).Giveaway(context.Background(), 1)
			if err != nil || gw.State != bot.GiveawayDrawn {
				t.Fatalf("after the kill the giveaway is %+v, %v; want drawn (committed)", gw, err)
			}
			if n := w.countMessages(isDraw(1)); n != 0 {
				t.Fatalf("%d announcements before the restart, want none", n)
			}
			drawnOnce(t, w, url, winner)
		})
	}
}

// Killed the moment Discord has the announcement, whether or not the
// process recorded it as sent: the next one does not post it again.
func TestAGiveawayKilledAsItsAnnouncementLandsIsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			w, url, winner := crashWorld(t, dialect)
			c := w.runChild(t, url)
			until(t, "the announcement", func() bool { return w.countMessages(isDraw(1)) > 0 })
			c.kill(t)
			drawnOnce(t, w, url, winner)
		})
	}
}

// Killed in the middle of the draw, its transaction open (waiting for the
// giveaway's row, which the test holds): nothing was committed, and the
// next process draws the same winners from the same seed and entrants,
// once. Postgres shows where the child waits; SQLite has no such view.
func TestAGiveawayKilledBetweenDrawAndCommitIsDrawnTheSameOnce(t *testing.T) {
	t.Parallel()
	w, url, winner := crashWorld(t, store.Postgres)
	ctx := context.Background()
	db := openDB(t, url)
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Giveaway(ctx, 1); err != nil { // FOR UPDATE
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("holding the giveaway's row: %v", err)
	}
	admin, err := sqlx.Open("postgres", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	c := w.runChild(t, url)
	until(t, "the child's draw to wait for the giveaway's row", func() bool {
		var n int
		err := admin.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM giveaways%' AND pid <> pg_backend_pid()`)
		return err == nil && n > 0
	})
	c.kill(t)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	until(t, "the killed draw's connection to end", func() bool {
		var n int
		err := admin.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%FROM giveaways%' AND state <> 'idle' AND pid <> pg_backend_pid()`)
		return err == nil && n == 0
	})
	if gw, err := db.Giveaway(ctx, 1); err != nil || gw.State != bot.GiveawayOpen {
		t.Fatalf("after the kill the giveaway is %+v, %v; want open: nothing committed", gw, err)
	}
	if n := w.countMessages(isDraw(1)); n != 0 {
		t.Fatalf("%d announcements before the restart", n)
	}
	drawnOnce(t, w, url, winner)
}
