package main

import (
	"strings"
	"testing"
)

// The tour shows the status board: at its third vote zoe's dark-mode item
// gets a post in the #ideas-board forum, wearing Open, pinging nobody; a
// 👍 on the post is a vote, and the post is edited to count it.
func TestTheTourShowsTheStatusBoard(t *testing.T) {
	t.Parallel()
	out := runTour(t)
	for _, want := range []string{
		"[discord #ideas-board › Dark mode] d26 liaison: Tag: Open\n    > please add a dark theme to the dashboard\n    Status: Open\n" +
			"    Votes: 3 · react with 👍 to this post to add yours\n    Merged: #4 (the same request; their votes count here)\n",
		"    Feedback #3 · from #ideas\n    (pings: nobody)\n[discord #ideas-board › Dark mode] d26 +👍 dave\n",
		"[discord #ideas-board › Dark mode] d26 edited liaison: Tag: Open\n    > please add a dark theme to the dashboard\n    Status: Open\n    Votes: 4 · ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "[discord #ideas-board › Dark mode] d26 liaison:"); n != 1 {
		t.Errorf("the board shows the item in %d posts, want 1", n)
	}
}
