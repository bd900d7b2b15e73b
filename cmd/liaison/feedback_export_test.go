package main

import (
	"strings"
	"testing"
)

// exportScript: alice's crash, voted for by eve, answered by an approved
// reply and shipped; eve's duplicate of it merged; mallory's praise left
// open.
const exportScript = `discord #feedback alice: the export button crashes on big files
react d1 👍 eve
discord #feedback eve: export crashes with big files
click s2 "Merge into #1" carol
slack #product bob: /liaison reply 1 Thanks alice, a fix ships on Monday.
react s3 ✅ dave
clock +1h
slack #product carol: /liaison feedback status 1 shipped
discord #general mallory: I love the new dashboard
react d4 📣 dave
`

// The export lists each item with its history, voters, merges and replies,
// in csv and json, as the golden files under testdata/ say.
func TestTheFeedbackExportListsItemsWithTheirHistoryGolden(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	code, out, errs := runConsole(t, strings.NewReader(exportScript), "--db", db, "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 || errs != "" || strings.Contains(out, "line ") {
		t.Fatalf("console exited %d; stderr:\n%s\n%s", code, errs, out)
	}
	env := map[string]string{"LIAISON_DATABASE_URL": "sqlite:" + db}
	for _, format := range []string{"csv", "json"} {
		code, got, errs := runLiaison(t, env, "feedback", "export", "--since", "2026-11-01", "--format", format)
		if code != exitOK || errs != "" {
			t.Fatalf("feedback export --format %s = %d, %s", format, code, errs)
		}
		golden(t, "feedback_export."+format, got)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"feedback"}, exitUsage, "Usage: liaison feedback export"},
		{[]string{"feedback", "import"}, exitUsage, `expected export, got "import"`},
		{[]string{"feedback", "export", "--format", "xml"}, exitUsage, `--format "xml": use csv or json`},
		{[]string{"feedback", "export", "--since", "last week"}, exitUsage, `--since "last week" is neither a duration`},
	} {
		code, _, errs := runLiaison(t, env, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("liaison %s = %d %q, want %d and %q", strings.Join(tt.args, " "), code, errs, tt.code, tt.want)
		}
	}
}
