// Command slack-load benchmarks Liaison's Slack receiver with signed slash
// commands. It is a benchmark tool, not part of the product; bench/slack-command.sh
// drives it.
//
//	slack-load serve -addr 127.0.0.1:0 -db URL -addr-file F
//	    Serves POST /slack/commands with the real adapter (bot/slackbot) and
//	    the real router (handlers), configured by benchConfig: the router
//	    records each command's trigger in the database before answering
//	    /liaison help, and /feedback <text> from dave (staff) logs an item
//	    with its relay to the product channel and the relay's outbox
//	    message, left pending (serve runs no dispatcher: nothing is sent).
//	    A postgres:// URL gets a fresh schema, dropped at exit. The signing
//	    secret is SLACK_SIGNING_SECRET, as for liaison run. Stops on
//	    SIGINT/SIGTERM, then says on stderr how many items it holds.
//
//	slack-load load -url URL -rate 2000 -duration 20s [-command help|feedback] [-max-time 20s]
//	    Sends signed slash commands at a fixed rate (open loop: latency is
//	    measured from when each request was due, so a slow server cannot hide
//	    its queue) and prints the latency percentiles. -command help sends
//	    /liaison help; feedback sends /feedback with a text of its own each.
//	    -max-time stops sending after that long, the requests left unsent,
//	    for saturation runs, where only the rate achieved counts: a server
//	    slower than asked would take rate×duration/achieved otherwise.
//
//	slack-load presign -n 100000 [-command help|feedback]
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
	"runtime/pprof"
	"runtime/trace"
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

// benchConfig is liaison.yaml for serve. dave, who sends /feedback, is
// staff, so his /feedback logs an item; carol, who asks for help, is not
// listed: as with config.Default(), which the help figures were first
// taken with, her answer is the same short list. Feedback is routed as in
// liaison.example.yaml, every route and the default to the product
// channel, so each item gets one relay and one outbox message.
const benchConfig = `slack:
  channels: {product: C01PRODUCT}
people:
  - {name: dave, slack: U01DAVE}
staff: [dave]
feedback:
  routes:
    - {name: bugs, match: {keywords: [crash, bug, broken, slow]}, to: [product], tags: [bug], stop: true}
    - {name: pricing, match: {patterns: ['pric(e|ing)', 'costs? ']}, to: [product], tags: [pricing]}
  default_to: product
`

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	dbURL := fs.String("db", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "database: postgres://… or sqlite:PATH")
	addrFile := fs.String("addr-file", "", "write the listening address to this file once ready")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "write a profile of the run's allocations to this file when it stops")
	traceFile := fs.String("trace", "", "write an execution trace of the whole run to this file (go tool trace): where requests wait")
	_ = fs.Parse(args)
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		return errors.New("set SLACK_SIGNING_SECRET")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}

	if *memProfile != "" {
		defer func() {
			f, err := os.Create(*memProfile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "slack-load:", err)
				return
			}
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintln(os.Stderr, "slack-load:", err)
			}
		}()
	}

	u, cleanup, err := freshSchema(*dbURL)
	if err != nil {
		return err
	}
	defer cleanup()
	var groups groupStats
	db, err := store.Open(ctx, u, store.Options{Exclusive: true, Group: store.GroupOptions{Observe: groups.observe}})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig))
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	router := handlers.New(handlers.Deps{DB: db, Config: cfg, Clock: bot.SystemClock{}, Logger: logger})
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
	// The settings liaison run serves with (cmd/liaison/server.go): each
	// request's deadlines and its body's cap cost what they cost there.
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			mux.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
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
	err = a.Close()
	held(sctx, db)
	fmt.Fprintln(os.Stderr, "slack-load:", groups.String())
	return err
}

// groupStats sums up the group commits of a run: where a command waits on
// the database, their size and length say whether the database or the
// committers' turns are the bottleneck.
type groupStats struct {
	n, items, nanos atomic.Int64
}

func (g *groupStats) observe(size int, took time.Duration) {
	g.n.Add(1)
	g.items.Add(int64(size))
	g.nanos.Add(int64(took))
}

