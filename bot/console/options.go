package console

import (
	"fmt"
	"strconv"
	"strings"

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
	floatDuration(spec, toks, named, values)
	next := 0 // the next option a positional value fills
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
		if o.Name == rest {
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
// reason). None when the last text option is given by name.
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
// reinterpreted.
func floatDuration(spec bot.CommandSpec, toks []token, named []bool, values map[string]string) {
	if len(spec.Options) == 0 || spec.Options[0].Type != "user" || hasValue(values, "duration") {
		return
	}
	if _, ok := specOption(spec, "duration"); !ok {
		return
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
	pick := -1
	switch {
	case len(pos) >= 2 && isDuration(pos[1]):
		pick = pos[1]
	case len(pos) >= 3 && isDuration(pos[len(pos)-1]):
		pick = pos[len(pos)-1]
	}
	if pick >= 0 {
		values["duration"], named[pick] = toks[pick].text, true
	}
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
