package store

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/lib/pq"
)

// The arrays are written as lib/pq writes them, whatever their text
// holds: quotes, backslashes, braces, commas, NULL spelled out, newlines,
// non-ASCII, nothing at all. (The intake tests read them back through
// Postgres: TestAGroupsIntakeItemsReadAsIfWrittenAtOnce's payloads are
// JSON, full of quotes.)
func TestArraysAreWrittenAsLibPQWritesThem(t *testing.T) {
	texts := textArray{"", "plain", `a "quoted" word`, `back\slash\`, `{braces},commas`, "NULL", "new\nline", "émoji 🎉", `\"`, strings.Repeat(`x"\`, 300)}
	for _, a := range []textArray{texts, {}, {""}, texts[3:4]} {
		got, err := a.Value()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := pq.StringArray(a).Value(); got != want {
			t.Errorf("text array %q, lib/pq writes %q", got, want)
		}
	}
	ints := []int8Array{{{Int64: 1, Valid: true}, {}, {Int64: -9007199254740993, Valid: true}}, {}, {{}}}
	for _, a := range ints {
		got, err := a.Value()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := (pq.GenericArray{A: []sql.NullInt64(a)}).Value(); got != want {
			t.Errorf("bigint array %q, lib/pq writes %q", got, want)
		}
	}
}

func BenchmarkBatchTextArray(b *testing.B) {
	payload := `{"channel":"C0PRODUCT","text":"New feedback #1234 from dave: \"the export crashes on big files\"","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Feedback #1234*\n> the export crashes on big files\nfrom dave in #general"}}]}`
	a := make([]string, 4)
	for i := range a {
		a[i] = payload
	}
	b.Run("liaison", func(b *testing.B) {
		for b.Loop() {
			_, _ = textArray(a).Value()
		}
	})
	b.Run("lib/pq", func(b *testing.B) {
		for b.Loop() {
			_, _ = pq.StringArray(a).Value()
		}
	})
}