func (g *groupStats) String() string {
	n := g.n.Load()
	if n == 0 {
		return "no group commits"
	}
	return fmt.Sprintf("%d group commits of %.1f transactions on average, %.2f ms each", n,
		float64(g.items.Load())/float64(n), float64(g.nanos.Load())/float64(n)/1e6)
}

// held says what the commands left in db, so that a run shows its work
// was done: feedback items and the outbox messages waiting to be sent.
func held(ctx context.Context, db *store.DB) {
	t, err := db.FeedbackCreated(ctx, time.Time{}, time.Now().Add(time.Hour), 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "slack-load:", err)
		return
	}
	backlog, err := db.OutboxBacklog(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "slack-load:", err)
		return
	}
	fmt.Fprintf(os.Stderr, "slack-load: holds %d feedback items (tagged bug %d, pricing %d), %d outbox messages pending\n",
		t.Items, t.ByTag["bug"], t.ByTag["pricing"], backlog[store.OutboxPending])
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

// answers are the commands -command sends, each with the phrases that say
// a server took it: Liaison's answer (Bolt's mimics it) and the limit's,
// which answers anything signed alike. An error, a busy notice or an
// empty late ack says none of them.
var answers = map[string][]string{
	"help":     {"Liaison relays"},
	"feedback": {"Logged as feedback", "(the limit: verify and answer)"},
}

func commandFlag(fs *flag.FlagSet) *string {
	return fs.String("command", "help", "the slash command to send: help (/liaison help) or feedback (/feedback <text>)")
}

// Feedback texts are put together from these, so that they differ in
// their words as what staff hear does: a complaint (which the routes see),
// two product words of the details but in one text of four, which is then
// one of 45 complaints said again (the similarity index's work depends on
// how many items look alike: about one in five here), and a reference of its
// own, so that no two are the same.
var (
	feedbackSubjects = []string{"the export button", "search", "the CSV import", "dark mode", "the mobile app", "single sign-on", "the billing page", "email notifications", "the dashboard", "the API"}
	feedbackProblems = []string{"is slow on big files", "crashes since the last update", "resets every time I log in", "needs a keyboard shortcut", "shows the wrong totals", "times out on Monday mornings", "should speak French too", "is hard to find", "costs too much for small teams"}
	feedbackDetails  = strings.Fields(`parquet json pdf chart report filter sort password invoice refund currency plan team member role
permission admin webhook token slack discord android iphone tablet desktop browser safari firefox chrome freeze upload download
folder image video calendar reminder schedule timezone translation theme font layout menu sidebar header footer link share comment
vote tag label archive restore history backup sync offline cache memory battery spinner screen window popup modal form checkbox`)
	feedbackCustomers = []string{"Acme (call with Jane)", "Globex (support ticket)", "Initech (renewal meeting)"}
)

// feedbackText is the text of /feedback number n of run; one in three is
// logged for a customer (the "from <who>" form).
func feedbackText(n int64, run string) string {
	complaint := pick(feedbackSubjects, uint64(n)) + " " + pick(feedbackProblems, uint64(n)/10)
	if n%4 == 1 {
		return customer(fmt.Sprintf("%s (#%s%d)", complaint, run, n), n)
	}
	// splitmix64's finaliser: n's two details, spread over the words.
	h := uint64(n) + 0x9e3779b97f4a7c15
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	h ^= h >> 31
	d := uint64(len(feedbackDetails))
	return customer(fmt.Sprintf("%s: %s and %s (#%s%d)", complaint, pick(feedbackDetails, h), pick(feedbackDetails, h/d), run, n), n)
}

// customer adds whom text n is from, for one in three.
func customer(text string, n int64) string {
	if n%3 == 0 {
		return text + " from " + pick(feedbackCustomers, uint64(n)/3)
	}
	return text
}

func pick(l []string, k uint64) string { return l[k%uint64(len(l))] }

