package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/watch"
)

// Watch is the watch: section: what the open web says about the brand.
// Without the section, nothing is watched.
//
//	watch:
//	  user_agent: "Liaison (+https://acme.example/community-bot)"
//	  feeds: [{name: tech-news, url: "https://news.example.com/rss"}]
//	  queries:
//	    - {name: brand, query: '"Acme Cloud" OR acmecloud -jobs', sources: [feeds, hn, reddit], route: marketing}
//	  alerts: community
//	  on_call: [carol, dave]          # or {slack_group: S01ONCALL}, or {mon: [carol], tue-fri: [dave]}
//	  respond_within: 2h
//	  poll_every: 5m
type Watch struct {
	// Enabled is true when the file has a watch: section.
	Enabled bool
	// UserAgent is sent to every source: a name and a way to reach the
	// team (a URL or an address), so sites can say when Liaison misbehaves.
	UserAgent string
	// Feeds are the RSS/Atom feeds the feeds source reads.
	Feeds []WatchFeed
	// Queries are the named searches; each compiled once.
	Queries []WatchQuery
	// Alerts is the Slack channel for alerts (negative mentions and alert_on
	// words): the Slack channel named community unless set; zero when
	// neither exists (then no alert is raised).
	Alerts ChannelRef
	// OnCall says who is pinged by an alert.
	OnCall OnCall
	// RespondWithin is how long, in business hours, an alert may stay
	// unanswered before escalation; 2h unless set.
	RespondWithin time.Duration
	// PollEvery is how often each source is asked, within its rate limit;
	// 5m unless set.
	PollEvery time.Duration
	// Keep is how long mentions are kept; 180d unless set.
	Keep time.Duration
	// AlertOn are words that make a mention an alert whatever its
	// sentiment: scam, arnaque, down, outage unless set.
	AlertOn []string
	// Burst is how many alerts on one query in 15 minutes are posted one by
	// one; more collapse into one "spike" message. 5 unless set.
	Burst int
	// EscalateTo is where an alert unclaimed past RespondWithin goes:
	// feedback.escalate_to unless set.
	EscalateTo ChannelRef
	// Mastodon lists the instances the mastodon source asks.
	Mastodon WatchMastodon
	// Reddit lists subreddits whose new posts the reddit source reads.
	Reddit WatchReddit
	// StackExchange lists the Stack Exchange sites searched; [stackoverflow]
	// unless set.
	StackExchange WatchStackExchange
	// Limits lowers a source's request rate, in requests per minute (by
	// source id). A source never goes above its own documented limit.
	Limits map[string]int
}

// WatchFeed is one RSS or Atom feed.
type WatchFeed struct {
	Name string
	URL  string
}

// WatchQuery is one named query.
type WatchQuery struct {
	Name string
	// Text is the query as written; Query is it compiled.
	Text  string
	Query *watch.Query
	// Sources are the source ids asked; every source unless set.
	Sources []string
	// Route is the Slack channel its mentions are posted to.
	Route ChannelRef
	// Langs restricts mentions to these languages (ISO 639-1); any if empty.
	Langs []string
}

// OnCall is who an alert pings: People (all of them), a Slack user group,
// or a rota by weekday (Rota[time.Monday] …) read in business hours.
type OnCall struct {
	People     []string
	SlackGroup string
	Rota       map[time.Weekday][]string
}

// IsZero reports whether nobody is on call.
func (o OnCall) IsZero() bool {
	return len(o.People) == 0 && o.SlackGroup == "" && len(o.Rota) == 0
}

// WatchMastodon configures the mastodon source.
type WatchMastodon struct{ Instances []string }

// WatchReddit configures the reddit source.
type WatchReddit struct{ Subreddits []string }

// WatchStackExchange configures the stackexchange source.
type WatchStackExchange struct{ Sites []string }

// DefaultAlertOn are the words that raise an alert unless watch.alert_on
// says otherwise.
var DefaultAlertOn = []string{"scam", "arnaque", "down", "outage"}

func defaultWatch() Watch {
	return Watch{
		RespondWithin: 2 * time.Hour,
		PollEvery:     5 * time.Minute,
		Keep:          180 * 24 * time.Hour,
		AlertOn:       slices.Clone(DefaultAlertOn),
		Burst:         5,
		StackExchange: WatchStackExchange{Sites: []string{"stackoverflow"}},
	}
}

