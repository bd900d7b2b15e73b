package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/liaison-bot/liaison/handlers"
)

const feedbackHelp = `Usage: liaison feedback export [--since 90d] [--format csv|json]

Writes every feedback item created since then, oldest first: its number,
source link, author, text, tags, sentiment, status and whole history
(statuses, merges, notices), votes with the voters' ids, the items merged
into it, its first response time and the replies posted in Discord. It
reads the database alone (LIAISON_DATABASE_URL), so it works beside a
running Liaison and changes nothing. Times are in UTC.

--since takes a duration back from now (90d, 2w, 12h) or a date
(2026-11-01, or an RFC 3339 time).

csv has one row per item (lists joined with " | "); json is one array of
objects.

` + envHelp

// feedbackCmd runs `liaison feedback export`.
func feedbackCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(std.Err, feedbackHelp)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(std.Out, feedbackHelp)
		return exitOK
	case "export":
	default:
		fmt.Fprintf(std.Err, "liaison feedback: expected export, got %q\n\n%s", args[0], feedbackHelp)
		return exitUsage
	}
	flags := newFlags("feedback export", feedbackHelp, std)
	sinceFlag := flags.String("since", "90d", "how far back: a duration (90d) or a date (2026-11-01)")
	format := flags.String("format", "csv", "csv or json")
	if code, done := parse(flags, args[1:], std); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(std.Err, "liaison feedback export: unexpected %q\n\n%s", flags.Arg(0), feedbackHelp)
		return exitUsage
	}
	write, ok := handlers.FeedbackExportFormats[*format]
	if !ok {
		fmt.Fprintf(std.Err, "liaison feedback export: --format %q: use csv or json\n", *format)
		return exitUsage
	}
	since, err := auditSince(*sinceFlag, time.Now())
	if err != nil {
		fmt.Fprintln(std.Err, "liaison feedback export:", err)
		return exitUsage
	}
	db, err := openToRead(ctx, env)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison feedback export:", err)
		return exitError
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := loadConfig(env.ConfigPath, logger)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison feedback export:", err)
		return exitError
	}
	items, err := handlers.Build(handlers.Deps{DB: db, Config: cfg, Logger: logger}).Feedback.Export(ctx, since)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison feedback export:", err)
		return exitError
	}
	if err := write(std.Out, items); err != nil {
		fmt.Fprintln(std.Err, "liaison feedback export:", err)
		return exitError
	}
	return exitOK
}
