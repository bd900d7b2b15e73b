package bot

import (
	"strings"
	"testing"
	"time"
)

// A server with @everyone, a protected role, staff, moderators, a senior
// role above the moderators, an administrator role and Liaison's role.
func testGuild() *Guild {
	return &Guild{
		ID: "g", OwnerID: "owner", SelfID: "liaison", SelfRoles: []string{"r-liaison"},
		Roles: []Role{
			{ID: "g", Name: "@everyone"},
			{ID: "r-protected", Name: "partners", Position: 5},
			{ID: "r-staff", Name: "staff", Position: 10},
			{ID: "r-mod", Name: "moderators", Position: 20},
			{ID: "r-senior", Name: "senior", Position: 30, Permissions: PermBanMembers},
			{ID: "r-admin", Name: "admins", Position: 40, Permissions: PermAdministrator},
			{ID: "r-liaison", Name: "Liaison", Position: 35},
		},
	}
}

func member(id string, roles ...string) *Member {
	return &Member{User: User{Platform: PlatformDiscord, ID: id, Name: id, Roles: roles}}
}

func TestOnlyModeratorsOrHoldersOfThePermissionMayAct(t *testing.T) {
	t.Parallel()
	g := testGuild()
	mods := []string{"r-mod"}
	tests := []struct {
		name   string
		mod    *Member
		action string
		want   string // "" for allowed, else part of the refusal
	}{
		{"a moderator warns", member("dave", "r-mod"), ActionWarn, ""},
		{"a moderator bans", member("dave", "r-mod"), ActionBan, ""},
		{"staff cannot time out", member("bob", "r-staff"), ActionTimeout, "you need the moderators role or Discord's Timeout Members permission"},
		{"Ban Members lets one ban", member("sam", "r-senior"), ActionBan, ""},
		{"Ban Members lets one warn", member("sam", "r-senior"), ActionWarn, ""},
		{"Ban Members does not let one purge", member("sam", "r-senior"), ActionPurge, "Manage Messages"},
		{"an administrator may do anything", member("ada", "r-admin"), ActionSlowmode, ""},
		{"the owner may do anything", member("owner"), ActionKick, ""},
		{"a member may not", member("mallory"), ActionKick, "Only moderators can kick members"},
	}
	for _, tt := range tests {
		err := CheckPermission(g, tt.mod, tt.action, mods)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: CheckPermission = %v, want allowed", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(ErrorMessage(err), tt.want) || ErrorCode(err) != EForbidden):
			t.Errorf("%s: CheckPermission = %v, want a refusal saying %q", tt.name, err, tt.want)
		}
	}
}

func TestNobodyModeratesThemselvesLiaisonTheOwnerAdminsProtectedOrThoseAbove(t *testing.T) {
	t.Parallel()
	g := testGuild()
	dave := member("dave", "r-mod")
	protected := []string{"r-protected"}
	tests := []struct {
		name   string
		mod    *Member
		target *Member
		id     string
		want   string
	}{
		{"a member below both", dave, member("mallory"), "mallory", ""},
		{"staff below a moderator", dave, member("bob", "r-staff"), "bob", ""},
		{"someone who left (a ban by id)", dave, nil, "gone", ""},
		{"oneself", dave, dave, "dave", "You cannot moderate yourself."},
		{"Liaison", dave, member("liaison", "r-liaison"), "liaison", "Liaison does not moderate itself."},
		{"the owner", member("ada", "r-admin"), member("owner"), "owner", "owner owns the server"},
		{"an administrator", member("owner"), member("ada", "r-admin"), "ada", "ada is an administrator"},
		{"a protected member", dave, member("pat", "r-protected"), "pat", "pat has the partners role, which is protected"},
		{"a peer", dave, member("mod2", "r-mod"), "mod2", "mod2 is at your level in the role list"},
		{"someone above", dave, member("sam", "r-senior"), "sam", "sam is above you in the role list"},
		{"above Liaison, by the owner", member("owner"), member("top", "r-senior", "r-liaison"), "top", "not below Liaison in the role list"},
	}
	for _, tt := range tests {
		err := CheckTarget(g, tt.mod, tt.target, tt.id, tt.id, protected)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: CheckTarget = %v, want allowed", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(ErrorMessage(err), tt.want)):
			t.Errorf("%s: CheckTarget = %v, want a refusal saying %q", tt.name, err, tt.want)
		}
	}
}

