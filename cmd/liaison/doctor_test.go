package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
	"github.com/liaison-bot/liaison/handlers"
)

// liaison doctor runs against both fakes, spoken to by the real slack-go and
// discordgo clients, and a real database: a healthy installation first,
// then one broken thing at a time.

const (
	docGuild      = "998877665544332211"
	docOwner      = "1000000000000000099"
	docBot        = "1000000000000000042"
	docFeedback   = "1100000000000000001"
	docGeneral    = "1100000000000000002"
	docModLog     = "1100000000000000003"
	docStaffRole  = "1200000000000000001"
	docModRole    = "1200000000000000002"
	docProtected  = "1200000000000000003"
	docMembers    = "1200000000000000010"
	docBotRole    = "1200000000000000020"
	docSlackToken = "xoxb-1111-2222-doctortoken9f2c"
	docSecret     = "doctor-signing-secret-0001"
	docDiscordTok = "MTAwMDAwMDAwMDAwMDAwMDQy.doctor.token-b7e1"
)

const docConfig = `timezone: Europe/Paris
slack:
  channels: {product: C01PRODUCT, approvals: C01APPROVALS, community: C01COMMUNITY, mod-log: C01MODLOG}
discord:
  guild: "` + docGuild + `"
  channels: {feedback: "` + docFeedback + `", general: "` + docGeneral + `", mod-log: "` + docModLog + `"}
  roles: {staff: ["` + docStaffRole + `"], moderators: ["` + docModRole + `"], protected: ["` + docProtected + `"]}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
staff: [carol, dave, {slack_group: S01SUPPORT}]
feedback:
  channels: [feedback]
  default_to: product
approvals:
  channel: approvals
  approvers: [carol, {slack_group: S01LEADS, handle: leads}]
moderation:
  mod_log: {discord: mod-log, slack: mod-log}
  welcome: {channel: general, text: "Welcome, {user}!"}
  automod:
    rules:
      - {name: scams, words: [free nitro], actions: [delete, alert]}
digests:
  - {name: weekly, cron: "0 9 * * MON", to: [community]}
`

// botRolePermissions are what the Liaison role grants on top of
// @everyone's (view, send, history, reactions, commands).
const botRolePermissions = discordgo.PermissionKickMembers | discordgo.PermissionBanMembers | discordgo.PermissionModerateMembers |
	discordgo.PermissionViewAuditLogs | discordgo.PermissionManageMessages | discordgo.PermissionManageChannels |
	discordgo.PermissionManageThreads | discordgo.PermissionAttachFiles | discordgo.PermissionSendMessagesInThreads

// doctorWorld is an installation: both fakes seeded as liaison.yaml says,
// the file, a migrated database, and the environment liaison run would get.
type doctorWorld struct {
	slack   *slackfake.Server
	discord *discordfake.Server
	dir     string
	dbURL   string
	env     map[string]string
}

