package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// webFigures sums up the mentions found in [from, to).
func (dc *Digest) webFigures(ctx context.Context, from, to time.Time) (bot.WebFigures, error) {
	ms, err := dc.db.MentionsSince(ctx, from, to)
	if err != nil {
		return bot.WebFigures{}, err
	}
	in := make([]bot.WebMention, len(ms))
	for i, m := range ms {
		in[i] = bot.WebMention{Story: m.StoryHash, Title: bot.OneLine(m.Title, 120), URL: m.URL, Source: m.Source,
			Sentiment: m.Sentiment, Engagement: int64(m.Score + m.Comments), Alert: m.AlertState != ""}
		if in[i].Title == "" {
			in[i].Title = bot.OneLine(m.Excerpt, 120)
		}
		if m.AlertState != "" && m.AnsweredAt != nil {
			in[i].Answered = true
			in[i].ToAnswer = dc.cfg.BusinessHours.Elapsed(m.CreatedAt, *m.AnsweredAt, dc.cfg.Location)
		}
	}
	return bot.SumWeb(in, 3), nil
}

// webSection renders the Web section of the internal digest: mentions by
// source and sentiment with their change, the share of positive and
// negative, the top stories, and the alerts with their median time to an
// answer.
func webSection(d *bot.Digest) bot.Section {
	w, pw := d.Web, d.PrevWeb
	sec := bot.Section{Title: "Web"}
	sec.Lines = append(sec.Lines, bot.Line{Text: "Mentions: " + bot.WithChange(w.Mentions, pw.Mentions)})
	if w.Mentions == 0 && pw.Mentions == 0 {
		return sec
	}
	for _, c := range bot.WithPrevious(w.BySource, pw.BySource) {
		sec.Lines = append(sec.Lines, bot.Line{Text: fmt.Sprintf("On %s: %d (%s)", c.Name, c.N, bot.Delta(c.N, c.Prev))})
	}
	var share []string
	for _, c := range bot.WithPrevious(w.BySentiment, pw.BySentiment) {
		pct := 0
		if w.Mentions > 0 {
			pct = int(c.N * 100 / w.Mentions)
		}
		share = append(share, fmt.Sprintf("%s %d (%d%%, %s)", c.Name, c.N, pct, bot.Delta(c.N, c.Prev)))
	}
	if len(share) > 0 {
		sec.Lines = append(sec.Lines, bot.Line{Text: "Sentiment: " + strings.Join(share, ", ")})
	}
	alerts := "Alerts: " + bot.WithChange(w.Alerts, pw.Alerts)
	if w.Answered > 0 {
		alerts += fmt.Sprintf(", %d answered, median %s to answer (business hours)", w.Answered, bot.Hours(w.MedianAnswer))
	}
	sec.Lines = append(sec.Lines, bot.Line{Text: alerts})
	for _, s := range w.Top {
		sec.Lines = append(sec.Lines, bot.Line{Text: fmt.Sprintf("Top story: %s (%d points and comments, on %s)", s.Title, s.Engagement, strings.Join(s.Sources, ", ")), URL: s.URL})
	}
	return sec
}
