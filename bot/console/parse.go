package console

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/watch"
)

// Verbs: what an Input does.
const (
	VerbSay     = "say"     // a person posts a message
	VerbCommand = "command" // a person runs a slash command
	VerbReact   = "react"   // a person reacts to a message
	VerbUnreact = "unreact" // a person removes their reaction
	VerbReply   = "reply"   // a person answers a message: a Discord reply, a Slack thread reply
	VerbThread  = "thread"  // a person writes in the thread started on a Discord message
	VerbPost    = "post"    // a person opens a post in a Discord forum
	VerbJoin    = "join"    // someone joins the Discord server
	VerbLeave   = "leave"   // someone leaves the Discord server
	VerbFeed    = "feed"    // a web source fetches an item
	VerbDM      = "dm"      // a member writes to Liaison in private (a Discord DM)
	VerbClick   = "click"   // a person clicks a button
	VerbMenu    = "menu"    // a person uses a message menu command
	VerbSubmit  = "submit"  // a person sends the form opened for them
	VerbEdit    = "edit"    // a person edits their message
	VerbDelete  = "delete"  // a message is deleted
	VerbClock   = "clock"   // time passes
	VerbHelp    = "help"    // the syntax is printed
	VerbQuit    = "quit"    // the console stops
)

// Input is one console line, parsed. Which fields are set depends on Verb.
type Input struct {
	Verb     string
	Platform string        // say, command: bot.PlatformSlack or bot.PlatformDiscord
	Channel  string        // say, command, post: the channel's name, without #
	Person   string        // every verb but delete, clock, help and quit: who does it
	Text     string        // say, edit, reply, thread, post: the message (\n starts a new line); command: what follows the command's name
	Title    string        // post: the forum post's title
	Command  string        // command: the command's name, without the slash
	Ref      string        // react, unreact, click, menu, edit, delete, reply, thread: the message (s2, d1)
	Emoji    string        // react, unreact: an emoji or a Slack shortcode, as typed
	Label    string        // click: the button's label; menu: the menu command's name
	Values   []bot.Option  // submit: the field=value pairs, in the order given
	Advance  time.Duration // clock +DURATION: how much time passes
	At       time.Time     // clock TIME: the time it becomes (zero for clock +DURATION)
	Age      time.Duration // join: how old the newcomer's account is (0: not given)
	Source   string        // feed: the watch source id (hn, reddit…)
	URL      string        // feed: the item's address
}

var verbs = []string{"discord", "slack", "react", "unreact", "reply", "thread", "post", "click", "menu", "submit", "edit", "delete", "join", "leave", "dm", "feed", "clock", "help", "quit"}

var refPattern = regexp.MustCompile(`^[sd][1-9][0-9]*$`)

