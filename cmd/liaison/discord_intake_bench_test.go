package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// BenchmarkDiscordIntake measures Discord feedback intake end to end on
// Postgres: members post in the feedback channels through discordfake's
// gateway, and `liaison run` (App) receives each message with the real
// discordgo client, stores it as a feedback item, routes it and writes its
// relay to the outbox (the dispatcher then sends it to slackfake, in the
// same process). events/s is the messages posted divided by the time until
// the last relay was in the outbox. "channels=1" posts everything in one
// channel, "channels=4" spreads it over four; 50 members take turns.
//
//	LIAISON_TEST_DATABASE_URL=postgres://… go test -run '^$' -bench DiscordIntake -benchtime 4000x ./cmd/liaison
//
// The fake, the App and the load share the machine's cores.
func BenchmarkDiscordIntake(b *testing.B) {
	for _, channels := range []int{1, 4} {
		b.Run(fmt.Sprintf("channels=%d", channels), func(b *testing.B) {
			benchDiscordIntake(b, channels)
		})
	}
}

const (
	benchGuild   = "998877665544332299"
	benchBot     = "1000000000000000042"
	benchMembers = 50
)

// benchChannel is the id of feedback channel i (from 1).
func benchChannel(i int) string { return strconv.Itoa(1100000000000000100 + i) }

// benchMember is the id of member i.
func benchMember(i int) string { return strconv.Itoa(1400000000000000100 + i) }

func benchDiscordIntake(b *testing.B, channels int) {
	url := storetest.URL(b, store.Postgres)
	sf := slackfake.New()
	b.Cleanup(sf.Close)
	sf.SetToken("xoxb-bench")
	sf.AddChannel("C01PRODUCT", "product")

	df := discordfake.New()
	b.Cleanup(df.Close)
	df.SetBotUser(benchBot, "liaison")
	df.AddGuild(benchGuild, "Bench Community", benchMember(0))
	df.AddMember(benchGuild, discordfake.Member{UserID: benchBot, Username: "liaison", Bot: true})
	for i := range benchMembers {
		df.AddMember(benchGuild, discordfake.Member{UserID: benchMember(i), Username: fmt.Sprintf("member%d", i)})
	}
	var names, ids []string
	for i := 1; i <= 4; i++ {
		df.AddChannel(benchGuild, discordfake.Channel{ID: benchChannel(i), Name: fmt.Sprintf("feedback%d", i)})
		names = append(names, fmt.Sprintf("feedback%d", i))
		ids = append(ids, fmt.Sprintf("feedback%d: %q", i, benchChannel(i)))
	}
	config := `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT}
discord:
  guild: "` + benchGuild + `"
  channels: {` + strings.Join(ids, ", ") + `}
feedback:
  channels: [` + strings.Join(names, ", ") + `]
  routes:
    - {name: bugs, match: {keywords: [crash, broken]}, to: [product], tags: [bug], stop: true}
  default_to: product
`
	cfg := filepath.Join(b.TempDir(), "liaison.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		b.Fatal(err)
	}
	app := NewApp(Env{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: url, ConfigPath: cfg,
		SlackBotToken: "xoxb-bench", SlackSigningSecret: "bench-secret", SlackAPIURL: sf.APIURL(),
		DiscordBotToken: "bench-token", DiscordAppID: benchBot, DiscordAPIURL: df.APIURL(),
	}, slog.New(slog.DiscardHandler))
	runApp(b, app)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := df.WaitFor(ctx, func() bool { return df.Identifies() > 0 && len(df.Commands(benchGuild)) > 0 }); err != nil {
		b.Fatalf("waiting for the App to connect: %v", err)
	}
	db := storetest.OpenURL(b, url, store.Options{})

	// The messages, prepared: each a bug report (one relay), in words
	// drawn from a vocabulary of 1,000, so that, as in a real channel,
	// few share the similarity search's keys.
	syllables := strings.Fields("ba ko ri mu te sa lo pi ne du va ge fo zi ha")
	vocab := make([]string, 1000)
	for i := range vocab {
		vocab[i] = syllables[i%15] + syllables[(i/15)%15] + syllables[(i/225+i)%15]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	texts := make([]string, b.N)
	for i := range texts {
		w := make([]string, 8)
		for j := range w {
			w[j] = vocab[rng.IntN(len(vocab))]
		}
		texts[i] = fmt.Sprintf("the %s %s is broken when I %s the %s %s, then %s %s %s", w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
	}

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < b.N; i += channels {
				df.MessageCreate(benchChannel(c+1), benchMember(i%benchMembers), texts[i])
			}
		}()
	}
	wg.Wait()
	posted := time.Since(start)
	// The outbox is counted (a scan of the table) only once the App has
	// committed as many transactions as there are messages: a count every
	// 20 ms from the start took a few percent of the database's time from
	// the App.
	for {
		if groups, items := app.DB.GroupCommits(); groups == 0 || items >= int64(b.N) || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		depth, err := db.OutboxDepth(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, v := range depth {
			n += v
		}
		if n >= b.N {
			break
		}
		if ctx.Err() != nil {
			b.Fatalf("%d of %d relays in the outbox after 10 minutes", n, b.N)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/posted.Seconds(), "posted/s")
	groups, items := app.DB.GroupCommits()
	if groups > 0 {
		b.ReportMetric(float64(items)/float64(groups), "tx/group")
	}
	// How long a group commit took, on average: on a busy database the
	// intake waits on it.
	mfs, err := app.Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "liaison_group_commit_seconds" && len(mf.GetMetric()) == 1 {
			if h := mf.GetMetric()[0].GetHistogram(); h.GetSampleCount() > 0 {
				b.ReportMetric(h.GetSampleSum()/float64(h.GetSampleCount())*1000, "ms/commit")
			}
		}
	}
}
