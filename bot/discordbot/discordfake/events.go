package discordfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// MessageOption adjusts a message made by MessageCreate.
type MessageOption func(*Message)

// ReplyTo makes the message a reply to another message of the same channel.
func ReplyTo(messageID string) MessageOption {
	return func(m *Message) {
		m.Reference = &MessageReference{MessageID: messageID, ChannelID: m.ChannelID, GuildID: m.GuildID}
	}
}

// WithEmbeds sets the message's embeds (a JSON array).
func WithEmbeds(embeds json.RawMessage) MessageOption {
	return func(m *Message) { m.Embeds = embeds }
}

// MessageCreate has a user post a message now: it is stored (REST reads see
// it) and MESSAGE_CREATE is dispatched, with the author's member object and
// the mentions parsed from the content. Sessions without the
// MESSAGE_CONTENT intent get empty content unless the bot is mentioned.
func (s *Server) MessageCreate(channelID, authorID, content string, opts ...MessageOption) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(channelID)
	s.knowUser(authorID)
	m := &Message{ID: s.newID(), ChannelID: channelID, GuildID: c.GuildID, AuthorID: authorID, Content: content, Timestamp: s.now().UTC()}
	for _, o := range opts {
		o(m)
	}
	c.insert(m)
	s.echoMessage("MESSAGE_CREATE", m)
	return cloneMessage(m)
}

// MessageUpdate has a message's author edit it: the stored content changes
// and MESSAGE_UPDATE is dispatched with the whole message.
func (s *Server) MessageUpdate(channelID, messageID, content string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(channelID, messageID)
	m.Content = content
	t := s.now().UTC()
	m.EditedTimestamp = &t
	s.echoMessage("MESSAGE_UPDATE", m)
	return cloneMessage(m)
}

// MessageDelete deletes a message as its author or a moderator would and
// dispatches MESSAGE_DELETE.
func (s *Server) MessageDelete(channelID, messageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(channelID)
	s.mustMessage(channelID, messageID)
	c.remove(messageID)
	s.dispatch("MESSAGE_DELETE", func(*gwSession) any {
		return map[string]any{"id": messageID, "channel_id": channelID, "guild_id": nullable(c.GuildID)}
	})
}

// CloseThread archives a thread, and locks it when locked, as a moderator
// (or Discord's auto-archive) would, and dispatches THREAD_UPDATE with the
// thread's channel object.
func (s *Server) CloseThread(threadID string, locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(threadID)
	if !isThread(c.Type) {
		panic(fmt.Sprintf("discordfake: CloseThread on %s, which is not a thread", threadID))
	}
	c.Archived, c.Locked, c.archivedAt = true, c.Locked || locked, s.now()
	s.dispatch("THREAD_UPDATE", func(*gwSession) any { return channelJSON(c, true) })
}

// MessageReactionAdd has a user react to a message with an emoji (unicode,
// or "name:id" for a custom one) and dispatches MESSAGE_REACTION_ADD.
func (s *Server) MessageReactionAdd(channelID, messageID, userID, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(channelID)
	m := s.mustMessage(channelID, messageID)
	s.knowUser(userID)
	if s.addReaction(c, m, userID, emoji) {
		s.echoReaction("MESSAGE_REACTION_ADD", c, m, userID, emoji)
	}
}

// MessageReactionRemove takes a user's reaction away and dispatches
// MESSAGE_REACTION_REMOVE.
func (s *Server) MessageReactionRemove(channelID, messageID, userID, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(channelID)
	m := s.mustMessage(channelID, messageID)
	if s.removeReaction(m, userID, emoji) {
		s.echoReaction("MESSAGE_REACTION_REMOVE", c, m, userID, emoji)
	}
}

func (s *Server) mustMessage(channelID, messageID string) *Message {
	m, ok := s.mustChannel(channelID).byID[messageID]
	if !ok {
		panic(fmt.Sprintf("discordfake: unknown message %q in channel %q", messageID, channelID))
	}
	return m
}

