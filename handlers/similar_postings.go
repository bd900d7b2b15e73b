package handlers

import "slices"

// postings are the similarity index's lists: for each key, the items that
// have it, by ascending id. Most band keys belong to one item only: such a
// key's entry is the item's id, without a list, which halved the index's
// memory per item (a list is a slice header and an allocation). A key
// several items have holds, negated, one more than the index of its list
// in lists. Either way a key is one map look-up, hit or miss: with the
// one-item keys in a map of their own, a key not indexed (most of a new
// text's bands) was two, each likely a cache miss, and the look-ups were
// a tenth of the /feedback server's CPU.
type postings struct {
	keys  map[uint64]int64
	lists [][]int64
	free  []int // indexes of lists no key holds
}

func newPostings() postings {
	return postings{keys: map[uint64]int64{}}
}

// listIndex is the index in lists a key's entry v (< 0) refers to.
func listIndex(v int64) int { return int(-v - 1) }

// add lists item id (> 0) under key k.
func (p *postings) add(k uint64, id int64) {
	v, ok := p.keys[k]
	switch {
	case !ok:
		p.keys[k] = id
	case v > 0:
		if v != id {
			p.keys[k] = p.newList([]int64{min(id, v), max(id, v)})
		}
	default:
		i := listIndex(v)
		list := p.lists[i]
		if n := len(list); n > 0 && list[n-1] < id {
			// A new item's id is the highest yet: a common key's list
			// is thousands long, and searching it was two fifths of
			// indexing an item (BenchmarkSimilarityIndexing: 2.9 us an
			// item among 100,000, where 4.8).
			p.lists[i] = append(list, id)
		} else if at, found := slices.BinarySearch(list, id); !found {
			p.lists[i] = slices.Insert(list, at, id)
		}
	}
}

// addAll lists item id under each of keys, as add does one at a time,
// having read ahead what the adds will read (gather): an item's ~30 keys
// were ~30 cache misses one after another, and indexing each new item
// the /feedback server's largest cost after the look-up.
func (p *postings) addAll(keys []uint64, id int64) {
	var buf [64]keyItems
	_, warm := p.gather(keys, buf[:0])
	keep(uint64(warm))
	for _, k := range keys {
		p.add(k, id)
	}
}

// newList keeps list and returns the entry that refers to it.
func (p *postings) newList(list []int64) int64 {
	var i int
	if n := len(p.free); n > 0 {
		i, p.free = p.free[n-1], p.free[:n-1]
		p.lists[i] = list
	} else {
		i = len(p.lists)
		p.lists = append(p.lists, list)
	}
	return -int64(i) - 1
}

// remove takes item id off key k's list.
func (p *postings) remove(k uint64, id int64) {
	v, ok := p.keys[k]
	switch {
	case !ok:
	case v > 0:
		if v == id {
			delete(p.keys, k)
		}
	default:
		i := listIndex(v)
		list := p.lists[i]
		at, found := slices.BinarySearch(list, id)
		if !found {
			return
		}
		if list = slices.Delete(list, at, at+1); len(list) == 1 {
			p.keys[k] = list[0]
			p.lists[i] = nil
			p.free = append(p.free, i)
		} else {
			p.lists[i] = list
		}
	}
}

// keyItems are the items under one key: a one-item key's id, or the list
// of a key several items have.
type keyItems struct {
	id   int64
	list []int64
}

// gather appends to dst the items under each of keys (none for a key not
// listed), and returns with them a value read from each list. It reads
// in passes: the keys' entries, then the lists they refer to, then the
// newest item of each list (which a look-up reads first): within a pass
// the reads do not depend on one another, so the processor overlaps their
// cache misses, where reading each key's list as its entry came waited
// for each miss in turn (the band look-ups were two fifths of the
// /feedback server's look-alike search). The caller must keep the value
// returned, or the last pass is dropped as unused.
func (p *postings) gather(keys []uint64, dst []keyItems) ([]keyItems, int64) {
	for _, k := range keys {
		dst = append(dst, keyItems{id: p.keys[k]})
	}
	for i := range dst {
		if v := dst[i].id; v < 0 {
			dst[i] = keyItems{list: p.lists[listIndex(v)]}
		}
	}
	var warm int64
	for _, ki := range dst {
		if n := len(ki.list); n > 0 {
			warm ^= ki.list[n-1]
		}
	}
	return dst, warm
}

// newestOf calls fn with ki's items, newest first, but exclude, at most n
// of them.
func (ki keyItems) newestOf(exclude int64, n int, fn func(id int64)) {
	switch {
	case n <= 0:
	case ki.list == nil:
		if ki.id > 0 && ki.id != exclude {
			fn(ki.id)
		}
	default:
		for i := len(ki.list) - 1; i >= 0 && n > 0; i-- {
			if ki.list[i] != exclude {
				fn(ki.list[i])
				n--
			}
		}
	}
}

// each calls fn with every key and the items under it (tests).
func (p *postings) each(fn func(k uint64, ids []int64)) {
	for k, v := range p.keys {
		if v > 0 {
			fn(k, []int64{v})
		} else {
			fn(k, p.lists[listIndex(v)])
		}
	}
}

// listed is how many keys have a list (several items).
func (p *postings) listed() int { return len(p.lists) - len(p.free) }

// keep takes a value read only to bring memory into cache (gather,
// bot.Shingles.Warm), so that the compiler does not drop the reads.
//
//go:noinline
func keep(uint64) {}
