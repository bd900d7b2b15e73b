package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// startApp opens and runs an App on a free port against a fresh database of
// the given dialect, and stops it when the test ends.
func startApp(t *testing.T, dialect string) (*App, string) {
	t.Helper()
	env := readEnv(func(string) string { return "" })
	env.HTTPAddr = "127.0.0.1:0"
	env.AdminAddr = "127.0.0.1:0" // not the default 9090: tests run side by side
	env.DatabaseURL = storetest.URL(t, dialect)
	env.ConfigPath = filepath.Join("..", "..", "liaison.example.yaml")
	app := NewApp(env, slog.New(slog.DiscardHandler))
	runApp(t, app)
	return app, "http://" + app.Addr()
}

// runApp opens app and runs it until the test ends, then stops and closes
// it. The stop it returns ends Run early (a restart, a crash) and waits for
// it, once; the cleanup still closes the app.
func runApp(t testing.TB, app *App) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Open(ctx); err != nil {
		cancel()
		t.Fatalf("Open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not stop within 30s of its context ending")
			}
		})
	}
	t.Cleanup(func() { stop(); app.Close() })
	return stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

// send does req and returns the status and the body.
func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadinessAndMetricsAnswer(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			app, base := startApp(t, dialect)
			if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
				t.Errorf("GET /healthz = %d %q, want 200 ok", code, body)
			}
			if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
				t.Errorf("GET /readyz = %d %q, want 200 ready", code, body)
			}
			// Something in the outbox shows in the depth gauge.
			err := app.DB.Enqueue(context.Background(), time.Now(), &bot.OutboxMessage{Key: "k", Platform: bot.PlatformDiscord, Kind: "post",
				Payload: []byte(`{"channel_id":"D1"}`), NotBefore: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			code, body := get(t, base+"/metrics")
			if code != 200 {
				t.Fatalf("GET /metrics = %d", code)
			}
			for _, want := range []string{
				`liaison_outbox_messages{state="pending"} 1`,
				`liaison_outbox_messages{state="dead"} 0`,
				`liaison_outbox_lane_messages{lane="discord:D1"} 1`,
				`liaison_outbox_lane_backlog_age_seconds{lane="discord:D1"}`,
				`go_goroutines`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
		})
	}
}

func TestOversizedBodiesAreRefusedWith413(t *testing.T) {
	t.Parallel()
	_, base := startApp(t, store.SQLite)
	resp, err := http.Post(base+"/healthz", "application/json", bytes.NewReader(make([]byte, maxBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes = %d, want 413", maxBody+1, resp.StatusCode)
	}
	// A chunked body (no Content-Length) is capped while it is read.
	h := limitBody(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		}
	}))
	srv := newServer(slog.New(slog.DiscardHandler), h)
	rec := &statusRecorder{header: http.Header{}}
	req, _ := http.NewRequest("POST", "/x", io.MultiReader(strings.NewReader(strings.Repeat("x", 11))))
	req.ContentLength = -1
	srv.Handler.ServeHTTP(rec, req)
	if rec.code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the cap = %d, want 413", rec.code)
	}
}

type statusRecorder struct {
	header http.Header
	code   int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.code = code }

func TestReadyzFailsWhenTheDatabaseIsDown(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			app, base := startApp(t, dialect)
			app.DB.Close()
			code, body := get(t, base+"/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
				t.Errorf("GET /readyz with the database closed = %d %q, want 503 naming the database", code, body)
			}
			if code, _ := get(t, base+"/healthz"); code != 200 {
				t.Errorf("GET /healthz = %d, want 200: the process is alive", code)
			}
		})
	}
}

func TestRunStartsWithNoConfigAndNoTokensAndStopsOnCancel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs bytes.Buffer
	env := Env{HTTPAddr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(dir, "liaison.db"), LogLevel: "info"}
	app := NewApp(env, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Open(ctx); err != nil {
		t.Fatalf("Open with no config: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	if code, _ := get(t, "http://"+app.Addr()+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	app.Close()
	for _, want := range []string{"slack: off (SLACK_BOT_TOKEN is not set)", "discord: off (DISCORD_BOT_TOKEN is not set)", "no liaison.yaml"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
	// The lock is released: another process may now open the file.
	db, err := store.Open(context.Background(), env.DatabaseURL, store.Options{Exclusive: true})
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	db.Close()
}

func TestAMissingConfigNamedByLiaisonConfigIsAnError(t *testing.T) {
	t.Parallel()
	env := Env{HTTPAddr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "l.db"), ConfigPath: "/nonexistent/liaison.yaml"}
	app := NewApp(env, slog.New(slog.DiscardHandler))
	err := app.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "LIAISON_CONFIG names /nonexistent/liaison.yaml, which does not exist") {
		t.Errorf("Open = %v, want an error naming the missing file", err)
	}
}

func TestAnInvalidConfigStopsStartWithFileLineAndKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "liaison.yaml")
	if err := os.WriteFile(cfg, []byte("timezone: Europe/Pariss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{HTTPAddr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(dir, "l.db"), ConfigPath: cfg}
	err := NewApp(env, slog.New(slog.DiscardHandler)).Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), cfg+":1:11: timezone:") {
		t.Errorf("Open = %v, want an error at %s:1:11 naming timezone", err, cfg)
	}
}