// Query returns the query named name.
func (w Watch) Query(name string) (WatchQuery, bool) {
	for _, q := range w.Queries {
		if q.Name == name {
			return q, true
		}
	}
	return WatchQuery{}, false
}

// Entries returns the queries as the matcher runs them.
func (w Watch) Entries() []watch.Entry {
	out := make([]watch.Entry, len(w.Queries))
	for i, q := range w.Queries {
		out[i] = watch.Entry{Name: q.Name, Query: q.Query, Sources: q.Sources, Langs: q.Langs}
	}
	return out
}

// OnDuty returns who an alert raised at t pings: the people of a rota's day
// when business hours are open at t, else those of the next open day; all
// the people of a plain list; or the Slack group's id. t is read in loc.
func (c *Config) OnDuty(t time.Time) (people []string, slackGroup string) {
	o := c.Watch.OnCall
	if len(o.Rota) == 0 {
		return o.People, o.SlackGroup
	}
	b := c.BusinessHours
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	cur := t.In(loc)
	if b.Open(cur) {
		return o.Rota[cur.Weekday()], ""
	}
	// Outside business hours: whoever is on duty when they next open.
	y, m, day := cur.Date()
	for i := range 400 {
		open := time.Date(y, m, day+i, int(b.From)/60, int(b.From)%60, 0, 0, loc)
		if open.Before(cur) {
			continue
		}
		if b.Open(open) {
			return o.Rota[open.Weekday()], ""
		}
	}
	return o.Rota[cur.Weekday()], ""
}

