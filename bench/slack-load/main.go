// Command slack-load benchmarks Liaison's Slack receiver with signed slash
// commands. It is a benchmark tool, not part of the product; bench/slack-command.sh
// drives it.
//
//	slack-load serve -addr 127.0.0.1:0 -db URL -addr-file F
//	    Serves POST /slack/commands with the real adapter (bot/slackbot) and
//	    the real router (handlers), which records each command's trigger in
//	    the database before answering /liaison help. A postgres:// URL gets a
//	    fresh schema, dropped at exit. The signing secret is
//	    SLACK_SIGNING_SECRET, as for liaison run. Stops on SIGINT/SIGTERM.
//
//	slack-load load -url URL -rate 2000 -duration 20s
//	    Sends signed slash commands at a fixed rate (open loop: latency is
//	    measured from when each request was due, so a slow server cannot hide
//	    its queue) and prints the latency percentiles.
//
//	slack-load presign -n 100000
//	    Prints n signed requests, one per line (timestamp, signature, body,
//	    tab-separated), each with its own trigger_id, for wrk's Lua script
//	    (bench/slack-command.lua): wrk's Lua has no HMAC.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: slack-load serve|load|presign [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "presign":
		err = presign(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "slack-load:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	dbURL := fs.String("db", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "database: postgres://… or sqlite:PATH")
	addrFile := fs.String("addr-file", "", "write the listening address to this file once ready")
	_ = fs.Parse(args)
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		return errors.New("set SLACK_SIGNING_SECRET")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	u, cleanup, err := freshSchema(*dbURL)
	if err != nil {
		return err
	}
	defer cleanup()
	db, err := store.Open(ctx, u, store.Options{Exclusive: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	router := handlers.New(handlers.Deps{DB: db, Config: config.Default(), Clock: bot.SystemClock{}, Logger: logger})
	a, err := slackbot.New(slackbot.Options{
		Token: "xoxb-bench", SigningSecret: secret, APIURL: "http://127.0.0.1:9/api/",
		Handler: router, Logger: logger,
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, "slack-load: serving on", ln.Addr(), "with", db.Dialect())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return a.Close()
}

// freshSchema gives a postgres URL a new schema (dropped by cleanup); other
// URLs are used as they are.
func freshSchema(raw string) (string, func(), error) {
	if !strings.HasPrefix(raw, "postgres") {
		return raw, func() {}, nil
	}
	admin, err := sqlx.Open("postgres", raw)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "slack_bench_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}, nil
}

// command returns the signed body of slash command number n.
func command(secret string, n int64, run string, at time.Time) (stamp, sig, body string) {
	body = "token=bench&team_id=T0BENCH&team_domain=bench&channel_id=C01PRODUCT&channel_name=product&user_id=U01CAROL&user_name=carol" +
		"&command=%2Fliaison&text=help&api_app_id=A0BENCH&is_enterprise_install=false" +
		"&response_url=" + url.QueryEscape("http://127.0.0.1:9/response/unused") +
		"&trigger_id=" + strconv.FormatInt(n, 10) + "." + run
	stamp = strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	return stamp, "v0=" + hex.EncodeToString(mac.Sum(nil)), body
}

func runID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	target := fs.String("url", "", "the /slack/commands URL")
	rate := fs.Int("rate", 2000, "requests per second")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	workers := fs.Int("workers", 64, "requests in flight at most")
	_ = fs.Parse(args)
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if *target == "" || secret == "" || *rate <= 0 {
		return errors.New("set -url, -rate and SLACK_SIGNING_SECRET")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConns: *workers, MaxIdleConnsPerHost: *workers}}
	run := runID()
	total := int(float64(*rate) * duration.Seconds())
	// Signed before the clock starts, so the generator spends its time
	// sending; the signatures stay fresh for Slack's five minutes.
	type signed struct{ stamp, sig, body string }
	reqs := make([]signed, total)
	for i := range reqs {
		reqs[i].stamp, reqs[i].sig, reqs[i].body = command(secret, int64(i), run, time.Now())
	}
	due := make(chan int, total)
	lat := make([]time.Duration, total)  // from when the request was due
	serv := make([]time.Duration, total) // from when it was sent
	var failed atomic.Int64
	var wg sync.WaitGroup
	var start time.Time
	interval := time.Second / time.Duration(*rate)
	for range *workers {
		wg.Go(func() {
			for i := range due {
				at := start.Add(time.Duration(i) * interval)
				sent := time.Now()
				req, _ := http.NewRequest(http.MethodPost, *target, strings.NewReader(reqs[i].body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Slack-Request-Timestamp", reqs[i].stamp)
				req.Header.Set("X-Slack-Signature", reqs[i].sig)
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					ok = ok && strings.Contains(string(b), "Liaison relays")
				}
				lat[i], serv[i] = time.Since(at), time.Since(sent)
				if !ok {
					failed.Add(1)
				}
			}
		})
	}
	start = time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		due <- i
	}
	close(due)
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	slices.Sort(serv)
	pct := func(l []time.Duration, p float64) time.Duration {
		return l[min(len(l)-1, int(p*float64(len(l))))].Round(10 * time.Microsecond)
	}
	fmt.Printf("requests %d in %s (%.0f/s achieved, %d/s asked), failed %d\n", total, took.Round(time.Millisecond), float64(total)/took.Seconds(), *rate, failed.Load())
	fmt.Printf("latency from due  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", pct(lat, .5), pct(lat, .9), pct(lat, .99), pct(lat, .999), lat[total-1].Round(10*time.Microsecond))
	fmt.Printf("latency from sent p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", pct(serv, .5), pct(serv, .9), pct(serv, .99), pct(serv, .999), serv[total-1].Round(10*time.Microsecond))
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

func presign(args []string) error {
	fs := flag.NewFlagSet("presign", flag.ExitOnError)
	n := fs.Int("n", 100000, "requests to sign")
	_ = fs.Parse(args)
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		return errors.New("set SLACK_SIGNING_SECRET")
	}
	run, now := runID(), time.Now()
	w := os.Stdout
	for i := range int64(*n) {
		stamp, sig, body := command(secret, i, run, now)
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\n", stamp, sig, body); err != nil {
			return err
		}
	}
	return nil
}
