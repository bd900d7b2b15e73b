package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/examples"
)

// runConsole runs `liaison console` with args on the given input and returns
// the exit code, stdout and stderr.
func runConsole(t *testing.T, in io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"console"}, args...), &Stdio{In: in, Out: &out, Err: &errb}, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func tempDB(t *testing.T) string { return filepath.Join(t.TempDir(), "console.db") }

// runTour plays examples/tour.txt, as the README says, with args added,
// and returns its transcript; it fails the test if the console exits in
// error or logs anything.
func runTour(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runConsole(t, strings.NewReader(examples.Tour), args...)
	if code != 0 || errs != "" {
		t.Fatalf("console < tour.txt exited %d; stderr:\n%s", code, errs)
	}
	return out
}

func TestTheTourShowsWhatTheReadmeSays(t *testing.T) {
	t.Parallel()
	out := runTour(t)
	badLine := 0
	for i, l := range strings.Split(examples.Tour, "\n") {
		if strings.HasPrefix(l, "discord feedback ") {
			badLine = i + 1
		}
	}
	for _, want := range []string{
		"[clock] Tue 24 Nov 2026 10:00 CET (Europe/Paris)\n[slack #product] bob: /liaison help\n",
		"[slack #product] (to bob) liaison: Liaison relays",
		// bob's help lists what he may run: he is neither a moderator nor
		// the admin; he is told who may replay the routes.
		"      /liaison route test \"<text>\" [#channel] — which routes",
		"    For others: /liaison doctor, /liaison giveaway, /liaison mod, /liaison route replay 7d. /liaison help COMMAND says who may run one.\n",
		"[slack #product] bob: /liaison route replay 7d\n[slack #product] (to bob) liaison: Replaying feedback through the routing rules is for admins: carol. Nothing was changed;",
		"(to bob) liaison: There is no /liaison hlep. Did you mean /liaison help?",
		"[discord #feedback] d1 alice: the export button crashes when I pick CSV\n",
		"[discord #feedback] d1 +👍 eve\n",
		"[slack #product] s1 liaison: Feedback #1 from alice in #feedback\n    > the export button crashes when I pick CSV\n    Sentiment: negative: crashes\n    Tags: bug\n",
		"    routed by bugs\n    (pings: nobody)\n    [Acknowledge] [Tag] [Status] [Draft reply] [Close] [Merge] [Moderate]\n",
		"[slack #product] (to carol) liaison: You acknowledged feedback #1.\n[slack #product] s1 edited liaison: Feedback #1 from alice in #feedback\n",
		"    Status: acknowledged by carol\n",
		// bob answers in a thread on alice's message, named after it: the
		// item's first response.
		"[discord #feedback › the export button crashes when I pick CSV] d2 bob: thanks alice, we can reproduce it and a fix is on its way\n" +
			"[slack #product] s1 edited liaison: Feedback #1 from alice in #feedback\n",
		"    Status: answered\n",
		"[discord #general] d3 +📣 dave\n[slack #marketing] s2 liaison: Feedback #2 from mallory in #general\n",
		"[clock] Fri 27 Nov 2026 10:00 CET (Europe/Paris)\n",
		"[slack #marketing] s3 (thread s2) liaison: Feedback #2 from mallory has waited 4h of business hours without an answer. Claim it to take it on.\n    (pings: nobody)\n    [Claim]\n",
		"[slack #marketing] (to carol) liaison: Feedback #2 is yours.\n",
		"(to carol) liaison: Feedback #1 is closed.\n[slack #product] s1 edited liaison: Feedback #1 from alice in #feedback\n",
		"    Status: closed by carol: fixed in 2.4\n",
		// Closed as fixed, it is told to alice and eve once dave approves
		// the notice's text: a reply to alice's message pinging them alone.
		"[slack #approvals] s5 liaison: Notice text to approve: shipped (en)\n",
		"[slack #approvals] (to dave) liaison: You approved the shipped (en) notice text: notices using it are posted; 1 waiting went out now.\n" +
			"[discord #feedback] d4 (reply d1) liaison: @alice @eve Good news alice: “the export button crashes when I pick CSV” shipped. Thanks to the 1 of you who asked for it.\n" +
			"    (pings: @alice, @eve)\n    [Stop telling me]\n",
		"    Told: shipped: 2 people pinged in Discord (alice and 1 voter(s))\n",
		// zoe joins and is welcomed, pinging her alone.
		"[discord server] zoe joined (account created 2d ago)\n[discord #general] d6 liaison: @zoe Welcome to the Acme community, zoe!",
		" type /rules to read the charter.\n    (pings: @zoe)\n",
		// Her forum post is feedback; carol answers in it.
		// The relay names the post and quotes its title and text as one.
		"[discord #ideas › Dark mode] d8 zoe: please add a dark theme to the dashboard\n[slack #product] s7 liaison: Feedback #3 from zoe in #ideas › Dark mode\n" +
			"    > Dark mode\n    > please add a dark theme to the dashboard\n",
		"[discord #ideas › Dark mode] d9 carol: thanks zoe! dark mode is planned for the spring release\n[slack #product] s7 edited liaison: Feedback #3 from zoe in #ideas › Dark mode\n",
		"    Community size: 7 (+7, new)\n", // the console's six Discord members, reported at start, and zoe
		"    New members: 1 (+1, new)\n",
		"    Discussions started: 1 (+1, new)\n", // the forum post
		// Modmail: her DM opens a ticket in Slack's #mod-log; dave's answer
		// reaches her as a DM signed by the team.
		"[discord dm › mallory] d17 mallory: sorry about the spam, my account was hacked\n[slack #mod-log] s15 liaison: Modmail #1 from mallory (member since 27 Oct 2024, 2 cases)\n",
		"[slack #mod-log] (to dave) liaison: Sent to mallory as a DM (ticket #1).\n[discord dm › mallory] d19 liaison: Thanks for telling us.",
		"    — the moderation team\n    (pings: nobody)\n",
		"line " + strconv.Itoa(badLine) + ": name the channel after discord, with its #",
		// eve's request, like zoe's, is offered as its duplicate and merged.
		"    Looks like #3 (1.00)\n",
		"[Close] [Merge into #3] [Moderate]\n[slack #product] carol clicked [Merge into #3] on s13\n" +
			"[slack #product] (to carol) liaison: Feedback #4 is merged into #3, which has 1 vote(s) now. /liaison feedback unmerge 4 undoes it.\n",
		"    Status: closed by carol: duplicate of #3\n    Duplicate of #3\n    - Open #3 <https://liaison-console.slack.com/archives/C01PRODUCT/",
		"    Votes: 1\n    Status: answered\n    Duplicates: #4 (merged into this one, with their votes)\n",
		"[web hn] w1 jdoe: Show HN: we moved our docs to Acme Cloud <https://news.ycombinator.com/item?id=42>\n[slack #marketing]",
		"liaison: Web mention #1 on hn by jdoe\n    > Show HN: we moved our docs to Acme Cloud\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "(pings: @"); n != 3 {
		t.Errorf("the tour pings someone %d times, want three times (alice and eve, told of the fix; zoe, on her arrival; eve, winning the giveaway):\n%s", n, out)
	}
}

func TestTheTourPrintsTheSameWhicheverDayItStarts(t *testing.T) {
	t.Parallel()
	// Seven consecutive days at 09:30 in Paris, from a Friday: among them
	// the days when a week's digest falls within the tour's first clock
	// +3d (the tour used to break then), and days after the tour's own
	// start.
	first := time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	outs := make([]string, 7)
	t.Run("days", func(t *testing.T) { // returns when every day has run
		for d := range outs {
			now := first.AddDate(0, 0, d)
			t.Run(now.Format("Mon"), func(t *testing.T) {
				t.Parallel()
				outs[d] = runTour(t, "--now", now.Format(time.RFC3339))
			})
		}
	})
	if t.Failed() {
		return
	}
	for d, out := range outs[1:] {
		if out != outs[0] {
			t.Errorf("the tour started on %s prints something else than on %s:\n%s\n---\n%s",
				first.AddDate(0, 0, d+1).Format("Mon 2 Jan"), first.Format("Mon 2 Jan"), out, outs[0])
		}
	}
	// The digest is posted once, within the tour's week-long clock line,
	// where its comment says.
	out := outs[0]
	week := strings.Index(out, "[clock] Fri 4 Dec 2026 10:00 CET")
	posts := regexp.MustCompile(`\] s\d+ liaison: Weekly community digest · `).FindAllStringIndex(out, -1)
	if week < 0 || len(posts) != 1 || posts[0][0] < week {
		t.Errorf("the tour posts %d digest(s) (at %v), want one after its clock +7d (at %d):\n%s", len(posts), posts, week, out)
	}
	if n := strings.Count(out, "[discord #announcements] "); n != 1 {
		t.Errorf("%d community highlights in #announcements, want 1", n)
	}
}

func TestAConsoleStartsAFreshWorldUnlessGivenADatabase(t *testing.T) {
	// Not parallel: it points TMPDIR at a directory of its own, to see the
	// fresh world's database go away.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	report := "discord #feedback alice: the export button crashes\n"
	list := "slack #product carol: /liaison feedback list\n"
	for range 2 {
		code, out, errs := runConsole(t, strings.NewReader(report+list))
		if code != 0 || !strings.Contains(out, "(to carol) liaison: 1 feedback item(s), newest first:\n    #1 alice") {
			t.Fatalf("a fresh console = %d:\n%s\n%s", code, out, errs)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the fresh worlds left %d file(s) behind in TMPDIR: %v", len(left), left)
	}
	if _, err := os.Stat("liaison-console.db"); err == nil {
		t.Errorf("a console without --db wrote ./liaison-console.db")
	}
	// With --db, the second run finds what the first one did.
	db := filepath.Join(t.TempDir(), "kept.db")
	if code, _, errs := runConsole(t, strings.NewReader(report), "--db", db); code != 0 {
		t.Fatalf("console --db = %d: %s", code, errs)
	}
	code, out, errs := runConsole(t, strings.NewReader(list), "--db", db)
	if code != 0 || !strings.Contains(out, "(to carol) liaison: 1 feedback item(s), newest first:\n    #1 alice") {
		t.Errorf("a second console on --db %s = %d:\n%s\n%s", db, code, out, errs)
	}
	code, out, _ = runConsole(t, strings.NewReader(list))
	if code != 0 || !strings.Contains(out, "(to carol) liaison: No feedback items match.") {
		t.Errorf("a console without --db after one with it = %d:\n%s", code, out)
	}
}

func TestTheConsoleDrivesTheRealHandlers(t *testing.T) {
	t.Parallel()
	code, out, errs := runConsole(t, strings.NewReader("slack #product bob: /liaison help\n"), "--db", tempDB(t))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 4 || lines[0] != "[slack #product] bob: /liaison help" ||
		lines[1] != "[slack #product] (to bob) liaison: Liaison relays what the community says in Discord to the team here, and posts the team's approved answers back." {
		t.Fatalf("output =\n%s", out)
	}
	for _, l := range lines[2:] {
		if !strings.HasPrefix(l, "    ") {
			t.Errorf("a further line of the help is not indented by four spaces: %q", l)
		}
	}
	if !strings.Contains(out, "\n    Commands:\n") || !strings.Contains(out, "\n      /liaison help [command]") {
		t.Errorf("the help's command list is missing:\n%s", out)
	}
}

// A message flagged twice is one item, and the next item takes the next
// number: people read "#2" in Slack and type it back.
func TestAMessageFlaggedTwiceSkipsNoNumber(t *testing.T) {
	t.Parallel()
	code, out, errs := runConsole(t, strings.NewReader("discord #general alice: the export button crashes on big files\n"+
		"react d1 📣 carol\nreact d1 📣 dave\ndiscord #feedback eve: dark mode please\nslack #product bob: /liaison feedback list all\n"))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	if strings.Count(out, "liaison: Feedback #") != 2 || !strings.Contains(out, "] s2 liaison: Feedback #2 from eve in #feedback\n") ||
		!strings.Contains(out, "\n    #2 eve · open · 0 vote(s) · neutral: dark mode please\n    #1 alice ·") {
		t.Errorf("want alice's message as #1, once, and eve's as #2:\n%s", out)
	}
}

// /liaison status in the console reports on the console's world: what
// its outbox holds, its digests and reminders, with the console as the
// replica and both platforms; the round trip, which needs the real
// platforms, says where to run it.
func TestTheConsoleAnswersLiaisonStatus(t *testing.T) {
	t.Parallel()
	code, out, errs := runConsole(t, strings.NewReader("discord #feedback alice: the export crashes\nslack #product bob: /liaison status\n"+
		"slack #product carol: /liaison doctor round-trip\n"), "--now", "2026-11-24T10:00:00+01:00")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"[slack #product] (to bob) liaison: *Liaison status*\n    ✓ Liaison dev, up 0s\n    ✓ 1 replica(s) seen in the last minute: console\n",
		"    ✓ Slack by the console, connected; last event 0s ago\n    ✓ Discord by the console, connected; last event 0s ago\n",
		"    ✓ the outbox is empty: every message was sent\n",
		"    ✓ digest weekly: never posted yet; next 2026-11-30 08:00 UTC\n",
		"(to carol) liaison: A round trip posts in the real Slack and Discord and waits for the events to come back: the console has neither. Run it where Liaison runs: liaison doctor --round-trip.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while a console writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestASecondConsoleOnTheSameDatabaseIsRefused(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	in, feed := io.Pipe()
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(context.Background(), []string{"console", "--db", db}, &Stdio{In: in, Out: &out, Err: &errs}, func(string) string { return "" })
	}()
	if _, err := io.WriteString(feed, "slack #product bob: /liaison help\n"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "(to bob)"); {
		if time.Now().After(deadline) {
			t.Fatalf("the first console did not answer; stdout %q, stderr %q", out.String(), errs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, _, stderr := runConsole(t, strings.NewReader(""), "--db", db)
	if code != exitError || !strings.Contains(stderr, "is in use by another Liaison process") || !strings.Contains(stderr, db) {
		t.Errorf("second console = %d, %q; want 1 and the lock message naming %s", code, stderr, db)
	}
	feed.Close()
	if code := <-done; code != 0 {
		t.Errorf("first console exited %d; stderr:\n%s", code, errs.String())
	}
	// Once the first has gone, the database is free again, and a second run
	// does not mistake its messages for the first run's.
	code, stdout, stderr := runConsole(t, strings.NewReader("discord #feedback alice: the export crashes again\n"), "--db", db)
	if code != 0 || !strings.Contains(stdout, "[discord #feedback] d1 alice: the export crashes again") {
		t.Errorf("a later console = %d %q %q", code, stdout, stderr)
	}
}

func TestConsoleHelpDocumentsTheSyntax(t *testing.T) {
	t.Parallel()
	code, out, _ := runConsole(t, strings.NewReader(""), "--help")
	if code != 0 {
		t.Errorf("console --help exited %d", code)
	}
	for _, want := range []string{
		"liaison console < examples/tour.txt", "-config", "-db", "-now", "Each run starts a fresh world", "keeps", "clock TIME",
		"unreact REF EMOJI NAME", "reply REF NAME: TEXT", "thread REF NAME: TEXT", "post #FORUM NAME: TITLE | TEXT", "join NAME [age DURATION]", "leave NAME",
		"(pings: nobody)", "› export crashes",
		"discord #CHANNEL NAME: TEXT", "slack #CHANNEL NAME: TEXT", "/COMMAND", "name:value", "react REF EMOJI NAME",
		`click REF "LABEL" NAME`, `menu REF "MENU" NAME`, "submit NAME FIELD=VALUE", "edit REF NAME: TEXT", "delete REF",
		"clock +DURATION", "help", "quit", "(to bob)", "(thread s2)", "(reply d1)", "edited", "+✅", "[file chart.png]", "line N: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console --help lacks %q", want)
		}
	}
	if _, out, _ := run(t, nil, "--help"); !strings.Contains(out, "console ") {
		t.Errorf("liaison --help does not list console:\n%s", out)
	}
}

func TestConsoleFlagsAndConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a time that is not RFC 3339", []string{"--now", "tomorrow"}, exitUsage, `--now "tomorrow" is not a time`},
		{"a stray argument", []string{"tour.txt"}, exitUsage, "the script comes on standard input"},
		{"a missing configuration", []string{"--config", "/nope.yaml"}, exitError, "--config names /nope.yaml, which does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errs := runConsole(t, strings.NewReader(""), append(tt.args, "--db", tempDB(t))...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("console %v = %d, %q; want %d and %q", tt.args, code, errs, tt.code, tt.want)
			}
		})
	}
}

