package discordbot_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot/discordbot"
)

// recorder is a RoundTripper that remembers the request it was given.
type recorder struct{ got *http.Request }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: http.StatusNoContent, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

func TestTransportRewritesDiscordAPIRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, apiURL, in, want string
	}{
		{"discordgo's base", "http://127.0.0.1:4321/api/v10/", discordgo.EndpointChannelMessages("1") + "?limit=5", "http://127.0.0.1:4321/api/v10/channels/1/messages?limit=5"},
		{"any version", "http://127.0.0.1:4321/api/v10/", "https://discord.com/api/v10/gateway", "http://127.0.0.1:4321/api/v10/gateway"},
		{"base without slash", "https://proxy.example/discord", "https://discord.com/api/v9/users/@me", "https://proxy.example/discord/users/@me"},
		{"escaped emoji kept", "http://fake/api/v10/", "https://discord.com/api/v9/channels/1/messages/2/reactions/%23%E2%83%A3/@me", "http://fake/api/v10/channels/1/messages/2/reactions/%23%E2%83%A3/@me"},
	}
	for _, tt := range tests {
		rec := &recorder{}
		tr, err := discordbot.NewTransport(tt.apiURL, rec)
		if err != nil {
			t.Fatalf("%s: NewTransport: %v", tt.name, err)
		}
		req, _ := http.NewRequest("GET", tt.in, nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatalf("%s: RoundTrip: %v", tt.name, err)
		}
		if got := rec.got.URL.String(); got != tt.want {
			t.Errorf("%s: rewrote %s to %s, want %s", tt.name, tt.in, got, tt.want)
		}
		if rec.got.Host != "" && rec.got.Host != rec.got.URL.Host {
			t.Errorf("%s: Host header %q, want the new host", tt.name, rec.got.Host)
		}
		if req.URL.String() != tt.in {
			t.Errorf("%s: the caller's request was modified to %s", tt.name, req.URL)
		}
	}
}

func TestTransportLeavesOtherRequestsAlone(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"https://cdn.discordapp.com/avatars/1/a.png",
		"https://example.com/api/v9/channels/1",
		"http://discord.com/api/v9/channels/1", // not the real scheme
		"https://discord.com/developers/docs",
		"https://discord.com/api/vX/channels/1",
	} {
		rec := &recorder{}
		tr, err := discordbot.NewTransport("http://127.0.0.1:1/api/v10/", rec)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", in, nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if rec.got != req {
			t.Errorf("%s: passed on %s, want the request untouched", in, rec.got.URL)
		}
	}
}

func TestTransportReachesAServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	tr, err := discordbot.NewTransport(srv.URL+"/api/v10/", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := discordgo.New("Bot t")
	s.Client = &http.Client{Transport: tr}
	body, err := s.RequestWithBucketID("GET", discordgo.EndpointGuildMembers("9")+"?limit=2", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "GET /api/v10/guilds/9/members?limit=2 Bot t"; string(body) != want {
		t.Errorf("server saw %q, want %q", body, want)
	}
}

func TestNewTransportRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "127.0.0.1:4321", "ftp://host/api/", "http:///api/", "http://host/api/?x=1", "http://h/%zz"} {
		if _, err := discordbot.NewTransport(u, nil); err == nil {
			t.Errorf("NewTransport(%q) succeeded, want an error", u)
		}
	}
}
