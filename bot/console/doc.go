// Package console is Liaison's local adapter: one process that plays both a
// Slack workspace and a Discord server on a terminal, for demos, tutorials
// and end-to-end scripts (`liaison console < examples/tour.txt`).
//
// A Console reads lines such as
//
//	discord #feedback alice: the export button crashes
//	react d1 👍 eve
//	slack #product bob: /liaison help
//
// turns each into the event, command, click or form an adapter would produce
// (with the same de-duplication keys as the real adapters), hands it to the
// same bot.Handler as production, and prints what the people in the channel
// would see. Its Senders stand in for the Slack and Discord senders behind
// the outbox: they print Liaison's posts, edits, reactions and files, and
// give each message a reference (s1, s2… on Slack, d1, d2… on Discord) that
// later lines use. After every line the Console settles: it runs its
// Settlers (the outbox dispatcher, and any job that is due) until none has
// anything left to do, so a transcript is deterministic. Time is a
// bot.ManualClock that moves only with `clock +DURATION` or `clock TIME`; a
// script whose first line is `clock TIME` starts there, whatever day it runs.
//
// Beyond messages and commands, people reply, write in threads and forum
// posts, remove reactions, and join and leave the Discord server; the
// console keeps who is a member, banned, kicked or timed out, and which
// channels have slowmode on, and refuses what Discord would refuse them.
// Under every message Liaison posts where others see it, it prints whom the
// message notifies, worked out from what the real Slack and Discord senders
// would send (see pings.go).
//
// The line syntax is Syntax; the output formats are those of DESIGN.md ("The
// console, exactly"). This package knows nothing of the store, the handlers or
// the jobs: cmd/liaison wires them.
package console
