package watchsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/watch"
)

// Feed is one configured RSS/Atom feed the feeds source reads.
type Feed struct {
	Name string // short name from `watch.feeds[].name`, shown on each item
	URL  string
}

// Options configure the sources and the Poller. The lead wires them from
// `watch:` in liaison.yaml and the environment (FromEnv). Zero values get
// the defaults documented on each field.
type Options struct {
	// UserAgent is sent with every request. It must name the bot and carry a
	// contact URL ("Liaison (+https://acme.example/community-bot)"): Reddit
	// answers blank or generic agents with 429, and every API asks for one.
	UserAgent string
	// Feeds are the RSS/Atom feeds the feeds source reads.
	Feeds []Feed
	// PollEvery is the wanted time between two polls of one source; a
	// source whose rate limit cannot afford it polls less often. Default 5m.
	PollEvery time.Duration
	// BaseURLs overrides a source's base URL, by source id (from
	// LIAISON_WATCH_<SOURCE>_URL): for tests and proxies. For feeds, the
	// override replaces each feed's scheme and host: https://news.example.com/rss
	// is fetched at OVERRIDE/news.example.com/rss. For mastodon, every
	// instance is reached at the override.
	BaseURLs map[string]string
	// Rates lowers a source's request budget, by source id. A rate above
	// the source's own limit is ignored (configuration may only go down).
	Rates map[string]Rate
	// Credentials, from the environment (FromEnv).
	RedditClientID      string
	RedditClientSecret  string
	StackExchangeKey    string
	GitHubToken         string
	MastodonAccessToken string
	// MastodonInstances are the instances searched ("mastodon.social" or a
	// URL). Default: mastodon.social.
	MastodonInstances []string
	// Subreddits are read whole (/r/X/new), besides the site-wide search.
	Subreddits []string
	// StackExchangeSites are searched ("stackoverflow", "serverfault").
	// Default: stackoverflow.
	StackExchangeSites []string
	// Parallel is how many sources are polled at once, so that a slow or
	// hanging source does not hold the others back. Default 4.
	Parallel int
	// HTTPClient carries the requests; default a client with a 30s timeout.
	HTTPClient *http.Client
	// Clock tells the time; default the system clock.
	Clock bot.Clock
	// Logger gets one line per problem; default slog.Default().
	Logger *slog.Logger
	// Backfill is how far back a new cursor (a new query or feed) starts.
	// Default 24h.
	Backfill time.Duration
	// ReportAfter is how long a source fails before Report is called.
	// Default 30m.
	ReportAfter time.Duration
	// Report says something about a source's health in the watch's Slack
	// channel: called once when a source has been failing for ReportAfter
	// and once when it recovers, inside the transaction that records the
	// change (the lead writes an outbox row with tx). Nil: health is only
	// logged and stored.
	Report func(ctx context.Context, tx *store.Tx, source, text string) error
}

// EnvBaseURL is the variable overriding a source's base URL.
func EnvBaseURL(source string) string {
	return "LIAISON_WATCH_" + strings.ToUpper(source) + "_URL"
}

// FromEnv fills base URL overrides (LIAISON_WATCH_<SOURCE>_URL) and
// credentials (REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, STACKEXCHANGE_KEY,
// GITHUB_TOKEN, MASTODON_ACCESS_TOKEN) from getenv (os.Getenv), keeping what
// is already set.
func (o *Options) FromEnv(getenv func(string) string) {
	for _, s := range watch.Sources {
		if v := strings.TrimSpace(getenv(EnvBaseURL(s))); v != "" {
			if o.BaseURLs == nil {
				o.BaseURLs = map[string]string{}
			}
			if o.BaseURLs[s] == "" {
				o.BaseURLs[s] = v
			}
		}
	}
	set := func(p *string, name string) {
		if *p == "" {
			*p = strings.TrimSpace(getenv(name))
		}
	}
	set(&o.RedditClientID, "REDDIT_CLIENT_ID")
	set(&o.RedditClientSecret, "REDDIT_CLIENT_SECRET")
	set(&o.StackExchangeKey, "STACKEXCHANGE_KEY")
	set(&o.GitHubToken, "GITHUB_TOKEN")
	set(&o.MastodonAccessToken, "MASTODON_ACCESS_TOKEN")
}

