// Package watch holds the domain of the web watch: what a source fetched
// (Item), what a source is asked to search for (Search), and, in the files
// that grow around them, the query language and its matcher.
//
// The split between the two halves of the watch is this file:
//   - the sources (bot/watchsrc) turn a Search into Items, politely, and keep
//     their cursors; they are only a pre-filter;
//   - the capability (handlers/watch) matches every Item against every
//     compiled query itself and turns matches into mentions.
package watch

import (
	"context"
	"time"
)

// Source ids, as `watch.queries[].sources` and LIAISON_WATCH_<SOURCE>_URL name them.
const (
	SourceFeeds         = "feeds"
	SourceHN            = "hn"
	SourceReddit        = "reddit"
	SourceMastodon      = "mastodon"
	SourceStackExchange = "stackexchange"
	SourceGitHub        = "github"
)

// Sources lists every source id in the order config check and doctor show them.
var Sources = []string{SourceFeeds, SourceHN, SourceReddit, SourceMastodon, SourceStackExchange, SourceGitHub}

// Item is one post, comment, article or issue a source fetched.
type Item struct {
	Source string // a source id
	ID     string // the source's own id, unique within the source ("hn:123", a feed's guid)
	URL    string // where the item lives (a comment's permalink, an article)
	// StoryURL is the URL the item is about when it is a link post (a HN story
	// or a Reddit link to an article): the same story carried by several
	// sources is recognised by it. Empty when the item is the story itself.
	StoryURL  string
	Author    string
	Title     string
	Text      string // plain text, HTML stripped
	Lang      string // ISO 639-1 when the source says, else ""
	Published time.Time
	Score     int // points, upvotes, reactions: engagement where the source gives it
	Comments  int
	Feed      string // for the feeds source: the configured feed's name
}

// Search is what one request to a source's own search asks for: the positive
// terms of one OR branch of a query (sources without OR get one request per
// branch). Sources only pre-filter; the matcher decides.
type Search struct {
	Query    string   // the query's name in config
	Terms    []string // single words, as written
	Phrases  []string // "exact phrases", without quotes
	Hashtags []string // without '#'
	Sites    []string // site: filters
	Authors  []string // author: filters
	Langs    []string // lang: filters
}

// Sink receives what a poll fetched. The poller saves a source's cursor only
// after Sink returned nil, so a crash in between repeats a page (mentions are
// deduplicated by canonical URL in the store) and never misses one.
type Sink func(ctx context.Context, items []Item) error
