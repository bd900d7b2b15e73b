package bot

import (
	"cmp"
	"slices"
	"strconv"
)

// Similarity of feedback texts, offline: the content words of a text (see
// ContentWords: folded, English and French stop words out) and the
// character trigrams of those words. Two texts score the mean of the
// Jaccard indexes of their word sets and of their trigram sets, from 0
// (nothing shared) to 1 (the same words).

// Shingles are what a text is compared by: its content words and their
// trigrams, each as FNV-1a hashes (the words' are their WordKeys), sorted
// and without repeats, so that comparing two texts is a merge of sorted
// lists of numbers (intake scores 20 candidates per new item, the Merge
// form 50). Compared as strings, the words were half of the comparison's
// time, and their bytes most of an indexed item's memory.
type Shingles struct {
	words    []uint64
	trigrams []uint64
}

// ShinglesOf reads the shingles of a text.
func ShinglesOf(text string) Shingles {
	words := ContentWords(text)
	var s Shingles
	if len(words) == 0 {
		return s
	}
	slices.Sort(words)
	words = slices.Compact(words)
	n := 0
	s.words = make([]uint64, len(words))
	for i, w := range words {
		n += len(w)
		s.words[i] = wordKey(w)
	}
	slices.Sort(s.words)
	s.words = slices.Compact(s.words)
	s.trigrams = make([]uint64, 0, n)
	for _, w := range words {
		// The trigrams of " w ": the word's edges count.
		for i := -1; i+2 <= len(w); i++ {
			s.trigrams = append(s.trigrams, trigramHash(w, i))
		}
	}
	slices.Sort(s.trigrams)
	s.trigrams = slices.Compact(s.trigrams)
	return s
}

