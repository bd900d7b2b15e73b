package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/bot/watchsrc"
	"github.com/liaison-bot/liaison/jobs"
)

// watchPoller builds the job that polls the watch's sources and hands what
// they fetch to sink (the Watch capability's Ingest). It returns false when
// the file has no watch: section or no query, so nothing polls the web
// unless asked. getenv reads LIAISON_WATCH_<SOURCE>_URL and the sources'
// credentials.
func watchPoller(db *store.DB, cfg *config.Config, clock bot.Clock, getenv func(string) string, sink watch.Sink, logger *slog.Logger) (jobs.Job, bool, error) {
	wc := cfg.Watch
	if !wc.Enabled || len(wc.Queries) == 0 {
		return jobs.Job{}, false, nil
	}
	o := watchOptions(wc, clock)
	o.Logger = logger.With("job", watchsrc.JobName)
	if getenv != nil {
		o.FromEnv(getenv)
	}
	if wc.Alerts.ID != "" {
		// A source failing for half an hour, and its recovery, are said once
		// each in the watch's channel, in the transaction that records them.
		o.Report = func(ctx context.Context, tx *store.Tx, source, text string) error {
			now := clock.Now()
			_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{
				Key:      fmt.Sprintf("watch:health:%s:%d", source, now.UnixNano()),
				Platform: bot.PlatformSlack, Kind: bot.KindPost,
				Payload: bot.Payload(bot.Post{ChannelID: wc.Alerts.ID, Text: text}),
			})
			return err
		}
	}
	p, err := watchsrc.NewPoller(db, o, sink)
	if err != nil {
		return jobs.Job{}, false, fmt.Errorf("watch: %w", err)
	}
	var watched []watchsrc.Watched
	for _, q := range wc.Queries {
		if q.Query == nil {
			continue
		}
		for _, s := range q.Query.Searches() {
			watched = append(watched, watchsrc.Watched{Search: s, Sources: q.Sources})
		}
	}
	p.SetSearches(watched)
	return p.Job(), true, nil
}

// watchOptions turns the watch: section into the sources' options.
func watchOptions(wc config.Watch, clock bot.Clock) watchsrc.Options {
	o := watchsrc.Options{
		UserAgent:          wc.UserAgent,
		PollEvery:          wc.PollEvery,
		MastodonInstances:  wc.Mastodon.Instances,
		Subreddits:         wc.Reddit.Subreddits,
		StackExchangeSites: wc.StackExchange.Sites,
		Clock:              clock,
	}
	for _, f := range wc.Feeds {
		o.Feeds = append(o.Feeds, watchsrc.Feed{Name: f.Name, URL: f.URL})
	}
	if len(wc.Limits) > 0 {
		o.Rates = map[string]watchsrc.Rate{}
		for src, perMinute := range wc.Limits {
			o.Rates[src] = watchsrc.Rate{N: perMinute, Per: time.Minute}
		}
	}
	return o
}