// Parse reads one console line. A blank line or a comment (# …) gives nil
// and no error. The error of a line that cannot be read says what was wrong
// and shows the right form.
func Parse(line string) (*Input, error) {
	s := strings.TrimSpace(line)
	if s == "" || strings.HasPrefix(s, "#") {
		return nil, nil
	}
	word, rest := cutWord(s)
	switch verb := strings.ToLower(word); verb {
	case "discord", "slack":
		return parseSay(verb, rest)
	case "react", "unreact":
		t, err := args(rest, 3, fmt.Sprintf("%s needs a message, an emoji and a person, like: %s d1 👍 eve", verb, verb))
		if err != nil {
			return nil, err
		}
		if err := checkRef(t[0]); err != nil {
			return nil, err
		}
		return &Input{Verb: verb, Ref: t[0], Emoji: t[1], Person: t[2]}, nil
	case "reply", "thread":
		example := verb + " d1 bob: thanks, we are on it"
		ref, text := cutWord(rest)
		if ref == "" {
			return nil, fmt.Errorf("%s needs a message, who writes and the text, like: %s", verb, example)
		}
		if err := checkRef(ref); err != nil {
			return nil, err
		}
		person, text, err := personAndText(text, example)
		if err != nil {
			return nil, err
		}
		return &Input{Verb: verb, Ref: ref, Person: person, Text: text}, nil
	case "post":
		return parsePost(rest)
	case "feed":
		return parseFeed(rest)
	case "join":
		return parseJoin(rest)
	case "dm":
		person, text, err := personAndText(rest, "dm mallory: someone keeps messaging me")
		if err != nil {
			return nil, err
		}
		return &Input{Verb: VerbDM, Person: person, Text: text}, nil
	case "leave":
		t, err := args(rest, 1, "leave needs one person, like: leave eve")
		if err != nil {
			return nil, err
		}
		return &Input{Verb: VerbLeave, Person: t[0]}, nil
	case "click", "menu":
		example := `click s2 "Acknowledge" bob`
		if verb == "menu" {
			example = `menu d1 "Send to product" bob`
		}
		t, err := args(rest, 3, fmt.Sprintf("%s needs a message, a quoted label and a person, like: %s", verb, example))
		if err != nil {
			return nil, err
		}
		if err := checkRef(t[0]); err != nil {
			return nil, err
		}
		return &Input{Verb: verb, Ref: t[0], Label: t[1], Person: t[2]}, nil
	case "submit":
		return parseSubmit(rest)
	case "edit":
		ref, text := cutWord(rest)
		if ref == "" {
			return nil, errors.New(`edit needs a message, its author and the new text, like: edit d1 alice: the export button crashes on Safari`)
		}
		if err := checkRef(ref); err != nil {
			return nil, err
		}
		person, text, err := personAndText(text, "edit d1 alice: the new text")
		if err != nil {
			return nil, err
		}
		return &Input{Verb: VerbEdit, Ref: ref, Person: person, Text: text}, nil
	case "delete":
		t, err := args(rest, 1, "delete needs one message, like: delete d1")
		if err != nil {
			return nil, err
		}
		if err := checkRef(t[0]); err != nil {
			return nil, err
		}
		return &Input{Verb: VerbDelete, Ref: t[0]}, nil
	case "clock":
		return parseClock(rest)
	case "help":
		return &Input{Verb: VerbHelp}, nil
	case "quit", "exit":
		return &Input{Verb: VerbQuit}, nil
	default:
		msg := fmt.Sprintf("%q is not something the console understands: start a line with %s, %s or %s (type help for examples)",
			word, strings.Join(verbs[:len(verbs)-2], ", "), verbs[len(verbs)-2], verbs[len(verbs)-1])
		if s := bot.Closest(strings.ToLower(word), verbs, 2); s != "" {
			msg = fmt.Sprintf("%q is not something the console understands: did you mean %s? (type help for examples)", word, s)
		}
		return nil, errors.New(msg)
	}
}

// parseSay reads "#channel name: text" after discord or slack.
func parseSay(platform, rest string) (*Input, error) {
	example := "discord #feedback alice: the export button crashes"
	if platform == bot.PlatformSlack {
		example = "slack #product bob: /liaison help"
	}
	if !strings.HasPrefix(rest, "#") {
		return nil, fmt.Errorf("name the channel after %s, with its #, like: %s", platform, example)
	}
	channel, rest := cutWord(rest)
	channel = strings.TrimPrefix(channel, "#")
	if channel == "" {
		return nil, fmt.Errorf("name the channel after the #, like: %s", example)
	}
	person, text, err := personAndText(rest, example)
	if err != nil {
		return nil, err
	}
	in := &Input{Verb: VerbSay, Platform: platform, Channel: channel, Person: person, Text: text}
	if strings.HasPrefix(text, "/") {
		name, args := cutWord(text[1:])
		if name == "" {
			return nil, fmt.Errorf("name the command after the /, like: %s", example)
		}
		in.Verb, in.Command, in.Text = VerbCommand, name, args
	}
	return in, nil
}

