package main

import (
	"fmt"
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
	// The join gate: the DM first, then the kick, a case by the gate.
	dm := strings.Index(out, " liaison: Hello fresh.account. The server admits Discord accounts from 1d old, and yours is 2h old. You are welcome to join again from ")
	kick := strings.Index(out, "[discord audit-log] liaison: kicked fresh.account · Liaison (join gate), case 3: account 2h old; the server admits accounts from 1d old\n")
	if dm < 0 || kick < dm || !strings.Contains(out, "[discord dm › fresh.account] d") {
		t.Errorf("the tour's join gate: DM at %d, kick at %d:\n%s", dm, kick, out)
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

// A burst of cases is printed in the line that made it: the batch is
// posted at once and edited as the burst goes on, not held back until a
// later clock line.
func TestABurstOfCasesReachesTheModLogWithinItsLine(t *testing.T) {
	t.Parallel()
	var script strings.Builder
	for i := 1; i <= 7; i++ {
		fmt.Fprintf(&script, "discord #general dave: /note mallory raid report %d\n", i)
	}
	code, out, errs := runConsole(t, strings.NewReader(script.String()), "--db", tempDB(t), "--now", "2026-11-24T10:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	// The sixth note opens the batch in its own line; the seventh edits it.
	sixth := strings.Index(out, "dave: /note mallory raid report 6\n")
	seventh := strings.Index(out, "dave: /note mallory raid report 7\n")
	if sixth < 0 || seventh < 0 {
		t.Fatalf("the notes are not echoed:\n%s", out)
	}
	if !strings.Contains(out[sixth:seventh], "[discord #mod-log] ") || !strings.Contains(out[sixth:seventh], " liaison: Case 6\n") {
		t.Errorf("the sixth case is not in the mod log before the next line:\n%s", out[sixth:seventh])
	}
	if after := out[seventh:]; !strings.Contains(after, " edited liaison: Cases 6–7 (2 cases in a burst)\n") {
		t.Errorf("the seventh case does not edit the batch in its line:\n%s", after)
	}
}

// Slowmode holds a member back in the channel, as Discord does, between
// messages and replies there, but not the moderators, nor in a thread, and
// only until the wait has passed or slowmode is off.
func TestConsoleSlowmodeHoldsMembersBackButNotModerators(t *testing.T) {
	t.Parallel()
	script := `discord #general dave: /slowmode 1m
discord #general mallory: hello
discord #general mallory: again
reply d2 mallory: a reply is a message too
discord #general dave: moderators are not held back
discord #general dave: not at all
thread d2 mallory: a thread is not the channel
discord #feedback mallory: another channel is not slowed
clock +25s
discord #general mallory: still too soon
clock +35s
discord #general mallory: a minute later
discord #general dave: /slowmode 0
discord #general mallory: off now
discord #general mallory: and again
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[discord #general] (to dave) liaison: Members of #general now wait 1m between messages (case 1).\n",
		"[discord #general] d2 mallory: hello\n",
		"line 3: mallory cannot post in #general for another 1m: slowmode is on there (1m between a member's messages)\n",
		"line 4: mallory cannot post in #general for another 1m: slowmode is on there (1m between a member's messages)\n",
		" dave: moderators are not held back\n",
		" dave: not at all\n",
		"[discord #general › hello] ",
		" mallory: a thread is not the channel\n",
		" mallory: another channel is not slowed\n",
		"line 10: mallory cannot post in #general for another 35s: slowmode is on there (1m between a member's messages)\n",
		" mallory: a minute later\n",
		" mallory: off now\n",
		" mallory: and again\n",
	} {
		if !strings.Contains(out+errs, want) {
			t.Errorf("output lacks %q:\n%s\nstderr:\n%s", want, out, errs)
		}
	}
	for _, refused := range []string{"mallory: again\n", "a reply is a message too", "still too soon"} {
		if strings.Contains(out, refused) {
			t.Errorf("a post slowmode held back was posted (%q):\n%s", refused, out)
		}
	}
}
