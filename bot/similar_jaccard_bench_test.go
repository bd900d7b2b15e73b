package bot

import (
	"fmt"
	"testing"
)

// Scoring many different pairs, as intake does (20 candidates an item): the
// same pair again and again would let the processor learn the merge's
// branches.
func BenchmarkSimilarityVariedPairs(b *testing.B) {
	subjects := []string{"the export button", "search", "the CSV import", "dark mode", "the mobile app", "single sign-on", "the billing page"}
	problems := []string{"is slow on big files", "crashes since the last update", "resets every time I log in", "needs a keyboard shortcut", "shows the wrong totals"}
	details := []string{"parquet", "json", "pdf", "chart", "report", "filter", "invoice", "refund", "currency", "webhook", "token", "android", "safari"}
	var sh []Shingles
	for n := range 1024 {
		sh = append(sh, ShinglesOf(fmt.Sprintf("%s %s: %s and %s (#run%d) from Acme (call with Jane)",
			subjects[n%len(subjects)], problems[n/7%len(problems)], details[n%13], details[n/13%13], n)))
	}
	i := 0
	for b.Loop() {
		Similarity(sh[i&1023], sh[(i*7+3)&1023])
		i++
	}
}
