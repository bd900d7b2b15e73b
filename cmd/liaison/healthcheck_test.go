package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/store"
)

func TestHealthcheckExitsZeroOnlyWhenReadyzAnswers200(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, store.SQLite)
	_, port, _ := net.SplitHostPort(app.Addr())

	for _, addr := range []string{app.Addr(), ":" + port, "0.0.0.0:" + port} {
		code, out, errs := run(t, map[string]string{"LIAISON_HTTP_ADDR": addr}, "healthcheck")
		if code != exitOK || !strings.HasPrefix(out, "ready: http://127.0.0.1:"+port+"/readyz answered 200") {
			t.Errorf("healthcheck on %s = %d %q %q, want 0 and ready", addr, code, out, errs)
		}
	}

	// A database behind this binary: /readyz answers 503, and says why.
	forgetLatestMigration(t, app.Env.DatabaseURL)
	code, _, errs := run(t, map[string]string{"LIAISON_HTTP_ADDR": app.Addr()}, "healthcheck")
	if code != exitError || !strings.Contains(errs, "answered 503 Service Unavailable: not ready: database has pending migrations") || strings.Count(errs, "\n") != 1 {
		t.Errorf("healthcheck with a pending migration = %d %q, want 1 and the reason on one line", code, errs)
	}
}

func TestHealthcheckFailsInOneLineWhenNothingIsReady(t *testing.T) {
	t.Parallel()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html><body>" + strings.Repeat("upstream is down ", 40) + "</body></html>\n<p>more</p>\n"))
	}))
	t.Cleanup(proxy.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedAddr := closed.Listener.Addr().String()
	closed.Close()

	for _, tt := range []struct {
		addr string
		want string
	}{
		{strings.TrimPrefix(proxy.URL, "http://"), "answered 502 Bad Gateway: <html><body>upstream is down"},
		{closedAddr, "cannot reach http://" + closedAddr + "/readyz (is liaison run running?)"},
		{"8080", `LIAISON_HTTP_ADDR "8080" is not host:port`},
	} {
		code, out, errs := run(t, map[string]string{"LIAISON_HTTP_ADDR": tt.addr}, "healthcheck")
		if code != exitError || out != "" || !strings.HasPrefix(errs, "not ready: ") || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 || len(errs) > 400 {
			t.Errorf("healthcheck on %s = %d %q %q, want 1 and one line saying %q", tt.addr, code, out, errs, tt.want)
		}
	}
	if code, _, errs := run(t, nil, "healthcheck", "extra"); code != exitUsage || errs == "" {
		t.Errorf("healthcheck extra = %d %q, want 2", code, errs)
	}
}
