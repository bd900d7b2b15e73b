package main

import (
	"strings"
	"testing"
)

// In the console, options are typed positionally: the duration may come
// right after the member or last; a second ban is refused with the case in
// force; a mistyped verb gets a suggestion.
func TestConsoleBansWithTheDurationAnywhereAndOnce(t *testing.T) {
	t.Parallel()
	script := `discord #general dave: /ban mallory 7d raid spam
discord #general dave: /ban mallory raid again 30d
click d2 "Extend/shorten" dave
discord #general dave: /timeout eve spam 2d
discord #general dave: /timeout eve 10m calmer
click d5 "Confirm" dave
discord #general dave: /ban eve spam duration:soon
slack #mod-log dave: /liaison mod wran eve x
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	t.Log(out)
	for _, want := range []string{
		"liaison: Banned mallory for 1w, until Mon 30 Nov 09:00 CET (case 1).\n",
		"d2 (to dave) liaison: mallory is banned since Mon 23 Nov 09:00 CET by dave, case 1, until Mon 30 Nov 09:00 CET. Nobody is banned twice: nothing was done. Extend it instead? Case 1 would end at Wed 23 Dec 09:00 CET (4w2d from now). [Extend/shorten] [Cancel]\n",
		"liaison: Case 1 changed: mallory stays banned, now until Wed 23 Dec 09:00 CET (was until Mon 30 Nov 09:00 CET).\n",
		"liaison: Timed out eve for 2d, until Wed 25 Nov 09:00 CET (case 2).\n",
		"d5 (to dave) liaison: eve is timed out until Wed 25 Nov 09:00 CET (case 2). This shortens eve's 2d timeout (case 2) to 10m, from now: confirm? [Confirm] [Cancel]\n",
		"liaison: Timed out eve for 10m, until Mon 23 Nov 09:10 CET (case 3). It replaces case 2, which ends now.\n",
		"[discord audit-log] liaison: timed out eve until Mon 23 Nov 09:10 CET · dave via Liaison, case 3: shortens case 2's 2d timeout to 10m: calmer\n",
		`Use: /ban user:mallory reason:"spam" duration:7d`,
		"There is no /liaison mod wran. Did you mean /liaison mod warn?",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(out, "[discord audit-log] liaison: banned mallory"); n != 1 {
		t.Errorf("mallory banned %d times in the audit log", n)
	}
}

// A positional duration that is none is named as the mistake, not a
// missing reason, and a duration's mistake and the usage after it read as
// two sentences. Nothing typed wrong acts: the first case is the last
// line's.
func TestConsoleSaysWhichDurationIsWrong(t *testing.T) {
	t.Parallel()
	script := `discord #general dave: /timeout mallory spamming
discord #general dave: /timeout mallory
discord #general dave: /timeout mallory 10m
discord #general dave: /timeout mallory 7x spamming
discord #general dave: /ban mallory spam duration:soon
clock +soon
discord #general dave: /timeout mallory spamming 10m
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	const durations = `durations look like 30s, 10m, 2h, 7d, 2w or 1h30m.`
	for _, want := range []string{
		`line 1: "spamming" is not a duration: ` + durations + ` /timeout needs one: type /timeout user duration reason, like: /timeout user:mallory duration:10m reason:"spamming links"` + "\n",
		`line 2: /timeout needs duration: type /timeout user duration reason, like: /timeout user:mallory duration:10m reason:"spamming links"` + "\n",
		`line 3: /timeout needs reason: type /timeout user duration reason, like: /timeout user:mallory duration:10m reason:"spamming links"` + "\n",
		`[discord #general] (to dave) liaison: "7x" is not a duration: ` + durations + ` Use: /timeout user:mallory duration:10m reason:"spamming links"` + "\n",
		`[discord #general] (to dave) liaison: "soon" is not a duration: ` + durations + ` Use: /ban user:mallory reason:"spam" duration:7d` + "\n",
		`line 6: "soon" is not a duration: ` + durations + ` Write clock +1h (or +30m, +2d, +1w), or clock 2026-11-24T10:00+01:00` + "\n",
		"[discord #general] (to dave) liaison: Timed out mallory for 10m, until Mon 23 Nov 09:10 CET (case 1).\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
