package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"
)

// responseTarget is what a response_url answers: a channel and user, and the
// message whose button was clicked, if any.
type responseTarget struct {
	channel, user, messageTS string
}

// Response is one POST to a response_url.
type Response struct {
	ID              string // the last path element of the URL
	Body            []byte
	ResponseType    string // "in_channel", or "ephemeral"/"" for the user only
	Text            string
	Blocks          json.RawMessage
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	At              time.Time
}

// ResponseURL issues a response_url for a request made by userID in
// channelID, about the message messageTS (empty unless a button in it was
// clicked). The builders issue theirs the same way.
//
// A POST to it is recorded (Responses) and acts as Slack does:
// delete_original deletes the message, replace_original replaces its text
// and blocks, response_type in_channel posts a message from the bot (in
// thread_ts if set), anything else shows an ephemeral message to userID.
func (s *Server) ResponseURL(channelID, userID, messageTS string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURL(channelID, userID, messageTS)
}

func (s *Server) newResponseURL(channelID, userID, messageTS string) string {
	id := s.nextID("R") + randomHex(8)
	s.responseURLs[id] = responseTarget{channel: channelID, user: userID, messageTS: messageTS}
	return s.srv.URL + "/response/" + id
}

// Responses returns every POST to a response_url, in arrival order.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.responses)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
		out[i].Blocks = slices.Clone(out[i].Blocks)
	}
	return out
}

// responseBody is what a response_url takes: slack-go's Msg, in JSON.
type responseBody struct {
	ResponseType    string          `json:"response_type"`
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg responseBody
	decodeErr := json.Unmarshal(body, &msg)
	if string(msg.Blocks) == "null" {
		msg.Blocks = nil
	}
	status, answer := s.respond(r.PathValue("id"), body, msg, decodeErr == nil)
	if status == http.StatusNotFound {
		http.NotFound(w, r)
		return
	}
	b, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// respond records a POST to response_url id and applies it.
func (s *Server) respond(id string, body []byte, msg responseBody, valid bool) (int, obj) {
	s.mu.Lock()
	defer s.mu.Unlock()
	target, ok := s.responseURLs[id]
	if !ok {
		return http.StatusNotFound, nil
	}
	s.responses = append(s.responses, Response{
		ID: id, Body: body, ResponseType: msg.ResponseType, Text: msg.Text, Blocks: msg.Blocks,
		ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal, ThreadTS: msg.ThreadTS, At: s.now(),
	})
	s.touch()
	if !valid {
		return http.StatusBadRequest, apiError("invalid_payload")
	}
	ch := s.channels[target.channel]
	var orig *message
	if ch != nil && target.messageTS != "" {
		orig = ch.find(target.messageTS)
	}
	switch {
	case ch == nil:
		// Nowhere to show it; Slack would drop it too.
	case msg.DeleteOriginal && orig != nil:
		ch.remove(orig.ts)
	case msg.ReplaceOriginal && orig != nil:
		orig.text, orig.blocks = msg.Text, msg.Blocks
		orig.editedTS = s.nextTS()
	case msg.ResponseType == "in_channel":
		m := &message{ts: s.nextTS(), user: s.botUserID, botID: s.botID, text: msg.Text, blocks: msg.Blocks}
		s.post(ch, m, msg.ThreadTS, false)
	default:
		s.ephemerals = append(s.ephemerals, Ephemeral{
			Channel: ch.id, User: target.user, TS: s.nextTS(), ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: msg.Blocks,
		})
	}
	return http.StatusOK, obj{"ok": true}
}