func TestTheAuditReasonNamesTheModeratorAndTheCase(t *testing.T) {
	t.Parallel()
	c := &Case{Number: 12, ModeratorName: "dave", Reason: "spamming\nlinks", Source: SourceDiscord}
	if got, want := AuditReason(c), "dave via Liaison, case 12: spamming links"; got != want {
		t.Errorf("AuditReason = %q, want %q", got, want)
	}
	c.Source = SourceSlack
	if got := AuditReason(c); !strings.HasPrefix(got, "dave via Liaison (Slack), case 12") {
		t.Errorf("AuditReason from Slack = %q", got)
	}
	c.Reason = strings.Repeat("é", 600)
	if got := AuditReason(c); len([]rune(got)) != 512 {
		t.Errorf("AuditReason is %d characters, want Discord's 512", len([]rune(got)))
	}
}

func TestCommandPermissionsAreTheMildestDiscordBit(t *testing.T) {
	t.Parallel()
	for action, want := range map[string]string{
		ActionWarn: "1099511627776", ActionTimeout: "1099511627776", ActionKick: "2", ActionBan: "4",
		ActionPurge: "8192", ActionSlowmode: "16", ActionNote: "1099511627776",
	} {
		if got := CommandPermission(action); got != want {
			t.Errorf("CommandPermission(%s) = %s, want %s", action, got, want)
		}
	}
}

func TestPointsDecayAndThresholdsTrigger(t *testing.T) {
	t.Parallel()
	e := Escalation{
		Points: map[string]int{ActionWarn: 1, ActionTimeout: 2}, DecayPoints: 1, DecayEvery: 30 * 24 * time.Hour,
		Thresholds: []Threshold{{Points: 3, Action: ActionTimeout, Duration: time.Hour}, {Points: 5, Action: ActionBan, Duration: 7 * 24 * time.Hour}},
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	h := []PointsEvent{{1, t0}, {1, t0.Add(day)}, {2, t0.Add(10 * day)}}
	tests := []struct {
		at   time.Duration
		want int
	}{
		{0, 1}, {day, 2}, {10 * day, 4}, {29 * day, 4}, {30 * day, 3}, {60 * day, 2}, {90 * day, 1}, {120 * day, 0}, {400 * day, 0},
	}
	for _, tt := range tests {
		if got := e.Balance(h, t0.Add(tt.at)); got != tt.want {
			t.Errorf("Balance at day %v = %d, want %d", tt.at/day, got, tt.want)
		}
	}
	// After reaching zero, the decay clock restarts with the next case.
	h2 := []PointsEvent{{1, t0}, {1, t0.Add(100 * day)}}
	if got := e.Balance(h2, t0.Add(129*day)); got != 1 {
		t.Errorf("Balance 29 days after a fresh start = %d, want 1", got)
	}
	if th, ok := e.Crossed(2, 3); !ok || th.Action != ActionTimeout {
		t.Errorf("Crossed(2, 3) = %v %v, want the timeout", th, ok)
	}
	if th, ok := e.Crossed(2, 6); !ok || th.Action != ActionBan {
		t.Errorf("Crossed(2, 6) = %v %v, want the highest, the ban", th, ok)
	}
	if _, ok := e.Crossed(3, 4); ok {
		t.Error("Crossed(3, 4) triggered, want nothing: 3 was reached before")
	}
	if th, _ := e.Next(3); th.Points != 5 || th.Describe() != "a 1w ban" {
		t.Errorf("Next(3) = %+v (%s)", th, th.Describe())
	}
}
