package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
)

// startRoundTripE2E runs `liaison run` with its admin listener; echo has
// the Slack fake deliver the bot's own messages back as events, as Slack
// does for an app subscribed to message.channels.
func startRoundTripE2E(t *testing.T, echo bool) (*e2e, *e2eWorld) {
	t.Helper()
	w := newE2EWorld(t, store.SQLite)
	e, _ := w.launch(t, true, func(a *App) {
		a.Env.AdminAddr = "127.0.0.1:0"
		a.RoundTripWait = 2 * time.Second
	})
	if echo {
		w.slack.EchoBotMessages(e.base, e2eSecret)
	}
	return e, w
}

// doctorRoundTrip runs `liaison doctor --round-trip --only config` against
// e's admin listener and returns its exit code and output.
func doctorRoundTrip(t *testing.T, e *e2e, w *e2eWorld) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{AdminAddr: e.app.AdminAddr(), ConfigPath: w.config, LogLevel: "info"}
	code := doctorCmd(context.Background(), []string{"--round-trip", "--only", "config"}, &Stdio{Out: &out, Err: &errOut}, env)
	return code, out.String() + errOut.String()
}

func TestDoctorRoundTripPostsInSlackAndDiscordSeesThemComeBackAndDeletesThem(t *testing.T) {
	t.Parallel()
	e, w := startRoundTripE2E(t, true)

	code, out := doctorRoundTrip(t, e, w)
	if code != exitOK {
		t.Fatalf("doctor --round-trip exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"Round trip\n",
		"✓ round trip: slack: a test message in #community came back through the events in ",
		"✓ round trip: discord: a test message in #general came back through the events in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor's output lacks %q:\n%s", want, out)
		}
	}
	// The test messages were posted, and are gone.
	if n := len(e.slack.CallsTo("chat.postMessage")); n != 1 {
		t.Errorf("%d chat.postMessage calls, want the one test message", n)
	}
	if msgs := e.slack.Messages("C01COMMUNITY"); len(msgs) != 0 {
		t.Errorf("#community still has %d messages: %+v", len(msgs), msgs)
	}
	if n := len(e.discord.CallsTo("POST", "/channels/"+e2eGeneral+"/messages")); n != 1 {
		t.Errorf("%d posts in #general, want the one test message", n)
	}
	if msgs := e.discord.Messages(e2eGeneral); len(msgs) != 0 {
		t.Errorf("#general still has %d messages: %+v", len(msgs), msgs)
	}
	// Nothing came of them: no feedback, nothing in the outbox.
	if entries, _ := e.app.DB.OutboxEntries(context.Background()); len(entries) != 0 {
		t.Errorf("the round trip left %d outbox messages", len(entries))
	}

	// The same from Slack, for an admin.
	got := e.slashText(t, "U01CAROL", "/liaison", "doctor round-trip")
	if !strings.Contains(got, "Round trip") || !strings.Contains(got, "✓ slack: a test message in #community came back") || !strings.Contains(got, "✓ discord: a test message in #general came back") {
		t.Errorf("/liaison doctor round-trip = %q", got)
	}
}

func TestDoctorRoundTripSaysWhatToFixWhenAMessageDoesNotComeBackOrCannotBePosted(t *testing.T) {
	t.Parallel()
	e, w := startRoundTripE2E(t, false) // Slack delivers no events for the app's messages
	e.discord.FailNext("POST", "/channels/"+e2eGeneral+"/messages", http.StatusForbidden, map[string]any{"code": 50013, "message": "Missing Permissions"})

	code, out := doctorRoundTrip(t, e, w)
	if code != exitError {
		t.Errorf("doctor --round-trip exited %d, want %d:\n%s", code, exitError, out)
	}
	for _, want := range []string{
		"✗ round trip: slack: the test message was posted but its event never came back",
		"fix: check the app's Event Subscriptions (message.channels, message.groups), its Request URL or Socket Mode, and that Liaison is in #community (/invite @Liaison)",
		"✗ round trip: discord: Liaison cannot post in #general: give it Send Messages there",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor's output lacks %q:\n%s", want, out)
		}
	}
	if msgs := e.slack.Messages("C01COMMUNITY"); len(msgs) != 0 {
		t.Errorf("the test message was left in #community: %+v", msgs)
	}
}

func TestDoctorRoundTripWithoutARunningServiceSaysSo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	code := doctorCmd(context.Background(), []string{"--round-trip", "--only", "config"}, &Stdio{Out: &out, Err: &out}, Env{AdminAddr: "127.0.0.1:1"})
	if code != exitError || !strings.Contains(out.String(), "no answer from liaison run's admin listener at 127.0.0.1:1") {
		t.Errorf("doctor --round-trip with nothing running = %d\n%s", code, out.String())
	}
	out.Reset()
	code = doctorCmd(context.Background(), []string{"--round-trip", "--only", "config"}, &Stdio{Out: &out, Err: &out}, Env{AdminAddr: "off"})
	if code != exitError || !strings.Contains(out.String(), "LIAISON_ADMIN_ADDR is off") {
		t.Errorf("doctor --round-trip with the admin listener off = %d\n%s", code, out.String())
	}
}
