package watchsrc

import (
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot/watch"
)

// maxText caps an item's text: the matcher reads title and text, and a post
// quotes an excerpt, so a whole article body is never needed.
const maxText = 20000

// plainText turns an HTML fragment (a feed's description, a Mastodon post, a
// Stack Exchange body) into plain text: tags dropped, script and style
// content dropped, block ends and <br> as line breaks, entities decoded,
// runs of blanks collapsed.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return tidySpace(s)
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 { // a lone '<' is text
			b.WriteString(s)
			break
		}
		tag := strings.ToLower(strings.TrimLeft(s[1:end], "/ "))
		if f := strings.IndexAny(tag, " \t\n/"); f >= 0 {
			tag = tag[:f]
		}
		s = s[end+1:]
		switch tag {
		case "script", "style":
			if close := strings.Index(strings.ToLower(s), "</"+tag); close >= 0 {
				s = s[close:]
				if e := strings.IndexByte(s, '>'); e >= 0 {
					s = s[e+1:]
				}
			}
		case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre":
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
	}
	return tidySpace(html.UnescapeString(b.String()))
}

// tidySpace collapses blanks within lines and empty lines, and trims.
func tidySpace(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// tidy makes a page of items safe to hand on: one item per id (the first
// seen; a page may carry the same item twice), no item without an id, no
// publication time after now (a clock or a feed in the future would
// otherwise pin a cursor there), valid UTF-8, bounded text.
func tidy(items []watch.Item, now time.Time) []watch.Item {
	seen := make(map[string]bool, len(items))
	out := items[:0]
	for _, it := range items {
		if it.ID == "" || seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		if it.Published.IsZero() || it.Published.After(now) {
			it.Published = now
		}
		it.Published = it.Published.UTC()
		it.Title = cut(strings.ToValidUTF8(it.Title, "\uFFFD"), 1000)
		it.Text = cut(strings.ToValidUTF8(it.Text, "\uFFFD"), maxText)
		it.Author = cut(strings.ToValidUTF8(it.Author, "\uFFFD"), 200)
		out = append(out, it)
	}
	return out
}

// searchText builds a free-text search from a Search's positive terms:
// words as written, phrases in double quotes, hashtags as words. Sources are
// only a pre-filter; the matcher decides.
func searchText(s watch.Search) string {
	var parts []string
	seen := map[string]bool{}
	add := func(p string) {
		if k := strings.ToLower(p); p != "" && !seen[k] {
			seen[k] = true
			parts = append(parts, p)
		}
	}
	for _, t := range s.Terms {
		add(t)
	}
	for _, p := range s.Phrases {
		add(`"` + strings.ReplaceAll(p, `"`, "") + `"`)
	}
	for _, h := range s.Hashtags {
		add(strings.TrimPrefix(h, "#"))
	}
	return strings.Join(parts, " ")
}