func newDoctorWorld(t *testing.T, dialect string) *doctorWorld {
	t.Helper()
	sf := slackfake.New()
	t.Cleanup(sf.Close)
	sf.SetToken(docSlackToken)
	for id, name := range map[string]string{"C01PRODUCT": "product", "C01APPROVALS": "approvals", "C01COMMUNITY": "community", "C01MODLOG": "mod-log"} {
		sf.AddChannel(id, name)
	}
	sf.AddUser("U01CAROL", "carol", false)
	sf.AddUser("U01DAVE", "dave", false)
	sf.AddUsergroup("S01LEADS", "leads", "U01CAROL")
	sf.AddUsergroup("S01SUPPORT", "support", "U01DAVE")

	df := discordfake.New(discordfake.WithToken(docDiscordTok))
	t.Cleanup(df.Close)
	df.SetBotUser(docBot, "liaison")
	df.AddGuild(docGuild, "Acme Community", docOwner)
	for _, r := range []discordfake.Role{
		{ID: docMembers, Name: "Members", Position: 1},
		{ID: docStaffRole, Name: "Staff", Position: 2},
		{ID: docModRole, Name: "Moderators", Position: 3},
		{ID: docBotRole, Name: "Liaison", Position: 4, Managed: true, Permissions: botRolePermissions},
		{ID: docProtected, Name: "Partners", Position: 6},
	} {
		df.AddRole(docGuild, r)
	}
	df.AddChannel(docGuild, discordfake.Channel{ID: docFeedback, Name: "feedback"})
	df.AddChannel(docGuild, discordfake.Channel{ID: docGeneral, Name: "general"})
	df.AddChannel(docGuild, discordfake.Channel{ID: docModLog, Name: "mod-log"})
	df.AddMember(docGuild, discordfake.Member{UserID: docOwner, Username: "owner"})
	df.AddMember(docGuild, discordfake.Member{UserID: docBot, Username: "liaison", Bot: true, Roles: []string{docBotRole}})

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "liaison.yaml")
	if err := os.WriteFile(cfgPath, []byte(docConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	registerCommands(t, df, handlers.New(handlers.Deps{Config: cfg}).DiscordCommands())

	var dbURL string
	if dialect == store.SQLite {
		dbURL = "sqlite:" + filepath.Join(dir, "liaison.db")
	} else {
		dbURL = storetest.URL(t, dialect)
	}
	db := storetest.OpenURL(t, dbURL, store.Options{})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	return &doctorWorld{slack: sf, discord: df, dir: dir, dbURL: dbURL, env: map[string]string{
		"LIAISON_CONFIG": cfgPath, "LIAISON_DATABASE_URL": dbURL,
		"SLACK_BOT_TOKEN": docSlackToken, "SLACK_SIGNING_SECRET": docSecret, "LIAISON_SLACK_API_URL": sf.APIURL(),
		"DISCORD_BOT_TOKEN": docDiscordTok, "DISCORD_APP_ID": docBot, "LIAISON_DISCORD_API_URL": df.APIURL(),
	}}
}

// registerCommands puts the commands in the fake as liaison run does when
// it connects.
func registerCommands(t *testing.T, df *discordfake.Server, specs []bot.CommandSpec) {
	t.Helper()
	cmds, err := discordbot.ApplicationCommands(specs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := discordgo.New("Bot " + docDiscordTok)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := discordbot.NewTransport(df.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	if _, err := s.ApplicationCommandBulkOverwrite(docBot, docGuild, cmds); err != nil {
		t.Fatalf("register the commands: %v", err)
	}
}

// doctor runs liaison doctor --json with args in w and returns the exit
// code, the report and the raw output.
func (w *doctorWorld) doctor(t *testing.T, args ...string) (int, *report, string) {
	t.Helper()
	code, out, errs := run(t, w.env, append([]string{"doctor", "--json"}, args...)...)
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("liaison doctor --json printed no report (%v):\n%s\n%s", err, out, errs)
	}
	return code, &r, out
}

func (r *report) check(id string) (check, bool) {
	for _, g := range r.Groups {
		for _, c := range g.Checks {
			if c.ID == id {
				return c, true
			}
		}
	}
	return check{}, false
}

func (r *report) problems() []string {
	var out []string
	for _, g := range r.Groups {
		for _, c := range g.Checks {
			if c.Status == statusFail || c.Status == statusWarn {
				out = append(out, fmt.Sprintf("%s %s: %s", c.Status, c.ID, c.Message))
			}
		}
	}
	return out
}

// wantRow checks the report's row id: its status, words its message and its
// fix contain, and the exit code doctor ended with.
func (r *report) wantRow(t *testing.T, out string, code int, id string, st status, msg, fix []string, exit int) {
	t.Helper()
	c, ok := r.check(id)
	if !ok {
		t.Fatalf("no check %s in the report:\n%s", id, out)
	}
	if c.Status != st {
		t.Errorf("%s is %s (%s), want %s", id, c.Status, c.Message, st)
	}
	for _, m := range msg {
		if !strings.Contains(c.Message, m) {
			t.Errorf("%s says %q, want it to contain %q", id, c.Message, m)
		}
	}
	for _, f := range fix {
		if !strings.Contains(c.Fix, f) {
			t.Errorf("%s's fix is %q, want it to contain %q", id, c.Fix, f)
		}
	}
	if code != exit {
		t.Errorf("exit = %d, want %d; problems:\n%s", code, exit, strings.Join(r.problems(), "\n"))
	}
}

// doctorGoldenUpdate is -update, shared with the other golden tests of the
// package if any defines it first.
func doctorGoldenUpdate() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func init() { doctorGoldenUpdate() } // define -update before flag.Parse

// golden compares got with the golden file testdata/name, which -update
// rewrites.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if doctorGoldenUpdate() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/liaison -run Golden -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", path, diff)
	}
}

func TestDoctorPassesAHealthyInstallationAndReportsItAsTheGoldenJSON(t *testing.T) {
	t.Parallel()
	w := newDoctorWorld(t, store.SQLite)
	code, r, out := w.doctor(t)
	if code != exitOK || !r.OK || r.Failures+r.Warnings != 0 {
		t.Fatalf("doctor on a healthy installation = exit %d, problems:\n%s", code, strings.Join(r.problems(), "\n"))
	}
	got := normalizeReport(t, w, out)
	golden(t, "doctor_healthy.json", got)

	code, text, _ := run(t, w.env, "doctor")
	for _, want := range []string{"Config\n", "Database\n", "Slack\n", "Discord\n", "  ✓ token: xoxb-…9f2c is @liaison", "  ✓ #product:", "  ✓ #feedback:",
		"– request URLs: request URL reachability is not checked: use --round-trip", "Everything checked is fine."} {
		if !strings.Contains(text, want) {
			t.Errorf("the text report lacks %q:\n%s", want, text)
		}
	}
	if code != exitOK {
		t.Errorf("text report exit = %d, want 0", code)
	}
}

