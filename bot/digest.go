package bot

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The community digest's domain: the periods a digest reports on, the
// figures it shows, and how a figure compares with the period before.

// DigestJob names the digest called name in job_runs, where each of its
// scheduled times is recorded once.
func DigestJob(name string) string { return "digest:" + name }

// Spans a digest period may have.
const (
	SpanDay   = "day"
	SpanWeek  = "week"
	SpanMonth = "month"
)

// Period is a span of whole days in a timezone: from Start (a midnight,
// included) to End (a midnight, excluded), both in the period's location.
// Days are calendar days, so a week across a daylight saving change is
// still seven days (of 167 or 169 hours).
type Period struct {
	Start, End time.Time
}

// Midnight returns the start of t's day in loc.
func Midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// PeriodEnding returns the period of the given span (SpanDay, SpanWeek or
// SpanMonth; anything else is a week) that ends when end's day starts in
// loc: a digest that runs on Monday at 09:00 reports on Monday to Sunday of
// the week before, and one that runs on the 1st, on the month before.
func PeriodEnding(end time.Time, loc *time.Location, span string) Period {
	e := Midnight(end, loc)
	return Period{Start: spanBack(e, span), End: e}
}

// Previous returns the period of the same span that ends when p starts: the
// one p is compared with.
func (p Period) Previous(span string) Period {
	return PeriodEnding(p.Start, p.Start.Location(), span)
}

func spanBack(t time.Time, span string) time.Time {
	switch span {
	case SpanDay:
		return t.AddDate(0, 0, -1)
	case SpanMonth:
		return addMonthsClamped(t, -1)
	}
	return t.AddDate(0, 0, -7)
}

