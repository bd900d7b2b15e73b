package watch

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The query language, as `watch.queries[].query` writes it:
//
//	"Acme Cloud" OR acmecloud -jobs
//	(acme OR #acmecloud) (panne OR outage) site:reddit.com lang:fr
//
//   - a word matches that whole word, case- and accent-insensitively
//     ("arnaque" matches "ARNAQUÉ" and "l'arnaque", not "arnaques");
//   - "an exact phrase" matches those words in a row;
//   - #hashtag matches the hashtag (the word alone is not enough);
//   - site:example.com matches items whose URL is on that host or below it
//     (site:reddit.com/r/acme also checks the path's start);
//   - author:NAME and lang:CODE match the item's author and language;
//   - terms side by side must all match (AND, which may be written), OR
//     separates alternatives, AND binds tighter than OR, parentheses group;
//   - -term excludes: an item with that term anywhere never matches the
//     query, wherever the exclusion is written.
//
// Words are matched in the title and text together.

// QueryError is a malformed query: Pos is the 1-based position, in
// characters, of the problem in the query text.
type QueryError struct {
	Pos int
	Msg string
}

func (e *QueryError) Error() string { return fmt.Sprintf("at character %d: %s", e.Pos, e.Msg) }

// maxBranches bounds the alternatives a query expands to: (a OR b) (c OR d)
// is four; a query that would need more than this is refused.
const maxBranches = 64

type litKind uint8

const (
	litWord    litKind = iota // one folded word
	litPhrase                 // several folded words in a row
	litHashtag                // a folded hashtag, '#' included
	litSite                   // host[/path], lower case, without "www."
	litAuthor                 // folded author name, words joined by spaces
	litLang                   // ISO 639-1 code, lower case
)

// literal is one thing to look for, as compiled from the query.
type literal struct {
	kind  litKind
	raw   string   // as written, without the '-' of an exclusion
	words []string // folded words (litWord: one; litPhrase: several)
	value string   // litHashtag, litSite, litAuthor, litLang
	pos   int
}

// branch is one OR alternative: every literal must match.
type branch struct {
	lits []literal
	pos  int
}

// Query is a compiled query. It is immutable and safe for concurrent use.
type Query struct {
	// Name is the query's name in config; Searches copies it.
	Name     string
	text     string
	branches []branch
	excludes []literal
}

// String returns the query as written.
func (q *Query) String() string { return q.text }

// Parse compiles a query. A malformed one returns a *QueryError saying where
// and what is wrong, written for the person who wrote the query.
func Parse(text string) (*Query, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, end: utf8.RuneCountInString(text) + 1}
	p.q = &Query{text: text}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.kind == tokRParen {
			return nil, &QueryError{t.pos, "this ')' closes no '('"}
		}
		return nil, &QueryError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	}
	if n == nil {
		if len(p.q.excludes) > 0 {
			return nil, &QueryError{1, "the query only excludes: add a word, a \"phrase\" or a #hashtag to look for"}
		}
		return nil, &QueryError{1, "the query is empty: write a word, a \"phrase\" or a #hashtag to look for"}
	}
	branches, err := expand(n)
	if err != nil {
		return nil, err
	}
	for _, b := range branches {
		if !b.searchable() {
			return nil, &QueryError{b.pos, "this alternative has nothing to look for: add a word, a \"phrase\" or a #hashtag next to site:, author: or lang:"}
		}
	}
	p.q.branches = branches
	return p.q, nil
}

// MustParse is Parse for queries known to be valid (tests, examples).
func MustParse(text string) *Query {
	q, err := Parse(text)
	if err != nil {
		panic(fmt.Sprintf("watch.MustParse(%q): %v", text, err))
	}
	return q
}

func (b branch) searchable() bool {
	for _, l := range b.lits {
		if l.kind == litWord || l.kind == litPhrase || l.kind == litHashtag {
			return true
		}
	}
	return false
}

