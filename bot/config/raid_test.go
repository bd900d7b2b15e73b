package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/config"
)

const raidBase = `slack: {channels: {mod-log: C01MODLOG}}
discord: {guild: "998877665544332211", channels: {general: "1100000000000000002"}, roles: {quarantine: ["1200000000000000007"]}}
people:
  - {name: dave, slack: U01DAVE}
`

func TestRaidDetectionHasDefaultsAndAGateOnlyWhenSet(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(raidBase+`moderation:
  raid: {min_account_age: 1d, gate_action: timeout, slowmode: {channels: [general]}, on_duty: [dave, {slack_group: S01MODS}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Moderation.Raid
	if !r.Enabled || r.Joins != 10 || r.Window != time.Minute || r.Mentions != 20 || r.MinAccountAge != 24*time.Hour || r.GateAction != config.GateTimeout {
		t.Errorf("raid = %+v", r)
	}
	if len(r.Slowmode.Channels) != 1 || r.Slowmode.Channels[0].ID != "1100000000000000002" || r.Slowmode.Seconds != 30 {
		t.Errorf("slowmode = %+v", r.Slowmode)
	}
	if len(r.OnDuty.People) != 1 || len(r.OnDuty.SlackGroups) != 1 {
		t.Errorf("on duty = %+v", r.OnDuty)
	}
	for _, tt := range []struct{ raid, want string }{
		{`{min_account_age: 120d}`, "moderation.raid.min_account_age: 17w1d would keep out every account younger than 17w1d, most newcomers: lower it, or add i_know: true if you mean it"},
		{`{gate_action: role}`, "gate_action: role needs quarantine_role"},
		{`{gate_action: ban}`, `"ban" is not a gate action`},
		{`{quarantine_role: jail, gate_action: role}`, `no Discord role named "jail"`},
		{`{on_duty: [zoe]}`, `nobody called "zoe" is declared under people`},
	} {
		_, err := config.Parse("liaison.yaml", []byte(raidBase+"moderation:\n  raid: "+tt.raid+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("raid %s: %v, want %q", tt.raid, err, tt.want)
		}
	}
	if _, err := config.Parse("liaison.yaml", []byte(raidBase+"moderation:\n  raid: {min_account_age: 120d, i_know: true, gate_action: role, quarantine_role: quarantine}\n")); err != nil {
		t.Errorf("i_know: true lets a long gate through: %v", err)
	}
}
