package slackfake

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// The fake workspace and app. Builders fill these in where a request leaves
// them empty; Slack-shaped answers (auth.test, hello, permalinks) use them.
const (
	TeamID            = "T0LIAISON"
	TeamDomain        = "liaison-test"
	TeamName          = "Liaison Test"
	AppID             = "A0LIAISON"
	VerificationToken = "fake-verification-token"
)

// Server is a fake Slack. Create it with New and stop it with Close. All its
// methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool
	clock   func() time.Time
	seq     int
	lastTS  int64 // microseconds of the last ts handed out

	token, appToken           string
	botUserID, botName, botID string

	channels   map[string]*channel
	users      map[string]*user
	usergroups map[string]*usergroup
	doctor     doctorState // scopes, archived channels, membership: see doctor.go

	calls    []Call
	injected map[string][]injection
	rates    map[string]*rateRule

	ephemerals []Ephemeral
	views      []*view
	triggers   map[string]*trigger
	files      map[string]*file
	uploads    map[string]string // upload URL token → file id

	responseURLs map[string]responseTarget
	responses    []Response

	sock    socketState
	handler sync.WaitGroup // socket connections still being served

	echo   *echoTarget    // where the bot's own messages come back as events; nil: nowhere
	echoes sync.WaitGroup // deliveries in flight
}

type channel struct {
	id, name string
	isIM     bool
	msgs     []*message // ordered by ts
}

type message struct {
	ts, threadTS      string
	user, botID, text string
	blocks            json.RawMessage
	attachments       json.RawMessage
	metadata          json.RawMessage
	editedTS          string
	broadcast         bool
	reactions         []*reaction
	files             []string
}

type reaction struct {
	name  string
	users []string
}

type user struct {
	id, name string
	isBot    bool
}

type usergroup struct {
	id, handle string
	members    []string
}

// New starts a fake Slack on a local port. Its bot user is U0BOT ("liaison"),
// it accepts any bot token until SetToken and any xapp- token until
// SetAppToken, and its clock is time.Now until SetClock.
func New() *Server {
	s := &Server{
		changed:      make(chan struct{}),
		clock:        time.Now,
		botUserID:    "U0BOT",
		botName:      "liaison",
		botID:        "B0BOT",
		channels:     map[string]*channel{},
		users:        map[string]*user{},
		usergroups:   map[string]*usergroup{},
		injected:     map[string][]injection{},
		rates:        map[string]*rateRule{},
		triggers:     map[string]*trigger{},
		files:        map[string]*file{},
		uploads:      map[string]string{},
		responseURLs: map[string]responseTarget{},
	}
	s.users[s.botUserID] = &user{id: s.botUserID, name: s.botName, isBot: true}
	s.sock.init()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("POST /upload/v1/{token}", s.serveUpload)
	mux.HandleFunc("GET /files/{id}/{name}", s.serveFile)
	mux.HandleFunc("POST /response/{id}", s.serveResponse)
	mux.HandleFunc("GET /link/", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close closes every Socket Mode connection and shuts the server down,
// waiting for the requests in flight.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	var conns []*wsConn
	for c := range s.sock.all {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.conn.Close()
	}
	s.echoes.Wait()
	s.handler.Wait()
	s.srv.Close()
}

// URL is the server's base URL, like "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the Web API base URL, for slack.OptionAPIURL; it ends with "/api/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// SetClock makes the fake read time from now: message timestamps, rate-limit
// buckets, trigger expiry and the At of records. now is called with the
// fake's lock held and must not call back into the Server.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// SetToken makes the Web API accept only this bot token, sent as
// "Authorization: Bearer" or as the token form field (slack-go sends the
// latter for form-encoded methods). Others get invalid_auth.
func (s *Server) SetToken(botToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = botToken
}

// SetAppToken makes apps.connections.open accept only this app-level token
// (by default any token starting with "xapp-").
func (s *Server) SetAppToken(appToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appToken = appToken
}

// SetBotUser renames the bot user that owns the token: messages Liaison posts
// carry this user id.
func (s *Server) SetBotUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, s.botUserID)
	s.botUserID, s.botName = id, name
	s.users[id] = &user{id: id, name: name, isBot: true}
	s.touch()
}

// AddChannel creates a public channel (name without '#'), or renames it.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channels[id]; ok {
		ch.name = name
	} else {
		s.channels[id] = &channel{id: id, name: name}
	}
	s.touch()
}

// AddUser creates a workspace member, or replaces it.
func (s *Server) AddUser(id, name string, isBot bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = &user{id: id, name: name, isBot: isBot}
	s.touch()
}

// AddUsergroup creates a user group (handle without '@') with its members, or
// replaces it.
func (s *Server) AddUsergroup(id, handle string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usergroups[id] = &usergroup{id: id, handle: handle, members: slices.Clone(members)}
	s.touch()
}

// AddMessage puts a message in a channel as if a person had posted it (set
// User; Text, Blocks, ThreadTS, Metadata are used too) and returns its ts,
// m.TS if set. It panics if the channel was not added first.
func (s *Server) AddMessage(m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[m.Channel]
	if ch == nil {
		panic(fmt.Sprintf("slackfake: AddMessage to unknown channel %q; call AddChannel first", m.Channel))
	}
	msg := &message{ts: m.TS, user: m.User, botID: m.BotID, text: m.Text, blocks: m.Blocks, attachments: m.Attachments}
	if m.Metadata != nil {
		msg.metadata, _ = json.Marshal(m.Metadata)
	}
	if msg.ts == "" {
		msg.ts = s.nextTS()
	} else if k, ok := parseTS(msg.ts); ok && k > s.lastTS {
		s.lastTS = k
	}
	s.post(ch, msg, m.ThreadTS, m.ReplyBroadcast)
	s.touch()
	return msg.ts
}

