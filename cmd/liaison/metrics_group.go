package main

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-bot/liaison/bot/store"
)

// groupMetrics describe the store's group commit (store.GroupOptions):
// how many transactions each commit carried, and how long a group took
// from its first statement to its callers' answers. The size histogram's
// _count is the number of commits, its _sum the transactions committed.
//
// Both are observed, and collected, under one lock: a scrape taken while
// a group commits counts it in both or in neither, so the two _count
// series always agree.
type groupMetrics struct {
	mu            sync.Mutex
	size, seconds prometheus.Histogram
}

func newGroupMetrics() *groupMetrics {
	return &groupMetrics{
		size: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "liaison_group_commit_size",
			Help:    "Transactions (requests, events, jobs) committed together in one database commit; _count is the commits.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "liaison_group_commit_seconds",
			Help:    "Time one group commit took, from its first statement until its transactions' callers had their answers.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}),
	}
}

// observe is store.GroupOptions.Observe.
func (m *groupMetrics) observe(size int, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.size.Observe(float64(size))
	m.seconds.Observe(took.Seconds())
}

// Describe is prometheus.Collector's: the two histograms.
func (m *groupMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.size.Describe(ch)
	m.seconds.Describe(ch)
}

// Collect is prometheus.Collector's: the two histograms as of one moment.
func (m *groupMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.size.Collect(ch)
	m.seconds.Collect(ch)
}

// register registers the histograms, and the counts db keeps of its
// groups that ran again and of those written as one statement.
func (m *groupMetrics) register(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(m,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "liaison_group_commit_reruns_total",
			Help: "Group commits run a second time, each transaction in its own savepoint, because one of them failed or repeated an event already recorded.",
		}, func() float64 { return float64(db.GroupReruns()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "liaison_group_commit_single_statement_total",
			Help: "Group commits written as one statement, without BEGIN or COMMIT: feedback intake that needed nothing else (Postgres).",
		}, func() float64 { return float64(db.GroupsAlone()) }))
}
