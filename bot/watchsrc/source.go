package watchsrc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// Source is one adapter: it knows one site's API, turns a Target into
// Items, and says what its next poll starts from.
type Source interface {
	// ID is the source id (watch.SourceHN, …).
	ID() string
	// Targets splits what to poll into independently cursored requests:
	// one per Search for a search API (per site or instance where the
	// source has several), one per feed or subreddit. Targets with equal
	// keys are the same request and asked once.
	Targets(searches []watch.Search) []Target
	// Fetch returns the items newer than cursor (tidied: one per id, none
	// in the future, plain text) and the cursor to save once they are
	// handled. On error, nothing is returned and the cursor stays.
	Fetch(ctx context.Context, t Target, c Cursor) ([]watch.Item, Cursor, error)
	// Rate is the source's request budget, to pace its polls.
	Rate() Rate
}

// Target is one independently cursored request of a source.
type Target struct {
	Key    string       // the cursor's key within the source, stable across restarts
	Health string       // whose failures are reported: the source id, or "feeds:NAME" per feed
	Label  string       // for logs and reports: `feed tech-news`, `r/golang`, `search "acme cloud"`
	Search watch.Search // what to search; zero for a feed or a subreddit's listing
	Where  string       // a feed's URL, a subreddit, an instance's base URL, a Stack Exchange site
	Kind   string       // what the adapter does with it ("search", "new", "tag")
}

// Cursor is where a target's next poll starts: a source-specific value and
// the validators of its conditional GET. It is persisted with the target.
type Cursor struct {
	Value        string
	ETag         string
	LastModified string
}

// searchKey is a stable key for a Search's content: equal searches (from two
// queries, or one query's branches) share one request and one cursor; a
// query that changes starts a new cursor.
func searchKey(prefix string, s watch.Search) string {
	parts := []string{strings.Join(sortedLower(s.Terms), " "), strings.Join(sortedLower(s.Phrases), "|"),
		strings.Join(sortedLower(s.Hashtags), " "), strings.Join(sortedLower(s.Sites), " "),
		strings.Join(sortedLower(s.Authors), " "), strings.Join(sortedLower(s.Langs), " ")}
	readable := prefix + searchText(s)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return cut(readable, 120) + "#" + hex.EncodeToString(sum[:6])
}

func sortedLower(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.ToLower(s)
	}
	slices.Sort(out)
	return out
}

// hasTerms reports whether s gives a search API anything to search for.
func hasTerms(s watch.Search) bool {
	return len(s.Terms)+len(s.Phrases)+len(s.Hashtags) > 0
}

// mark is the cursor of a time-sorted search API: the newest publication
// time handled and the ids handled within the overlap before it. Each poll
// asks from T minus the overlap (search indexes lag: an item created a
// minute before the last poll may appear only now) and drops the ids
// already handled, so nothing is missed or repeated.
type mark struct {
	T   int64      `json:"t"`
	IDs []markedID `json:"ids,omitempty"`
}

type markedID struct {
	ID string `json:"i"`
	T  int64  `json:"t"`
}

// searchOverlap is how far back each poll of a search API re-asks.
const searchOverlap = 10 * time.Minute

// maxMarkedIDs bounds a cursor's size.
const maxMarkedIDs = 2000

func readMark(c Cursor, now time.Time, backfill time.Duration) mark {
	var m mark
	if c.Value == "" || json.Unmarshal([]byte(c.Value), &m) != nil || m.T == 0 {
		return mark{T: now.Add(-backfill).Unix()}
	}
	return m
}

// since is the lower bound (unix seconds) of the next request.
func (m mark) since() int64 { return m.T - int64(searchOverlap/time.Second) }

// admit keeps the items not handled yet and returns them with the next mark.
func (m mark) admit(items []watch.Item) ([]watch.Item, Cursor) {
	handled := make(map[string]bool, len(m.IDs))
	for _, id := range m.IDs {
		handled[id.ID] = true
	}
	next := mark{T: m.T, IDs: slices.Clone(m.IDs)}
	var out []watch.Item
	for _, it := range items {
		t := it.Published.Unix()
		if handled[it.ID] || t < m.since() {
			continue
		}
		handled[it.ID] = true
		out = append(out, it)
		next.IDs = append(next.IDs, markedID{ID: it.ID, T: t})
		next.T = max(next.T, t)
	}
	floor := next.since()
	next.IDs = slices.DeleteFunc(next.IDs, func(id markedID) bool { return id.T < floor })
	if len(next.IDs) > maxMarkedIDs {
		slices.SortFunc(next.IDs, func(a, b markedID) int { return int(a.T - b.T) })
		next.IDs = next.IDs[len(next.IDs)-maxMarkedIDs:]
	}
	b, _ := json.Marshal(next)
	return out, Cursor{Value: string(b)}
}
