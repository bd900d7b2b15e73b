package handlers

import (
	"slices"
	"testing"
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
	if got := list(1, 0, 10); !slices.Equal(got, []int64{5}) || len(p.many) != 0 {
		t.Fatalf("one item twice: %v (%d lists), want [5] without a list", got, len(p.many))
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
	if got := list(1, 0, 10); !slices.Equal(got, []int64{5}) || len(p.many) != 0 || p.one[1] != 5 {
		t.Errorf("after removing three (and one never added): %v, %d lists, want [5] without a list", got, len(p.many))
	}
	p.remove(1, 6)
	p.remove(1, 5)
	if got := list(1, 0, 10); len(got) != 0 || len(p.one) != 0 {
		t.Errorf("after removing the last: %v, %d keys", got, len(p.one))
	}
	p.add(2, 4)
	if got := list(2, 4, 10); len(got) != 0 {
		t.Errorf("the only item, excluded: %v", got)
	}
}
