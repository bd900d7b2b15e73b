// Package discordfake is a fake Discord for tests: the REST API under
// /api/v10/ (and /api/v9/, which discordgo v0.29 uses) and a gateway speaking
// the real protocol (HELLO, IDENTIFY, READY, heartbeats, RESUME with replay,
// INVALID_SESSION, RECONNECT) over a websocket, so that an unmodified discordgo
// session cannot tell it from discord.com.
//
// A test seeds guilds, roles, channels and members, points a discordgo session
// at APIURL (see discordbot.NewTransport), then drives the platform side:
// Dispatch and the event helpers (MessageCreate, InteractionCreate, …) send
// gateway events; DropConnections, InvalidateSessions and SendReconnect break
// the connection the ways Discord does; FailNext and RateLimitNext make the
// next matching REST call fail. Every REST call is recorded (Calls, CallsTo),
// and the state the bot changed can be read back (Messages, Member, Ban, …).
//
// Like Discord, the fake echoes the bot's own REST actions on the gateway
// (posting a message dispatches MESSAGE_CREATE, banning dispatches
// GUILD_BAN_ADD, …) and filters events by the intents given at IDENTIFY; a
// MESSAGE_CREATE built by MessageCreate reaches a session without the
// MESSAGE_CONTENT intent with empty content, unless it mentions the bot.
//
// Everything here is for tests: nothing is persisted, and the fake trusts its
// caller (seed helpers panic on unknown guilds or channels).
package discordfake

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Defaults of a new Server.
const (
	// DefaultHeartbeatInterval is the heartbeat_interval HELLO announces, as
	// Discord does.
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	// DefaultBotUserID and DefaultBotUsername name the bot until SetBotUser.
	DefaultBotUserID   = "1000000000000000001"
	DefaultBotUsername = "liaison"
	// DefaultNonceWindow is how long an enforced nonce returns the original
	// message ("a few minutes" in Discord's words).
	DefaultNonceWindow = 5 * time.Minute
	// DefaultRateLimit requests per DefaultRateLimitWindow per bucket are
	// announced in X-RateLimit-* headers. The fake never answers 429 on its
	// own; only RateLimitNext does.
	DefaultRateLimit       = 50
	DefaultRateLimitWindow = time.Second
)

// Option configures a Server at New.
type Option func(*Server)

// WithHeartbeatInterval sets the heartbeat_interval sent in HELLO (default
// 41.25 s). Tests that watch heartbeats set it small, e.g. 100 ms.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(s *Server) { s.heartbeat = d }
}

// WithToken makes the fake accept only this bot token (without the "Bot "
// prefix), on REST and at IDENTIFY. By default any non-empty token is
// accepted.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithClock sets the fake's notion of now: message timestamps, the 14-day
// limit of bulk delete, the nonce window and timeout validation follow it.
// Rate-limit headers keep the real time, as discordgo's limiter does.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithNonceWindow sets how long an enforced nonce deduplicates messages.
func WithNonceWindow(d time.Duration) Option {
	return func(s *Server) { s.nonceWindow = d }
}

// WithRateLimit sets the per-bucket limit announced in X-RateLimit-*
// headers. When a bucket's remaining count reaches 0, discordgo waits for
// the window to reset before its next call on that bucket.
func WithRateLimit(limit int, window time.Duration) Option {
	return func(s *Server) { s.rlLimit, s.rlWindow = limit, window }
}

// Server is a running fake Discord. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	// Fixed at New.
	heartbeat   time.Duration
	token       string
	now         func() time.Time
	nonceWindow time.Duration
	rlLimit     int
	rlWindow    time.Duration

	// mu guards the REST state below. Lock order: mu, then gw.mu.
	mu           sync.Mutex
	botID        string
	botName      string
	appID        string // "" means the bot's user id
	app          appState
	users        map[string]*User
	guilds       map[string]*guildState
	guildOrder   []string
	channels     map[string]*channelState
	interactions map[string]*interactionState // by id
	byToken      map[string]*interactionState // by token
	globalCmds   []map[string]any
	lastID       int64 // last snowflake handed out for "now"
	idSeq        int64 // low bits of snowflakes
	calls        []Call
	faults       []fault
	buckets      map[string]*bucket
	dms          map[string]string // user id → DM channel id
	blocked      map[string]bool   // users who blocked the bot (or closed their DMs)

	gw gateway

	changed   chan struct{} // closed and replaced when a counter moves
	changedMu sync.Mutex
}