// normalizeReport replaces what changes from run to run (temporary paths,
// the SQLite library's version, the latest migration, this binary's
// version) with placeholders.
func normalizeReport(t *testing.T, w *doctorWorld, out string) string {
	t.Helper()
	db := storetest.OpenURL(t, w.dbURL, store.Options{})
	facts, err := db.Server(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(
		w.dir, "$TMP",
		"SQLite "+facts.Version+" ", "SQLite $SQLITE_VERSION ",
		st[len(st)-1].Name, "$LATEST_MIGRATION",
		`"version": "`+versionString()+`"`, `"version": "$VERSION"`,
	).Replace(out)
}

// TestDoctorReportsABrokenInstallationAsTheGoldenJSONAndText breaks, at
// once, each thing the issue names (a missing scope, Liaison not in a
// channel, a missing intent, its role too low, a channel overwrite denying
// Send Messages, a pending migration): the report, as JSON and as text, is
// the golden one, and the exit status 1.
func TestDoctorReportsABrokenInstallationAsTheGoldenJSONAndText(t *testing.T) {
	t.Parallel()
	w := newDoctorWorld(t, store.SQLite)
	w.slack.SetScopes(slices.DeleteFunc(slices.Clone(slackfake.DefaultScopes), func(s string) bool { return s == "usergroups:read" })...)
	w.slack.SetBotMember("C01PRODUCT", false)
	w.discord.SetApplicationFlags(discordfake.FlagGatewayGuildMembersLimited)
	w.discord.AddRole(docGuild, discordfake.Role{ID: docMembers, Name: "Members", Position: 5})
	w.discord.AddChannel(docGuild, discordfake.Channel{ID: docGeneral, Name: "general", PermissionOverwrites: []discordfake.Overwrite{
		{ID: docGuild, Deny: discordgo.PermissionSendMessages},
	}})
	forgetLatestMigration(t, w.dbURL)

	code, r, out := w.doctor(t)
	if code != exitError || r.OK {
		t.Errorf("doctor on a broken installation = exit %d, ok %t; want 1", code, r.OK)
	}
	pending := regexp.MustCompile(`1 of \d+ pending`)
	golden(t, "doctor_broken.json", pending.ReplaceAllString(normalizeReport(t, w, out), "1 of $$MIGRATIONS pending"))
	code, text, _ := run(t, w.env, "doctor")
	if code != exitError {
		t.Errorf("the text report's exit = %d, want 1", code)
	}
	golden(t, "doctor_broken.txt", pending.ReplaceAllString(normalizeReport(t, w, text), "1 of $$MIGRATIONS pending"))
}

func TestDoctorNamesEachBrokenThingWithItsFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(t *testing.T, w *doctorWorld)
		id      string
		status  status
		msg     []string
		fix     []string
		exit    int
		// warnings is how many ⚠ the report has when it exits 0; one
		// unless said.
		warnings int
	}{
		{
			name: "a missing scope names what it breaks and the reinstall link",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.slack.SetScopes(slices.DeleteFunc(slices.Clone(slackfake.DefaultScopes), func(s string) bool { return s == "usergroups:read" })...)
			},
			id: "slack.scope.usergroups:read", status: statusFail,
			msg:  []string{"not granted", "approvers and staff named by a Slack user group"},
			fix:  []string{"https://api.slack.com/apps/" + slackfake.AppID + "/app-manifest", "https://api.slack.com/apps/" + slackfake.AppID + "/install-on-team"},
			exit: exitError,
		},
		{
			name: "a scope only liaison doctor uses is a warning",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.slack.SetScopes(slices.DeleteFunc(slices.Clone(slackfake.DefaultScopes), func(s string) bool { return s == "channels:read" || s == "groups:read" })...)
			},
			id: "slack.scope.channels:read", status: statusWarn,
			msg: []string{"Liaison works without it"}, fix: []string{"/install-on-team"}, exit: exitOK,
			warnings: 3, // channels:read, groups:read, and the channels it could not check
		},
		{
			name:    "the bot not in a channel",
			breakIt: func(t *testing.T, w *doctorWorld) { w.slack.SetBotMember("C01PRODUCT", false) },
			id:      "slack.channel.product", status: statusFail,
			msg: []string{"Liaison is not in the channel C01PRODUCT"}, fix: []string{"/invite @liaison in #product"}, exit: exitError,
		},
		{
			name:    "an archived channel",
			breakIt: func(t *testing.T, w *doctorWorld) { w.slack.ArchiveChannel("C01COMMUNITY") },
			id:      "slack.channel.community", status: statusFail,
			msg: []string{"is archived"}, fix: []string{"unarchive #community in Slack, or point slack.channels.community at another channel"}, exit: exitError,
		},
		{
			name:    "an archived log channel says what moderation loses",
			breakIt: func(t *testing.T, w *doctorWorld) { w.slack.ArchiveChannel("C01MODLOG") },
			id:      "slack.channel.mod-log", status: statusFail,
			msg: []string{"is archived", "what moderation writes there (the mod log) is lost until this is fixed"}, fix: []string{"unarchive #mod-log in Slack"}, exit: exitError,
		},
		{
			name:    "a channel that does not exist",
			breakIt: func(t *testing.T, w *doctorWorld) { w.rewriteConfig(t, "C01MODLOG", "C09GONE") },
			id:      "slack.channel.mod-log", status: statusFail,
			msg: []string{"Slack has no channel C09GONE that Liaison can see"}, fix: []string{"check slack.channels.mod-log in liaison.yaml"}, exit: exitError,
		},
		{
			name:    "a disabled user group",
			breakIt: func(t *testing.T, w *doctorWorld) { w.slack.DisableUsergroup("S01LEADS") },
			id:      "slack.usergroup.S01LEADS", status: statusFail,
			msg: []string{"@leads (S01LEADS) is disabled", "approvals.approvers"}, fix: []string{"enable @leads again"}, exit: exitError,
		},
		{
			name:    "a revoked Slack token",
			breakIt: func(t *testing.T, w *doctorWorld) { w.slack.SetToken("xoxb-another-token-entirely") },
			id:      "slack.token", status: statusFail,
			msg: []string{"Slack refused SLACK_BOT_TOKEN xoxb-…9f2c (invalid_auth)"}, fix: []string{"Bot User OAuth Token"}, exit: exitError,
		},
		{
			name: "a Discord token Discord refuses",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.env["DISCORD_BOT_TOKEN"] = "MTAwMDAwMDAwMDAwMDAwMDQy.another.token-0000"
			},
			id: "discord.token", status: statusFail,
			msg: []string{"Discord refused DISCORD_BOT_TOKEN …0000 (401 Unauthorized)"}, fix: []string{"Bot → Reset Token"}, exit: exitError,
		},
		{
			name:    "no way for Slack to reach Liaison",
			breakIt: func(t *testing.T, w *doctorWorld) { delete(w.env, "SLACK_SIGNING_SECRET") },
			id:      "slack.mode", status: statusFail,
			msg: []string{"neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set"}, fix: []string{"Signing Secret"}, exit: exitError,
		},
		{
			name: "the Message Content intent off",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.discord.SetApplicationFlags(discordfake.FlagGatewayGuildMembersLimited)
			},
			id: "discord.intents", status: statusFail,
			msg: []string{"Message Content", "close code 4014"}, fix: []string{"https://discord.com/developers/applications/" + docBot + "/bot"}, exit: exitError,
		},
		{
			name: "Liaison's role below the members'",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.discord.AddRole(docGuild, discordfake.Role{ID: docMembers, Name: "Members", Position: 5})
			},
			id: "discord.moderation." + docGuild + ".roles", status: statusFail,
			msg: []string{"@Liaison is not above @Members"}, fix: []string{"move @Liaison above @Members in Server Settings → Roles"}, exit: exitError,
		},
		{
			name: "a Socket Mode app token Slack refuses",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.slack.SetAppToken("xapp-1-A01-the-real-one-0000")
				w.env["SLACK_APP_TOKEN"] = "xapp-1-A01-an-old-revoked-token-7d3a"
			},
			id: "slack.mode", status: statusFail,
			msg: []string{"Slack refused SLACK_APP_TOKEN xapp-…7d3a for Socket Mode"}, fix: []string{"App-Level Tokens", "connections:write"}, exit: exitError,
		},
		{
			name:    "an admin listener other machines can reach is a warning",
			breakIt: func(t *testing.T, w *doctorWorld) { w.env["LIAISON_ADMIN_ADDR"] = "0.0.0.0:9090" },
			id:      "config.admin_addr", status: statusWarn,
			msg: []string{"0.0.0.0:9090 is reachable from other machines", "no login"}, fix: []string{"127.0.0.1:9090"}, exit: exitOK,
		},
		{
			name:    "an admin listener address that is not one",
			breakIt: func(t *testing.T, w *doctorWorld) { w.env["LIAISON_ADMIN_ADDR"] = "localhost" },
			id:      "config.admin_addr", status: statusFail,
			msg: []string{`"localhost" is not HOST:PORT`}, fix: []string{"127.0.0.1:9090", "off"}, exit: exitError,
		},
		{
			name: "the mod log's channel without Read Message History",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.discord.AddChannel(docGuild, discordfake.Channel{ID: docModLog, Name: "mod-log", PermissionOverwrites: []discordfake.Overwrite{
					{ID: docGuild, Deny: discordgo.PermissionReadMessageHistory},
				}})
			},
			id: "discord.channel." + docGuild + ".mod-log", status: statusFail,
			msg:  []string{"Liaison lacks Read Message History (the mod log's follow-ups, which answer a case's entry)"},
			fix:  []string{"in #mod-log → Edit Channel → Permissions, the overwrite for @everyone denies Read Message History: allow it for @Liaison there"},
			exit: exitError,
		},
		{
			name: "a channel overwrite denying Send Messages",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.discord.AddChannel(docGuild, discordfake.Channel{ID: docGeneral, Name: "general", PermissionOverwrites: []discordfake.Overwrite{
					{ID: docGuild, Deny: discordgo.PermissionSendMessages},
				}})
			},
			id: "discord.channel." + docGuild + ".general", status: statusFail,
			msg:  []string{"Liaison lacks Send Messages (the welcome)"},
			fix:  []string{"in #general → Edit Channel → Permissions, the overwrite for @everyone denies Send Messages: allow it for @Liaison there"},
			exit: exitError,
		},
		{
			name: "a role without Timeout Members",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.discord.AddRole(docGuild, discordfake.Role{ID: docBotRole, Name: "Liaison", Position: 4, Managed: true,
					Permissions: botRolePermissions &^ discordgo.PermissionModerateMembers})
			},
			id: "discord.moderation." + docGuild + ".permissions", status: statusFail,
			msg: []string{"Liaison lacks Timeout Members (/timeout)"}, fix: []string{"give @Liaison these permissions in Server Settings → Roles"}, exit: exitError,
		},
		{
			name:    "the wrong DISCORD_APP_ID",
			breakIt: func(t *testing.T, w *doctorWorld) { w.env["DISCORD_APP_ID"] = "555000000000000001" },
			id:      "discord.application", status: statusFail,
			msg: []string{"DISCORD_APP_ID is 555000000000000001 but the token belongs to application " + docBot}, fix: []string{"set DISCORD_APP_ID=" + docBot}, exit: exitError,
		},
		{
			name: "commands of another version",
			breakIt: func(t *testing.T, w *doctorWorld) {
				registerCommands(t, w.discord, []bot.CommandSpec{{Name: "warn", Description: "an older /warn"}})
			},
			id: "discord.commands." + docGuild, status: statusWarn,
			msg: []string{"not this version's", "different: /warn", "missing: "}, fix: []string{"start liaison run with this version"}, exit: exitOK,
		},
		{
			name: "Liaison not in the server",
			breakIt: func(t *testing.T, w *doctorWorld) {
				w.rewriteConfig(t, `guild: "`+docGuild+`"`, `guild: "998877665544332299"`)
			},
			id: "discord.server.998877665544332299", status: statusFail,
			msg: []string{"Liaison is not in this server"}, fix: []string{"https://discord.com/oauth2/authorize?client_id=" + docBot + "&scope=bot+applications.commands&permissions="}, exit: exitError,
		},
		{
			name:    "a pending migration (SQLite)",
			breakIt: func(t *testing.T, w *doctorWorld) { forgetLatestMigration(t, w.dbURL) },
			id:      "database.migrations", status: statusFail,
			msg: []string{"1 of ", " pending: "}, fix: []string{"run liaison migrate (liaison run also applies them when it starts)"}, exit: exitError,
		},
		{
			name: "the SQLite lock held by another process",
			breakIt: func(t *testing.T, w *doctorWorld) {
				storetest.OpenURL(t, w.dbURL, store.Options{Exclusive: true})
			},
			id: "database.lock", status: statusWarn,
			msg: []string{fmt.Sprintf("held by pid %d (", os.Getpid())}, fix: []string{fmt.Sprintf("kill %d", os.Getpid()), "a liaison run started now would be refused"}, exit: exitOK,
		},
		{
			name:    "a LIAISON_CONFIG that names nothing",
			breakIt: func(t *testing.T, w *doctorWorld) { w.env["LIAISON_CONFIG"] = filepath.Join(w.dir, "nope.yaml") },
			id:      "config.file", status: statusFail,
			msg: []string{"nope.yaml, which does not exist"}, fix: []string{"point LIAISON_CONFIG at your liaison.yaml"}, exit: exitError,
		},
		{
			name: "a directory where liaison.yaml should be, as Docker leaves one",
			breakIt: func(t *testing.T, w *doctorWorld) {
				dir := filepath.Join(w.dir, "mounted.yaml")
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				w.env["LIAISON_CONFIG"] = dir
			},
			id: "config.file", status: statusFail,
			msg: []string{"mounted.yaml is a directory, not a file"}, fix: []string{"remove the directory", "cp liaison.example.yaml liaison.yaml"}, exit: exitError,
		},
		{
			name:    "an invalid liaison.yaml",
			breakIt: func(t *testing.T, w *doctorWorld) { w.rewriteConfig(t, "default_to: product", "default_to: nowhere") },
			id:      "config.error.feedback.default_to", status: statusFail,
			msg: []string{`feedback.default_to: no Slack channel named "nowhere"`}, fix: []string{"liaison.yaml:", "liaison config check"}, exit: exitError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newDoctorWorld(t, store.SQLite)
			tt.breakIt(t, w)
			code, r, out := w.doctor(t)
			r.wantRow(t, out, code, tt.id, tt.status, tt.msg, tt.fix, tt.exit)
			if problems := r.problems(); tt.exit == exitOK && len(problems) != max(tt.warnings, 1) {
				t.Errorf("want %d warning(s), got:\n%s", max(tt.warnings, 1), strings.Join(problems, "\n"))
			}
		})
	}
}

