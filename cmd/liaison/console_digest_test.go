package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestTheConsoleShowsTheWeeklyDigestAfterAWeek(t *testing.T) {
	t.Parallel()
	script := strings.Join([]string{
		"discord #general alice: morning all",
		"discord #general eve: does anyone have a dark mode theme?",
		"discord #feedback mallory: the export button crashes",
		"slack #community carol: /liaison digest preview",
		"clock +7d",
	}, "\n") + "\n"
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T10:00:00+01:00")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[slack #community] (to carol) liaison: Weekly community digest so far · 23–29 Nov 2026\n",
		"[clock] Mon 30 Nov 2026 10:00 CET (Europe/Paris)\n",
		// The console starts at 10:00 on the period's first day, after it
		// began: its distinct members are estimated, marked ≈.
		"    Messages: 3 (+3, new)\n    Active members: ≈3 (+3, new)\n",
		"    Busiest channels\n    - #general: 2 messages (+2, new)\n    - #feedback: 1 message (+1, new)\n",
		"    Top contributors\n    - alice: 1 message\n",
		"    Feedback by tag\n    - bug: 1 (+1, new)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the console's output lacks %q:\n%s", want, out)
		}
	}
	post := regexp.MustCompile(`\[slack #community\] (s\d+) liaison: Weekly community digest · 23–29 Nov 2026\n`).FindStringSubmatch(out)
	if post == nil {
		t.Fatalf("no digest in #community:\n%s", out)
	}
	if !strings.Contains(out, "[slack #community] ") || !strings.Contains(out, " (thread "+post[1]+") liaison: [file chart.png]\n") {
		t.Errorf("no chart in the thread of %s:\n%s", post[1], out)
	}
	if n := strings.Count(out, "liaison: Weekly community digest · "); n != 1 {
		t.Errorf("%d digests posted, want 1", n)
	}
}

func TestTheTourEndsWithTheWeeklyDigest(t *testing.T) {
	t.Parallel()
	out := runTour(t)
	for _, want := range []string{
		"(to carol) liaison: Weekly community digest so far · 23–29 Nov 2026\n",
		"[clock] Fri 4 Dec 2026 10:00 CET (Europe/Paris)\n",
		"liaison: Weekly community digest · 23–29 Nov 2026\n",
		"liaison: [file chart.png]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
}
