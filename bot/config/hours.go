package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// BusinessHours are the hours in which the team is expected to answer.
// Response-time clocks (SLAs) count only time inside them. They are read in
// the configuration's timezone.
type BusinessHours struct {
	// Days are the working days; "mon-fri" by default.
	Days Weekdays
	// From and To bound the working day: open at From, closed from To on.
	// Default 09:00 and 18:00. From is before To: hours cannot span midnight.
	From, To TimeOfDay
	// Holidays are whole days off, as YYYY-MM-DD, in the order written.
	Holidays []string
}

func defaultBusinessHours() BusinessHours {
	return BusinessHours{Days: weekdaysMonFri, From: 9 * 60, To: 18 * 60}
}

// Open reports whether t falls within business hours. t must already be in
// the configuration's Location (t.In(cfg.Location)): the day and hour are read
// from t as it is.
func (b BusinessHours) Open(t time.Time) bool {
	if !b.Days.Has(t.Weekday()) || slices.Contains(b.Holidays, t.Format(time.DateOnly)) {
		return false
	}
	now := TimeOfDay(t.Hour()*60 + t.Minute())
	return b.From <= now && now < b.To
}

// Weekdays is a set of days of the week, one bit per time.Weekday.
type Weekdays uint8

const weekdaysMonFri Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

// Has reports whether day is in the set.
func (w Weekdays) Has(day time.Weekday) bool { return w&(1<<day) != 0 }

// weekOrder lists the days as people write ranges: monday first.
var weekOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// String writes the set the way the file does, monday first, with ranges of
// three days or more: "mon-fri", "mon,wed,fri", "mon-wed,sat".
func (w Weekdays) String() string {
	var parts []string
	for i := 0; i < 7; {
		if !w.Has(weekOrder[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(weekOrder[j+1]) {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, dayName(i)+"-"+dayName(j))
		case j > i:
			parts = append(parts, dayName(i), dayName(j))
		default:
			parts = append(parts, dayName(i))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func dayName(i int) string { return strings.ToLower(weekOrder[i].String()[:3]) }

// dayIndex returns the position of a day name (mon, Monday, …) in weekOrder.
func dayIndex(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range weekOrder {
		if s == dayName(i) || s == strings.ToLower(d.String()) {
			return i, true
		}
	}
	return 0, false
}

// parseWeekdays reads "mon-fri", "mon,wed,fri" or "mon-wed,sat". A range
// that goes past sunday wraps: "fri-mon" is friday to monday.
func parseWeekdays(s string) (Weekdays, bool) {
	var w Weekdays
	for part := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		i, ok := dayIndex(from)
		if !ok {
			return 0, false
		}
		j := i
		if isRange {
			if j, ok = dayIndex(to); !ok {
				return 0, false
			}
		}
		for k := i; ; k = (k + 1) % 7 {
			w |= 1 << weekOrder[k]
			if k == j {
				break
			}
		}
	}
	return w, true
}

// TimeOfDay is a time on the clock, in minutes after midnight; 24:00 is the
// end of the day.
type TimeOfDay int

// String writes t as "09:00".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t/60, t%60) }

// parseTimeOfDay reads a 24-hour "HH:MM" (or "H:MM"), up to "24:00".
func parseTimeOfDay(s string) (TimeOfDay, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || strings.ContainsAny(s, "+-") || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, false
	}
	return TimeOfDay(hh*60 + mm), true
}

func (d *decoder) businessHours(n *yaml.Node, path string, b *BusinessHours) {
	fromNode, toNode := n, n
	before := len(d.errs)
	d.fields(n, path, []field{
		{name: "days", decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "days like mon-fri")
			if !ok {
				return
			}
			if b.Days, ok = parseWeekdays(s); !ok || b.Days == 0 {
				d.errorf(v, p, "%q is not a set of days: use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri and commas like mon-wed,fri", s)
			}
		}},
		{name: "from", decode: func(v *yaml.Node, p string) { fromNode = v; d.timeOfDay(v, p, &b.From) }},
		{name: "to", decode: func(v *yaml.Node, p string) { toNode = v; d.timeOfDay(v, p, &b.To) }},
		{name: "holidays", decode: func(v *yaml.Node, p string) {
			d.list(v, p, "a list of dates (like [2026-12-25, 2027-01-01])", func(_ int, v *yaml.Node, p string) {
				s, ok := d.str(v, p, "a date like 2026-12-25")
				if !ok {
					return
				}
				if _, err := time.Parse(time.DateOnly, s); err != nil {
					d.errorf(v, p, "%q is not a date: write dates as YEAR-MONTH-DAY, like 2026-12-25", s)
					return
				}
				b.Holidays = append(b.Holidays, s)
			})
		}},
	})
	if len(d.errs) == before && b.From >= b.To {
		at, p := toNode, join(path, "to")
		if toNode == n {
			at, p = fromNode, join(path, "from")
		}
		d.errorf(at, p, "the day must end after it starts: from is %s and to is %s (business hours cannot span midnight)", b.From, b.To)
	}
}

func (d *decoder) timeOfDay(n *yaml.Node, path string, dst *TimeOfDay) {
	s, ok := d.str(n, path, `a time like "09:00"`)
	if !ok {
		return
	}
	t, ok := parseTimeOfDay(s)
	if !ok {
		d.errorf(n, path, "%q is not a time of day: write 24-hour times like \"09:00\" or \"18:30\"", s)
		return
	}
	*dst = t
}

// Deadline returns when d of business time will have passed since start,
// counting only open hours in loc: an item posted Friday 17:00 with a 2h
// target is due Monday 10:00 (with 09:00-18:00, mon-fri). Days are built
// with time.Date in loc, so daylight saving changes are handled. It gives
// up after ten years without enough open time and returns the zero time.
func (b BusinessHours) Deadline(start time.Time, d time.Duration, loc *time.Location) time.Time {
	left := d
	cur := start.In(loc)
	for range 3660 {
		open, close := b.window(cur, loc)
		if !open.IsZero() {
			from := maxTime(open, cur)
			if from.Before(close) {
				if avail := close.Sub(from); avail >= left {
					return from.Add(left)
				} else {
					left -= avail
				}
			}
		}
		y, m, day := cur.Date()
		cur = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

// Elapsed returns how much business time lies between start and end in loc.
func (b BusinessHours) Elapsed(start, end time.Time, loc *time.Location) time.Duration {
	var total time.Duration
	cur, end := start.In(loc), end.In(loc)
	for i := 0; cur.Before(end) && i < 3660; i++ {
		open, close := b.window(cur, loc)
		if !open.IsZero() {
			from, to := maxTime(open, cur), minTime(close, end)
			if from.Before(to) {
				total += to.Sub(from)
			}
		}
		y, m, day := cur.Date()
		cur = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
	}
	return total
}

// window returns the open hours of t's day in loc, or zero times when the day
// is closed (not a working day, or a holiday).
func (b BusinessHours) window(t time.Time, loc *time.Location) (time.Time, time.Time) {
	if !b.Days.Has(t.Weekday()) || slices.Contains(b.Holidays, t.Format(time.DateOnly)) {
		return time.Time{}, time.Time{}
	}
	y, m, d := t.Date()
	at := func(tod TimeOfDay) time.Time { return time.Date(y, m, d, int(tod)/60, int(tod)%60, 0, 0, loc) }
	return at(b.From), at(b.To)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
