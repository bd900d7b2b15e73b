package console

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/liaison-bot/liaison/bot"
)

// resolver turns what a person typed for an option of type "user" or
// "channel" into a Discord id, or says why it cannot.
type resolver func(typ, value string) (string, error)

// commandOptions reads the options of a Discord slash command typed as args:
// positional in the spec's declared order, or name:value in any order; the
// last text option takes the rest of the line, as typed. Values are checked
// against their type, users and channels resolved to ids, and the options
// returned in declared order, as Discord sends them.
func commandOptions(spec bot.CommandSpec, args string, resolve resolver) ([]bot.Option, error) {
	toks, err := tokenize(args)
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	named := make([]bool, len(toks))
	for i, t := range toks {
		name, value, ok := strings.Cut(t.text, ":")
		if !ok || !strings.HasPrefix(t.raw, name+":") {
			continue // no colon, or one inside quotes: a positional value
		}
		if o, found := specOption(spec, name); found {
			if _, dup := values[o.Name]; dup {
				return nil, fmt.Errorf("/%s was given %s twice: give each option once", spec.Name, o.Name)
			}
			values[o.Name], named[i] = value, true
		}
	}
	rest := restOption(spec, values)
	if err := floatDuration(spec, toks, named, values); err != nil {
		return nil, err
	}
	next := 0                       // the next option a positional value fills
	byPosition := map[string]bool{} // the options positional values filled
	for i := 0; i < len(toks); i++ {
		if named[i] {
			continue
		}
		for next < len(spec.Options) && hasValue(values, spec.Options[next].Name) {
			next++
		}
		if next == len(spec.Options) {
			return nil, fmt.Errorf("/%s takes %s; %q is one value too many (quote a value that has spaces)%s", spec.Name, usage(spec), toks[i].text, example(spec))
		}
		o := spec.Options[next]
		byPosition[o.Name] = true
		if o.Name == rest {
			trailing(spec, next, toks[i+1:], named[i+1:], values, resolve)
			values[o.Name] = restOfLine(toks[i:], named[i:])
			break
		}
		values[o.Name] = toks[i].text
	}
	var out []bot.Option
	for _, o := range spec.Options {
		v, ok := values[o.Name]
		if !ok {
			if o.Required {
				if err := notADuration(spec, values, byPosition); err != nil {
					return nil, err
				}
				return nil, fmt.Errorf("/%s needs %s: type /%s %s%s", spec.Name, o.Name, spec.Name, usage(spec), example(spec))
			}
			continue
		}
		v, err := optionValue(spec, o, v, resolve)
		if err != nil {
			return nil, err
		}
		out = append(out, bot.Option{Name: o.Name, Value: v})
	}
	return out, nil
}

// subcommand splits the subcommand a command of subcommands starts with
// from its options, and returns the subcommand's spec, named "giveaway
// start" in what it says.
func subcommand(spec bot.CommandSpec, args string) (bot.CommandSpec, string, string, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	names := make([]string, len(spec.Subcommands))
	for i, sub := range spec.Subcommands {
		names[i] = sub.Name
	}
	sub, ok := spec.Sub(strings.ToLower(name))
	if !ok {
		return bot.CommandSpec{}, "", "", fmt.Errorf("/%s needs one of %s first, like /%s %s", spec.Name, strings.Join(names, ", "), spec.Name, names[0])
	}
	sub.Name = spec.Name + " " + sub.Name
	return sub, sub.Name[len(spec.Name)+1:], rest, nil
}

// optionValue checks v against o's type.
func optionValue(spec bot.CommandSpec, o bot.OptionSpec, v string, resolve resolver) (string, error) {
	switch o.Type {
	case "user", "channel", "role":
		return resolve(o.Type, v)
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", fmt.Errorf("/%s %s takes a whole number, not %q", spec.Name, o.Name, v)
		}
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "yes":
			return "true", nil
		case "false", "no":
			return "false", nil
		}
		return "", fmt.Errorf("/%s %s takes true or false, not %q", spec.Name, o.Name, v)
	}
	return v, nil
}

// restOption names the text option a positional value takes the rest of
// the line with: the last text option not given by name, or, before
// optional ones, the last required one (/ban user reason [duration]: the
// reason), unless that is a duration, one word. None when the last text
// option is given by name.
func restOption(spec bot.CommandSpec, values map[string]string) string {
	rest := ""
	for i := len(spec.Options) - 1; i >= 0; i-- {
		o := spec.Options[i]
		if o.Type != "string" && o.Type != "" {
			continue
		}
		if hasValue(values, o.Name) {
			return rest
		}
		if o.Required {
			if o.Name == "duration" {
				// One word: the values after it are the next options'
				// (/giveaway start Mug 1d 2: two winners), and the last
				// text option takes the rest.
				return rest
			}
			return o.Name
		}
		if rest == "" {
			rest = o.Name
		}
	}
	return rest
}

