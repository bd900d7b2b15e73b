package discordbot

import "testing"

func TestQueuedIDsKnowTheirOldestAsIDsComeAndGo(t *testing.T) {
	var q queuedIDs
	if got := q.oldest(); got != "" {
		t.Fatalf("empty: oldest %q", got)
	}
	// Ids of different lengths: numeric order, not the strings'.
	for _, id := range []string{"1000", "999", "1001", "999"} {
		q.add(id)
	}
	steps := []struct {
		remove, want string
	}{
		{"", "999"},
		{"1000", "999"}, // not the oldest: nothing changes
		{"999", "1001"}, // queued twice, handled once: gone
		{"1001", ""},
	}
	for _, s := range steps {
		if s.remove != "" {
			q.remove(s.remove)
		}
		if got := q.oldest(); got != s.want {
			t.Errorf("after removing %q: oldest %q, want %q", s.remove, got, s.want)
		}
	}
	q.add("5")
	if got := q.oldest(); got != "5" {
		t.Errorf("queued again: oldest %q, want 5", got)
	}
}
