package handlers

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// A key's list goes from one item (held without a list) to several and
// back, in id order, each item once.
func TestPostingsListEachItemOnceNewestFirst(t *testing.T) {
	p := newPostings()
	list := func(k uint64, exclude int64, n int) []int64 {
		var out []int64
		p.newest(k, exclude, n, func(id int64) { out = append(out, id) })
		return out
	}
	p.add(1, 5)
	p.add(1, 5)
	if got := list(1, 0, 10); !slices.Equal(got, []int64{5}) || p.listed() != 0 {
		t.Fatalf("one item twice: %v (%d lists), want [5] without a list", got, p.listed())
	}
	p.add(1, 3)
	p.add(1, 9)
	p.add(1, 7)
	p.add(1, 3)
	if got := list(1, 0, 10); !slices.Equal(got, []int64{9, 7, 5, 3}) {
		t.Errorf("four items: %v, want newest first [9 7 5 3]", got)
	}
	if got := list(1, 7, 2); !slices.Equal(got, []int64{9, 5}) {
		t.Errorf("two newest but 7: %v, want [9 5]", got)
	}
	for _, id := range []int64{9, 3, 4, 7} {
		p.remove(1, id)
	}
	if got := list(1, 0, 10); !slices.Equal(got, []int64{5}) || p.listed() != 0 || p.keys[1] != 5 {
		t.Errorf("after removing three (and one never added): %v, %d lists, want [5] without a list", got, p.listed())
	}
	p.remove(1, 6)
	p.remove(1, 5)
	if got := list(1, 0, 10); len(got) != 0 || len(p.keys) != 0 {
		t.Errorf("after removing the last: %v, %d keys", got, len(p.keys))
	}
	p.add(2, 4)
	if got := list(2, 4, 10); len(got) != 0 {
		t.Errorf("the only item, excluded: %v", got)
	}
	// A list given up is taken by the next key that needs one, and the
	// other keys' lists stay theirs.
	for _, id := range []int64{1, 2} {
		p.add(3, id)
		p.add(4, id+10)
	}
	p.remove(3, 1)
	p.add(5, 20)
	p.add(5, 21)
	p.add(5, 22)
	if n := len(p.lists); n != 2 {
		t.Errorf("%d lists held for two keys with several items, want 2 (the one given up taken again)", n)
	}
	for k, want := range map[uint64][]int64{2: {4}, 3: {2}, 4: {12, 11}, 5: {22, 21, 20}} {
		if got := list(k, 0, 10); !slices.Equal(got, want) {
			t.Errorf("key %d lists %v, want %v", k, got, want)
		}
	}
}

// The index is read and changed from many goroutines at once: intake's
// look-ups, commits adding items, the sync and the prune (run with -race).
func TestTheSimilarityIndexTakesConcurrentLookUpsAndChanges(t *testing.T) {
	var x similarIndex
	x.postings, x.items, x.loaded = newPostings(), map[int64]indexedItem{}, true
	texts := []string{"the export to csv is broken", "dark theme for the mobile app", "login with sso fails", "slow dashboard loading"}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() { // commits
			defer wg.Done()
			for i := range 200 {
				sh := bot.ShinglesOf(texts[(w+i)%len(texts)])
				x.put(int64(w*1000+i%50+1), sh, textKeys(sh), now.Add(time.Duration(i)*time.Minute), now)
			}
		}()
		go func() { // look-ups
			defer wg.Done()
			for i := range 200 {
				sh := bot.ShinglesOf(texts[(w+i)%len(texts)])
				for _, l := range x.like(sh, sh.BandKeys(), 0.5) {
					if l.Score < 0.5 || l.Score > 1 {
						t.Errorf("a look-alike scored %v", l.Score)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			x.prune(now.Add(time.Duration(i*5) * time.Minute))
		}
	}()
	wg.Wait()
	// Each list holds only items that have its key (a text replaced or an
	// item forgotten left nothing behind), and each item is in each of its
	// keys' lists once.
	has := func(k uint64, id int64) {
		it, ok := x.items[id]
		if !ok || !slices.Contains(textKeys(it.sh), k) {
			t.Fatalf("item %d is listed under a key it does not have (indexed: %v)", id, ok)
		}
	}
	x.postings.each(func(k uint64, ids []int64) {
		for _, id := range ids {
			has(k, id)
		}
	})
	// Each item id holds its last text, once, in each of its keys' lists.
	for id, it := range x.items {
		for _, k := range textKeys(it.sh) {
			n := 0
			x.postings.newest(k, 0, 1<<30, func(got int64) {
				if got == id {
					n++
				}
			})
			if n != 1 {
				t.Fatalf("item %d is %d times under one of its keys", id, n)
			}
		}
	}
}

// rank's tally counts as a map would, look-up after look-up, whatever the
// size of the one before (a tally is reused, grown, and left empty).
func TestTallyCountsAsAMapWould(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round, most := range []int{0, 1, 320, 5, 3000, 40, 320, 1} {
		want := map[int64]int32{}
		tl := getTally(most)
		for range most {
			id := rng.Int64N(int64(most)/2 + 1) // repeats, and id 0
			want[id]++
			tl.add(id)
		}
		got := map[int64]int32{}
		for _, i := range tl.used {
			if _, dup := got[tl.slots[i].id]; dup {
				t.Fatalf("round %d: item %d counted in two slots", round, tl.slots[i].id)
			}
			got[tl.slots[i].id] = tl.slots[i].n
		}
		slots := tl.slots
		tl.release()
		if !maps.Equal(got, want) {
			t.Errorf("round %d (%d ids): counted %v, want %v", round, most, got, want)
		}
		if len(slots) < 2*most {
			t.Errorf("round %d: %d slots for %d items, want at least twice as many", round, len(slots), most)
		}
		for i, sl := range slots {
			if sl != (tallySlot{}) {
				t.Fatalf("round %d: slot %d left %+v", round, i, sl)
			}
		}
	}
}

// best keeps what a full sort would put first, in its order, for
// lists of every length around what it keeps, with many ties on the
// count shared (broken by the id).
func TestFirstRankedIsTheSortedListsStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 80 {
		for _, most := range []int{0, 1, 5, 20, n, n + 1} {
			rs := make([]store.Ranked, n)
			for i := range rs {
				rs[i] = store.Ranked{ID: int64(1000 + rng.IntN(10000)*n + i), Shared: 1 + rng.IntN(4)}
			}
			want := slices.Clone(rs)
			slices.SortFunc(want, func(a, b store.Ranked) int {
				if a.Shared != b.Shared {
					return b.Shared - a.Shared
				}
				return cmp.Compare(b.ID, a.ID)
			})
			if most > 0 {
				want = want[:min(most, n)]
			}
			if got := firstRanked(rs, most); !slices.Equal(got, want) {
				t.Fatalf("%d items, the first %d: %v, want %v", n, most, got, want)
			}
		}
	}
}

// firstRanked returns the first most of rs by rank (all when most is 0),
// in order, in rs's own array, as best keeps them.
func firstRanked(rs []store.Ranked, most int) []store.Ranked {
	b := best{h: rs[:0], most: most}
	for _, r := range rs {
		b.push(r) // writes at most where it reads
	}
	return b.sorted()
}

// newest calls fn with the items under key k, newest first, but exclude, at
// most n of them, as a look-up reads them (gather, then newestOf).
func (p *postings) newest(k uint64, exclude int64, n int, fn func(id int64)) {
	ki, _ := p.gather([]uint64{k}, nil)
	ki[0].newestOf(exclude, n, fn)
}
