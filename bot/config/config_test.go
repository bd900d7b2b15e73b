package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

// lines joins its arguments into a file, so that a test's YAML shows its line
// numbers: the first argument is line 1.
func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

func TestLoadAcceptsTheExampleFile(t *testing.T) {
	t.Parallel()
	c, err := config.Load("../../liaison.example.yaml")
	if err != nil {
		t.Fatalf("Load(liaison.example.yaml): %v", err)
	}
	if c.Timezone != "Europe/Paris" || c.Location.String() != "Europe/Paris" {
		t.Errorf("timezone = %q (%v), want Europe/Paris", c.Timezone, c.Location)
	}
	bh := c.BusinessHours
	if got := bh.Days.String() + " " + bh.From.String() + "-" + bh.To.String(); got != "mon-fri 09:00-18:00" {
		t.Errorf("business hours = %s, want mon-fri 09:00-18:00", got)
	}
	if want := []string{"2026-12-25", "2027-01-01"}; !slices.Equal(bh.Holidays, want) {
		t.Errorf("holidays = %v, want %v", bh.Holidays, want)
	}
	if got := c.Slack.Channels["mod-log"]; got != "C01MODLOG" {
		t.Errorf("slack.channels.mod-log = %q, want C01MODLOG", got)
	}
	wantGuilds := []config.Guild{{
		ID: "998877665544332211",
		Channels: map[string]string{
			"feedback": "1100000000000000001", "general": "1100000000000000002", "mod-log": "1100000000000000003",
			"ideas-board": "1100000000000000006",
		},
		Roles: map[string][]string{
			"staff": {"1200000000000000001"}, "moderators": {"1200000000000000002"}, "protected": {"1200000000000000003"},
		},
	}}
	if diff := cmp.Diff(wantGuilds, c.Discord.Guilds); diff != "" {
		t.Errorf("discord guilds (-want +got):\n%s", diff)
	}
	wantPeople := []config.Person{{Name: "carol", Slack: "U01CAROL"}, {Name: "dave", Slack: "U01DAVE", Discord: "1300000000000000004"}}
	if diff := cmp.Diff(wantPeople, c.People); diff != "" {
		t.Errorf("people (-want +got):\n%s", diff)
	}
	if len(c.Digests) != 1 {
		t.Fatalf("got %d digests, want 1", len(c.Digests))
	}
	g := c.Digests[0]
	if g.Name != "weekly" || g.Cron != "0 9 * * MON" || g.Period != config.PeriodWeek || g.Grace != 24*time.Hour || g.Location.String() != "Europe/Paris" {
		t.Errorf("digest = %+v, want weekly, 0 9 * * MON, week, 24h, Europe/Paris", g)
	}
	wantTo := []config.ChannelRef{{Platform: "slack", Name: "community", ID: "C01COMMUNITY"}}
	if diff := cmp.Diff(wantTo, g.To); diff != "" {
		t.Errorf("digest to (-want +got):\n%s", diff)
	}
	if want := (config.Outbox{MaxAttempts: 10, ReclaimAfter: 90 * time.Second, BackoffMin: time.Second, BackoffMax: 10 * time.Minute}); c.Outbox != want {
		t.Errorf("outbox = %+v, want %+v", c.Outbox, want)
	}
}

func TestLoadLeavesAMissingFileToTheCaller(t *testing.T) {
	t.Parallel()
	_, err := config.Load(filepath.Join(t.TempDir(), "liaison.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing file) = %v, want an error satisfying errors.Is(err, fs.ErrNotExist)", err)
	}
}

func TestLoadReportsErrorsWithThePath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, lines("timezone: Mars/Olympus"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	want := path + `:1:11: timezone: unknown timezone "Mars/Olympus": use an IANA name like Europe/Paris, America/New_York or UTC`
	if err == nil || err.Error() != want {
		t.Errorf("Load(bad.yaml) = %v, want %s", err, want)
	}
}

func TestParseFillsDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		yaml     []byte
		timezone string
	}{
		{"an empty file loads with every default", nil, "UTC"},
		{"a file of comments loads with every default", lines("# nothing yet"), "UTC"},
		{"a file holding null loads with every default", lines("~"), "UTC"},
		{"a file with only a timezone keeps it", lines("timezone: Europe/Paris"), "Europe/Paris"},
		{"empty sections are left at their defaults", lines("slack:", "discord:", "people:", "digests:", "outbox:", "business_hours:"), "UTC"},
		{"an outbox section may set only some keys", lines("outbox: {max_attempts: 10}"), "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse("liaison.yaml", tt.yaml)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Timezone != tt.timezone || c.Location.String() != tt.timezone {
				t.Errorf("timezone = %q (%v), want %q", c.Timezone, c.Location, tt.timezone)
			}
			d := config.Default()
			if c.BusinessHours.Days != d.BusinessHours.Days || c.BusinessHours.From != d.BusinessHours.From || c.BusinessHours.To != d.BusinessHours.To {
				t.Errorf("business hours = %+v, want the default %+v", c.BusinessHours, d.BusinessHours)
			}
			if c.Outbox != d.Outbox {
				t.Errorf("outbox = %+v, want the default %+v", c.Outbox, d.Outbox)
			}
			if len(c.Slack.Channels) != 0 || len(c.Discord.Guilds) != 0 || len(c.People) != 0 || len(c.Digests) != 0 {
				t.Errorf("Parse declared channels, people or digests from nothing: %+v", c)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	d := config.Default()
	if d.Timezone != "UTC" || d.Location != time.UTC {
		t.Errorf("Default timezone = %q (%v), want UTC", d.Timezone, d.Location)
	}
	if got := d.BusinessHours.Days.String() + " " + d.BusinessHours.From.String() + "-" + d.BusinessHours.To.String(); got != "mon-fri 09:00-18:00" {
		t.Errorf("Default business hours = %s, want mon-fri 09:00-18:00", got)
	}
	if want := (config.Outbox{MaxAttempts: 10, ReclaimAfter: 90 * time.Second, BackoffMin: time.Second, BackoffMax: 10 * time.Minute}); d.Outbox != want {
		t.Errorf("Default outbox = %+v, want %+v", d.Outbox, want)
	}
}

func TestParseReadsBothDiscordForms(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", lines(
		`slack: {channels: {community: C01COMMUNITY}}`,
		`discord:`,
		`  guilds:`,
		`    - id: "998877665544332211"`,
		`      name: main`,
		`      channels: {general: "1100000000000000002"}`,
		`    - id: "998877665544332299"`,
		`      channels: {beta: "1100000000000000009"}`,
		`      roles: {staff: ["1200000000000000009"]}`,
		`digests:`,
		`  - {name: daily, cron: "@daily", period: day, to: [community, discord:beta, "slack:community"], grace: 0}`,
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []config.Guild{
		{ID: "998877665544332211", Name: "main", Channels: map[string]string{"general": "1100000000000000002"}},
		{ID: "998877665544332299", Channels: map[string]string{"beta": "1100000000000000009"}, Roles: map[string][]string{"staff": {"1200000000000000009"}}},
	}
	if diff := cmp.Diff(want, c.Discord.Guilds); diff != "" {
		t.Errorf("guilds (-want +got):\n%s", diff)
	}
	wantTo := []config.ChannelRef{
		{Platform: "slack", Name: "community", ID: "C01COMMUNITY"},
		{Platform: "discord", Name: "beta", ID: "1100000000000000009", GuildID: "998877665544332299"},
		{Platform: "slack", Name: "community", ID: "C01COMMUNITY"},
	}
	if diff := cmp.Diff(wantTo, c.Digests[0].To); diff != "" {
		t.Errorf("digest to (-want +got):\n%s", diff)
	}
	if g := c.Digests[0]; g.Period != config.PeriodDay || g.Grace != 0 || g.Timezone != "UTC" {
		t.Errorf("digest = %+v, want period day, grace 0, timezone UTC", g)
	}
}

// want is one expected error: its line, column, key, and words its message
// must contain.
type want struct {
	line, column int
	key          string
	msg          string
}

func TestParseReportsWhereAndWhatIsWrong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml []byte
		want []want
	}{
		{
			name: "an unknown top-level key is named with the keys allowed",
			yaml: lines("timezone: UTC", "chanels: {}"),
			want: []want{{2, 1, "chanels", `unknown key "chanels": expected one of timezone, business_hours, slack, discord, people, digests, outbox`}},
		},
		{
			name: "an unknown nested key is named with its section and the keys allowed",
			yaml: lines("slack:", "  chanels:", "    product: C01PRODUCT"),
			want: []want{{2, 3, "slack.chanels", `unknown key "chanels" in slack: expected one of channels`}},
		},
		{
			name: "an unknown key in a list entry gives the entry's index",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - name: weekly", "    cron: '@weekly'", "    to: [c]", "    every: week"),
			want: []want{{6, 5, "digests[0].every", `unknown key "every" in digests[0]: expected one of name, cron, timezone, period, to, grace`}},
		},
		{
			name: "a key given twice is reported at its second place",
			yaml: lines("timezone: UTC", "timezone: Europe/Paris"),
			want: []want{{2, 1, "timezone", `"timezone" appears twice (first on line 1)`}},
		},
		{
			name: "a mapping where a list belongs says a list was expected",
			yaml: lines("slack: {channels: {community: C01COMMUNITY}}", "digests:", "  - name: weekly", "    cron: '@weekly'", "    to:", "      community: yes"),
			want: []want{{6, 7, "digests[0].to", "expected a list of channel names (like [community] or [community, discord:general]), got a mapping"}},
		},
		{
			name: "a list where a mapping belongs names the keys expected",
			yaml: lines("outbox:", "  - max_attempts: 3"),
			want: []want{{2, 3, "outbox", "expected a mapping (max_attempts, reclaim_after, backoff_min, backoff_max), got a list"}},
		},
		{
			name: "a word where a number belongs says a whole number was expected",
			yaml: lines("outbox:", "  max_attempts: many"),
			want: []want{{2, 17, "outbox.max_attempts", `expected a whole number like 10, got "many"`}},
		},
		{
			name: "zero attempts is refused",
			yaml: lines("outbox: {max_attempts: 0}"),
			want: []want{{1, 24, "outbox.max_attempts", "must be at least 1, got 0"}},
		},
		{
			name: "a reclaim delay longer than Discord remembers a nonce is refused",
			yaml: lines("outbox:", "  reclaim_after: 5m"),
			want: []want{{2, 18, "outbox.reclaim_after", "5m is too long: at most 2m, or Discord may have forgotten the nonce that stops a double post"}},
		},
		{
			name: "a malformed duration gives the duration syntax",
			yaml: lines("outbox:", "  reclaim_after: 5 minutes"),
			want: []want{{2, 18, "outbox.reclaim_after", `"5 minutes" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m`}},
		},
		{
			name: "a duration of zero is refused where it would make no sense",
			yaml: lines("outbox:", "  backoff_min: 0"),
			want: []want{{2, 16, "outbox.backoff_min", "must be longer than zero"}},
		},
		{
			name: "backoff_max shorter than backoff_min is refused",
			yaml: lines("outbox:", "  backoff_min: 1m", "  backoff_max: 30s"),
			want: []want{{3, 16, "outbox.backoff_max", "backoff_max (30s) is shorter than backoff_min (1m)"}},
		},
		{
			name: "a cron schedule with four fields explains the five",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - name: weekly", "    cron: 0 9 * MON", "    to: [c]"),
			want: []want{{4, 11, "digests[0].cron", `"0 9 * MON" is not a schedule (expected exactly 5 fields, found 4: [0 9 * MON]): use 5 fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON"`}},
		},
		{
			name: "a cron schedule with an impossible hour says so",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - {name: weekly, cron: '0 25 * * MON', to: [c]}"),
			want: []want{{3, 26, "digests[0].cron", `above maximum (23)`}},
		},
		{
			name: "a cron schedule carrying its own timezone points to the timezone key",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - {name: weekly, cron: 'CRON_TZ=Europe/Paris 0 9 * * MON', to: [c]}"),
			want: []want{{3, 26, "digests[0].cron", "timezone: key"}},
		},
		{
			name: "a misspelt timezone asks for an IANA name",
			yaml: lines("timezone: Europe/Pariss"),
			want: []want{{1, 11, "timezone", `unknown timezone "Europe/Pariss": use an IANA name like Europe/Paris`}},
		},
		{
			name: "the server's local time is not a timezone",
			yaml: lines("timezone: Local"),
			want: []want{{1, 11, "timezone", `unknown timezone "Local"`}},
		},
		{
			name: "a digest's own timezone is checked too",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - {name: weekly, cron: '@weekly', timezone: Paris, to: [c]}"),
			want: []want{{3, 47, "digests[0].timezone", `unknown timezone "Paris"`}},
		},
		{
			name: "a reference to an undeclared Slack channel lists the declared ones",
			yaml: lines(
				"digests:",
				"  - {name: weekly, cron: '@weekly', to: [comunity]}",
				"slack:",
				"  channels: {product: C01PRODUCT, community: C01COMMUNITY, approvals: C01APPROVALS}",
			),
			want: []want{{2, 42, "digests[0].to[0]", `no Slack channel named "comunity": defined are approvals, community, product`}},
		},
		{
			name: "a reference to an undeclared Discord channel lists the declared ones",
			yaml: lines(
				`discord: {guild: "998877665544332211", channels: {general: "1100000000000000002"}}`,
				"digests:",
				"  - {name: weekly, cron: '@weekly', to: [discord:feedback]}",
			),
			want: []want{{3, 42, "digests[0].to[0]", `no Discord channel named "feedback": defined are general`}},
		},
		{
			name: "a reference when no channel is declared says so",
			yaml: lines("digests:", "  - {name: weekly, cron: '@weekly', to: [community]}"),
			want: []want{{2, 42, "digests[0].to[0]", `no Slack channel named "community": none is declared under slack.channels yet`}},
		},
		{
			name: "a reference to an unknown platform says how to write one",
			yaml: lines("digests:", "  - {name: weekly, cron: '@weekly', to: ['teams:general']}"),
			want: []want{{2, 42, "digests[0].to[0]", `"teams:general" is not a channel`}},
		},
		{
			name: "an unquoted Discord id asks for quotes",
			yaml: lines("discord:", "  guild: 998877665544332211", "  channels:", "    feedback: 1100000000000000001"),
			want: []want{
				{2, 10, "discord.guild", `quote Discord ids: "998877665544332211"`},
				{4, 15, "discord.channels.feedback", `quote Discord ids: "1100000000000000001"`},
			},
		},
		{
			name: "an unquoted Discord id in a role list or a person asks for quotes",
			yaml: lines(`discord: {guild: "998877665544332211", roles: {staff: [1200000000000000001]}}`, "people:", "  - {name: dave, discord: 1300000000000000004}"),
			want: []want{
				{1, 56, "discord.roles.staff[0]", `quote Discord ids: "1200000000000000001"`},
				{3, 27, "people[0].discord", `quote Discord ids: "1300000000000000004"`},
			},
		},
		{
			name: "a Discord id of the wrong length is refused",
			yaml: lines(`discord: {guild: "12345"}`),
			want: []want{{1, 18, "discord.guild", `"12345" is not a Discord id: ids are 17 to 20 digits`}},
		},
		{
			name: "Discord channels without a server ask for its id",
			yaml: lines("discord:", `  channels: {general: "1100000000000000002"}`),
			want: []want{{2, 3, "discord.guild", "missing: the id of your Discord server"}},
		},
		{
			name: "both Discord forms at once are refused",
			yaml: lines("discord:", `  guild: "998877665544332211"`, "  guilds:", `    - id: "998877665544332299"`),
			want: []want{{2, 10, "discord", "use either guild:, channels: and roles: for one server, or guilds: for several, not both"}},
		},
		{
			name: "a server listed twice is refused",
			yaml: lines("discord:", "  guilds:", `    - id: "998877665544332211"`, `    - id: "998877665544332211"`),
			want: []want{{4, 7, "discord.guilds[1].id", "server 998877665544332211 is already declared at discord.guilds[0]"}},
		},
		{
			name: "a server entry without an id asks for it",
			yaml: lines("discord:", "  guilds:", "    - name: main"),
			want: []want{{3, 7, "discord.guilds[0].id", "missing: the id of this Discord server"}},
		},
		{
			name: "a Slack channel name where an id belongs is refused",
			yaml: lines("slack:", "  channels:", "    product: '#product'"),
			want: []want{{3, 14, "slack.channels.product", `"#product" is not a Slack channel id: ids look like C01PRODUCT`}},
		},
		{
			name: "a channel name that could not be referred to is refused",
			yaml: lines("slack:", "  channels:", "    mod log: C01MODLOG"),
			want: []want{{3, 5, "slack.channels.mod log", `"mod log" cannot be used as a name`}},
		},
		{
			name: "two people with one name are refused",
			yaml: lines("people:", "  - {name: carol, slack: U01CAROL}", "  - {name: dave, slack: U01DAVE}", "  - {name: carol, slack: U01CAROL2}"),
			want: []want{{4, 5, "people[2].name", `"carol" is already people[0]`}},
		},
		{
			name: "two people with one Slack account are refused",
			yaml: lines("people:", "  - {name: carol, slack: U01CAROL}", "  - {name: caroline, slack: U01CAROL}"),
			want: []want{{3, 5, "people[1].slack", "U01CAROL is already the Slack account of people[0]"}},
		},
		{
			name: "a person with no account is refused",
			yaml: lines("people:", "  - name: erin"),
			want: []want{{2, 5, "people[0]", "give erin a slack: id, a discord: id, or both"}},
		},
		{
			name: "a person without a name is refused",
			yaml: lines("people:", "  - slack: U01ERIN"),
			want: []want{{2, 5, "people[0].name", "missing: every person needs a name"}},
		},
		{
			name: "a Slack user id of the wrong shape is refused",
			yaml: lines("people:", "  - {name: erin, slack: erin}"),
			want: []want{{2, 25, "people[0].slack", `"erin" is not a Slack user id`}},
		},
		{
			name: "two digests with one name are refused",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - {name: weekly, cron: '@weekly', to: [c]}", "  - {name: weekly, cron: '@daily', to: [c]}"),
			want: []want{{4, 5, "digests[1].name", `"weekly" is already the name of digests[0]`}},
		},
		{
			name: "a digest without a schedule or destination says what is missing",
			yaml: lines("digests:", "  - name: weekly"),
			want: []want{
				{2, 5, "digests[0].cron", "missing: when the digest runs"},
				{2, 5, "digests[0].to", "missing: where to post the digest"},
			},
		},
		{
			name: "a digest period other than day, week or month is refused",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - {name: weekly, cron: '@weekly', period: fortnight, to: [c]}"),
			want: []want{{3, 45, "digests[0].period", `"fortnight" is not a period: use day, week or month`}},
		},
		{
			name: "a malformed grace gives the duration syntax",
			yaml: lines("slack: {channels: {c: C01C}}", "digests:", "  - {name: weekly, cron: '@weekly', grace: a day, to: [c]}"),
			want: []want{{3, 44, "digests[0].grace", `"a day" is not a duration`}},
		},
		{
			name: "misspelt business days list the day names",
			yaml: lines("business_hours:", "  days: mon-fry"),
			want: []want{{2, 9, "business_hours.days", `"mon-fry" is not a set of days: use mon, tue, wed, thu, fri, sat, sun`}},
		},
		{
			name: "a twelve-hour time asks for a 24-hour one",
			yaml: lines("business_hours:", "  from: 9am"),
			want: []want{{2, 9, "business_hours.from", `"9am" is not a time of day: write 24-hour times like "09:00"`}},
		},
		{
			name: "a day that ends before it starts is refused",
			yaml: lines("business_hours:", "  from: '18:00'", "  to: '09:00'"),
			want: []want{{3, 7, "business_hours.to", "the day must end after it starts: from is 18:00 and to is 09:00"}},
		},
		{
			name: "a holiday that is not a date asks for year-month-day",
			yaml: lines("business_hours:", "  holidays: [2026-12-25, 25/12/2026]"),
			want: []want{{2, 26, "business_hours.holidays[1]", `"25/12/2026" is not a date: write dates as YEAR-MONTH-DAY, like 2026-12-25`}},
		},
		{
			name: "invalid YAML gives the line of the problem",
			yaml: lines("timezone: UTC", "slack:", "\tchannels: {}"),
			want: []want{{3, 0, "", "this is not valid YAML (found character that cannot start any token)"}},
		},
		{
			name: "a list at the top of the file is refused",
			yaml: lines("- timezone: UTC"),
			// Every section is listed; each capability adds its own, so only the first are spelled out here.
			want: []want{{1, 1, "", "expected a mapping (timezone, business_hours, slack, discord, people, "}},
		},
		{
			name: "a second YAML document is refused",
			yaml: lines("timezone: UTC", "---", "timezone: Europe/Paris"),
			want: []want{{2, 1, "", "several YAML documents"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, tt.yaml, tt.want)
		})
	}
}

func TestParseReportsEveryErrorInTheFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/many-errors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkErrors(t, data, []want{
		{1, 11, "timezone", `unknown timezone "Europe/Pariss"`},
		{3, 9, "business_hours.days", `"mon-fry" is not a set of days`},
		{6, 3, "slack.chanels", `unknown key "chanels" in slack: expected one of channels`},
		{10, 10, "discord.guild", `quote Discord ids: "998877665544332211"`},
		{12, 14, "discord.channels.general", `"123" is not a Discord id`},
		{15, 5, "people[1].name", `"carol" is already people[0]`},
		{18, 11, "digests[0].cron", `"0 9 * MON" is not a schedule`},
		{19, 10, "digests[0].to[0]", `no Slack channel named "comunity": none is declared under slack.channels yet`},
		{20, 12, "digests[0].grace", `"a day" is not a duration`},
		{24, 18, "outbox.reclaim_after", `"soon" is not a duration`},
	})
}

// checkErrors parses data and compares the errors with want, in order.
func checkErrors(t *testing.T, data []byte, want []want) {
	t.Helper()
	c, err := config.Parse("liaison.yaml", data)
	if err == nil {
		t.Fatalf("Parse = %+v, nil; want %d errors", c, len(want))
	}
	if c != nil {
		t.Errorf("Parse returned a Config along with errors")
	}
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error is a %T, want config.Errors: %v", err, err)
	}
	if len(errs) != len(want) {
		t.Errorf("Parse reported %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want[:min(len(want), len(errs))] {
		e := errs[i]
		if e.File != "liaison.yaml" || e.Line != w.line || e.Column != w.column || e.Key != w.key || !strings.Contains(e.Msg, w.msg) {
			t.Errorf("error %d = %s\nwant       liaison.yaml:%d:%d: %s: …%s…", i, e, w.line, w.column, w.key, w.msg)
		}
	}
}

