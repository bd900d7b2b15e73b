package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

const cliDigestConfig = `timezone: Europe/Paris
slack:
  channels: {community: C01COMMUNITY}
digests:
  - {name: weekly, cron: "0 9 * * MON", to: [community]}
`

// runLiaison runs the command line with env and returns the exit code,
// stdout and stderr.
func runLiaison(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &Stdio{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func cliDigestEnv(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "liaison.yaml")
	if err := os.WriteFile(cfg, []byte(cliDigestConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"LIAISON_CONFIG": cfg, "LIAISON_DATABASE_URL": "sqlite:" + filepath.Join(dir, "liaison.db"), "LIAISON_LOG_LEVEL": "error"}
}

func TestDigestPreviewPrintsThePeriodSoFar(t *testing.T) {
	t.Parallel()
	env := cliDigestEnv(t)
	if code, out, errs := runLiaison(t, env, "digest", "preview"); code != exitError || !strings.Contains(errs, "run liaison migrate") {
		t.Errorf("preview before migrating = %d %q %q", code, out, errs)
	}
	if code, _, errs := runLiaison(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	code, out, errs := runLiaison(t, env, "digest", "preview", "weekly")
	if code != 0 || !strings.HasPrefix(out, "Weekly community digest so far · ") || !strings.Contains(out, "\nMessages: 0 (no change)\n") {
		t.Errorf("digest preview = %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runLiaison(t, env, "digest", "preview", "monthly"); code != exitError || !strings.Contains(errs, `There is no digest called "monthly". The digests are: weekly.`) {
		t.Errorf("preview of an unknown digest = %d %q", code, errs)
	}
}

func TestDigestRunPostsASlotOnce(t *testing.T) {
	t.Parallel()
	env := cliDigestEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"digest"}, exitUsage, "Usage: liaison digest preview"},
		{"no name", []string{"digest", "run"}, exitUsage, "name one digest"},
		{"not a time", []string{"digest", "run", "weekly", "--slot", "monday"}, exitUsage, `--slot "monday" is not a time`},
		{"not a scheduled time", []string{"digest", "run", "weekly", "--slot", "2026-11-16T10:00:00+01:00"}, exitUsage,
			"is not a scheduled time of the weekly digest (0 9 * * MON in Europe/Paris): the nearest are 2026-11-16T09:00:00+01:00 and 2026-11-23T09:00:00+01:00"},
		{"a time to come", []string{"digest", "run", "weekly", "--slot", "2099-11-30T09:00"}, exitUsage, "has not come yet"},
		{"without tokens it queues", []string{"digest", "run", "weekly", "--slot", "2026-11-16T09:00"}, 0,
			"Queued the weekly digest of Mon 16 Nov 2026 09:00 CET: liaison run sends it"},
		{"the same slot again", []string{"digest", "run", "weekly", "--slot", "2026-11-16T08:00:00Z"}, 0,
			"The weekly digest of Mon 16 Nov 2026 09:00 CET was already posted: nothing was sent again."},
	}
	for _, tt := range tests {
		code, out, errs := runLiaison(t, env, tt.args...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("%s: liaison %s = %d\n%s%s\nwant %d and %q", tt.name, strings.Join(tt.args, " "), code, out, errs, tt.code, tt.want)
		}
	}
}

func TestDigestRunSendsThroughSlackWhenItHasTheToken(t *testing.T) {
	t.Parallel()
	sf := slackfake.New()
	t.Cleanup(sf.Close)
	sf.SetToken("xoxb-cli")
	sf.AddChannel("C01COMMUNITY", "community")
	env := cliDigestEnv(t)
	env["SLACK_BOT_TOKEN"], env["LIAISON_SLACK_API_URL"] = "xoxb-cli", sf.APIURL()
	code, out, errs := runLiaison(t, env, "digest", "run", "weekly", "--slot", "2026-11-23 09:00")
	if code != 0 || out != "Posted the weekly digest of Mon 23 Nov 2026 09:00 CET.\n" {
		t.Fatalf("digest run = %d\n%s%s", code, out, errs)
	}
	msgs := sf.Messages("C01COMMUNITY")
	if len(msgs) != 2 || !strings.Contains(string(msgs[0].Blocks), "Weekly community digest · 16–22 Nov 2026") || len(msgs[1].Files) != 1 || msgs[1].ThreadTS != msgs[0].TS {
		t.Errorf("#community = %+v, want the digest and its chart in the thread", msgs)
	}
}
