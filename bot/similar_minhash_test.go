package bot

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The MinHash signature estimates the Jaccard index of two trigram sets
// (the share of slots whose minima agree), and the bands make candidates of
// texts with the probability 1-(1-J^5)^20 (the comment on bands): checked
// on sets of real trigram hashes, whose FNV-1a structure a weak family of
// permutations would show through.
func TestMinHashBandsFollowTheJaccardIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Every trigram of three lowercase letters, as ShinglesOf hashes them.
	var universe []uint64
	for a := 'a'; a <= 'z'; a++ {
		for b := 'a'; b <= 'z'; b++ {
			for c := 'a'; c <= 'z'; c++ {
				universe = append(universe, trigramHash(string([]rune{a, b, c}), 0))
			}
		}
	}
	const size, trials = 40, 1500
	for _, shared := range []int{5, 14, 24, 30, 34, 38} {
		var agree, candidates, jaccardSum float64
		for range trials {
			// 2×size-shared distinct trigrams: a has the first size, b the last.
			picked := map[uint64]bool{}
			var drawn []uint64
			for len(drawn) < 2*size-shared {
				if x := universe[rng.IntN(len(universe))]; !picked[x] {
					picked[x] = true
					drawn = append(drawn, x)
				}
			}
			a := Shingles{words: []uint64{1}, trigrams: slices.Sorted(slices.Values(drawn[:size]))}
			b := Shingles{words: []uint64{1}, trigrams: slices.Sorted(slices.Values(drawn[size-shared:]))}
			jaccardSum += jaccard(a.trigrams, b.trigrams)
			ma, mb := a.minima(), b.minima()
			for i := range ma {
				if ma[i] == mb[i] {
					agree++
				}
			}
			ka, kb := a.BandKeys(), b.BandKeys()
			for i := range ka {
				if ka[i] == kb[i] {
					candidates++
					break
				}
			}
		}
		j := jaccardSum / trials
		if got := agree / (trials * minHashes); math.Abs(got-j) > 0.01 {
			t.Errorf("J = %.3f: the minima agree in %.3f of the slots, want J ± 0.01", j, got)
		}
		want := 1 - math.Pow(1-math.Pow(j, bandRows), bands)
		if got := candidates / trials; math.Abs(got-want) > 0.04 {
			t.Errorf("J = %.3f: %.3f of the pairs share a band, want %.3f ± 0.04", j, got, want)
		}
	}
}
