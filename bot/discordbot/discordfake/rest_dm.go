package discordfake

import (
	"net/http"
)

// Direct messages from the bot: POST /users/@me/channels opens (or
// returns) the DM channel with a recipient; messages are posted to it like
// to any channel, and DMs lists them.

// ChannelTypeDM is a direct-message channel.
const ChannelTypeDM = 1

func (s *Server) postDMChannel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if _, ok := s.users[body.RecipientID]; !ok {
		writeFormErr(w, "recipient_id", "INVALID_RECIPIENT", "Unknown user")
		return
	}
	if s.dms == nil {
		s.dms = map[string]string{}
	}
	id, ok := s.dms[body.RecipientID]
	if !ok {
		id = s.newID()
		s.dms[body.RecipientID] = id
		s.channels[id] = &channelState{Channel: Channel{ID: id, Type: ChannelTypeDM}, byID: map[string]*Message{}, nonces: map[string]nonceEntry{}}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "type": ChannelTypeDM, "recipients": []any{s.userJSON(body.RecipientID)}})
}

// DMs returns the messages the bot sent userID directly, oldest first.
func (s *Server) DMs(userID string) []Message {
	s.mu.Lock()
	id, ok := s.dms[userID]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.Messages(id)
}