func TestDoctorFindsAPendingMigrationOnPostgres(t *testing.T) {
	t.Parallel()
	w := newDoctorWorld(t, store.Postgres)
	code, r, out := w.doctor(t, "--only", "database")
	if code != exitOK || len(r.Groups) != 1 || r.Groups[0].Name != "Database" {
		t.Fatalf("doctor --only database on a migrated Postgres = %d:\n%s", code, out)
	}
	if c, _ := r.check("database.connection"); c.Status != statusOK || !strings.HasPrefix(c.Message, "PostgreSQL ") {
		t.Errorf("connection = %+v, want ok with the server's version", c)
	}
	if c, _ := r.check("database.connections"); c.Status != statusOK || !strings.Contains(c.Message, "max_connections ") {
		t.Errorf("connections = %+v, want ok with max_connections", c)
	}
	if _, ok := r.check("database.lock"); ok {
		t.Error("a Postgres database has no lock to report")
	}
	forgetLatestMigration(t, w.dbURL)
	code, r, _ = w.doctor(t, "--only", "database")
	c, _ := r.check("database.migrations")
	if code != exitError || c.Status != statusFail || !strings.Contains(c.Message, "1 of ") || !strings.Contains(c.Fix, "run liaison migrate") {
		t.Errorf("after forgetting a migration: exit %d, %+v; want 1 and the pending one with its fix", code, c)
	}
}

