package watchsrc_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/bot/watchsrc"
	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
)

// The wiring cmd/liaison does: options from `watch:` and the environment, a
// Sink that turns items into mentions, the compiled queries' branches, and
// the Poller's job on the scheduler (router.AddJob(p.Job())).
func ExamplePoller() {
	ctx := context.Background()
	web := watchfake.New() // in production: the open web
	defer web.Close()
	web.AddHN(watchfake.HNHit{ID: "42", Created: time.Now().Add(-time.Minute), Author: "jdoe",
		Title: "AcmeCloud launches a free tier", URL: "https://acme.example/blog/free", Points: 120})

	dir, _ := os.MkdirTemp("", "watchsrc-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "liaison.db"), store.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		panic(err)
	}

	o := watchsrc.Options{
		UserAgent: "Liaison (+https://acme.example/community-bot)",
		PollEvery: 5 * time.Minute,
		Report: func(ctx context.Context, tx *store.Tx, source, text string) error {
			return nil // the lead: an outbox row in the watch's Slack channel, with tx
		},
	}
	o.FromEnv(func(k string) string { return web.Env()[k] }) // in production: os.Getenv
	p, err := watchsrc.NewPoller(db, o, func(ctx context.Context, items []watch.Item) error {
		for _, it := range items {
			fmt.Printf("%s %s: %s <%s> about %s\n", it.Source, it.Author, it.Title, it.URL, it.StoryURL)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	p.SetSearches([]watchsrc.Watched{{
		Search:  watch.Search{Query: "brand", Terms: []string{"acmecloud"}},
		Sources: []string{watch.SourceHN},
	}})
	if _, err := p.Run(ctx, time.Now()); err != nil {
		panic(err)
	}
	// Output:
	// hn jdoe: AcmeCloud launches a free tier <https://news.ycombinator.com/item?id=42> about https://acme.example/blog/free
}