func (d *decoder) watchSection(n *yaml.Node, path string, w *Watch) {
	w.Enabled = true
	uaNode := n
	escalateSet := false
	alertsSet := false
	d.fields(n, path, []field{
		{name: "user_agent", decode: func(v *yaml.Node, p string) {
			uaNode = v
			s, ok := d.str(v, p, `a User-Agent like "Liaison (+https://acme.example/community-bot)"`)
			if !ok {
				return
			}
			if !strings.Contains(s, "http://") && !strings.Contains(s, "https://") && !strings.Contains(s, "@") {
				d.errorf(v, p, "%q gives sites no way to reach you: include a contact URL or address, like \"Liaison (+https://acme.example/community-bot)\"", s)
				return
			}
			w.UserAgent = s
		}},
		{name: "feeds", decode: func(v *yaml.Node, p string) {
			listInto(d, v, p, `a list of feeds (each like {name: tech-news, url: "https://news.example.com/rss"})`, &w.Feeds, d.watchFeed)
			seen := map[string]bool{}
			for i, f := range w.Feeds {
				if f.Name != "" && seen[f.Name] {
					d.errorf(v.Content[i], join(index(p, i), "name"), "%q names two feeds: feed names must be unique", f.Name)
				}
				seen[f.Name] = true
			}
		}},
		{name: "queries", decode: func(v *yaml.Node, p string) {
			listInto(d, v, p, `a list of queries (each like {name: brand, query: '"Acme Cloud" OR acmecloud', route: marketing})`, &w.Queries, d.watchQuery)
			seen := map[string]bool{}
			for i, q := range w.Queries {
				if q.Name != "" && seen[q.Name] {
					d.errorf(v.Content[i], join(index(p, i), "name"), "%q names two queries: query names must be unique, mentions and mutes are kept per query", q.Name)
				}
				seen[q.Name] = true
			}
		}},
		{name: "alerts", decode: func(v *yaml.Node, p string) { alertsSet = true; d.slackRef(v, p, &w.Alerts) }},
		{name: "on_call", decode: func(v *yaml.Node, p string) { d.onCall(v, p, &w.OnCall) }},
		{name: "respond_within", decode: func(v *yaml.Node, p string) { d.positive(v, p, &w.RespondWithin) }},
		{name: "poll_every", decode: func(v *yaml.Node, p string) {
			if dur, ok := d.duration(v, p, true); ok {
				if dur < time.Minute {
					d.errorf(v, p, "must be at least 1m: sources limit how often they may be asked")
					return
				}
				w.PollEvery = dur
			}
		}},
		{name: "keep", decode: func(v *yaml.Node, p string) { d.positive(v, p, &w.Keep) }},
		{name: "alert_on", decode: func(v *yaml.Node, p string) {
			w.AlertOn = []string{}
			for _, s := range d.words(v, p, "words") {
				if len(watch.Fold(s)) == 0 {
					d.errorf(v, p, "%q has no letters or digits to look for", s)
					continue
				}
				w.AlertOn = append(w.AlertOn, s)
			}
		}},
		{name: "burst", decode: func(v *yaml.Node, p string) {
			if i, ok := d.int(v, p, 1); ok {
				w.Burst = i
			}
		}},
		{name: "escalate_to", decode: func(v *yaml.Node, p string) { escalateSet = true; d.slackRef(v, p, &w.EscalateTo) }},
		{name: "mastodon", decode: func(v *yaml.Node, p string) {
			d.fields(v, p, []field{{name: "instances", decode: func(v *yaml.Node, p string) {
				for i, s := range d.words(v, p, "instances") {
					host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(s), "https://"), "http://"), "/")
					if host == "" || strings.ContainsAny(host, "/@: ") {
						d.errorf(v.Content[i], index(p, i), "%q is not an instance: write its host name, like mastodon.social", s)
						continue
					}
					w.Mastodon.Instances = append(w.Mastodon.Instances, host)
				}
			}}})
		}},
		{name: "reddit", decode: func(v *yaml.Node, p string) {
			d.fields(v, p, []field{{name: "subreddits", decode: func(v *yaml.Node, p string) {
				for i, s := range d.words(v, p, "subreddits") {
					s = strings.TrimPrefix(strings.TrimPrefix(s, "/"), "r/")
					if !d.name(v.Content[i], index(p, i), s) {
						continue
					}
					w.Reddit.Subreddits = append(w.Reddit.Subreddits, s)
				}
			}}})
		}},
		{name: "stackexchange", decode: func(v *yaml.Node, p string) {
			d.fields(v, p, []field{{name: "sites", decode: func(v *yaml.Node, p string) {
				w.StackExchange.Sites = nil
				for i, s := range d.words(v, p, "sites") {
					if !d.name(v.Content[i], index(p, i), s) {
						continue
					}
					w.StackExchange.Sites = append(w.StackExchange.Sites, s)
				}
			}}})
		}},
		{name: "limits", decode: func(v *yaml.Node, p string) {
			w.Limits = map[string]int{}
			d.names(v, p, "a mapping of source ids to requests per minute, like {reddit: 5}", func(name string, v *yaml.Node, p string) {
				if !slices.Contains(watch.Sources, name) {
					d.errorf(v, p, "%q is not a source: use %s", name, strings.Join(watch.Sources, ", "))
					return
				}
				if i, ok := d.int(v, p, 1); ok {
					w.Limits[name] = i
				}
			})
		}},
	})
	if n.Kind != yaml.MappingNode {
		return
	}
	if w.UserAgent == "" && uaNode == n {
		d.errorf(n, join(path, "user_agent"), `missing: what Liaison tells sites it is, with a way to reach you, like user_agent: "Liaison (+https://acme.example/community-bot)"`)
	}
	// Defaults that name other sections' channels, once those are resolved
	// (a later registered from a later runs after every first-round one).
	d.later(func() {
		d.later(func() {
			if !alertsSet {
				if id, ok := d.cfg.Slack.Channels["community"]; ok {
					w.Alerts = ChannelRef{Platform: PlatformSlack, Name: "community", ID: id}
				}
			}
			if !escalateSet {
				w.EscalateTo = d.cfg.Feedback.EscalateTo
			}
		})
	})
}

func (d *decoder) watchFeed(f *WatchFeed, n *yaml.Node, path string) {
	d.fields(n, path, []field{
		{name: "name", required: "every feed needs a name, like tech-news", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a name like tech-news"); ok && d.name(v, p, s) {
				f.Name = s
			}
		}},
		{name: "url", required: `the feed's address, like url: "https://news.example.com/rss"`, decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, `an address like "https://news.example.com/rss"`)
			if !ok {
				return
			}
			u, err := url.Parse(s)
			switch {
			case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
				d.errorf(v, p, "%q is not a feed address: write a full http(s) URL, like \"https://news.example.com/rss\"", s)
			case u.User != nil:
				d.errorf(v, p, "the feed address holds a user name or password: Liaison does not send credentials in URLs, remove them (the file is not a safe place for secrets)")
			default:
				f.URL = s
			}
		}},
	})
}

