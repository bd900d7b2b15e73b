package config_test

import (
	"fmt"

	"github.com/liaison-bot/liaison/bot/config"
)

// Parse reports every problem in the file at once, each with its line,
// column and key.
func ExampleParse() {
	_, err := config.Parse("liaison.yaml", []byte(`
timezone: Europe/Pariss
slack:
  channels: {product: C01PRODUCT, community: C01COMMUNITY}
digests:
  - name: weekly
    cron: "0 9 * MON"
    to: [comunity]
`))
	fmt.Println(err)
	// Output:
	// liaison.yaml:2:11: timezone: unknown timezone "Europe/Pariss": use an IANA name like Europe/Paris, America/New_York or UTC
	// liaison.yaml:7:11: digests[0].cron: "0 9 * MON" is not a schedule (expected exactly 5 fields, found 4: [0 9 * MON]): use 5 fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON" (Mondays at 09:00), or @daily, @weekly, @monthly
	// liaison.yaml:8:10: digests[0].to[0]: no Slack channel named "comunity": defined are community, product
}

// A bare name is a Slack channel; discord:NAME a Discord one.
func ExampleConfig_ResolveChannel() {
	c, err := config.Parse("liaison.yaml", []byte(`
slack: {channels: {community: C01COMMUNITY}}
discord: {guild: "998877665544332211", channels: {general: "1100000000000000002"}}
`))
	if err != nil {
		panic(err)
	}
	for _, ref := range []string{"community", "discord:general"} {
		r, _ := c.ResolveChannel(ref)
		fmt.Printf("%s: %s %s (guild %q)\n", r, r.Platform, r.ID, r.GuildID)
	}
	// Output:
	// community: slack C01COMMUNITY (guild "")
	// discord:general: discord 1100000000000000002 (guild "998877665544332211")
}
