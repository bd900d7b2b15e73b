package discordbot

import "testing"

func TestSnowflakesOrderAsNumbers(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{
		{"9", "10", true},
		{"10", "9", false},
		{"1300000000000000000", "1300000000000000001", true},
		{"1300000000000000001", "1300000000000000001", false},
		{"999999999999999999", "1000000000000000000", true},
		{"007", "10", true}, // leading zeros: as numbers
		{"10", "007", false},
		{"0", "1", true},
		{"abc", "abd", true}, // not numbers: as text, shorter first
	} {
		if got := snowflakeLess(c.a, c.b); got != c.less {
			t.Errorf("snowflakeLess(%q, %q) = %v, want %v", c.a, c.b, got, c.less)
		}
	}
}