func (d *decoder) watchQuery(q *WatchQuery, n *yaml.Node, path string) {
	d.fields(n, path, []field{
		{name: "name", required: "every query needs a name, like brand", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a name like brand"); ok && d.name(v, p, s) {
				q.Name = s
			}
		}},
		{name: "query", required: `what to look for, like query: '"Acme Cloud" OR acmecloud -jobs'`, decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, `a query like '"Acme Cloud" OR acmecloud -jobs'`)
			if !ok {
				return
			}
			compiled, err := watch.Parse(s)
			if err != nil {
				d.errorf(v, p, "the query %q is malformed %s", s, queryErrorText(err))
				return
			}
			q.Text, q.Query = s, compiled
		}},
		{name: "sources", decode: func(v *yaml.Node, p string) {
			q.Sources = []string{}
			for _, s := range d.words(v, p, "source ids") {
				if !slices.Contains(watch.Sources, s) {
					d.errorf(v, p, "%q is not a source: use %s", s, strings.Join(watch.Sources, ", "))
					continue
				}
				if !slices.Contains(q.Sources, s) {
					q.Sources = append(q.Sources, s)
				}
			}
		}},
		{name: "route", required: "the Slack channel its mentions go to, like route: marketing", decode: func(v *yaml.Node, p string) { d.slackRef(v, p, &q.Route) }},
		{name: "lang", decode: func(v *yaml.Node, p string) {
			var langs []string
			if v.Kind == yaml.ScalarNode {
				if s, ok := d.str(v, p, "a language code like fr"); ok {
					langs = []string{s}
				}
			} else {
				langs = d.words(v, p, "language codes")
			}
			for _, l := range langs {
				l = strings.ToLower(l)
				if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
					d.errorf(v, p, "%q is not a language code: use two letters, like [en, fr]", l)
					continue
				}
				q.Langs = append(q.Langs, l)
			}
		}},
	})
	if q.Query != nil {
		q.Query.Name = q.Name
	}
	if q.Sources == nil {
		q.Sources = slices.Clone(watch.Sources)
	}
}

// queryErrorText says where a query is malformed: "at character 12: …".
func queryErrorText(err error) string {
	if qe, ok := err.(*watch.QueryError); ok {
		return fmt.Sprintf("at character %d: %s", qe.Pos, qe.Msg)
	}
	return ": " + err.Error()
}

var rotaExample = "{mon: [carol], tue-fri: [dave]}"

func (d *decoder) onCall(n *yaml.Node, path string, o *OnCall) {
	what := "a list of people (like [carol, dave]), {slack_group: S01ONCALL}, or a rota by weekday like " + rotaExample
	switch n.Kind {
	case yaml.SequenceNode:
		o.People = d.personNames(n, path)
	case yaml.MappingNode:
		if len(n.Content) >= 2 && n.Content[0].Value == "slack_group" {
			var w bot.Who
			d.who(n, path, &w, nil)
			if len(w.SlackGroups) == 1 {
				o.SlackGroup = w.SlackGroups[0]
			}
			return
		}
		o.Rota = map[time.Weekday][]string{}
		d.pairs(n, path, func(k, v *yaml.Node) {
			p := join(path, k.Value)
			days, ok := parseWeekdays(k.Value)
			if !ok || days == 0 {
				d.errorf(k, p, "%q is not a day: use mon, tue, wed, thu, fri, sat, sun or ranges like tue-fri (or slack_group: ID instead of a rota)", k.Value)
				return
			}
			var people []string
			if v.Kind == yaml.ScalarNode {
				people = d.personNames(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{v}, Line: v.Line, Column: v.Column}, p)
			} else {
				people = d.personNames(v, p)
			}
			for _, day := range weekOrder {
				if !days.Has(day) {
					continue
				}
				if _, dup := o.Rota[day]; dup {
					d.errorf(k, p, "%s is already in the rota: give each day once", strings.ToLower(day.String()[:3]))
					continue
				}
				o.Rota[day] = people
			}
		})
	default:
		if _, ok := d.str(n, path, what); ok {
			o.People = d.personNames(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n}, Line: n.Line, Column: n.Column}, path)
		}
	}
}

// personNames decodes a list of names from people:, checked once the whole
// file is read.
func (d *decoder) personNames(n *yaml.Node, path string) []string {
	out := []string{}
	d.list(n, path, "a list of people's names, like [carol, dave]", func(_ int, v *yaml.Node, p string) {
		s, ok := d.str(v, p, "a person's name like carol")
		if !ok {
			return
		}
		out = append(out, s)
		d.later(func() {
			if _, found := d.cfg.Person(s); !found {
				var names []string
				for _, q := range d.cfg.People {
					names = append(names, q.Name)
				}
				d.errorf(v, p, "nobody called %q is declared under people: %s", s, defined(names, "people"))
			}
		})
	})
	return out
}
