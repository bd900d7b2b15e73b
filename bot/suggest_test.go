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