var contactURL = regexp.MustCompile(`https?://[^\s)]+`)

// Validate reports what is wrong with o, written for the operator.
func (o *Options) Validate() error {
	var errs []error
	if strings.TrimSpace(o.UserAgent) == "" || !contactURL.MatchString(o.UserAgent) {
		errs = append(errs, fmt.Errorf("watch.user_agent %q must name the bot and carry a contact URL, like \"Liaison (+https://acme.example/community-bot)\": sources refuse anonymous clients", o.UserAgent))
	}
	for s, u := range o.BaseURLs {
		if err := checkBase(u); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvBaseURL(s), err))
		}
	}
	names := map[string]bool{}
	for _, f := range o.Feeds {
		if names[f.Name] {
			errs = append(errs, fmt.Errorf("watch.feeds: the name %q is used twice", f.Name))
		}
		names[f.Name] = true
		u, err := url.Parse(f.URL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("watch.feeds %s: %q is not an http(s) URL", f.Name, redactURL(f.URL)))
		case u.User != nil:
			errs = append(errs, fmt.Errorf("watch.feeds %s: %w", f.Name, ErrCredentialsInURL))
		}
	}
	if (o.RedditClientID == "") != (o.RedditClientSecret == "") {
		errs = append(errs, errors.New("set both REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET, or neither (anonymous Reddit)"))
	}
	return errors.Join(errs...)
}

func checkBase(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", redactURL(raw))
	}
	if u.User != nil {
		return ErrCredentialsInURL
	}
	return nil
}

func (o *Options) withDefaults() Options {
	c := *o
	if c.PollEvery <= 0 {
		c.PollEvery = 5 * time.Minute
	}
	if c.Clock == nil {
		c.Clock = bot.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Backfill <= 0 {
		c.Backfill = 24 * time.Hour
	}
	if c.ReportAfter <= 0 {
		c.ReportAfter = 30 * time.Minute
	}
	if c.Parallel <= 0 {
		c.Parallel = 4
	}
	if len(c.MastodonInstances) == 0 {
		c.MastodonInstances = []string{"mastodon.social"}
	}
	if len(c.StackExchangeSites) == 0 {
		c.StackExchangeSites = []string{"stackoverflow"}
	}
	return c
}

// base returns the source's base URL: the override or def, without a
// trailing slash.
func (o *Options) base(source, def string) string {
	if v := o.BaseURLs[source]; v != "" {
		return strings.TrimRight(v, "/")
	}
	return def
}

// rate returns the source's budget: def, lowered by Options.Rates. A
// configured rate above def is ignored, and said so in the log.
func (o *Options) rate(source string, def Rate) Rate {
	want, ok := o.Rates[source]
	got := def.lower(want)
	if ok && got == def && want != def && o.Logger != nil {
		o.Logger.Warn("watch: a configured rate limit is above what the source allows; using the source's",
			"source", source, "configured", want.String(), "using", def.String())
	}
	return got
}

// NewSources builds every source from o, sharing one Client. Each source's
// rate limit is set on the hosts it asks.
func NewSources(o Options) ([]Source, *Client, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	o = o.withDefaults()
	for src := range o.Rates {
		if !slices.Contains(watch.Sources, src) {
			o.Logger.Warn("watch: a rate limit names an unknown source; ignored", "source", src, "sources", strings.Join(watch.Sources, ", "))
		}
	}
	c := NewClient(o.HTTPClient, o.UserAgent, o.Clock, o.Logger, o.rate(watch.SourceFeeds, Rate{N: 6, Per: time.Minute}))
	srcs := []Source{
		newFeeds(c, o),
		newHN(c, o),
		newReddit(c, o),
		newMastodon(c, o),
		newStackExchange(c, o),
		newGitHub(c, o),
	}
	return srcs, c, nil
}

// hostOf returns the host of a base URL, as Client.Limit wants it.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}
