package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

func TestStatusLinesSayWhatIsBadAndWhatToDo(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	healthy := func() bot.Status {
		return bot.Status{Version: "1.0", StartedAt: t0.Add(-time.Hour), Now: t0, Replica: "r1", Replicas: []string{"r1"},
			SchedulerLease: "r1", GatewayLease: "r1",
			Slack:   &bot.PlatformStatus{Mode: "Socket Mode", Session: "connected", LastEvent: t0.Add(-time.Minute)},
			Discord: &bot.PlatformStatus{Mode: "gateway", Session: "connected", LastEvent: t0.Add(-time.Second)},
			Digests: []bot.DigestStatus{{Name: "weekly", LastSlot: t0.Add(-24 * time.Hour), LastStatus: "done", Next: t0.Add(6 * 24 * time.Hour)}},
			Watch:   &bot.WatchStatus{Sources: []string{"feeds", "hn", "github"}}}
	}
	tests := []struct {
		name      string
		change    func(*bot.Status)
		check     string
		state     string
		text, fix string
	}{
		{"a healthy service is all ok", func(*bot.Status) {}, "", bot.StatusOK, "", ""},
		{"a due message older than 5 minutes is bad", func(s *bot.Status) {
			s.Outbox.Lanes = []bot.LaneStatus{{Lane: "slack:C1", Messages: 3, Oldest: t0.Add(-7 * time.Minute)}}
			s.Outbox.OldestDue = t0.Add(-6 * time.Minute)
		}, "outbox", bot.StatusBad, "the oldest due was enqueued 6m ago", "liaison doctor"},
		{"the gateway disconnected is bad", func(s *bot.Status) { s.Discord.Session = "disconnected" }, "discord", bot.StatusBad, "disconnected", "liaison doctor --only discord"},
		{"nobody holding the gateway lease is bad", func(s *bot.Status) { s.GatewayLease = "" }, "gateway", bot.StatusBad, "Discord events are not received", "logs"},
		{"nobody holding the scheduler lease is bad", func(s *bot.Status) { s.SchedulerLease = "" }, "scheduler", bot.StatusBad, "digests, reminders and expiries do not run", "lease"},
		{"a missed digest is bad", func(s *bot.Status) { s.Digests[0].Missed = true }, "digest weekly", bot.StatusBad, "missed", "liaison digest run weekly"},
		{"dead messages are bad", func(s *bot.Status) { s.Outbox.Dead24h = 2 }, "dead", bot.StatusBad, "2 message(s) given up", "Retry dead"},
		{"a quiet platform is a warning", func(s *bot.Status) { s.Slack.LastEvent = t0.Add(-time.Hour) }, "slack", bot.StatusWarn, "last event 1h ago", "--round-trip"},
		{"a pause is a warning", func(s *bot.Status) {
			s.Pauses = []bot.LanePause{{Lane: "discord:1", Until: t0.Add(30 * time.Second)}}
		}, "rate limits", bot.StatusWarn, "discord:1 for 30s", "resume by themselves"},
		{"SLA reminders piling up are a warning", func(s *bot.Status) { s.SLARemindersDue = 9 }, "sla", bot.StatusWarn, "9 SLA reminder(s)", "scheduler"},
		{"a watch source failing for minutes is a warning", func(s *bot.Status) {
			s.Watch.Failing = []bot.WatchFailure{{Source: "github", Since: t0.Add(-5 * time.Minute), Failures: 2, LastError: "api.github.com/search/issues answered 503 Service Unavailable"}}
		}, "watch github", bot.StatusWarn, "the watch cannot read GitHub since 2026-11-24 08:55 UTC (5m, 2 failed poll(s)): api.github.com/search/issues answered 503", "delayed, not lost"},
		{"a watch source failing past 30 minutes is bad, with what to set", func(s *bot.Status) {
			s.Watch.Failing = []bot.WatchFailure{{Source: "github", Since: t0.Add(-31 * time.Minute), Failures: 7, LastError: "api.github.com/search/issues answered 401 Unauthorized"}}
		}, "watch github", bot.StatusBad, "since 2026-11-24 08:29 UTC (31m, 7 failed poll(s))", "GITHUB_TOKEN"},
		{"a reported outage is bad", func(s *bot.Status) {
			s.Watch.Failing = []bot.WatchFailure{{Source: "feeds:tech-news", Since: t0.Add(-10 * time.Minute), Failures: 3, LastError: "news.example.com/rss answered 404 Not Found", Reported: true}}
		}, "watch feeds:tech-news", bot.StatusBad, "the watch cannot read the feed tech-news since", "(watch.feeds, the one named tech-news, in liaison.yaml)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthy()
			tt.change(&s)
			for _, l := range s.Lines() {
				if l.Check != tt.check {
					if l.State != bot.StatusOK {
						t.Errorf("%s: %s %q, want ok", l.Check, l.State, l.Text)
					}
					continue
				}
				if l.State != tt.state || !strings.Contains(l.Text, tt.text) || !strings.Contains(l.Fix, tt.fix) {
					t.Errorf("%s = %s %q → %q; want %s with %q → %q", l.Check, l.State, l.Text, l.Fix, tt.state, tt.text, tt.fix)
				}
			}
		})
	}
}

