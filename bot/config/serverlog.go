package config

import (
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// ServerLogs is moderation.logs: which server events are logged, and
// where. Each kind is opt-in: a Discord log channel (discord:NAME) and/or
// a Slack channel (NAME), one or a list.
type ServerLogs struct {
	Edits   []ChannelRef // message edits, before and after
	Deletes []ChannelRef // deletions (single and bulk), with the text Liaison last saw
	Joins   []ChannelRef // members joining: account age, the invite used
	Leaves  []ChannelRef // members leaving: roles held, time on the server
	Members []ChannelRef // nickname and role changes
	Server  []ChannelRef // channels and roles created, changed or deleted by staff
	// Cache is how many recent messages per channel Liaison keeps the text
	// of (7 days at most); DefaultLogCache unless set.
	Cache int
}

// DefaultLogCache is moderation.logs.cache's default.
const DefaultLogCache = 10000

// Server log kinds, the keys of moderation.logs.
const (
	LogEdits   = "edits"
	LogDeletes = "deletes"
	LogJoins   = "joins"
	LogLeaves  = "leaves"
	LogMembers = "members"
	LogServer  = "server"
)

// To returns the channels a kind is logged to; none when it is off.
func (l ServerLogs) To(kind string) []ChannelRef {
	switch kind {
	case LogEdits:
		return l.Edits
	case LogDeletes:
		return l.Deletes
	case LogJoins:
		return l.Joins
	case LogLeaves:
		return l.Leaves
	case LogMembers:
		return l.Members
	case LogServer:
		return l.Server
	}
	return nil
}

// Any reports whether some kind is logged.
func (l ServerLogs) Any() bool {
	return len(l.Edits)+len(l.Deletes)+len(l.Joins)+len(l.Leaves)+len(l.Members)+len(l.Server) > 0
}

// All returns every log channel, each once.
func (l ServerLogs) All() []ChannelRef {
	var out []ChannelRef
	seen := map[ChannelRef]bool{}
	for _, k := range []string{LogEdits, LogDeletes, LogJoins, LogLeaves, LogMembers, LogServer} {
		for _, r := range l.To(k) {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// Modmail is moderation.modmail: members' DMs to Liaison open tickets in
// a Slack channel, where staff answer.
type Modmail struct {
	// Enabled is true when the section is set.
	Enabled bool
	// Slack is the channel tickets open in (their threads hold them).
	Slack ChannelRef
	// SignWithName signs answers with the staff member's name; by default
	// they are signed by the team.
	SignWithName bool
	// Approval holds staff answers as drafts until someone other than
	// their writer approves them, under the approvals: policy (which the
	// file must then have); the approved text is what is sent.
	Approval bool
}

func (d *decoder) serverLogs(n *yaml.Node, path string, l *ServerLogs) {
	l.Cache = DefaultLogCache
	kind := func(name string, dst *[]ChannelRef) field {
		return field{name: name, decode: func(v *yaml.Node, p string) {
			if v.Kind == yaml.ScalarNode {
				*dst = make([]ChannelRef, 1)
				d.channelRef(v, p, &(*dst)[0])
				d.later(func() {
					if (*dst)[0].ID == "" {
						*dst = nil
					}
				})
				return
			}
			d.channelRefs(v, p, dst)
		}}
	}
	d.fields(n, path, []field{
		kind(LogEdits, &l.Edits), kind(LogDeletes, &l.Deletes), kind(LogJoins, &l.Joins),
		kind(LogLeaves, &l.Leaves), kind(LogMembers, &l.Members), kind(LogServer, &l.Server),
		{name: "cache", decode: func(v *yaml.Node, p string) {
			if i, ok := d.int(v, p, 100); ok {
				l.Cache = i
			}
		}},
	})
}

func (d *decoder) modmail(n *yaml.Node, path string, m *Modmail) {
	m.Enabled = true
	d.fields(n, path, []field{
		{name: "slack", required: "the Slack channel tickets open in, like slack: mod-log", decode: func(v *yaml.Node, p string) { d.slackRef(v, p, &m.Slack) }},
		{name: "sign_with_name", decode: func(v *yaml.Node, p string) { m.SignWithName = d.boolean(v, p) }},
		{name: "approval", decode: func(v *yaml.Node, p string) {
			if m.Approval = d.boolean(v, p); m.Approval {
				d.later(func() {
					if !d.cfg.Approvals.Enabled {
						// Said plainly rather than ignored: answers would have nobody to approve them.
						d.errorf(v, p, "answers wait for approval in the approvals: section's channel, and this file has no approvals: section: add one (channel and approvers), or set approval: false")
					}
				})
			}
		}},
	})
}

// boolean decodes true or false.
func (d *decoder) boolean(n *yaml.Node, path string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, path, "expected true or false, got %s", describe(n))
		return false
	}
	return b
}

// appealsURL decodes moderation.appeals_url: an http(s) link.
func (d *decoder) appealsURL(n *yaml.Node, path string) string {
	s, ok := d.str(n, path, "a link like https://example.com/appeal")
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		d.errorf(n, path, "%q is not a web link: write it like https://example.com/appeal", s)
		return ""
	}
	return s
}

// SlackLogUses maps each Slack channel moderation writes to (the mod log,
// the server logs, modmail tickets) to what goes there, in words ("the mod
// log", "the deletes, joins logs", "modmail tickets"): what is lost while
// Liaison cannot post there. Empty when moderation is off.
func (c *Config) SlackLogUses() map[string][]string {
	out := map[string][]string{}
	m := c.Moderation
	if !m.Enabled {
		return out
	}
	if s := m.ModLog.Slack; s.ID != "" {
		out[s.ID] = append(out[s.ID], "the mod log")
	}
	kinds := map[string][]string{}
	var order []string
	for _, k := range []string{LogEdits, LogDeletes, LogJoins, LogLeaves, LogMembers, LogServer} {
		for _, r := range m.Logs.To(k) {
			if r.Platform != PlatformSlack || r.ID == "" {
				continue
			}
			if _, ok := kinds[r.ID]; !ok {
				order = append(order, r.ID)
			}
			kinds[r.ID] = append(kinds[r.ID], k)
		}
	}
	for _, id := range order {
		out[id] = append(out[id], "the "+strings.Join(kinds[id], ", ")+" logs")
	}
	if m.Modmail.Enabled && m.Modmail.Slack.ID != "" {
		out[m.Modmail.Slack.ID] = append(out[m.Modmail.Slack.ID], "modmail tickets")
	}
	return out
}
