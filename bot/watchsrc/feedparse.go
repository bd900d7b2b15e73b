package watchsrc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/htmlindex"
)

// FeedParser reads an RSS or Atom document. XMLFeeds is the one Liaison
// uses; the interface is where github.com/mmcdole/gofeed would plug in if it
// becomes available.
type FeedParser interface {
	// Parse returns the entries of body; on an error, those read before it.
	Parse(body []byte) ([]FeedEntry, error)
}

// FeedEntry is one entry of a feed, as written there.
type FeedEntry struct {
	ID        string // guid, Atom id, or RDF about
	Link      string
	Title     string
	Text      string // plain text
	Author    string
	Published time.Time // zero when the feed gives none or an unreadable one
}

// ErrNotAFeed is a document that is an HTML page (or something else) rather
// than RSS or Atom: usually a site's home page configured as its feed.
var ErrNotAFeed = errors.New("this is not an RSS or Atom feed (the server answered an HTML page or another document); check the feed's URL — a site's feed is often at /feed, /rss or /atom.xml")

// XMLFeeds parses RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 with encoding/xml.
// Entries are read one at a time, so a document cut short (a body over
// MaxBody) still yields the entries before the cut.
type XMLFeeds struct{}

var _ FeedParser = XMLFeeds{}

type rssLink struct {
	XMLName xml.Name
	Href    string `xml:"href,attr"`
	Rel     string `xml:"rel,attr"`
	Text    string `xml:",chardata"`
}

type rssItem struct {
	Title       string    `xml:"title"`
	Links       []rssLink `xml:"link"`
	Description string    `xml:"description"`
	Content     string    `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	GUID        string    `xml:"guid"`
	PubDate     string    `xml:"pubDate"`
	DCDate      string    `xml:"http://purl.org/dc/elements/1.1/ date"`
	Author      string    `xml:"author"`
	Creator     string    `xml:"http://purl.org/dc/elements/1.1/ creator"`
	About       string    `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# about,attr"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Text  string `xml:",chardata"`
	Inner string `xml:",innerxml"`
}

func (t atomText) plain() string {
	if t.Type == "xhtml" {
		return plainText(t.Inner)
	}
	return plainText(t.Text)
}

type atomEntry struct {
	ID        string    `xml:"id"`
	Title     atomText  `xml:"title"`
	Links     []rssLink `xml:"link"`
	Summary   atomText  `xml:"summary"`
	Content   atomText  `xml:"content"`
	Published string    `xml:"published"`
	Updated   string    `xml:"updated"`
	Authors   []struct {
		Name string `xml:"name"`
	} `xml:"author"`
}

// Parse reads body. It fails on an HTML page (ErrNotAFeed) and on malformed
// XML; with the error it returns the whole entries read before it, which a
// caller keeps when it knows the body was cut there (over MaxBody).
func (XMLFeeds) Parse(body []byte) ([]FeedEntry, error) {
	if looksLikeHTML(body) {
		return nil, ErrNotAFeed
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = xml.HTMLEntity // &nbsp; and friends appear in real feeds
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(label)
		if err != nil {
			return nil, fmt.Errorf("unknown character set %q", label)
		}
		return enc.NewDecoder().Reader(r), nil
	}
	var out []FeedEntry
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("malformed XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = strings.ToLower(se.Name.Local)
			if root != "rss" && root != "rdf" && root != "feed" {
				return nil, ErrNotAFeed
			}
			continue
		}
		var e FeedEntry
		switch se.Name.Local {
		case "item":
			var it rssItem
			if err := d.DecodeElement(&it, &se); err != nil {
				return out, fmt.Errorf("malformed XML in an item: %w", err)
			}
			e = FeedEntry{ID: strings.TrimSpace(cmpOr(it.GUID, it.About)), Title: plainText(it.Title),
				Text: plainText(cmpOr(it.Content, it.Description)), Author: strings.TrimSpace(cmpOr(it.Creator, it.Author)),
				Published: parseFeedTime(cmpOr(it.PubDate, it.DCDate))}
			for _, l := range it.Links {
				if v := strings.TrimSpace(l.Text); v != "" {
					e.Link = v
					break
				}
				if l.Href != "" && (l.Rel == "" || l.Rel == "alternate") && e.Link == "" {
					e.Link = l.Href
				}
			}
		case "entry":
			var it atomEntry
			if err := d.DecodeElement(&it, &se); err != nil {
				return out, fmt.Errorf("malformed XML in an entry: %w", err)
			}
			e = FeedEntry{ID: strings.TrimSpace(it.ID), Title: it.Title.plain(), Text: it.Content.plain(),
				Published: parseFeedTime(cmpOr(it.Published, it.Updated))}
			if e.Text == "" {
				e.Text = it.Summary.plain()
			}
			if len(it.Authors) > 0 {
				e.Author = strings.TrimSpace(it.Authors[0].Name)
			}
			for _, l := range it.Links {
				if l.Rel == "" || l.Rel == "alternate" {
					e.Link = strings.TrimSpace(l.Href)
					break
				}
			}
		default:
			continue
		}
		if e.ID == "" {
			e.ID = e.Link
		}
		if e.ID == "" && e.Title == "" {
			continue // nothing to know it by
		}
		if e.ID == "" {
			e.ID = "title:" + e.Title
		}
		out = append(out, e)
	}
	if root == "" {
		return nil, ErrNotAFeed
	}
	return out, nil
}

// looksLikeHTML recognises an HTML page by its first tag.
func looksLikeHTML(body []byte) bool {
	s := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	head := strings.ToLower(string(s[:min(len(s), 512)]))
	for strings.HasPrefix(head, "<!--") { // comments before the root
		end := strings.Index(head, "-->")
		if end < 0 {
			break
		}
		head = strings.TrimLeft(head[end+3:], " \t\r\n")
	}
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

var feedTimeLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC3339, time.RFC3339Nano, time.RFC822Z, time.RFC822,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700",
	"Mon, 02 Jan 06 15:04:05 -0700", "Mon, 2 Jan 2006 15:04 -0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05",
	"2006-01-02T15:04:05-0700", "2006-01-02",
}

// parseFeedTime reads the dates feeds write, in the many layouts they use;
// an unreadable one is the zero time (the item is then dated when fetched).
func parseFeedTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range feedTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
