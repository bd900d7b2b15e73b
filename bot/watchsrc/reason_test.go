package watchsrc

import (
	"fmt"
	"testing"
)

func TestAFailureReasonSaysTheStatus(t *testing.T) {
	t.Parallel()
	refused := &StatusError{Status: 401, URL: "https://api.github.com/search/issues"}
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf(`github search "acme": %w`, refused), `github search "acme" (401 Unauthorized)`},
		{&StatusError{Status: 404, URL: "https://news.example.com/rss"}, "https://news.example.com/rss answered 404 Not Found"},
	} {
		if got := reasonFor(c.err); got != c.want {
			t.Errorf("reasonFor(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
