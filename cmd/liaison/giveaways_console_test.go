package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestConsoleRunsAGiveawayFromStartToDraw(t *testing.T) {
	t.Parallel()
	script := `discord #general dave: /giveaway start prize:"a Liaison T-shirt" duration:1h winners:2 min_account_age:7d
click d1 "Enter" alice
click d1 "Enter" alice
click d1 "Enter" bob
join newbie age 2d
click d1 "Enter" newbie
discord #general alice: /giveaway list
clock +1h
click d1 "Enter" eve
slack #community carol: /liaison giveaway show 1
discord #general dave: /giveaway reroll 1 reason:"too soon"
click s1 "Approve" carol
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-24T10:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[discord #general] (to dave) liaison: Giveaway #1 started in #general: a Liaison T-shirt. It ends in 1h (Tue 24 Nov 11:00 CET)",
		"[discord #general] d1 liaison: 🎉 Giveaway #1: a Liaison T-shirt\n    Ends: in 1h (Tue 24 Nov 11:00 CET)\n    Winners: 2\n    Requirements: a Discord account at least 1w old\n    Entries: 0\n",
		"The winners announcement uses a text (giveaways.announcement, en) that waits for approval in #approvals: until it is approved, the draw happens on time but its announcement waits.\n",
		"[slack #approvals] s1 liaison: Giveaway announcement text to approve (en)\n    > Congratulations! Click Claim within {claim_within} (by {claim_by}) to get your prize.\n",
		"    (pings: nobody)\n    [Enter]\n[slack #community] s2 liaison: Giveaway #1 started in Discord: a Liaison T-shirt\n",
		"[discord #general] (to alice) liaison: You're in giveaway #1 with 1 ticket. The winners are drawn in 1h (Tue 24 Nov 11:00 CET).\n",
		"[discord #general] d1 edited liaison: 🎉 Giveaway #1: a Liaison T-shirt\n    Ends: in 1h (Tue 24 Nov 11:00 CET)\n    Winners: 2\n    Requirements: a Discord account at least 1w old\n    Entries: 1\n",
		"(to alice) liaison: You're in giveaway #1 — Leave? [Leave]\n",
		"[discord #general] (to bob) liaison: Staff cannot enter giveaways here",
		"[discord #general] (to newbie) liaison: Your Discord account must be at least 1w old to enter: you would meet it in 5d (Sun 29 Nov 10:00 CET), after this giveaway ends in 1h.\n",
		"[discord #general] (to alice) liaison: Running giveaways is for ",
		// The draw happens on time; its announcement waits for the text's
		// approval, and goes out once carol approves it.
		"[slack #community] s3 liaison: Giveaway #1 drawn: a Liaison T-shirt\n    Winners: alice. 1 person entered. The announcement in Discord waits for the approval of the giveaway announcement text (en) in #approvals;",
		"[discord #general] (to dave) liaison: The announcement of giveaway #1 waits for the approval of its text in the approvals channel, so its winners have not been told yet: reroll once it is out. Nothing was changed.\n",
		"[slack #approvals] (to carol) liaison: You approved the giveaway announcement text (en): announcements using it are posted; 1 waiting went out now.\n",
		"[discord #general] d5 (reply d1) liaison: @alice 🎉 Giveaway #1: a Liaison T-shirt — the draw\n    Congratulations! Click Claim within 2d",
		"[slack #community] s4 liaison: Giveaway #1's announcement went out in #general now that its text is approved. Its winners have until Thu 26 Nov 11:00 CET to claim.",
		"    2 winners were asked, but only 1 person entered: everyone who entered wins.\n",
		"    (pings: @alice)\n    [Claim]\n",
		"[file giveaway-1-entrants.txt]",
		"    Ended: now (Tue 24 Nov 11:00 CET): the result is in the reply below\n", // and the Enter button is gone:
		"line 9: d1 has no buttons\n",
		"[slack #community] (to carol) liaison: Giveaway #1: a Liaison T-shirt (in #general, by dave)\n    State: drawn Tue 24 Nov 11:00 CET\n",
		"    Announcement: not posted yet, it waits for the approval of its text (giveaways.announcement) in the approvals channel\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the console's output lacks %q:\n%s", want, out)
		}
	}
}

// Nobody claims: after claim_within staff are told in Slack, and one click
// there makes the next reserve the winner, pinging them alone.
func TestConsoleRerollsAnUnclaimedPrizeFromSlack(t *testing.T) {
	t.Parallel()
	script := `discord #general dave: /giveaway start prize:"a mug" duration:1h
click d1 "Enter" alice
click d1 "Enter" eve
click s1 "Approve" dave
clock +1h
clock +2d
click s4 "Reroll unclaimed" bob
click s4 "Reroll unclaimed" carol
click s4 "Reroll unclaimed" carol
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-24T10:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	// The seed is secret and random: read who won.
	draw := regexp.MustCompile(`liaison: @(alice|eve) 🎉 Giveaway #1: a mug — the draw`).FindStringSubmatch(out)
	if draw == nil {
		t.Fatalf("no draw pinging alice or eve:\n%s", out)
	}
	winner, reserve := draw[1], map[string]string{"alice": "eve", "eve": "alice"}[draw[1]]
	for _, want := range []string{
		"[slack #community] s4 liaison: Giveaway #1: 1 prize not claimed\n    " + winner + " (#1 in the order) did not claim a mug by Thu 26 Nov 11:00 CET.",
		"[Reroll unclaimed]",
		"[slack #community] (to bob) liaison: Running giveaways is for ",
		"liaison: @" + reserve + " 🎲 Giveaway #1: a mug — reroll\n    carol rerolled: the winner did not claim in time\n",
		"    New winners: " + reserve + " (#2 in the order)\n    Replaced (did not claim): " + winner + " (#1 in the order)\n",
		"    (pings: @" + reserve + ")\n    [Claim]\n",
		"[slack #community] (to carol) liaison: Every winner of giveaway #1 has claimed, or can still: nothing to reroll.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the console's output lacks %q:\n%s", want, out)
		}
	}
}

