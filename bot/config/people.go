package config

import (
	"regexp"

	"gopkg.in/yaml.v3"
)

// Person is one staff member and their accounts on both platforms: the
// source of truth for who is staff. Other sections (approvers, for one) name
// people by Name.
type Person struct {
	// Name is how the file and commands refer to the person; unique.
	Name string
	// Slack is their Slack user id (U01CAROL), or empty.
	Slack string
	// Discord is their Discord user id (a snowflake string), or empty. At
	// least one of Slack and Discord is set.
	Discord string
}

// Person returns the person declared with name, if any.
func (c *Config) Person(name string) (Person, bool) {
	for _, p := range c.People {
		if p.Name == name {
			return p, true
		}
	}
	return Person{}, false
}

var slackUserID = regexp.MustCompile(`^[UW][0-9A-Z]{2,}$`)

func (d *decoder) people(n *yaml.Node, path string, ps *[]Person) {
	listInto(d, n, path, "a list of people (each like {name: carol, slack: U01CAROL})", ps, d.person)
	// Each name and each account belongs to one entry.
	names, slacks, discords := map[string]string{}, map[string]string{}, map[string]string{}
	for i, p := range *ps {
		at, here := n.Content[i], index(path, i)
		if p.Name != "" {
			if prev, dup := names[p.Name]; dup {
				d.errorf(at, join(here, "name"), "%q is already %s: each person is listed once, with a unique name", p.Name, prev)
			}
			names[p.Name] = here
		}
		if prev, dup := slacks[p.Slack]; dup && p.Slack != "" {
			d.errorf(at, join(here, "slack"), "%s is already the Slack account of %s: each account belongs to one person", p.Slack, prev)
		}
		if prev, dup := discords[p.Discord]; dup && p.Discord != "" {
			d.errorf(at, join(here, "discord"), "%s is already the Discord account of %s: each account belongs to one person", p.Discord, prev)
		}
		slacks[p.Slack], discords[p.Discord] = here, here
	}
}

func (d *decoder) person(p *Person, n *yaml.Node, path string) {
	before := len(d.errs)
	ok := d.fields(n, path, []field{
		{name: "name", required: "every person needs a name, like carol", decode: func(v *yaml.Node, k string) {
			if s, ok := d.str(v, k, "a name like carol"); ok && d.name(v, k, s) {
				p.Name = s
			}
		}},
		{name: "slack", decode: func(v *yaml.Node, k string) {
			s, ok := d.str(v, k, "a Slack user id like U01CAROL")
			if ok && !slackUserID.MatchString(s) {
				d.errorf(v, k, "%q is not a Slack user id: ids look like U01CAROL (in Slack, open the person's profile, then ⋮ and Copy member ID)", s)
				return
			}
			p.Slack = s
		}},
		{name: "discord", decode: func(v *yaml.Node, k string) { p.Discord, _ = d.discordID(v, k, "a Discord user id") }},
	})
	if ok && len(d.errs) == before && p.Slack == "" && p.Discord == "" {
		d.errorf(n, path, "give %s a slack: id, a discord: id, or both: a person with neither cannot be recognised", p.Name)
	}
}
