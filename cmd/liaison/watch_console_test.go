package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A feed line plays a web source: the item shows as [web SOURCE] wN, the
// brand query matches it, the mention is posted in #marketing with its
// buttons; a negative one is also an alert in #community pinging carol and
// nobody else; a page seen again is not posted twice.
func TestTheConsoleFeedsTheWatch(t *testing.T) {
	t.Parallel()
	script := `feed hn jdoe: Acme Cloud review | https://news.example.com/acme?utm_source=hn | we tried it for a month
feed reddit angry: Acme is down again @here | https://www.reddit.com/r/selfhosted/1 | what a scam, <!channel>
feed feeds news: Acme Cloud review | https://news.example.com/acme | same article in another feed
feed hn someone: Unrelated | https://news.ycombinator.com/item?id=9 | nothing to see
feed twitter x: t | https://x.com/1 | x
click s2 "Claim" carol
slack #community carol: /liaison watch test "acme -jobs" "Acme is hiring: jobs in Paris"
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T10:00:00+01:00")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[web hn] w1 jdoe: Acme Cloud review <https://news.example.com/acme?utm_source=hn>\n",
		"[slack #marketing] s1 liaison: Web mention #1 on hn by jdoe\n    > Acme Cloud review\n    > we tried it for a month\n    Query: brand (matched acme)\n",
		"    Open on news.example.com <https://news.example.com/acme>\n",
		"[Claim] [Draft reply] [Mute author] [Mute site] [Not about us]",
		"[web reddit] w2 angry: Acme is down again @here <https://www.reddit.com/r/selfhosted/1>\n",
		"[slack #community] s3 liaison: @carol Alert on brand: mention #2 on reddit by angry\n",
		"    On call: carol. Answer by Mon 23 Nov 12:00 (2h of business hours).\n",
		"    (pings: @carol)\n",
		"[web feeds] w3 news: Acme Cloud review <https://news.example.com/acme>\n[web hn] w4 someone:",
		`line 5: "twitter" is not a watch source`,
		"(to carol) liaison: Mention #2 is yours",
		"It does not match: the exclusion -jobs is in the text (without it, acme would match).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if n := len(regexp.MustCompile(`\] s\d+ liaison: Web mention #`).FindAllString(out, -1)); n != 2 {
		t.Errorf("%d mentions posted, want 2 (the review once, the reddit post):\n%s", n, out)
	}
	if strings.Contains(out, "(pings: @here") || strings.Contains(out, "!channel") && strings.Contains(out, "(pings: !channel") {
		t.Errorf("user text pinged:\n%s", out)
	}
}

// config check names a malformed watch query with its line and the
// character where it goes wrong.
func TestConfigCheckLocatesAMalformedWatchQuery(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(`slack: {channels: {marketing: C01MARKETING}}
watch:
  user_agent: "Liaison (+https://acme.example)"
  queries:
    - {name: brand, query: 'acme (cloud OR', route: marketing}
`), 0o600)
	code, _, errs := run(t, nil, "config", "check", bad)
	want := bad + `:5:28: watch.queries[0].query: the query "acme (cloud OR" is malformed at character 13: OR needs`
	if code != exitError || !strings.Contains(errs, want) {
		t.Errorf("config check = %d %q, want %q", code, errs, want)
	}
}
