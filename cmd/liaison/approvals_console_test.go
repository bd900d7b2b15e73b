package main

import (
	"strings"
	"testing"
)

func TestTheTourShowsADraftApprovedAndRepliedInDiscord(t *testing.T) {
	t.Parallel()
	out := runTour(t)
	i := strings.Index(out, `clicked [Draft reply] on s2`)
	if i < 0 {
		t.Fatalf("the tour does not draft a reply:\n%s", out)
	}
	out = out[i:]
	for _, want := range []string{
		"(to carol) liaison: [form Reply to feedback #2]\n    text: Your reply to mallory in #general, who wrote: “I love the new dashboard",
		"(to carol) liaison: Draft #1 is waiting for approval in #approvals: it needs 1 of carol, dave — carol wrote this version, so only dave can approve it.\n",
		"[slack #approvals] s6 liaison: Draft reply #1 to mallory in #general (feedback #2)\n    > I love the new dashboard, I'd recommend it to anyone\n" +
			"    Reply: Thank you mallory! We will pass this on to the dashboard team.\n    Drafted by: carol\n    Version: 1 by carol · text 23d3d087\n" +
			"    Policy: needs 1 of carol, dave — carol wrote this version, so only dave can approve it\n    Status: waiting for approval (0 of 1)",
		"    (pings: nobody)\n    [Approve] [Reject] [Edit]\n",
		"[slack #approvals] (to carol) liaison: You wrote this version of the draft, so you cannot approve it",
		"[slack #approvals] s6 +✅ dave\n[slack #approvals] (to dave) liaison: You approved draft #1: it is being posted in Discord.\n",
		// A reply that pings nobody, not even mallory.
		"[discord #general] d5 (reply d3) liaison: Thank you mallory! We will pass this on to the dashboard team.\n    (pings: nobody)\n",
		"    Status: posted in Discord on Fri 27 Nov 10:00\n    Approved by: dave (Fri 27 Nov 10:00)\n    Open the reply in Discord <https://discord.com/channels/",
		"    History:\n    2026-11-27 10:00 carol created (text ",
		"2026-11-27 10:00 dave approved (text ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "(reply d3) liaison:"); n != 1 {
		t.Errorf("%d replies to mallory in Discord, want 1", n)
	}
}

func TestTheConsoleRejectsEditsResubmitsAndExpiresDrafts(t *testing.T) {
	t.Parallel()
	script := `discord #feedback alice: the export button crashes when I pick CSV
discord #general eve: do you ship to Canada?
slack #product bob: /liaison reply 1 It crashes because of you.
react s2 ❌ dave
click s2 "Edit" bob
submit bob text="Sorry about that, alice! A fix ships on Monday."
click s4 "Approve" carol
slack #approvals bob: /liaison draft https://discord.com/channels/998877665544332211/1100000000000000002/1574333684121604097 Yes we do!
slack #approvals bob: /liaison draft https://discord.com/channels/998877665544332211/1100000000000000001/1574333684121604096 Still on it.
delete d1
clock +49h
slack #approvals bob: /liaison drafts all
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[slack #approvals] (to dave) liaison: You rejected draft #1. Please give bob the reason in its thread.\n",
		"    Status: rejected by dave with ❌ (dave, please give the reason in the thread)\n",
		"[slack #approvals] s3 (thread s2) liaison: @bob @dave dave rejected this draft with ❌.",
		"[slack #approvals] (to bob) liaison: Draft #1 is resubmitted for approval as version 2: it needs 1 of carol, dave.\n",
		"(thread s2) liaison: @dave bob resubmitted the draft after its rejection, with a new text, as version 2.",
		"[discord #feedback] d3 (reply d1) liaison: Sorry about that, alice! A fix ships on Monday.\n",
		"    Status: cannot be posted any more: the Discord message it answers was deleted\n",
		"    Status: expired Wed 25 Nov 09:00: nobody approved it in time. Draft it again to answer.\n",
		"    #3 stale · by bob to alice in #feedback: Still on it.\n    #2 expired · by bob to eve in #general: Yes we do!\n    #1 posted · by bob to alice in #feedback: Sorry about that",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "It crashes because of you.\n[discord") || strings.Count(out, "(reply d1) liaison:") != 1 {
		t.Errorf("the rejected text reached Discord, or the reply was posted twice:\n%s", out)
	}
}
