// Package chart draws the community digest's chart: a PNG with messages per
// day (this period beside the one before) and feedback by sentiment. It
// wraps gonum.org/v1/plot, pure Go, with its fonts embedded, so drawing
// needs no system fonts or cgo. It does no I/O beyond the writer it is given.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/liaison-bot/liaison/bot"
)

// The chart's size in pixels: wide enough for a week's bars, and legible
// when Slack scales it down on a phone.
const (
	Width  = 1200
	Height = 600
	dpi    = 96
)

// Filename is the name the chart is uploaded under.
const Filename = "chart.png"

var (
	thisColor = color.RGBA{R: 0x2e, G: 0x86, B: 0xde, A: 0xff}
	lastColor = color.RGBA{R: 0xb0, G: 0xb8, B: 0xc0, A: 0xff}
)

// Digest draws d's chart as a PNG of Width × Height pixels.
func Digest(d *bot.Digest) ([]byte, error) {
	days, err := perDay(d)
	if err != nil {
		return nil, err
	}
	sent, err := sentiment(d)
	if err != nil {
		return nil, err
	}
	img := vgimg.NewWith(vgimg.UseWH(pixels(Width), pixels(Height)), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 4, PadBottom: vg.Millimeter * 4,
		PadLeft: vg.Millimeter * 4, PadRight: vg.Millimeter * 6}
	plots := [][]*plot.Plot{{days, sent}}
	canvases := plot.Align(plots, tiles, dc)
	days.Draw(canvases[0][0])
	sent.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// pixels converts a number of pixels to the length that covers them at dpi.
func pixels(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// perDay plots messages per day of this period beside the same day of the
// period before.
func perDay(d *bot.Digest) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Messages per day"
	p.Y.Label.Text = "messages"
	p.Y.Min = 0
	days := d.Period.Days()
	labels := make([]string, len(days))
	for i, day := range days {
		t, _ := time.Parse(time.DateOnly, day)
		labels[i] = t.Format("Mon 2")
		if len(days) > 8 {
			labels[i] = t.Format("2")
		}
	}
	now := pad(d.Activity.PerDay, len(days))
	prev := pad(d.PrevActivity.PerDay, len(days))
	width := barWidth(len(days))
	if err := groupedBars(p, width, series{"this " + spanWord(d.Span), now, thisColor}, series{"the " + spanWord(d.Span) + " before", prev, lastColor}); err != nil {
		return nil, err
	}
	p.NominalX(labels...)
	p.Legend.Top = true
	return p, nil
}

// sentiment plots feedback items by sentiment, this period and the one before.
func sentiment(d *bot.Digest) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Feedback by sentiment"
	p.Y.Label.Text = "items"
	p.Y.Min = 0
	var names []string
	var now, prev []float64
	for _, c := range bot.WithPrevious(d.Feedback.BySentiment, d.PrevFeedback.BySentiment) {
		names = append(names, c.Name)
		now, prev = append(now, float64(c.N)), append(prev, float64(c.Prev))
	}
	if len(names) == 0 {
		names, now, prev = []string{"no feedback"}, []float64{0}, []float64{0}
	}
	if err := groupedBars(p, barWidth(len(names)), series{"this " + spanWord(d.Span), now, thisColor}, series{"the " + spanWord(d.Span) + " before", prev, lastColor}); err != nil {
		return nil, err
	}
	p.NominalX(names...)
	p.Legend.Top = true
	return p, nil
}

type series struct {
	name   string
	values []float64
	color  color.Color
}

// groupedBars draws each series as bars side by side around every x.
func groupedBars(p *plot.Plot, width vg.Length, ss ...series) error {
	for i, s := range ss {
		bars, err := plotter.NewBarChart(plotter.Values(s.values), width)
		if err != nil {
			return fmt.Errorf("chart: %s: %w", s.name, err)
		}
		bars.Color = s.color
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(len(ss)-1)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	// Headroom for the legend above the tallest bar; an empty period would
	// give a zero-height axis, so keep a visible scale.
	p.Y.Max = max(p.Y.Max*1.3, 1)
	style(p)
	return nil
}

// style sizes the text for a chart read on a phone.
func style(p *plot.Plot) {
	p.Title.TextStyle.Font.Size = vg.Points(17)
	p.Title.Padding = vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(13)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Label.Font.Size = vg.Points(12)
		a.Label.TextStyle.Font.Size = vg.Points(13)
	}
}

// barWidth fits two bars per group in half the plot's width.
func barWidth(groups int) vg.Length {
	w := pixels(Width) / 2 / vg.Length(max(groups, 1)) / 2.6
	return min(w, vg.Points(28))
}

func pad(vs []int64, n int) []float64 {
	out := make([]float64, n)
	for i := range min(n, len(vs)) {
		out[i] = float64(vs[i])
	}
	return out
}

func spanWord(span string) string {
	switch span {
	case bot.SpanDay:
		return "day"
	case bot.SpanMonth:
		return "month"
	}
	return "week"
}
