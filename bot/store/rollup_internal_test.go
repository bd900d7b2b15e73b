package store

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// Any span of up to 31 days is covered by at most 16 rows, exactly once
// each day.
func TestCoverTilesEverySpanWithFewRows(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for s := range 400 {
		for length := 1; length <= 31; length++ {
			from := base.AddDate(0, 0, s)
			to := from.AddDate(0, 0, length)
			bs, err := cover(from.Format(time.DateOnly), to.Format(time.DateOnly))
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) > 16 {
				t.Fatalf("cover(%s, %d days) = %d rows, want ≤ 16", from.Format(time.DateOnly), length, len(bs))
			}
			covered := map[string]int{}
			for _, b := range bs {
				d, _ := time.Parse(time.DateOnly, b.start)
				end := d.AddDate(0, 0, 1)
				switch b.level {
				case levelWeek:
					if d.Weekday() != time.Monday {
						t.Fatalf("week row starts on %s, a %s", b.start, d.Weekday())
					}
					end = d.AddDate(0, 0, 7)
				case levelMonth:
					end = d.AddDate(0, 1, 0)
				}
				for ; d.Before(end); d = d.AddDate(0, 0, 1) {
					covered[d.Format(time.DateOnly)]++
				}
			}
			if len(covered) != length {
				t.Fatalf("cover(%s, %d days) covers %d days", from.Format(time.DateOnly), length, len(covered))
			}
			for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
				if covered[d.Format(time.DateOnly)] != 1 {
					t.Fatalf("cover(%s, %d days) covers %s %d times", from.Format(time.DateOnly), length, d.Format(time.DateOnly), covered[d.Format(time.DateOnly)])
				}
			}
		}
	}
}

// Merged daily sketches of a month of a big community (100,000 members,
// overlapping days) estimate its distinct authors within 1 %, through
// their stored form.
func TestMergedSketchesEstimateWithinOnePercent(t *testing.T) {
	t.Parallel()
	merged := newSketch()
	for day := range 31 {
		sk := newSketch()
		for i := range 12_000 { // each day a window of the members
			sk.Insert(sketchItem("g1", fmt.Sprintf("member-%d", (day*3_000+i)%100_000)))
		}
		raw, err := sk.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := readSketch(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(back); err != nil {
			t.Fatal(err)
		}
	}
	const exact = 100_000 // 30 × 3,000 + 12,000 wraps round every member
	got := float64(merged.Estimate())
	if e := math.Abs(got-exact) / exact; e > 0.01 {
		t.Errorf("estimate %v of %d distinct: error %.2f%%, want ≤ 1%%", got, exact, 100*e)
	}
}
