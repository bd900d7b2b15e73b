package bot_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"

	"github.com/liaison-bot/liaison/bot"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// mondays9 is "0 9 * * MON" in loc, as the config decoder builds it.
func mondays9(t *testing.T, loc *time.Location) cron.Schedule {
	t.Helper()
	s, err := cron.ParseStandard("0 9 * * MON")
	if err != nil {
		t.Fatal(err)
	}
	s.(*cron.SpecSchedule).Location = loc
	return s
}

func TestPeriodEndingCoversTheWholeDaysBeforeTheRun(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	run := time.Date(2026, 11, 30, 9, 0, 0, 0, loc)
	tests := []struct {
		span             string
		first, end, text string
		days             int
	}{
		{bot.SpanWeek, "2026-11-23", "2026-11-30", "23–29 Nov 2026", 7},
		{bot.SpanDay, "2026-11-29", "2026-11-30", "Sun 29 Nov 2026", 1},
		{bot.SpanMonth, "2026-10-30", "2026-11-30", "30 Oct – 29 Nov 2026", 31},
		{"", "2026-11-23", "2026-11-30", "23–29 Nov 2026", 7},
	}
	for _, tt := range tests {
		p := bot.PeriodEnding(run, loc, tt.span)
		if p.FirstDay() != tt.first || p.EndDay() != tt.end || p.String() != tt.text || len(p.Days()) != tt.days {
			t.Errorf("PeriodEnding(%s, %q) = %s..%s %q (%d days), want %s..%s %q (%d days)",
				run, tt.span, p.FirstDay(), p.EndDay(), p, len(p.Days()), tt.first, tt.end, tt.text, tt.days)
		}
	}
	if got, want := bot.PeriodEnding(run, loc, bot.SpanWeek).Key(), "Europe/Paris|2026-11-23|2026-11-30"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	// A month back from 31 March is the end of February, not 3 March.
	m := bot.PeriodEnding(time.Date(2026, 3, 31, 9, 0, 0, 0, loc), loc, bot.SpanMonth)
	if m.FirstDay() != "2026-02-28" {
		t.Errorf("the month before 31 March starts %s, want 2026-02-28", m.FirstDay())
	}
	if prev := bot.PeriodEnding(run, loc, bot.SpanWeek).Previous(bot.SpanWeek); prev.FirstDay() != "2026-11-16" || prev.EndDay() != "2026-11-23" {
		t.Errorf("Previous = %s..%s, want 2026-11-16..2026-11-23", prev.FirstDay(), prev.EndDay())
	}
}

func TestMondayDigestsStayAt0900LocalAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	sched := mondays9(t, loc)
	tests := []struct {
		name     string
		after    time.Time
		wantUTC  time.Time
		hours    float64 // the period's length in hours
		firstDay string
	}{
		// Clocks go forward on Sunday 29 March 2026: 09:00 CEST is 07:00 UTC.
		{"before the March change", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 23, 8, 0, 0, 0, time.UTC), 168, "2026-03-16"},
		{"after the March change", time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC), 167, "2026-03-23"},
		// Clocks go back on Sunday 25 October 2026: 09:00 CET is 08:00 UTC.
		{"before the October change", time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 26, 8, 0, 0, 0, time.UTC), 169, "2026-10-19"},
		{"after the October change", time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), 168, "2026-10-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := sched.Next(tt.after)
			if !run.Equal(tt.wantUTC) {
				t.Fatalf("Next(%s) = %s, want %s", tt.after, run.UTC(), tt.wantUTC)
			}
			if local := run.In(loc); local.Hour() != 9 || local.Minute() != 0 || local.Weekday() != time.Monday {
				t.Errorf("the run is at %s local, want Monday 09:00", local)
			}
			p := bot.PeriodEnding(run, loc, bot.SpanWeek)
			if p.FirstDay() != tt.firstDay || len(p.Days()) != 7 {
				t.Errorf("period = %s (%d days), want 7 days from %s", p, len(p.Days()), tt.firstDay)
			}
			if h := p.End.Sub(p.Start).Hours(); h != tt.hours {
				t.Errorf("the period lasts %vh, want %vh", h, tt.hours)
			}
		})
	}
	// A message late on the Sunday of the change counts in that week, and
	// one just after midnight in the next.
	late := time.Date(2026, 3, 29, 21, 30, 0, 0, time.UTC) // 23:30 CEST
	got := bot.PeriodsCovering(sched, loc, bot.SpanWeek, late)
	if len(got) != 1 || got[0].Key() != "Europe/Paris|2026-03-23|2026-03-30" {
		t.Errorf("PeriodsCovering(Sunday 23:30 CEST) = %v, want the week of 23 March", got)
	}
	early := time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC) // Monday 00:30 CEST
	got = bot.PeriodsCovering(sched, loc, bot.SpanWeek, early)
	if len(got) != 1 || got[0].Key() != "Europe/Paris|2026-03-30|2026-04-06" {
		t.Errorf("PeriodsCovering(Monday 00:30 CEST) = %v, want the week of 30 March", got)
	}
}

