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
			Digests: []bot.DigestStatus{{Name: "weekly", LastSlot: t0.Add(-24 * time.Hour), LastStatus: "done", Next: t0.Add(6 * 24 * time.Hour)}}}
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
