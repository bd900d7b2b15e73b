// Package handlers turns the events adapters produce into domain decisions.
// Each capability is a type with its own files: Feedback (feedback*.go),
// Approvals (approvals*.go), Digest (digest*.go), Help (help.go), and
// Moderation, in handlers/moderation. Each is built from the part of Deps
// it needs and registers its events, commands, buttons, forms and jobs on
// the Router (router.go), which only records identities, checks that the
// person may do the action each command, button and form declares (from
// liaison.yaml's staff:, admins: and permissions:, through bot/access), and
// dispatches.
// A capability asks another for something only through a narrow exported
// method named for what it means (Feedback.MarkAnswered), never its
// internals. Build (capabilities.go) wires them.
//
// Each handler validates input, applies bot's rules, and writes its state
// change and the messages it causes in one store transaction, through the
// outbox. Handlers do no platform I/O of their own beyond answering the
// request in hand; they return the reply and the error separately, and the
// adapter decides how the user sees them.
package handlers
