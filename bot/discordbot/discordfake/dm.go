package discordfake

import (
	"net/http"
)

// Direct messages. Discord delivers a user's DM to a bot that shares a
// server with them, as MESSAGE_CREATE without guild_id (DIRECT_MESSAGES
// intent; the content is always sent). The bot opens a user's DM channel
// with POST /users/@me/channels and posts into it; a user who blocked the
// bot (or closed DMs from server members) makes that post fail with 403
// and code 50007.

// WithAttachments gives the message files (their names), as a user
// attaching them would.
func WithAttachments(names ...string) MessageOption {
	return func(m *Message) { m.Attachments = append(m.Attachments, names...) }
}

func attachmentsJSON(m *Message) []any {
	out := make([]any, 0, len(m.Attachments))
	for i, name := range m.Attachments {
		url := "https://cdn.discordapp.com/attachments/" + m.ChannelID + "/" + m.ID + "/" + name
		out = append(out, map[string]any{"id": m.ID + string(rune('0'+i%10)), "filename": name, "size": 1024,
			"url": url, "proxy_url": url, "content_type": "application/octet-stream"})
	}
	return out
}

// dmChannel returns the DM channel of a user, making it when needed.
// Called with mu held.
func (s *Server) dmChannel(userID string) *channelState {
	if id, ok := s.dms[userID]; ok {
		return s.channels[id]
	}
	s.knowUser(userID)
	c := &channelState{Channel: Channel{ID: s.newID(), Type: ChannelTypeDM}, byID: map[string]*Message{},
		nonces: map[string]nonceEntry{}, recipient: userID}
	s.channels[c.ID] = c
	s.dms[userID] = c.ID
	return c
}

func (s *Server) dmChannelJSON(c *channelState) map[string]any {
	m := map[string]any{"id": c.ID, "type": ChannelTypeDM, "flags": 0, "recipients": []any{s.userJSON(c.recipient)}}
	if n := len(c.messages); n > 0 {
		m["last_message_id"] = c.messages[n-1].ID
	} else {
		m["last_message_id"] = nil
	}
	return m
}

// DirectMessage has a user send the bot a direct message now: the DM
// channel is opened if needed, the message stored and MESSAGE_CREATE
// dispatched without guild_id to sessions with DIRECT_MESSAGES.
func (s *Server) DirectMessage(userID, content string, opts ...MessageOption) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.dmChannel(userID)
	m := &Message{ID: s.newID(), ChannelID: c.ID, AuthorID: userID, Content: content, Timestamp: s.now().UTC()}
	for _, o := range opts {
		o(m)
	}
	c.insert(m)
	s.echoMessage("MESSAGE_CREATE", m)
	return cloneMessage(m)
}

// DMChannel returns the id of a user's DM channel with the bot, "" when
// neither has opened it.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dms[userID]
}

// DirectMessages returns the messages of a user's DM channel, oldest first:
// theirs and the bot's.
func (s *Server) DirectMessages(userID string) []Message {
	s.mu.Lock()
	id := s.dms[userID]
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.Messages(id)
}

// BlockBot makes the user refuse the bot's DMs (blocked, or DMs from
// server members turned off): posts to their DM channel answer 403, code
// 50007. blocked false undoes it.
func (s *Server) BlockBot(userID string, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[userID] = blocked
}

// createDM serves POST /users/@me/channels {recipient_id}: the DM channel
// with that user, the same one every time.
func (s *Server) createDM(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if body.RecipientID == "" {
		writeFormErr(w, "recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
		return
	}
	if _, ok := s.users[body.RecipientID]; !ok {
		writeErr(w, http.StatusBadRequest, CodeUnknownUser, "Unknown User")
		return
	}
	writeJSON(w, http.StatusOK, s.dmChannelJSON(s.dmChannel(body.RecipientID)))
}
