package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/examples"
)

// runConsole runs `liaison console` with args on the given input and returns
// the exit code, stdout and stderr.
func runConsole(t *testing.T, in io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"console"}, args...), &Stdio{In: in, Out: &out, Err: &errb}, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func tempDB(t *testing.T) string { return filepath.Join(t.TempDir(), "console.db") }

func TestTheTourShowsWhatTheReadmeSays(t *testing.T) {
	t.Parallel()
	code, out, errs := runConsole(t, strings.NewReader(examples.Tour), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 {
		t.Fatalf("console < tour.txt exited %d; stderr:\n%s", code, errs)
	}
	badLine := 0
	for i, l := range strings.Split(examples.Tour, "\n") {
		if strings.HasPrefix(l, "discord feedback ") {
			badLine = i + 1
		}
	}
	for _, want := range []string{
		"[slack #product] bob: /liaison help\n",
		"[slack #product] (to bob) liaison: Liaison relays",
		"(to bob) liaison: There is no /liaison hlep. Did you mean /liaison help?",
		"[discord #feedback] d1 alice: the export button crashes when I pick CSV\n",
		"[discord #feedback] d1 +👍 eve\n",
		"[slack #product] s1 liaison: Feedback #1 from alice in #feedback\n    > the export button crashes when I pick CSV\n    Sentiment: negative: crashes\n    Tags: bug\n",
		"[slack #product] (to carol) liaison: You acknowledged feedback #1.\n[slack #product] s1 edited liaison: Feedback #1 from alice in #feedback\n",
		"    Status: acknowledged by carol\n",
		"[discord #general] d2 +📣 dave\n[slack #marketing] s2 liaison: Feedback #2 from mallory in #general\n",
		"[clock] Thu 26 Nov 2026 09:00 CET (Europe/Paris)\n",
		"[slack #marketing] s3 (thread s2) liaison: Feedback #2 from mallory has waited 4h of business hours without an answer. Claim it to take it on. [Claim]\n",
		"[slack #marketing] (to carol) liaison: Feedback #2 is yours.\n",
		"    Community size: 6 (+6, new)\n", // the console's six Discord members, reported at start
		"(to carol) liaison: Feedback #1 is closed.\n[slack #product] s1 edited liaison: Feedback #1 from alice in #feedback\n",
		"    Status: closed by carol: fixed in 2.4\n",
		"line " + strconv.Itoa(badLine) + ": name the channel after discord, with its #",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	if errs != "" {
		t.Errorf("the tour logged:\n%s", errs)
	}
}

func TestTheConsoleDrivesTheRealHandlers(t *testing.T) {
	t.Parallel()
	code, out, errs := runConsole(t, strings.NewReader("slack #product bob: /liaison help\n"), "--db", tempDB(t))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 4 || lines[0] != "[slack #product] bob: /liaison help" ||
		lines[1] != "[slack #product] (to bob) liaison: Liaison relays what the community says in Discord to the team here, and posts the team's approved answers back." {
		t.Fatalf("output =\n%s", out)
	}
	for _, l := range lines[2:] {
		if !strings.HasPrefix(l, "    ") {
			t.Errorf("a further line of the help is not indented by four spaces: %q", l)
		}
	}
	if !strings.Contains(out, "\n    Commands:\n") || !strings.Contains(out, "\n      /liaison help [command]") {
		t.Errorf("the help's command list is missing:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a console writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestASecondConsoleOnTheSameDatabaseIsRefused(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	in, feed := io.Pipe()
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(context.Background(), []string{"console", "--db", db}, &Stdio{In: in, Out: &out, Err: &errs}, func(string) string { return "" })
	}()
	if _, err := io.WriteString(feed, "slack #product bob: /liaison help\n"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "(to bob)"); {
		if time.Now().After(deadline) {
			t.Fatalf("the first console did not answer; stdout %q, stderr %q", out.String(), errs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, _, stderr := runConsole(t, strings.NewReader(""), "--db", db)
	if code != exitError || !strings.Contains(stderr, "is in use by another Liaison process") || !strings.Contains(stderr, db) {
		t.Errorf("second console = %d, %q; want 1 and the lock message naming %s", code, stderr, db)
	}
	feed.Close()
	if code := <-done; code != 0 {
		t.Errorf("first console exited %d; stderr:\n%s", code, errs.String())
	}
	// Once the first has gone, the database is free again, and a second run
	// does not mistake its messages for the first run's.
	code, stdout, stderr := runConsole(t, strings.NewReader("discord #feedback alice: the export crashes again\n"), "--db", db)
	if code != 0 || !strings.Contains(stdout, "[discord #feedback] d1 alice: the export crashes again") {
		t.Errorf("a later console = %d %q %q", code, stdout, stderr)
	}
}

func TestConsoleHelpDocumentsTheSyntax(t *testing.T) {
	t.Parallel()
	code, out, _ := runConsole(t, strings.NewReader(""), "--help")
	if code != 0 {
		t.Errorf("console --help exited %d", code)
	}
	for _, want := range []string{
		"liaison console < examples/tour.txt", "-config", "-db", "-now", "liaison-console.db",
		"discord #CHANNEL NAME: TEXT", "slack #CHANNEL NAME: TEXT", "/COMMAND", "name:value", "react REF EMOJI NAME",
		`click REF "LABEL" NAME`, `menu REF "MENU" NAME`, "submit NAME FIELD=VALUE", "edit REF NAME: TEXT", "delete REF",
		"clock +DURATION", "help", "quit", "(to bob)", "(thread s2)", "(reply d1)", "edited", "+✅", "[file chart.png]", "line N: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console --help lacks %q", want)
		}
	}
	if _, out, _ := run(t, nil, "--help"); !strings.Contains(out, "console ") {
		t.Errorf("liaison --help does not list console:\n%s", out)
	}
}

func TestConsoleFlagsAndConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a time that is not RFC 3339", []string{"--now", "tomorrow"}, exitUsage, `--now "tomorrow" is not a time`},
		{"a stray argument", []string{"tour.txt"}, exitUsage, "the script comes on standard input"},
		{"a missing configuration", []string{"--config", "/nope.yaml"}, exitError, "--config names /nope.yaml, which does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errs := runConsole(t, strings.NewReader(""), append(tt.args, "--db", tempDB(t))...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("console %v = %d, %q; want %d and %q", tt.args, code, errs, tt.code, tt.want)
			}
		})
	}
}

func TestConsoleRunsOnAnOrdinaryConfig(t *testing.T) {
	t.Parallel()
	// liaison.example.yaml has no console: section: Slack users come from
	// people:, Discord users from people: with a discord: id.
	code, out, errs := runConsole(t, strings.NewReader("slack #product carol: /liaison help\ndiscord #general dave: hello\ndiscord #general alice: hi\n"),
		"--config", "../../liaison.example.yaml", "--db", tempDB(t))
	if code != 0 || !strings.Contains(out, "(to carol) liaison: Liaison relays") || !strings.Contains(out, "[discord #general] d1 dave: hello") ||
		!strings.Contains(out, `line 3: nobody called "alice" is on Discord: there are dave`) {
		t.Errorf("console --config liaison.example.yaml = %d\n%s\n%s", code, out, errs)
	}
}
