package discordfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opPresenceUpdate = 3
	opVoiceState     = 4
	opResume         = 6
	opReconnect      = 7
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11
)

// Gateway intents the fake filters events by.
const (
	IntentGuilds                  = 1 << 0
	IntentGuildMembers            = 1 << 1
	IntentGuildModeration         = 1 << 2
	IntentGuildInvites            = 1 << 6
	IntentGuildMessages           = 1 << 9
	IntentGuildMessageReactions   = 1 << 10
	IntentDirectMessages          = 1 << 12
	IntentMessageContent          = 1 << 15
	IntentAutoModerationExecution = 1 << 21
)

// eventIntent is the intent a session needs to receive an event; events not
// listed are always sent.
var eventIntent = map[string]int64{
	"GUILD_CREATE":                     IntentGuilds,
	"GUILD_UPDATE":                     IntentGuilds,
	"GUILD_DELETE":                     IntentGuilds,
	"CHANNEL_CREATE":                   IntentGuilds,
	"CHANNEL_UPDATE":                   IntentGuilds,
	"CHANNEL_DELETE":                   IntentGuilds,
	"THREAD_CREATE":                    IntentGuilds,
	"THREAD_UPDATE":                    IntentGuilds,
	"THREAD_DELETE":                    IntentGuilds,
	"GUILD_ROLE_CREATE":                IntentGuilds,
	"GUILD_ROLE_UPDATE":                IntentGuilds,
	"GUILD_ROLE_DELETE":                IntentGuilds,
	"GUILD_MEMBER_ADD":                 IntentGuildMembers,
	"GUILD_MEMBER_UPDATE":              IntentGuildMembers,
	"GUILD_MEMBER_REMOVE":              IntentGuildMembers,
	"GUILD_BAN_ADD":                    IntentGuildModeration,
	"GUILD_BAN_REMOVE":                 IntentGuildModeration,
	"GUILD_AUDIT_LOG_ENTRY_CREATE":     IntentGuildModeration,
	"MESSAGE_CREATE":                   IntentGuildMessages,
	"MESSAGE_UPDATE":                   IntentGuildMessages,
	"MESSAGE_DELETE":                   IntentGuildMessages,
	"MESSAGE_DELETE_BULK":              IntentGuildMessages,
	"MESSAGE_REACTION_ADD":             IntentGuildMessageReactions,
	"MESSAGE_REACTION_REMOVE":          IntentGuildMessageReactions,
	"AUTO_MODERATION_ACTION_EXECUTION": IntentAutoModerationExecution,
	"INVITE_CREATE":                    IntentGuildInvites,
	"INVITE_DELETE":                    IntentGuildInvites,
}

// writeTimeout bounds a write to a client that stopped reading.
const writeTimeout = 5 * time.Second

// Identify is an IDENTIFY payload the fake received.
type Identify struct {
	// Token is the token as sent (discordgo sends "Bot …").
	Token      string
	Intents    int64
	Properties map[string]string
	Compress   bool
	Shard      []int
	// SessionID is the session READY answered with.
	SessionID string
	// Query is the websocket URL's query (discordgo: v=9&encoding=json).
	Query url.Values
}

type gateway struct {
	mu       sync.Mutex
	closed   bool
	sessions map[string]*gwSession
	order    []*gwSession
	conns    map[*gwConn]struct{}
	wg       sync.WaitGroup

	identifies, resumes, invalids, heartbeats int
	memberRequests                            int
	identifyLog                               []Identify
}

func (g *gateway) init() {
	g.sessions = map[string]*gwSession{}
	g.conns = map[*gwConn]struct{}{}
}

// gwSession is a gateway session: it outlives its connections until the
// client closes with 1000/1001 or the session is invalidated.
type gwSession struct {
	id      string
	token   string
	intents int64
	seq     int64
	buffer  []frame
	conn    *gwConn // nil while disconnected
	invalid bool    // InvalidateSessions: the next RESUME fails
	ended   bool    // closed normally by the client
}

// trim forgets the frames up to seq, which the client has said it
// received: without it the replay buffer held every event of the session.
// Called with gw.mu held.
func (sess *gwSession) trim(seq int64) {
	n := 0
	for n < len(sess.buffer) && sess.buffer[n].seq <= seq {
		n++
	}
	if n > 0 {
		sess.buffer = slices.Delete(sess.buffer, 0, n)
	}
}