// addMonthsClamped moves t by n months, keeping the day of the month unless
// the target month is shorter (31 March less a month is 28 or 29 February).
func addMonthsClamped(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// Key names the period in the statistics tables: zone, first day, end day.
func (p Period) Key() string {
	return p.Start.Location().String() + "|" + p.FirstDay() + "|" + p.End.Format(time.DateOnly)
}

// FirstDay is the period's first day, YYYY-MM-DD.
func (p Period) FirstDay() string { return p.Start.Format(time.DateOnly) }

// EndDay is the day after the period, YYYY-MM-DD: days d with
// FirstDay() <= d < EndDay() are in the period.
func (p Period) EndDay() string { return p.End.Format(time.DateOnly) }

// Days lists the period's days, YYYY-MM-DD, in order.
func (p Period) Days() []string {
	var out []string
	for d := p.Start; d.Before(p.End); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// String writes the period for people: "23–29 Nov 2026", "30 Nov – 6 Dec
// 2026", "Mon 23 Nov 2026" for a single day.
func (p Period) String() string {
	last := p.End.AddDate(0, 0, -1)
	switch {
	case !last.After(p.Start):
		return p.Start.Format("Mon 2 Jan 2006")
	case p.Start.Year() != last.Year():
		return p.Start.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
	case p.Start.Month() != last.Month():
		return p.Start.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return p.Start.Format("2") + "–" + last.Format("2 Jan 2006")
}

// Schedule gives the next run after a time; a parsed robfig/cron schedule
// implements it.
type Schedule interface {
	Next(time.Time) time.Time
}

// PreviousRun returns the last run of sched at or before t, searching back
// up to a year and a bit; false when there is none.
func PreviousRun(sched Schedule, t time.Time) (time.Time, bool) {
	for _, back := range []time.Duration{time.Hour, 24 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		s := sched.Next(t.Add(-back))
		if s.IsZero() || s.After(t) {
			continue
		}
		for {
			n := sched.Next(s)
			if n.IsZero() || n.After(t) {
				return s, true
			}
			s = n
		}
	}
	return time.Time{}, false
}

// PeriodsCovering returns the periods of sched's runs that contain day (a
// time on that day in loc): the periods a message of that day is counted
// in. A weekly digest gives one; a daily digest of weekly periods, seven.
func PeriodsCovering(sched Schedule, loc *time.Location, span string, day time.Time) []Period {
	day = Midnight(day, loc)
	var out []Period
	// A run's period contains day when the run's own day comes after day
	// and no later than a span after it. Runs are visited a day at a time,
	// so a schedule that fires every minute costs no more than a weekly one.
	after := day.AddDate(0, 0, 1).Add(-time.Nanosecond)
	limit := day.AddDate(0, 0, 8)
	switch span {
	case SpanDay:
		limit = day.AddDate(0, 0, 1)
	case SpanMonth:
		limit = day.AddDate(0, 1, 1)
	}
	for range 40 {
		run := sched.Next(after)
		if run.IsZero() {
			break
		}
		runDay := Midnight(run, loc)
		if runDay.After(limit) {
			break
		}
		if p := PeriodEnding(runDay, loc, span); p.Contains(day) && !slices.Contains(out, p) {
			out = append(out, p)
		}
		after = runDay.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return out
}

// Count is a named figure of a digest (a channel's messages, a tag's
// items) with its value in the period before.
type Count struct {
	Name string
	N    int64
	Prev int64
}

// Contributor is one of the most active members of a period.
type Contributor struct {
	ID       string
	Name     string
	Messages int64
	Staff    bool
}

// Activity is what the community did in a period, read from the daily
// roll-ups: counts only, never what was said.
type Activity struct {
	Messages      int64
	ActiveMembers int64 // distinct people who wrote at least one message
	// ActiveApprox says ActiveMembers is an estimate (within 1 %, from
	// sketches): the period is not one a digest kept exact figures for.
	ActiveApprox    bool
	Discussions     int64 // threads and forum posts started
	NewMembers      int64
	DepartedMembers int64
	CommunitySize   int64 // members known at the end of the period
	PerDay          []int64
	Channels        []Count // busiest first, with the previous period's messages
	Contributors    []Contributor
}

// DigestItem is a feedback item a digest links to.
type DigestItem struct {
	ID      int64
	Title   string // who said what, shortened
	URL     string
	Votes   int
	Waiting time.Duration // unanswered: how long it has waited
}

// FeedbackFigures sum up the feedback of a period.
type FeedbackFigures struct {
	Items       int64
	ByTag       []Count // most frequent first
	BySentiment []Count // positive, neutral, negative
	MostVoted   []DigestItem
	// Answered is how many of the period's items have had a first answer;
	// Median and P90 are their first-response times in business hours.
	Answered       int
	MedianResponse time.Duration
	P90Response    time.Duration
	// Unanswered counts the items waiting for a first answer when the period
	// ended; Oldest lists the longest-waiting ones.
	Unanswered int64
	Oldest     []DigestItem
}

// Digest is one community report: a period's figures and the previous
// period's, to compare.
type Digest struct {
	Name     string
	Slot     time.Time // the scheduled run it is for; zero for a preview
	Delayed  bool      // posted after downtime, later than scheduled
	SoFar    bool      // a preview: the period is not over
	Span     string
	Period   Period
	Previous Period

	Activity, PrevActivity Activity
	Feedback, PrevFeedback FeedbackFigures
	// Replies counts the answers published to Discord through approvals.
	Replies, PrevReplies int64
	// Moderation counts moderation actions by type.
	Moderation []Count
	// Web and PrevWeb sum up the web watch's mentions (zero without it).
	Web, PrevWeb WebFigures
	// Giveaways are the giveaways drawn in the period.
	Giveaways GiveawayFigures
	// Removed and PrevRemoved count the messages moderation removed (automod,
	// purges): left out of the public highlights' figures.
	Removed, PrevRemoved int64
}

// GiveawayFigures are a period's giveaways: how many were drawn, their
// entries, and the members who joined while one was open and whose first
// week is over (Joined), of whom Stayed were still there after it.
type GiveawayFigures struct {
	Held, Entrants, Joined, Stayed int
}

// PublicMessages is the messages of the period the public highlights
// count: those moderation removed left out.
func (d *Digest) PublicMessages() (now, prev int64) {
	return d.Activity.Messages - d.Removed, d.PrevActivity.Messages - d.PrevRemoved
}

// SpanName names a span for titles: "Weekly", "Daily", "Monthly".
func SpanName(span string) string {
	switch span {
	case SpanDay:
		return "Daily"
	case SpanMonth:
		return "Monthly"
	}
	return "Weekly"
}

// Percentile returns the p-th percentile (0 to 100) of ds by linear
// interpolation between the closest ranks, so the median of an even number
// of values is the mean of the middle two. ds need not be sorted; an empty
// ds gives 0.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(s)-1)
	frac := rank - float64(lo)
	return s[lo] + time.Duration(math.Round(frac*float64(s[hi]-s[lo])))
}

// Change writes how cur compares with prev for people: "+12 (+9%)",
// "−3 (−5%)", "no change", "+4 (new)" when prev is zero.
func Change(cur, prev int64) string {
	d := cur - prev
	switch {
	case d == 0:
		return "no change"
	case prev == 0:
		return signed(d) + " (new)"
	}
	pct := math.Round(float64(d) / float64(prev) * 100)
	return fmt.Sprintf("%s (%s%%)", signed(d), signed(int64(pct)))
}

func signed(n int64) string {
	if n < 0 {
		return "−" + Thousands(-n)
	}
	return "+" + Thousands(n)
}

// Thousands writes n with comma separators: 1234567 is "1,234,567".
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Delta is Change without brackets, for inside them: "+12, +9%", "+4,
// new", "no change".
func Delta(cur, prev int64) string {
	return strings.Replace(strings.TrimSuffix(Change(cur, prev), ")"), " (", ", ", 1)
}

// WithChange writes a figure and its change: "1,234 (+56, +5%)",
// "0 (no change)".
func WithChange(cur, prev int64) string {
	return Thousands(cur) + " (" + Delta(cur, prev) + ")"
}

// Plural writes n and a noun, in the plural unless n is one: "1 vote",
// "1,204 messages".
func Plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Thousands(n) + " " + noun + "s"
}

// ShortDuration writes a wait for a phone screen: "45m", "3h20m",
// "2d4h"; seconds are dropped above a minute, minutes above a day.
func ShortDuration(d time.Duration) string {
	if d >= time.Minute {
		d = d.Round(time.Minute)
	}
	if d >= 24*time.Hour {
		d = d.Round(time.Hour)
	}
	return FormatDuration(d)
}

// FeedbackTally is the feedback of a period as counted: by sentiment and
// by tag, the most-voted items, and the first-response times of those
// answered.
type FeedbackTally struct {
	Items       int64
	BySentiment map[string]int64
	ByTag       map[string]int64
	MostVoted   []DigestItem
	Responses   []time.Duration
}

// Sentiments in the order digests list them.
var sentimentOrder = []string{"positive", "neutral", "negative"}

// SummarizeFeedback turns a tally into the digest's figures: tags most
// frequent first; sentiments positive, neutral, negative (then any other);
// the median and 90th percentile of the response times.
func SummarizeFeedback(t FeedbackTally) FeedbackFigures {
	f := FeedbackFigures{Items: t.Items, ByTag: Tally(t.ByTag), MostVoted: t.MostVoted}
	others := map[string]int64{}
	for s, n := range t.BySentiment {
		if !slices.Contains(sentimentOrder, s) {
			others[s] = n
		}
	}
	for _, s := range sentimentOrder {
		f.BySentiment = append(f.BySentiment, Count{Name: s, N: t.BySentiment[s]})
	}
	f.BySentiment = append(f.BySentiment, Tally(others)...)
	f.Answered = len(t.Responses)
	f.MedianResponse, f.P90Response = Percentile(t.Responses, 50), Percentile(t.Responses, 90)
	return f
}

// Tally lists counts by name most frequent first, then by name.
func Tally(m map[string]int64) []Count {
	if len(m) == 0 {
		return nil
	}
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Name: k, N: n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.N != b.N {
			if a.N > b.N {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// WithPrevious fills each count's Prev from the same name in prev, and adds
// the names only prev has (at zero), so a tag that disappeared still shows
// its fall.
func WithPrevious(cur, prev []Count) []Count {
	out := slices.Clone(cur)
	idx := map[string]int{}
	for i, c := range out {
		idx[c.Name] = i
	}
	for _, p := range prev {
		if i, ok := idx[p.Name]; ok {
			out[i].Prev = p.N
		} else if p.N > 0 {
			out = append(out, Count{Name: p.Name, Prev: p.N})
		}
	}
	return out
}

// Hours writes a span of business time in hours and minutes, never days
// (a business day is not 24 hours): "45m", "3h20m", "27h".
func Hours(d time.Duration) string {
	if d < time.Minute {
		return FormatDuration(d.Round(time.Second))
	}
	d = d.Round(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}