// floatDuration lets a command's duration option, typed positionally, come
// right after the user or last, when it reads as a duration (/ban mallory
// 7d raid spam, /ban mallory raid spam 7d, /timeout mallory spam 10m), as
// people type it in Slack. It marks the token taken as named. Named
// options (and real Discord, whose options are all named) are never
// reinterpreted. When the duration may be left out, a word there that
// reads as a mistyped duration (7dd, 3days) is refused: taken as the
// reason's, it made /ban mallory spam 7dd a ban for good.
func floatDuration(spec bot.CommandSpec, toks []token, named []bool, values map[string]string) error {
	if len(spec.Options) == 0 || spec.Options[0].Type != "user" || hasValue(values, "duration") {
		return nil
	}
	d, ok := specOption(spec, "duration")
	if !ok {
		return nil
	}
	var pos []int
	for i := range toks {
		if !named[i] {
			pos = append(pos, i)
		}
	}
	isDuration := func(i int) bool {
		_, err := bot.ParseDuration(toks[i].text)
		return toks[i].text == toks[i].raw && err == nil && toks[i].text != "0"
	}
	pick, n := -1, len(pos)
	_, deletes := specOption(spec, "delete_messages")
	deletes = deletes && !hasValue(values, "delete_messages")
	switch {
	case n >= 2 && isDuration(pos[1]):
		pick = pos[1]
	case deletes && n >= 4 && isDuration(pos[n-2]) && isDuration(pos[n-1]):
		// /ban mallory harassment 7d 1d: how long, then how much of
		// their messages to delete, as the options are declared.
		pick = pos[n-2]
		values["delete_messages"], named[pos[n-1]] = toks[pos[n-1]].text, true
	case n >= 3 && isDuration(pos[n-1]):
		pick = pos[n-1]
	}
	if pick >= 0 {
		values["duration"], named[pick] = toks[pick].text, true
		return nil
	}
	// A required duration takes its place in the declared order, where
	// the command itself says what is wrong with it (/timeout).
	for _, i := range []int{1, n - 1} {
		if n < 3 || d.Required {
			break
		}
		t := toks[pos[i]]
		if _, err := bot.ParseDuration(t.text); err != nil && t.text == t.raw && mistypedDuration(t.text) {
			return fmt.Errorf("%s Type /%s %s, and quote a reason that starts or ends with such a word", bot.Sentence(bot.ErrorMessage(err)), spec.Name, usage(spec))
		}
	}
	return nil
}

// mistypedDuration reports whether a word that is no duration reads as one
// mistyped: a number followed by letters (7dd, 3days, 10mins), but not an
// ordinal (2nd).
func mistypedDuration(w string) bool {
	i := 0
	for i < len(w) && w[i] >= '0' && w[i] <= '9' {
		i++
	}
	if i == 0 || i == len(w) {
		return false
	}
	switch strings.ToLower(w[i:]) {
	case "st", "nd", "rd", "th":
		return false
	}
	for _, r := range w[i:] {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// trailing gives the options declared after the one at index rest (which
// takes the rest of the line) their positional values from the end of
// the line, when they are not text and those values read as theirs:
// /slowmode 10 #general, /purge 50 mallory spam true. It marks the tokens
// taken as named. An option whose value does not fit is taken as left
// out; a text option stops it (its words are the rest's).
func trailing(spec bot.CommandSpec, rest int, toks []token, named []bool, values map[string]string, resolve resolver) {
	last := len(toks) - 1
	for j := len(spec.Options) - 1; j > rest; j-- {
		o := spec.Options[j]
		if o.Type == "string" || o.Type == "" {
			return
		}
		for last >= 0 && named[last] {
			last--
		}
		if last < 0 {
			return
		}
		if hasValue(values, o.Name) || toks[last].text != toks[last].raw {
			continue // given by name, or quoted: text
		}
		if _, err := optionValue(spec, o, toks[last].text, resolve); err == nil {
			values[o.Name], named[last] = toks[last].text, true
		}
	}
}

// notADuration explains a required option left missing because a word that
// is not a duration took the duration's place: /timeout mallory spamming
// lacks the duration, not the reason. It returns nil when the duration was
// not typed positionally, or reads as one.
func notADuration(spec bot.CommandSpec, values map[string]string, byPosition map[string]bool) error {
	o, ok := specOption(spec, "duration")
	if !ok || !byPosition[o.Name] {
		return nil
	}
	_, err := bot.ParseDuration(values[o.Name])
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s /%s needs one: type /%s %s%s", bot.Sentence(bot.ErrorMessage(err)), spec.Name, spec.Name, usage(spec), example(spec))
}

// restOfLine joins the positional tokens left, as typed; a single quoted
// one loses its quotes.
func restOfLine(toks []token, named []bool) string {
	var parts []token
	for i, t := range toks {
		if !named[i] {
			parts = append(parts, t)
		}
	}
	if len(parts) == 1 {
		return parts[0].text
	}
	raw := make([]string, len(parts))
	for i, t := range parts {
		raw[i] = t.raw
	}
	return strings.Join(raw, " ")
}

func specOption(spec bot.CommandSpec, name string) (bot.OptionSpec, bool) {
	for _, o := range spec.Options {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return bot.OptionSpec{}, false
}

func hasValue(values map[string]string, name string) bool {
	_, ok := values[name]
	return ok
}

// example is ", like: EXAMPLE" when the command has one.
func example(spec bot.CommandSpec) string {
	if spec.Example == "" {
		return ""
	}
	return ", like: " + spec.Example
}

// usage writes a command's options as "user reason [duration]".
func usage(spec bot.CommandSpec) string {
	parts := make([]string, len(spec.Options))
	for i, o := range spec.Options {
		parts[i] = o.Name
		if !o.Required {
			parts[i] = "[" + o.Name + "]"
		}
	}
	if len(parts) == 0 {
		return "no options"
	}
	return strings.Join(parts, " ")
}