// forgetLatestMigration makes the latest migration pending again, as a
// database looks to a newer version of Liaison.
func forgetLatestMigration(t *testing.T, dbURL string) {
	t.Helper()
	driver, dsn := "postgres", dbURL
	if path, ok, _ := store.SQLiteFile(dbURL); ok {
		// The running app holds the file too: wait for its writes rather
		// than fail on SQLITE_BUSY.
		driver, dsn = "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
		t.Fatalf("forget the latest migration: %v", err)
	}
}

// rewriteConfig replaces old with new in w's liaison.yaml.
func (w *doctorWorld) rewriteConfig(t *testing.T, old, new string) {
	t.Helper()
	path := w.env["LIAISON_CONFIG"]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("liaison.yaml has no %q", old)
	}
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(b), old, new)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorNeverPrintsASecret(t *testing.T) {
	t.Parallel()
	w := newDoctorWorld(t, store.SQLite)
	w.env["SLACK_APP_TOKEN"] = "xapp-1-A0LIAISON-1234567890-appsecretc0de"
	w.slack.SetToken("xoxb-revoked") // the failures quote the token too
	_, jsonOut, _ := run(t, w.env, "doctor", "--json")
	_, textOut, errOut := run(t, w.env, "doctor")
	for _, secret := range []string{docSlackToken, docSecret, docDiscordTok, w.env["SLACK_APP_TOKEN"], "doctortoken", "appsecret", "doctor.token"} {
		for _, out := range []string{jsonOut, textOut, errOut} {
			if strings.Contains(out, secret) {
				t.Errorf("liaison doctor printed the secret %q:\n%s", secret, out)
			}
		}
	}
	if !strings.Contains(textOut, "xoxb-…9f2c") {
		t.Errorf("the Slack token is not shown masked as xoxb-…9f2c:\n%s", textOut)
	}
}

