package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

const channelsYAML = `slack:
  channels: {product: C01PRODUCT, marketing: C01MARKETING, community: C01COMMUNITY}
discord:
  guild: "998877665544332211"
  channels: {feedback: "1100000000000000001", general: "1100000000000000002"}
`

func TestFeedbackSectionBuildsRoutingRules(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(channelsYAML+`feedback:
  channels: [feedback]
  sla: {default: 3h, feedback: 90m}
  escalate_to: community
  routes:
    - {name: bugs, match: {keywords: [Crash, bug]}, to: [product], tags: [bug], stop: true}
    - {name: vip, match: {channels: [general], platform: discord, sentiment: negative, patterns: ['refund']}, to: [community, discord:general]}
  default_to: product
`))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Feedback
	if !f.Enabled || len(f.Channels) != 1 || f.Channels[0].ID != "1100000000000000001" || f.FlagEmoji != "📣" || f.VoteEmoji != "👍" {
		t.Errorf("feedback = %+v", f)
	}
	if f.SLA.For("1100000000000000001") != 90*time.Minute || f.SLA.For("other") != 3*time.Hour {
		t.Errorf("SLA = %+v", f.SLA)
	}
	if f.EscalateTo.ID != "C01COMMUNITY" {
		t.Errorf("escalate_to = %+v", f.EscalateTo)
	}
	rules := f.Rules()
	if len(rules) != 2 {
		t.Fatalf("%d rules", len(rules))
	}
	if diff := cmp.Diff([]string{"crash", "bug"}, rules[0].Keywords); diff != "" {
		t.Errorf("keywords are lower-cased (-want +got):\n%s", diff)
	}
	if !rules[0].Stop || rules[0].AddTags[0] != "bug" || rules[1].Channels[0] != "1100000000000000002" || rules[1].Platform != "discord" {
		t.Errorf("rules = %+v", rules)
	}
	if diff := cmp.Diff([]string{"community", "discord:general"}, rules[1].To); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	got := bot.Route(rules, f.DefaultDestinations(), bot.RouteInput{Text: "I want a REFUND", Platform: "discord", ChannelID: "1100000000000000002", Sentiment: "negative"})
	if len(got.To) != 2 || got.To[0].Rule != "vip" {
		t.Errorf("Route = %+v", got)
	}
}

func TestFeedbackDefaultToAcceptsOneNameOrAList(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"product", "[product, marketing]"} {
		c, err := config.Parse("liaison.yaml", []byte(channelsYAML+"feedback: {default_to: "+v+"}\n"))
		if err != nil {
			t.Fatalf("default_to: %s: %v", v, err)
		}
		if c.Feedback.DefaultDestinations()[0] != "product" {
			t.Errorf("default_to: %s = %v", v, c.Feedback.DefaultDestinations())
		}
	}
}

func TestFeedbackMistakesAreLocated(t *testing.T) {
	t.Parallel()
	checkErrors(t, []byte(channelsYAML+`feedback:
  channels: [feedbak]
  sla: {default: soon, general: 2h, nowhere: 1h}
  routes:
    - {name: bugs, match: {keywords: [crash], sentiment: angry}, to: [product]}
    - {name: bugs, match: {patterns: ['(unclosed']}, to: [prodcut]}
    - {match: {platform: telegram}, to: [product], stop: maybe}
  default_to: product
`), []want{
		{7, 14, "feedback.channels[0]", `no Discord channel named "feedbak"`},
		{8, 18, "feedback.sla.default", `"soon" is not a duration`},
		{8, 46, "feedback.sla.nowhere", `no Discord channel named "nowhere"`},
		{10, 58, "feedback.routes[0].match.sentiment", `"angry" is not a sentiment`},
		{11, 7, "feedback.routes[1].name", `"bugs" names two routes`},
		{11, 39, "feedback.routes[1].match.patterns[0]", `"(unclosed" is not a regular expression`},
		{11, 59, "feedback.routes[1].to[0]", `no Slack channel named "prodcut"`},
		{12, 7, "feedback.routes[2].name", "missing: every route needs a name"},
		{12, 26, "feedback.routes[2].match.platform", `"telegram" is not a platform`},
		{12, 58, "feedback.routes[2].stop", "expected true or false"},
	})
	checkErrors(t, []byte(channelsYAML+"feedback:\n  channels: [feedback]\n"), []want{
		{7, 3, "feedback.default_to", "missing: where feedback goes when no route matches"},
	})
}

func TestFeedbackNoticesAndSimilarityAreReadAndTheirMistakesLocated(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(channelsYAML+`feedback:
  default_to: product
  similar_threshold: 0.8
  notices:
    shipped: {en: "Shipped, {author}: {title} ({votes} votes). {note}"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Feedback.SimilarThreshold != 0.8 || c.Feedback.Notice("shipped", "en") != "Shipped, {author}: {title} ({votes} votes). {note}" ||
		c.Feedback.Notice("shipped", "fr") != config.DefaultNotices["shipped"]["fr"] {
		t.Errorf("feedback = %+v", c.Feedback)
	}
	if d, _ := config.Parse("liaison.yaml", []byte(channelsYAML+"feedback: {default_to: product}\n")); d.Feedback.SimilarThreshold != 0.75 {
		t.Errorf("default similar_threshold = %v, want 0.75", d.Feedback.SimilarThreshold)
	}
	checkErrors(t, []byte(channelsYAML+`feedback:
  default_to: product
  similar_threshold: 2
  notices:
    shipped: {en: "Shipped {titel}!", de: "Fertig"}
    closed: {en: "Closed."}
`), []want{
		{8, 22, "feedback.similar_threshold", "expected a number above 0 and at most 1"},
		{10, 19, "feedback.notices.shipped.en", "{titel} is not a placeholder notices know"},
		{10, 43, "feedback.notices.shipped.de", `"de" is not a language`},
		{11, 13, "feedback.notices.closed", `"closed" is not a status with a notice`},
	})
}
