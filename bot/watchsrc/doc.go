// Package watchsrc is the edge of the web watch: one small adapter per
// source (RSS/Atom feeds, Hacker News, Reddit, Mastodon, Stack Exchange,
// GitHub) behind the Source interface, the polite HTTP Client they all share,
// and the Poller that runs them under the scheduler's lease.
//
// What lives here: network I/O toward the open web, the sources' JSON and XML
// shapes, cursors (what was already fetched) and source health (failing
// since, reported once). What does not: the query language, matching,
// mentions and everything said in Slack about them — that is bot/watch and
// handlers; a source is only a pre-filter, and hands every Item it fetched to
// a watch.Sink.
//
// Politeness is by construction: every request goes through Client, which
// sends a descriptive User-Agent, keeps per-host rate limits, backs off on
// 429 and 5xx honouring Retry-After, caps bodies, speaks gzip, refuses URLs
// with credentials and remembers ETag/Last-Modified per URL (stored with the
// cursor, so a restart keeps them). Nothing in Client sleeps: a request that
// may not be sent yet fails at once with a *DeferredError saying until when,
// and the Poller tries again at a later tick.
//
// Feeds are parsed with encoding/xml (RSS 2.0, RSS 1.0/RDF and Atom 1.0)
// behind the FeedParser interface: DESIGN's fallback, because the module
// proxy serves github.com/mmcdole/gofeed only from an unapproved copy.
package watchsrc