type frame struct {
	seq     int64
	resumed bool // the RESUMED marker: never replayed
	data    []byte
}

type gwConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	query   url.Values
	sess    *gwSession // guarded by gateway.mu
	dropped bool       // guarded by gateway.mu
}

func (c *gwConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *gwConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.write(b)
}

// closeWith sends a close frame with a Discord close code and closes.
func (c *gwConn) closeWith(code int, text string) {
	c.wmu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(writeTimeout))
	c.wmu.Unlock()
	c.ws.Close()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &gwConn{ws: ws, query: r.URL.Query()}
	s.gw.mu.Lock()
	if s.gw.closed {
		s.gw.mu.Unlock()
		ws.Close()
		return
	}
	s.gw.conns[c] = struct{}{}
	s.gw.wg.Add(1)
	s.gw.mu.Unlock()
	defer s.gw.wg.Done()

	ms := max(s.heartbeat.Milliseconds(), 1)
	if err := c.writeJSON(map[string]any{"op": opHello, "d": map[string]any{"heartbeat_interval": ms}, "s": nil, "t": nil}); err != nil {
		s.connGone(c, err)
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			s.connGone(c, err)
			return
		}
		var p payload
		if err := json.Unmarshal(data, &p); err != nil {
			c.closeWith(4002, "Error while decoding payload.")
			continue // the read fails next and ends the loop
		}
		s.gw.mu.Lock()
		authed := c.sess != nil
		s.gw.mu.Unlock()
		switch p.Op {
		case opHeartbeat:
			// d is the last sequence number the client received (null
			// before any): a RESUME asks for what came after a number no
			// smaller, so the frames up to it are never replayed again.
			var last *int64
			_ = json.Unmarshal(p.D, &last)
			s.gw.mu.Lock()
			s.gw.heartbeats++
			if c.sess != nil && last != nil {
				c.sess.trim(*last)
			}
			s.gw.mu.Unlock()
			s.signal()
			c.writeJSON(map[string]any{"op": opHeartbeatAck, "d": nil, "s": nil, "t": nil})
		case opIdentify:
			if authed {
				c.closeWith(4005, "Already authenticated.")
				continue
			}
			s.identify(c, p.D)
		case opResume:
			if authed {
				c.closeWith(4005, "Already authenticated.")
				continue
			}
			s.resume(c, p.D)
		case opRequestMembers:
			if !authed {
				c.closeWith(4003, "Not authenticated.")
				continue
			}
			s.requestMembers(c, p.D)
		case opPresenceUpdate, opVoiceState:
			if !authed {
				c.closeWith(4003, "Not authenticated.")
			}
		default:
			c.closeWith(4001, "Unknown opcode.")
		}
	}
}

// connGone detaches a finished connection. A normal close (1000/1001) by
// the client ends its session, as on Discord; anything else leaves it
// resumable.
func (s *Server) connGone(c *gwConn, err error) {
	c.ws.Close()
	s.gw.mu.Lock()
	delete(s.gw.conns, c)
	if sess := c.sess; sess != nil && sess.conn == c {
		sess.conn = nil
		var ce *websocket.CloseError
		if !c.dropped && errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
			sess.ended = true
		}
	}
	s.gw.mu.Unlock()
	s.signal()
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) tokenOK(token string) bool {
	t := strings.TrimPrefix(token, "Bot ")
	if s.token != "" {
		return t == s.token
	}
	return t != ""
}

