package slackfake

import (
	"net/http"
)

// echoTarget is where EchoBotMessages delivers: an Events API Request URL
// with its signing secret, or Socket Mode when url is "".
type echoTarget struct{ url, secret string }

// EchoBotMessages makes the fake do what Slack does for an app subscribed
// to message.channels: every message the bot posts with chat.postMessage
// comes back to the app as a message event (with the bot's user and
// bot_id): a POST signed with secret to the app's baseURL+EventsPath (as
// Event builds it) when baseURL is not empty, else an events_api envelope
// over Socket Mode. Liaison's round trip relies on it.
func (s *Server) EchoBotMessages(baseURL, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.echo = &echoTarget{url: baseURL, secret: secret}
}

// echoMessage delivers m's event when EchoBotMessages is on, after the
// call that posted it has answered. Call with s.mu held.
func (s *Server) echoMessage(ch *channel, m *message) {
	if s.echo == nil || s.closed {
		return
	}
	target, at := *s.echo, s.now()
	ev := obj{"type": "message", "channel": ch.id, "user": m.user, "bot_id": m.botID, "text": m.text,
		"ts": m.ts, "event_ts": m.ts, "channel_type": "channel"}
	if m.threadTS != "" {
		ev["thread_ts"] = m.threadTS
	}
	eventID := s.nextID("Ev")
	s.echoes.Add(1)
	go func() {
		defer s.echoes.Done()
		if target.url == "" {
			s.SendEnvelope(EnvelopeEventsAPI, s.EventCallback("", eventID, at, ev))
			return
		}
		resp, err := http.DefaultClient.Do(s.Event(target.url, target.secret, at, "", eventID, ev))
		if err == nil {
			resp.Body.Close()
		}
	}()
}