// New starts a fake Discord on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		heartbeat:    DefaultHeartbeatInterval,
		now:          time.Now,
		nonceWindow:  DefaultNonceWindow,
		rlLimit:      DefaultRateLimit,
		rlWindow:     DefaultRateLimitWindow,
		botID:        DefaultBotUserID,
		botName:      DefaultBotUsername,
		users:        map[string]*User{},
		guilds:       map[string]*guildState{},
		channels:     map[string]*channelState{},
		interactions: map[string]*interactionState{},
		byToken:      map[string]*interactionState{},
		buckets:      map[string]*bucket{},
		dms:          map[string]string{},
		blocked:      map[string]bool{},
		changed:      make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	s.users[s.botID] = &User{ID: s.botID, Username: s.botName, Bot: true}
	s.gw.init()
	s.srv = httptest.NewServer(s.routes())
	return s
}

// Close closes every gateway connection, waits for their goroutines, and
// stops the HTTP server. Close discordgo sessions first, or they will keep
// trying to reconnect.
func (s *Server) Close() {
	s.gw.closeAll()
	s.srv.Close()
	s.gw.wg.Wait()
}

// URL is the fake's base URL, e.g. "http://127.0.0.1:4321".
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the REST base to give discordbot.NewTransport:
// URL() + "/api/v10/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/v10/" }

// GatewayURL is the websocket URL that GET /gateway answers: ws://host/ws.
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws"
}

// signal wakes every waiter of WaitFor.
func (s *Server) signal() {
	s.changedMu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.changedMu.Unlock()
}

// WaitFor blocks until cond returns true or ctx is done. cond is evaluated
// again whenever the gateway or the REST state changes; it must not call
// WaitFor.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.changedMu.Lock()
		ch := s.changed
		s.changedMu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("discordfake: waiting: %w", context.Cause(ctx))
		}
	}
}

// ---- Seeding and inspection ----

// User is a Discord user the fake knows.
type User struct {
	ID       string
	Username string
	Bot      bool
}

// Role is a guild role. Permissions is the bit set Discord sends as a
// decimal string.
type Role struct {
	ID          string
	Name        string
	Position    int
	Permissions int64
	Color       int
	Hoist       bool
	Mentionable bool
	Managed     bool
}

// Channel types the fake distinguishes.
const (
	ChannelTypeGuildText     = 0
	ChannelTypeDM            = 1
	ChannelTypeGuildVoice    = 2
	ChannelTypeGuildCategory = 4
	ChannelTypeGuildNews     = 5
	ChannelTypeGuildForum    = 15
)

// Channel is a guild channel. The zero Type is a text channel.
type Channel struct {
	ID               string
	GuildID          string
	Name             string
	Type             int
	Position         int
	ParentID         string
	Topic            string
	NSFW             bool
	RateLimitPerUser int // slowmode, seconds
	// Archived and Locked are a thread's state (thread_metadata); a
	// channel whose Type is a thread type always carries the metadata.
	Archived, Locked bool
	// PermissionOverwrites are the channel's overwrites, in order; see
	// Overwrite.
	PermissionOverwrites []Overwrite
	// AvailableTags are a forum's tags (at most 20), which its posts wear.
	AvailableTags []ForumTag
	// AppliedTags are the ids of the forum tags a post (a thread of a
	// forum) wears, at most 5.
	AppliedTags []string
	// OwnerID is who started a thread (a forum post's author).
	OwnerID string
}

