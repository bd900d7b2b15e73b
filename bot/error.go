package bot

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Adapters map them to an HTTP status or an ephemeral message.
const (
	EInvalid   = "invalid"   // the request is malformed or breaks a rule; nothing changed
	ENotFound  = "not_found" // the thing named does not exist
	EConflict  = "conflict"  // the thing exists already, or changed under the caller
	EForbidden = "forbidden" // the caller may not do this
	EInternal  = "internal"  // a bug or an outage; the user sees a reference, the log the cause
)

// Error is a domain error: a code for programs and a message written for the
// person who will read it (a community manager, not an engineer).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic message for any other error: internal causes are for
// the log, not for the user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on Liaison's side. The team has the details in the log."
}

// Sentence returns msg ended as a sentence: with a full stop added unless it
// already ends with one (or with ! ? …). A caller that appends more text to
// a message, like the usage of a command, goes through it so the two read as
// two sentences, not one running into the next ("… or 1h30m. Use: …").
func Sentence(msg string) string {
	msg = strings.TrimRight(msg, " ")
	if msg == "" || strings.HasSuffix(msg, "…") || strings.ContainsAny(msg[len(msg)-1:], ".!?") {
		return msg
	}
	return msg + "."
}
