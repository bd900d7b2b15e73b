package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a configuration file, located precisely
// enough for a person to fix it without reading code: the file, the line and
// column (1-based; 0 when the problem concerns the whole file), the dotted
// key path such as "slack.channels.product", "digests[1].cron" or
// "people[2].discord" (empty for the whole file), and a message that says
// what was expected.
type Error struct {
	File   string
	Line   int
	Column int
	Key    string
	Msg    string
}

// Error formats e as "liaison.yaml:12:3: digests[0].cron: <Msg>", the form
// editors and terminals turn into a link to the line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in the order of the file. Load
// and Parse return all of them, not just the first, so that one run of
// `liaison config check` lists everything there is to fix.
type Errors []*Error

// Error puts each error on its own line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors, so errors.As finds an *Error.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// sort orders es by position in the file; checks that need the whole file
// (channel references, for one) run last but report where the problem is.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
