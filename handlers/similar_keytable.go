package handlers

// keyTable maps a similarity key to its postings entry, which is never 0:
// open addressing in one array, probed slot after slot from the key's
// home. A look-up reads one or two cache lines where Go's map, at the
// million keys of a busy quarter's items, read its directory, the table
// and the group apart (three misses a look-up): intake's twenty band
// look-ups and its item's thirty additions were most of its similarity
// search (bench/slack-load, BenchmarkSimilarityLookAlikes at 50,000 items).
// It is kept between a quarter and three quarters full: most of intake's
// look-ups are of keys no item has, and a probe ends at a free slot.
type keyTable struct {
	slots []keySlot // a power of two long; v == 0: free
	n     int       // slots taken
	shift uint      // 64 - log2(len(slots))
}

type keySlot struct {
	k uint64
	v int64
}

// home is the slot a key's probe starts at. The keys are hashes already;
// the multiplication spreads any that are not.
func (t *keyTable) home(k uint64) int { return int(k * 0x9E3779B97F4A7C15 >> t.shift) }

// get returns key k's entry.
func (t *keyTable) get(k uint64) (int64, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		switch s := &t.slots[i]; {
		case s.v == 0:
			return 0, false
		case s.k == k:
			return s.v, true
		}
	}
}

// set makes v (not 0) key k's entry.
func (t *keyTable) set(k uint64, v int64) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		switch s := &t.slots[i]; {
		case s.v == 0:
			s.k, s.v = k, v
			t.n++
			return
		case s.k == k:
			s.v = v
			return
		}
	}
}

// del removes key k. The entries after it in its run move back into the
// gap when their home allows, so that every probe still finds its key
// before a free slot.
func (t *keyTable) del(k uint64) {
	if t.n == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(k)
	for ; t.slots[i].k != k || t.slots[i].v == 0; i = (i + 1) & mask {
		if t.slots[i].v == 0 {
			return
		}
	}
	for j := i; ; {
		t.slots[i] = keySlot{}
		for {
			j = (j + 1) & mask
			s := t.slots[j]
			if s.v == 0 {
				t.n--
				return
			}
			// s may fill the gap at i unless its home lies after i, up
			// to j (going round the end).
			h := t.home(s.k)
			if i <= j && (h <= i || h > j) || i > j && h <= i && h > j {
				break
			}
		}
		t.slots[i] = t.slots[j]
		i = j
	}
}

// grow doubles the slots and places every entry again.
func (t *keyTable) grow() {
	old := t.slots
	size := max(16, 2*len(old))
	t.slots, t.n, t.shift = make([]keySlot, size), 0, 64
	for s := size; s > 1; s >>= 1 {
		t.shift--
	}
	for _, s := range old {
		if s.v != 0 {
			t.set(s.k, s.v)
		}
	}
}

// each calls fn with every key and its entry.
func (t *keyTable) each(fn func(k uint64, v int64)) {
	for _, s := range t.slots {
		if s.v != 0 {
			fn(s.k, s.v)
		}
	}
}

// len is how many keys t holds.
func (t *keyTable) len() int { return t.n }