// GuildMemberAdd has a user join a guild and dispatches GUILD_MEMBER_ADD
// (which needs the GUILD_MEMBERS intent).
func (s *Server) GuildMemberAdd(guildID string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	mem := s.addMember(g, m)
	d := s.memberJSON(mem, true)
	d["guild_id"] = guildID
	s.dispatch("GUILD_MEMBER_ADD", func(*gwSession) any { return d })
}

// GuildMemberRemove has a member leave a guild and dispatches
// GUILD_MEMBER_REMOVE.
func (s *Server) GuildMemberRemove(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeMember(s.mustGuild(guildID), userID)
}

// AuditLogEntry is an audit-log entry for GuildAuditLogEntryCreate.
// Changes and Options are sent as given (JSON).
type AuditLogEntry struct {
	ID         string // a fresh snowflake when empty
	ActionType int    // e.g. 22 MEMBER_BAN_ADD, 24 MEMBER_UPDATE, 20 MEMBER_KICK
	UserID     string // who acted
	TargetID   string
	Reason     string
	Changes    any
	Options    any
}

// GuildAuditLogEntryCreate dispatches GUILD_AUDIT_LOG_ENTRY_CREATE (needs
// the GUILD_MODERATION intent), as Discord does when a moderator acts by
// hand. It returns the entry's id.
func (s *Server) GuildAuditLogEntryCreate(guildID string, e AuditLogEntry) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustGuild(guildID)
	if e.ID == "" {
		e.ID = s.newID()
	}
	d := map[string]any{
		"id": e.ID, "guild_id": guildID, "action_type": e.ActionType, "user_id": nullable(e.UserID),
		"target_id": nullable(e.TargetID), "reason": e.Reason, "changes": e.Changes, "options": e.Options,
	}
	if e.Reason == "" {
		delete(d, "reason")
	}
	if e.Changes == nil {
		delete(d, "changes")
	}
	if e.Options == nil {
		delete(d, "options")
	}
	s.recordAudit(s.mustGuild(guildID), d)
	s.dispatch("GUILD_AUDIT_LOG_ENTRY_CREATE", func(*gwSession) any { return d })
	return e.ID
}

// AutoModAction is an AutoMod action for AutoModerationActionExecution.
type AutoModAction struct {
	RuleID          string
	RuleTriggerType int // 1 keyword, 3 spam, 4 keyword preset, 5 mention spam
	ActionType      int // 1 block message, 2 send alert, 3 timeout
	ActionMetadata  any
	UserID          string
	ChannelID       string
	MessageID       string
	AlertMessageID  string
	Content         string
	MatchedKeyword  string
	MatchedContent  string
}

// AutoModerationActionExecution dispatches AUTO_MODERATION_ACTION_EXECUTION
// (needs the AUTO_MODERATION_EXECUTION intent; content and matched_content
// are empty without MESSAGE_CONTENT, as on Discord).
func (s *Server) AutoModerationActionExecution(guildID string, a AutoModAction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustGuild(guildID)
	build := func(withContent bool) map[string]any {
		d := map[string]any{
			"guild_id": guildID, "action": map[string]any{"type": a.ActionType, "metadata": orEmpty(a.ActionMetadata)},
			"rule_id": a.RuleID, "rule_trigger_type": a.RuleTriggerType, "user_id": a.UserID,
			"channel_id": nullable(a.ChannelID), "message_id": nullable(a.MessageID),
			"alert_system_message_id": nullable(a.AlertMessageID), "content": "",
			"matched_keyword": nullable(a.MatchedKeyword), "matched_content": nil,
		}
		if withContent {
			d["content"] = a.Content
			d["matched_content"] = nullable(a.MatchedContent)
		}
		return d
	}
	with, without := build(true), build(false)
	s.dispatch("AUTO_MODERATION_ACTION_EXECUTION", func(sess *gwSession) any {
		if sess.intents&IntentMessageContent != 0 {
			return with
		}
		return without
	})
}

