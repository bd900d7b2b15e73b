package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// decoder walks a parsed YAML tree and fills a Config, collecting every error
// with its position and key path instead of stopping at the first.
type decoder struct {
	file string
	cfg  *Config
	errs Errors
	// after holds the checks that need the whole file: a section may name a
	// channel declared further down, or inherit the top-level timezone.
	after []func()
	// staffSet records that the file has a staff: list (else every person
	// of people: is staff).
	staffSet bool
}

// field is one key that a mapping accepts and how to decode its value.
// decode is not called when the key is absent or its value is null.
type field struct {
	name     string
	decode   func(v *yaml.Node, path string)
	required string // when set, the key must be present; the message says why
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Key: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// later defers f until the whole file has been decoded.
func (d *decoder) later(f func()) { d.after = append(d.after, f) }

// document parses data and returns its top-level mapping, or nil for an
// empty file (or one holding only comments or null).
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		d.syntaxError(err)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.errorf(&next, "", "the file holds several YAML documents (separated by ---): put all the settings in one")
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil
	}
	return root
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns yaml.v3's "yaml: line 3: did not find expected key" into
// an Error on that line.
func (d *decoder) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: d.file}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	e.Msg = "this is not valid YAML (" + msg + "): check the indentation (spaces, not tabs) and the quotes around this line"
	d.errs = append(d.errs, e)
}

// fields decodes the mapping n whose keys must all be among fs, in the
// order fs lists them when the error names them. It reports unknown,
// duplicate and missing keys, and returns false when n is not a mapping.
func (d *decoder) fields(n *yaml.Node, path string, fs []field) bool {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping (%s), got %s", strings.Join(names, ", "), describe(n))
		return false
	}
	seen := map[string]*yaml.Node{}
	d.pairs(n, path, func(k, v *yaml.Node) {
		i := indexOf(fs, k.Value)
		p := join(path, k.Value)
		if i < 0 {
			where := ""
			if path != "" {
				where = " in " + path
			}
			d.errorf(k, p, "unknown key %q%s: expected one of %s", k.Value, where, strings.Join(names, ", "))
			return
		}
		seen[k.Value] = v
		if !isNull(v) {
			fs[i].decode(v, p)
		}
	})
	for _, f := range fs {
		if f.required == "" {
			continue
		}
		if v, ok := seen[f.name]; !ok || isNull(v) {
			d.errorf(n, join(path, f.name), "missing: %s", f.required)
		}
	}
	return true
}

// pairs calls each for every key of the mapping n, after reporting keys that
// are not plain scalars or appear twice.
func (d *decoder) pairs(n *yaml.Node, path string, each func(k, v *yaml.Node)) {
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "expected a name as the key, got %s", describe(k))
			continue
		}
		if prev, ok := first[k.Value]; ok {
			d.errorf(k, join(path, k.Value), "%q appears twice (first on line %d): keep one", k.Value, prev.Line)
			continue
		}
		first[k.Value] = k
		each(k, v)
	}
}

// names decodes a mapping whose keys are names the file chooses (channel
// names, role names), checking each name; what describes the mapping for the
// wrong-type error, as in "a mapping of channel names to Slack channel ids".
func (d *decoder) names(n *yaml.Node, path, what string, each func(name string, v *yaml.Node, path string)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected %s, got %s", what, describe(n))
		return
	}
	d.pairs(n, path, func(k, v *yaml.Node) {
		p := join(path, k.Value)
		if d.name(k, p, k.Value) {
			each(k.Value, v, p)
		}
	})
}

// list decodes a sequence; what describes it for the wrong-type error, as in
// "a list of channel names".
func (d *decoder) list(n *yaml.Node, path, what string, each func(i int, v *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected %s, got %s", what, describe(n))
		return
	}
	for i, v := range n.Content {
		each(i, resolve(v), index(path, i))
	}
}

