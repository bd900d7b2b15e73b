// Command watch-rss measures whether the watch's memory grows with the
// number of mentions it has seen. It is a benchmark tool, not part of the
// product.
//
//	go run ./bench/watch-rss -n 1000000 [-db /tmp/watch-rss.db] [-batch 100] [-workers 4]
//
// It builds the capabilities as `liaison run` does (handlers.Build) on a
// fresh SQLite database, with a watch: section of one query routed to a
// Slack channel, and hands n distinct web items (each its own canonical
// URL, a few negative so that alerts and spikes are raised too) to the
// watch's ingestion path, Watch.Ingest: the Sink the poller hands what the
// sources fetched to, in pages of -batch items, -workers pages at once. Each item is matched, canonicalised, scored,
// deduplicated in the store (the unique hash of its canonical URL) and
// written with its outbox message in one transaction. Every tenth batch
// also hands on an item seen before, which must change nothing.
//
// After 1,000 items, and at each checkpoint up to n, it forces a garbage
// collection, returns freed memory to the OS, and prints the Go heap in
// use and the process's resident set size (VmRSS from /proc/self/status).
// The bound: RSS after 1M mentions within 10 MB of RSS after 1,000.
// The exit status is 1 when the bound (-max-growth) is exceeded.
//
// Measured on 2026-12-03 (2 shared cores, database on tmpfs, -n 1000000):
// RSS 28.84 MB after 1,000 mentions, 29.76 MB after 1,000,000 (+0.92 MB);
// Go heap in use 2.75 MB, then 2.77 MB; 2,700 alerts; 536 items/s.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	botwatch "github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/handlers"
)

const configYAML = `timezone: Europe/Paris
slack:
  channels: {marketing: C01MARKETING, community: C01COMMUNITY}
people:
  - {name: carol, slack: U01CAROL}
watch:
  user_agent: "Liaison-bench (+https://acme.example/community-bot)"
  queries:
    - {name: brand, query: '"Acme Cloud" OR acmecloud -jobs', sources: [hn, reddit], route: marketing}
  alerts: community
  on_call: [carol]
`

func main() {
	n := flag.Int("n", 1_000_000, "mentions to ingest")
	batch := flag.Int("batch", 100, "items per Ingest call (a source's page)")
	workers := flag.Int("workers", 4, "pages ingested at once (the poller polls 4 sources at once)")
	dbPath := flag.String("db", "", "SQLite file (default: a fresh one in a temporary directory, removed at exit)")
	maxGrowth := flag.Float64("max-growth", 10, "MB of RSS growth allowed between 1,000 mentions and n")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the ingestion to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "watch-rss:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "watch-rss:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *batch, *workers, *dbPath, *maxGrowth); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "watch-rss:", err)
		os.Exit(1)
	}
}

type sample struct {
	mentions    int
	heap, rss   float64 // MB
	elapsed     time.Duration
	itemsPerSec float64
	dbMB        float64
}

func run(n, batch, workers int, dbPath string, maxGrowth float64) error {
	ctx := context.Background()
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "watch-rss")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "liaison.db")
	}
	db, err := store.Open(ctx, "sqlite:"+dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	cfg, err := config.Parse("liaison.yaml", []byte(configYAML))
	if err != nil {
		return err
	}
	// Monday 10:00 in Paris; one item a second, so the spike windows and
	// the business-hours clock move as they would.
	clock := bot.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	caps := handlers.Build(handlers.Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	w := caps.Watch

	checkpoints := []int{1_000, 10_000, 50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000, 800_000, 900_000, 1_000_000}
	var marks []int
	for _, c := range checkpoints {
		if c < n {
			marks = append(marks, c)
		}
	}
	marks = append(marks, n)

	start := time.Now()
	var samples []sample
	done := 0
	var dups atomic.Int64
	for _, mark := range marks {
		// workers ingest pages concurrently, as the poller's concurrent
		// sources do, until mark items were handed on.
		var next atomic.Int64
		next.Store(int64(done))
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				page := make([]botwatch.Item, 0, batch+1)
				for {
					hi := int(next.Add(int64(batch)))
					lo := hi - batch
					if lo >= mark {
						return
					}
					hi = min(hi, mark)
					page = page[:0]
					for i := lo + 1; i <= hi; i++ {
						clock.Advance(time.Second)
						page = append(page, item(i))
					}
					if hi%(10*batch) == 0 && hi > batch {
						page = append(page, item(hi-batch)) // a page repeated: nothing new
						dups.Add(1)
					}
					if err := w.Ingest(ctx, page); err != nil {
						errs <- fmt.Errorf("ingest items %d to %d: %w", lo+1, hi, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		done = mark
		s := measure(dbPath)
		s.mentions, s.elapsed = done, time.Since(start)
		s.itemsPerSec = float64(done) / s.elapsed.Seconds()
		samples = append(samples, s)
		fmt.Printf("%9d mentions  heap %7.2f MB  rss %7.2f MB  db %8.1f MB  %6.0f items/s  (%s)\n",
			s.mentions, s.heap, s.rss, s.dbMB, s.itemsPerSec, s.elapsed.Round(time.Second))
	}
	alerts := 0
	for i := 1; i <= n; i++ {
		if negative(i) {
			alerts++
		}
	}
	// The store holds what was ingested: one row per distinct URL.
	ms, err := db.MentionsSince(ctx, time.Time{}, clock.Now().Add(time.Hour))
	if err != nil {
		return err
	}
	if len(ms) != n {
		return fmt.Errorf("%d mentions in the store, want %d (the repeated pages must add none)", len(ms), n)
	}
	ms = nil
	first, last := samples[0], samples[len(samples)-1]
	growth := last.rss - first.rss
	fmt.Printf("%d mentions (%d of them alerts), %d repeated items that added none\n", n, alerts, dups.Load())
	fmt.Printf("RSS after %d mentions: %.2f MB; after %d: %.2f MB; growth %.2f MB (bound %.0f MB); heap growth %.2f MB\n",
		first.mentions, first.rss, last.mentions, last.rss, growth, maxGrowth, last.heap-first.heap)
	if growth > maxGrowth {
		return fmt.Errorf("RSS grew by %.2f MB, more than %.0f MB", growth, maxGrowth)
	}
	return nil
}

// negative says whether the i-th page is an alert: every 500th, and the
// first 8 of every 10,000 (a burst that opens a spike and edits it).
func negative(i int) bool { return i%500 == 0 || i%10_000 < 8 }

// item is the i-th web page: its own URL (with a tracking parameter the
// canonical form drops), about the brand, some negative (see negative).
func item(i int) botwatch.Item {
	id := strconv.Itoa(i)
	text := "Trying Acme Cloud for our side project, the dashboard is fine and the docs are clear " + id
	if negative(i) {
		text = "Acme Cloud is down again, an outage, awful support " + id
	}
	return botwatch.Item{Source: botwatch.SourceHN, ID: id, Author: "user" + strconv.Itoa(i%5000),
		URL:   "https://blog" + strconv.Itoa(i%1000) + ".example.com/posts/" + id + "?utm_source=hn",
		Title: "AcmeCloud notes " + id, Text: text, Published: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
}

func measure(dbPath string) sample {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := sample{heap: float64(m.HeapInuse) / (1 << 20), rss: rssMB()}
	var size int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(dbPath + suffix); err == nil {
			size += fi.Size()
		}
	}
	s.dbMB = float64(size) / (1 << 20)
	return s
}

// rssMB reads VmRSS from /proc/self/status (Linux); 0 elsewhere.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
