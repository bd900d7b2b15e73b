package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/watch"
)

const watchWorld = `slack:
  channels: {marketing: C01MARKETING, community: C01COMMUNITY, escalations: C01ESC}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE}
feedback:
  default_to: marketing
  escalate_to: escalations
`

func TestWatchSectionDecodesTheIssuesExample(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(`watch:
  user_agent: "Liaison (+https://acme.example/community-bot)"
  feeds:
    - {name: tech-news, url: "https://news.example.com/rss"}
  queries:
    - {name: brand, query: '"Acme Cloud" OR acmecloud -jobs', sources: [feeds, hn, reddit], route: marketing}
    - {name: fr, query: 'acme panne', lang: [fr], route: community}
  alerts: community
  on_call: [carol, dave]
  respond_within: 2h
  poll_every: 5m
`+watchWorld))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Watch
	if !w.Enabled || w.UserAgent != "Liaison (+https://acme.example/community-bot)" {
		t.Errorf("watch = %+v", w)
	}
	if diff := cmp.Diff([]config.WatchFeed{{Name: "tech-news", URL: "https://news.example.com/rss"}}, w.Feeds); diff != "" {
		t.Errorf("feeds (-want +got):\n%s", diff)
	}
	if len(w.Queries) != 2 {
		t.Fatalf("queries = %+v", w.Queries)
	}
	q := w.Queries[0]
	if q.Name != "brand" || q.Query == nil || q.Query.Name != "brand" || q.Route.ID != "C01MARKETING" || !cmp.Equal(q.Sources, []string{"feeds", "hn", "reddit"}) {
		t.Errorf("brand = %+v", q)
	}
	if !q.Query.Matches(watch.Item{Text: "I use Acme Cloud"}) || q.Query.Matches(watch.Item{Text: "Acme Cloud jobs"}) {
		t.Errorf("brand's query is not the one written")
	}
	if fr := w.Queries[1]; !cmp.Equal(fr.Sources, watch.Sources) || !cmp.Equal(fr.Langs, []string{"fr"}) {
		t.Errorf("a query without sources listens to all of them: %+v", fr)
	}
	if w.Alerts.ID != "C01COMMUNITY" || !cmp.Equal(w.OnCall.People, []string{"carol", "dave"}) || w.RespondWithin != 2*time.Hour || w.PollEvery != 5*time.Minute {
		t.Errorf("alerts %+v on_call %+v respond_within %v poll_every %v", w.Alerts, w.OnCall, w.RespondWithin, w.PollEvery)
	}
	// defaults
	if w.Keep != 180*24*time.Hour || w.Burst != 5 || !cmp.Equal(w.AlertOn, []string{"scam", "arnaque", "down", "outage"}) || !cmp.Equal(w.StackExchange.Sites, []string{"stackoverflow"}) {
		t.Errorf("defaults: keep %v burst %d alert_on %v stackexchange %v", w.Keep, w.Burst, w.AlertOn, w.StackExchange.Sites)
	}
	if w.EscalateTo.ID != "C01ESC" {
		t.Errorf("escalate_to defaults to feedback.escalate_to, got %+v", w.EscalateTo)
	}
}