// A Slack user group in staff: (as DESIGN.md's example has) adds nobody
// in the console, whose Slack has only the people it names: someone
// listed nowhere is refused as a stranger, not with an error about the
// group, and the staff listed by name go on as before.
func TestConsoleStaffWithAUserGroupRefusesOnlyStrangers(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("../../liaison.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(example), "staff: [carol, dave]", "staff: [dave, {slack_group: S01SUPPORT}]", 1)
	if cfg == string(example) {
		t.Fatal("liaison.example.yaml's staff: line has changed: update this test")
	}
	path := filepath.Join(t.TempDir(), "liaison.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runConsole(t, strings.NewReader("slack #product carol: /liaison help\nslack #product carol: /feedback exports are slow from Acme\n"+
		"slack #product dave: /feedback exports are slow from Acme\n"), "--config", path, "--db", tempDB(t))
	if code != 0 || !strings.Contains(out, "(to carol) liaison: Liaison relays") || strings.Contains(out, "user group S01SUPPORT:") ||
		!strings.Contains(out, "(to carol) liaison: Logging feedback from Slack is for staff: dave or members of S01SUPPORT. Nothing was changed") ||
		!strings.Contains(out, "(to dave) liaison: Logged as feedback #1.") {
		t.Errorf("console with a user group in staff: = %d\n%s\n%s", code, out, errs)
	}
}

func TestConsoleRunsOnAnOrdinaryConfig(t *testing.T) {
	t.Parallel()
	// liaison.example.yaml has no console: section: Slack users come from
	// people:, Discord users from people: with a discord: id.
	code, out, errs := runConsole(t, strings.NewReader("slack #product carol: /liaison help\ndiscord #general dave: hello\ndiscord #general alice: hi\n"),
		"--config", "../../liaison.example.yaml", "--db", tempDB(t))
	if code != 0 || !strings.Contains(out, "(to carol) liaison: Liaison relays") || !strings.Contains(out, "[discord #general] d1 dave: hello") ||
		!strings.Contains(out, `line 3: nobody called "alice" is on Discord: there are dave`) {
		t.Errorf("console --config liaison.example.yaml = %d\n%s\n%s", code, out, errs)
	}
}
