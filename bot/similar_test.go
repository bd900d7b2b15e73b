package bot_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

// The texts whose keys and scores are checked: the keys live in memory only
// (rebuilt at start), but a change of the scores would move the threshold.
var similarTexts = []string{
	"The export to CSV is broken when I pick dates",
	"L'export CSV plante quand je choisis des dates",
	"Dark theme for the mobile app, please!",
	"dark themes for mobile apps",
	"Login with SSO fails on Safari",
	"a",
	"",
	"Café crème — naïve façade 🎉 exports",
}

// shared counts the keys a and b have in common.
func shared(a, b []uint64) int {
	n := 0
	for _, x := range a {
		if slices.Contains(b, x) {
			n++
		}
	}
	return n
}

func TestSimilarityKeysAndScoresStayAsStored(t *testing.T) {
	// How many band and word keys each pair shares (the others: none).
	sharedKeys := map[[2]int][2]int{{0, 1}: {0, 3}, {0, 7}: {0, 1}, {1, 7}: {0, 1}, {2, 3}: {20, 4}}
	for i, a := range similarTexts {
		sa := bot.ShinglesOf(a)
		if n := len(sa.BandKeys()); n != 0 && n != 20 || (n == 0) != sa.Empty() {
			t.Errorf("%q has %d band keys, want 20 (none without a content word)", a, n)
		}
		for j, b := range similarTexts {
			if j <= i {
				continue
			}
			sb := bot.ShinglesOf(b)
			got := [2]int{shared(sa.BandKeys(), sb.BandKeys()), shared(sa.WordKeys(), sb.WordKeys())}
			if want := sharedKeys[[2]int{i, j}]; got != want {
				t.Errorf("%q and %q share %d band and %d word keys, want %d and %d", a, b, got[0], got[1], want[0], want[1])
			}
		}
	}
	scores := map[[2]int]string{
		{0, 1}: "0.405462", {0, 2}: "0.012500", {0, 3}: "0.012500", {0, 7}: "0.125323", {1, 2}: "0.012195", {1, 3}: "0.012195",
		{1, 7}: "0.123737", {2, 3}: "1.000000", {2, 7}: "0.023810", {3, 7}: "0.023810", {4, 7}: "0.011628",
	}
	for i, a := range similarTexts {
		for j, b := range similarTexts {
			if j <= i {
				continue
			}
			got := bot.Similarity(bot.ShinglesOf(a), bot.ShinglesOf(b))
			if want, ok := scores[[2]int{i, j}]; !ok && got != 0 || ok && fmt.Sprintf("%.6f", got) != want {
				t.Errorf("Similarity(%q, %q) = %.6f, want %s", a, b, got, want)
			}
			if back := bot.Similarity(bot.ShinglesOf(b), bot.ShinglesOf(a)); back != got {
				t.Errorf("Similarity is not symmetric for %q, %q", a, b)
			}
		}
	}
}

func BenchmarkShinglesAndScore(b *testing.B) {
	a := bot.ShinglesOf("The export to CSV is broken when I pick dates in the dashboard")
	for b.Loop() {
		bot.Similarity(a, bot.ShinglesOf("L'export CSV plante quand je choisis des dates dans le tableau de bord"))
	}
}

// Trimmed shingles score as the shingles they were made from.
func TestTrimmedShinglesScoreTheSame(t *testing.T) {
	for _, a := range similarTexts {
		sa := bot.ShinglesOf(a)
		trimmed := sa.Trimmed()
		if trimmed.Empty() != sa.Empty() {
			t.Errorf("%q: trimmed empty %v, want %v", a, trimmed.Empty(), sa.Empty())
		}
		for _, b := range similarTexts {
			sb := bot.ShinglesOf(b)
			if got, want := bot.Similarity(trimmed, sb), bot.Similarity(sa, sb); got != want {
				t.Errorf("Similarity(%q trimmed, %q) = %v, want %v", a, b, got, want)
			}
		}
		if !slices.Equal(trimmed.BandKeys(), sa.BandKeys()) || !slices.Equal(trimmed.WordKeys(), sa.WordKeys()) {
			t.Errorf("%q: trimmed keys differ", a)
		}
	}
}

func BenchmarkBandKeys(b *testing.B) {
	s := bot.ShinglesOf("the export button is slow on big files: parquet and invoice (#run1234) from Acme (call with Jane)")
	for b.Loop() {
		s.BandKeys()
	}
}

// SimilarityAtLeast says what Similarity and a comparison say, to the bit,
// for every pair of texts made of the same few words (many alike, as
// feedback is, and of every length) and every threshold: skipping the
// pairs its bounds rule out changes no answer.
func TestSimilarityAtLeastAnswersAsSimilarityDoes(t *testing.T) {
	words := []string{"export", "exports", "csv", "crashes", "dates", "slow", "mobile", "dark", "theme", "login"}
	var texts []string
	for n := 1; n <= 6; n++ {
		for start := range words {
			var b []string
			for k := range n {
				b = append(b, words[(start+k*k)%len(words)])
			}
			texts = append(texts, fmt.Sprint(b))
		}
	}
	texts = append(texts, similarTexts...)
	skipped := 0
	for _, a := range texts {
		sa := bot.ShinglesOf(a)
		for _, b := range texts {
			sb := bot.ShinglesOf(b)
			s := bot.Similarity(sa, sb)
			for _, least := range []float64{0, 0.3, 0.5, 0.75, 0.8, s, 1} {
				got, ok := bot.SimilarityAtLeast(sa, sb, least)
				want := s > 0 && s >= least
				if ok != want || ok && got != s {
					t.Fatalf("SimilarityAtLeast(%q, %q, %v) = %v, %v; Similarity = %v", a, b, least, got, ok, s)
				}
				if !ok && got == 0 && s != 0 {
					skipped++
				}
			}
		}
	}
	if skipped == 0 {
		t.Error("no pair was ruled out by its bounds")
	}
}
