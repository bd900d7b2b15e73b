package config

import (
	"cmp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Digest is one scheduled community report: when it runs, what span of time
// it covers, and where it is posted.
type Digest struct {
	// Name identifies the digest in commands (liaison digest run weekly) and
	// in the key that stops a period being posted twice; unique.
	Name string
	// Cron is the schedule as written: five fields (minute hour day-of-month
	// month day-of-week) or a descriptor such as @weekly.
	Cron string
	// Schedule is Cron parsed, set to run in Location: Schedule.Next accepts
	// a time in any zone (a UTC one from bot.Clock included) and returns the
	// next run in that same zone, with daylight saving time handled.
	Schedule cron.Schedule
	// Timezone is the IANA name the schedule and the period are reckoned
	// in; the top-level timezone unless the digest names its own.
	Timezone string
	// Location is Timezone, loaded.
	Location *time.Location
	// Period is the span each digest reports on, ending when it runs:
	// PeriodWeek unless set.
	Period Period
	// To are the channels the digest is posted to; at least one.
	To []ChannelRef
	// Grace is how late a run may still be posted, after downtime, before it
	// is skipped for the next; 24h unless set.
	Grace time.Duration
	// StaffInTop keeps staff among the top contributors. By default they are
	// counted in every total but left out of that list.
	StaffInTop bool
	// PublicMinMessages is the fewest messages (those moderation removed
	// left out) a period needs for its public highlights to be posted in
	// Discord: a quiet period posts none rather than "Messages: 0 (−100 %)".
	// 20 unless set.
	PublicMinMessages int
}

const defaultPublicMinMessages = 20

// Period is the span of time a digest covers.
type Period string

// Periods a digest may cover.
const (
	PeriodDay   Period = "day"
	PeriodWeek  Period = "week"
	PeriodMonth Period = "month"
)

const defaultGrace = 24 * time.Hour

const cronHelp = `5 fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON" (Mondays at 09:00), or @daily, @weekly, @monthly`

func (d *decoder) digests(n *yaml.Node, path string, ds *[]Digest) {
	listInto(d, n, path, `a list of digests (each like {name: weekly, cron: "0 9 * * MON", to: [community]})`, ds, d.digest)
	seen := map[string]string{}
	for i, g := range *ds {
		if g.Name == "" {
			continue
		}
		here := index(path, i)
		if prev, dup := seen[g.Name]; dup {
			d.errorf(n.Content[i], join(here, "name"), "%q is already the name of %s: digest names must be unique", g.Name, prev)
		}
		seen[g.Name] = here
	}
}

func (d *decoder) digest(g *Digest, n *yaml.Node, path string) {
	g.Grace, g.PublicMinMessages = defaultGrace, defaultPublicMinMessages
	d.fields(n, path, []field{
		{name: "name", required: "every digest needs a name, like weekly", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a name like weekly"); ok && d.name(v, p, s) {
				g.Name = s
			}
		}},
		{name: "cron", required: "when the digest runs, in " + cronHelp, decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "a schedule in "+cronHelp)
			if !ok {
				return
			}
			if t := strings.TrimSpace(s); strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=") {
				d.errorf(v, p, "put the timezone in the digest's timezone: key, not in the schedule")
				return
			}
			sched, err := cron.ParseStandard(s)
			if err != nil {
				d.errorf(v, p, "%q is not a schedule (%v): use %s", s, err, cronHelp)
				return
			}
			g.Cron, g.Schedule = s, sched
		}},
		{name: "timezone", decode: func(v *yaml.Node, p string) { g.Timezone, g.Location, _ = d.location(v, p) }},
		{name: "period", decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "day, week or month")
			switch Period(s) {
			case PeriodDay, PeriodWeek, PeriodMonth:
				g.Period = Period(s)
			default:
				if ok {
					d.errorf(v, p, "%q is not a period: use day, week or month", s)
				}
			}
		}},
		{name: "to", required: "where to post the digest, like to: [community]", decode: func(v *yaml.Node, p string) { d.channelRefs(v, p, &g.To) }},
		{name: "grace", decode: func(v *yaml.Node, p string) {
			if grace, ok := d.duration(v, p, false); ok {
				g.Grace = grace
			}
		}},
		{name: "public_min_messages", decode: func(v *yaml.Node, p string) {
			if n, ok := d.int(v, p, 0); ok {
				g.PublicMinMessages = n
			}
		}},
		{name: "staff_in_top", decode: func(v *yaml.Node, p string) {
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&g.StaffInTop) != nil {
				d.errorf(v, p, "expected true or false, got %s", describe(v))
			}
		}},
	})
	g.Period = cmp.Or(g.Period, PeriodWeek)
	// The top-level timezone may come after digests: in the file.
	d.later(func() {
		if g.Location == nil {
			g.Timezone, g.Location = d.cfg.Timezone, d.cfg.Location
		}
		if s, ok := g.Schedule.(*cron.SpecSchedule); ok {
			s.Location = g.Location
		}
	})
}