func TestPeriodsCoveringADayFollowTheSchedule(t *testing.T) {
	t.Parallel()
	loc := time.UTC
	day := time.Date(2026, 11, 25, 12, 0, 0, 0, loc) // a Wednesday
	parse := func(spec string) cron.Schedule {
		s, err := cron.ParseStandard(spec)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		spec, span string
		want       []string
	}{
		{"0 9 * * MON", bot.SpanWeek, []string{"UTC|2026-11-23|2026-11-30"}},
		{"0 9 * * *", bot.SpanDay, []string{"UTC|2026-11-25|2026-11-26"}},
		{"*/5 * * * *", bot.SpanDay, []string{"UTC|2026-11-25|2026-11-26"}},
		{"0 9 * * MON,THU", bot.SpanWeek, []string{"UTC|2026-11-19|2026-11-26", "UTC|2026-11-23|2026-11-30"}},
		{"0 9 1 * *", bot.SpanMonth, []string{"UTC|2026-11-01|2026-12-01"}},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range bot.PeriodsCovering(parse(tt.spec), loc, tt.span, day) {
			got = append(got, p.Key())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("PeriodsCovering(%q, %s) (-want +got):\n%s", tt.spec, tt.span, diff)
		}
	}
}

func TestPreviousRunFindsTheLastScheduledTime(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	sched := mondays9(t, loc)
	tests := []struct {
		at, want time.Time
	}{
		{time.Date(2026, 11, 30, 9, 0, 0, 0, loc), time.Date(2026, 11, 30, 9, 0, 0, 0, loc)},
		{time.Date(2026, 11, 30, 8, 59, 0, 0, loc), time.Date(2026, 11, 23, 9, 0, 0, 0, loc)},
		{time.Date(2026, 12, 3, 12, 0, 0, 0, loc), time.Date(2026, 11, 30, 9, 0, 0, 0, loc)},
	}
	for _, tt := range tests {
		got, ok := bot.PreviousRun(sched, tt.at)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("PreviousRun(%s) = %s, %v; want %s", tt.at, got, ok, tt.want)
		}
	}
}

func TestPercentileInterpolatesBetweenRanks(t *testing.T) {
	t.Parallel()
	h := func(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
	tests := []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{h(3)}, 90, h(3)},
		{[]time.Duration{h(4), h(1), h(3), h(2)}, 50, h(2.5)},
		{[]time.Duration{h(4), h(1), h(3), h(2)}, 90, h(3.7)},
		{[]time.Duration{h(1), h(2), h(10)}, 50, h(2)},
	}
	for _, tt := range tests {
		if got := bot.Percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.in, tt.p, got, tt.want)
		}
	}
}

func TestChangesReadForPeople(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cur, prev  int64
		with, diff string
	}{
		{1234, 1178, "1,234 (+56, +5%)", "+56 (+5%)"},
		{90, 100, "90 (−10, −10%)", "−10 (−10%)"},
		{5, 0, "5 (+5, new)", "+5 (new)"},
		{0, 0, "0 (no change)", "no change"},
		{0, 4, "0 (−4, −100%)", "−4 (−100%)"},
		{1500000, 1000000, "1,500,000 (+500,000, +50%)", "+500,000 (+50%)"},
	}
	for _, tt := range tests {
		if got := bot.WithChange(tt.cur, tt.prev); got != tt.with {
			t.Errorf("WithChange(%d, %d) = %q, want %q", tt.cur, tt.prev, got, tt.with)
		}
		if got := bot.Change(tt.cur, tt.prev); got != tt.diff {
			t.Errorf("Change(%d, %d) = %q, want %q", tt.cur, tt.prev, got, tt.diff)
		}
	}
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 45 * time.Minute: "45m", 200 * time.Minute: "3h20m", 27 * time.Hour: "27h", 65 * time.Minute: "1h05m"} {
		if got := bot.Hours(d); got != want {
			t.Errorf("Hours(%s) = %q, want %q", d, got, want)
		}
	}
	if got := bot.Plural(1, "vote") + ", " + bot.Plural(1204, "message"); got != "1 vote, 1,204 messages" {
		t.Errorf("Plural = %q", got)
	}
}

func TestSummarizeFeedbackOrdersTagsAndSentimentsAndTimesResponses(t *testing.T) {
	t.Parallel()
	f := bot.SummarizeFeedback(bot.FeedbackTally{
		Items:       5,
		BySentiment: map[string]int64{"negative": 2, "positive": 1, "mixed": 1, "neutral": 1},
		ByTag:       map[string]int64{"praise": 1, "bug": 2, "export": 1},
		MostVoted:   []bot.DigestItem{{ID: 2, Votes: 5}},
		Responses:   []time.Duration{time.Hour, 3 * time.Hour, 2 * time.Hour},
	})
	want := bot.FeedbackFigures{
		Items:       5,
		ByTag:       []bot.Count{{Name: "bug", N: 2}, {Name: "export", N: 1}, {Name: "praise", N: 1}},
		BySentiment: []bot.Count{{Name: "positive", N: 1}, {Name: "neutral", N: 1}, {Name: "negative", N: 2}, {Name: "mixed", N: 1}},
		MostVoted:   []bot.DigestItem{{ID: 2, Votes: 5}},
		Answered:    3, MedianResponse: 2 * time.Hour, P90Response: 2*time.Hour + 48*time.Minute,
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("SummarizeFeedback (-want +got):\n%s", diff)
	}
	if empty := bot.SummarizeFeedback(bot.FeedbackTally{}); empty.ByTag != nil || len(empty.BySentiment) != 3 || empty.Answered != 0 {
		t.Errorf("SummarizeFeedback of nothing = %+v", empty)
	}
}
