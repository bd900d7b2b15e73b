// Package handlers turns the events adapters produce into domain decisions,
// one file per capability (feedback.go, approvals.go, moderation.go,
// digest.go, help.go): each handler validates input, applies bot's rules, and
// writes its state change and the messages it causes in one store
// transaction, through the outbox. Handlers do no platform I/O of their own
// beyond answering the request in hand; they return the reply and the error
// separately, and the adapter decides how the user sees them.
package handlers
