// Package jobs holds Liaison's background services, each a named type with a
// Run(ctx) life-cycle and its own tests: the outbox dispatcher now; the
// scheduler, digests, expiries, SLA reminders and feed watching as their
// capabilities land. Jobs take time from a bot.Clock so tests and the console
// drive them.
package jobs
