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
	next := 0 // the next option a positional value fills
	for i := 0; i < len(toks); i++ {
		if named[i] {
			continue
		}
		for next < len(spec.Options) && hasValue(values, spec.Options[next].Name) {
			next++
		}
		if next == len(spec.Options) {
			return nil, fmt.Errorf("/%s takes %s; %q is one value too many (quote a value that has spaces)", spec.Name, usage(spec), toks[i].text)
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
				return nil, fmt.Errorf("/%s needs %s: type /%s %s", spec.Name, o.Name, spec.Name, usage(spec))
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

// restOption names the last text option not given by name: a positional
// value landing on it takes the rest of the line.
func restOption(spec bot.CommandSpec, values map[string]string) string {
	for i := len(spec.Options) - 1; i >= 0; i-- {
		o := spec.Options[i]
		if o.Type == "string" || o.Type == "" {
			if hasValue(values, o.Name) {
				return ""
			}
			return o.Name
		}
	}
	return ""
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
