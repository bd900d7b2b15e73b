package bot_test

import (
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"10m", 10 * time.Minute},
		{"2h30m", 2*time.Hour + 30*time.Minute},
		{"7d", 7 * 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1w2d3h", (9*24 + 3) * time.Hour},
		{"1.5h", 90 * time.Minute},
		{" 30s ", 30 * time.Second},
		{"0", 0},
	}
	for _, tt := range tests {
		got, err := bot.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "d", "10", "ten minutes", "-5m", "5x", "1h-", "h1"} {
		_, err := bot.ParseDuration(bad)
		if bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("ParseDuration(%q) error = %v, want an invalid error", bad, err)
		}
	}
	if _, err := bot.ParseDuration("soon"); bot.ErrorMessage(err) != `"soon" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m` {
		t.Errorf("message = %q", bot.ErrorMessage(err))
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{45 * time.Second, "45s"},
		{90 * time.Minute, "1h30m"},
		{(3*24 + 4) * time.Hour, "3d4h"},
		{14 * 24 * time.Hour, "2w"},
	}
	for _, tt := range tests {
		if got := bot.FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
