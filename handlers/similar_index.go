package handlers

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// similarIndex finds the items like a text: for each item of the last 90
// days that is not merged, its similarity keys (bot.Shingles' MinHash band
// and word keys), and for each key the items that have it, by id.
//
// It lives in memory. Stored as rows, the ~30 keys of every message taken
// in, and the look-up reading them back, were half of Postgres's work at
// intake. It holds nothing the database does not: the items' texts are the
// truth, and the items say which of those it finds are open (at intake
// store.Tx.CreateFeedbackRelayed, for the Merge form
// store.Tx.SimilarItems), so a stale entry costs a candidate, never a
// suggestion of a closed item. It is loaded from the items at the first
// look-up, kept by this replica's commits (OnCommit), and, on Postgres,
// told of the other replicas' changes by sync, which reads the items
// changed since it last looked. Two look-alikes taken in by two replicas
// within a sync of each other may both miss the suggestion.
type similarIndex struct {
	mu       sync.RWMutex
	loaded   bool
	postings postings
	items    map[int64]indexedItem
	// seen is the latest updated_at read from the items: sync reads the
	// items changed since a margin before it.
	seen   time.Time
	pruned time.Time
}

// indexedItem is an item as the index knows it: its shingles, which
// intake scores new items against and its keys are computed from again
// when it leaves the lists (none for a merged one, kept so that sync does
// not read it again), and when it was created and last changed.
type indexedItem struct {
	sh               bot.Shingles
	created, updated time.Time
}

// postingCap is how many items of one key's posting list a look-up reads,
// newest first: a key shared by thousands of items (a common word, a text
// posted again and again) costs as much as a rare one. The ranking prefers
// the newest items among equals anyway, so the candidates change only when
// an older item shares more keys than the postingCap newer ones sharing
// each of them.
const postingCap = 64

// intakePostingCap is postingCap for intake's suggestion, which scores the
// scoredMax best ranked only: a band shared by more items than this is a
// text posted again and again, whose newest copies are as like the new one
// as its older ones. Reading 64 a band was a tenth of the /feedback
// server's CPU on a corpus of look-alikes.
const intakePostingCap = 16

// syncMargin is how far before the latest change it has read sync reads
// again: a transaction commits after the time it wrote in updated_at
// (group commit, retries), and replicas' clocks differ a little.
const syncMargin = 10 * time.Second

// textKeys are the keys under which the items like text find it.
func textKeys(sh bot.Shingles) []uint64 {
	return slices.Concat(sh.BandKeys(), sh.WordKeys())
}

// scoredMax bounds how many of the items sharing band keys with a new one
// intake scores, the most shared first (then the newest): the ranking by
// bands shared follows their likeness closely, so the best few are
// enough, and scoring 200 was a third of the /feedback server's CPU when
// many texts shared a band.
const scoredMax = 20