// WaitUntil returns nil as soon as cond reports true, or ctx's error. cond is
// evaluated again after every change of the fake's state (calls, messages,
// responses, acks, connections); it may call the Server's methods.
func (s *Server) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Call is one Web API request as the fake received it.
type Call struct {
	Method string     // e.g. "chat.postMessage"
	Params url.Values // query, form fields, or top-level JSON keys (objects and arrays as JSON text)
	Body   []byte
	Header http.Header
	At     time.Time
}

// Calls returns every Web API call so far, in arrival order, failed ones too.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the calls to one method, in arrival order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Message is a message in a channel as the fake holds it.
type Message struct {
	Channel        string
	TS             string
	ThreadTS       string // empty for a message outside threads; a thread's parent has ThreadTS == TS
	User           string
	BotID          string // set on messages the bot posted
	Text           string
	Blocks         json.RawMessage // as posted, nil if none
	Attachments    json.RawMessage
	Metadata       *slack.SlackMetadata // nil if none
	Edited         bool
	ReplyBroadcast bool
	Reactions      []Reaction
	Files          []File
}

// Reaction is one emoji on a message and who added it.
type Reaction struct {
	Name  string // shortcode, without colons
	Users []string
}

// File is an uploaded file.
type File struct {
	ID       string
	Name     string
	Title    string
	Data     []byte
	Uploaded bool // the bytes reached the upload URL
}

// Messages returns a channel's messages, thread replies included, oldest
// first. Deleted messages are gone.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return nil
	}
	out := make([]Message, 0, len(ch.msgs))
	for _, m := range ch.msgs {
		out = append(out, s.export(ch, m))
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return Message{}, false
	}
	m := ch.find(ts)
	if m == nil {
		return Message{}, false
	}
	return s.export(ch, m), true
}

func (s *Server) export(ch *channel, m *message) Message {
	out := Message{
		Channel: ch.id, TS: m.ts, ThreadTS: m.threadTS, User: m.user, BotID: m.botID, Text: m.text,
		Blocks: slices.Clone(m.blocks), Attachments: slices.Clone(m.attachments),
		Edited: m.editedTS != "", ReplyBroadcast: m.broadcast,
	}
	if len(m.metadata) > 0 {
		var md slack.SlackMetadata
		if json.Unmarshal(m.metadata, &md) == nil {
			out.Metadata = &md
		}
	}
	for _, r := range m.reactions {
		out.Reactions = append(out.Reactions, Reaction{Name: r.name, Users: slices.Clone(r.users)})
	}
	for _, id := range m.files {
		if f := s.files[id]; f != nil {
			out.Files = append(out.Files, f.export())
		}
	}
	return out
}

// Ephemeral is a message shown to one user only (chat.postEphemeral, or a
// response_url answer that is not in_channel).
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
}

// Ephemerals returns the ephemeral messages shown in a channel, oldest first.
func (s *Server) Ephemerals(channelID string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if e.Channel == channelID {
			e.Blocks = slices.Clone(e.Blocks)
			out = append(out, e)
		}
	}
	return out
}

// File returns an uploaded file by id.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[id]
	if f == nil {
		return File{}, false
	}
	return f.export(), true
}

// touch wakes WaitUntil and WaitAck callers. Call with s.mu held.
func (s *Server) touch() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// now reads the clock. Call with s.mu held.
func (s *Server) now() time.Time { return s.clock() }

// nextID returns prefix followed by a fresh number, like "V0000000007".
func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%010d", prefix, s.seq)
}

// nextTS hands out a message ts from the clock, strictly increasing.
func (s *Server) nextTS() string {
	t := s.now().UnixMicro()
	if t <= s.lastTS {
		t = s.lastTS + 1
	}
	s.lastTS = t
	return formatTS(t)
}

func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// parseTS turns "1700000000.000100" (or "1700000000") into microseconds.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if len(frac) > 6 {
		frac = frac[:6]
	}
	frac += strings.Repeat("0", 6-len(frac))
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return n*1e6 + f, true
}

func tsKey(ts string) int64 {
	k, _ := parseTS(ts)
	return k
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (ch *channel) find(ts string) *message {
	for _, m := range ch.msgs {
		if m.ts == ts {
			return m
		}
	}
	return nil
}

func (ch *channel) remove(ts string) {
	ch.msgs = slices.DeleteFunc(ch.msgs, func(m *message) bool { return m.ts == ts })
}

// post stores m in ch, in a thread if threadTS names a message there, as
// Slack does: a reply to a reply joins the parent's thread, and a reply to a
// message that does not exist is posted outside any thread.
func (s *Server) post(ch *channel, m *message, threadTS string, broadcast bool) {
	if threadTS != "" {
		if parent := ch.find(threadTS); parent != nil {
			if parent.threadTS != "" && parent.threadTS != parent.ts {
				parent = ch.find(parent.threadTS)
			}
			if parent != nil {
				parent.threadTS = parent.ts
				m.threadTS = parent.ts
				m.broadcast = broadcast
			}
		}
	}
	ch.msgs = append(ch.msgs, m)
	slices.SortStableFunc(ch.msgs, func(a, b *message) int { return cmp.Compare(tsKey(a.ts), tsKey(b.ts)) })
}
