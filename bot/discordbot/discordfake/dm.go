package discordfake

import (
	"encoding/json"
	"net/http"
)

// Direct messages: POST /users/@me/channels opens (or finds) the DM
// channel with a user; messages are posted there like in any channel.
// CloseDMs makes a user refuse DMs, as their privacy settings do.

// ChannelTypeDM is a direct message channel.
const ChannelTypeDM = 1

// CodeCannotDM is Discord's "Cannot send messages to this user".
const CodeCannotDM = 50007

func (s *Server) postUserChannel(w http.ResponseWriter, r *http.Request) {
	var b struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.RecipientID == "" {
		writeFormErr(w, "recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[b.RecipientID]; !ok {
		writeErr(w, http.StatusBadRequest, CodeUnknownUser, "Unknown User")
		return
	}
	id, ok := s.dms[b.RecipientID]
	if !ok {
		id = s.newID()
		s.dms[b.RecipientID] = id
		s.channels[id] = &channelState{Channel: Channel{ID: id, Type: ChannelTypeDM}, byID: map[string]*Message{}, nonces: map[string]nonceEntry{}}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "type": ChannelTypeDM, "last_message_id": nil, "flags": 0,
		"recipients": []any{s.userJSON(b.RecipientID)}})
}

// DMChannel returns the id of the DM channel Liaison opened with a user.
func (s *Server) DMChannel(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[userID]
	return id, ok
}

// CloseDMs makes the user refuse direct messages: posting in their DM
// channel answers 403 with code 50007.
func (s *Server) CloseDMs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dmsClosed[userID] = true
}

// dmRefused reports whether c is the DM channel of a user who refuses DMs.
// Called with mu held.
func (s *Server) dmRefused(c *channelState) bool {
	for user, id := range s.dms {
		if id == c.ID {
			return s.dmsClosed[user]
		}
	}
	return false
}
