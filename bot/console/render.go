package console

import (
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// entry is one thing the console prints, in the form DESIGN.md fixes:
//
//	[slack #product] s4 (thread s2) (to bob) edited liaison: first line [Button]
//	    further lines, indented
//
// Every part but the place is optional.
type entry struct {
	platform string // bot.PlatformSlack or bot.PlatformDiscord
	channel  string // "#product", or "@carol" for a direct message
	ref      string // s4, d1
	parent   string // the ref of the thread (Slack) or the message replied to (Discord)
	to       string // the one person who sees it
	mark     string // "edited", "deleted", "+✅"
	author   string
	action   string   // printed after the author without a colon: "clicked [Close] on s2"
	lines    []string // the message, line by line
	pings    string   // "(pings: nobody)": whom a message Liaison posts notifies
	buttons  []bot.Button
}

// indent starts every line of a message after its first.
//
// A message with pings shows them on a line of their own after its text,
// and its buttons on the next; a message of one line without pings shows
// its buttons after the text.
const indent = "    "

func (e entry) String() string {
	var b strings.Builder
	b.WriteString("[" + e.platform + " " + e.channel + "]")
	word := func(s string) {
		if s != "" {
			b.WriteString(" " + s)
		}
	}
	word(e.ref)
	if e.parent != "" {
		kind := "thread"
		if e.platform == bot.PlatformDiscord {
			kind = "reply"
		}
		word("(" + kind + " " + e.parent + ")")
	}
	if e.to != "" {
		word("(to " + e.to + ")")
	}
	word(e.mark)
	word(e.author)
	word(e.action)
	lines := e.lines
	if e.pings != "" {
		lines = append(slices.Clip(lines), e.pings)
	}
	buttons := buttonsText(e.buttons)
	if len(lines) <= 1 && buttons != "" && e.pings == "" {
		lines = []string{strings.TrimSpace(strings.Join(lines, "") + " " + buttons)}
		buttons = ""
	}
	if len(lines) > 0 {
		b.WriteString(": " + lines[0])
	}
	for _, l := range lines[min(1, len(lines)):] {
		b.WriteString("\n" + strings.TrimRight(indent+l, " "))
	}
	if buttons != "" {
		b.WriteString("\n" + indent + buttons)
	}
	return b.String()
}

func buttonsText(bs []bot.Button) string {
	parts := make([]string, len(bs))
	for i, btn := range bs {
		parts[i] = "[" + btn.Label + "]"
	}
	return strings.Join(parts, " ")
}

// postLines renders a post, one piece after another: the people it notifies
// (@name, before the first line), the title, the text, the quote (each line
// starting "> "), the fields ("Name: value"), the sections (the heading,
// then "- line" or "- line <url>"), the link ("label <url>") and the small
// print. Buttons are the entry's. name turns a user id into the
// name people know.
func postLines(p bot.Post, name func(id string) string) []string {
	var lines []string
	add := func(s string) {
		if s != "" {
			lines = append(lines, split(s)...)
		}
	}
	add(p.Title)
	add(p.Text)
	if p.Quote != "" {
		for _, l := range split(p.Quote) {
			lines = append(lines, strings.TrimRight("> "+l, " "))
		}
	}
	for _, f := range p.Fields {
		add(f.Name + ": " + f.Value)
	}
	for _, sec := range p.Sections {
		add(sec.Title)
		for _, l := range sec.Lines {
			if l.URL != "" {
				add("- " + l.Text + " <" + l.URL + ">")
			} else {
				add("- " + l.Text)
			}
		}
	}
	if p.Link != nil {
		if p.Link.Label != "" {
			add(p.Link.Label + " <" + p.Link.URL + ">")
		} else {
			add("<" + p.Link.URL + ">")
		}
	}
	add(p.Context)
	if len(p.Notify) > 0 {
		mentions := make([]string, len(p.Notify))
		for i, id := range p.Notify {
			mentions[i] = "@" + name(id)
		}
		m := strings.Join(mentions, " ")
		if len(lines) == 0 {
			lines = []string{m}
		} else {
			lines[0] = m + " " + lines[0]
		}
	}
	return lines
}

// uploadLines renders a file: its comment, then [file NAME].
func uploadLines(u bot.Upload) []string {
	var lines []string
	if u.Comment != "" {
		lines = split(u.Comment)
	}
	return append(lines, "[file "+u.Filename+"]")
}

// modalLines renders a form that opened for person: its title, one line per
// field ("id: Label", "(optional)", the prefilled value quoted), and how to
// send it.
func modalLines(m *bot.Modal, person string) []string {
	lines := []string{"[form " + m.Title + "]"}
	hint := "reply with: submit " + person
	for _, f := range m.Fields {
		l := f.ID + ": " + f.Label
		if f.Optional {
			l += " (optional)"
		}
		if f.Value != "" {
			l += " = " + strconv.Quote(f.Value)
		}
		lines = append(lines, l)
		hint += " " + f.ID + "=…"
	}
	return append(lines, hint)
}

// split cuts text into lines, dropping a final newline.
func split(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// quoteValue writes a submitted value as it would be typed: quoted when it
// has spaces, quotes or nothing.
func quoteValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\"\n\\") {
		return strconv.Quote(v)
	}
	return v
}