// ForumTag is a tag of a forum channel, as Discord's tag object. A tag
// sent without an id gets one.
type ForumTag struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Moderated bool   `json:"moderated"`
	EmojiID   string `json:"emoji_id,omitempty"`
	EmojiName string `json:"emoji_name,omitempty"`
}

// Member is a user's membership of a guild.
type Member struct {
	UserID   string
	Username string
	Bot      bool
	Nick     string
	Roles    []string
	JoinedAt time.Time
	// CommunicationDisabledUntil is the end of a timeout; nil when none.
	CommunicationDisabledUntil *time.Time
}

// Ban records a ban as the bot (or a seed) made it.
type Ban struct {
	UserID string
	// Reason is the audit-log reason: the decoded X-Audit-Log-Reason header,
	// or the deprecated "reason" query when the header is absent.
	Reason string
	// DeleteMessageSeconds is the body's delete_message_seconds, or the
	// deprecated delete_message_days query converted to seconds.
	DeleteMessageSeconds int
	At                   time.Time
}

// MessageReference is a message's reply target.
type MessageReference struct {
	MessageID       string `json:"message_id,omitempty"`
	ChannelID       string `json:"channel_id,omitempty"`
	GuildID         string `json:"guild_id,omitempty"`
	FailIfNotExists *bool  `json:"fail_if_not_exists,omitempty"`
}

// Reaction is one emoji on a message and who put it there. Emoji is the
// unicode emoji, or "name:id" for a custom one.
type Reaction struct {
	Emoji   string
	UserIDs []string
}

// Message is a message as the fake stores it: what was sent, verbatim where
// Discord would interpret it.
type Message struct {
	ID        string
	ChannelID string
	GuildID   string
	AuthorID  string
	Content   string
	// Embeds and Components are the JSON arrays as sent (nil when absent).
	Embeds     json.RawMessage
	Components json.RawMessage
	// AllowedMentions is the allowed_mentions object as sent; nil when the
	// request had none (Discord then parses every mention in the content).
	AllowedMentions json.RawMessage
	Reference       *MessageReference
	// Nonce is the nonce as sent, and EnforceNonce whether it was enforced.
	Nonce           string
	EnforceNonce    bool
	nonceRaw        json.RawMessage
	Flags           int
	TTS             bool
	Timestamp       time.Time
	EditedTimestamp *time.Time
	Reactions       []Reaction
	// WebhookID is set on interaction responses and followups.
	WebhookID string
	// InteractionID names the interaction this message answers, if any.
	InteractionID string
	// Ephemeral messages (flag 64) are visible through their interaction only.
	Ephemeral bool
	// Attachments are the names of files a user attached (see
	// WithAttachments).
	Attachments []string
}

type guildState struct {
	id, name, ownerID string
	roles             []*Role // in insertion order; @everyone first
	channels          []string
	members           map[string]*Member
	memberOrder       []string
	bans              map[string]*Ban
	commands          []map[string]any // registered guild commands
	auditLog          []map[string]any // entries, oldest first, as GET audit-logs answers them
	invites           []*Invite
}

type channelState struct {
	Channel
	messages   []*Message // ascending id
	byID       map[string]*Message
	nonces     map[string]nonceEntry
	archivedAt time.Time // a thread's last archiving, for thread_metadata
	recipient  string    // a DM channel's user
}

type nonceEntry struct {
	messageID string
	at        time.Time
}

// SetBotUser names the bot's own user: READY reports it, GET /users/@me
// returns it, messages the bot posts carry it as author. It also becomes the
// application id unless SetApplicationID was called.
func (s *Server) SetBotUser(id, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.users[s.botID]; old != nil && old.ID != id {
		delete(s.users, s.botID)
	}
	s.botID, s.botName = id, username
	s.users[id] = &User{ID: id, Username: username, Bot: true}
}

// SetApplicationID sets the application id that command registration and
// interaction webhooks must name (default: the bot's user id, as for every
// application created since 2021).
func (s *Server) SetApplicationID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appID = id
}