func TestTheWatchLinesSayWhatToSetForEachSource(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		source string
		text   string
		fix    []string
	}{
		{"github", "GitHub", []string{"GITHUB_TOKEN", "watch.limits.github"}},
		{"reddit", "Reddit", []string{"REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET", "watch.limits.reddit"}},
		{"reddit:r/acme", "Reddit (r/acme)", []string{"if r/acme went private or was banned, remove it from watch.reddit.subreddits"}},
		{"mastodon:fosstodon.org", "Mastodon (fosstodon.org)", []string{"if fosstodon.org requires a login, set MASTODON_ACCESS_TOKEN", "watch.mastodon.instances"}},
		{"stackexchange", "Stack Exchange", []string{"STACKEXCHANGE_KEY"}},
		{"hn", "Hacker News", []string{"https://hn.algolia.com"}},
		{"feeds:blog", "the feed blog", []string{"the one named blog"}},
	} {
		s := bot.Status{Now: t0, StartedAt: t0, Watch: &bot.WatchStatus{Sources: []string{"feeds"},
			Failing: []bot.WatchFailure{{Source: tt.source, Since: t0.Add(-time.Hour), Failures: 12, LastError: "boom"}}}}
		found := false
		for _, l := range s.Lines() {
			if l.Check != "watch "+tt.source {
				continue
			}
			found = true
			if l.State != bot.StatusBad || !strings.Contains(l.Text, "cannot read "+tt.text+" since") {
				t.Errorf("%s: %s %q, want bad naming %q", tt.source, l.State, l.Text, tt.text)
			}
			for _, f := range append(tt.fix, "liaison doctor --only watch") {
				if !strings.Contains(l.Fix, f) {
					t.Errorf("%s: fix %q lacks %q", tt.source, l.Fix, f)
				}
			}
		}
		if !found {
			t.Errorf("no line for the failing %s in %+v", tt.source, s.Lines())
		}
	}

	// No watch: no line; a watch with nothing failing: one ok line.
	for _, l := range (&bot.Status{Now: t0, StartedAt: t0}).Lines() {
		if strings.HasPrefix(l.Check, "watch") {
			t.Errorf("a status without the watch has the line %+v", l)
		}
	}
	s := bot.Status{Now: t0, StartedAt: t0, Watch: &bot.WatchStatus{Sources: []string{"feeds", "hn"}}}
	lines := s.Lines()
	if l := lines[len(lines)-1]; l.Check != "watch" || l.State != bot.StatusOK || l.Text != "the watch reads feeds, hn: no source failing" {
		t.Errorf("the last line of a healthy watch = %+v", l)
	}
}
