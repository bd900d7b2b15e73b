package watch

import (
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/liaison-bot/liaison/bot/sentiment"
)

// Entry is one configured query as the matcher runs it.
type Entry struct {
	Name    string
	Query   *Query
	Sources []string // source ids the query listens to; empty: every source
	Langs   []string // languages the query accepts (`lang: [en, fr]`); empty: any
}

// Match is one query an item matched.
type Match struct {
	Entry int    // index in the entries given to NewMatcher
	Name  string // the entry's name
	// Terms are the positive terms of the alternative that matched, as
	// written in the query.
	Terms []string
}

// Matcher matches items against many compiled queries at once. Every OR
// alternative of every query is indexed under one of its words, so an item
// costs one pass over its words plus the alternatives that share one of
// them, however many queries there are. It is safe for concurrent use.
type Matcher struct {
	entries []Entry
	index   map[string][]ref
	docs    sync.Pool
}

type ref struct {
	entry  int32
	branch int32
}

// NewMatcher indexes entries. Entries with a nil Query are skipped.
func NewMatcher(entries []Entry) *Matcher {
	m := &Matcher{entries: entries, index: make(map[string][]ref)}
	for ei, e := range entries {
		if e.Query == nil {
			continue
		}
		for bi, b := range e.Query.branches {
			key := b.anchor()
			m.index[key] = append(m.index[key], ref{int32(ei), int32(bi)})
		}
	}
	m.docs.New = func() any { return &doc{set: make(map[string]int32, 64)} }
	return m
}

// Entries returns the entries the matcher was built with.
func (m *Matcher) Entries() []Entry { return m.entries }

// anchor is the key an alternative is indexed under: the longest of its
// words (long words are rare, so few items wake the alternative up), else
// its hashtag. Parse guarantees every alternative has one.
func (b branch) anchor() string {
	best := ""
	for _, l := range b.lits {
		switch l.kind {
		case litWord, litPhrase:
			for _, w := range l.words {
				if len(w) > len(best) {
					best = w
				}
			}
		}
	}
	if best != "" {
		return best
	}
	for _, l := range b.lits {
		if l.kind == litHashtag {
			return l.value
		}
	}
	return ""
}

// Match returns the queries it matches, in entry order; nil when none.
func (m *Matcher) Match(it Item) []Match {
	d := m.docs.Get().(*doc)
	defer func() {
		d.item = nil // keep no item alive in the pool
		m.docs.Put(d)
	}()
	d.reset(&it)
	var state []uint8 // per entry: 0 undecided, 1 matched, 2 refused
	var out []Match
	for key := range d.set {
		refs, ok := m.index[key]
		if !ok {
			continue
		}
		for _, r := range refs {
			if state != nil && state[r.entry] != 0 {
				continue
			}
			e := &m.entries[r.entry]
			b := &e.Query.branches[r.branch]
			if !d.matchBranch(b) {
				continue
			}
			if state == nil {
				state = make([]uint8, len(m.entries))
			}
			if !e.accepts(d) || d.excluded(e.Query) != nil {
				state[r.entry] = 2
				continue
			}
			state[r.entry] = 1
			out = append(out, Match{Entry: int(r.entry), Name: e.Name, Terms: b.terms()})
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return a.Entry - b.Entry })
	return out
}

func (e *Entry) accepts(d *doc) bool {
	if len(e.Sources) > 0 && !slices.Contains(e.Sources, d.item.Source) {
		return false
	}
	if len(e.Langs) > 0 && !slices.Contains(e.Langs, d.language()) {
		return false
	}
	return true
}

func (b *branch) terms() []string {
	out := make([]string, len(b.lits))
	for i, l := range b.lits {
		out[i] = l.raw
	}
	return out
}

// Explanation says whether and why an item matches a query.
type Explanation struct {
	Match bool
	// Matched are the positive terms of the alternative that matched, as
	// written; when nothing matched, those of the closest alternative that
	// were found.
	Matched []string
	// Missing are, when nothing matched, the terms of the closest
	// alternative that were not found.
	Missing []string
	// Excluded are the exclusions found in the item, as written (without '-').
	Excluded []string
}