func TestDoctorOnlyRunsOneGroup(t *testing.T) {
	t.Parallel()
	w := newDoctorWorld(t, store.SQLite)
	for _, tt := range []struct{ only, group string }{{"config", "Config"}, {"database", "Database"}, {"slack", "Slack"}, {"discord", "Discord"}, {"watch", "Watch"}} {
		code, r, out := w.doctor(t, "--only", tt.only)
		if code != exitOK || len(r.Groups) != 1 || r.Groups[0].Name != tt.group {
			t.Errorf("--only %s = exit %d:\n%s", tt.only, code, out)
		}
	}
	_, r, _ := w.doctor(t, "--only", "watch")
	if c, _ := r.check("watch.config"); c.Status != statusInfo || !strings.Contains(c.Message, "liaison.yaml has no watch: section") {
		t.Errorf("--only watch without a watch: section = %+v, want it to say nothing is watched", c)
	}
	if _, r, _ := w.doctor(t); slices.ContainsFunc(r.Groups, func(g group) bool { return g.Name == "Watch" }) {
		t.Error("liaison doctor without a watch: section runs the Watch group")
	}
	// With the platforms off, each says so and nothing fails.
	delete(w.env, "SLACK_BOT_TOKEN")
	delete(w.env, "DISCORD_BOT_TOKEN")
	code, r, out := w.doctor(t)
	if c, _ := r.check("slack.token"); c.Status != statusWarn || !strings.Contains(c.Message, "SLACK_BOT_TOKEN is not set") {
		t.Errorf("Slack without a token but with channels configured = %+v, want a warning", c)
	}
	if c, _ := r.check("discord.token"); c.Status != statusWarn || !strings.Contains(c.Message, "DISCORD_BOT_TOKEN is not set") {
		t.Errorf("Discord without a token but with a server configured = %+v, want a warning", c)
	}
	if code != exitOK {
		t.Errorf("platforms off = exit %d, want 0:\n%s", code, out)
	}
	for _, args := range [][]string{{"doctor", "--only", "everything"}, {"doctor", "extra"}} {
		if code, _, errs := run(t, w.env, args...); code != exitUsage || errs == "" {
			t.Errorf("liaison %q = %d %q, want 2 and an explanation", args, code, errs)
		}
	}
}

func TestSlackScopesAreTheManifests(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, s := range slackScopes {
		ours = append(ours, s.name)
	}
	if diff := cmp.Diff(manifest.OAuth.Scopes.Bot, ours); diff != "" {
		t.Errorf("liaison doctor's scopes differ from slack-app-manifest.yaml's (-manifest +doctor):\n%s", diff)
	}
	if diff := cmp.Diff(manifest.OAuth.Scopes.Bot, slackfake.DefaultScopes); diff != "" {
		t.Errorf("slackfake.DefaultScopes differ from slack-app-manifest.yaml's (-manifest +fake):\n%s", diff)
	}
}

