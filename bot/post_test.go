package bot_test

import (
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestOneLineFoldsWhiteSpaceAndCutsAtACharacter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"two\nlines,\t tabbed", 80, "two lines, tabbed"},
		{"abcdefghij", 4, "abcd…"},
		{"héllo", 2, "h…"}, // é is two bytes: never half of it
	}
	for _, tt := range tests {
		if got := bot.OneLine(tt.in, tt.n); got != tt.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestPlainRefusalDropsTheMarker(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"permanent: Liaison's role is below the member's.", "Liaison's role is below the member's"},
		{"permanent: ", "no reason given"},
		{"timeout", "timeout"},
	}
	for _, tt := range tests {
		if got := bot.PlainRefusal(tt.in); got != tt.want {
			t.Errorf("PlainRefusal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
