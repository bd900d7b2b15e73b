package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// The digest at scale, on Postgres (set LIAISON_TEST_DATABASE_URL):
//
//	go test ./handlers -run '^$' -bench Digest -benchtime 20x
//
// BenchmarkDigestCompute loads the roll-ups of two weeks of 1,000,000
// messages each, across 50 channels and 100,000 members (authors and
// channels drawn from Zipf laws, as real communities are), then times the
// whole digest: this week and the week before, every figure.
// BenchmarkDigestIngest times events through the router into the roll-ups.

const (
	benchMessages = 1_000_000 // a week
	benchChannels = 50
	benchMembers  = 100_000
	benchFeedback = 2_000 // items a week
)

const benchYAML = `timezone: Europe/Paris
slack:
  channels: {community: C01COMMUNITY}
discord:
  guild: "998877665544332211"
  channels: {general: "1100000000000000002"}
digests:
  - {name: weekly, cron: "0 9 * * MON", to: [community]}
`

func benchRouter(b *testing.B) (*Capabilities, *sqlx.DB, config.Digest) {
	b.Helper()
	if os.Getenv(storetest.EnvURL) == "" {
		b.Skip("set " + storetest.EnvURL + " to benchmark the digest on Postgres")
	}
	cfg, err := config.Parse("liaison.yaml", []byte(benchYAML))
	if err != nil {
		b.Fatal(err)
	}
	u := storetest.URL(b, store.Postgres)
	db := storetest.OpenURL(b, u, store.Options{MaxOpenConns: 32})
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	raw, err := sqlx.Open("postgres", u)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	r := Build(Deps{DB: db, Config: cfg, Clock: bot.NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, cfg.Location)), Logger: slog.New(slog.DiscardHandler)})
	return r, raw, cfg.Digests[0]
}

type benchKey struct {
	channel, day, author int
}

// loadWeek writes the roll-ups that ingesting benchMessages messages of
// week p would leave, as the ingest writes them, with COPY.
func loadWeek(b *testing.B, raw *sqlx.DB, p bot.Period, seed uint64) {
	b.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	authors := rand.NewZipf(rng, 1.07, 8, benchMembers-1)
	channels := rand.NewZipf(rng, 1.3, 2, benchChannels-1)
	days := p.Days()
	byAuthorDay := map[benchKey]int64{}
	type chDay struct{ channel, day int }
	chMsgs, chThreads := map[chDay]int64{}, map[chDay]int64{}
	byAuthor := map[int]int64{}
	var threads int64
	for range benchMessages {
		k := benchKey{int(channels.Uint64()), rng.IntN(len(days)), int(authors.Uint64())}
		byAuthorDay[k]++
		cd := chDay{k.channel, k.day}
		chMsgs[cd]++
		if rng.IntN(50) == 0 {
			chThreads[cd]++
			threads++
		}
		byAuthor[k.author]++
	}
	chAuthors := map[chDay]int64{}
	for k := range byAuthorDay {
		chAuthors[chDay{k.channel, k.day}]++
	}
	staff := func(a int) bool { return a < 20 }
	guild := "998877665544332211"
	copyRows(b, raw, "stats_author_daily", []string{"guild_id", "channel_id", "day", "author_id", "messages", "staff"}, func(add func(...any)) {
		for k, n := range byAuthorDay {
			add(guild, benchChannel(k.channel), days[k.day], benchAuthor(k.author), n, staff(k.author))
		}
	})
	copyRows(b, raw, "stats_channel_daily", []string{"guild_id", "channel_id", "day", "messages", "threads_started", "authors"}, func(add func(...any)) {
		for cd, n := range chMsgs {
			add(guild, benchChannel(cd.channel), days[cd.day], n, chThreads[cd], chAuthors[cd])
		}
	})
	copyRows(b, raw, "stats_author_period", []string{"period", "guild_id", "author_id", "messages", "staff"}, func(add func(...any)) {
		for a, n := range byAuthor {
			add(p.Key(), guild, benchAuthor(a), n, staff(a))
		}
	})
	exec(b, raw, `INSERT INTO stats_period (period, guild_id, messages, authors, threads_started) VALUES ($1, $2, $3, $4, $5)`,
		p.Key(), guild, benchMessages, len(byAuthor), threads)
	exec(b, raw, `INSERT INTO stats_periods_tracked (period, starts_at, registered_at) VALUES ($1, $2, $3)`, p.Key(), p.Start.UTC(), p.Start.Add(-time.Hour).UTC())
	for i, day := range days {
		exec(b, raw, `INSERT INTO stats_guild_daily (guild_id, day, joins, leaves, member_count) VALUES ($1, $2, $3, $4, $5)`,
			guild, day, 150+i, 40+i, benchMembers-1000+int(seed)*500+i*110)
	}
	// A week of feedback: a third answered within hours, some voted.
	now := p.End.UTC()
	copyRows(b, raw, "feedback_items", []string{"source_key", "source", "intake", "scope_id", "channel_id", "channel_name", "message_id", "permalink",
		"author_id", "author_name", "text", "tags", "sentiment", "status", "votes", "created_at", "updated_at", "first_response_at"}, func(add func(...any)) {
		for i := range benchFeedback {
			created := p.Start.UTC().Add(time.Duration(rng.Int64N(int64(p.End.Sub(p.Start)))))
			var first any
			if i%3 == 0 {
				first = created.Add(time.Duration(rng.IntN(8*60)) * time.Minute)
			}
			id := fmt.Sprintf("%d-%d", seed, i)
			add("discord:bench:"+id, "discord", "channel", guild, benchChannel(1), "feedback", id, "https://discord.com/channels/"+guild+"/1/"+id,
				benchAuthor(rng.IntN(benchMembers)), "member", "the export button crashes", `["bug","export"]`,
				[]string{"positive", "neutral", "negative"}[rng.IntN(3)], "open", rng.IntN(10), created, now, first)
		}
	})
}

