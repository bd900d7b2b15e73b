package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers"
)

const auditHelp = `Usage: liaison audit drafts [--since 30d] [--format text|csv|json]

Prints, for every reply Liaison posted in Discord in the brand's name since
then: the message it answers (its link), every version of its text with
who wrote it, its hash and when, every approval and rejection with who and
when, the approval policy that was met, and the Discord message it became.
It reads the database alone (LIAISON_DATABASE_URL), so it works beside a
running Liaison and changes nothing. Times are in UTC.

--since takes a duration back from now (30d, 2w, 12h) or a date
(2026-11-01, or an RFC 3339 time).

csv has one row per decision (approval or rejection) on a version, and one
row for a version nobody decided on; json has one object per reply.

` + envHelp

// auditCmd runs `liaison audit drafts`.
func auditCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(std.Err, auditHelp)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(std.Out, auditHelp)
		return exitOK
	case "drafts":
	default:
		fmt.Fprintf(std.Err, "liaison audit: expected drafts, got %q\n\n%s", args[0], auditHelp)
		return exitUsage
	}
	flags := newFlags("audit drafts", auditHelp, std)
	sinceFlag := flags.String("since", "30d", "how far back: a duration (30d) or a date (2026-11-01)")
	format := flags.String("format", "text", "text, csv or json")
	if code, done := parse(flags, args[1:], std); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(std.Err, "liaison audit drafts: unexpected %q\n\n%s", flags.Arg(0), auditHelp)
		return exitUsage
	}
	write, ok := auditWriters[*format]
	if !ok {
		fmt.Fprintf(std.Err, "liaison audit drafts: --format %q: use text, csv or json\n", *format)
		return exitUsage
	}
	since, err := auditSince(*sinceFlag, time.Now())
	if err != nil {
		fmt.Fprintln(std.Err, "liaison audit drafts:", err)
		return exitUsage
	}
	db, err := openToRead(ctx, env)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison audit drafts:", err)
		return exitError
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := loadConfig(env.ConfigPath, logger)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison audit drafts:", err)
		return exitError
	}
	replies, err := handlers.Build(handlers.Deps{DB: db, Config: cfg, Logger: logger}).Approvals.Audit(ctx, since)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison audit drafts:", err)
		return exitError
	}
	if err := write(std.Out, replies); err != nil {
		fmt.Fprintln(std.Err, "liaison audit drafts:", err)
		return exitError
	}
	return exitOK
}

// openToRead opens the database of env for a command that only reads it:
// without the SQLite lock, so that it works beside a running Liaison, and
// only once it is migrated.
func openToRead(ctx context.Context, env Env) (*store.DB, error) {
	// Opening a SQLite file that is not there would create it, empty: a
	// command that only reads must not leave one behind.
	if path, ok, err := store.SQLiteFile(env.DatabaseURL); err != nil {
		return nil, err
	} else if file, _, _ := strings.Cut(path, "?"); ok {
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("there is no database at %s: set LIAISON_DATABASE_URL to Liaison's (sqlite:PATH or postgres://…), or run liaison migrate (or liaison run) to make one", file)
		}
	}
	db, err := store.Open(ctx, env.DatabaseURL, store.Options{})
	if err != nil {
		return nil, err
	}
	if st, err := db.MigrationStatus(ctx); err != nil || len(st) == 0 || !st[len(st)-1].Applied {
		db.Close()
		return nil, errors.New("the database is not ready: run liaison migrate (or liaison run) first")
	}
	return db, nil
}

// auditSince reads --since: a duration back from now, or a date or time.
func auditSince(s string, now time.Time) (time.Time, error) {
	if d, err := bot.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q is neither a duration (30d) nor a date (2026-11-01)", s)
}

var auditWriters = map[string]func(io.Writer, []handlers.ReplyAudit) error{
	"text": writeAuditText,
	"csv":  writeAuditCSV,
	"json": writeAuditJSON,
}

func auditTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func writeAuditText(w io.Writer, replies []handlers.ReplyAudit) error {
	if len(replies) == 0 {
		_, err := fmt.Fprintln(w, "No reply was posted in Discord in that time.")
		return err
	}
	for i, r := range replies {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if r.DiscordMessageID == "" {
			fmt.Fprintf(w, "Reply #%d, posted %s by hand on the web\n", r.Draft, auditTime(r.PostedAt))
		} else {
			fmt.Fprintf(w, "Reply #%d, posted %s as Discord message %s\n", r.Draft, auditTime(r.PostedAt), r.DiscordMessageID)
		}
		fmt.Fprintf(w, "  Answers: %s in #%s, %s\n", r.TargetAuthor, r.TargetChannel, r.Target)
		if r.FollowUpOf != nil {
			fmt.Fprintf(w, "  Follow-up of: reply #%d\n", *r.FollowUpOf)
		}
		fmt.Fprintf(w, "  Drafted by: %s\n  Policy met: %s\n", r.DraftedBy, r.Policy)
		for _, v := range r.Versions {
			published := ""
			if v.Published {
				published = " (published)"
			}
			fmt.Fprintf(w, "  Version %d by %s at %s, text %s%s\n    %q\n", v.Version, v.Author, auditTime(v.CreatedAt), v.TextHash, published, v.Text)
			for _, d := range v.Decisions {
				fmt.Fprintf(w, "    %s by %s at %s", d.Decision, d.By, auditTime(d.At))
				if d.Reason != "" {
					fmt.Fprintf(w, ": %s", d.Reason)
				}
				fmt.Fprintln(w)
			}
		}
	}
	return nil
}

func writeAuditCSV(w io.Writer, replies []handlers.ReplyAudit) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"draft", "target", "discord_message_id", "posted_at", "follow_up_of", "drafted_by", "policy",
		"version", "version_author", "text_hash", "version_created_at", "published", "decision", "by", "at", "reason"})
	for _, r := range replies {
		follow := ""
		if r.FollowUpOf != nil {
			follow = strconv.FormatInt(*r.FollowUpOf, 10)
		}
		head := []string{strconv.FormatInt(r.Draft, 10), r.Target, r.DiscordMessageID, auditTime(r.PostedAt), follow, r.DraftedBy, r.Policy}
		for _, v := range r.Versions {
			version := append(head[:len(head):len(head)], strconv.Itoa(v.Version), v.Author, v.TextHash, auditTime(v.CreatedAt), strconv.FormatBool(v.Published))
			if len(v.Decisions) == 0 {
				_ = c.Write(append(version, "", "", "", ""))
			}
			for _, d := range v.Decisions {
				_ = c.Write(append(version[:len(version):len(version)], d.Decision, d.By, auditTime(d.At), d.Reason))
			}
		}
	}
	c.Flush()
	return c.Error()
}

func writeAuditJSON(w io.Writer, replies []handlers.ReplyAudit) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(replies)
}
