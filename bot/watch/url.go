package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// trackingParams are query parameters that only say where a click came
// from: two URLs that differ by them are the same page.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true, "msclkid": true, "yclid": true,
	"igshid": true, "mc_cid": true, "mc_eid": true, "ref": true, "ref_src": true, "ref_url": true, "referrer": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true, "oly_anon_id": true, "oly_enc_id": true, "vero_id": true,
	"s_cid": true, "cmpid": true, "spm": true, "share": true, "smid": true,
}

// Canonical returns the canonical form of a URL: scheme and host in lower
// case, default ports dropped, credentials and fragment removed,
// tracking parameters (utm_*, fbclid, gclid, ref…) stripped and the others
// sorted, and a trailing slash removed from the path. Two links to the same
// page give the same canonical URL.
func Canonical(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("canonical %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("canonical %q: not an http(s) URL", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(p == "80" && u.Scheme == "http") && !(p == "443" && u.Scheme == "https") {
		host += ":" + p
	}
	u.Host = host
	if u.Path != "/" {
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	}
	if u.Path == "/" {
		u.Path, u.RawPath = "", ""
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			delete(q, k)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := q[k]
		slices.Sort(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	u.RawQuery = b.String()
	u.ForceQuery = false
	return u.String(), nil
}

// URLHash is the dedupe key of a canonical URL: the hex SHA-256 of it
// without its scheme and "www.", so the http and https addresses of a page,
// with or without www, are one.
func URLHash(canonical string) string {
	_, rest, ok := strings.Cut(canonical, "://")
	if !ok {
		rest = canonical
	}
	rest = strings.TrimPrefix(rest, "www.")
	sum := sha256.Sum256([]byte(rest))
	return hex.EncodeToString(sum[:])
}

// Host returns a URL's host in lower case without "www.", or "".
func Host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// stopwords are common English and French words never proposed as an
// exclusion.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and for are but not you all any can had her was one our out has have
	this that with from they will would there their what about which when your them then than been were into
	more some such only also just like very most other over after before these those while where here how why
	les des une est pas que qui dans pour par sur avec plus mais comme tout tous cette ces son ses leur leurs
	nous vous ils elles sont ont aux fait faire etre avoir tres bien aussi donc alors chez encore deja entre
	http https www com org net html`) {
		stopwords[w] = true
	}
}

// DistinctiveWords returns up to n words of an item that best tell it
// apart from what the query looks for: folded words of at least four
// letters, neither stopwords nor the query's own words, most frequent
// first, then longest. "Not about us" proposes them as exclusions.
func DistinctiveWords(q *Query, title, text string, n int) []string {
	own := map[string]bool{}
	if q != nil {
		for _, b := range q.branches {
			for _, l := range b.lits {
				for _, w := range l.words {
					own[w] = true
				}
				if l.kind == litHashtag {
					own[l.value[1:]] = true
				}
			}
		}
	}
	counts := map[string]int{}
	var order []string
	for _, w := range Fold(title + "\n" + text) {
		if len(w) < 4 || stopwords[w] || own[w] || strings.Trim(w, "0123456789") == "" {
			continue
		}
		if counts[w] == 0 {
			order = append(order, w)
		}
		counts[w]++
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if counts[a] != counts[b] {
			return counts[a] > counts[b]
		}
		return len(a) > len(b)
	})
	if len(order) > n {
		order = order[:n]
	}
	return order
}
