package watchsrc

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOptionsFromEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"LIAISON_WATCH_HN_URL": "http://127.0.0.1:9001/hn", "LIAISON_WATCH_STACKEXCHANGE_URL": "http://proxy.internal/se",
		"REDDIT_CLIENT_ID": "cid", "REDDIT_CLIENT_SECRET": "cs", "STACKEXCHANGE_KEY": "sek", "GITHUB_TOKEN": "ght",
		"MASTODON_ACCESS_TOKEN": "mt",
	}
	o := Options{GitHubToken: "from-config"}
	o.FromEnv(func(k string) string { return env[k] })
	want := map[string]string{"hn": "http://127.0.0.1:9001/hn", "stackexchange": "http://proxy.internal/se"}
	if diff := cmp.Diff(want, o.BaseURLs); diff != "" {
		t.Errorf("base URLs (-want +got):\n%s", diff)
	}
	if o.RedditClientID != "cid" || o.RedditClientSecret != "cs" || o.StackExchangeKey != "sek" || o.MastodonAccessToken != "mt" {
		t.Errorf("credentials = %+v", o)
	}
	if o.GitHubToken != "from-config" {
		t.Errorf("FromEnv replaced a token already set: %q", o.GitHubToken)
	}
	if got := EnvBaseURL("stackexchange"); got != "LIAISON_WATCH_STACKEXCHANGE_URL" {
		t.Errorf("EnvBaseURL = %q", got)
	}
}

func TestOptionsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no user agent", Options{}, "must name the bot and carry a contact URL"},
		{"a user agent without contact", Options{UserAgent: "Liaison"}, "contact URL"},
		{"half the Reddit credentials", Options{UserAgent: "L (+https://a.example)", RedditClientID: "x"}, "set both REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"},
		{"a feed that is not a URL", Options{UserAgent: "L (+https://a.example)", Feeds: []Feed{{"x", "news.example.com/rss"}}}, "watch.feeds x: \"news.example.com/rss\" is not an http(s) URL"},
		{"two feeds with one name", Options{UserAgent: "L (+https://a.example)", Feeds: []Feed{{"x", "https://a.example/1"}, {"x", "https://a.example/2"}}}, "used twice"},
		{"a bad override", Options{UserAgent: "L (+https://a.example)", BaseURLs: map[string]string{"hn": "ftp://x"}}, "LIAISON_WATCH_HN_URL"},
	}
	for _, tc := range cases {
		err := tc.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	ok := Options{UserAgent: "Liaison (+https://acme.example/community-bot)", Feeds: []Feed{{"tech", "https://news.example.com/rss"}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestRatesOnlyGoDown(t *testing.T) {
	t.Parallel()
	reddit := Rate{N: 10, Per: time.Minute}
	for _, tc := range []struct{ conf, want Rate }{
		{Rate{N: 5, Per: time.Minute}, Rate{N: 5, Per: time.Minute}},
		{Rate{N: 100, Per: time.Minute}, reddit},
		{Rate{N: 1, Per: time.Second}, reddit},
		{Rate{}, reddit},
	} {
		if got := reddit.lower(tc.conf); got != tc.want {
			t.Errorf("%v lowered by %v = %v, want %v", reddit, tc.conf, got, tc.want)
		}
	}
}
