package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

const digestHelp = `Usage: liaison digest preview [NAME]
       liaison digest run NAME [--slot TIME]

  preview  prints the digest of the period so far (the one its next run
           reports on) on the terminal; nothing is posted
  run      posts the digest of one scheduled time (slot) now: by default
           the latest that has come. A slot is posted once, whoever posts
           it (this command or a running Liaison); a second run says so and
           posts nothing. The slot must be one of the digest's scheduled
           times, written 2026-11-30T09:00:00+01:00 or, in the digest's
           timezone, 2026-11-30T09:00 (or "2026-11-30 09:00").

NAME is a digest's name from liaison.yaml's digests:; preview without it
shows the first. run sends through Slack and Discord itself when their
tokens are set; otherwise the messages wait in the outbox for liaison run.

` + envHelp

// digestCmd runs `liaison digest preview|run`.
func digestCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(std.Err, digestHelp)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(std.Out, digestHelp)
		return exitOK
	case "preview":
		return digestPreview(ctx, args[1:], std, env)
	case "run":
		return digestRun(ctx, args[1:], std, env)
	}
	fmt.Fprintf(std.Err, "liaison digest: expected preview or run, got %q\n\n%s", args[0], digestHelp)
	return exitUsage
}

func digestPreview(ctx context.Context, args []string, std *Stdio, env Env) int {
	if len(args) > 1 {
		fmt.Fprintf(std.Err, "liaison digest preview: expected at most a digest name, got %q\n", strings.Join(args, " "))
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := loadConfig(env.ConfigPath, logger)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest preview:", err)
		return exitError
	}
	db, err := openToRead(ctx, env)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest preview:", err)
		return exitError
	}
	defer db.Close()
	digest := handlers.Build(handlers.Deps{DB: db, Config: cfg, Logger: logger}).Digest
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	text, err := digest.Preview(ctx, name)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest preview:", digestError(err))
		return exitError
	}
	fmt.Fprintln(std.Out, text)
	return exitOK
}

// digestError is what the terminal shows of err: a domain error's message,
// or the cause (the person at the terminal runs the service).
func digestError(err error) string {
	if bot.ErrorCode(err) != bot.EInternal {
		return bot.ErrorMessage(err)
	}
	return err.Error()
}

func digestRun(ctx context.Context, args []string, std *Stdio, env Env) int {
	// The name comes first; flags may follow it.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	flags := newFlags("digest run", digestHelp, std)
	flags.SetOutput(std.Out)
	slotFlag := flags.String("slot", "", "the scheduled time to post, like 2026-11-30T09:00:00+01:00 (default: the latest that has come)")
	if code, done := parse(flags, args, std); done {
		return code
	}
	if name == "" && flags.NArg() > 0 {
		name = flags.Arg(0)
	}
	if name == "" || flags.NArg() > 1 || (flags.NArg() == 1 && flags.Arg(0) != name) {
		fmt.Fprintf(std.Err, "liaison digest run: name one digest, like: liaison digest run weekly --slot 2026-11-30T09:00:00+01:00\n")
		return exitUsage
	}
	logger, err := newLogger(std.Err, env.LogLevel)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", err)
		return exitUsage
	}
	cfg, err := loadConfig(env.ConfigPath, logger)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", err)
		return exitError
	}
	db, err := store.Open(ctx, env.DatabaseURL, store.Options{Exclusive: true})
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", err)
		return exitError
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", err)
		return exitError
	}
	clock := bot.SystemClock{}
	capabilities := handlers.Build(handlers.Deps{DB: db, Config: cfg, Clock: clock, Logger: logger})
	d, err := capabilities.Digest.Config(name)
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", digestError(err))
		return exitError
	}
	slot, err := digestSlot(d, *slotFlag, clock.Now())
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", digestError(err))
		return exitUsage
	}
	local := slot.In(d.Location).Format("Mon 2 Jan 2006 15:04 MST")
	posted, err := capabilities.Digest.Publish(ctx, d.Name, slot, false, "cli:"+replicaName())
	if err != nil {
		fmt.Fprintln(std.Err, "liaison digest run:", digestError(err))
		return exitError
	}
	if !posted {
		run, _ := db.JobRunAt(ctx, bot.DigestJob(d.Name), slot)
		what := "already posted"
		if run != nil && run.Status == store.JobRunSkipped {
			what = "recorded as skipped (" + run.Detail + ")"
		}
		fmt.Fprintf(std.Out, "The %s digest of %s was %s: nothing was sent again.\n", d.Name, local, what)
		return exitOK
	}
	sent, err := sendDigestNow(ctx, db, cfg, env, capabilities.Router, clock, logger)
	switch {
	case err != nil:
		fmt.Fprintf(std.Err, "liaison digest run: the %s digest of %s is queued, but sending it failed: %v\nliaison run will retry it.\n", d.Name, local, err)
		return exitError
	case sent:
		fmt.Fprintf(std.Out, "Posted the %s digest of %s.\n", d.Name, local)
	default:
		fmt.Fprintf(std.Out, "Queued the %s digest of %s: liaison run sends it (the Slack and Discord tokens the configuration needs are not all set here).\n", d.Name, local)
	}
	return exitOK
}