// BotUserID returns the bot's user id.
func (s *Server) BotUserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botID
}

func (s *Server) applicationID() string { return cmp.Or(s.appID, s.botID) }

// AddGuild adds a guild with its @everyone role (id = guild id, position 0,
// basic permissions). Adding an existing guild renames it.
func (s *Server) AddGuild(id, name, ownerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.guilds[id]; ok {
		g.name, g.ownerID = name, ownerID
		return
	}
	s.guilds[id] = &guildState{
		id: id, name: name, ownerID: ownerID,
		roles:   []*Role{{ID: id, Name: "@everyone", Permissions: everyonePermissions}},
		members: map[string]*Member{},
		bans:    map[string]*Ban{},
	}
	s.guildOrder = append(s.guildOrder, id)
}

// everyonePermissions is a plausible @everyone: view channels, send
// messages, read history, add reactions, use application commands.
const everyonePermissions = 1<<10 | 1<<11 | 1<<16 | 1<<6 | 1<<31

// AddRole adds (or replaces, by id) a role in a guild.
func (s *Server) AddRole(guildID string, r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	for i, old := range g.roles {
		if old.ID == r.ID {
			g.roles[i] = &r
			return
		}
	}
	g.roles = append(g.roles, &r)
}

// AddChannel adds (or replaces, by id) a channel in a guild; c.GuildID is
// set to guildID.
func (s *Server) AddChannel(guildID string, c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	c.GuildID = guildID
	if old, ok := s.channels[c.ID]; ok {
		old.Channel = c
		return
	}
	s.channels[c.ID] = &channelState{Channel: c, byID: map[string]*Message{}, nonces: map[string]nonceEntry{}}
	g.channels = append(g.channels, c.ID)
}

// AddMember adds (or replaces) a member of a guild and makes the user known.
// A zero JoinedAt becomes now. Add the bot itself as a member (SetBotUser's
// id) to have role hierarchy enforced: Discord refuses to kick, ban or time
// out the guild owner or anyone whose highest role is not below the bot's.
func (s *Server) AddMember(guildID string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addMember(s.mustGuild(guildID), m)
}

func (s *Server) addMember(g *guildState, m Member) *Member {
	if m.JoinedAt.IsZero() {
		m.JoinedAt = s.now()
	}
	m.Roles = append([]string(nil), m.Roles...)
	u := s.users[m.UserID]
	if u == nil {
		u = &User{ID: m.UserID}
		s.users[m.UserID] = u
	}
	if m.Username != "" {
		u.Username = m.Username
	}
	u.Bot = u.Bot || m.Bot
	m.Username, m.Bot = u.Username, u.Bot
	if _, ok := g.members[m.UserID]; !ok {
		g.memberOrder = append(g.memberOrder, m.UserID)
	}
	g.members[m.UserID] = &m
	return &m
}

// AddUser makes a user known without a guild membership (for bans of users
// who already left, or DMs).
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
}

// AddBan records a ban as if made before the test.
func (s *Server) AddBan(guildID string, b Ban) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	if b.At.IsZero() {
		b.At = s.now()
	}
	g.bans[b.UserID] = &b
}

// AddMessage stores a message in a channel's history at the given time,
// without any gateway event; its id is a snowflake of that time, so history
// paging and the 14-day limit of bulk delete see its age. The author becomes
// a known user if needed.
func (s *Server) AddMessage(channelID, authorID, content string, at time.Time) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(channelID)
	m := &Message{ID: s.snowflakeAt(at), ChannelID: channelID, GuildID: c.GuildID, AuthorID: authorID, Content: content, Timestamp: at.UTC()}
	s.knowUser(authorID)
	c.insert(m)
	return cloneMessage(m)
}

// Guild reports a guild's name and owner.
func (s *Server) Guild(id string) (name, ownerID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guilds[id]
	if !ok {
		return "", "", false
	}
	return g.name, g.ownerID, true
}