// Searches returns what to ask each source for: one Search per OR
// alternative, with its positive terms as written (exclusions are left to
// the matcher). A source that understands OR may merge them.
func (q *Query) Searches() []Search {
	out := make([]Search, 0, len(q.branches))
	for _, b := range q.branches {
		s := Search{Query: q.Name}
		for _, l := range b.lits {
			switch l.kind {
			case litWord:
				s.Terms = append(s.Terms, l.raw)
			case litPhrase:
				s.Phrases = append(s.Phrases, strings.Trim(l.raw, "\"“”"))
			case litHashtag:
				s.Hashtags = append(s.Hashtags, strings.TrimPrefix(l.raw, "#"))
			case litSite:
				s.Sites = append(s.Sites, l.value)
			case litAuthor:
				s.Authors = append(s.Authors, l.raw[len("author:"):])
			case litLang:
				s.Langs = append(s.Langs, l.value)
			}
		}
		out = append(out, s)
	}
	return out
}

// --- lexer

type tokKind uint8

const (
	tokAtom tokKind = iota
	tokOr
	tokAnd
	tokLParen
	tokRParen
)

type qtoken struct {
	kind tokKind
	text string // as written
	neg  bool   // written with a leading '-'
	lit  literal
	pos  int
}

func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' || r == '«' || r == '»' }

func closingQuote(open rune) rune {
	switch open {
	case '“':
		return '”'
	case '«':
		return '»'
	}
	return '"'
}

func lex(text string) ([]qtoken, error) {
	rs := []rune(text)
	var out []qtoken
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
			continue
		case r == '(':
			out = append(out, qtoken{kind: tokLParen, text: "(", pos: i + 1})
			i++
			continue
		case r == ')':
			out = append(out, qtoken{kind: tokRParen, text: ")", pos: i + 1})
			i++
			continue
		}
		start := i
		neg := false
		if r == '-' {
			neg = true
			i++
			if i == len(rs) || unicode.IsSpace(rs[i]) {
				return nil, &QueryError{start + 1, "a '-' must be followed, without a space, by the word to exclude (-jobs)"}
			}
			if rs[i] == '(' {
				return nil, &QueryError{start + 1, "put a '-' before each word to exclude, not before parentheses"}
			}
		}
		// A quoted phrase.
		if isQuote(rs[i]) {
			close := closingQuote(rs[i])
			j := i + 1
			for j < len(rs) && rs[j] != close && !(close == '"' && rs[j] == '”') {
				j++
			}
			if j == len(rs) {
				return nil, &QueryError{i + 1, "this quote is never closed: end the phrase with another quote"}
			}
			raw := string(rs[i : j+1])
			lit, err := phraseLiteral(raw, string(rs[i+1:j]), i+1)
			if err != nil {
				return nil, err
			}
			out = append(out, qtoken{kind: tokAtom, text: string(rs[start : j+1]), neg: neg, lit: lit, pos: start + 1})
			i = j + 1
			continue
		}
		// A bare word, operator, #hashtag or prefix:value.
		j := i
		for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '(' && rs[j] != ')' && !isQuote(rs[j]) {
			j++
		}
		word := string(rs[i:j])
		if !neg {
			switch word {
			case "OR", "|":
				out = append(out, qtoken{kind: tokOr, text: word, pos: start + 1})
				i = j
				continue
			case "AND", "&":
				out = append(out, qtoken{kind: tokAnd, text: word, pos: start + 1})
				i = j
				continue
			}
		}
		lit, consumed, err := wordLiteral(rs, i, j)
		if err != nil {
			return nil, err
		}
		out = append(out, qtoken{kind: tokAtom, text: string(rs[start:consumed]), neg: neg, lit: lit, pos: start + 1})
		i = consumed
	}
	return out, nil
}