// command returns the signed body of slash command number n of kind (a
// key of answers).
func command(secret, kind string, n int64, run string, at time.Time) (stamp, sig, body string) {
	who, cmd, text := "user_id=U01CAROL&user_name=carol", "%2Fliaison", "help"
	if kind == "feedback" {
		who, cmd, text = "user_id=U01DAVE&user_name=dave", "%2Ffeedback", url.QueryEscape(feedbackText(n, run))
	}
	body = "token=bench&team_id=T0BENCH&team_domain=bench&channel_id=C01PRODUCT&channel_name=product&" + who +
		"&command=" + cmd + "&text=" + text + "&api_app_id=A0BENCH&is_enterprise_install=false" +
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
	kind := commandFlag(fs)
	maxTime := fs.Duration("max-time", 0, "stop sending after this long, leaving the rest unsent (0: send them all)")
	_ = fs.Parse(args)
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if *target == "" || secret == "" || *rate <= 0 {
		return errors.New("set -url, -rate and SLACK_SIGNING_SECRET")
	}
	want, ok := answers[*kind]
	if !ok {
		return fmt.Errorf("-command %q: want help or feedback", *kind)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConns: *workers, MaxIdleConnsPerHost: *workers}}
	run := runID()
	total := int(float64(*rate) * duration.Seconds())
	// Signed before the clock starts, so the generator spends its time
	// sending; the signatures stay fresh for Slack's five minutes.
	type signed struct{ stamp, sig, body string }
	reqs := make([]signed, total)
	for i := range reqs {
		reqs[i].stamp, reqs[i].sig, reqs[i].body = command(secret, *kind, int64(i), run, time.Now())
	}
	due := make(chan int, total)
	lat := make([]time.Duration, total)  // from when the request was due
	serv := make([]time.Duration, total) // from when it was sent
	went := make([]bool, total)          // sent: not left by -max-time
	var failed atomic.Int64
	var wg sync.WaitGroup
	var start time.Time
	interval := time.Second / time.Duration(*rate)
	over := func() bool { return *maxTime > 0 && time.Since(start) > *maxTime }
	for range *workers {
		wg.Go(func() {
			for i := range due {
				if over() {
					continue // left unsent, with those the sender has not queued
				}
				went[i] = true
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
					ok = ok && slices.ContainsFunc(want, func(w string) bool { return strings.Contains(string(b), w) })
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
		if over() {
			break
		}
		due <- i
	}
	close(due)
	wg.Wait()
	took := time.Since(start)
	// The percentiles are of the requests sent.
	n := 0
	for i := range total {
		if went[i] {
			lat[n], serv[n] = lat[i], serv[i]
			n++
		}
	}
	if n == 0 {
		return errors.New("no request sent within -max-time")
	}
	lat, serv = lat[:n], serv[:n]
	slices.Sort(lat)
	slices.Sort(serv)
	pct := func(l []time.Duration, p float64) time.Duration {
		return l[min(len(l)-1, int(p*float64(len(l))))].Round(10 * time.Microsecond)
	}
	of := ""
	if n < total {
		of = fmt.Sprintf(" of %d (-max-time %s)", total, *maxTime)
	}
	fmt.Printf("requests %d%s in %s (%.0f/s achieved, %d/s asked), failed %d\n", n, of, took.Round(time.Millisecond), float64(n)/took.Seconds(), *rate, failed.Load())
	fmt.Printf("latency from due  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", pct(lat, .5), pct(lat, .9), pct(lat, .99), pct(lat, .999), lat[n-1].Round(10*time.Microsecond))
	fmt.Printf("latency from sent p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", pct(serv, .5), pct(serv, .9), pct(serv, .99), pct(serv, .999), serv[n-1].Round(10*time.Microsecond))
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

func presign(args []string) error {
	fs := flag.NewFlagSet("presign", flag.ExitOnError)
	n := fs.Int("n", 100000, "requests to sign")
	kind := commandFlag(fs)
	_ = fs.Parse(args)
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		return errors.New("set SLACK_SIGNING_SECRET")
	}
	if _, ok := answers[*kind]; !ok {
		return fmt.Errorf("-command %q: want help or feedback", *kind)
	}
	run, now := runID(), time.Now()
	w := os.Stdout
	for i := range int64(*n) {
		stamp, sig, body := command(secret, *kind, i, run, now)
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\n", stamp, sig, body); err != nil {
			return err
		}
	}
	return nil
}