func TestDoctorAndHealthcheckHelpSayWhatTheyCheckAndRead(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"doctor ", "healthcheck "}},
		{[]string{"doctor", "--help"}, []string{"--json", "--only", "scopes", "migrations", "overwrites", "SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "LIAISON_DATABASE_URL", "LIAISON_CONFIG", "xoxb-…last4", "exit status"}},
		{[]string{"healthcheck", "--help"}, []string{"/readyz", "LIAISON_HTTP_ADDR", "127.0.0.1", "HEALTHCHECK"}},
	} {
		code, out, _ := run(t, nil, tt.args...)
		if code != exitOK {
			t.Errorf("liaison %s exited %d", strings.Join(tt.args, " "), code)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("liaison %s lacks %q:\n%s", strings.Join(tt.args, " "), w, out)
			}
		}
	}
}

// docWatchConfig watches a feed, Hacker News and GitHub for the brand.
const docWatchConfig = `watch:
  user_agent: "Liaison (+https://acme.example/community-bot)"
  feeds: [{name: tech-news, url: "https://news.example.com/rss"}]
  queries:
    - {name: brand, query: 'acmecloud', sources: [feeds, hn, github], route: product}
`

const docGitHubToken = "github_pat_11AAAAAAA0doctortokenc0de"

const docFeed = `<?xml version="1.0"?><rss version="2.0"><channel><title>Tech news</title>
<item><title>AcmeCloud raises prices</title><link>https://news.example.com/acme</link><guid>n1</guid><pubDate>%s</pubDate></item>
</channel></rss>`

// withWatch adds docWatchConfig to w's liaison.yaml and a fake web whose
// feed, Hacker News and GitHub answer, with GITHUB_TOKEN set.
func (w *doctorWorld) withWatch(t *testing.T) *watchfake.Server {
	t.Helper()
	path := w.env["LIAISON_CONFIG"]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, docWatchConfig...), 0o600); err != nil {
		t.Fatal(err)
	}
	web := watchfake.New()
	t.Cleanup(web.Close)
	now := time.Now()
	web.SetFeed("news.example.com/rss", "", fmt.Sprintf(docFeed, now.Add(-time.Hour).Format(time.RFC1123Z)), now)
	web.AddHN(watchfake.HNHit{ID: "4201", Created: now.Add(-10 * time.Minute), Author: "jdoe", Title: "AcmeCloud launches a free tier", URL: "https://acme.example/free"})
	web.AddIssues(watchfake.Issue{ID: 7, HTMLURL: "https://github.com/acme/cli/issues/7", Title: "acmecloud login fails", User: "octo", Created: now.Add(-time.Hour)})
	for k, v := range web.Env() {
		w.env[k] = v
	}
	w.env["GITHUB_TOKEN"] = docGitHubToken
	return web
}

func TestDoctorChecksTheWatchSourcesTheirCredentialsAndThePolls(t *testing.T) {
	t.Parallel()
	w := newDoctorWorld(t, store.SQLite)
	w.withWatch(t)
	code, r, out := w.doctor(t, "--only", "watch")
	if code != exitOK || len(r.Groups) != 1 || r.Groups[0].Name != "Watch" || r.Failures+r.Warnings != 0 {
		t.Fatalf("doctor --only watch on a working watch = exit %d:\n%s", code, out)
	}
	for id, want := range map[string]string{
		"watch.config":                 `1 query(ies) (brand) on feeds, hn, github, polled every 5m, as "Liaison (+https://acme.example/community-bot)"`,
		"watch.credentials.github":     "GITHUB_TOKEN …c0de: 30 searches a minute",
		"watch.source.feeds:tech-news": "feed tech-news answered: 1 item(s) from the last 24 hours",
		"watch.source.hn":              "answered: 1 item(s) from the last 24 hours",
		"watch.source.github":          "answered: 1 item(s) from the last 24 hours",
		"watch.polls":                  "no source failing, as recorded in the database",
	} {
		if c, ok := r.check(id); !ok || c.Status != statusOK || !strings.Contains(c.Message, want) {
			t.Errorf("%s = %+v, want ok saying %q", id, c, want)
		}
	}
	if strings.Contains(out, docGitHubToken) || strings.Contains(out, "doctortoken") {
		t.Errorf("doctor printed GITHUB_TOKEN:\n%s", out)
	}
	// With a watch: section, the whole doctor runs the group too.
	if _, r, _ := w.doctor(t); r.Groups[len(r.Groups)-1].Name != "Watch" {
		t.Errorf("liaison doctor's groups end with %q, want the Watch group", r.Groups[len(r.Groups)-1].Name)
	}
}