// Channel returns a channel's current state (slowmode included).
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return c.Channel, true
}

// Member returns a member's current state (roles, timeout).
func (s *Server) Member(guildID, userID string) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guilds[guildID]
	if !ok {
		return Member{}, false
	}
	m, ok := g.members[userID]
	if !ok {
		return Member{}, false
	}
	return cloneMember(m), true
}

// Ban returns a guild's ban of a user.
func (s *Server) Ban(guildID, userID string) (Ban, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guilds[guildID]
	if !ok {
		return Ban{}, false
	}
	b, ok := g.bans[userID]
	if !ok {
		return Ban{}, false
	}
	return *b, true
}

// Messages returns a channel's messages, oldest first (ephemeral and
// deleted ones excluded).
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		out = append(out, cloneMessage(m))
	}
	return out
}

// Message returns one message of a channel.
func (s *Server) Message(channelID, messageID string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		return Message{}, false
	}
	m, ok := c.byID[messageID]
	if !ok {
		return Message{}, false
	}
	return cloneMessage(m), true
}

// Commands returns the application commands registered for a guild, or the
// global ones when guildID is "", as the fake returns them (ids included).
func (s *Server) Commands(guildID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cmds []map[string]any
	if guildID == "" {
		cmds = s.globalCmds
	} else if g, ok := s.guilds[guildID]; ok {
		cmds = g.commands
	}
	out := make([]json.RawMessage, 0, len(cmds))
	for _, c := range cmds {
		b, _ := json.Marshal(c)
		out = append(out, b)
	}
	return out
}

func (s *Server) mustGuild(id string) *guildState {
	g, ok := s.guilds[id]
	if !ok {
		panic(fmt.Sprintf("discordfake: unknown guild %q: AddGuild it first", id))
	}
	return g
}

func (s *Server) mustChannel(id string) *channelState {
	c, ok := s.channels[id]
	if !ok {
		panic(fmt.Sprintf("discordfake: unknown channel %q: AddChannel it first", id))
	}
	return c
}

func (s *Server) knowUser(id string) *User {
	u, ok := s.users[id]
	if !ok {
		u = &User{ID: id, Username: "user" + id}
		s.users[id] = u
	}
	return u
}

// insert keeps messages sorted by id (ids of seeded history may be older
// than existing ones).
func (c *channelState) insert(m *Message) {
	c.byID[m.ID] = m
	i := len(c.messages)
	for i > 0 && snowflakeLess(m.ID, c.messages[i-1].ID) {
		i--
	}
	c.messages = append(c.messages, nil)
	copy(c.messages[i+1:], c.messages[i:])
	c.messages[i] = m
}

func (c *channelState) remove(id string) bool {
	if _, ok := c.byID[id]; !ok {
		return false
	}
	delete(c.byID, id)
	for i, m := range c.messages {
		if m.ID == id {
			c.messages = append(c.messages[:i], c.messages[i+1:]...)
			break
		}
	}
	return true
}

func cloneMessage(m *Message) Message {
	out := *m
	out.Embeds = append(json.RawMessage(nil), m.Embeds...)
	out.Components = append(json.RawMessage(nil), m.Components...)
	out.AllowedMentions = append(json.RawMessage(nil), m.AllowedMentions...)
	if m.Reference != nil {
		r := *m.Reference
		out.Reference = &r
	}
	if m.EditedTimestamp != nil {
		t := *m.EditedTimestamp
		out.EditedTimestamp = &t
	}
	out.Attachments = append([]string(nil), m.Attachments...)
	out.Reactions = nil
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, Reaction{Emoji: r.Emoji, UserIDs: append([]string(nil), r.UserIDs...)})
	}
	return out
}

func cloneMember(m *Member) Member {
	out := *m
	out.Roles = append([]string(nil), m.Roles...)
	if m.CommunicationDisabledUntil != nil {
		t := *m.CommunicationDisabledUntil
		out.CommunicationDisabledUntil = &t
	}
	return out
}

