package handlers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// similarVocabulary makes texts that look like feedback: a few product
// words each, from a vocabulary large enough that most texts differ.
var similarVocabulary = strings.Fields(`export import csv parquet json pdf dashboard chart report filter search sort login sso password
invoice billing refund currency price plan team member role permission admin api webhook token slack discord email notification
mobile android iphone tablet desktop browser safari firefox chrome crash slow freeze error broken missing wrong timeout upload
download file folder image video audio calendar reminder schedule timezone language french english translation theme dark light
font size color layout button menu sidebar header footer link share comment like vote tag label archive delete restore history
backup sync offline cache memory battery speed performance loading spinner page screen window popup modal form field checkbox`)

func similarText(r *rand.Rand) string {
	n := 4 + r.IntN(5)
	words := make([]string, n)
	for i := range words {
		words[i] = similarVocabulary[r.IntN(len(similarVocabulary))]
	}
	return "the " + strings.Join(words, " and ")
}

// alikeText makes texts that share most of their words with many others:
// a handful of requests posted again and again in other words.
func alikeText(r *rand.Rand) string {
	base := [...]string{"the export to csv is broken", "dark theme for the mobile app", "login with sso fails", "slow dashboard loading"}
	return base[r.IntN(len(base))] + " " + similarVocabulary[r.IntN(len(similarVocabulary))]
}

// corpusText makes a text of a corpus: similarText, or with alike, half
// the time alikeText.
func corpusText(r *rand.Rand, alike bool) string {
	if alike && r.IntN(2) == 0 {
		return alikeText(r)
	}
	return similarText(r)
}

// BenchmarkSimilarityAtIntake measures intake's creation of an item with
// its duplicate suggestion among 10,000 open items (of the last 90 days):
// the MinHash band look-ups and the scoring in the index, then the item's
// INSERT, which keeps the first open look-alike.
// "varied": texts of random product words; "alike": half the items (and
// half the new ones) are a few requests posted again and again, so some
// keys are shared by thousands of items. The database has no statistics
// (no ANALYZE after the bulk load): the look-up must not depend on them.
// Report: p99-ms (and ns/op, the mean), and the index's memory per item.
func BenchmarkSimilarityAtIntake(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		for _, corpus := range []string{"varied", "alike"} {
			b.Run(dialect+"/"+corpus, func(b *testing.B) {
				benchSimilarity(b, dialect, corpus == "alike")
			})
		}
	}
}

func benchSimilarity(b *testing.B, dialect string, alike bool) {
	db := storetest.Open(b, dialect)
	fb := setupBench(b, db).caps.Feedback
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	text := func() string { return corpusText(r, alike) }
	now := fb.clock.Now()
	const open = 10_000
	for start := 0; start < open; start += 500 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := start; i < start+500; i++ {
				it := &store.FeedbackItem{SourceKey: fmt.Sprintf("bench:%d", i), Source: bot.PlatformDiscord, Intake: "channel",
					AuthorName: "alice", Text: text()}
				if _, err := tx.CreateFeedback(ctx, now.Add(-time.Duration(i)*time.Minute), it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	durations := make([]time.Duration, 0, b.N)
	texts := make([]string, b.N)
	for i := range texts {
		texts[i] = text()
	}
	// The index is loaded from the items at the first look-up: not timed,
	// but its memory is reported (heap after a collection, per item).
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return fb.index.ensure(ctx, tx, now.Add(-similarWindow))
	}); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perItem := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / open
	// Timed is intake's creation of each new item with its suggestion
	// (prepareIntake's look-up and scoring in memory, then createIndexed's INSERT
	// that keeps the first open look-alike), not the transaction around.
	b.ResetTimer()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, text := range texts {
			it := &store.FeedbackItem{SourceKey: fmt.Sprintf("bench:new:%d", i), Source: bot.PlatformDiscord, Intake: "channel",
				AuthorName: "eve", Text: text}
			t0 := time.Now()
			p := &preparedIntake{fb: fb, now: now, sh: bot.ShinglesOf(text)}
			p.bands = p.sh.BandKeys()
			p.like, p.liked = fb.index.likeLoaded(p.sh, p.bands, fb.cfg.Feedback.SimilarThreshold)
			if _, err := fb.createIndexed(ctx, tx, p, it, noRelays); err != nil {
				return err
			}
			durations = append(durations, time.Since(t0))
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(durations)
	p99 := durations[min(len(durations)-1, len(durations)*99/100)]
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(perItem, "index-B/item")
}

// noRelays routes an item nowhere.
func noRelays(*store.FeedbackItem) ([]store.RelayOut, error) { return nil, nil }

// BenchmarkSimilarityLookAlikes measures intake's look-up and scoring of
// look-alikes alone (similarIndex.like), in memory, among 10,000 and
// 100,000 indexed items (a busy quarter's, whose keys no cache holds): the
// CPU each new item costs before its INSERT.
func BenchmarkSimilarityLookAlikes(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		for _, corpus := range []string{"varied", "alike"} {
			b.Run(fmt.Sprintf("%s/%d", corpus, size), func(b *testing.B) {
				x, queries := lookAlikeCorpus(corpus, size)
				found, threshold := 0, config.Default().Feedback.SimilarThreshold
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					q := queries[i%len(queries)]
					found += len(x.like(q.sh, q.bands, threshold))
				}
				b.ReportMetric(float64(found)/float64(b.N), "look-alikes/op")
			})
		}
	}
}

// BenchmarkSimilarityIndexing measures the indexing of a new item (its
// keys added to the lists) among 100,000, as each intake's commit does.
func BenchmarkSimilarityIndexing(b *testing.B) {
	x, queries := lookAlikeCorpus("varied", 100_000)
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	keys := make([][]uint64, len(queries))
	for i, q := range queries {
		keys[i] = textKeys(q.sh)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		q := queries[i%len(queries)]
		x.putLocked(int64(100_001+i), q.sh, keys[i%len(keys)], now, now)
	}
}

// lookAlikeQueries is how many texts a look-up benchmark looks up, in
// turn: enough that the index's entries they read are not in cache, as
// in the serve, where each text is new. With 256, read again and again,
// they were, and the look-up among 100,000 items seemed to cost half of
// what it does.
const lookAlikeQueries = 16384

type lookAlikeQuery struct {
	sh    bot.Shingles
	bands []uint64
}

// lookAlikeCorpus is an index of size items of corpus's texts, and
// lookAlikeQueries texts more to look up.
func lookAlikeCorpus(corpus string, size int) (*similarIndex, []lookAlikeQuery) {
	r := rand.New(rand.NewPCG(1, 2))
	text := func() string { return corpusText(r, corpus == "alike") }
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	x := &similarIndex{loaded: true, postings: newPostings(), items: map[int64]indexedItem{}}
	for id := range int64(size) {
		sh := bot.ShinglesOf(text())
		x.putLocked(id+1, sh, textKeys(sh), now, now)
	}
	queries := make([]lookAlikeQuery, lookAlikeQueries)
	for i := range queries {
		sh := bot.ShinglesOf(text())
		queries[i] = lookAlikeQuery{sh, sh.BandKeys()}
	}
	return x, queries
}