// personAndText reads "name: text".
func personAndText(s, example string) (string, string, error) {
	person, text, ok := strings.Cut(s, ":")
	person = strings.TrimSpace(person)
	if !ok || person == "" {
		return "", "", fmt.Errorf("write who is speaking, then a colon, then the text, like: %s", example)
	}
	if strings.ContainsFunc(person, unicode.IsSpace) {
		return "", "", fmt.Errorf("%q is not one person's name: write one name, then a colon, like: %s", person, example)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", "", fmt.Errorf("%s says nothing: write the text after the colon, like: %s", person, example)
	}
	return person, strings.ReplaceAll(text, `\n`, "\n"), nil
}

func parseSubmit(rest string) (*Input, error) {
	const example = `submit carol reason="too harsh for a first reply"`
	toks, err := tokenize(rest)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("submit needs the person whose form it is, then field=value pairs, like: %s", example)
	}
	in := &Input{Verb: VerbSubmit, Person: toks[0].text}
	for _, t := range toks[1:] {
		field, value, ok := strings.Cut(t.text, "=")
		if !ok || field == "" || strings.ContainsAny(t.raw[:strings.IndexByte(t.raw, '=')+1], `"`) {
			return nil, fmt.Errorf("%q is not a field=value pair: write each field's id, =, and its value (quoted if it has spaces), like: %s", t.raw, example)
		}
		in.Values = append(in.Values, bot.Option{Name: field, Value: strings.ReplaceAll(value, `\n`, "\n")})
	}
	return in, nil
}

// parsePost reads "#forum name: title | text" after post.
func parsePost(rest string) (*Input, error) {
	const example = "post #ideas alice: Dark mode | please add a dark theme"
	if !strings.HasPrefix(rest, "#") {
		return nil, errors.New("name the forum after post, with its #, like: " + example)
	}
	channel, rest := cutWord(rest)
	channel = strings.TrimPrefix(channel, "#")
	if channel == "" {
		return nil, errors.New("name the forum after the #, like: " + example)
	}
	person, text, err := personAndText(rest, example)
	if err != nil {
		return nil, err
	}
	title, text, ok := strings.Cut(text, "|")
	title, text = strings.TrimSpace(title), strings.TrimSpace(text)
	if !ok || title == "" || text == "" {
		return nil, errors.New("a forum post has a title and a text, separated by |, like: " + example)
	}
	if strings.Contains(title, "\n") {
		return nil, errors.New("a forum post's title is one line: put \\n in the text after the |, like: " + example)
	}
	return &Input{Verb: VerbPost, Channel: channel, Person: person, Title: title, Text: text}, nil
}

// parseFeed reads "SOURCE AUTHOR: TITLE | URL | TEXT" after feed.
func parseFeed(rest string) (*Input, error) {
	const example = "feed hn jdoe: Acme Cloud is down | https://news.ycombinator.com/item?id=1 | anyone else?"
	source, rest := cutWord(rest)
	if source == "" {
		return nil, errors.New("feed needs a source, an author, a title, a URL and a text, like: " + example)
	}
	if !slices.Contains(watch.Sources, source) {
		return nil, fmt.Errorf("%q is not a watch source: use %s, like: %s", source, strings.Join(watch.Sources, ", "), example)
	}
	person, text, err := personAndText(rest, example)
	if err != nil {
		return nil, err
	}
	parts := strings.SplitN(text, "|", 3)
	if len(parts) != 3 {
		return nil, errors.New("a fed item has a title, a URL and a text, separated by |, like: " + example)
	}
	title, link, body := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
	if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not a web address: give the item's URL, starting with https://, like: %s", link, example)
	}
	if title == "" && body == "" {
		return nil, errors.New("a fed item needs a title or a text, like: " + example)
	}
	return &Input{Verb: VerbFeed, Source: source, Person: person, Title: title, URL: link, Text: body}, nil
}

// defaultAge is how old the account of someone new to the world is when
// join does not say.
const defaultAge = 365 * 24 * time.Hour