func orEmpty(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

// Interaction types.
const (
	InteractionPing               = 1
	InteractionApplicationCommand = 2
	InteractionMessageComponent   = 3
	InteractionAutocomplete       = 4
	InteractionModalSubmit        = 5
)

// NewInteraction describes an interaction for InteractionCreate.
type NewInteraction struct {
	Type      int // InteractionApplicationCommand, InteractionMessageComponent, …
	GuildID   string
	ChannelID string
	UserID    string
	// Data is the interaction's data object, sent as given (JSON).
	Data any
	// MessageID names the message a component sits on (type 3); the stored
	// message is sent along, and callback types 6 and 7 act on it.
	MessageID string
	Locale    string // default "en-US"
}

// InteractionRef names a created interaction; Token is what the bot's
// callback and webhook calls must carry.
type InteractionRef struct {
	ID, Token, AppID string
}

// InteractionCreate dispatches INTERACTION_CREATE for a user's interaction
// (with the member, their permissions and the channel) and remembers it so
// that the bot's callback and followups are checked and recorded (see
// Interaction). Interaction tokens do not expire in the fake.
func (s *Server) InteractionCreate(in NewInteraction) InteractionRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interactionCreate(in)
}

func (s *Server) interactionCreate(in NewInteraction) InteractionRef {
	tok := make([]byte, 24)
	rand.Read(tok)
	it := &interactionState{
		id: s.newID(), token: "aW50ZXJhY3Rpb246" + hex.EncodeToString(tok), appID: s.applicationID(),
		typ: in.Type, guildID: in.GuildID, channelID: in.ChannelID, userID: in.UserID, messageID: in.MessageID,
	}
	s.interactions[it.id] = it
	s.byToken[it.token] = it
	s.knowUser(in.UserID)

	locale := in.Locale
	if locale == "" {
		locale = "en-US"
	}
	d := map[string]any{
		"id": it.id, "application_id": it.appID, "type": in.Type, "token": it.token,
		"version": 1, "locale": locale, "entitlements": []any{}, "authorizing_integration_owners": map[string]string{"0": in.GuildID},
		"app_permissions": "2251799813685247",
	}
	if in.Data != nil {
		d["data"] = in.Data
	}
	if in.ChannelID != "" {
		d["channel_id"] = in.ChannelID
		if c, ok := s.channels[in.ChannelID]; ok {
			d["channel"] = channelJSON(c, true)
		}
	}
	if in.GuildID != "" {
		d["guild_id"] = in.GuildID
		d["guild_locale"] = "en-US"
		d["context"] = 0
		if g, ok := s.guilds[in.GuildID]; ok {
			d["guild"] = map[string]any{"id": g.id, "locale": "en-US", "features": []any{}}
			if mem, ok := g.members[in.UserID]; ok {
				md := s.memberJSON(mem, true)
				perms := g.permissions(mem.Roles)
				if in.UserID == g.ownerID || perms&permAdministrator != 0 {
					perms = 2251799813685247 // all
				}
				md["permissions"] = strconv.FormatInt(perms, 10)
				d["member"] = md
			}
		}
	} else {
		d["user"] = s.userJSON(in.UserID)
		d["context"] = 1
	}
	if in.MessageID != "" {
		if c, ok := s.channels[in.ChannelID]; ok {
			if m, ok := c.byID[in.MessageID]; ok {
				d["message"] = s.messageJSON(m, messageView{})
			}
		}
	}
	s.dispatch("INTERACTION_CREATE", func(*gwSession) any { return d })
	return InteractionRef{ID: it.id, Token: it.token, AppID: it.appID}
}

// CommandOption is one option of a slash command invocation. Type is
// Discord's option type (3 string, 4 integer, 5 boolean, 6 user, 7 channel,
// 8 role, 10 number); Value is sent as given.
type CommandOption struct {
	Name  string
	Type  int
	Value any
	// Options are a subcommand's (Type 1) own options.
	Options []CommandOption
}