func TestDoctorNamesEachWatchProblemWithItsFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(t *testing.T, w *doctorWorld, web *watchfake.Server)
		id      string
		status  status
		msg     []string
		fix     []string
		exit    int
	}{
		{
			name:    "no GITHUB_TOKEN",
			breakIt: func(t *testing.T, w *doctorWorld, _ *watchfake.Server) { delete(w.env, "GITHUB_TOKEN") },
			id:      "watch.credentials.github", status: statusWarn,
			msg: []string{"GITHUB_TOKEN is not set", "10 searches a minute", "discussions are not searched"}, fix: []string{"set GITHUB_TOKEN"}, exit: exitOK,
		},
		{
			name:    "a GITHUB_TOKEN GitHub refuses",
			breakIt: func(t *testing.T, w *doctorWorld, web *watchfake.Server) { web.Fail(watchfake.GitHub, 401, "", 1) },
			id:      "watch.source.github", status: statusFail,
			msg: []string{"answered 401 Unauthorized"}, fix: []string{"GITHUB_TOKEN is wrong or expired"}, exit: exitError,
		},
		{
			name: "a feed that is gone",
			breakIt: func(t *testing.T, w *doctorWorld, _ *watchfake.Server) {
				w.rewriteConfig(t, "https://news.example.com/rss", "https://news.example.com/old-rss")
			},
			id: "watch.source.feeds:tech-news", status: statusFail,
			msg: []string{"feed tech-news", "404 Not Found"}, fix: []string{"watch.feeds, the one named tech-news", "if it moved, put its new address there"}, exit: exitError,
		},
		{
			name: "a feed address that is a web page",
			breakIt: func(t *testing.T, w *doctorWorld, web *watchfake.Server) {
				web.SetFeed("news.example.com/rss", "text/html", "<html><body>News</body></html>", time.Now())
			},
			id: "watch.source.feeds:tech-news", status: statusFail,
			msg: []string{"not an RSS or Atom feed"}, fix: []string{"the one named tech-news"}, exit: exitError,
		},
		{
			name: "a feed host that does not answer",
			breakIt: func(t *testing.T, w *doctorWorld, _ *watchfake.Server) {
				closed := httptest.NewServer(http.NotFoundHandler())
				closed.Close()
				w.env["LIAISON_WATCH_FEEDS_URL"] = closed.URL
			},
			id: "watch.source.feeds:tech-news", status: statusWarn,
			msg: []string{"unreachable", "no answer now; liaison run keeps trying"}, fix: []string{"check that this machine reaches the source", "the one named tech-news"}, exit: exitOK,
		},
		{
			name:    "Hacker News down",
			breakIt: func(t *testing.T, w *doctorWorld, web *watchfake.Server) { web.Outage(watchfake.HN, true) },
			id:      "watch.source.hn", status: statusWarn,
			msg: []string{"503", "down or limiting requests now; liaison run keeps trying"}, fix: []string{"hn.algolia.com"}, exit: exitOK,
		},
		{
			name: "half of Reddit's credentials",
			breakIt: func(t *testing.T, w *doctorWorld, _ *watchfake.Server) {
				w.rewriteConfig(t, "sources: [feeds, hn, github]", "sources: [feeds, hn, github, reddit]")
				w.env["REDDIT_CLIENT_ID"] = "reddit-app-id"
			},
			id: "watch.options", status: statusFail,
			msg: []string{"set both REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET, or neither", "liaison run refuses to start"}, fix: []string{"correct it"}, exit: exitError,
		},
		{
			name: "Mastodon words without a token",
			breakIt: func(t *testing.T, w *doctorWorld, _ *watchfake.Server) {
				w.rewriteConfig(t, "sources: [feeds, hn, github]", "sources: [feeds, hn, github, mastodon]")
			},
			id: "watch.credentials.mastodon", status: statusWarn,
			msg: []string{"only hashtags are followed on Mastodon, the words of brand are not searched"}, fix: []string{"MASTODON_ACCESS_TOKEN"}, exit: exitOK,
		},
		{
			name: "liaison run's polls failing for an hour",
			breakIt: func(t *testing.T, w *doctorWorld, _ *watchfake.Server) {
				db := storetest.OpenURL(t, w.dbURL, store.Options{})
				ctx := context.Background()
				for _, at := range []time.Time{time.Now().Add(-time.Hour), time.Now().Add(-time.Minute)} {
					if _, err := db.RecordWatchFailure(ctx, at, "feeds:tech-news", "news.example.com/rss answered 404 Not Found", nil); err != nil {
						t.Fatal(err)
					}
				}
				// A feed liaison.yaml no longer names is not reported.
				if _, err := db.RecordWatchFailure(ctx, time.Now().Add(-time.Hour), "feeds:removed", "gone", nil); err != nil {
					t.Fatal(err)
				}
				db.Close()
			},
			id: "watch.polls.feeds:tech-news", status: statusFail,
			msg: []string{"the feed tech-news fails since", "(1h, 2 failed poll(s)): news.example.com/rss answered 404 Not Found"}, fix: []string{"the one named tech-news"}, exit: exitError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newDoctorWorld(t, store.SQLite)
			web := w.withWatch(t)
			tt.breakIt(t, w, web)
			code, r, out := w.doctor(t, "--only", "watch")
			r.wantRow(t, out, code, tt.id, tt.status, tt.msg, tt.fix, tt.exit)
			if tt.exit == exitOK && len(r.problems()) != 1 {
				t.Errorf("want 1 warning, got:\n%s", strings.Join(r.problems(), "\n"))
			}
			if strings.Contains(out, "feeds:removed") {
				t.Errorf("a feed liaison.yaml no longer names is reported:\n%s", out)
			}
		})
	}
}
