package console

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/liaison-bot/liaison/bot"
)

// Verbs: what an Input does.
const (
	VerbSay     = "say"     // a person posts a message
	VerbCommand = "command" // a person runs a slash command
	VerbReact   = "react"   // a person reacts to a message
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
	Channel  string        // say, command: the channel's name, without #
	Person   string        // say, command, react, click, menu, submit, edit: who does it
	Text     string        // say, edit: the message (\n starts a new line); command: what follows the command's name
	Command  string        // command: the command's name, without the slash
	Ref      string        // react, click, menu, edit, delete: the message (s2, d1)
	Emoji    string        // react: an emoji or a Slack shortcode, as typed
	Label    string        // click: the button's label; menu: the menu command's name
	Values   []bot.Option  // submit: the field=value pairs, in the order given
	Advance  time.Duration // clock: how much time passes
}

var verbs = []string{"discord", "slack", "react", "click", "menu", "submit", "edit", "delete", "clock", "help", "quit"}

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
	case "react":
		t, err := args(rest, 3, "react needs a message, an emoji and a person, like: react d1 👍 eve")
		if err != nil {
			return nil, err
		}
		if err := checkRef(t[0]); err != nil {
			return nil, err
		}
		return &Input{Verb: VerbReact, Ref: t[0], Emoji: t[1], Person: t[2]}, nil
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
		if s := suggest(strings.ToLower(word), verbs); s != "" {
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

func parseClock(rest string) (*Input, error) {
	const example = "clock +1h (or +30m, +2d, +1w)"
	t, err := args(rest, 1, "clock needs how much time passes, like: "+example)
	if err != nil {
		return nil, err
	}
	s := t[0]
	if strings.HasPrefix(s, "-") {
		return nil, fmt.Errorf("time only moves forward in the console: write %s", example)
	}
	d, err := bot.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return nil, fmt.Errorf("%s: write %s", bot.ErrorMessage(err), example)
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

// suggest returns the word nearest to w, if one is close enough to be a typo.
func suggest(w string, words []string) string {
	best, bestD := "", 3
	for _, c := range words {
		if d := distance(w, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	row := make([]int, len(rb)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			diag, row[j] = row[j], min(row[j]+1, row[j-1]+1, diag+cost)
		}
	}
	return row[len(rb)]
}
