package config

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Raid is moderation.raid: the join gate and raid detection.
type Raid struct {
	// Enabled is true when the file has a moderation.raid: section; raid
	// detection then runs with the defaults below.
	Enabled bool
	// Joins is how many joins within Window make a raid (more than Joins);
	// 10 unless set.
	Joins  int
	Window time.Duration // 60s unless set
	// Mentions is how many mentions per minute by new members (who joined
	// in the last day) make a raid (more than Mentions); 20 unless set.
	Mentions int
	// MinAccountAge is the join gate: accounts younger than this are
	// stopped at the door (GateAction); zero leaves the door open. Over
	// 90 days needs IKnow: it would stop most newcomers.
	MinAccountAge time.Duration
	IKnow         bool
	// GateAction is what the gate does: GateKick (default), GateTimeout or
	// GateRole (QuarantineRole, a name from discord: roles).
	GateAction     string
	QuarantineRole string
	// Slowmode is set on Channels for the raid's length; none when empty.
	Slowmode RaidSlowmode
	// OnDuty are pinged in the Slack mod log when a raid starts: people's
	// names and {slack_group: ID}.
	OnDuty bot.Who
}

// RaidSlowmode is the slowmode a raid sets.
type RaidSlowmode struct {
	Channels []ChannelRef
	Seconds  int
}

// Gate actions.
const (
	GateKick    = "kick"
	GateTimeout = "timeout"
	GateRole    = "role"
)

// maxGateAge is the account age past which the gate needs i_know: true.
const maxGateAge = 90 * 24 * time.Hour

func (d *decoder) raid(n *yaml.Node, path string, r *Raid) {
	*r = Raid{Enabled: true, Joins: 10, Window: time.Minute, Mentions: 20, GateAction: GateKick}
	var ageNode *yaml.Node
	d.fields(n, path, []field{
		{name: "joins", decode: func(v *yaml.Node, p string) {
			if i, ok := d.int(v, p, 2); ok {
				r.Joins = i
			}
		}},
		{name: "window", decode: func(v *yaml.Node, p string) {
			if w, ok := d.duration(v, p, true); ok {
				r.Window = w
			}
		}},
		{name: "mentions", decode: func(v *yaml.Node, p string) {
			if i, ok := d.int(v, p, 1); ok {
				r.Mentions = i
			}
		}},
		{name: "min_account_age", decode: func(v *yaml.Node, p string) {
			if a, ok := d.duration(v, p, false); ok {
				r.MinAccountAge, ageNode = a, v
			}
		}},
		{name: "i_know", decode: func(v *yaml.Node, p string) {
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&r.IKnow) != nil {
				d.errorf(v, p, "expected true or false, got %s", describe(v))
			}
		}},
		{name: "gate_action", decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "kick, timeout or role")
			switch s {
			case GateKick, GateTimeout, GateRole:
				r.GateAction = s
			default:
				if ok {
					d.errorf(v, p, "%q is not a gate action: use kick, timeout or role (with quarantine_role)", s)
				}
			}
		}},
		{name: "quarantine_role", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a role name from discord: roles, like quarantine"); ok {
				r.QuarantineRole = s
				d.later(func() { d.memberRole(v, p, s) })
			}
		}},
		{name: "slowmode", decode: func(v *yaml.Node, p string) {
			r.Slowmode.Seconds = 30
			d.fields(v, p, []field{
				{name: "channels", required: "the Discord channels to slow down during a raid, like channels: [general]", decode: func(v *yaml.Node, p string) {
					d.list(v, p, "a list of Discord channel names", func(_ int, v *yaml.Node, p string) {
						var ref ChannelRef
						d.discordRef(v, p, &ref)
						i := len(r.Slowmode.Channels)
						r.Slowmode.Channels = append(r.Slowmode.Channels, ChannelRef{})
						d.later(func() { r.Slowmode.Channels[i] = ref })
					})
				}},
				{name: "seconds", decode: func(v *yaml.Node, p string) {
					if i, ok := d.int(v, p, 1); ok {
						if i > 21600 {
							d.errorf(v, p, "Discord's slowmode is at most 21600 seconds (6h), got %d", i)
							return
						}
						r.Slowmode.Seconds = i
					}
				}},
			})
		}},
		{name: "on_duty", decode: func(v *yaml.Node, p string) { d.staffSection(v, p, &r.OnDuty) }},
	})
	if r.MinAccountAge > maxGateAge && !r.IKnow {
		d.errorf(ageNode, join(path, "min_account_age"), "%s would keep out every account younger than %s, most newcomers: lower it, or add i_know: true if you mean it", bot.FormatDuration(r.MinAccountAge), bot.FormatDuration(r.MinAccountAge))
	}
	if r.GateAction == GateRole && r.QuarantineRole == "" {
		d.errorf(n, join(path, "gate_action"), "gate_action: role needs quarantine_role: the role new accounts get, from discord: roles")
	}
}
