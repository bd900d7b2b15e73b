package store

import (
	"database/sql"
	"database/sql/driver"
	"strconv"
	"unsafe"
)

// Arrays as Postgres's array input reads them, for the batched statements
// (intake_batch.go). lib/pq's StringArray copies each element into a
// buffer it grows as it goes and then copies the whole again, and its
// GenericArray finds its way through reflection: for a batch's payloads
// and texts that was a twentieth of a /feedback's CPU on the server.
// These size the text first and write it once.

// textArray is a text[]: each element quoted, its quotes and backslashes
// escaped.
type textArray []string

func (a textArray) Value() (driver.Value, error) {
	n := 2 + len(a)*3
	for _, s := range a {
		n += len(s) + escapes(s)
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, s := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for j := 0; j < len(s); j++ {
			if c := s[j]; c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, s[j])
		}
		b = append(b, '"')
	}
	b = append(b, '}')
	// The text is b's, written once and left alone, as strings.Builder
	// hands its own over: a copy was half of what intake's batch
	// allocated for its arrays.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// escapes counts the bytes of s that an array element escapes.
func escapes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			n++
		}
	}
	return n
}

// int8Array is a bigint[] of optional values: NULL where not Valid.
type int8Array []sql.NullInt64

func (a int8Array) Value() (driver.Value, error) {
	b := make([]byte, 0, 2+len(a)*8)
	b = append(b, '{')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		if v.Valid {
			b = strconv.AppendInt(b, v.Int64, 10)
		} else {
			b = append(b, "NULL"...)
		}
	}
	return string(append(b, '}')), nil
}