// digestSlot reads --slot (RFC 3339, or a local time in the digest's
// timezone) and checks it is a scheduled time that has come; without it,
// the latest scheduled time.
func digestSlot(d config.Digest, flag string, now time.Time) (time.Time, error) {
	if flag == "" {
		s, ok := bot.PreviousRun(d.Schedule, now)
		if !ok {
			return time.Time{}, bot.Errorf(bot.EInvalid, "The %s digest has not been scheduled in the last year: give --slot.", d.Name)
		}
		return s, nil
	}
	slot, err := time.Parse(time.RFC3339, flag)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if err == nil {
			break
		}
		slot, err = time.ParseInLocation(layout, flag, d.Location)
	}
	if err != nil {
		return time.Time{}, bot.Errorf(bot.EInvalid, "--slot %q is not a time: write it like 2026-11-30T09:00:00+01:00, or 2026-11-30T09:00 in %s.", flag, d.Timezone)
	}
	if slot.After(now) {
		return time.Time{}, bot.Errorf(bot.EInvalid, "--slot %s has not come yet: a digest reports on a period that is over.", flag)
	}
	if next := d.Schedule.Next(slot.Add(-time.Second)); !next.Equal(slot) {
		prev, _ := bot.PreviousRun(d.Schedule, slot)
		return time.Time{}, bot.Errorf(bot.EInvalid, "--slot %s is not a scheduled time of the %s digest (%s in %s): the nearest are %s and %s.",
			flag, d.Name, d.Cron, d.Timezone, prev.In(d.Location).Format(time.RFC3339), next.In(d.Location).Format(time.RFC3339))
	}
	return slot, nil
}

// sendDigestNow sends what the outbox holds through the platforms whose
// tokens are set, until nothing is due (a minute at most). It reports
// whether it could send at all.
func sendDigestNow(ctx context.Context, db *store.DB, cfg *config.Config, env Env, router *handlers.Router, clock bot.Clock, logger *slog.Logger) (bool, error) {
	// A message for a platform without a sender would die in the outbox:
	// send only when every platform the configuration uses is reachable.
	if (len(cfg.Slack.Channels) > 0 && env.SlackBotToken == "") || (len(cfg.Discord.Guilds) > 0 && env.DiscordBotToken == "") {
		return false, nil
	}
	senders := map[string]bot.Sender{}
	if env.SlackBotToken != "" {
		s, err := slackbot.New(slackbot.Options{Token: env.SlackBotToken, APIURL: env.SlackAPIURL, Handler: router, Clock: clock, Logger: logger})
		if err != nil {
			return false, err
		}
		senders[bot.PlatformSlack] = s.Sender()
	}
	if env.DiscordBotToken != "" {
		d, err := discordbot.New(discordbot.Options{Token: env.DiscordBotToken, AppID: env.DiscordAppID, APIURL: env.DiscordAPIURL, Handler: router, Clock: clock, Logger: logger})
		if err != nil {
			return false, err
		}
		senders[bot.PlatformDiscord] = d.Sender()
	}
	if len(senders) == 0 {
		return false, nil
	}
	disp := &jobs.Dispatcher{Store: db, Senders: senders, Clock: clock, Owner: "cli:" + replicaName(), Logger: logger,
		MaxAttempts: cfg.Outbox.MaxAttempts, BackoffMin: cfg.Outbox.BackoffMin, BackoffMax: cfg.Outbox.BackoffMax, ReclaimAfter: cfg.Outbox.ReclaimAfter}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	defer disp.Release(context.WithoutCancel(ctx)) //nolint:errcheck // it lapses on its own anyway
	for ctx.Err() == nil {
		n, err := disp.DispatchOnce(ctx)
		if err != nil {
			return true, err
		}
		if n > 0 {
			continue
		}
		next, pending, err := db.NextOutboxDue(ctx)
		if err != nil || !pending || next.Sub(clock.Now()) > 10*time.Second {
			return true, err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true, nil
}