func TestErrorFormatsLikeACompiler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  config.Error
		want string
	}{
		{config.Error{File: "liaison.yaml", Line: 12, Column: 3, Key: "digests[0].cron", Msg: "bad"}, "liaison.yaml:12:3: digests[0].cron: bad"},
		{config.Error{File: "liaison.yaml", Line: 3, Msg: "bad"}, "liaison.yaml:3: bad"},
		{config.Error{File: "liaison.yaml", Msg: "bad"}, "liaison.yaml: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	errs := config.Errors{&tests[0].err, &tests[1].err}
	if got, want := errs.Error(), "liaison.yaml:12:3: digests[0].cron: bad\nliaison.yaml:3: bad"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
	var one *config.Error
	if !errors.As(error(errs), &one) || one != &tests[0].err {
		t.Errorf("errors.As(Errors, *Error) did not find the first error")
	}
}

func TestDigestScheduleFollowsDaylightSavingTime(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", lines(
		"timezone: Europe/Paris",
		"slack: {channels: {community: C01COMMUNITY}}",
		"digests:",
		"  - {name: weekly, cron: '0 9 * * MON', to: [community]}",
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	g := c.Digests[0]
	tests := []struct {
		name  string
		after time.Time
		want  time.Time
	}{
		{"the Monday after clocks go forward is 09:00 CEST", time.Date(2026, 3, 27, 0, 0, 0, 0, g.Location), time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC)},
		{"the Monday after clocks go back is 09:00 CET", time.Date(2026, 10, 23, 0, 0, 0, 0, g.Location), time.Date(2026, 10, 26, 8, 0, 0, 0, time.UTC)},
		{"a UTC time from the clock gives the same run", time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC)},
		{"a run that just happened is not repeated", time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC), time.Date(2026, 4, 6, 7, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := g.Schedule.Next(tt.after); !got.Equal(tt.want) {
			t.Errorf("%s: Next(%v) = %v, want %v", tt.name, tt.after, got.UTC(), tt.want)
		}
	}
}

