package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// /metrics shows group commit at work: the commits, how many transactions
// each carried, and how long each took. Three Discord messages relayed are
// at least three transactions committed, and three items the duplicate
// finder holds. A /feedback then is a group written as one statement on
// Postgres; nothing ran twice.
func TestMetricsShowGroupCommits(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, dialect)
			for _, text := range []string{"the export crashes", "login is broken", "search crashes on emoji"} {
				e.discord.MessageCreate(e2eFeedback, e2eAlice, text)
			}
			e.waitSlack(t, "the three relays", func() bool { return len(e.slack.Messages("C01PRODUCT")) == 3 })

			types, body := metricsOf(t, e)
			for name, typ := range map[string]string{"liaison_group_commit_size": "histogram", "liaison_group_commit_seconds": "histogram"} {
				if types[name] != typ {
					t.Errorf("/metrics: %s is a %q, want a %s", name, types[name], typ)
				}
			}
			value := func(name string) float64 {
				for _, l := range strings.Split(body, "\n") {
					if v, ok := strings.CutPrefix(l, name+" "); ok {
						f, err := strconv.ParseFloat(v, 64)
						if err != nil {
							t.Fatalf("%s: %v", l, err)
						}
						return f
					}
				}
				t.Fatalf("/metrics lacks %s", name)
				return 0
			}
			commits, txs := value("liaison_group_commit_size_count"), value("liaison_group_commit_size_sum")
			if commits < 1 || txs < 3 || txs < commits {
				t.Errorf("/metrics: %g commits of %g transactions, want at least the three messages'", commits, txs)
			}
			// Read in one scrape while other groups may commit: every
			// commit is timed, and counted by both or by neither.
			if n := value("liaison_group_commit_seconds_count"); n != commits {
				t.Errorf("/metrics: %g commits timed, %g counted", n, commits)
			}
			// The three items are in the duplicate finder's memory (each
			// added once its transaction committed, which may be just after
			// its relay was sent).
			if types["liaison_similarity_index_items"] != "gauge" {
				t.Errorf("/metrics: liaison_similarity_index_items is a %q, want a gauge", types["liaison_similarity_index_items"])
			}
			for deadline := time.Now().Add(5 * time.Second); value("liaison_similarity_index_items") != 3; {
				if time.Now().After(deadline) {
					t.Fatalf("/metrics: liaison_similarity_index_items is %g, want the three items", value("liaison_similarity_index_items"))
				}
				time.Sleep(10 * time.Millisecond)
				_, body = metricsOf(t, e)
			}

			// A staff member's /feedback: on Postgres its group needs no
			// BEGIN, and is written as one statement.
			if got := e.slashText(t, "U01CAROL", "/feedback", "exports time out from Acme"); !strings.HasPrefix(got, "Logged as feedback #") {
				t.Fatalf("/feedback answered %q", got)
			}
			types, body = metricsOf(t, e)
			for _, name := range []string{"liaison_group_commit_reruns_total", "liaison_group_commit_single_statement_total"} {
				if types[name] != "counter" {
					t.Errorf("/metrics: %s is a %q, want a counter", name, types[name])
				}
			}
			single := value("liaison_group_commit_single_statement_total")
			if want := dialect == store.Postgres; (single >= 1) != want {
				t.Errorf("/metrics: %g groups written as one statement on %s, want them on Postgres only", single, dialect)
			}
			if n := value("liaison_group_commit_reruns_total"); n != 0 {
				t.Errorf("/metrics: %g groups ran again, want none: nothing failed or came twice", n)
			}
		})
	}
}