func (s *Server) identify(c *gwConn, d json.RawMessage) {
	var id struct {
		Token      string            `json:"token"`
		Intents    int64             `json:"intents"`
		Properties map[string]string `json:"properties"`
		Compress   bool              `json:"compress"`
		Shard      []int             `json:"shard"`
	}
	if err := json.Unmarshal(d, &id); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	if !s.tokenOK(id.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	if len(id.Shard) == 2 && (id.Shard[1] < 1 || id.Shard[0] >= id.Shard[1]) {
		c.closeWith(4010, "Invalid shard.")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.mu.Lock()
	sess := &gwSession{id: newSessionID(), token: id.Token, intents: id.Intents, conn: c}
	s.gw.sessions[sess.id] = sess
	s.gw.order = append(s.gw.order, sess)
	c.sess = sess

	guilds := make([]any, 0, len(s.guildOrder))
	for _, gid := range s.guildOrder {
		guilds = append(guilds, map[string]any{"id": gid, "unavailable": true})
	}
	version := 10
	if v, err := strconv.Atoi(c.query.Get("v")); err == nil && v > 0 {
		version = v
	}
	ready := map[string]any{
		"v": version, "user": s.userJSON(s.botID), "session_id": sess.id,
		"resume_gateway_url": s.GatewayURL(), "guilds": guilds,
		"private_channels": []any{}, "relationships": []any{}, "presences": []any{},
		"application": map[string]any{"id": s.applicationID(), "flags": 0},
		"_trace":      []string{"discordfake"},
	}
	if len(id.Shard) == 2 {
		ready["shard"] = id.Shard
	}
	s.sendLocked(sess, "READY", ready)
	for _, gid := range s.guildOrder {
		if sess.intents&IntentGuilds != 0 {
			s.sendLocked(sess, "GUILD_CREATE", s.guildCreateJSON(s.guilds[gid]))
		}
	}
	s.gw.identifies++
	s.gw.identifyLog = append(s.gw.identifyLog, Identify{
		Token: id.Token, Intents: id.Intents, Properties: id.Properties,
		Compress: id.Compress, Shard: id.Shard, SessionID: sess.id, Query: c.query,
	})
	s.gw.mu.Unlock()
	s.signal()
}

func (s *Server) resume(c *gwConn, d json.RawMessage) {
	var rp struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &rp); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	s.gw.mu.Lock()
	defer s.signal()
	defer s.gw.mu.Unlock()
	sess, ok := s.gw.sessions[rp.SessionID]
	if !ok || sess.invalid || sess.ended || sess.token != rp.Token || rp.Seq > sess.seq {
		s.gw.invalids++
		c.writeJSON(map[string]any{"op": opInvalidSession, "d": false, "s": nil, "t": nil})
		return
	}
	if old := sess.conn; old != nil && old != c {
		old.dropped = true
		old.ws.Close()
	}
	sess.conn = c
	c.sess = sess
	for _, f := range sess.buffer {
		if f.seq > rp.Seq && !f.resumed {
			if err := c.write(f.data); err != nil {
				s.detachLocked(sess)
				return
			}
		}
	}
	sess.seq++
	b, _ := json.Marshal(map[string]any{"op": opDispatch, "t": "RESUMED", "s": sess.seq, "d": map[string]any{"_trace": []string{"discordfake"}}})
	sess.buffer = append(sess.buffer, frame{seq: sess.seq, resumed: true, data: b})
	if err := c.write(b); err != nil {
		s.detachLocked(sess)
		return
	}
	s.gw.resumes++
}

// sendLocked appends one dispatch to a session's buffer and writes it to the
// session's connection, if any; data already encoded (json.RawMessage) goes
// in as it is. Called with gw.mu held.
func (s *Server) sendLocked(sess *gwSession, eventType string, data any) {
	sess.seq++
	d, ok := data.(json.RawMessage)
	if ok && len(d) == 0 {
		d = json.RawMessage("null")
	} else if !ok {
		var err error
		if d, err = json.Marshal(data); err != nil {
			panic(fmt.Sprintf("discordfake: encoding %s: %v", eventType, err))
		}
	}
	// The envelope is written by hand around d: encoding it with
	// encoding/json would check and compact d again, as much work as
	// encoding it (a sixth of a process running the fake and a bot).
	b := make([]byte, 0, len(d)+len(eventType)+48)
	b = append(b, `{"op":`...)
	b = strconv.AppendInt(b, opDispatch, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendQuote(b, eventType)
	b = append(b, `,"s":`...)
	b = strconv.AppendInt(b, sess.seq, 10)
	b = append(b, `,"d":`...)
	b = append(b, d...)
	b = append(b, '}')
	sess.buffer = append(sess.buffer, frame{seq: sess.seq, data: b})
	if sess.conn != nil {
		if err := sess.conn.write(b); err != nil {
			s.detachLocked(sess)
		}
	}
}

// detachLocked drops a session's connection after a failed write; the
// session stays resumable. Called with gw.mu held.
func (s *Server) detachLocked(sess *gwSession) {
	if c := sess.conn; c != nil {
		c.dropped = true
		c.ws.Close()
		sess.conn = nil
	}
}

// dispatch sends an event to every live session that has the intent it
// needs; build renders the data for one session. It returns how many
// sessions got it (sent, or buffered for their resume).
func (s *Server) dispatch(eventType string, build func(sess *gwSession) any) int {
	return s.dispatchNeeding(eventType, eventIntent[eventType], build)
}

// dispatchNeeding is dispatch with the intent given: message events in a
// direct message need DIRECT_MESSAGES, not GUILD_MESSAGES.
func (s *Server) dispatchNeeding(eventType string, need int64, build func(sess *gwSession) any) int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	n := 0
	for _, sess := range s.gw.order {
		if sess.ended || (sess.invalid && sess.conn == nil) {
			continue
		}
		if need != 0 && sess.intents&need == 0 {
			continue
		}
		s.sendLocked(sess, eventType, build(sess))
		n++
	}
	return n
}

// Dispatch sends a gateway event (op 0, the next sequence number) with data
// as its d to every session whose intents cover it, and keeps it in each
// session's replay buffer: a session disconnected by DropConnections gets it
// when it resumes. It returns the number of sessions it went to; 0 means the
// event was dropped (no session yet, or none with the intent). data must
// encode to JSON; the event helpers (MessageCreate, …) build real payloads
// and keep the REST state in step, which Dispatch does not.
func (s *Server) Dispatch(eventType string, data any) int {
	return s.dispatch(eventType, func(*gwSession) any { return data })
}

// DropConnections closes every gateway connection abruptly (no close frame),
// as a network failure would. Sessions stay resumable, and events dispatched
// until the client resumes are replayed then.
func (s *Server) DropConnections() {
	s.gw.mu.Lock()
	for c := range s.gw.conns {
		c.dropped = true
		if c.sess != nil && c.sess.conn == c {
			c.sess.conn = nil
		}
		c.ws.NetConn().Close()
	}
	s.gw.mu.Unlock()
	s.signal()
}

// InvalidateSessions makes every existing session unresumable: a connected
// client keeps its connection, but its next RESUME is answered with
// INVALID_SESSION (d: false), after which discordgo sends IDENTIFY. Events
// dispatched to an invalidated session while it is disconnected are lost,
// as on Discord.
func (s *Server) InvalidateSessions() {
	s.gw.mu.Lock()
	for _, sess := range s.gw.order {
		sess.invalid = true
	}
	s.gw.mu.Unlock()
}

// SendReconnect sends RECONNECT (op 7) on every identified connection;
// discordgo closes with code 1012 and resumes.
func (s *Server) SendReconnect() {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	for c := range s.gw.conns {
		if c.sess != nil {
			c.writeJSON(map[string]any{"op": opReconnect, "d": nil, "s": nil, "t": nil})
		}
	}
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for c := range g.conns {
		c.dropped = true
		c.ws.NetConn().Close()
	}
}

// Identifies is the number of IDENTIFYs answered with READY.
func (s *Server) Identifies() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.identifies
}