// like returns the items that share bands with sh (bands, its band keys),
// scored against it (bot.Similarity) and at least threshold, best first (then
// newest): in memory, from the shingles the index holds, so the store
// reads only whether they are open (store.Tx.CreateFeedbackRelayed).
func (x *similarIndex) like(sh bot.Shingles, bands []uint64, threshold float64) []store.Like {
	ranked := x.rank(bands, 0, intakePostingCap, scoredMax)
	var out []store.Like
	// The candidates are read in passes: their items, then the first
	// of their shingles, then the scores. Within a pass the reads do not
	// depend on one another, so their cache misses overlap, where scoring
	// each candidate as it was found waited for each miss in turn: among
	// 100,000 items, texts not in cache, this was a quarter of the
	// look-up.
	var found [scoredMax]bot.Shingles
	x.mu.RLock()
	for i, r := range ranked {
		found[i] = x.items[r.ID].sh // none for an item not held
	}
	var warm uint64
	for i := range ranked {
		warm ^= found[i].Warm()
	}
	keep(warm)
	for i, r := range ranked {
		if s, ok := bot.SimilarityAtLeast(sh, found[i], threshold); ok {
			out = append(out, store.Like{ID: r.ID, Score: s})
		}
	}
	x.mu.RUnlock()
	slices.SortStableFunc(out, func(a, b store.Like) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// likeLoaded is like when the index is loaded; false when it is not
// (ensure loads it, in a transaction).
func (x *similarIndex) likeLoaded(sh bot.Shingles, bands []uint64, threshold float64) ([]store.Like, bool) {
	x.mu.RLock()
	loaded := x.loaded
	x.mu.RUnlock()
	if !loaded {
		return nil, false
	}
	return x.like(sh, bands, threshold), true
}

// ensure loads the index, in tx, unless it is loaded: the items created
// since, not merged.
func (x *similarIndex) ensure(ctx context.Context, tx *store.Tx, since time.Time) error {
	x.mu.RLock()
	loaded := x.loaded
	x.mu.RUnlock()
	if loaded {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded {
		return nil
	}
	x.postings, x.items = newPostings(), map[int64]indexedItem{}
	latest, err := tx.TextsToIndex(ctx, since, func(it store.IndexedText) error {
		sh := bot.ShinglesOf(itemText(it.Title, it.Text))
		x.putLocked(it.ID, sh, textKeys(sh), it.CreatedAt, it.UpdatedAt)
		return nil
	})
	if err != nil {
		return err
	}
	x.seen, x.pruned, x.loaded = latest, since, true
	return nil
}

// put indexes item id, of shingles sh, under keys (replacing what it had),
// unless the index is not loaded yet: its load will read the item.
func (x *similarIndex) put(id int64, sh bot.Shingles, keys []uint64, created, updated time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded {
		x.putLocked(id, sh, keys, created, updated)
	}
}

func (x *similarIndex) putLocked(id int64, sh bot.Shingles, keys []uint64, created, updated time.Time) {
	if old, ok := x.items[id]; ok {
		x.unpostLocked(id, old.sh)
	}
	x.postings.addAll(keys, id)
	// Postgres keeps microseconds, rounded: an item this replica wrote
	// must compare equal to what sync reads back, or each one would be
	// indexed a second time (half of them were).
	x.items[id] = indexedItem{sh: sh.Trimmed(), created: created, updated: updated.Round(time.Microsecond)}
}

// unpostLocked takes item id, of shingles sh, out of its keys' lists.
func (x *similarIndex) unpostLocked(id int64, sh bot.Shingles) {
	for _, k := range textKeys(sh) {
		x.postings.remove(k, id)
	}
}

// rank returns the items sharing keys but exclude, most shared first, then
// newest first, the first most of them (0: all): at most perKey items of
// each key's list are read.
func (x *similarIndex) rank(keys []uint64, exclude int64, perKey, most int) []store.Ranked {
	// Sorted to drop repeats, in an array of its own: intake's 20 band
	// keys, and most texts' words, fit on the stack.
	var buf [64]uint64
	sorted := append(buf[:0], keys...)
	slices.Sort(sorted)
	keys = slices.Compact(sorted)
	t := getTally(len(keys) * perKey)
	defer t.release()
	var gathered [64]keyItems
	x.mu.RLock()
	items, warm := x.postings.gather(keys, gathered[:0])
	keep(uint64(warm))
	for _, ki := range items {
		ki.newestOf(exclude, perKey, t.add)
	}
	x.mu.RUnlock()
	n := len(t.used)
	if most > 0 {
		n = min(n, most)
	}
	b := best{h: make([]store.Ranked, 0, n), most: most}
	for _, i := range t.used {
		b.push(store.Ranked{ID: t.slots[i].id, Shared: int(t.slots[i].n)})
	}
	return b.sorted()
}

// byRank orders ranked items: most shared first, then newest (highest id).
func byRank(a, b store.Ranked) int {
	if a.Shared != b.Shared {
		return cmp.Compare(b.Shared, a.Shared)
	}
	return cmp.Compare(b.ID, a.ID)
}

// best keeps the first most of the items pushed to it by rank (all when
// most is 0). Intake keeps 20 of up to 320 items: a heap of the best 20 so
// far, whose root is the last of them, passes over the others with one
// comparison each, where sorting all of them was a twentieth of the
// /feedback server's CPU, and copying them all out of the tally first a
// twentieth of its allocations.
type best struct {
	h    []store.Ranked // a heap once it holds most: every parent ranks after its children
	most int
}

func (b *best) push(r store.Ranked) {
	switch {
	case b.most <= 0 || len(b.h) < b.most:
		b.h = append(b.h, r)
		if len(b.h) == b.most {
			for i := len(b.h)/2 - 1; i >= 0; i-- {
				siftLast(b.h, i)
			}
		}
	case byRank(r, b.h[0]) < 0:
		b.h[0] = r
		siftLast(b.h, 0)
	}
}

// sorted returns what b kept, in order.
func (b *best) sorted() []store.Ranked {
	slices.SortFunc(b.h, byRank)
	return b.h
}

// siftLast moves h[i] down the heap h, whose every parent ranks after its
// children, to where it belongs.
func siftLast(h []store.Ranked, i int) {
	for {
		last := i
		if l := 2*i + 1; l < len(h) && byRank(h[l], h[last]) > 0 {
			last = l
		}
		if r := 2*i + 2; r < len(h) && byRank(h[r], h[last]) > 0 {
			last = r
		}
		if last == i {
			return
		}
		h[i], h[last] = h[last], h[i]
		i = last
	}
}

// tally counts how many of a look-up's keys each item shares: a table with
// open addressing, sized for the most items the look-up can read, so it
// never grows, and kept for the next look-up (tallies). Counted in a map,
// the look-up's ~300 ids were a third of intake's look-alike search.
type tally struct {
	slots []tallySlot // a power of two long; n == 0: free
	shift uint
	used  []int32 // the slots taken, in the order taken
}

type tallySlot struct {
	id int64
	n  int32
}

// tallies are the tallies free for a look-up: each long enough for the
// last look-up that took it, and left empty (only its used slots are
// cleared).
var tallies = sync.Pool{New: func() any { return new(tally) }}

// getTally returns an empty tally for up to most items, at most half
// full.
func getTally(most int) *tally {
	t := tallies.Get().(*tally)
	size, shift := 16, uint(60)
	for size < 2*most {
		size, shift = size*2, shift-1
	}
	if cap(t.slots) < size {
		t.slots = make([]tallySlot, size)
	}
	t.slots, t.shift, t.used = t.slots[:size], shift, t.used[:0]
	return t
}

// release empties t, clearing only the slots it used, and gives it back.
func (t *tally) release() {
	for _, i := range t.used {
		t.slots[i] = tallySlot{}
	}
	t.used = t.used[:0]
	tallies.Put(t)
}

// add counts one more key shared by item id.
func (t *tally) add(id int64) {
	mask := len(t.slots) - 1
	for i := int(uint64(id) * 0x9E3779B97F4A7C15 >> t.shift); ; i = (i + 1) & mask {
		switch sl := &t.slots[i]; {
		case sl.n == 0:
			sl.id, sl.n = id, 1
			t.used = append(t.used, int32(i))
			return
		case sl.id == id:
			sl.n++
			return
		}
	}
}

// sync reads from db the items changed since the index last looked (less
// syncMargin) and indexes again those it has not seen in that state: the
// other replicas' new, edited and merged items. It reads nothing before the
// index is loaded (the load reads everything).
func (x *similarIndex) sync(ctx context.Context, db *store.DB, since time.Time) error {
	x.mu.RLock()
	loaded, seen := x.loaded, x.seen
	x.mu.RUnlock()
	if !loaded {
		return nil
	}
	changes, err := db.FeedbackChangedSince(ctx, seen.Add(-syncMargin))
	if err != nil {
		return err
	}
	var ids []int64
	latest := seen
	x.mu.RLock()
	for _, c := range changes {
		if c.UpdatedAt.After(latest) {
			latest = c.UpdatedAt
		}
		if it, ok := x.items[c.ID]; !ok || c.UpdatedAt.After(it.updated) {
			ids = append(ids, c.ID)
		}
	}
	x.mu.RUnlock()
	texts, err := db.TextsByID(ctx, ids)
	if err != nil {
		return err
	}
	// Keys are computed before the lock is taken: look-ups go on meanwhile.
	keys := make([][]uint64, len(texts))
	shingles := make([]bot.Shingles, len(texts))
	for i, t := range texts {
		if !t.Merged && !t.CreatedAt.Before(since) {
			shingles[i] = bot.ShinglesOf(itemText(t.Title, t.Text))
			keys[i] = textKeys(shingles[i])
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, t := range texts {
		if cur, ok := x.items[t.ID]; ok && !t.UpdatedAt.After(cur.updated) {
			continue // this replica changed it again meanwhile
		}
		x.putLocked(t.ID, shingles[i], keys[i], t.CreatedAt, t.UpdatedAt)
	}
	if latest.After(x.seen) {
		x.seen = latest
	}
	return nil
}

// prune forgets the items created before since: the look-up reads none of
// them.
func (x *similarIndex) prune(since time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.loaded {
		return
	}
	for id, it := range x.items {
		if it.created.Before(since) {
			x.unpostLocked(id, it.sh)
			delete(x.items, id)
		}
	}
	x.pruned = since
}

// SimilarityIndexed is how many items the similarity index holds (not
// merged), for /metrics: its memory follows it.
func (fb *Feedback) SimilarityIndexed() int {
	fb.index.mu.RLock()
	defer fb.index.mu.RUnlock()
	n := 0
	for _, it := range fb.index.items {
		if !it.sh.Empty() {
			n++
		}
	}
	return n
}

// similarSyncEvery is how often a replica's similarity index reads the
// items the others changed (Postgres), and pruneEvery how often it forgets
// the items older than 90 days.
const (
	similarSyncEvery = 2 * time.Second
	pruneEvery       = time.Hour
)

// FollowItems keeps this replica's similarity index current until ctx ends:
// on Postgres it reads the items other replicas changed every
// similarSyncEvery; everywhere it forgets the items older than the window
// every hour. Errors are logged and tried again at the next tick.
func (fb *Feedback) FollowItems(ctx context.Context, logger *slog.Logger) {
	t := time.NewTicker(similarSyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		since := fb.clock.Now().Add(-similarWindow)
		if fb.db.Dialect() == store.Postgres {
			if err := fb.index.sync(ctx, fb.db, since); err != nil && ctx.Err() == nil {
				logger.Warn("similarity index: reading the items other replicas changed", "err", err)
			}
		}
		fb.index.mu.RLock()
		due := fb.index.loaded && since.Sub(fb.index.pruned) >= pruneEvery
		fb.index.mu.RUnlock()
		if due {
			fb.index.prune(since)
		}
	}
}