// SlashCommand has a member run a registered guild command (its id is taken
// from the registration; "0" when unregistered) and dispatches the
// INTERACTION_CREATE, with resolved users and members for user options.
func (s *Server) SlashCommand(guildID, channelID, userID, name string, opts ...CommandOption) InteractionRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	cmdID := "0"
	for _, c := range g.commands {
		if c["name"] == name && c["type"] == float64(1) {
			cmdID, _ = c["id"].(string)
		}
	}
	users, members := map[string]any{}, map[string]any{}
	var encode func(opts []CommandOption) []any
	encode = func(opts []CommandOption) []any {
		options := make([]any, 0, len(opts))
		for _, o := range opts {
			if o.Type == 1 || o.Type == 2 { // a subcommand (group): its options, no value
				options = append(options, map[string]any{"name": o.Name, "type": o.Type, "options": encode(o.Options)})
				continue
			}
			options = append(options, map[string]any{"name": o.Name, "type": o.Type, "value": o.Value})
			if o.Type == 6 {
				id := fmt.Sprint(o.Value)
				users[id] = s.userJSON(id)
				if mem, ok := g.members[id]; ok {
					md := s.memberJSON(mem, false)
					md["permissions"] = strconv.FormatInt(g.permissions(mem.Roles), 10)
					members[id] = md
				}
			}
		}
		return options
	}
	options := encode(opts)
	data := map[string]any{"id": cmdID, "name": name, "type": 1, "guild_id": guildID, "options": options}
	if len(users) > 0 {
		data["resolved"] = map[string]any{"users": users, "members": members}
	}
	return s.interactionCreate(NewInteraction{Type: InteractionApplicationCommand, GuildID: guildID, ChannelID: channelID, UserID: userID, Data: data})
}

// Now is the fake's clock reading (see WithClock).
func (s *Server) Now() time.Time { return s.now() }

// StartThread has a user start a public thread named name on message
// messageID of a text channel, as Discord makes one: the thread is a
// channel whose parent is the channel and whose id is the message's.
// THREAD_CREATE is dispatched; post in it with MessageCreate(thread id, …).
func (s *Server) StartThread(channelID, messageID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.mustChannel(channelID)
	s.mustMessage(channelID, messageID)
	s.addThreadLocked(parent, messageID, name)
	return messageID
}

// ForumPost has a user open a post in a forum channel, as Discord makes
// one: a public thread named title under the forum, whose first message
// (the post's text) has the thread's id. THREAD_CREATE is dispatched, then
// MESSAGE_CREATE; the replies are MessageCreate(post's ChannelID, …).
func (s *Server) ForumPost(forumID, authorID, title, content string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	forum := s.mustChannel(forumID)
	if forum.Type != ChannelTypeGuildForum {
		panic(fmt.Sprintf("discordfake: ForumPost in %s, which is not a forum", forumID))
	}
	id := s.newID()
	th := s.addThreadLocked(forum, id, title)
	th.OwnerID = authorID
	s.knowUser(authorID)
	m := &Message{ID: id, ChannelID: id, GuildID: th.GuildID, AuthorID: authorID, Content: content, Timestamp: s.now().UTC()}
	th.insert(m)
	s.echoMessage("MESSAGE_CREATE", m)
	return cloneMessage(m)
}

// addThreadLocked adds a public thread (type 11) under parent and
// dispatches THREAD_CREATE. s.mu is held.
func (s *Server) addThreadLocked(parent *channelState, id, name string) *channelState {
	c := Channel{ID: id, GuildID: parent.GuildID, Name: name, Type: 11, ParentID: parent.ID}
	th := &channelState{Channel: c, byID: map[string]*Message{}, nonces: map[string]nonceEntry{}}
	s.channels[id] = th
	g := s.mustGuild(parent.GuildID)
	g.channels = append(g.channels, id)
	s.dispatch("THREAD_CREATE", func(*gwSession) any { return channelJSON(th, true) })
	return th
}
