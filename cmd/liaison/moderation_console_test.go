package main

import (
	"strings"
	"testing"
)

func TestTheTourShowsModeration(t *testing.T) {
	t.Parallel()
	out := runTour(t)
	for _, want := range []string{
		"[discord #general] dave: /warn mallory spamming links\n[discord #general] (to dave) liaison: Warned mallory (case 1). mallory has 1 point(s) now; at 3: a 1h timeout.\n",
		"[discord #mod-log] ", " liaison: Case 1 · warn\n    Member: mallory (1300000000000000102)\n    Moderator: dave\n    Reason: spamming links\n",
		"[slack #mod-log] ",
		"[discord #general] (to bob) liaison: Timing members out is for the Discord moderators. Nothing was changed;",
		"[discord audit-log] liaison: timed out mallory until ",
		" · dave via Liaison, case 2: still spamming after a warning\n",
		// A timed-out member cannot post until the timeout ends.
		": mallory cannot post: they are timed out until Fri 4 Dec 2026 12:00 CET (dave via Liaison, case 2: still spamming after a warning)\n[clock] Fri 4 Dec 2026 12:00 CET",
		"liaison: Case 2: the 2h timeout of mallory ended.\n",
		"[slack #mod-log] (to dave) liaison: mallory has 2 case(s), newest first:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	// Nothing moderation prints pings anyone.
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Case ") && strings.Contains(l, "@") {
			t.Errorf("a mod-log line mentions someone: %q", l)
		}
	}
}

func TestConsoleConfirmationsCarryReferencesAndPurgesArchive(t *testing.T) {
	t.Parallel()
	script := `discord #general mallory: buy followers at my shop
discord #general mallory: buy followers at my shop, really
discord #general dave: /warn mallory one
discord #general dave: /warn mallory two
discord #general dave: /warn mallory three
click d5 "Confirm" dave
discord #general dave: /purge 5 user:mallory
click d8 "Confirm" dave
discord #general alice: come to discord.gg/other
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[discord #general] d5 (to dave) liaison: This warning brings mallory to 3 points, which triggers a 1h timeout. Confirm to warn and apply it, or warn only. [Confirm] [Warn only] [Cancel]\n",
		"[discord #general] dave clicked [Confirm] on d5\n[discord #general] (to dave) liaison: Warned mallory (case 3). Timed out mallory for 1h",
		"[discord audit-log] liaison: timed out mallory until Mon 23 Nov 10:00 CET · dave via Liaison, case 4: escalation: 3 points reached with case 3 (three)\n",
		"[discord #general] d8 (to dave) liaison: Purge 2 message(s) in #general (from mallory)? 2 recent: deleted at once. Their text is archived in the mod log. [Confirm] [Cancel]\n",
		"[discord #general] d2 deleted by liaison\n[discord #general] d1 deleted by liaison\n",
		"liaison: Archive of the 2 message(s) purged from #general in case 5.\n    [file purge-case-5.txt]\n",
		"[discord #general] d11 alice: come to discord.gg/other\n[discord #general] d11 deleted by liaison\n",
		"[slack #mod-log] s7 liaison: Automod: alice broke rule invites in #general\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
