package bot

import "testing"

func TestClosestSuggestsOnlyNearWords(t *testing.T) {
	t.Parallel()
	verbs := []string{"warn", "timeout", "kick", "ban", "unban"}
	for word, want := range map[string]string{"wran": "warn", "timout": "timeout", "bna": "ban", "unbna": "unban", "purge": "", "": ""} {
		if got := Closest(word, verbs, 2); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestEditDistanceCountsLettersNotBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{{"réunion", "reunion", 1}, {"", "été", 3}, {"kitten", "sitting", 3}, {"same", "same", 0}} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
