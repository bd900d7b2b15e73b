package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/liaison-bot/liaison/bot/store"
)

// maxBody caps every request body; Slack and Discord payloads are far smaller.
const maxBody = 1 << 20

func newServer(logger *slog.Logger, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           limitBody(maxBody, h),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// readiness answers /readyz: the database answers, its migrations are all
// applied, and the process is not shutting down.
type readiness struct {
	db       *store.DB
	stopping atomic.Bool
}

func (r *readiness) check(ctx context.Context) error {
	if r.stopping.Load() {
		return errors.New("shutting down")
	}
	return r.db.Ready(ctx)
}

func routes(ready *readiness, reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ready.check(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}

// limitBody refuses bodies over n bytes with 413: at once when the request
// declares its length, and for chunked bodies through http.MaxBytesReader
// (a handler that reads past n gets an *http.MaxBytesError and must answer
// 413 itself).
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			http.Error(w, fmt.Sprintf("request body too large: at most %d bytes", n), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// outboxCollector reports, at scrape time, the outbox messages not sent
// yet or given up, by state. Sent ones are liaison_outbox_sends_total's.
type outboxCollector struct {
	db   *store.DB
	desc *prometheus.Desc
}

func newOutboxCollector(db *store.DB) *outboxCollector {
	return &outboxCollector{db: db, desc: prometheus.NewDesc("liaison_outbox_messages",
		"Outbox messages not sent, by state (pending, sending, dead); sent ones are counted by liaison_outbox_sends_total.", []string{"state"}, nil)}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depth, err := c.db.OutboxBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range depth {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}