// trigramHash is the FNV-1a hash of the three bytes of " "+w+" " from
// i+1, without building that string.
func trigramHash(w string, i int) uint64 {
	h := uint64(fnvOffset)
	for j := i; j < i+3; j++ {
		c := byte(' ')
		if j >= 0 && j < len(w) {
			c = w[j]
		}
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Trimmed returns s in memory of its own, no larger than it needs
// (ShinglesOf's trigrams have room to spare), and in one piece: the
// words, then the trigrams. For shingles kept long, as the similarity index keeps every
// open item's: scoring a candidate reads both lists, and in one piece the
// second follows the first in memory, where it was a cache miss of its own.
func (s Shingles) Trimmed() Shingles {
	if s.Empty() {
		return Shingles{}
	}
	both := make([]uint64, len(s.words)+len(s.trigrams))
	n := copy(both, s.words)
	copy(both[n:], s.trigrams)
	return Shingles{words: both[:n:n], trigrams: both[n:]}
}

// Warm reads the first of s's words and two of its trigrams (the first,
// the middle), and returns them mixed: a look-up that reads several
// texts' shingles warms them all first, so that their cache misses
// overlap, and uses the result so the reads are kept.
func (s Shingles) Warm() uint64 {
	var w uint64
	if len(s.words) > 0 {
		w = s.words[0]
	}
	if n := len(s.trigrams); n > 0 {
		w ^= s.trigrams[0] ^ s.trigrams[n/2]
	}
	return w
}

// Empty reports whether the text had no content word.
func (s Shingles) Empty() bool { return len(s.words) == 0 }

// jaccard is the Jaccard index of two sorted lists without repeats.
func jaccard[T cmp.Ordered](a, b []T) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	// Each step advances the lesser side, both when equal, without a
	// branch on the values: which way a merge goes is a coin toss the
	// processor mispredicts, and scoring different pairs (as intake does)
	// took twice as long with a switch (BenchmarkSimilarityVariedPairs).
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		x, y := a[i], b[j]
		di, dj, eq := 0, 0, 0
		if x <= y {
			di = 1
		}
		if y <= x {
			dj = 1
		}
		if x == y {
			eq = 1
		}
		i, j, inter = i+di, j+dj, inter+eq
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// Similarity scores two texts' shingles, 0 to 1.
func Similarity(a, b Shingles) float64 {
	s, _ := SimilarityAtLeast(a, b, 0) // no bound rules a pair out at 0
	return s
}

// SimilarityAtLeast is Similarity(a, b) and whether it is above zero and
// at least least, without scoring the pairs that cannot be: a Jaccard
// index is at most the smaller set's size over the larger's, so a pair
// whose sizes differ too much is not merged at all, and one whose words
// are too unlike is not merged on its trigrams (the longer lists). Intake
// scores a new item against up to twenty look-alike candidates this way;
// the score, when it is returned, is Similarity's to the bit.
func SimilarityAtLeast(a, b Shingles, least float64) (float64, bool) {
	if a.Empty() || b.Empty() {
		return 0, false
	}
	// Halved, as Similarity averages the two: the 1e-9 keeps a pair whose
	// bound rounds just below least.
	words, trigrams := sizeBound(a.words, b.words), sizeBound(a.trigrams, b.trigrams)
	if (words+trigrams)/2 < least-1e-9 {
		return 0, false
	}
	jw := jaccard(a.words, b.words)
	if (jw+trigrams)/2 < least-1e-9 {
		return 0, false
	}
	s := (jw + jaccard(a.trigrams, b.trigrams)) / 2
	return s, s > 0 && s >= least
}

// sizeBound is the most the Jaccard index of lists of a's and b's sizes can
// be: the smaller's size over the larger's.
func sizeBound[T any](a, b []T) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	return float64(min(len(a), len(b))) / float64(max(len(a), len(b)))
}

// MinHash banding: a text's trigram set is summarised by minHashes hash
// minima, grouped into bands of bandRows; two texts sharing one band are
// candidates. With 20 bands of 5, texts whose trigram sets overlap by 0.75
// share a band with probability 0.996, by 0.6 with 0.8, by 0.2 with 0.006:
// the items like a new one are found by 20 index look-ups, not a scan.
const (
	bands     = 20
	bandRows  = 5
	minHashes = bands * bandRows
)

// BandKeys returns the MinHash band keys of s, nil for a text with no
// content word: each a hash of its band's minima and of the band's number,
// so that two texts share a key only by sharing that band.
func (s Shingles) BandKeys() []uint64 {
	if s.Empty() {
		return nil
	}
	mins := s.minima()
	keys := make([]uint64, bands)
	for b := range bands {
		var sum uint64 = fnvOffset ^ uint64(b)
		for r := range bandRows {
			sum = mix(sum ^ mins[b*bandRows+r])
		}
		keys[b] = sum
	}
	return keys
}

// minima are s's MinHash signature: for each slot, the least of its
// trigrams under the slot's permutation. A trigram is mixed once (its
// FNV-1a hash keeps the structure of its three bytes); each slot then
// permutes the mixed value by an xor and a multiplication by an odd
// number, both its own (slotSeeds), whose high bits decide the order.
// Mixing each trigram anew for each slot was 100 full hashes a trigram,
// ~16 µs an item, 8 % of the /feedback server's CPU.
func (s Shingles) minima() [minHashes]uint64 {
	var stack [128]uint64
	mixed := stack[:0]
	for _, x := range s.trigrams {
		mixed = append(mixed, mix(x))
	}
	var mins [minHashes]uint64
	// Four slots at a time: four independent chains of multiplications.
	for i := 0; i < minHashes; i += 4 {
		a, b, c, d := &slotSeeds[i], &slotSeeds[i+1], &slotSeeds[i+2], &slotSeeds[i+3]
		ma, mb, mc, md := ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)
		for _, h := range mixed {
			ma = min(ma, (h^a.xor)*a.mul)
			mb = min(mb, (h^b.xor)*b.mul)
			mc = min(mc, (h^c.xor)*c.mul)
			md = min(md, (h^d.xor)*d.mul)
		}
		mins[i], mins[i+1], mins[i+2], mins[i+3] = ma, mb, mc, md
	}
	return mins
}

// slotSeeds are the MinHash slots' permutations: h ↦ (h ^ xor) × mul.
var slotSeeds = func() (seeds [minHashes]struct{ xor, mul uint64 }) {
	for i := range seeds {
		seeds[i].xor = mix(uint64(i+1) * 0x9E3779B97F4A7C15)
		seeds[i].mul = mix(seeds[i].xor) | 1
	}
	return seeds
}()

// WordKeys returns the keys of s's content words, each the FNV-1a hash of
// "w:" and the word (a band key equal to one is as likely as any two
// 64-bit hashes meeting): a broader net than the bands, for proposing
// merges by hand.
func (s Shingles) WordKeys() []uint64 { return slices.Clone(s.words) }

// wordKey is a content word's key (WordKeys).
func wordKey(w string) uint64 {
	h := uint64(fnvOffset)
	for _, c := range []byte{'w', ':'} {
		h = (h ^ uint64(c)) * fnvPrime
	}
	for j := range len(w) {
		h = (h ^ uint64(w[j])) * fnvPrime
	}
	return h
}

// mix is splitmix64's finaliser: a fast, well-spread 64-bit hash.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// FormatScore writes a similarity as relays show it: "0.82".
func FormatScore(s float64) string {
	return strconv.FormatFloat(s, 'f', 2, 64)
}
