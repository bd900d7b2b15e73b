package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
)

// roundTripWait bounds how long a round trip waits for its message to come
// back, per platform.
const roundTripWait = 15 * time.Second

// roundTripRoute is POST /admin/round-trip on the admin listener: the
// round trip's outcome as JSON, 200 when every platform's came back, 502
// otherwise.
func (a *App) roundTripRoute(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/round-trip", func(w http.ResponseWriter, r *http.Request) {
		rt, err := a.RoundTrip(r.Context())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": bot.ErrorMessage(err)})
			return
		}
		code := http.StatusOK
		for _, res := range rt.Results {
			if !res.OK {
				code = http.StatusBadGateway
			}
		}
		writeJSON(w, code, rt)
	})
}

// RoundTrip posts a marked test message in one configured Slack channel
// and one Discord channel, sees each come back through the real event
// path (this process's HTTP endpoint, Socket Mode connection or gateway
// session), deletes it, and reports the latency: `liaison doctor
// --round-trip` and `/liaison doctor round-trip`.
func (a *App) RoundTrip(ctx context.Context) (bot.RoundTrip, error) {
	var rt bot.RoundTrip
	type trip struct {
		platform, name, id string
		run                func(ctx context.Context, channelID, marker, text string) (time.Duration, error)
		fix                string
	}
	var trips []trip
	if a.Slack != nil {
		if name, id, ok := roundTripChannel(a.Config.Slack.Channels, nil); ok {
			trips = append(trips, trip{bot.PlatformSlack, name, id, a.Slack.RoundTrip,
				"check the app's Event Subscriptions (message.channels, message.groups), its Request URL or Socket Mode, and that Liaison is in #" + name + " (/invite @Liaison)"})
		}
	}
	if a.Discord != nil {
		for _, g := range a.Config.Discord.Guilds {
			if name, id, ok := roundTripChannel(g.Channels, a.Config.Feedback.Channels); ok {
				trips = append(trips, trip{bot.PlatformDiscord, name, id, a.Discord.RoundTrip,
					"check that Liaison can View Channel and Send Messages in #" + name + ", and liaison status for the gateway"})
				break
			}
		}
	}
	if len(trips) == 0 {
		return rt, bot.Errorf(bot.EInvalid, "No platform is on with a channel in liaison.yaml: a round trip needs slack.channels or discord.channels, and the platform's token.")
	}
	for _, t := range trips {
		marker := "liaison-round-trip-" + rand.Text()[:12]
		text := fmt.Sprintf("Liaison round trip %s: a test message from liaison doctor, deleted at once.", marker)
		tctx, cancel := context.WithTimeout(ctx, cmp.Or(a.RoundTripWait, roundTripWait))
		latency, err := t.run(tctx, t.id, marker, text)
		cancel()
		res := bot.RoundTripResult{Platform: t.platform, Channel: "#" + t.name, OK: err == nil, LatencyMS: latency.Milliseconds()}
		if err != nil {
			var pe *bot.PermanentError
			if errors.As(err, &pe) {
				err = pe.Err // the words for people, without "permanent:"
			}
			res.Error, res.Fix = err.Error(), t.fix
			a.Logger.Warn("round trip failed", "platform", t.platform, "channel", t.name, "err", err)
		}
		rt.Results = append(rt.Results, res)
	}
	return rt, nil
}

// roundTripChannel picks the channel a round trip posts in: the first by
// name, preferring one that is not a feedback channel (where people talk).
func roundTripChannel(channels map[string]string, feedback []config.ChannelRef) (name, id string, ok bool) {
	names := slices.Sorted(maps.Keys(channels))
	if len(names) == 0 {
		return "", "", false
	}
	for _, n := range names {
		if !slices.ContainsFunc(feedback, func(c config.ChannelRef) bool { return c.ID == channels[n] }) {
			return n, channels[n], true
		}
	}
	return names[0], channels[names[0]], true
}
