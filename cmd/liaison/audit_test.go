package main

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// auditScript is a history played in the console: a draft rejected with a
// reason, resubmitted as version 2 and approved by carol; then a follow-up
// by carol to the same message, approved by dave.
const auditScript = `discord #feedback alice: the export button crashes when I pick CSV
slack #product bob: /liaison reply 1 It crashes because of you.
click s2 "Reject" dave
submit dave reason="too defensive; thank them first"
clock +10m
click s2 "Edit" bob
submit bob text="Sorry about that, alice! A fix ships on Monday."
clock +5m
click s4 "Approve" carol
clock +1h
slack #approvals carol: /liaison draft https://discord.com/channels/998877665544332211/1100000000000000001/1574333684121604096 It shipped: update to 2.4.1.
react s6 ✅ dave
`

// The audit export lists exactly what happened in a scripted history, in
// each format, as the golden files under testdata/ say.
func TestTheAuditListsExactlyWhatHappenedGolden(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	code, out, errs := runConsole(t, strings.NewReader(auditScript), "--db", db, "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 || errs != "" || strings.Contains(out, "line ") {
		t.Fatalf("console exited %d; stderr:\n%s\n%s", code, errs, out)
	}
	env := map[string]string{"LIAISON_DATABASE_URL": "sqlite:" + db}
	for _, format := range []string{"text", "csv", "json"} {
		code, got, errs := runLiaison(t, env, "audit", "drafts", "--since", "2026-11-01", "--format", format)
		if code != exitOK || errs != "" {
			t.Fatalf("audit --format %s = %d, %s", format, code, errs)
		}
		golden(t, "audit_drafts."+map[string]string{"text": "txt", "csv": "csv", "json": "json"}[format], got)
	}
	// Later than every post: nothing to list.
	if code, got, _ := runLiaison(t, env, "audit", "drafts", "--since", "1h"); code != exitOK || got != "No reply was posted in Discord in that time.\n" {
		t.Errorf("audit --since 1h = %d %q", code, got)
	}
}

func TestAuditRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	env := map[string]string{"LIAISON_DATABASE_URL": "sqlite:" + db}
	// Reading leaves no database behind where there was none.
	for _, args := range [][]string{{"audit", "drafts"}, {"feedback", "export"}, {"digest", "preview"}} {
		if code, out, errs := runLiaison(t, env, args...); code != exitError || !strings.Contains(out+errs, "there is no database at "+db+": set LIAISON_DATABASE_URL") {
			t.Errorf("liaison %s without a database = %d %q", strings.Join(args, " "), code, out+errs)
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading made %s: %v", db, err)
	}
	if err := os.WriteFile(db, nil, 0o600); err != nil { // an empty SQLite database
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"audit"}, exitUsage, "Usage: liaison audit drafts"},
		{[]string{"audit", "replies"}, exitUsage, `expected drafts, got "replies"`},
		{[]string{"audit", "drafts", "--format", "xml"}, exitUsage, `--format "xml": use text, csv or json`},
		{[]string{"audit", "drafts", "--since", "last week"}, exitUsage, `--since "last week" is neither a duration (30d) nor a date (2026-11-01)`},
		{[]string{"audit", "drafts"}, exitError, "the database is not ready: run liaison migrate"},
	} {
		if code, out, errs := runLiaison(t, env, tt.args...); code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("liaison %s = %d %q, want %d and %q", strings.Join(tt.args, " "), code, out+errs, tt.code, tt.want)
		}
	}
}
