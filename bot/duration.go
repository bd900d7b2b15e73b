package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration is the one duration parser of Liaison, used by the
// configuration and by every command. It accepts Go's syntax (90s, 2h30m,
// 1.5h) plus d (24h) and w (7 days): 7d, 2w, 1w2d3h. Negative durations are
// refused: no Liaison setting or command means "in the past".
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, durationError(orig)
	}
	if s == "0" {
		return 0, nil
	}
	var total time.Duration
	for s != "" {
		// A number: digits with at most one dot.
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, durationError(orig)
		}
		num := s[:i]
		s = s[i:]
		// A unit: letters (and µ).
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		var d time.Duration
		switch unit {
		case "d", "w":
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, durationError(orig)
			}
			day := 24 * time.Hour
			if unit == "w" {
				day *= 7
			}
			d = time.Duration(f * float64(day))
		case "":
			return 0, durationError(orig)
		default:
			var err error
			d, err = time.ParseDuration(num + unit)
			if err != nil {
				return 0, durationError(orig)
			}
		}
		total += d
		if total < 0 { // overflow
			return 0, durationError(orig)
		}
	}
	return total, nil
}

func durationError(s string) error {
	return Errorf(EInvalid, "%s is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m", Quoted(s))
}

// FormatDuration renders d the way people write it back: 2w, 3d4h, 1h30m, 45s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	units := []struct {
		name string
		size time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	for _, u := range units {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
		}
	}
	if d > 0 && b.Len() == 0 {
		return d.String()
	}
	return b.String()
}