// wordLiteral compiles the bare word rs[i:j]; a prefix whose value is quoted
// (author:"Jane Doe") reads on past j and returns where it stopped.
func wordLiteral(rs []rune, i, j int) (literal, int, error) {
	word := string(rs[i:j])
	pos := i + 1
	if strings.HasPrefix(word, "#") {
		f := Fold(word[1:])
		if len(f) != 1 || f[0] == "" {
			return literal{}, 0, &QueryError{pos, fmt.Sprintf("%q is not a hashtag: write # and a word, like #acme", word)}
		}
		return literal{kind: litHashtag, raw: word, value: "#" + f[0], pos: pos}, j, nil
	}
	if k := strings.IndexByte(word, ':'); k > 0 {
		prefix := strings.ToLower(word[:k])
		if prefix == "site" || prefix == "author" || prefix == "lang" {
			value := word[k+1:]
			consumed := j
			if value == "" && j < len(rs) && isQuote(rs[j]) && prefix == "author" {
				close := closingQuote(rs[j])
				e := j + 1
				for e < len(rs) && rs[e] != close && !(close == '"' && rs[e] == '”') {
					e++
				}
				if e == len(rs) {
					return literal{}, 0, &QueryError{j + 1, "this quote is never closed: end the name with another quote"}
				}
				value = string(rs[j+1 : e])
				consumed = e + 1
			}
			if strings.TrimSpace(value) == "" {
				examples := map[string]string{"site": "site:example.com", "author": "author:jdoe", "lang": "lang:fr"}
				return literal{}, 0, &QueryError{pos, fmt.Sprintf("%s: needs a value right after it, like %s", prefix, examples[prefix])}
			}
			raw := prefix + ":" + value
			switch prefix {
			case "site":
				site := normalizeSite(value)
				if site == "" || strings.ContainsAny(site, " @") {
					return literal{}, 0, &QueryError{pos + k + 1, fmt.Sprintf("%q is not a site: write a host name, like site:example.com", value)}
				}
				return literal{kind: litSite, raw: raw, value: site, pos: pos}, consumed, nil
			case "author":
				return literal{kind: litAuthor, raw: raw, value: foldAuthor(value), pos: pos}, consumed, nil
			default:
				code := strings.ToLower(value)
				if len(code) != 2 || code[0] < 'a' || code[0] > 'z' || code[1] < 'a' || code[1] > 'z' {
					return literal{}, 0, &QueryError{pos + k + 1, fmt.Sprintf("%q is not a language code: use two letters, like lang:en or lang:fr", value)}
				}
				return literal{kind: litLang, raw: raw, value: code, pos: pos}, consumed, nil
			}
		}
	}
	f := Fold(word)
	switch len(f) {
	case 0:
		return literal{}, 0, &QueryError{pos, fmt.Sprintf("%q has no letters or digits to look for", word)}
	case 1:
		return literal{kind: litWord, raw: word, words: f, pos: pos}, j, nil
	}
	// "acme-cloud" and "l'arnaque" are several words in a row.
	return literal{kind: litPhrase, raw: word, words: f, pos: pos}, j, nil
}

func phraseLiteral(raw, inner string, pos int) (literal, error) {
	f := Fold(inner)
	switch len(f) {
	case 0:
		return literal{}, &QueryError{pos, "this phrase has no words in it"}
	case 1:
		return literal{kind: litWord, raw: raw, words: f, pos: pos}, nil
	}
	return literal{kind: litPhrase, raw: raw, words: f, pos: pos}, nil
}

// normalizeSite lower-cases a site filter and drops a scheme and "www.".
func normalizeSite(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if k := strings.Index(v, "://"); k >= 0 {
		v = v[k+3:]
	}
	v = strings.TrimPrefix(v, "www.")
	return strings.TrimSuffix(v, "/")
}

// foldAuthor is an author's comparable form: folded words joined by spaces,
// without the '@' or "u/" platforms put in front of names.
func foldAuthor(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimPrefix(a, "@")
	a = strings.TrimPrefix(a, "u/")
	a = strings.TrimPrefix(a, "/u/")
	if k := strings.IndexByte(a, '@'); k > 0 {
		a = a[:k] // a Mastodon handle: user@instance
	}
	return strings.Join(Fold(a), " ")
}

// --- parser