// IdentifyLog returns every IDENTIFY answered with READY, in order.
func (s *Server) IdentifyLog() []Identify {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return append([]Identify(nil), s.gw.identifyLog...)
}

// Resumes is the number of RESUMEs answered with RESUMED.
func (s *Server) Resumes() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.resumes
}

// InvalidSessions is the number of RESUMEs refused with INVALID_SESSION.
func (s *Server) InvalidSessions() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.invalids
}

// Replayable is how many events the sessions hold for a RESUME: those
// dispatched after the last sequence number each client sent in a
// HEARTBEAT.
func (s *Server) Replayable() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	n := 0
	for _, sess := range s.gw.sessions {
		for _, f := range sess.buffer {
			if !f.resumed {
				n++
			}
		}
	}
	return n
}

// Heartbeats is the number of HEARTBEATs received (each was acknowledged).
func (s *Server) Heartbeats() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.heartbeats
}

// Connections is the number of open gateway connections that identified or
// resumed.
func (s *Server) Connections() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	n := 0
	for c := range s.gw.conns {
		if c.sess != nil && c.sess.conn == c {
			n++
		}
	}
	return n
}

// WaitIdentify waits until at least n IDENTIFYs have been answered (READY
// and the GUILD_CREATEs sent).
func (s *Server) WaitIdentify(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.Identifies() >= n })
}

// WaitResume waits until at least n RESUMEs have been answered (the replay
// and RESUMED sent).
func (s *Server) WaitResume(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.Resumes() >= n })
}
