package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot/config"
)

const giveawayWorld = `slack:
  channels: {community: C01COMMUNITY, mod-log: C01MODLOG}
discord:
  guild: "998877665544332211"
  roles: {staff: ["1200000000000000001"], cheaters: ["1200000000000000009"], boosters: ["1200000000000000007"]}
`

func TestGiveawaysSectionDecodesAndDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(giveawayWorld+`giveaways:
  claim_within: 2d
  dm_winners: true
  blacklist: [cheaters, "1300000000000000009"]
  allow_staff: true
  bonus: {boosters: 3}
  announcement:
    fr: "Bravo {winners} ! {prize} est à vous : cliquez sur Claim avant {claim_by}."
    written_by: carol
people:
  - {name: carol, slack: U01CAROL}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Giveaways.AnnouncementText("fr"); got != "Bravo {winners} ! {prize} est à vous : cliquez sur Claim avant {claim_by}." {
		t.Errorf("the French announcement = %q", got)
	}
	if got := c.Giveaways.AnnouncementText("en"); got != config.DefaultAnnouncements["en"] {
		t.Errorf("the English announcement = %q, want the default", got)
	}
	if c.Giveaways.AnnouncementBy != "carol" {
		t.Errorf("written_by = %q, want carol", c.Giveaways.AnnouncementBy)
	}
	c.Giveaways.Announcement, c.Giveaways.AnnouncementBy = nil, ""
	g := c.Giveaways
	want := config.Giveaways{ClaimWithin: 48 * time.Hour, DMWinners: true, BlacklistRoles: []string{"cheaters"},
		BlacklistUsers: []string{"1300000000000000009"}, AllowStaff: true, Bonus: map[string]int{"boosters": 3},
		Slack: config.ChannelRef{Platform: "slack", Name: "community", ID: "C01COMMUNITY"}}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("giveaways (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"1200000000000000007": 3}, c.GiveawayBonus("998877665544332211")); diff != "" {
		t.Errorf("GiveawayBonus (-want +got):\n%s", diff)
	}

	c, err = config.Parse("liaison.yaml", []byte(giveawayWorld))
	if err != nil {
		t.Fatal(err)
	}
	if c.Giveaways.ClaimWithin != 48*time.Hour || c.Giveaways.Slack.ID != "C01COMMUNITY" || c.Giveaways.AllowStaff {
		t.Errorf("defaults without the section = %+v", c.Giveaways)
	}
	if config.Default().Giveaways.ClaimWithin != 48*time.Hour {
		t.Errorf("Default().Giveaways = %+v", config.Default().Giveaways)
	}
}

func TestGiveawaysSectionErrorsNameLineAndKey(t *testing.T) {
	t.Parallel()
	_, err := config.Parse("liaison.yaml", []byte(giveawayWorld+`giveaways:
  claim_within: soon
  dm_winners: maybe
  blacklist: [nobody, 1300000000000000009]
  bonus: {boosters: 0}
  prize: a car
  announcement:
    en: "Bravo {winner}! Claim {prize} by {claim_by}."
    de: "Herzlichen Glückwunsch!"
    written_by: nobody
`))
	if err == nil {
		t.Fatal("Parse accepted a bad giveaways: section")
	}
	for _, want := range []string{
		`liaison.yaml:7:17: giveaways.claim_within: "soon" is not a duration`,
		"liaison.yaml:8:15: giveaways.dm_winners: expected true or false",
		`liaison.yaml:9:15: giveaways.blacklist[0]: no Discord role named "nobody"`,
		"liaison.yaml:9:23: giveaways.blacklist[1]: quote Discord ids",
		"liaison.yaml:10:21: giveaways.bonus.boosters: must be at least 1",
		"liaison.yaml:11:3: giveaways.prize: unknown key",
		"liaison.yaml:13:9: giveaways.announcement.en: {winner} is not a placeholder announcements know: use {prize}, {winners}, {claim_within} or {claim_by}",
		`liaison.yaml:14:9: giveaways.announcement.de: "de" is not a language announcements are written in: use en or fr`,
		`liaison.yaml:15:17: giveaways.announcement.written_by: "nobody" must be someone under people: with a slack: id`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
