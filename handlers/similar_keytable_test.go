package handlers

import (
	"math/rand/v2"
	"testing"
)

// keyTable holds what a map would, through additions, changes and
// removals that make long runs and wrap round the end of its slots.
func TestKeyTableHoldsWhatAMapWould(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		var kt keyTable
		want := map[uint64]int64{}
		// Few distinct keys, many operations: the table fills and
		// empties, its runs collide and deletions move entries.
		space := uint64(8 + r.IntN(2000))
		for op := range 20_000 {
			k := r.Uint64N(space) * 0x5851F42D4C957F2D // spread like hashes, key 0 among them
			switch r.IntN(3) {
			case 0, 1:
				v := int64(r.IntN(1000)) + 1
				if r.IntN(2) == 0 {
					v = -v
				}
				kt.set(k, v)
				want[k] = v
			case 2:
				kt.del(k)
				delete(want, k)
			}
			if op%997 == 0 || op == 19_999 {
				if kt.len() != len(want) {
					t.Fatalf("round %d op %d: %d keys, want %d", round, op, kt.len(), len(want))
				}
				for k, v := range want {
					if got, ok := kt.get(k); !ok || got != v {
						t.Fatalf("round %d op %d: key %x = %d, %v; want %d", round, op, k, got, ok, v)
					}
				}
				n := 0
				kt.each(func(k uint64, v int64) {
					n++
					if want[k] != v {
						t.Fatalf("round %d: each gives %x = %d, want %d", round, k, v, want[k])
					}
				})
				if n != len(want) {
					t.Fatalf("round %d: each gives %d keys, want %d", round, n, len(want))
				}
			}
			if _, ok := kt.get(k ^ 1); ok != (want[k^1] != 0) {
				t.Fatalf("round %d: key %x found %v, held %v", round, k^1, ok, want[k^1] != 0)
			}
		}
	}
}
