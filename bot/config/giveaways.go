package config

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Giveaways is the giveaways: section. The giveaway commands exist whether
// or not the file has it; it tunes who may enter and how winners claim.
type Giveaways struct {
	// ClaimWithin is how long a winner has to click Claim before staff
	// are told (48h by default).
	ClaimWithin time.Duration
	// DMWinners sends each winner a direct message too.
	DMWinners bool
	// BlacklistRoles are role names (from discord: roles) whose holders may
	// not enter; BlacklistUsers are Discord user ids who may not.
	BlacklistRoles []string
	BlacklistUsers []string
	// AllowStaff lets the staff roles (discord: roles: staff) enter.
	AllowStaff bool
	// Bonus maps role names to the extra tickets their holders get.
	Bonus map[string]int
	// Slack is where every start and end is posted in Slack: the community
	// channel by default, when slack: channels declares one.
	Slack ChannelRef
	// Announcement is the text of the winners announcement, by language
	// (en, fr); defaults fill what the file leaves out. It is brand speech:
	// each text is approved once, by the approvals policy, when it changes,
	// and a draw's announcement waits until its text is.
	Announcement map[string]string
	// AnnouncementBy is who wrote the announcement texts (a name from
	// people:, giveaways.announcement.written_by), "" when the file does
	// not say: four eyes, they may not approve them.
	AnnouncementBy string
}

// AnnouncementPlaceholders are what an announcement text may contain: the
// prize, the winners (named, not pinged: the announcement pings them
// itself), how long they have to claim and until when.
var AnnouncementPlaceholders = []string{"prize", "winners", "claim_within", "claim_by"}

// DefaultAnnouncements are the announcement texts a file does not set.
var DefaultAnnouncements = map[string]string{
	"en": "Congratulations! Click Claim within {claim_within} (by {claim_by}) to get your prize.",
	"fr": "Félicitations ! Cliquez sur Claim d'ici {claim_within} (avant {claim_by}) pour recevoir votre lot.",
}

// AnnouncementText returns the announcement text in lang, from the file or
// the defaults.
func (g Giveaways) AnnouncementText(lang string) string {
	if t := g.Announcement[lang]; t != "" {
		return t
	}
	return DefaultAnnouncements[lang]
}

// DefaultClaimWithin is how long winners have to claim unless set.
const DefaultClaimWithin = 48 * time.Hour

func (d *decoder) giveaways(n *yaml.Node, path string, g *Giveaways) {
	d.fields(n, path, []field{
		{name: "claim_within", decode: func(v *yaml.Node, p string) {
			if dur, ok := d.duration(v, p, true); ok {
				g.ClaimWithin = dur
			}
		}},
		{name: "dm_winners", decode: func(v *yaml.Node, p string) { g.DMWinners = d.boolean(v, p) }},
		{name: "allow_staff", decode: func(v *yaml.Node, p string) { g.AllowStaff = d.boolean(v, p) }},
		{name: "blacklist", decode: func(v *yaml.Node, p string) {
			d.list(v, p, `a list of role names (from discord: roles) and quoted Discord user ids, like [cheaters, "1300000000000000009"]`, func(_ int, v *yaml.Node, p string) {
				if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || snowflake.MatchString(v.Value)) {
					if id, ok := d.discordID(v, p, "a Discord user id"); ok {
						g.BlacklistUsers = append(g.BlacklistUsers, id)
					}
					return
				}
				s, ok := d.str(v, p, "a role name or a quoted Discord user id")
				if !ok {
					return
				}
				s = strings.TrimPrefix(s, "discord:")
				g.BlacklistRoles = append(g.BlacklistRoles, s)
				d.later(func() { d.memberRole(v, p, s) })
			})
		}},
		{name: "bonus", decode: func(v *yaml.Node, p string) {
			g.Bonus = map[string]int{}
			d.names(v, p, "a mapping of role names to extra tickets, like {boosters: 2}", func(role string, v *yaml.Node, p string) {
				if t, ok := d.int(v, p, 1); ok {
					g.Bonus[role] = t
				}
				d.later(func() { d.memberRole(v, p, role) })
			})
		}},
		{name: "slack", decode: func(v *yaml.Node, p string) { d.slackRef(v, p, &g.Slack) }},
		{name: "announcement", decode: func(v *yaml.Node, p string) {
			d.templateTexts(v, p, "announcements", AnnouncementPlaceholders, &g.AnnouncementBy, func(lang, text string) {
				if g.Announcement == nil {
					g.Announcement = map[string]string{}
				}
				g.Announcement[lang] = text
			})
		}},
	})
}

// giveawayDefaults fills what the giveaways: section leaves out.
func (c *Config) giveawayDefaults() {
	if c.Giveaways.ClaimWithin == 0 {
		c.Giveaways.ClaimWithin = DefaultClaimWithin
	}
	if c.Giveaways.Slack.ID == "" {
		if id, ok := c.Slack.Channels["community"]; ok {
			c.Giveaways.Slack = ChannelRef{Platform: "slack", Name: "community", ID: id}
		}
	}
}

// GiveawayBonus returns the bonus tickets of each role id of a server that
// giveaways: bonus names.
func (c *Config) GiveawayBonus(guildID string) map[string]int {
	out := map[string]int{}
	for name, t := range c.Giveaways.Bonus {
		for _, id := range c.RoleIDs(guildID, []string{name}) {
			out[id] = max(out[id], t)
		}
	}
	return out
}
