package store

import (
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"math"
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

// binaryTextArray is a text[] in Postgres's binary form, for a connection
// whose parameters lib/pq sends in binary (binary_parameters, store.Open's
// default), where a []byte parameter is sent as it is: each element's
// bytes after its length. The text form (textArray) escapes every quote
// and backslash of each element (a relay's JSON payload is full of them),
// Postgres parses them back, and lib/pq copies the whole into bytes of its
// own first; a sixteenth of what the /feedback server allocated was that
// copy.
type binaryTextArray []string

// textOID is the type of text, which a binary text[] names as its
// elements': Postgres refuses an array of any other.
const textOID = 25

func (a binaryTextArray) Value() (driver.Value, error) {
	n := 12 + 8
	for _, s := range a {
		n += 4 + len(s)
	}
	if len(a) > math.MaxInt32 || n > math.MaxInt32 {
		return nil, fmt.Errorf("a text array of %d elements and %d bytes is too large for Postgres", len(a), n)
	}
	b := make([]byte, 0, n)
	if len(a) == 0 {
		b = binary.BigEndian.AppendUint32(b, 0) // no dimension
		b = binary.BigEndian.AppendUint32(b, 0) // no NULL
		return binary.BigEndian.AppendUint32(b, textOID), nil
	}
	b = binary.BigEndian.AppendUint32(b, 1) // one dimension
	b = binary.BigEndian.AppendUint32(b, 0) // no NULL
	b = binary.BigEndian.AppendUint32(b, textOID)
	b = binary.BigEndian.AppendUint32(b, uint32(len(a)))
	b = binary.BigEndian.AppendUint32(b, 1) // numbered from 1
	for _, s := range a {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b, nil
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