// Explain matches one item against q and says why.
func (q *Query) Explain(it Item) Explanation {
	d := &doc{set: make(map[string]int32)}
	d.reset(&it)
	var ex Explanation
	for _, l := range q.excludes {
		if d.has(&l) {
			ex.Excluded = append(ex.Excluded, l.raw)
		}
	}
	best := -1
	for _, b := range q.branches {
		var found, missing []string
		for _, l := range b.lits {
			if d.has(&l) {
				found = append(found, l.raw)
			} else {
				missing = append(missing, l.raw)
			}
		}
		if len(missing) == 0 {
			ex.Matched, ex.Missing = found, nil
			ex.Match = len(ex.Excluded) == 0
			return ex
		}
		if score := len(found)*100 - len(missing); best < 0 || score > best {
			best = score
			ex.Matched, ex.Missing = found, missing
		}
	}
	return ex
}

// Matches reports whether the item matches q (exclusions included).
func (q *Query) Matches(it Item) bool {
	d := &doc{set: make(map[string]int32)}
	d.reset(&it)
	if d.excluded(q) != nil {
		return false
	}
	for i := range q.branches {
		if d.matchBranch(&q.branches[i]) {
			return true
		}
	}
	return false
}

// doc is an item prepared for matching: its folded words and, computed only
// when a query asks, its host, author and language.
type doc struct {
	tok  tokenizer
	set  map[string]int32 // folded word or "#hashtag" -> first position in tok.words
	item *Item

	hostDone, authorDone, langDone bool
	sites                          []string // host+path of URL and StoryURL, "www." dropped
	author, lang                   string
}

func (d *doc) reset(it *Item) {
	d.item = it
	d.hostDone, d.authorDone, d.langDone = false, false, false
	d.sites = d.sites[:0]
	d.tok.run(it.Title, it.Text)
	clear(d.set)
	for i, w := range d.tok.words {
		if w == "" {
			continue
		}
		if _, ok := d.set[w]; !ok {
			d.set[w] = int32(i)
		}
	}
	for _, h := range d.tok.hashtags {
		d.set[h] = 0
	}
}

func (d *doc) matchBranch(b *branch) bool {
	for i := range b.lits {
		if !d.has(&b.lits[i]) {
			return false
		}
	}
	return true
}

func (d *doc) excluded(q *Query) *literal {
	for i := range q.excludes {
		if d.has(&q.excludes[i]) {
			return &q.excludes[i]
		}
	}
	return nil
}

func (d *doc) has(l *literal) bool {
	switch l.kind {
	case litWord:
		_, ok := d.set[l.words[0]]
		return ok
	case litHashtag:
		_, ok := d.set[l.value]
		return ok
	case litPhrase:
		return d.phrase(l.words)
	case litSite:
		return d.onSite(l.value)
	case litAuthor:
		if !d.authorDone {
			d.author, d.authorDone = foldAuthor(d.item.Author), true
		}
		return d.author != "" && d.author == l.value
	case litLang:
		return d.language() == l.value
	}
	return false
}

func (d *doc) phrase(ws []string) bool {
	first, ok := d.set[ws[0]]
	if !ok {
		return false
	}
	for _, w := range ws[1:] {
		if _, ok := d.set[w]; !ok {
			return false
		}
	}
	words := d.tok.words
next:
	for i := int(first); i+len(ws) <= len(words); i++ {
		if words[i] != ws[0] {
			continue
		}
		for k := 1; k < len(ws); k++ {
			if words[i+k] != ws[k] {
				continue next
			}
		}
		return true
	}
	return false
}

func (d *doc) onSite(site string) bool {
	if !d.hostDone {
		d.hostDone = true
		for _, raw := range []string{d.item.URL, d.item.StoryURL} {
			if raw == "" {
				continue
			}
			u, err := url.Parse(raw)
			if err != nil || u.Host == "" {
				continue
			}
			d.sites = append(d.sites, strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")+u.EscapedPath())
		}
	}
	host, path, _ := strings.Cut(site, "/")
	for _, s := range d.sites {
		h, p, _ := strings.Cut(s, "/")
		if h != host && !strings.HasSuffix(h, "."+host) {
			continue
		}
		if path == "" || strings.HasPrefix(strings.ToLower(p), path) {
			return true
		}
	}
	return false
}

// language is the item's language: the source's word when it gave one, else
// the sentiment scorer's guess (en or fr).
func (d *doc) language() string {
	if !d.langDone {
		d.langDone = true
		d.lang = ItemLang(*d.item)
	}
	return d.lang
}

// ItemLang is an item's two-letter language: the source's, else a guess
// between English and French from its words.
func ItemLang(it Item) string {
	if l := strings.ToLower(it.Lang); len(l) >= 2 {
		return l[:2]
	}
	return sentiment.Analyze(strings.TrimSpace(it.Title + "\n" + it.Text)).Lang
}
