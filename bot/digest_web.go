package bot

import (
	"cmp"
	"slices"
	"time"
)

// WebFigures sum up the web watch's mentions of a period, for the
// digest's Web section.
type WebFigures struct {
	Mentions    int64
	BySource    []Count // mentions by source id, most first
	BySentiment []Count // mentions by sentiment label
	// Top are the stories with the most engagement (points and comments
	// where the source gives them, summed over the sources carrying them).
	Top []WebStory
	// Alerts counts the alerts raised; Answered those answered, and
	// MedianAnswer their median time to answer, in business hours.
	Alerts, Answered int64
	MedianAnswer     time.Duration
}

// WebStory is one story of the Web section.
type WebStory struct {
	Title      string
	URL        string
	Sources    []string
	Engagement int64
}

// WebMention is what the Web section reads of one mention.
type WebMention struct {
	Story, Title, URL, Source, Sentiment string
	Engagement                           int64
	Alert                                bool
	// ToAnswer is the business time from the alert to its answer; zero
	// when unanswered.
	ToAnswer time.Duration
	Answered bool
}

// SumWeb adds up a period's mentions, keeping the top n stories.
func SumWeb(ms []WebMention, n int) WebFigures {
	var f WebFigures
	bySource, bySentiment := map[string]int64{}, map[string]int64{}
	stories := map[string]*WebStory{}
	var order []string
	var answers []time.Duration
	for _, m := range ms {
		f.Mentions++
		bySource[m.Source]++
		bySentiment[cmp.Or(m.Sentiment, "neutral")]++
		if m.Alert {
			f.Alerts++
			if m.Answered {
				f.Answered++
				answers = append(answers, m.ToAnswer)
			}
		}
		s, ok := stories[m.Story]
		if !ok {
			s = &WebStory{Title: m.Title, URL: m.URL}
			stories[m.Story] = s
			order = append(order, m.Story)
		}
		s.Engagement += m.Engagement
		if !slices.Contains(s.Sources, m.Source) {
			s.Sources = append(s.Sources, m.Source)
		}
	}
	f.BySource, f.BySentiment = Tally(bySource), Tally(bySentiment)
	f.MedianAnswer = Percentile(answers, 50)
	for _, k := range order {
		if s := stories[k]; s.Engagement > 0 || len(s.Sources) > 1 {
			f.Top = append(f.Top, *s)
		}
	}
	slices.SortStableFunc(f.Top, func(a, b WebStory) int {
		if a.Engagement != b.Engagement {
			return cmp.Compare(b.Engagement, a.Engagement)
		}
		return cmp.Compare(len(b.Sources), len(a.Sources))
	})
	if len(f.Top) > n {
		f.Top = f.Top[:n]
	}
	return f
}
