package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-bot/liaison/bot"
)

// The service's own metrics, beyond the outbox's (jobs.DispatcherMetrics)
// and the inbound counter the adapters feed where they receive each
// event (liaison_inbound_events_total). deploy/grafana/liaison.json and
// deploy/prometheus/alerts.yml use them; a test checks that every metric
// those files name exists.

// instrumented is the Router as the adapters see it: each call timed, by
// platform, kind (the event's type, command, action, submission) and
// outcome, in liaison_handler_seconds.
type instrumented struct {
	next    bot.Handler
	seconds *prometheus.HistogramVec
}

var _ bot.Handler = (*instrumented)(nil)

func newInstrumented(reg prometheus.Registerer, next bot.Handler) *instrumented {
	h := &instrumented{next: next, seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "liaison_handler_seconds",
		Help:    "Time the handlers took per inbound event, command, click or form, by platform, kind and outcome (ok, error).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
	}, []string{"platform", "kind", "outcome"})}
	reg.MustRegister(h.seconds)
	return h
}

func (h *instrumented) observe(platform, kind string, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	h.seconds.WithLabelValues(platform, kind, outcome).Observe(time.Since(start).Seconds())
}

// eventKind names an event by its type: "message", "reaction",
// "messagedeleted"…
func eventKind(ev bot.Event) string {
	return strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", ev), "*bot."))
}

func (h *instrumented) HandleEvent(ctx context.Context, ev bot.Event) error {
	start, platform := time.Now(), ""
	if w, ok := ev.(interface{ Where() bot.Place }); ok {
		platform = w.Where().Platform
	}
	err := h.next.HandleEvent(ctx, ev)
	h.observe(platform, eventKind(ev), start, err)
	return err
}

func (h *instrumented) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	start := time.Now()
	r, err := h.next.HandleCommand(ctx, c)
	h.observe(c.Platform, "command", start, err)
	return r, err
}

func (h *instrumented) HandleAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	start := time.Now()
	r, err := h.next.HandleAction(ctx, a)
	h.observe(a.Platform, "action", start, err)
	return r, err
}

func (h *instrumented) HandleSubmission(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	start := time.Now()
	r, err := h.next.HandleSubmission(ctx, s)
	h.observe(s.Platform, "submission", start, err)
	return r, err
}

// opsCollector reports, at scrape time, what the status shows and the
// alerts watch: the due backlog's age, dead messages, rate-limit pauses,
// the digests' last success and misses, and the Discord gateway.
type opsCollector struct{ a *App }

var (
	oldestDueDesc = prometheus.NewDesc("liaison_outbox_oldest_due_age_seconds",
		"How long the oldest outbox message that is due (not held by a pause or its parent) has waited; 0 when none is due.", nil, nil)
	dead24hDesc = prometheus.NewDesc("liaison_outbox_dead_last_24h",
		"Outbox messages given up in the last 24 hours (Retry dead in /liaison status sends them again).", nil, nil)
	pausedLanesDesc = prometheus.NewDesc("liaison_rate_limit_paused_lanes",
		"Outbox lanes a platform's rate limit (Retry-After) holds now, by platform.", []string{"platform"}, nil)
	digestSuccessDesc = prometheus.NewDesc("liaison_digest_last_success_timestamp_seconds",
		"When each digest was last posted (Unix time); absent until it first is.", []string{"digest"}, nil)
	digestMissedDesc = prometheus.NewDesc("liaison_digest_missed",
		"1 when a digest's last slot passed more than 10 minutes ago without being posted or skipped.", []string{"digest"}, nil)
	gatewayUpDesc = prometheus.NewDesc("liaison_discord_gateway_connected",
		"1 when this replica runs the Discord gateway and its session is connected, 0 when it runs it disconnected; absent on replicas that do not run it.", nil, nil)
	gatewayReconnectsDesc = prometheus.NewDesc("liaison_discord_gateway_reconnects_total",
		"Gateway connections this process opened after its first.", nil, nil)
	gatewayResumesDesc = prometheus.NewDesc("liaison_discord_gateway_resumes_total",
		"Gateway sessions Discord resumed for this process.", nil, nil)
	gatewayLastEventDesc = prometheus.NewDesc("liaison_discord_gateway_last_event_timestamp_seconds",
		"When this process last received a gateway event (Unix time).", nil, nil)
)

func (c opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{oldestDueDesc, dead24hDesc, pausedLanesDesc, digestSuccessDesc, digestMissedDesc,
		gatewayUpDesc, gatewayReconnectsDesc, gatewayResumesDesc, gatewayLastEventDesc} {
		ch <- d
	}
}

func (c opsCollector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := a.Clock.Now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if t, ok, err := a.DB.OldestDue(ctx, now); err != nil {
		ch <- prometheus.NewInvalidMetric(oldestDueDesc, err)
	} else if ok {
		gauge(oldestDueDesc, max(now.Sub(t), 0).Seconds())
	} else {
		gauge(oldestDueDesc, 0)
	}
	if n, err := a.DB.DeadSince(ctx, now.Add(-24*time.Hour)); err != nil {
		ch <- prometheus.NewInvalidMetric(dead24hDesc, err)
	} else {
		gauge(dead24hDesc, float64(n))
	}
	if lanes, err := a.DB.OutboxLanes(ctx, now); err != nil {
		ch <- prometheus.NewInvalidMetric(pausedLanesDesc, err)
	} else {
		paused := map[string]int{bot.PlatformSlack: 0, bot.PlatformDiscord: 0}
		for _, l := range lanes {
			if l.PausedUntil.After(now) {
				platform, _, _ := strings.Cut(l.Lane, ":")
				platform, _, _ = strings.Cut(platform, "/")
				paused[platform]++
			}
		}
		for p, n := range paused {
			gauge(pausedLanesDesc, float64(n), p)
		}
	}
	for _, d := range a.Config.Digests {
		ds, err := digestStatus(ctx, a.DB, d.Name, d.Schedule, now)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(digestSuccessDesc, err)
			continue
		}
		if !ds.LastPostedAt.IsZero() {
			gauge(digestSuccessDesc, float64(ds.LastPostedAt.Unix()), d.Name)
		}
		missed := 0.0
		if ds.Missed {
			missed = 1
		}
		gauge(digestMissedDesc, missed, d.Name)
	}
	if a.Discord != nil {
		g := a.Discord.Gateway()
		if g.Running {
			up := 0.0
			if g.Connected {
				up = 1
			}
			gauge(gatewayUpDesc, up)
		}
		ch <- prometheus.MustNewConstMetric(gatewayReconnectsDesc, prometheus.CounterValue, float64(g.Reconnects))
		ch <- prometheus.MustNewConstMetric(gatewayResumesDesc, prometheus.CounterValue, float64(g.Resumes))
		if !g.LastEvent.IsZero() {
			gauge(gatewayLastEventDesc, float64(g.LastEvent.Unix()))
		}
	}
}
