package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/bot/watchsrc"
)

// The watch group: what liaison run's poller would ask of the open web.
// For each source the queries name: the credentials it reads from the
// environment, then one real request per part of it that fails on its own
// (a feed, a Mastodon instance, a subreddit; else the source) with the
// sources' own code, as the poller makes it; and last, the health liaison
// run recorded for its polls. The requests change nothing: no cursor is
// saved, nothing is posted.

// watchGroup checks the watch: section. It runs with the other groups when
// liaison.yaml has one, and alone when named by --only.
func (d *doctor) watchGroup(ctx context.Context) group {
	g := group{Name: "Watch"}
	if d.cfg == nil {
		d.configMissing(&g, "watch.config")
		return g
	}
	wc := d.cfg.Watch
	switch {
	case !wc.Enabled:
		g.info("watch.config", "watch", "liaison.yaml has no watch: section: nothing on the web is watched")
		return g
	case len(wc.Queries) == 0:
		g.warn("watch.config", "watch", "the watch: section has no query: nothing is polled",
			`add one under watch.queries, like {name: brand, query: '"Acme Cloud" OR acmecloud', route: marketing}`)
		return g
	}
	o := watchOptions(wc, bot.SystemClock{})
	o.Logger = slog.New(slog.DiscardHandler)
	if d.env.Watch != nil {
		o.FromEnv(d.env.Watch)
	}
	sources := watchedSources(wc)
	var names []string
	for _, q := range wc.Queries {
		names = append(names, q.Name)
	}
	g.ok("watch.config", "watch", fmt.Sprintf("%d query(ies) (%s) on %s, polled every %s, as %q",
		len(wc.Queries), strings.Join(names, ", "), strings.Join(sources, ", "), bot.FormatDuration(o.PollEvery), o.UserAgent))
	if err := o.Validate(); err != nil {
		for _, e := range strings.Split(err.Error(), "\n") {
			g.fail("watch.options", "watch settings", e+": liaison run refuses to start", "correct it as said (liaison.yaml or the environment)")
		}
		return g
	}
	searches := map[string][]watch.Search{}
	for _, q := range wc.Queries {
		if q.Query == nil {
			continue
		}
		for _, s := range q.Query.Searches() {
			for _, src := range q.Sources {
				searches[src] = append(searches[src], s)
			}
		}
	}
	for _, src := range sources {
		d.watchCredentials(&g, wc, o, src)
		d.watchSource(ctx, &g, wc, o, src, searches[src])
	}
	d.watchPolls(ctx, &g, wc, sources)
	return g
}

// watchCredentials is the row of a source that reads credentials: set
// (masked), or what it costs to go without.
func (d *doctor) watchCredentials(g *group, wc config.Watch, o watchsrc.Options, src string) {
	id, title := "watch.credentials."+src, bot.WatchSourceName(src)
	switch src {
	case watch.SourceGitHub:
		if o.GitHubToken == "" {
			g.warn(id, title, "GITHUB_TOKEN is not set: GitHub allows 10 searches a minute without it, and discussions are not searched",
				"set GITHUB_TOKEN to a GitHub token (a fine-grained token without any permission is enough to search public issues and discussions)")
			return
		}
		g.ok(id, title, "GITHUB_TOKEN "+mask(o.GitHubToken)+": 30 searches a minute, issues, pull requests and discussions")
	case watch.SourceReddit:
		if o.RedditClientID == "" {
			g.warn(id, title, "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET are not set: Reddit is read anonymously, 10 requests a minute, and Reddit refuses anonymous requests from many servers' addresses",
				`create a "script" app at https://www.reddit.com/prefs/apps and set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET`)
			return
		}
		g.ok(id, title, "REDDIT_CLIENT_ID "+mask(o.RedditClientID)+": Reddit through OAuth, 100 requests a minute")
	case watch.SourceMastodon:
		if o.MastodonAccessToken != "" {
			g.ok(id, title, "MASTODON_ACCESS_TOKEN "+mask(o.MastodonAccessToken)+": full-text search and hashtags")
			return
		}
		words := mastodonWords(wc, src)
		if len(words) == 0 {
			g.ok(id, title, "no MASTODON_ACCESS_TOKEN: hashtags are followed, which is all the queries ask of Mastodon")
			return
		}
		g.warn(id, title, fmt.Sprintf("MASTODON_ACCESS_TOKEN is not set: only hashtags are followed on Mastodon, the words of %s are not searched", strings.Join(words, ", ")),
			"set MASTODON_ACCESS_TOKEN (an access token, read scope, of an account on each instance in watch.mastodon.instances)")
	case watch.SourceStackExchange:
		if o.StackExchangeKey != "" {
			g.ok(id, title, "STACKEXCHANGE_KEY "+mask(o.StackExchangeKey)+": 10,000 requests a day")
			return
		}
		g.ok(id, title, "no STACKEXCHANGE_KEY: 300 requests a day; Liaison polls less often when the searches need more (STACKEXCHANGE_KEY raises it to 10,000)")
	}
}

// mastodonWords names the queries that search src for words (not only
// hashtags).
func mastodonWords(wc config.Watch, src string) []string {
	var out []string
	for _, q := range wc.Queries {
		if q.Query == nil || !slices.Contains(q.Sources, src) {
			continue
		}
		for _, s := range q.Query.Searches() {
			if len(s.Terms)+len(s.Phrases) > 0 {
				out = append(out, q.Name)
				break
			}
		}
	}
	return out
}