func TestResolveChannel(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", lines(
		"slack: {channels: {community: C01COMMUNITY, product: C01PRODUCT}}",
		"discord:",
		"  guilds:",
		`    - {id: "998877665544332211", name: main, channels: {general: "1100000000000000002", news: "1100000000000000003"}}`,
		`    - {id: "998877665544332299", name: beta, channels: {general: "1100000000000000009"}}`,
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		ref     string
		want    config.ChannelRef
		code    string
		message string
	}{
		{ref: "community", want: config.ChannelRef{Platform: "slack", Name: "community", ID: "C01COMMUNITY"}},
		{ref: "slack:product", want: config.ChannelRef{Platform: "slack", Name: "product", ID: "C01PRODUCT"}},
		{ref: "discord:news", want: config.ChannelRef{Platform: "discord", Name: "news", ID: "1100000000000000003", GuildID: "998877665544332211"}},
		{ref: "comunity", code: bot.ENotFound, message: `no Slack channel named "comunity": defined are community, product`},
		{ref: "discord:feedback", code: bot.ENotFound, message: `no Discord channel named "feedback": defined are general, news`},
		{ref: "discord:general", code: bot.EInvalid, message: `the Discord channel name "general" is declared in several servers (main, beta): give the channels different names`},
	}
	for _, tt := range tests {
		got, err := c.ResolveChannel(tt.ref)
		if bot.ErrorCode(err) != tt.code || bot.ErrorMessage(err) != tt.message {
			t.Errorf("ResolveChannel(%q) error = %v, want %s: %s", tt.ref, err, tt.code, tt.message)
		}
		if got != tt.want {
			t.Errorf("ResolveChannel(%q) = %+v, want %+v", tt.ref, got, tt.want)
		}
		if err == nil && got.String() != strings.TrimPrefix(tt.ref, "slack:") {
			t.Errorf("ResolveChannel(%q).String() = %q, want it written back", tt.ref, got.String())
		}
	}
}

