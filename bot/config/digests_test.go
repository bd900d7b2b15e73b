package config_test

import (
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/config"
)

func TestADigestMayKeepStaffAmongTopContributorsAndPostToDiscord(t *testing.T) {
	t.Parallel()
	yaml := strings.Join([]string{
		`slack: {channels: {community: C01COMMUNITY}}`,
		`discord: {guild: "998877665544332211", channels: {announcements: "1100000000000000004"}}`,
		`digests:`,
		`  - {name: weekly, cron: "0 9 * * MON", to: [community, discord:announcements]}`,
		`  - {name: staff, cron: "@monthly", period: month, to: [community], staff_in_top: true}`,
	}, "\n")
	c, err := config.Parse("liaison.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Digests[0]; w.StaffInTop || len(w.To) != 2 || w.To[1].Platform != config.PlatformDiscord || w.To[1].ID != "1100000000000000004" {
		t.Errorf("weekly = %+v, want staff left out and a Discord destination", w)
	}
	if !c.Digests[1].StaffInTop {
		t.Error("staff_in_top: true was not read")
	}
	_, err = config.Parse("liaison.yaml", []byte(`slack: {channels: {c: C01C}}
digests:
  - {name: weekly, cron: "@weekly", to: [c], staff_in_top: sometimes}
`))
	if err == nil || !strings.Contains(err.Error(), `digests[0].staff_in_top: expected true or false, got "sometimes"`) {
		t.Errorf("a non-boolean staff_in_top: %v", err)
	}
}

func TestADigestPostsPublicHighlightsFromTwentyMessagesUnlessSet(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(`slack: {channels: {c: C01C}}
digests:
  - {name: weekly, cron: "@weekly", to: [c]}
  - {name: busy, cron: "@weekly", to: [c], public_min_messages: 100}
`))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := c.Digests[0].PublicMinMessages, c.Digests[1].PublicMinMessages; a != 20 || b != 100 {
		t.Errorf("public_min_messages = %d and %d, want 20 by default and 100 as set", a, b)
	}
	_, err = config.Parse("liaison.yaml", []byte(`slack: {channels: {c: C01C}}
digests:
  - {name: weekly, cron: "@weekly", to: [c], public_min_messages: -1}
`))
	if err == nil || !strings.Contains(err.Error(), "digests[0].public_min_messages: must be at least 0, got -1") {
		t.Errorf("a negative public_min_messages: %v", err)
	}
}
