package jobs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DispatcherMetrics are the dispatcher's Prometheus counters. The lanes'
// gauges come from Dispatcher.Collector.
type DispatcherMetrics struct {
	Sends   *prometheus.CounterVec   // liaison_outbox_sends_total{platform,lane,outcome}
	Latency *prometheus.HistogramVec // liaison_outbox_send_seconds{platform}
}

// NewDispatcherMetrics creates the dispatcher's series and registers them.
// A lane is a platform and a channel (bot.Lane), so the number of series
// stays bounded by the channels Liaison writes in.
func NewDispatcherMetrics(reg prometheus.Registerer) *DispatcherMetrics {
	m := &DispatcherMetrics{
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "liaison_outbox_sends_total",
			Help: "Outbox send attempts by platform, lane (\"\" for a message without one) and outcome (sent, retry, rate_limited, dead).",
		}, []string{"platform", "lane", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "liaison_outbox_send_seconds",
			Help:    "Time a platform took to answer an outbox send.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"platform"}),
	}
	reg.MustRegister(m.Sends, m.Latency)
	return m
}

// Pause reasons, as liaison_outbox_lane_paused_seconds labels them.
const (
	PausedRateLimited = "rate_limited" // the platform said wait (Retry-After), this replica or another heard it
	PausedPaced       = "paced"        // the lane spent its tokens (Dispatcher.Pace)
)

var (
	laneMessagesDesc = prometheus.NewDesc("liaison_outbox_lane_messages",
		"Outbox messages not sent yet (pending or being sent), by lane.", []string{"lane"}, nil)
	laneAgeDesc = prometheus.NewDesc("liaison_outbox_lane_backlog_age_seconds",
		"How long the oldest message not sent yet of a lane has waited.", []string{"lane"}, nil)
	lanePausedDesc = prometheus.NewDesc("liaison_outbox_lane_paused_seconds",
		"How long a lane with messages waiting sends nothing more, by why (rate_limited: the platform's Retry-After; paced: out of tokens).",
		[]string{"lane", "reason"}, nil)
)

// Collector returns the per-lane gauges: each lane's messages not sent
// yet, the age of its oldest, and, while it may not send, how long and
// why. The backlog is read from the store at each scrape, so it covers
// every replica's lanes; pacing is this replica's.
func (d *Dispatcher) Collector() prometheus.Collector { return laneCollector{d} }

type laneCollector struct{ d *Dispatcher }

func (c laneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- laneMessagesDesc
	ch <- laneAgeDesc
	ch <- lanePausedDesc
}

func (c laneCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := d.Clock.Now()
	backlog, err := d.Store.OutboxLanes(ctx, now)
	if err != nil {
		for _, desc := range []*prometheus.Desc{laneMessagesDesc, laneAgeDesc, lanePausedDesc} {
			ch <- prometheus.NewInvalidMetric(desc, err)
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, b := range backlog {
		ch <- prometheus.MustNewConstMetric(laneMessagesDesc, prometheus.GaugeValue, float64(b.Messages), b.Lane)
		ch <- prometheus.MustNewConstMetric(laneAgeDesc, prometheus.GaugeValue, max(now.Sub(b.Oldest), 0).Seconds(), b.Lane)
		until, reason := b.PausedUntil, PausedRateLimited
		if l := d.lanes[b.Lane]; l != nil && !l.busy {
			switch {
			case l.pausedUntil.After(until):
				until = l.pausedUntil
			case !until.After(now) && l.rate.Every > 0:
				until, reason = l.ready(now), PausedPaced
			}
		}
		if until.After(now) {
			ch <- prometheus.MustNewConstMetric(lanePausedDesc, prometheus.GaugeValue, until.Sub(now).Seconds(), b.Lane, reason)
		}
	}
}
