package bot

import (
	"slices"
	"time"
)

// Escalation is the points policy: each action gives the member points,
// points decay with time, and crossing a threshold triggers an action (3
// points: a 1 h timeout; 5: a 7 d ban). The zero value has no thresholds and
// gives no points.
type Escalation struct {
	// Points per case action (warn: 1, timeout: 2…); actions not listed
	// give none.
	Points map[string]int
	// DecayPoints are taken off a member's total every DecayEvery (one
	// point per 30 days, say); no decay when either is zero.
	DecayPoints int
	DecayEvery  time.Duration
	// Thresholds, in ascending order of Points.
	Thresholds []Threshold
}

// Threshold is an action triggered when a member's points reach Points.
type Threshold struct {
	Points   int
	Action   string        // ActionTimeout, ActionKick or ActionBan
	Duration time.Duration // the timeout's length, or a temporary ban's; zero for a permanent ban
}

// PointsEvent is a case's points at the time it was made.
type PointsEvent struct {
	Points int
	At     time.Time
}

// Enabled reports whether the policy does anything.
func (e Escalation) Enabled() bool { return len(e.Thresholds) > 0 }

// PointsFor returns the points a case action gives.
func (e Escalation) PointsFor(action string) int { return e.Points[action] }

// Balance returns a member's points at now from their history: points add
// up as cases are made and decay by DecayPoints every DecayEvery, never
// below zero, the clock of the decay restarting whenever the total is zero.
func (e Escalation) Balance(history []PointsEvent, now time.Time) int {
	h := slices.Clone(history)
	slices.SortStableFunc(h, func(a, b PointsEvent) int { return a.At.Compare(b.At) })
	balance := 0
	var since time.Time
	decay := func(t time.Time) {
		if balance == 0 || e.DecayPoints <= 0 || e.DecayEvery <= 0 || !t.After(since) {
			return
		}
		steps := int(t.Sub(since) / e.DecayEvery)
		balance = max(0, balance-steps*e.DecayPoints)
		since = since.Add(time.Duration(steps) * e.DecayEvery)
	}
	for _, ev := range h {
		if ev.At.After(now) {
			break
		}
		decay(ev.At)
		if balance == 0 {
			since = ev.At
		}
		balance += ev.Points
		if balance < 0 {
			balance = 0
		}
	}
	decay(now)
	return balance
}

// Crossed returns the highest threshold reached by going from before to
// after points, if any.
func (e Escalation) Crossed(before, after int) (Threshold, bool) {
	var found Threshold
	ok := false
	for _, t := range e.Thresholds {
		if before < t.Points && t.Points <= after {
			found, ok = t, true
		}
	}
	return found, ok
}

// Next returns the lowest threshold above points, if any.
func (e Escalation) Next(points int) (Threshold, bool) {
	for _, t := range e.Thresholds {
		if t.Points > points {
			return t, true
		}
	}
	return Threshold{}, false
}

// Describe says what a threshold does: "a 1h timeout", "a 7d ban", "a
// permanent ban", "a kick".
func (t Threshold) Describe() string {
	switch t.Action {
	case ActionTimeout:
		return "a " + FormatDuration(t.Duration) + " timeout"
	case ActionBan:
		if t.Duration == 0 {
			return "a permanent ban"
		}
		return "a " + FormatDuration(t.Duration) + " ban"
	case ActionKick:
		return "a kick"
	}
	return t.Action
}
