package main

import (
	"strings"
	"testing"
)

// A forum post is one item (its title and text), the replies in it are its
// discussion; a 📣 on a message in a thread makes an item of it; and a
// reply approved for either is posted in its thread, as a reply to it.
func TestTheConsoleKeepsThreadAndForumItemsInTheirThreads(t *testing.T) {
	t.Parallel()
	script := `post #ideas alice: Export to Parquet | please let us export reports as Parquet
thread d1 eve: yes please, we need it too
discord #feedback mallory: the export button crashes when I pick CSV
thread d3 eve: same here on Firefox
react d4 📣 dave
slack #product bob: /liaison reply 3 Thanks eve, a fix ships on Monday.
react s4 ✅ dave
slack #product bob: /liaison reply 1 Thanks alice, Parquet is planned.
react s5 ✅ dave
slack #product bob: /liaison feedback list all
`
	code, out, errs := runConsole(t, strings.NewReader(script), "--db", tempDB(t), "--now", "2026-11-23T09:00:00+01:00")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[slack #product] s1 liaison: Feedback #1 from alice in #ideas › Export to Parquet\n    > Export to Parquet\n    > please let us export reports as Parquet\n",
		// eve's answer in the post is discussion: the next relay is mallory's.
		"[discord #ideas › Export to Parquet] d2 eve: yes please, we need it too\n[discord #feedback] d3 mallory:",
		"[discord #feedback › the export button crashes when I pick CSV] d4 +📣 dave\n" +
			"[slack #product] s3 liaison: Feedback #3 from eve in #feedback › the export button crashes when I pick CSV\n    > same here on Firefox\n",
		"[slack #approvals] s4 liaison: Draft reply #1 to eve in #feedback (feedback #3)\n",
		"[discord #feedback › the export button crashes when I pick CSV] d5 (reply d4) liaison: Thanks eve, a fix ships on Monday.\n",
		"[discord #ideas › Export to Parquet] d6 (reply d1) liaison: Thanks alice, Parquet is planned.\n",
		"3 feedback item(s), newest first:\n    #3 eve · answered · 0 vote(s) · neutral: same here on Firefox\n" +
			"    #2 mallory · open · 0 vote(s) · negative: the export button crashes when I pick CSV\n" +
			"    #1 alice · answered · 0 vote(s) · neutral: Export to Parquet please let us export reports as Parquet\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "no longer exists") {
		t.Errorf("a reply to a thread item was refused:\n%s", out)
	}
}
