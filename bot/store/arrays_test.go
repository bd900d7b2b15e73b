package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// A text[] sent in binary, as a group's intake sends its texts, reads back
// as it was sent, whatever its text holds: quotes, backslashes, braces,
// commas, NULL spelled out, newlines, non-ASCII, nothing at all, a long
// text; and an empty array is empty.
func TestATextArraySentInBinaryReadsBackAsSent(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	texts := []string{"", "plain", `a "quoted" word`, `back\slash\`, `{braces},commas`, "NULL", "new\nline", "émoji 🎉", `\"`,
		strings.Repeat(`x"\`, 3000), `{"channel_id":"C1","title":"Feedback #12 from \"dave\""}`}
	for _, a := range [][]string{texts, {}, {""}, texts[3:4]} {
		var got pq.StringArray
		if err := db.Get(ctx, &got, `SELECT ?::text[]`, store.BinaryTextArray(a)); err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		if len(got) != len(a) {
			t.Errorf("sent %d elements, read back %d", len(a), len(got))
			continue
		}
		for i := range a {
			if got[i] != a[i] {
				t.Errorf("element %d: sent %.60q (%d bytes), read back %.60q (%d bytes)", i, a[i], len(a[i]), got[i], len(got[i]))
			}
		}
		var n int
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM unnest(?::text[])`, store.BinaryTextArray(a)); err != nil || n != len(a) {
			t.Errorf("%d elements sent, unnest gives %d (%v)", len(a), n, err)
		}
	}
}