func benchChannel(i int) string { return fmt.Sprintf("11000000000000%05d", i) }
func benchAuthor(i int) string  { return fmt.Sprintf("14000000000%07d", i) }

func copyRows(b *testing.B, raw *sqlx.DB, table string, cols []string, rows func(add func(...any))) {
	b.Helper()
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(pq.CopyIn(table, cols...))
	if err != nil {
		b.Fatal(err)
	}
	rows(func(vs ...any) {
		if _, err := stmt.Exec(vs...); err != nil {
			b.Fatal(err)
		}
	})
	if _, err := stmt.Exec(); err != nil {
		b.Fatal(err)
	}
	if err := stmt.Close(); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func exec(b *testing.B, raw *sqlx.DB, q string, args ...any) {
	b.Helper()
	if _, err := raw.Exec(q, args...); err != nil {
		b.Fatalf("%s: %v", q, err)
	}
}

func BenchmarkDigestCompute(b *testing.B) {
	r, raw, d := benchRouter(b)
	slot := time.Date(2026, 11, 30, 9, 0, 0, 0, d.Location)
	week := bot.PeriodEnding(slot, d.Location, bot.SpanWeek)
	loadWeek(b, raw, week, 1)
	loadWeek(b, raw, week.Previous(bot.SpanWeek), 2)
	copyRows(b, raw, "members", []string{"platform", "scope_id", "user_id", "username", "first_seen_at", "last_seen_at"}, func(add func(...any)) {
		for i := range benchMembers {
			add("discord", "998877665544332211", benchAuthor(i), fmt.Sprintf("member%d", i), week.Start.UTC(), week.Start.UTC())
		}
	})
	ctx := context.Background()
	if err := r.Digest.db.RebuildRollups(ctx); err != nil {
		b.Fatal(err)
	}
	exec(b, raw, `ANALYZE`)
	run := func(b *testing.B) {
		var dg *bot.Digest
		var err error
		for b.Loop() {
			if dg, err = r.Digest.Compute(ctx, d, slot); err != nil {
				b.Fatal(err)
			}
		}
		if dg.Activity.Messages != benchMessages || dg.Feedback.Items != benchFeedback {
			b.Fatalf("digest of %d messages, %d items", dg.Activity.Messages, dg.Feedback.Items)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/digest")
	}
	b.Run("from period rows", run)
	b.Run("from daily rows", func(b *testing.B) {
		exec(b, raw, `DELETE FROM stats_periods_tracked`)
		run(b)
	})
}

func BenchmarkDigestIngest(b *testing.B) {
	r, _, _ := benchRouter(b)
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, r.Digest.cfg.Location)
	var seq atomic.Int64
	b.SetParallelism(4) // Discord events arrive on several workers at once
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(seq.Add(1_000_000_000)), 7))
		authors := rand.NewZipf(rng, 1.07, 8, benchMembers-1)
		for pb.Next() {
			n := seq.Add(1)
			id := fmt.Sprintf("%d", 1700000000000000000+n)
			m := &bot.Message{
				Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: id}}, At: at.Add(time.Duration(n) * time.Second)},
				Place:    bot.Place{Platform: bot.PlatformDiscord, ScopeID: "998877665544332211", ChannelID: benchChannel(rng.IntN(benchChannels)), ChannelName: "general"},
				ID:       id, Text: "a message", Author: bot.User{Platform: bot.PlatformDiscord, ID: benchAuthor(int(authors.Uint64())), Name: "member"},
				ThreadStart: n%50 == 0,
			}
			if err := r.Router.HandleEvent(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	// What was appended is counted in the roll-ups before the clock stops.
	if _, err := r.Digest.db.FoldStats(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDigestAnyPeriod times the activity of a 31-day period that is
// no digest's (Tuesday 3 November to Thursday 3 December 2026: no period
// rows, not whole weeks or a month) over 1,000,000 messages of 100,000
// members in 50 channels, on SQLite and on Postgres (set
// LIAISON_TEST_DATABASE_URL):
//
//	go test ./handlers -run '^$' -bench DigestAnyPeriod -benchtime 20x
//
// The daily rows are loaded as the ingest writes them, the roll-up
// hierarchy is built from them (RebuildRollups, what the migration's first
// fold does), then every figure of the period is read: totals, active
// members (≈, from sketches), per day, busiest channels, top contributors,
// joins and leaves.
func BenchmarkDigestAnyPeriod(b *testing.B) {
	loc := time.UTC
	period := bot.Period{Start: time.Date(2026, 11, 3, 0, 0, 0, 0, loc), End: time.Date(2026, 12, 4, 0, 0, 0, 0, loc)}
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			u := storetest.URL(b, dialect)
			db := storetest.OpenURL(b, u, store.Options{})
			ctx := context.Background()
			if _, err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			driver, dsn := "postgres", u
			if dialect == store.SQLite {
				driver, dsn = "sqlite", db.Path()+"?_pragma=busy_timeout(10000)"
			}
			raw, err := sqlx.Open(driver, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			loadSpan(b, raw, dialect, period, 3)
			start := time.Now()
			if err := db.RebuildRollups(ctx); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: roll-ups built from the daily rows in %v", dialect, time.Since(start).Round(time.Millisecond))
			// As autovacuum (Postgres) or an operator's ANALYZE (SQLite)
			// would have by the time a digest runs.
			exec(b, raw, `ANALYZE`)
			q := store.ActivityQuery{Period: period, Previous: period.Previous(bot.SpanMonth), Top: digestTop}
			var a bot.Activity
			for b.Loop() {
				if a, err = db.Activity(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			if a.Messages != benchMessages || !a.ActiveApprox || len(a.Contributors) != digestTop {
				b.Fatalf("activity of %d messages (approx %v), %d contributors", a.Messages, a.ActiveApprox, len(a.Contributors))
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/period")
			b.ReportMetric(float64(a.ActiveMembers), "active≈")
		})
	}
}

// loadSpan writes the daily rows that ingesting benchMessages messages
// spread over p would leave: authors and channels drawn from Zipf laws.
func loadSpan(b *testing.B, raw *sqlx.DB, dialect string, p bot.Period, seed uint64) {
	b.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	authors := rand.NewZipf(rng, 1.07, 8, benchMembers-1)
	channels := rand.NewZipf(rng, 1.3, 2, benchChannels-1)
	days := p.Days()
	byAuthorDay := map[benchKey]int64{}
	type chDay struct{ channel, day int }
	chMsgs, chThreads, chAuthors := map[chDay]int64{}, map[chDay]int64{}, map[chDay]int64{}
	for range benchMessages {
		k := benchKey{int(channels.Uint64()), rng.IntN(len(days)), int(authors.Uint64())}
		if byAuthorDay[k] == 0 {
			chAuthors[chDay{k.channel, k.day}]++
		}
		byAuthorDay[k]++
		cd := chDay{k.channel, k.day}
		chMsgs[cd]++
		if rng.IntN(50) == 0 {
			chThreads[cd]++
		}
	}
	guild := "998877665544332211"
	bulk(b, raw, dialect, "stats_author_daily", []string{"guild_id", "channel_id", "day", "author_id", "messages", "staff"}, func(add func(...any)) {
		for k, n := range byAuthorDay {
			add(guild, benchChannel(k.channel), days[k.day], benchAuthor(k.author), n, k.author < 20)
		}
	})
	bulk(b, raw, dialect, "stats_channel_daily", []string{"guild_id", "channel_id", "day", "messages", "threads_started", "authors"}, func(add func(...any)) {
		for cd, n := range chMsgs {
			add(guild, benchChannel(cd.channel), days[cd.day], n, chThreads[cd], chAuthors[cd])
		}
	})
	bulk(b, raw, dialect, "stats_guild_daily", []string{"guild_id", "day", "joins", "leaves", "member_count"}, func(add func(...any)) {
		for i, day := range days {
			add(guild, day, 150+i, 40+i, benchMembers-1000+i*110)
		}
	})
	bulk(b, raw, dialect, "members", []string{"platform", "scope_id", "user_id", "username", "first_seen_at", "last_seen_at"}, func(add func(...any)) {
		for i := range benchMembers {
			add("discord", guild, benchAuthor(i), fmt.Sprintf("member%d", i), p.Start.UTC(), p.Start.UTC())
		}
	})
}

// bulk writes rows: with COPY on Postgres, prepared inserts in one
// transaction on SQLite.
func bulk(b *testing.B, raw *sqlx.DB, dialect, table string, cols []string, rows func(add func(...any))) {
	b.Helper()
	if dialect == store.Postgres {
		copyRows(b, raw, table, cols, rows)
		return
	}
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) + `)`)
	if err != nil {
		b.Fatal(err)
	}
	rows(func(vs ...any) {
		if _, err := stmt.Exec(vs...); err != nil {
			b.Fatal(err)
		}
	})
	if err := stmt.Close(); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
