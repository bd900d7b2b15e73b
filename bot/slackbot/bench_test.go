package slackbot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// durable answers commands after recording their trigger durably, as
// handlers.Router does before it runs one (one committed statement).
type durable struct {
	recorder
	db *store.DB
}

func (h *durable) HandleCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	first, err := h.db.FirstSeen(ctx, time.Now(), c.Keys[0].Kind, c.Keys[0].Key)
	if err != nil || !first {
		return nil, err
	}
	return &bot.Reply{Text: "Noted."}, nil
}

// BenchmarkSignedSlashCommandDurable measures a signed slash command
// verified, parsed, recorded on Postgres (FirstSeen, committed) and
// answered with its reply over HTTP, requests in parallel:
//
//	LIAISON_TEST_DATABASE_URL=postgres://… go test ./bot/slackbot -run '^$' -bench SlashCommand
func BenchmarkSignedSlashCommandDurable(b *testing.B) {
	if os.Getenv(storetest.EnvURL) == "" {
		b.Skip("set " + storetest.EnvURL + " to benchmark on Postgres")
	}
	db := storetest.Open(b, store.Postgres)
	fake := slackfake.New()
	b.Cleanup(fake.Close)
	a, err := slackbot.New(slackbot.Options{
		Token: botToken, SigningSecret: secret, APIURL: fake.APIURL(),
		Handler: &durable{db: db}, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := httptest.NewServer(mux)
	b.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	responseURL := url.QueryEscape(fake.URL() + "/response/unused")
	run := time.Now().UnixNano()
	var seq atomic.Int64

	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := fmt.Sprintf("token=x&team_id=T0LIAISON&channel_id=C01PRODUCT&channel_name=product&user_id=U01CAROL&user_name=carol"+
				"&command=%%2Fliaison&text=help&response_url=%s&trigger_id=%d.%d.bench", responseURL, seq.Add(1), run)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+slackfake.CommandsPath, strings.NewReader(body))
			for k, v := range slackfake.Sign(secret, time.Now(), []byte(body)) {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), "Noted.") {
				b.Errorf("answer %d %s", resp.StatusCode, got)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
