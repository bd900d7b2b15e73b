package chart_test

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/chart"
)

func TestTheDigestChartIsAPNGOfTheExpectedSize(t *testing.T) {
	t.Parallel()
	week := bot.PeriodEnding(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), time.UTC, bot.SpanWeek)
	month := bot.PeriodEnding(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), time.UTC, bot.SpanMonth)
	tests := []struct {
		name string
		d    *bot.Digest
	}{
		{"a busy week", &bot.Digest{Span: bot.SpanWeek, Period: week, Previous: week.Previous(bot.SpanWeek),
			Activity:     bot.Activity{PerDay: []int64{120, 98, 143, 80, 61, 20, 15}},
			PrevActivity: bot.Activity{PerDay: []int64{100, 90, 110, 95, 70, 30, 10}},
			Feedback:     bot.FeedbackFigures{BySentiment: []bot.Count{{Name: "positive", N: 4}, {Name: "neutral", N: 2}, {Name: "negative", N: 7}}},
			PrevFeedback: bot.FeedbackFigures{BySentiment: []bot.Count{{Name: "positive", N: 2}, {Name: "negative", N: 3}}}}},
		{"an empty week", &bot.Digest{Span: bot.SpanWeek, Period: week, Previous: week.Previous(bot.SpanWeek)}},
		{"a month", &bot.Digest{Span: bot.SpanMonth, Period: month, Previous: month.Previous(bot.SpanMonth),
			Activity: bot.Activity{PerDay: make([]int64, 30)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := chart.Digest(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("not a PNG: % x", data[:min(8, len(data))])
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != chart.Width || b.Dy() != chart.Height {
				t.Errorf("the chart is %dx%d, want %dx%d", b.Dx(), b.Dy(), chart.Width, chart.Height)
			}
			// Not a blank canvas: bars and text were drawn.
			colours := map[[4]uint32]bool{}
			for y := 0; y < chart.Height; y += 7 {
				for x := 0; x < chart.Width; x += 7 {
					r, g, b, a := img.At(x, y).RGBA()
					colours[[4]uint32{r, g, b, a}] = true
				}
			}
			if len(colours) < 3 {
				t.Errorf("the chart has %d colours: nothing was drawn", len(colours))
			}
		})
	}
}
