package slackbot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
)

// RoundTrip posts text, which contains marker, in channelID, waits until
// Slack delivers the message's event back to this adapter (by HTTP or
// Socket Mode: the real event path), deletes the message, and returns the
// time from the post to the event's arrival. It is what
// `liaison doctor --round-trip` asks the running service for; a second
// Socket Mode connection would take the service's events. Errors say what
// to fix.
func (a *Adapter) RoundTrip(ctx context.Context, channelID, marker, text string) (time.Duration, error) {
	arrived, stop := a.probes.Expect(marker)
	defer stop()
	start := time.Now() // wall time: the latency is real, whatever the Clock says
	_, ts, err := a.api.PostMessageContext(ctx, channelID, slack.MsgOptionText(text, false))
	if err != nil {
		return 0, a.sender.mapError("post the round trip's test message in", channelID, err)
	}
	var latency time.Duration
	select {
	case <-arrived:
		latency = time.Since(start)
	case <-ctx.Done():
		err = fmt.Errorf("the test message was posted but its event never came back: check the app's Event Subscriptions (message.channels, message.groups) and its Request URL, or Socket Mode")
	}
	if _, _, derr := a.api.DeleteMessageContext(context.WithoutCancel(ctx), channelID, ts); derr != nil && err == nil {
		err = a.sender.mapError("delete the round trip's test message in", channelID, derr)
	}
	return latency, err
}
