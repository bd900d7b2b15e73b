package bot

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestEntrantsFileSortsByUserIDAsANumber(t *testing.T) {
	es := []Entrant{{"1300000000000000004", 3}, {"99", 1}, {"1000", 2}, {"200", 1}}
	got := string(EntrantsFile(es))
	want := "99 1\n200 1\n1000 2\n1300000000000000004 3\n"
	if got != want {
		t.Fatalf("EntrantsFile = %q, want %q", got, want)
	}
	back, err := ParseEntrantsFile([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if string(EntrantsFile(back)) != want {
		t.Fatalf("round trip = %q", EntrantsFile(back))
	}
}

func TestParseEntrantsFileRefusesWhatWasNotPublished(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"unsorted", "200 1\n99 1\n"},
		{"twice", "99 1\n99 2\n"},
		{"no final line break", "99 1"},
		{"zero tickets", "99 0\n"},
		{"leading zero", "099 1\n"},
		{"not an id", "alice 1\n"},
		{"two spaces", "99  1\n"},
		{"CRLF", "99 1\r\n"},
	} {
		if _, err := ParseEntrantsFile([]byte(tc.file)); err == nil {
			t.Errorf("ParseEntrantsFile(%s %q) = nil error, want a refusal", tc.name, tc.file)
		}
	}
}

// linearDraw is the README's procedure written as plainly as it reads: the
// Fenwick tree of drawFrom must find the same entrant at every step.
func linearDraw(seed []byte, es []Entrant) []Entrant {
	s := slices.Clone(es)
	SortEntrants(s)
	key := DrawKey(seed, EntrantsHash(EntrantsFile(s)))
	rng := rand.NewChaCha8(key)
	var out []Entrant
	for len(s) > 0 {
		var total uint64
		for _, e := range s {
			total += uint64(e.Tickets)
		}
		limit := ^uint64(0) - (-total)%total // x must be <= limit
		var x uint64
		for x = rng.Uint64(); x > limit; x = rng.Uint64() {
		}
		r := x % total
		for i, e := range s {
			if uint64(e.Tickets) > r {
				out = append(out, e)
				s = slices.Delete(s, i, i+1)
				break
			}
			r -= uint64(e.Tickets)
		}
	}
	return out
}

func seedOf(label string, i int) []byte {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s-%d", label, i)))
	return h[:]
}

func TestDrawOrderIsTheDocumentedProcedure(t *testing.T) {
	for n := 0; n < 40; n++ {
		var es []Entrant
		for i := range n {
			es = append(es, Entrant{UserID: fmt.Sprint(1000 + i*37), Tickets: 1 + i%4})
		}
		seed := seedOf("procedure", n)
		got, want := DrawOrder(seed, es), linearDraw(seed, es)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: DrawOrder = %v, the linear walk gives %v", n, got, want)
		}
		if len(got) != n {
			t.Fatalf("n=%d: the order has %d entrants", n, len(got))
		}
	}
}

// A known answer: if this changes, every published draw stops verifying.
func TestDrawOrderKnownAnswer(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	es := []Entrant{{"10", 1}, {"11", 2}, {"12", 3}, {"13", 1}, {"14", 5}}
	var ids []string
	for _, e := range DrawOrder(seed, es) {
		ids = append(ids, e.UserID)
	}
	got := strings.Join(ids, " ")
	want := knownOrder
	if got != want {
		t.Fatalf("DrawOrder(7…7) = %s, want %s", got, want)
	}
}

// chi2 returns Pearson's statistic of observed counts against expected
// probabilities over n trials.
func chi2(observed []int, probs []float64, n int) float64 {
	var x float64
	for i, o := range observed {
		e := probs[i] * float64(n)
		x += (float64(o) - e) * (float64(o) - e) / e
	}
	return x
}

// The sampler is fair: over 100,000 draws with fixed seeds (so the test
// gives the same answer every run and cannot flake), who comes first is
// proportional to tickets, and who comes first then second follows
// sampling without replacement. Critical values are the chi-square
// distribution's at p = 0.001.
func TestDrawFairnessChiSquare(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 draws")
	}
	es := []Entrant{{"101", 1}, {"202", 2}, {"303", 3}, {"404", 4}}
	const n = 100_000
	first := make([]int, len(es))
	pairs := make([]int, len(es)*len(es))
	index := map[string]int{}
	for i, e := range es {
		index[e.UserID] = i
	}
	for k := range n {
		order := DrawOrder(seedOf("fairness", k), es)
		a, b := index[order[0].UserID], index[order[1].UserID]
		first[a]++
		pairs[a*len(es)+b]++
	}
	var w float64
	for _, e := range es {
		w += float64(e.Tickets)
	}
	p1 := make([]float64, len(es))
	for i, e := range es {
		p1[i] = float64(e.Tickets) / w
	}
	if x := chi2(first, p1, n); x > 16.27 { // 3 degrees of freedom
		t.Errorf("first place: chi-square = %.2f > 16.27 (counts %v for tickets 1,2,3,4)", x, first)
	}
	var obs []int
	var p2 []float64
	for i, a := range es {
		for j, b := range es {
			if i == j {
				continue
			}
			obs = append(obs, pairs[i*len(es)+j])
			p2 = append(p2, float64(a.Tickets)/w*float64(b.Tickets)/(w-float64(a.Tickets)))
		}
	}
	if x := chi2(obs, p2, n); x > 31.26 { // 11 degrees of freedom
		t.Errorf("first and second place: chi-square = %.2f > 31.26 (counts %v)", x, obs)
	}
}

func TestCheckDrawRecomputesAndChecksTheCommitment(t *testing.T) {
	seed := seedOf("check", 1)
	es := []Entrant{{"13", 1}, {"11", 2}, {"12", 3}}
	file := EntrantsFile(es)
	c, err := CheckDraw(file, seed, Commitment(seed))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Order, DrawOrder(seed, es)) || c.Tickets != 6 || !bytes.Equal(c.EntrantsHash, EntrantsHash(file)) {
		t.Fatalf("CheckDraw = %+v", c)
	}
	_, err = CheckDraw(file, seedOf("check", 2), Commitment(seed))
	if err == nil || !strings.Contains(ErrorMessage(err), "commitment does not match") {
		t.Fatalf("CheckDraw(wrong seed) = %v, want the commitment does not match", err)
	}
}

func TestSnowflakeTime(t *testing.T) {
	// Discord's documented example: 175928847299117063 is 2016-04-30 11:18:25.796 UTC.
	ms, ok := SnowflakeTime("175928847299117063")
	if !ok || ms != 1462015105796 {
		t.Fatalf("SnowflakeTime = %d, %v", ms, ok)
	}
}

const knownOrder = "13 14 11 10 12"

// go test ./bot -run '^$' -bench DrawOrder100k -benchtime 5x
func BenchmarkDrawOrder100k(b *testing.B) {
	es := make([]Entrant, 100_000)
	for i := range es {
		es[i] = Entrant{UserID: fmt.Sprint(1300000000000000000 + i*13), Tickets: 1 + i%5}
	}
	seed := seedOf("bench", 0)
	for b.Loop() {
		DrawOrder(seed, es)
	}
}