// parseJoin reads "name [age DURATION]" after join.
func parseJoin(rest string) (*Input, error) {
	const usage = "join needs a person, and may say how old their account is, like: join zoe  or  join zoe age 2d"
	toks, err := tokenize(rest)
	if err != nil {
		return nil, err
	}
	if len(toks) != 1 && (len(toks) != 3 || !strings.EqualFold(toks[1].text, "age")) {
		return nil, errors.New(usage)
	}
	in := &Input{Verb: VerbJoin, Person: toks[0].text}
	if len(toks) == 3 {
		if in.Age, err = parseAge(toks[2].text); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// parseAge reads an account's age: a duration (2d, 6w, 36h), years (1y,
// of 365 days) or both (1y2w).
func parseAge(s string) (time.Duration, error) {
	typed := s
	bad := fmt.Errorf("%q is not an age: write it like 2d, 6w, 1y or 2y6w", typed)
	years, rest, hasYears := strings.Cut(s, "y")
	var d time.Duration
	if hasYears {
		n, err := strconv.Atoi(years)
		if err != nil || n < 0 || n > 100 {
			return 0, bad
		}
		d = time.Duration(n) * defaultAge
		s = rest
	}
	if s != "" {
		more, err := bot.ParseDuration(s)
		if err != nil {
			return 0, bad
		}
		d += more
	}
	if d <= 0 {
		return 0, fmt.Errorf("an account is older than nothing: write an age like 2d or 1y, not %q", typed)
	}
	return d, nil
}

// clockLayouts are the absolute times clock takes: RFC 3339, with or
// without seconds.
var clockLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00"}

func parseClock(rest string) (*Input, error) {
	const example = "clock +1h (or +30m, +2d, +1w), or clock 2026-11-24T10:00+01:00"
	t, err := args(rest, 1, "clock needs how much time passes, or the time it becomes, like: "+example)
	if err != nil {
		return nil, err
	}
	s := t[0]
	if len(s) >= 5 && strings.Trim(s[:4], "0123456789") == "" && s[4] == '-' {
		for _, layout := range clockLayouts {
			if at, err := time.Parse(layout, s); err == nil {
				return &Input{Verb: VerbClock, At: at}, nil
			}
		}
		return nil, fmt.Errorf("%q is not a time: write it in RFC 3339 with its offset, seconds optional, like 2026-11-24T10:00+01:00 or 2026-11-24T09:00:00Z", s)
	}
	if strings.HasPrefix(s, "-") {
		return nil, fmt.Errorf("time only moves forward in the console: write %s", example)
	}
	d, err := bot.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return nil, fmt.Errorf("%s Write %s", bot.Sentence(bot.ErrorMessage(err)), example)
	}
	return &Input{Verb: VerbClock, Advance: d}, nil
}

func checkRef(ref string) error {
	if !refPattern.MatchString(ref) {
		return fmt.Errorf("%q is not a message reference: use the s… or d… printed before a message, like s2 (Slack) or d1 (Discord)", ref)
	}
	return nil
}

// args tokenizes s and requires exactly n tokens.
func args(s string, n int, usage string) ([]string, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) != n {
		return nil, errors.New(usage)
	}
	out := make([]string, n)
	for i, t := range toks {
		out[i] = t.text
	}
	return out, nil
}

// cutWord splits s after its first word, trimming spaces.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// token is one word of a line: its text with quotes removed, and where it
// was, as typed.
type token struct {
	text       string
	raw        string
	start, end int // byte offsets of raw in the line
	quoted     bool
}

// tokenize splits s at spaces, shell-like: double quotes group words, in or
// after a word (reason="too harsh"), and \" and \\ escape inside quotes.
func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		var b strings.Builder
		t := token{start: i}
		inQuote := false
		for i < len(s) && (inQuote || (s[i] != ' ' && s[i] != '\t')) {
			c := s[i]
			switch {
			case c == '"':
				inQuote = !inQuote
				t.quoted = true
			case inQuote && c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				b.WriteByte(s[i])
			default:
				b.WriteByte(c)
			}
			i++
		}
		if inQuote {
			return nil, fmt.Errorf("a quote is not closed in %s: add the closing \"", s[t.start:])
		}
		t.end, t.text, t.raw = i, b.String(), s[t.start:i]
		toks = append(toks, t)
	}
	return toks, nil
}
