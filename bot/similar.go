package bot

import (
	"hash/fnv"
	"slices"
	"strconv"
)

// Similarity of feedback texts, offline: the content words of a text (see
// ContentWords: folded, English and French stop words out) and the
// character trigrams of those words. Two texts score the mean of the
// Jaccard indexes of their word sets and of their trigram sets, from 0
// (nothing shared) to 1 (the same words).

// Shingles are what a text is compared by.
type Shingles struct {
	Words    map[string]bool
	Trigrams map[string]bool
}

// ShinglesOf reads the shingles of a text.
func ShinglesOf(text string) Shingles {
	s := Shingles{Words: map[string]bool{}, Trigrams: map[string]bool{}}
	for _, w := range ContentWords(text) {
		s.Words[w] = true
		p := " " + w + " "
		for i := 0; i+3 <= len(p); i++ {
			s.Trigrams[p[i:i+3]] = true
		}
	}
	return s
}

// Empty reports whether the text had no content word.
func (s Shingles) Empty() bool { return len(s.Words) == 0 }

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// Similarity scores two texts' shingles, 0 to 1.
func Similarity(a, b Shingles) float64 {
	if a.Empty() || b.Empty() {
		return 0
	}
	return (jaccard(a.Words, b.Words) + jaccard(a.Trigrams, b.Trigrams)) / 2
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

// BandKeys returns the MinHash band keys of s ("b3:1a2b…"), nil for a text
// with no content word.
func (s Shingles) BandKeys() []string {
	if s.Empty() {
		return nil
	}
	var mins [minHashes]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	for g := range s.Trigrams {
		h := fnv.New64a()
		h.Write([]byte(g))
		x := h.Sum64()
		for i := range mins {
			// One hash function per slot: x mixed with the slot's seed.
			v := mix(x ^ (uint64(i+1) * 0x9E3779B97F4A7C15))
			if v < mins[i] {
				mins[i] = v
			}
		}
	}
	keys := make([]string, bands)
	for b := range bands {
		var sum uint64 = 14695981039346656037
		for r := range bandRows {
			sum = mix(sum ^ mins[b*bandRows+r])
		}
		keys[b] = "b" + strconv.Itoa(b) + ":" + strconv.FormatUint(sum, 36)
	}
	return keys
}

// WordKeys returns the keys of s's content words ("w:export"): a broader
// net than the bands, for proposing merges by hand.
func (s Shingles) WordKeys() []string {
	keys := make([]string, 0, len(s.Words))
	for w := range s.Words {
		keys = append(keys, "w:"+w)
	}
	slices.Sort(keys)
	return keys
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
