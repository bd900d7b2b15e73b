package handlers

import "slices"

// postings are the similarity index's lists: for each key, the items that
// have it, by ascending id. Most band keys belong to one item only: those
// are held in a map of their own, without a list, which halved the index's
// memory per item (a list is a slice header in the map and an allocation).
type postings struct {
	one  map[uint64]int64   // keys one item has
	many map[uint64][]int64 // keys several have
}

func newPostings() postings {
	return postings{one: map[uint64]int64{}, many: map[uint64][]int64{}}
}

// add lists item id under key k.
func (p postings) add(k uint64, id int64) {
	if list, ok := p.many[k]; ok {
		if i, found := slices.BinarySearch(list, id); !found {
			p.many[k] = slices.Insert(list, i, id)
		}
		return
	}
	other, ok := p.one[k]
	switch {
	case !ok:
		p.one[k] = id
	case other != id:
		delete(p.one, k)
		p.many[k] = []int64{min(id, other), max(id, other)}
	}
}

// remove takes item id off key k's list.
func (p postings) remove(k uint64, id int64) {
	if list, ok := p.many[k]; ok {
		if i, found := slices.BinarySearch(list, id); found {
			list = slices.Delete(list, i, i+1)
			if len(list) == 1 {
				delete(p.many, k)
				p.one[k] = list[0]
			} else {
				p.many[k] = list
			}
		}
		return
	}
	if other, ok := p.one[k]; ok && other == id {
		delete(p.one, k)
	}
}

// newest calls fn with the items under key k, newest first, but exclude, at
// most n of them.
func (p postings) newest(k uint64, exclude int64, n int, fn func(id int64)) {
	if list, ok := p.many[k]; ok {
		for i := len(list) - 1; i >= 0 && n > 0; i-- {
			if list[i] != exclude {
				fn(list[i])
				n--
			}
		}
		return
	}
	if id, ok := p.one[k]; ok && id != exclude && n > 0 {
		fn(id)
	}
}
