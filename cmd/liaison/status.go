package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

// The admin listener (LIAISON_ADMIN_ADDR, default 127.0.0.1:9090; "off"
// turns it off) serves what only the operator may reach: GET /status and
// POST /admin/round-trip. It is never the public listener that takes the
// platforms' webhooks: it has no authentication of its own, and is meant
// for localhost or a private network.

// gatewayLease is the lease of the one replica connected to Discord's
// gateway.
const gatewayLease = "discord-gateway"

// adminRoutes are the admin listener's.
func (a *App) adminRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		st, err := a.Status(ctx)
		if err != nil {
			a.Logger.Error("status", "err", err)
			http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, statusDoc{Status: st, Checks: st.Lines()})
	})
	a.roundTripRoute(mux)
	return mux
}

// statusDoc is GET /status's answer: the facts, and the same lines as
// `/liaison status` shows, each with its state and fix.
type statusDoc struct {
	bot.Status
	Checks []bot.StatusLine `json:"checks"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// Status gathers what this replica and the database know about the
// service: GET /status and `/liaison status`.
func (a *App) Status(ctx context.Context) (bot.Status, error) {
	now := a.Clock.Now()
	st := bot.Status{Version: versionString(), StartedAt: a.started, Now: now, Replica: a.Dispatcher.Owner}
	var errs []error
	try := func(err error) { errs = append(errs, err) }

	var err error
	st.Replicas, err = a.DB.Replicas(ctx, now.Add(-time.Minute))
	try(err)
	st.SchedulerLease, _, err = a.DB.LeaseHolder(ctx, jobs.LeaseName, now)
	try(err)
	if a.Slack != nil {
		c := a.Slack.Connection()
		p := &bot.PlatformStatus{Mode: "HTTP", Session: "listening for webhooks", LastEvent: c.LastEvent}
		if c.SocketMode {
			p.Mode, p.Session = "Socket Mode", "disconnected"
			if c.Connected {
				p.Session = "connected"
			}
		}
		st.Slack = p
	}
	if a.Discord != nil {
		st.GatewayLease, _, err = a.DB.LeaseHolder(ctx, gatewayLease, now)
		try(err)
		g := a.Discord.Gateway()
		p := &bot.PlatformStatus{Mode: "gateway", Session: "disconnected", LastEvent: g.LastEvent}
		if a.Env.DiscordPublicKey != "" {
			p.Mode = "gateway + HTTP interactions"
		}
		switch {
		case g.Connected:
			p.Session = "connected"
		case !g.Running && st.GatewayLease != "" && st.GatewayLease != st.Replica:
			p.Session = "held by another replica"
		}
		st.Discord = p
	}

	errs = append(errs, storedStatus(ctx, &st, a.DB, a.Config, a.capabilities.Feedback)...)
	if err := errors.Join(errs...); err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// storedStatus fills in st what the database says of the service, as of
// st.Now: the outbox (backlog per lane, the oldest due, dead messages,
// rate-limit pauses), the digests, the reminders due and the watch's
// failing sources. It returns the errors of the reads that failed.
func storedStatus(ctx context.Context, st *bot.Status, db *store.DB, cfg *config.Config, fb *handlers.Feedback) []error {
	now := st.Now
	var errs []error
	try := func(err error) { errs = append(errs, err) }
	lanes, err := db.OutboxLanes(ctx, now)
	try(err)
	st.Outbox.Lanes, st.Pauses = []bot.LaneStatus{}, []bot.LanePause{}
	for _, l := range lanes {
		st.Outbox.Lanes = append(st.Outbox.Lanes, bot.LaneStatus{Lane: l.Lane, Messages: l.Messages, Oldest: l.Oldest})
		if l.PausedUntil.After(now) {
			st.Pauses = append(st.Pauses, bot.LanePause{Lane: l.Lane, Until: l.PausedUntil})
		}
	}
	if t, ok, err := db.OldestDue(ctx, now); ok {
		st.Outbox.OldestDue = t
	} else {
		try(err)
	}
	st.Outbox.Dead24h, err = db.DeadSince(ctx, now.Add(-24*time.Hour))
	try(err)

	st.Digests = []bot.DigestStatus{}
	for _, d := range cfg.Digests {
		ds, err := digestStatus(ctx, db, d.Name, d.Schedule, now)
		try(err)
		st.Digests = append(st.Digests, ds)
	}
	st.SLARemindersDue, err = fb.RemindersDue(ctx, now)
	try(err)
	st.Watch, err = watchStatus(ctx, db, cfg.Watch)
	try(err)
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// digestStatus is a digest's last slot posted, the record of its newest
// slot, and whether the slot before now was missed: more than
// bot.StatusDigestMissed past and not recorded, once the digest has run
// before.
func digestStatus(ctx context.Context, db *store.DB, name string, sched bot.Schedule, now time.Time) (bot.DigestStatus, error) {
	ds := bot.DigestStatus{Name: name}
	runs, err := db.JobRuns(ctx, bot.DigestJob(name))
	if err != nil {
		return ds, err
	}
	for _, r := range runs {
		if r.Status == store.JobRunDone {
			ds.LastSlot = r.Slot
			if r.FinishedAt != nil {
				ds.LastPostedAt = r.FinishedAt.UTC()
			}
		}
	}
	if len(runs) > 0 {
		last := runs[len(runs)-1]
		if len(runs) > 1 || last.Status == store.JobRunDone {
			// The first record of a digest is the slot before Liaison
			// first ran it, skipped: not owed, so not reported.
			ds.LastStatus = last.Status
		}
		if sched != nil {
			if prev, ok := bot.PreviousRun(sched, now); ok && prev.After(last.Slot) && now.Sub(prev) > bot.StatusDigestMissed {
				ds.Missed = true
			}
		}
	}
	if sched != nil {
		ds.Next = sched.Next(now)
	}
	return ds, nil
}

// watchStatus is the watch's health: the sources its queries poll, and
// those whose last poll failed, from the health the poller keeps in the
// store. A failing part of a source liaison.yaml no longer names (a feed
// removed) is not shown: nothing polls it, so nothing would clear it. Nil
// when nothing is watched.
func watchStatus(ctx context.Context, db *store.DB, wc config.Watch) (*bot.WatchStatus, error) {
	if !wc.Enabled || len(wc.Queries) == 0 {
		return nil, nil
	}
	ws := &bot.WatchStatus{Sources: watchedSources(wc), Failing: []bot.WatchFailure{}}
	healths, err := db.WatchHealths(ctx)
	if err != nil {
		return ws, err
	}
	for _, h := range healths {
		if !h.Failing() || !watchUnitConfigured(wc, ws.Sources, h.Source) {
			continue
		}
		ws.Failing = append(ws.Failing, bot.WatchFailure{Source: h.Source, Since: h.FailingSince.UTC(), Failures: h.Failures,
			LastError: h.LastError, Reported: h.Notified})
	}
	slices.SortStableFunc(ws.Failing, func(x, y bot.WatchFailure) int { return x.Since.Compare(y.Since) })
	return ws, nil
}

// watchedSources are the source ids the queries of wc poll, in
// watch.Sources' order.
func watchedSources(wc config.Watch) []string {
	var out []string
	for _, s := range watch.Sources {
		for _, q := range wc.Queries {
			if slices.Contains(q.Sources, s) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// watchUnitConfigured reports whether a health unit ("github",
// "feeds:tech-news", "mastodon:mastodon.social", "reddit:r/golang") is one
// that wc still polls.
func watchUnitConfigured(wc config.Watch, sources []string, unit string) bool {
	src, part, _ := strings.Cut(unit, ":")
	if !slices.Contains(sources, src) {
		return false
	}
	if part == "" {
		return true
	}
	switch src {
	case watch.SourceFeeds:
		return slices.ContainsFunc(wc.Feeds, func(f config.WatchFeed) bool { return f.Name == part })
	case watch.SourceMastodon:
		instances := wc.Mastodon.Instances
		if len(instances) == 0 {
			instances = []string{"mastodon.social"} // the source's default
		}
		return slices.Contains(instances, part)
	case watch.SourceReddit:
		return slices.ContainsFunc(wc.Reddit.Subreddits, func(s string) bool { return "r/"+s == part })
	}
	return true
}