func TestBusinessHours(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", lines(
		"timezone: Europe/Paris",
		"business_hours: {days: 'mon-wed,fri,sun', from: '08:30', to: '24:00', holidays: [2026-12-25]}",
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	bh := c.BusinessHours
	if got := bh.Days.String(); got != "mon-wed,fri,sun" {
		t.Errorf("Days.String() = %q, want mon-wed,fri,sun", got)
	}
	paris := c.Location
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"a Monday at opening time is open", time.Date(2026, 3, 2, 8, 30, 0, 0, paris), true},
		{"a Monday just before opening is closed", time.Date(2026, 3, 2, 8, 29, 0, 0, paris), false},
		{"a Sunday late evening is open", time.Date(2026, 3, 1, 23, 59, 0, 0, paris), true},
		{"a Thursday is closed", time.Date(2026, 3, 5, 12, 0, 0, 0, paris), false},
		{"Christmas, a Friday, is closed", time.Date(2026, 12, 25, 12, 0, 0, 0, paris), false},
	}
	for _, tt := range tests {
		if got := bh.Open(tt.t); got != tt.want {
			t.Errorf("%s: Open(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestParseWeekdayRanges(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"mon-fri", "mon-fri"},
		{"Monday-Friday", "mon-fri"},
		{"mon, wed, fri", "mon,wed,fri"},
		{"sat-sun", "sat,sun"},
		{"fri-mon", "mon,fri-sun"},
		{"mon-sun", "mon-sun"},
	}
	for _, tt := range tests {
		c, err := config.Parse("liaison.yaml", lines("business_hours: {days: '"+tt.in+"'}"))
		if err != nil {
			t.Errorf("days %q: %v", tt.in, err)
			continue
		}
		if got := c.BusinessHours.Days.String(); got != tt.want {
			t.Errorf("days %q = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPerson(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", lines("people: [{name: carol, slack: U01CAROL}]"))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := c.Person("carol"); !ok || p.Slack != "U01CAROL" {
		t.Errorf(`Person("carol") = %+v, %v; want carol with U01CAROL`, p, ok)
	}
	if _, ok := c.Person("mallory"); ok {
		t.Errorf(`Person("mallory") found someone not declared`)
	}
}