// watchSource asks each part of src once, with the searches the queries
// give it.
func (d *doctor) watchSource(ctx context.Context, g *group, wc config.Watch, o watchsrc.Options, src string, searches []watch.Search) {
	srcs, _, err := watchsrc.NewSources(o)
	if err != nil {
		g.fail("watch.source."+src, bot.WatchSourceName(src), err.Error(), "correct it as said")
		return
	}
	var targets []watchsrc.Target
	for _, s := range srcs {
		if s.ID() == src {
			targets = s.Targets(searches)
		}
	}
	if len(targets) == 0 {
		if src == watch.SourceMastodon && o.MastodonAccessToken == "" && mastodonWords(wc, src) != nil {
			return // its credentials row said why: the words need MASTODON_ACCESS_TOKEN
		}
		why := "the queries give it no word to search for"
		switch src {
		case watch.SourceFeeds:
			why = "watch.feeds lists no feed"
		case watch.SourceMastodon:
			why = "the queries have no hashtag, and searching words needs MASTODON_ACCESS_TOKEN"
		}
		g.warn("watch.source."+src, bot.WatchSourceName(src), "named by the queries, but nothing is asked of it: "+why,
			"remove "+src+" from the queries' sources:, or give it something to ask (see liaison.example.yaml)")
		return
	}
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.Health] {
			continue // one request per part that fails on its own
		}
		seen[t.Health] = true
		// Each part gets sources of its own, so one host's backoff does
		// not defer the next part's request.
		fresh, _, err := watchsrc.NewSources(o)
		if err != nil {
			continue // NewSources succeeded above with the same options
		}
		for _, s := range fresh {
			if s.ID() == src {
				d.watchFetch(ctx, g, o, s, t)
			}
		}
	}
}

// watchFetch makes one request of t, as the poller would, and reports it.
func (d *doctor) watchFetch(ctx context.Context, g *group, o watchsrc.Options, s watchsrc.Source, t watchsrc.Target) {
	id, title := "watch.source."+t.Health, bot.WatchSourceName(t.Health)
	fctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	items, _, err := s.Fetch(fctx, t, watchsrc.Cursor{})
	if err == nil {
		g.ok(id, title, fmt.Sprintf("%s answered: %d item(s) from the last 24 hours", t.Label, len(items)))
		return
	}
	msg := cut(err.Error(), 300) // the sources' errors name the source and the request
	fix := bot.WatchFix(t.Health)
	var se *watchsrc.StatusError
	var de *watchsrc.DeferredError
	var ne net.Error // refused, timed out, no such host
	switch {
	case errors.As(err, &se) && (se.Status == 429 || se.Status >= 500):
		g.warn(id, title, msg+": the source is down or limiting requests now; liaison run keeps trying", fix)
	case errors.As(err, &de), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		g.warn(id, title, msg+": no answer now; liaison run keeps trying", "check that this machine reaches the source (a proxy, a firewall); "+fix)
	default: // refused credentials, a feed gone or not a feed, an answer not as documented
		g.fail(id, title, msg, fix)
	}
}

// watchPolls reports the health liaison run recorded for its polls: the
// sources failing now, as /liaison status shows them.
func (d *doctor) watchPolls(ctx context.Context, g *group, wc config.Watch, sources []string) {
	const id, title = "watch.polls", "liaison run's polls"
	if path, isSQLite, err := store.SQLiteFile(d.env.DatabaseURL); err != nil {
		g.info(id, title, "not read: "+err.Error()+" (see liaison doctor --only database)")
		return
	} else if _, serr := os.Stat(path); isSQLite && errors.Is(serr, fs.ErrNotExist) {
		g.info(id, title, "there is no database yet: liaison run has not polled")
		return
	}
	octx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	db, err := store.Open(octx, d.env.DatabaseURL, store.Options{MaxOpenConns: 1})
	if err != nil {
		g.info(id, title, "not read: the database cannot be opened (see liaison doctor --only database)")
		return
	}
	defer db.Close()
	healths, err := db.WatchHealths(octx)
	if err != nil {
		g.info(id, title, "not read: "+err.Error()+" (see liaison doctor --only database)")
		return
	}
	now := time.Now()
	failing := 0
	for _, h := range healths {
		if !h.Failing() || !watchUnitConfigured(wc, sources, h.Source) {
			continue
		}
		failing++
		age := now.Sub(*h.FailingSince)
		msg := fmt.Sprintf("%s fails since %s (%s, %d failed poll(s)): %s", bot.WatchSourceName(h.Source),
			h.FailingSince.UTC().Format("2006-01-02 15:04 MST"), bot.FormatDuration(age.Round(time.Minute)), h.Failures, h.LastError)
		if age < bot.StatusWatchFailing && !h.Notified {
			g.warn(id+"."+h.Source, title, msg, "mentions are delayed, not lost, and each poll tries again: if it lasts, "+bot.WatchFix(h.Source))
			continue
		}
		g.fail(id+"."+h.Source, title, msg, bot.WatchFix(h.Source))
	}
	if failing == 0 {
		g.ok(id, title, "no source failing, as recorded in the database")
	}
}

// cut shortens s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