// listInto decodes the list n into *dst, one element per item. The slice is
// sized up front, so pointers to its elements, which the checks run after
// the whole file is read write through, stay valid.
func listInto[T any](d *decoder, n *yaml.Node, path, what string, dst *[]T, each func(e *T, v *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected %s, got %s", what, describe(n))
		return
	}
	*dst = make([]T, len(n.Content))
	for i, v := range n.Content {
		each(&(*dst)[i], resolve(v), index(path, i))
	}
}

// str decodes a scalar as text; what describes the expected value, as in
// "a timezone name like Europe/Paris".
func (d *decoder) str(n *yaml.Node, path, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "expected %s, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// int decodes a whole number of at least min.
func (d *decoder) int(n *yaml.Node, path string, min int) (int, bool) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		d.errorf(n, path, "expected a whole number like %d, got %s", max(min, 10), describe(n))
		return 0, false
	}
	if i < min {
		d.errorf(n, path, "must be at least %d, got %d", min, i)
		return 0, false
	}
	return i, true
}

// duration decodes a duration with bot.ParseDuration, the one parser of
// Liaison (Go's syntax plus d and w). With positive set, zero is refused.
func (d *decoder) duration(n *yaml.Node, path string, positive bool) (time.Duration, bool) {
	s, ok := d.str(n, path, "a duration like 30s, 10m, 2h, 7d or 2w")
	if !ok {
		return 0, false
	}
	v, err := bot.ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "%s", bot.ErrorMessage(err))
		return 0, false
	}
	if positive && v == 0 {
		d.errorf(n, path, "must be longer than zero, like 30s, 10m or 2h")
		return 0, false
	}
	return v, true
}

// location decodes an IANA timezone name. "Local" is refused: it would mean
// whatever the server is set to, which changes when the bot moves.
func (d *decoder) location(n *yaml.Node, path string) (string, *time.Location, bool) {
	s, ok := d.str(n, path, "a timezone name like Europe/Paris")
	if !ok {
		return "", nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil || s == "" || s == "Local" {
		d.errorf(n, path, "unknown timezone %q: use an IANA name like Europe/Paris, America/New_York or UTC", s)
		return "", nil, false
	}
	return s, loc, true
}

var snowflake = regexp.MustCompile(`^[0-9]{17,20}$`)

// discordID decodes a Discord id (a "snowflake": 17 to 20 digits), which
// must be quoted: YAML reads an unquoted one as a number, and tools that
// hold numbers as floating point silently change its last digits.
func (d *decoder) discordID(n *yaml.Node, path, what string) (string, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		d.errorf(n, path, "quote Discord ids: %q (unquoted, YAML reads a number, and some tools change its last digits)", n.Value)
		return "", false
	}
	s, ok := d.str(n, path, fmt.Sprintf("%s (a quoted id like \"1100000000000000001\")", what))
	if !ok {
		return "", false
	}
	if !snowflake.MatchString(s) {
		d.errorf(n, path, "%q is not a Discord id: ids are 17 to 20 digits, like \"1100000000000000001\" (in Discord, turn on Developer Mode, then right-click and Copy ID)", s)
		return "", false
	}
	return s, true
}

// name checks a name the file gives to a channel, role, person or digest:
// other keys and commands refer to it, so it is one word.
func (d *decoder) name(n *yaml.Node, path, s string) bool {
	ok := s != ""
	for i, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || i > 0 && strings.ContainsRune("-_.", r)) {
			ok = false
		}
	}
	if !ok {
		d.errorf(n, path, "%q cannot be used as a name: use letters, digits, - and _ (like mod-log)", s)
	}
	return ok
}

// describe says what a node holds, for "expected …, got …" messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "nothing"
	}
	switch n.Tag {
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	case "!!timestamp":
		return "the date " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func indexOf(fs []field, name string) int {
	for i, f := range fs {
		if f.name == name {
			return i
		}
	}
	return -1
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
