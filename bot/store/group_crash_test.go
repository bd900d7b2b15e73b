package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// crashChildEnv names the database the test binary writes to when it runs
// as TestACrashMidGroupLosesNothingAcknowledged's child.
const crashChildEnv = "LIAISON_GROUP_CRASH_CHILD"

// A process SIGKILLed while its committers run groups loses nothing it
// acknowledged: every transaction whose InTx returned nil, an inbound key
// and an outbox row as a Discord message's intake writes, is in the
// database when it is opened again. The child (this test binary again)
// writes from many goroutines at once and prints "start N" before and
// "ack N" after each transaction; it is killed once it has acknowledged
// some hundreds, with transactions in flight.
func TestACrashMidGroupLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := storetest.URL(t, dialect)
			db := storetest.OpenURL(t, url, store.Options{})
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			db.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGroupCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+url)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			const killAfter = 400
			started, acked := map[int]bool{}, map[int]bool{}
			var groups, items int64
			killed := false
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) < 2 {
					continue
				}
				n, err := strconv.Atoi(f[1])
				if err != nil {
					continue
				}
				switch f[0] {
				case "start":
					started[n] = true
				case "ack":
					acked[n] = true
					if len(f) == 4 {
						groups, _ = strconv.ParseInt(f[2], 10, 64)
						items, _ = strconv.ParseInt(f[3], 10, 64)
					}
				}
				if !killed && len(acked) >= killAfter {
					if err := cmd.Process.Kill(); err != nil { // SIGKILL
						t.Fatal(err)
					}
					killed = true
				}
			}
			err = cmd.Wait()
			if !killed {
				t.Fatalf("the child ended before it was killed (%d acknowledged): %v", len(acked), err)
			}
			inFlight := 0
			for n := range started {
				if !acked[n] {
					inFlight++
				}
			}
			if inFlight == 0 {
				t.Fatalf("no transaction was in flight when the child was killed")
			}
			if items <= groups {
				t.Errorf("the child committed %d transactions in %d groups: want groups of several", items, groups)
			}

			// Restart: open the database again and look for every
			// acknowledged transaction's writes.
			db = storetest.OpenURL(t, url, store.Options{})
			rctx := context.Background()
			lost := 0
			for n := range acked {
				key := fmt.Sprintf("crash:%d", n)
				seen, err := db.FirstSeen(rctx, t0, "crash_test", key)
				if err != nil {
					t.Fatal(err)
				}
				if seen { // first seen now: the child's write is gone
					lost++
					continue
				}
				if _, err := db.OutboxByKey(rctx, key); err != nil {
					t.Errorf("the outbox row of acknowledged transaction %d: %v", n, err)
				}
			}
			t.Logf("%s: %d acknowledged (%d transactions in %d groups), %d in flight when killed, %d lost", dialect, len(acked), items, groups, inFlight, lost)
			if lost > 0 {
				t.Errorf("%d of %d acknowledged transactions lost in the crash", lost, len(acked))
			}
		})
	}
}

// TestGroupCrashChild is the child process of
// TestACrashMidGroupLosesNothingAcknowledged: it writes until it is
// killed (or for a minute). Run on its own, it has nothing to do.
func TestGroupCrashChild(t *testing.T) {
	url := os.Getenv(crashChildEnv)
	if url == "" {
		t.Skip("TestACrashMidGroupLosesNothingAcknowledged's child process")
	}
	db, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		next atomic.Int64
		mu   sync.Mutex // one line per write
		wg   sync.WaitGroup
	)
	say := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format, args...)
		mu.Unlock()
	}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := next.Add(1)
				key := fmt.Sprintf("crash:%d", n)
				say("start %d\n", n)
				err := db.InTx(ctx, func(tx *store.Tx) error {
					if _, err := tx.FirstSeen(ctx, t0, "crash_test", key); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, t0, &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: []byte(`{"text":"x"}`)})
					return err
				})
				if err != nil {
					t.Errorf("transaction %d: %v", n, err)
					return
				}
				g, i := db.GroupCommits()
				say("ack %d %d %d\n", n, g, i)
			}
		}()
	}
	wg.Wait()
}
