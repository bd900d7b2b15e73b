package discordbot

import (
	"context"
	"errors"
	"time"

	"github.com/bwmarrin/discordgo"
)

// RoundTrip posts text, which contains marker, in channelID, waits until
// the gateway delivers its MESSAGE_CREATE back to this adapter, deletes the
// message, and returns the time from the post to the event's arrival. It
// is what `liaison doctor --round-trip` asks the running service for (a
// second gateway session would take the service's events); the replica
// must hold the gateway. Errors say what to fix.
func (a *Adapter) RoundTrip(ctx context.Context, channelID, marker, text string) (time.Duration, error) {
	if !a.Gateway().Running {
		return 0, errors.New("this replica is not connected to the Discord gateway (another replica holds it): ask that replica's admin listener")
	}
	arrived, stop := a.probes.Expect(marker)
	defer stop()
	s := a.sender
	start := time.Now() // wall time: the latency is real, whatever the Clock says
	ep := discordgo.EndpointChannelMessages(channelID)
	raw, err := s.request(ctx, "POST", ep, postBody{Content: text, AllowedMentions: mentionsOnly(nil)}, ep)
	if err != nil {
		return 0, s.explain(ctx, err, "post", channelID)
	}
	m, err := decodeSent(raw, channelID)
	if err != nil {
		return 0, err
	}
	var latency time.Duration
	select {
	case <-arrived:
		latency = time.Since(start)
	case <-ctx.Done():
		err = errors.New("the test message was posted but the gateway never delivered it: check that the bot can View Channel there and that the gateway is connected (liaison status)")
	}
	del := discordgo.EndpointChannelMessage(channelID, m.PlatformID)
	if _, derr := s.request(context.WithoutCancel(ctx), "DELETE", del, nil, discordgo.EndpointChannelMessage(channelID, "")); derr != nil && err == nil {
		err = s.explain(ctx, derr, "delete", channelID)
	}
	return latency, err
}
