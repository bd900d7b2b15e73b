package discordfake

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ---- Application commands ----

// commandName is Discord's rule for CHAT_INPUT command and option names
// (lowercase is checked separately).
var commandName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

type commandOption struct {
	Type        int               `json:"type"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Required    bool              `json:"required"`
	Options     []commandOption   `json:"options"`
	Choices     []json.RawMessage `json:"choices"`
}

type commandDef struct {
	Type        int             `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Options     []commandOption `json:"options"`
}

// formErr is one Invalid Form Body error.
type formErr struct{ path, code, msg string }

func checkChatName(path, name string) *formErr {
	if !commandName.MatchString(name) || strings.ToLower(name) != name {
		return &formErr{path + ".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"}
	}
	return nil
}

func checkDescription(path, d string) *formErr {
	if n := len([]rune(d)); n < 1 || n > 100 {
		return &formErr{path + ".description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."}
	}
	return nil
}

// checkOptions validates one level of options: names, descriptions, types,
// counts, and required options before optional ones.
func checkOptions(path string, opts []commandOption) *formErr {
	if len(opts) > 25 {
		return &formErr{path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."}
	}
	seen := map[string]bool{}
	optional := false
	for i, o := range opts {
		p := path + "." + strconv.Itoa(i)
		if o.Type < 1 || o.Type > 11 {
			return &formErr{p + ".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}."}
		}
		if e := checkChatName(p, o.Name); e != nil {
			return e
		}
		if e := checkDescription(p, o.Description); e != nil {
			return e
		}
		if seen[o.Name] {
			return &formErr{p + ".name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"}
		}
		seen[o.Name] = true
		if len(o.Choices) > 25 {
			return &formErr{p + ".choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."}
		}
		if o.Type == 1 || o.Type == 2 { // subcommand, subcommand group
			if e := checkOptions(p+".options", o.Options); e != nil {
				return e
			}
			continue
		}
		if o.Required && optional {
			return &formErr{p + ".required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options"}
		}
		if !o.Required {
			optional = true
		}
	}
	return nil
}

func checkCommand(i int, c commandDef) *formErr {
	p := strconv.Itoa(i)
	typ := c.Type
	if typ == 0 {
		typ = 1
	}
	switch typ {
	case 1:
		if e := checkChatName(p, c.Name); e != nil {
			return e
		}
		if e := checkDescription(p, c.Description); e != nil {
			return e
		}
		return checkOptions(p+".options", c.Options)
	case 2, 3:
		if n := len([]rune(c.Name)); n < 1 || n > 32 {
			return &formErr{p + ".name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."}
		}
		if c.Description != "" {
			return &formErr{p + ".description", "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Context menu commands cannot have description"}
		}
		if len(c.Options) > 0 {
			return &formErr{p + ".options", "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS", "Context menu commands cannot have options"}
		}
		return nil
	}
	return &formErr{p + ".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}."}
}

// commandsFor returns the command set an /applications route names, or
// answers the error. Called with mu held.
func (s *Server) commandsFor(w http.ResponseWriter, r *http.Request) (*[]map[string]any, string, bool) {
	if r.PathValue("app") != s.applicationID() {
		writeErr(w, http.StatusForbidden, CodeNotAuthorizedApp, "You are not authorized to perform this action on this application")
		return nil, "", false
	}
	gid := r.PathValue("guild")
	if gid == "" {
		return &s.globalCmds, "", true
	}
	g, ok := s.guilds[gid]
	if !ok {
		writeErr(w, http.StatusForbidden, 50001, "Missing Access")
		return nil, "", false
	}
	return &g.commands, gid, true
}

func (s *Server) getCommands(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, _, ok := s.commandsFor(w, r)
	if !ok {
		return
	}
	out := make([]any, 0, len(*set))
	for _, c := range *set {
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// putCommands is the bulk overwrite: the body replaces the whole set. A
// command keeps its id when one of the same name and type existed.
func (s *Server) putCommands(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, gid, ok := s.commandsFor(w, r)
	if !ok {
		return
	}
	var raws []json.RawMessage
	if !decodeBody(w, r, &raws) {
		return
	}
	if len(raws) > 100 {
		writeFormErr(w, "_", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
		return
	}
	type key struct {
		typ  int
		name string
	}
	seen := map[key]bool{}
	next := make([]map[string]any, 0, len(raws))
	for i, raw := range raws {
		var def commandDef
		var m map[string]any
		if json.Unmarshal(raw, &def) != nil || json.Unmarshal(raw, &m) != nil {
			writeFormErr(w, strconv.Itoa(i), "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
			return
		}
		if e := checkCommand(i, def); e != nil {
			writeFormErr(w, e.path, e.code, e.msg)
			return
		}
		if def.Type == 0 {
			def.Type = 1
		}
		k := key{def.Type, def.Name}
		if seen[k] {
			writeFormErr(w, strconv.Itoa(i)+".name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
			return
		}
		seen[k] = true
		id := ""
		for _, old := range *set {
			if old["name"] == def.Name && old["type"] == float64(def.Type) {
				id, _ = old["id"].(string)
			}
		}
		if id == "" {
			id = s.newID()
		}
		m["id"] = id
		m["application_id"] = s.applicationID()
		m["version"] = s.newID()
		m["type"] = float64(def.Type)
		if _, ok := m["description"]; !ok {
			m["description"] = ""
		}
		if _, ok := m["default_member_permissions"]; !ok {
			m["default_member_permissions"] = nil
		}
		if _, ok := m["nsfw"]; !ok {
			m["nsfw"] = false
		}
		if gid != "" {
			m["guild_id"] = gid
		}
		next = append(next, m)
	}
	*set = next
	out := make([]any, 0, len(next))
	for _, c := range next {
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- Interactions ----

// InteractionCallback is the initial response to an interaction, as sent.
type InteractionCallback struct {
	Type int
	Data json.RawMessage
	At   time.Time
}

// InteractionRecord is what the bot did with an interaction.
type InteractionRecord struct {
	ID, Token, AppID string
	Type             int
	// Callback is the accepted initial response; nil until the bot answers.
	Callback *InteractionCallback
	// Original is the response message (types 4 and 5, or the updated
	// message for 6 and 7); nil when there is none.
	Original  *Message
	Followups []Message
}

type interactionState struct {
	id, token, appID string
	typ              int
	guildID          string
	channelID        string
	userID           string
	messageID        string // the message a component sits on
	callback         *InteractionCallback
	original         *Message
	followups        []*Message
}

// Interaction returns what the bot did with an interaction created by
// InteractionCreate or SlashCommand.
func (s *Server) Interaction(id string) (InteractionRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.interactions[id]
	if !ok {
		return InteractionRecord{}, false
	}
	rec := InteractionRecord{ID: it.id, Token: it.token, AppID: it.appID, Type: it.typ}
	if it.callback != nil {
		cb := *it.callback
		rec.Callback = &cb
	}
	if it.original != nil {
		m := cloneMessage(it.original)
		rec.Original = &m
	}
	for _, f := range it.followups {
		rec.Followups = append(rec.Followups, cloneMessage(f))
	}
	return rec, true
}

// interactionMessage creates a message answering an interaction; it goes
// into the channel's history unless ephemeral. Called with mu held.
func (s *Server) interactionMessage(it *interactionState, b *messageBody) *Message {
	m := &Message{
		ID: s.newID(), ChannelID: it.channelID, GuildID: it.guildID, AuthorID: s.botID,
		Embeds: nullToNil(b.Embeds), Components: nullToNil(b.Components),
		AllowedMentions: nullToNil(b.AllowedMentions), TTS: b.TTS,
		Timestamp: s.now().UTC(), WebhookID: it.appID, InteractionID: it.id,
	}
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Flags != nil {
		m.Flags = *b.Flags
	}
	m.Ephemeral = m.Flags&64 != 0
	if c, ok := s.channels[it.channelID]; ok && !m.Ephemeral {
		c.insert(m)
		s.echoMessage("MESSAGE_CREATE", m)
	}
	return m
}

func (s *Server) interactionCallback(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.interactions[r.PathValue("interaction")]
	if !ok || it.token != r.PathValue("token") {
		writeErr(w, http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction")
		return
	}
	if it.callback != nil {
		writeErr(w, http.StatusBadRequest, CodeInteractionAcked, "Interaction has already been acknowledged.")
		return
	}
	var body struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	valid := map[int]bool{1: it.typ == 1, 4: it.typ != 1, 5: it.typ != 1, 6: it.typ == 3 || it.typ == 5,
		7: it.typ == 3 || it.typ == 5, 8: it.typ == 4, 9: it.typ == 2 || it.typ == 3, 10: it.typ != 1, 12: it.typ != 1}
	if !valid[body.Type] {
		writeFormErr(w, "type", "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid for this interaction")
		return
	}
	var mb messageBody
	if !isNull(body.Data) && (body.Type == 4 || body.Type == 5 || body.Type == 7) {
		if json.Unmarshal(body.Data, &mb) != nil {
			writeFormErr(w, "data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
			return
		}
	}
	switch body.Type {
	case 4:
		if !mb.validate(w, true, isMultipart(r)) {
			return
		}
		it.original = s.interactionMessage(it, &mb)
	case 5:
		flags := 128
		if mb.Flags != nil {
			flags |= *mb.Flags & 64
		}
		it.original = s.interactionMessage(it, &messageBody{Flags: &flags})
	case 6, 7:
		if c, ok := s.channels[it.channelID]; ok {
			if m, ok := c.byID[it.messageID]; ok {
				if body.Type == 7 {
					if !mb.validate(w, false, false) {
						return
					}
					s.applyEdit(m, &mb)
					s.echoMessage("MESSAGE_UPDATE", m)
				}
				it.original = m
			}
		}
	}
	it.callback = &InteractionCallback{Type: body.Type, Data: nullToNil(body.Data), At: s.now()}
	writeNoContent(w)
}

// webhookInteraction returns the interaction a webhook route's token names,
// once it has been answered; otherwise it answers 404. Called with mu held.
func (s *Server) webhookInteraction(w http.ResponseWriter, r *http.Request) *interactionState {
	it, ok := s.byToken[r.PathValue("token")]
	if !ok || r.PathValue("app") != it.appID || it.callback == nil {
		writeErr(w, http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook")
		return nil
	}
	return it
}

func (s *Server) postFollowup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.webhookInteraction(w, r)
	if it == nil {
		return
	}
	var mb messageBody
	if !decodeBody(w, r, &mb) || !mb.validate(w, true, isMultipart(r)) {
		return
	}
	m := s.interactionMessage(it, &mb)
	it.followups = append(it.followups, m)
	writeJSON(w, http.StatusOK, s.messageJSON(m, messageView{}))
}

// webhookMessage resolves "@original" or a followup id. Called with mu
// held.
func (s *Server) webhookMessage(w http.ResponseWriter, r *http.Request) (*interactionState, *Message) {
	it := s.webhookInteraction(w, r)
	if it == nil {
		return nil, nil
	}
	id := r.PathValue("message")
	if id == "@original" && it.original != nil {
		return it, it.original
	}
	for _, f := range it.followups {
		if f.ID == id {
			return it, f
		}
	}
	writeErr(w, http.StatusNotFound, CodeUnknownMessage, "Unknown Message")
	return nil, nil
}

func (s *Server) getWebhookMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, m := s.webhookMessage(w, r); m != nil {
		writeJSON(w, http.StatusOK, s.messageJSON(m, messageView{}))
	}
}

func (s *Server) patchWebhookMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.webhookMessage(w, r)
	if m == nil {
		return
	}
	var mb messageBody
	if !decodeBody(w, r, &mb) || !mb.validate(w, false, false) {
		return
	}
	s.applyEdit(m, &mb)
	if !m.Ephemeral {
		s.echoMessage("MESSAGE_UPDATE", m)
	}
	writeJSON(w, http.StatusOK, s.messageJSON(m, messageView{}))
}

func (s *Server) deleteWebhookMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, m := s.webhookMessage(w, r)
	if m == nil {
		return
	}
	if c, ok := s.channels[m.ChannelID]; ok && c.remove(m.ID) {
		s.dispatch("MESSAGE_DELETE", func(*gwSession) any {
			return map[string]any{"id": m.ID, "channel_id": c.ID, "guild_id": nullable(c.GuildID)}
		})
	}
	if it.original == m {
		it.original = nil
	}
	for i, f := range it.followups {
		if f == m {
			it.followups = append(it.followups[:i], it.followups[i+1:]...)
			break
		}
	}
	writeNoContent(w)
}
