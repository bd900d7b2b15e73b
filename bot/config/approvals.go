package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Approvals is the approvals: section: where drafted replies wait for
// approval in Slack, and who must approve them before Liaison posts them in
// Discord. Without the section, nobody can draft a reply.
type Approvals struct {
	// Enabled is true when the file has an approvals: section.
	Enabled bool
	// Channel is the Slack channel where each draft is posted with its
	// Approve, Reject and Edit buttons.
	Channel ChannelRef
	// Policy applies to replies in every Discord channel without an
	// override.
	Policy ApprovalPolicy
	// Overrides maps a Discord channel id to the policy of replies posted
	// there: the default policy with the keys the override sets replaced.
	Overrides map[string]ApprovalPolicy
}

// ApprovalPolicy is who approves a reply, how many must, how long they have,
// and whom the published reply may ping.
type ApprovalPolicy struct {
	// Approvers are people (names from people:, who need a slack: id) and
	// Slack user groups; at least one.
	Approvers []Approver
	// Quorum is how many approvals publish: any (one), all, or a number.
	// One unless set.
	Quorum bot.Quorum
	// ExpireAfter is how long a draft may wait for its approvals; 48h
	// unless set.
	ExpireAfter time.Duration
	// PingAuthor lets the published reply ping the author of the message it
	// answers (and nobody else). Off unless set: a reply pings nobody.
	PingAuthor bool
}

// Approver is one entry of approvers: a person, or a Slack user group whose
// members (read from Slack when needed) are approvers.
type Approver struct {
	// Person is the name under people:, and Slack their Slack user id.
	Person string
	Slack  string
	// Group is a Slack user group id (S01LEADS) and Handle how messages
	// name it (its @handle without the @), when given.
	Group  string
	Handle string
}

// Label is how messages name the approver: carol, @community-leads, or the
// group's id.
func (a Approver) Label() string {
	switch {
	case a.Person != "":
		return a.Person
	case a.Handle != "":
		return "@" + a.Handle
	}
	return a.Group
}

// For returns the policy of replies posted in the Discord channel with the
// given id.
func (a Approvals) For(discordChannelID string) ApprovalPolicy {
	if p, ok := a.Overrides[discordChannelID]; ok {
		return p
	}
	return a.Policy
}

// DefaultExpireAfter is how long a draft waits for approval unless
// approvals.expire_after says otherwise.
const DefaultExpireAfter = 48 * time.Hour

var slackGroupID = regexp.MustCompile(`^S[0-9A-Z]{2,}$`)

// policyKeys are what the section and each override may set, and which of
// them were set.
type policyKeys struct {
	approvers, quorum, expire, ping bool
	approversNode, quorumNode       *yaml.Node
}

func (d *decoder) approvals(n *yaml.Node, path string, a *Approvals) {
	a.Enabled = true
	a.Policy = ApprovalPolicy{Quorum: bot.Quorum{N: 1}, ExpireAfter: DefaultExpireAfter}
	var set policyKeys
	type override struct {
		name   string
		node   *yaml.Node
		path   string
		policy ApprovalPolicy
		set    policyKeys
	}
	var overrides []*override
	fields := d.policyFields(&a.Policy, &set)
	fields = append([]field{
		{name: "channel", required: "the Slack channel where drafts wait for approval, like channel: approvals", decode: func(v *yaml.Node, p string) {
			ref, ok := d.str(v, p, "a Slack channel name like approvals")
			if !ok {
				return
			}
			if strings.HasPrefix(ref, PlatformDiscord+":") {
				d.errorf(v, p, "drafts are approved in Slack: name a Slack channel from slack.channels, like approvals")
				return
			}
			d.later(func() { a.Channel, _ = d.resolveRef(v, p, ref) })
		}},
	}, fields...)
	fields = append(fields, field{name: "overrides", decode: func(v *yaml.Node, p string) {
		d.names(v, p, "a mapping of Discord channel names to policies, like {announcements: {quorum: 2}}", func(name string, v *yaml.Node, p string) {
			o := &override{name: name, node: v, path: p}
			overrides = append(overrides, o)
			d.fields(v, p, d.policyFields(&o.policy, &o.set))
		})
	}})
	d.fields(n, path, fields)
	if n.Kind == yaml.MappingNode && !set.approvers {
		d.errorf(n, join(path, "approvers"), "missing: who approves replies, like approvers: [carol, dave] (names from people:) or [{slack_group: S01LEADS}]")
	}
	// People and channels may be declared after this section: check the
	// policies once the whole file is read, after the approvers resolved.
	d.later(func() {
		d.checkQuorum(set.quorumNode, join(path, "quorum"), a.Policy)
		for _, o := range overrides {
			ref, err := d.cfg.ResolveChannel(PlatformDiscord + ":" + o.name)
			if err != nil {
				d.errorf(o.node, o.path, "%s", bot.ErrorMessage(err))
				continue
			}
			p := a.Policy
			if o.set.approvers {
				p.Approvers = o.policy.Approvers
			}
			if o.set.quorum {
				p.Quorum = o.policy.Quorum
			}
			if o.set.expire {
				p.ExpireAfter = o.policy.ExpireAfter
			}
			if o.set.ping {
				p.PingAuthor = o.policy.PingAuthor
			}
			if o.set.approvers || o.set.quorum {
				d.checkQuorum(cmpNode(o.set.quorumNode, o.node), join(o.path, "quorum"), p)
			}
			if a.Overrides == nil {
				a.Overrides = map[string]ApprovalPolicy{}
			}
			a.Overrides[ref.ID] = p
		}
	})
}

func cmpNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

// policyFields are the keys of a policy, shared by the section and its
// overrides; set records which were given.
func (d *decoder) policyFields(pol *ApprovalPolicy, set *policyKeys) []field {
	return []field{
		{name: "approvers", decode: func(v *yaml.Node, p string) {
			set.approvers, set.approversNode = true, v
			d.approvers(v, p, &pol.Approvers)
		}},
		{name: "quorum", decode: func(v *yaml.Node, p string) {
			set.quorum, set.quorumNode = true, v
			if q, ok := d.quorum(v, p); ok {
				pol.Quorum = q
			}
		}},
		{name: "expire_after", decode: func(v *yaml.Node, p string) {
			set.expire = true
			if dur, ok := d.duration(v, p, true); ok {
				pol.ExpireAfter = dur
			}
		}},
		{name: "ping_author", decode: func(v *yaml.Node, p string) {
			set.ping = true
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&pol.PingAuthor) != nil {
				d.errorf(v, p, "expected true or false, got %s", describe(v))
			}
		}},
	}
}

// approvers decodes a list of people's names and {slack_group: S…} entries.
// Names are resolved once the whole file is read; dst must stay put.
func (d *decoder) approvers(n *yaml.Node, path string, dst *[]Approver) {
	listInto(d, n, path, "a list of people's names and Slack user groups, like [carol, dave, {slack_group: S01LEADS}]", dst, func(a *Approver, v *yaml.Node, p string) {
		if v.Kind == yaml.MappingNode {
			d.fields(v, p, []field{
				{name: "slack_group", required: "the Slack user group's id, like slack_group: S01LEADS", decode: func(v *yaml.Node, p string) {
					s, ok := d.str(v, p, "a Slack user group id like S01LEADS")
					if ok && !slackGroupID.MatchString(s) {
						d.errorf(v, p, "%q is not a Slack user group id: ids look like S01LEADS (in Slack, open People, then User groups, pick the group; the id is in the link)", s)
						return
					}
					a.Group = s
				}},
				{name: "handle", decode: func(v *yaml.Node, p string) {
					if s, ok := d.str(v, p, "the group's handle, like community-leads"); ok {
						a.Handle = strings.TrimPrefix(s, "@")
					}
				}},
			})
			d.cfg.nameGroup(a.Group, a.Handle)
			return
		}
		name, ok := d.str(v, p, "a name from people: like carol, or {slack_group: S01LEADS}")
		if !ok {
			return
		}
		a.Person = name
		d.later(func() {
			person, found := d.cfg.Person(name)
			switch {
			case !found:
				var names []string
				for _, q := range d.cfg.People {
					names = append(names, q.Name)
				}
				d.errorf(v, p, "nobody called %q is declared under people: %s", name, defined(names, "people"))
			case person.Slack == "":
				d.errorf(v, p, "%s has no slack: id under people:, so Liaison cannot recognise their approval in Slack: add it", name)
			default:
				a.Slack = person.Slack
			}
		})
	})
	seen := map[string]bool{}
	for i, a := range *dst {
		key := a.Person + "|" + a.Group
		if key != "|" && seen[key] {
			d.errorf(n.Content[i], index(path, i), "%s is listed twice: list each approver once", a.Label())
		}
		seen[key] = true
	}
}

// quorum decodes any, all or a whole number of at least 1.
func (d *decoder) quorum(n *yaml.Node, path string) (bot.Quorum, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		i, ok := d.int(n, path, 1)
		return bot.Quorum{N: i}, ok
	}
	s, ok := d.str(n, path, "any, all or a number of approvals like 2")
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "any":
		return bot.Quorum{N: 1}, true
	case "all":
		return bot.Quorum{All: true}, true
	}
	if ok {
		d.errorf(n, path, "%q is not a quorum: use any (one approval), all (every approver) or a number like 2", s)
	}
	return bot.Quorum{}, false
}

// checkQuorum refuses a number of approvals that the listed people cannot
// reach (user groups may have any number of members, so they are not
// counted against it).
func (d *decoder) checkQuorum(n *yaml.Node, path string, p ApprovalPolicy) {
	if n == nil || p.Quorum.All || p.Quorum.N <= 1 {
		return
	}
	people := map[string]bool{}
	for _, a := range p.Approvers {
		if a.Group != "" {
			return
		}
		people[a.Person] = true
	}
	if p.Quorum.N > len(people) {
		names := slices.Sorted(maps.Keys(people))
		listed := "only 1 is listed"
		if len(people) != 1 {
			listed = fmt.Sprintf("only %d are listed", len(people))
		}
		d.errorf(n, path, "a quorum of %d needs at least %d approvers, and %s (%s): nothing could ever be published",
			p.Quorum.N, p.Quorum.N, listed, strings.Join(names, ", "))
	}
}
