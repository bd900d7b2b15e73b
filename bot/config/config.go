package config

import (
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // timezones must resolve even in a container without /usr/share/zoneinfo

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Config is the validated content of liaison.yaml. A Config returned by Load,
// Parse or Default is complete: every default is filled, every duration,
// schedule and timezone is parsed, every channel reference resolved. Treat it
// as read-only; it is shared by every package that needs a setting.
type Config struct {
	// Timezone is the IANA name of the team's timezone ("UTC" by default):
	// business hours, digest schedules and digest periods are reckoned in it.
	Timezone string
	// Location is Timezone, loaded.
	Location *time.Location
	// BusinessHours are when the team answers: SLA clocks run only inside them.
	BusinessHours BusinessHours
	// Slack declares the Slack channels Liaison posts to, by short name.
	Slack Slack
	// Discord declares the Discord server(s), their channels and roles.
	Discord Discord
	// People maps each staff member to their Slack and Discord accounts.
	People []Person
	// Digests are the scheduled community reports.
	Digests []Digest
	// Outbox tunes how outgoing messages are retried.
	Outbox Outbox
	// Feedback says where feedback comes from and where it goes.
	Feedback Feedback
	// Moderation sets up the moderation commands, the mod log, escalation,
	// automod, the welcome and the community rules.
	Moderation Moderation
	// Approvals says who approves drafted replies before they reach Discord.
	Approvals Approvals
	// Watch says what the open web is searched for and where mentions and
	// alerts go.
	Watch Watch
	// Giveaways tunes the giveaways: who may enter, bonus tickets, claims.
	Giveaways Giveaways
	// Console describes the members of the console's simulated world; only
	// `liaison console` reads it.
	Console Console
	// Staff are the people who speak for the team in Slack: names from
	// people: and Slack user groups. Every person of people: unless set.
	Staff bot.Who
	// Admins may change how Liaison behaves (routing replays, the watch's
	// queries). The staff unless set.
	Admins bot.Who
	// Permissions overrides, per action of bot.Permissions, who may do it;
	// Who reads it. Nil when the file has no permissions: section.
	Permissions map[string]bot.Who
	// groupHandles maps Slack user group ids to the handles the file gives
	// them, for GroupLabel.
	groupHandles map[string]string
	// whoAt is Who of each action of bot.Permissions, by its place there
	// (Parse fills it): help asks ~14 access checks a request.
	whoAt []bot.Who
}

// Default returns the configuration used when there is no liaison.yaml:
// UTC, business hours mon-fri 09:00-18:00, the outbox defaults, and no
// channels, people or digests (so nothing is posted).
func Default() *Config {
	return &Config{
		Timezone:      "UTC",
		Location:      time.UTC,
		BusinessHours: defaultBusinessHours(),
		Outbox:        defaultOutbox(),
		Feedback:      defaultFeedback(),
		Watch:         defaultWatch(),
		Admins:        bot.Who{Staff: true},
		Giveaways:     Giveaways{ClaimWithin: DefaultClaimWithin},
	}
}

// Load reads and validates the file at path. Problems in its content are
// reported together as Errors, each naming path, line and key. A file that
// cannot be read gives os.ReadFile's error unchanged, so callers can tell a
// missing file apart with errors.Is(err, fs.ErrNotExist) and fall back to
// Default when no file was asked for.
//
// A directory where the file should be is its own error: Docker puts an
// empty one in place of a file it is told to mount and cannot find.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a file: when the liaison.yaml to mount is missing, Docker creates an empty directory in its place. Remove that directory, create the file (cp liaison.example.yaml liaison.yaml, then edit it) and start again", path)
		}
		return nil, err
	}
	return Parse(path, data)
}

// Parse validates data as if read from the file named name (which only
// appears in errors). It returns every problem found, as Errors, and no
// Config when there is any. Empty data gives the Default configuration.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	d := &decoder{file: name, cfg: c}
	if root := d.document(data); root != nil {
		d.fields(root, "", sections(d, c))
	}
	if !d.staffSet {
		c.Staff = defaultStaff(c.People)
	}
	// A check may defer another (a default that needs other checks' results):
	// it runs after the ones already waiting.
	for i := 0; i < len(d.after); i++ {
		d.after[i]()
	}
	c.giveawayDefaults()
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	c.whoAt = make([]bot.Who, len(bot.Permissions))
	for i, p := range bot.Permissions {
		c.whoAt[i] = c.Who(p.Action)
	}
	return c, nil
}

// sections lists the top-level keys of liaison.yaml, in the order the
// example file presents them. A capability adds its section here: a struct
// field on Config, one line below, and a decode method that validates it.
func sections(d *decoder, c *Config) []field {
	return []field{
		{name: "timezone", decode: func(v *yaml.Node, p string) {
			if tz, loc, ok := d.location(v, p); ok {
				c.Timezone, c.Location = tz, loc
			}
		}},
		{name: "business_hours", decode: func(v *yaml.Node, p string) { d.businessHours(v, p, &c.BusinessHours) }},
		{name: "slack", decode: func(v *yaml.Node, p string) { d.slack(v, p, &c.Slack) }},
		{name: "discord", decode: func(v *yaml.Node, p string) { d.discord(v, p, &c.Discord) }},
		{name: "people", decode: func(v *yaml.Node, p string) { d.people(v, p, &c.People) }},
		{name: "digests", decode: func(v *yaml.Node, p string) { d.digests(v, p, &c.Digests) }},
		{name: "outbox", decode: func(v *yaml.Node, p string) { d.outbox(v, p, &c.Outbox) }},
		{name: "feedback", decode: func(v *yaml.Node, p string) { d.feedback(v, p, &c.Feedback) }},
		{name: "moderation", decode: func(v *yaml.Node, p string) { d.moderation(v, p, &c.Moderation) }},
		{name: "approvals", decode: func(v *yaml.Node, p string) { d.approvals(v, p, &c.Approvals) }},
		{name: "giveaways", decode: func(v *yaml.Node, p string) { d.giveaways(v, p, &c.Giveaways) }},
		{name: "staff", decode: func(v *yaml.Node, p string) { d.staffSet = true; d.staffSection(v, p, &c.Staff) }},
		{name: "admins", decode: func(v *yaml.Node, p string) { d.staffSection(v, p, &c.Admins, "staff") }},
		{name: "permissions", decode: func(v *yaml.Node, p string) { d.permissions(v, p, &c.Permissions) }},
		{name: "watch", decode: func(v *yaml.Node, p string) { d.watchSection(v, p, &c.Watch) }},
		{name: "console", decode: func(v *yaml.Node, p string) { d.console(v, p, &c.Console) }},
	}
}
