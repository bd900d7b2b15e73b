package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// run runs the command line with the given environment and returns the exit
// code, stdout and stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &Stdio{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestHelpSaysWhatEachCommandDoesAndWhatItReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"run ", "migrate ", "config check", "version", "help"}},
		{[]string{"help"}, []string{"Commands:"}},
		{[]string{"run", "--help"}, []string{"/healthz", "LIAISON_DATABASE_URL", "SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "LIAISON_HTTP_ADDR", "LIAISON_LOG_LEVEL", "LIAISON_SLACK_API_URL"}},
		{[]string{"help", "run"}, []string{"SIGTERM"}},
		{[]string{"migrate", "--help"}, []string{"up ", "status", "LIAISON_DATABASE_URL"}},
		{[]string{"config", "--help"}, []string{"line and key", "LIAISON_CONFIG"}},
		{[]string{"version", "--help"}, []string{"Usage: liaison version", "/liaison status"}},
		{[]string{"help", "version"}, []string{"Usage: liaison version"}},
	}
	for _, tt := range tests {
		code, out, _ := run(t, nil, tt.args...)
		if code != 0 {
			t.Errorf("liaison %s exited %d, want 0", strings.Join(tt.args, " "), code)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("liaison %s output lacks %q:\n%s", strings.Join(tt.args, " "), w, out)
			}
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"frobnicate"}, {"migrate", "sideways"}, {"config"}, {"run", "extra"}} {
		code, _, errs := run(t, nil, args...)
		if code != exitUsage || errs == "" {
			t.Errorf("liaison %q = %d with stderr %q, want 2 and an explanation", args, code, errs)
		}
	}
	code, _, errs := run(t, map[string]string{"LIAISON_LOG_LEVEL": "loud"}, "run")
	if code != exitUsage || !strings.Contains(errs, "use debug, info, warn or error") {
		t.Errorf("bad log level: %d %q", code, errs)
	}
}

func TestVersionPrints(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "liaison ") {
		t.Errorf("version = %d %q", code, out)
	}
}

func TestConfigCheckAcceptsTheExampleAndLocatesErrors(t *testing.T) {
	t.Parallel()
	code, out, errs := run(t, nil, "config", "check", "../../liaison.example.yaml")
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("config check of the example = %d %q %q", code, out, errs)
	}
	// The example's staff: [carol, dave], admins: [carol]: each action is
	// listed with who may do it.
	for _, want := range []string{
		`(?m)^  feedback\.close +staff: carol or dave$`,
		`(?m)^  route\.replay +admins: carol$`,
		`(?m)^  moderation\.ban +the Discord moderators$`,
		`(?m)^  giveaways\.manage +carol or the Discord moderators$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("config check lists no line like %s:\n%s", want, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("timezone: UTC\nslack:\n  chanels: {}\n"), 0o600)
	code, _, errs = run(t, nil, "config", "check", bad)
	if code != exitError || !strings.Contains(errs, bad+":3:3: slack.chanels: unknown key") {
		t.Errorf("config check of a bad file = %d %q, want 1 and file:line:col: key", code, errs)
	}
	code, _, errs = run(t, map[string]string{"LIAISON_CONFIG": "/nope.yaml"}, "config", "check")
	if code != exitError || !strings.Contains(errs, "/nope.yaml: no such file") {
		t.Errorf("config check of a missing LIAISON_CONFIG = %d %q", code, errs)
	}
}

func TestMigrateUpThenStatus(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LIAISON_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "m.db")}
	code, out, errs := run(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "0001_initial.sql") || !strings.Contains(out, "pending") {
		t.Fatalf("status before = %d %q %q", code, out, errs)
	}
	if code, out, errs = run(t, env, "migrate"); code != 0 || !strings.HasPrefix(out, "Applied ") || !strings.Contains(out, " migration(s) to the sqlite database.") {
		t.Fatalf("migrate = %d %q %q", code, out, errs)
	}
	if code, out, _ = run(t, env, "migrate", "up"); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate = %d %q", code, out)
	}
	if code, out, _ = run(t, env, "migrate", "status"); code != 0 || !strings.Contains(out, "applied") || strings.Contains(out, "pending") {
		t.Errorf("status after = %d %q", code, out)
	}
}