// ---- Calls and faults ----

// Call is one REST request the fake received.
type Call struct {
	Method string
	// Path is the route without the /api/vN prefix or query, e.g.
	// "/channels/1/messages"; Version is N.
	Path    string
	Version string
	Query   map[string][]string
	Body    []byte
	Header  http.Header
	// AuditLogReason is X-Audit-Log-Reason, percent-decoded as Discord does.
	AuditLogReason string
	// Status is the HTTP status the fake answered; 0 while the call is
	// being served.
	Status int
	At     time.Time
}

// Calls returns every REST call so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls whose method matches (any when "") and whose
// Path starts with pathPrefix.
func (s *Server) CallsTo(method, pathPrefix string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if (method == "" || strings.EqualFold(method, c.Method)) && strings.HasPrefix(c.Path, pathPrefix) {
			out = append(out, c)
		}
	}
	return out
}

type fault struct {
	method, prefix string
	persistent     bool
	status         int
	body           []byte
	retryAfter     time.Duration // > 0 for a rate limit
	global         bool
}

// APIError is Discord's error body, usable as FailNext's body.
type APIError struct {
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Errors  map[string]any `json:"errors,omitempty"`
}

// Error codes the fake answers with.
const (
	CodeUnknownChannel     = 10003
	CodeUnknownGuild       = 10004
	CodeUnknownMember      = 10007
	CodeUnknownMessage     = 10008
	CodeUnknownUser        = 10013
	CodeUnknownWebhook     = 10015
	CodeUnknownBan         = 10026
	CodeUnknownInteraction = 10062
	CodeNotAuthorizedApp   = 20012
	CodeEmptyMessage       = 50006
	CodeCannotEditOthers   = 50005
	CodeNonTextChannel     = 50008
	CodeMissingPermissions = 50013
	CodeBulkDeleteTooOld   = 50034
	CodeInvalidFormBody    = 50035
	CodeInteractionAcked   = 40060
	CodeCannotSendToUser   = 50007
)

// FailNext makes the next call matching method ("" for any) and the path
// prefix (as in Call.Path) answer status with body: a []byte or string is
// sent as is, anything else as JSON (an APIError, typically). Faults queue
// up and are used once each, in order.
func (s *Server) FailNext(method, pathPrefix string, status int, body any) {
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			panic(fmt.Sprintf("discordfake: FailNext body: %v", err))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, prefix: pathPrefix, status: status, body: b})
}

// Forbid makes every call matching method and path prefix answer 403
// {"code": 50013, "message": "Missing Permissions"} until Allow: the bot
// lacks a permission.
func (s *Server) Forbid(method, pathPrefix string) {
	b, _ := json.Marshal(APIError{Code: CodeMissingPermissions, Message: "Missing Permissions"})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, prefix: pathPrefix, persistent: true, status: http.StatusForbidden, body: b})
}

// Allow removes every Forbid.
func (s *Server) Allow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.faults[:0]
	for _, f := range s.faults {
		if !f.persistent {
			kept = append(kept, f)
		}
	}
	s.faults = kept
}

// RateLimitNext makes the next matching call answer 429 as Discord does:
// body {"message": "You are being rate limited.", "retry_after": seconds,
// "global": global}, a Retry-After header in seconds, and X-RateLimit-*
// headers with Remaining 0 (plus X-RateLimit-Global when global).
func (s *Server) RateLimitNext(method, pathPrefix string, retryAfter time.Duration, global bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, prefix: pathPrefix, status: http.StatusTooManyRequests, retryAfter: retryAfter, global: global})
}

// takeFault returns the first fault matching the call, consuming it unless
// persistent. Called with mu held.
func (s *Server) takeFault(method, path string) (fault, bool) {
	for i, f := range s.faults {
		if (f.method == "" || strings.EqualFold(f.method, method)) && strings.HasPrefix(path, f.prefix) {
			if !f.persistent {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f, true
		}
	}
	return fault{}, false
}
