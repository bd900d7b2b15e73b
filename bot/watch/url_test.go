package watch_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot/watch"
)

func TestCanonicalStripsTrackingAndNoise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.Example.com/Post/?utm_source=x&utm_medium=y&b=2&a=1#comments", "https://www.example.com/Post?a=1&b=2"},
		{"https://example.com/post?fbclid=abc&gclid=def&ref=hn", "https://example.com/post"},
		{"http://user:pass@example.com:80/", "http://example.com"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
	}
	for _, tt := range tests {
		got, err := watch.Canonical(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := watch.Canonical("javascript:alert(1)"); err == nil {
		t.Errorf("Canonical accepted a non-http URL")
	}
	a, _ := watch.Canonical("http://example.com/a?utm_campaign=z")
	b, _ := watch.Canonical("https://www.example.com/a/")
	if watch.URLHash(a) != watch.URLHash(b) {
		t.Errorf("the http and https addresses of one page hash apart: %q %q", a, b)
	}
}

func TestDistinctiveWordsLeaveTheQueryOut(t *testing.T) {
	q := watch.MustParse(`acme OR "acme cloud"`)
	got := watch.DistinctiveWords(q, "Acme roadrunner cartoon", "The coyote buys Acme rockets; the coyote fails. Les dessins animés", 3)
	if diff := cmp.Diff([]string{"coyote", "roadrunner", "cartoon"}, got); diff != "" {
		t.Errorf("DistinctiveWords (-want +got):\n%s", diff)
	}
}
