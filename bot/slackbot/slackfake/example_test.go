package slackfake_test

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

// A test seeds the workspace, points the real slack-go client at the fake,
// and reads back what Slack would now show.
func Example() {
	fake := slackfake.New()
	defer fake.Close()
	fake.SetToken("xoxb-test")
	fake.AddChannel("C01PRODUCT", "product")
	fake.EnforceRate("chat.postMessage", time.Second, 3)

	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()))
	_, ts, err := api.PostMessage("C01PRODUCT",
		slack.MsgOptionText("New feedback: the export button crashes", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "liaison_outbox", EventPayload: map[string]any{"key": "relay:1:C01PRODUCT"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _, err = api.PostMessage("C01PRODUCT", slack.MsgOptionText("reminder", false), slack.MsgOptionTS(ts))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _, err = api.PostMessage("C01NOWHERE", slack.MsgOptionText("lost", false))
	fmt.Println(err)

	for _, m := range fake.Messages("C01PRODUCT") {
		fmt.Printf("thread=%v text=%q metadata=%v\n", m.ThreadTS == ts, m.Text, m.Metadata != nil)
	}
	// Output:
	// channel_not_found
	// thread=true text="New feedback: the export button crashes" metadata=true
	// thread=true text="reminder" metadata=false
}
