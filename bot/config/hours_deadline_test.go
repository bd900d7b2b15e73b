package config

import (
	"testing"
	"time"
)

func TestDeadlineCountsOnlyBusinessHours(t *testing.T) {
	t.Parallel()
	paris, _ := time.LoadLocation("Europe/Paris")
	b := defaultBusinessHours()
	b.Holidays = []string{"2026-12-25"}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"inside one day", "2026-11-23 10:00", 2 * time.Hour, "2026-11-23 12:00"},
		{"across the evening", "2026-11-23 17:00", 2 * time.Hour, "2026-11-24 10:00"},
		{"friday evening to monday across the weekend", "2026-11-27 17:00", 2 * time.Hour, "2026-11-30 10:00"},
		{"posted on a saturday starts monday morning", "2026-11-28 11:00", 4 * time.Hour, "2026-11-30 13:00"},
		{"posted at night starts at opening", "2026-11-24 03:00", 30 * time.Minute, "2026-11-24 09:30"},
		{"a holiday is skipped", "2026-12-24 17:00", 2 * time.Hour, "2026-12-28 10:00"},
		{"across the spring daylight saving change", "2026-03-27 17:00", 2 * time.Hour, "2026-03-30 10:00"},
		{"exactly at closing rolls to the next opening", "2026-11-23 16:00", 2 * time.Hour, "2026-11-23 18:00"},
	}
	for _, tt := range tests {
		got := b.Deadline(at(tt.start), tt.d, paris)
		if !got.Equal(at(tt.want)) {
			t.Errorf("%s: Deadline(%s, %v) = %s, want %s", tt.name, tt.start, tt.d, got.In(paris).Format("2006-01-02 15:04"), tt.want)
		}
		if e := b.Elapsed(at(tt.start), got, paris); e != tt.d {
			t.Errorf("%s: Elapsed back = %v, want %v", tt.name, e, tt.d)
		}
	}
}