// node is a parsed expression: a literal, an AND or an OR of nodes.
type node struct {
	op   tokKind // tokAtom, tokAnd or tokOr
	lit  literal
	kids []*node
	pos  int
}

type parser struct {
	toks []qtoken
	i    int
	q    *Query
	end  int // the position just after the query, for errors at its end
}

func (p *parser) peek() *qtoken {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *parser) pos() int {
	if t := p.peek(); t != nil {
		return t.pos
	}
	return p.end
}

func (p *parser) parseOr() (*node, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t != nil && t.kind == tokOr; t = p.peek() {
		orPos := t.pos
		p.i++
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if right == nil {
			return nil, &QueryError{orPos, "OR needs a word, a \"phrase\" or a #hashtag on its right (exclusions apply to the whole query)"}
		}
		if left == nil {
			return nil, &QueryError{orPos, "OR needs a word, a \"phrase\" or a #hashtag on its left (exclusions apply to the whole query)"}
		}
		if left.op == tokOr {
			left.kids = append(left.kids, right)
		} else {
			left = &node{op: tokOr, kids: []*node{left, right}, pos: left.pos}
		}
	}
	return left, nil
}

// parseAnd reads terms side by side until OR, ')' or the end. Exclusions are
// taken out of the expression into the query's excludes. It returns nil when
// nothing but exclusions was there.
func (p *parser) parseAnd() (*node, error) {
	var kids []*node
	start := p.pos()
	for {
		t := p.peek()
		if t == nil || t.kind == tokOr || t.kind == tokRParen {
			break
		}
		switch t.kind {
		case tokAnd:
			p.i++
			if n := p.peek(); n == nil || n.kind == tokOr || n.kind == tokRParen || (len(kids) == 0 && len(p.q.excludes) == 0) {
				return nil, &QueryError{t.pos, "AND needs something to look for on both sides"}
			}
			continue
		case tokLParen:
			p.i++
			inner, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			c := p.peek()
			if c == nil || c.kind != tokRParen {
				return nil, &QueryError{t.pos, "this '(' is never closed: add a ')'"}
			}
			p.i++
			if inner == nil {
				return nil, &QueryError{t.pos, "these parentheses have nothing to look for inside"}
			}
			kids = append(kids, inner)
		case tokAtom:
			p.i++
			if t.neg {
				p.q.excludes = append(p.q.excludes, t.lit)
				continue
			}
			kids = append(kids, &node{op: tokAtom, lit: t.lit, pos: t.pos})
		}
	}
	switch len(kids) {
	case 0:
		return nil, nil
	case 1:
		return kids[0], nil
	}
	return &node{op: tokAnd, kids: kids, pos: start}, nil
}

// expand rewrites a node as OR of ANDs (the alternatives).
func expand(n *node) ([]branch, error) {
	switch n.op {
	case tokAtom:
		return []branch{{lits: []literal{n.lit}, pos: n.pos}}, nil
	case tokOr:
		var out []branch
		for _, k := range n.kids {
			bs, err := expand(k)
			if err != nil {
				return nil, err
			}
			out = append(out, bs...)
			if len(out) > maxBranches {
				return nil, &QueryError{n.pos, fmt.Sprintf("this query has more than %d alternatives once its parentheses are expanded: split it into several queries", maxBranches)}
			}
		}
		return out, nil
	}
	out := []branch{{pos: n.pos}}
	for _, k := range n.kids {
		bs, err := expand(k)
		if err != nil {
			return nil, err
		}
		if len(out)*len(bs) > maxBranches {
			return nil, &QueryError{n.pos, fmt.Sprintf("this query has more than %d alternatives once its parentheses are expanded: split it into several queries", maxBranches)}
		}
		next := make([]branch, 0, len(out)*len(bs))
		for _, a := range out {
			for _, b := range bs {
				lits := make([]literal, 0, len(a.lits)+len(b.lits))
				lits = append(append(lits, a.lits...), b.lits...)
				next = append(next, branch{lits: lits, pos: a.pos})
			}
		}
		out = next
	}
	return out, nil
}
