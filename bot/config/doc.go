// Package config loads and validates liaison.yaml, the file in which a
// community team describes its Slack and Discord channels, its staff, its
// schedules and its policies.
//
// Load and Parse decode the YAML strictly: an unknown key, a value of the
// wrong type, a malformed duration, cron schedule, timezone or platform id,
// and a reference to a channel the file does not declare are all errors. They
// are reported together, as Errors, each naming the file, line, column and
// dotted key (digests[0].cron) and saying what was expected, so that
// `liaison config check` can list every mistake in one run.
//
// Everything else in the file refers to channels and people by the short names
// declared under slack:, discord: and people:; ResolveChannel turns such a name
// into a platform id. Secrets never live here: tokens come from the
// environment and are read by cmd/liaison.
//
// Each section of the file is one struct in this package plus one decode
// function (see sections in config.go); adding a capability's section changes
// nothing else. This package does no network I/O.
package config