func TestTheTourShowsAGiveaway(t *testing.T) {
	t.Parallel()
	out := runTour(t)
	for _, want := range []string{
		"[discord #general] d20 liaison: 🎉 Giveaway #1: a Liaison hoodie\n    Ends: in 1d (Sat 5 Dec 12:00 CET)\n",
		"    Commitment: ",
		"    (pings: nobody)\n    [Enter]\n[slack #community] ",
		"(to eve) liaison: You're in giveaway #1 with 1 ticket.",
		"(to mallory) liaison: You had a timeout on this server in the last 30 days (case 2), so you cannot enter yet: you would meet it in 4w2d (Sun 3 Jan 10:00 CET), after this giveaway ends in 1d.\n",
		"[discord #general] d21 (reply d20) liaison: @eve 🎉 Giveaway #1: a Liaison hoodie — the draw\n",
		"    Seed: ", "    Entrants hash: ", "    (pings: @eve)\n    [Claim]\n",
		"[file giveaway-1-entrants.txt]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
}

// Ended early after a burst of clicks, the giveaway message shows it at
// once, before the next line is read: its last count, no Enter button,
// where the result is. The burst still made no edit of its own, and no
// count edit comes after the end. Whoever then tries to leave is told when
// it actually ended, as is who ends it again or looks at it.
func TestConsoleShowsAGiveawayEndedEarlyAtOnce(t *testing.T) {
	t.Parallel()
	script := `discord #general dave: /giveaway start prize:"a mug" duration:1d
click s1 "Approve" carol
click d1 "Enter" alice
click d1 "Enter" alice
click d1 "Enter" eve
click d1 "Enter" mallory
discord #general dave: /giveaway end 1
click d2 "Leave" alice
discord #general dave: /giveaway end 1
discord #general dave: /giveaway show 1
clock +2m
click d2 "Leave" alice
discord #general dave: /giveaway end 1
discord #general dave: /giveaway show 1
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-24T10:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	const end, next = "[discord #general] dave: /giveaway end 1\n", "[discord #general] alice clicked [Leave] on d2\n"
	_, after, _ := strings.Cut(out, end)
	ending, _, ok := strings.Cut(after, next)
	if !ok {
		t.Fatalf("no /giveaway end followed by alice's Leave:\n%s", out)
	}
	const ended = "[discord #general] d1 edited liaison: 🎉 Giveaway #1: a mug\n    Ended: now (Tue 24 Nov 10:00 CET): the result is in the reply below\n"
	if !strings.Contains(ending, ended) || !strings.Contains(ending, "    Entries: 3\n") || strings.Contains(ending, "[Enter]") {
		t.Errorf("what /giveaway end 1 printed lacks the giveaway message edited to %q with 3 entries and no Enter button:\n%s", ended, ending)
	}
	if n := strings.Count(out, "d1 edited"); n != 2 {
		t.Errorf("d1 was edited %d times, want 2 (the first entry, then the end; the burst after the first is paced into the end's):\n%s", n, out)
	}
	for _, want := range []string{
		"[discord #general] (to alice) liaison: Giveaway #1 ended just now (Tue 24 Nov 10:00 CET): entries are closed.\n",
		"[discord #general] (to dave) liaison: Giveaway #1 was already drawn (Tue 24 Nov 10:00 CET): /giveaway show 1 shows the result;",
		"[discord #general] (to dave) liaison: Giveaway #1: a mug (in #general, by dave)\n    State: drawn just now (Tue 24 Nov 10:00 CET)\n",
		"[discord #general] (to alice) liaison: Giveaway #1 ended 2m ago (Tue 24 Nov 10:00 CET): entries are closed.\n",
		"[discord #general] (to dave) liaison: Giveaway #1 was already drawn 2m ago (Tue 24 Nov 10:00 CET): /giveaway show 1 shows the result;",
		"[discord #general] (to dave) liaison: Giveaway #1: a mug (in #general, by dave)\n    State: drawn 2m ago (Tue 24 Nov 10:00 CET)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the console's output lacks %q:\n%s", want, out)
		}
	}
}