func TestWatchSectionDecodesTheWaveKeys(t *testing.T) {
	t.Parallel()
	// watch: before the sections it refers to: defaults still resolve.
	c, err := config.Parse("liaison.yaml", []byte(`watch:
  user_agent: "Liaison (community@acme.example)"
  queries: [{name: brand, query: acme, route: marketing}]
  on_call: {mon-wed: [carol], thu: dave, fri: [carol, dave]}
  keep: 30d
  alert_on: [rip-off, "en panne"]
  burst: 3
  escalate_to: marketing
  mastodon: {instances: ["https://mastodon.social/", fosstodon.org]}
  reddit: {subreddits: [r/selfhosted, golang]}
  stackexchange: {sites: [stackoverflow, superuser]}
  limits: {reddit: 5, hn: 30}
`+watchWorld))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Watch
	wantRota := map[time.Weekday][]string{
		time.Monday: {"carol"}, time.Tuesday: {"carol"}, time.Wednesday: {"carol"},
		time.Thursday: {"dave"}, time.Friday: {"carol", "dave"},
	}
	if diff := cmp.Diff(wantRota, w.OnCall.Rota); diff != "" {
		t.Errorf("rota (-want +got):\n%s", diff)
	}
	if w.Alerts.ID != "C01COMMUNITY" {
		t.Errorf("alerts default to the community channel, got %+v", w.Alerts)
	}
	if w.Keep != 30*24*time.Hour || w.Burst != 3 || !cmp.Equal(w.AlertOn, []string{"rip-off", "en panne"}) || w.EscalateTo.ID != "C01MARKETING" {
		t.Errorf("keep %v burst %d alert_on %v escalate_to %+v", w.Keep, w.Burst, w.AlertOn, w.EscalateTo)
	}
	if !cmp.Equal(w.Mastodon.Instances, []string{"mastodon.social", "fosstodon.org"}) || !cmp.Equal(w.Reddit.Subreddits, []string{"selfhosted", "golang"}) ||
		!cmp.Equal(w.StackExchange.Sites, []string{"stackoverflow", "superuser"}) || !cmp.Equal(w.Limits, map[string]int{"reddit": 5, "hn": 30}) {
		t.Errorf("sources: %+v %+v %+v %+v", w.Mastodon, w.Reddit, w.StackExchange, w.Limits)
	}

	// the rota: business hours mon-fri 09:00-18:00 UTC
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	for _, tt := range []struct {
		when string
		want []string
	}{
		{"2026-11-23T10:00:00Z", []string{"carol"}},         // monday
		{"2026-11-26T10:00:00Z", []string{"dave"}},          // thursday
		{"2026-11-26T19:00:00Z", []string{"carol", "dave"}}, // thursday evening: friday's
		{"2026-11-28T10:00:00Z", []string{"carol"}},         // saturday: monday's
	} {
		if got, _ := c.OnDuty(at(tt.when)); !cmp.Equal(got, tt.want) {
			t.Errorf("OnDuty(%s) = %v, want %v", tt.when, got, tt.want)
		}
	}
}

func TestWatchOnCallMayBeASlackGroup(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(`watch:
  user_agent: "Liaison (+https://acme.example)"
  on_call: {slack_group: S01ONCALL}
`+watchWorld))
	if err != nil {
		t.Fatal(err)
	}
	if people, group := c.OnDuty(time.Now()); group != "S01ONCALL" || len(people) != 0 {
		t.Errorf("OnDuty = %v %q, want the group", people, group)
	}
}

func TestWatchMistakesAreNamedWithTheirKey(t *testing.T) {
	t.Parallel()
	_, err := config.Parse("liaison.yaml", lines(
		`watch:`,
		`  user_agent: Liaison`,
		`  feeds:`,
		`    - {name: news, url: "https://user:secret@news.example.com/rss"}`,
		`    - {name: blog, url: "ftp://example.com"}`,
		`  queries:`,
		`    - {name: brand, query: '"Acme Cloud OR acme', route: marketing}`,
		`    - {name: other, query: 'acme', sources: [twitter], route: nowhere, lang: [french]}`,
		`  on_call: {mon: [zoe], someday: [carol]}`,
		`  poll_every: 10s`,
		`  limits: {twitter: 5, reddit: 0}`,
		`slack:`,
		`  channels: {marketing: C01MARKETING}`,
		`people:`,
		`  - {name: carol, slack: U01CAROL}`,
	))
	if err == nil {
		t.Fatal("Parse accepted a broken watch: section")
	}
	got := err.Error()
	for _, want := range []string{
		`liaison.yaml:2:15: watch.user_agent: "Liaison" gives sites no way to reach you`,
		`liaison.yaml:4:25: watch.feeds[0].url: the feed address holds a user name or password`,
		`liaison.yaml:5:25: watch.feeds[1].url: "ftp://example.com" is not a feed address`,
		`liaison.yaml:7:28: watch.queries[0].query: the query "\"Acme Cloud OR acme" is malformed at character 1: this quote is never closed`,
		`watch.queries[1].sources: "twitter" is not a source: use feeds, hn, reddit, mastodon, stackexchange, github`,
		`watch.queries[1].route: no Slack channel named "nowhere"`,
		`watch.queries[1].lang: "french" is not a language code`,
		`watch.on_call.mon[0]: nobody called "zoe" is declared under people`,
		`watch.on_call.someday: "someday" is not a day`,
		`watch.poll_every: must be at least 1m`,
		`watch.limits.twitter: "twitter" is not a source`,
		`watch.limits.reddit: must be at least 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q; got:\n%s", want, got)
		}
	}
}

func TestWatchNeedsAUserAgent(t *testing.T) {
	t.Parallel()
	_, err := config.Parse("liaison.yaml", []byte("watch:\n  poll_every: 5m\n"))
	if err == nil || !strings.Contains(err.Error(), "watch.user_agent: missing") {
		t.Errorf("Parse = %v, want user_agent reported missing", err)
	}
}
