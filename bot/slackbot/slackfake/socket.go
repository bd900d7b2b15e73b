package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// Socket Mode envelope types, as Slack names them.
const (
	EnvelopeEventsAPI     = "events_api"
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
)

const (
	// socketPingInterval is how often the fake pings each connection.
	// slack-go's socketmode client reconnects when no ping arrives within its
	// OptionPingInterval (30 s by default).
	socketPingInterval = 5 * time.Second
	socketWriteTimeout = 10 * time.Second
)

type socketState struct {
	tickets   map[string]bool // from apps.connections.open, each good for one dial
	all       map[*wsConn]bool
	conns     []*wsConn // said hello, not yet closed, in connection order
	hellos    int
	envelopes map[string]*envelope
	pending   []*envelope // waiting for a connection
	acks      map[string]json.RawMessage
}

func (ss *socketState) init() {
	ss.tickets = map[string]bool{}
	ss.all = map[*wsConn]bool{}
	ss.envelopes = map[string]*envelope{}
	ss.acks = map[string]json.RawMessage{}
}

type wsConn struct {
	conn     *websocket.Conn
	write    sync.Mutex // gorilla/websocket allows one writer at a time
	draining bool       // sent "disconnect"; guarded by Server.mu
}

func (c *wsConn) send(b []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(socketWriteTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

type envelope struct {
	id, kind        string
	payload         json.RawMessage
	acceptsResponse bool
	retryAttempt    int
	retryReason     string
	on              *wsConn // the connection it was last written to
}

// wire renders the envelope as Slack sends it. Call with Server.mu held.
func (e *envelope) wire() []byte {
	m := obj{"envelope_id": e.id, "type": e.kind, "payload": e.payload, "accepts_response_payload": e.acceptsResponse}
	if e.kind == EnvelopeEventsAPI {
		m["retry_attempt"] = e.retryAttempt
		m["retry_reason"] = e.retryReason
	}
	b, _ := json.Marshal(m)
	return b
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket is the WebSocket URL apps.connections.open hands out.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.sock.tickets[ticket] && !s.closed
	delete(s.sock.tickets, ticket)
	if valid {
		s.handler.Add(1)
	}
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	defer s.handler.Done()
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	s.runSocket(&wsConn{conn: conn})
}

// runSocket serves one Socket Mode connection until it closes: hello, the
// envelopes sent to it, pings, and the client's acks.
func (s *Server) runSocket(c *wsConn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.conn.Close()
		return
	}
	s.sock.all[c] = true
	s.mu.Unlock()
	defer s.dropSocket(c)

	// Hello first, then what queued while nobody was connected; the write
	// lock keeps SendEnvelope from slipping in before hello.
	c.write.Lock()
	s.mu.Lock()
	hello, _ := json.Marshal(obj{
		"type":            "hello",
		"num_connections": len(s.sock.conns) + 1,
		"debug_info":      obj{"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": obj{"app_id": AppID},
	})
	s.mu.Unlock()
	if err := c.send(hello); err != nil {
		c.write.Unlock()
		return
	}
	s.mu.Lock()
	s.sock.conns = append(s.sock.conns, c)
	s.sock.hellos++
	batch := s.takePending(c)
	s.touch()
	s.mu.Unlock()
	s.writeBatch(c, batch)
	c.write.Unlock()

	done := make(chan struct{})
	var pinger sync.WaitGroup
	pinger.Go(func() {
		ticker := time.NewTicker(socketPingInterval)
		defer ticker.Stop()
		for {
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(socketWriteTimeout)); err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-ticker.C:
			}
		}
	})
	defer func() {
		close(done)
		pinger.Wait()
	}()

	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		if string(ack.Payload) == "null" {
			ack.Payload = nil
		}
		s.mu.Lock()
		if _, dup := s.sock.acks[ack.EnvelopeID]; !dup {
			s.sock.acks[ack.EnvelopeID] = ack.Payload
		}
		s.touch()
		s.mu.Unlock()
	}
}

// dropSocket forgets a closed connection. Events API envelopes it did not
// ack are delivered again, as Slack retries them, with retry_attempt
// counted up; slash commands and interactions are not retried.
func (s *Server) dropSocket(c *wsConn) {
	_ = c.conn.Close()
	s.mu.Lock()
	delete(s.sock.all, c)
	s.sock.conns = slices.DeleteFunc(s.sock.conns, func(x *wsConn) bool { return x == c })
	for _, e := range s.sock.envelopes {
		if e.on != c {
			continue
		}
		e.on = nil
		if _, acked := s.sock.acks[e.id]; !acked && e.kind == EnvelopeEventsAPI {
			e.retryAttempt++
			e.retryReason = "timeout"
			s.sock.pending = append(s.sock.pending, e)
		}
	}
	s.touch()
	s.mu.Unlock()
	s.dispatch()
}

type outgoing struct {
	env  *envelope
	wire []byte
}

// takePending assigns every queued envelope to c. Call with s.mu held.
func (s *Server) takePending(c *wsConn) []outgoing {
	var batch []outgoing
	for _, e := range s.sock.pending {
		e.on = c
		batch = append(batch, outgoing{e, e.wire()})
	}
	s.sock.pending = nil
	return batch
}

// writeBatch writes envelopes to c, holding c.write. What cannot be written
// goes back to the queue.
func (s *Server) writeBatch(c *wsConn, batch []outgoing) {
	for i, o := range batch {
		if err := c.send(o.wire); err != nil {
			s.mu.Lock()
			var back []*envelope
			for _, o := range batch[i:] {
				o.env.on = nil
				back = append(back, o.env)
			}
			s.sock.pending = append(back, s.sock.pending...)
			s.mu.Unlock()
			return
		}
	}
}

// dispatch sends the queued envelopes to the newest connection that is not
// draining, if there is one.
func (s *Server) dispatch() {
	s.mu.Lock()
	var c *wsConn
	for _, x := range slices.Backward(s.sock.conns) {
		if !x.draining {
			c = x
			break
		}
	}
	if c == nil || len(s.sock.pending) == 0 {
		s.mu.Unlock()
		return
	}
	batch := s.takePending(c)
	s.mu.Unlock()
	c.write.Lock()
	defer c.write.Unlock()
	s.writeBatch(c, batch)
}

// SendEnvelope delivers payload over Socket Mode as an envelope of kind
// (EnvelopeEventsAPI, EnvelopeSlashCommands, EnvelopeInteractive) and returns
// its envelope_id. With no connection open it waits in a queue for the next
// one. accepts_response_payload is true for slash commands, view submissions
// and block suggestions, as in Slack.
//
// For events_api pass EventCallback's result. A slack.SlashCommand or
// slack.InteractionCallback (value or pointer) gets the same defaults as the
// HTTP builders (team, app, trigger_id, response_url on this fake); any other
// payload is sent as its JSON. It panics if payload cannot be encoded.
func (s *Server) SendEnvelope(kind string, payload any) (envelopeID string) {
	raw, accepts := s.encodePayload(payload)
	if kind == EnvelopeSlashCommands {
		accepts = true
	}
	e := &envelope{id: newUUID(), kind: kind, payload: raw, acceptsResponse: accepts && kind != EnvelopeEventsAPI}
	s.mu.Lock()
	s.sock.envelopes[e.id] = e
	s.sock.pending = append(s.sock.pending, e)
	s.touch()
	s.mu.Unlock()
	s.dispatch()
	return e.id
}

// encodePayload renders a payload, filling the defaults of slash commands and
// interactions; accepts reports an interaction that takes a response payload.
func (s *Server) encodePayload(payload any) (raw json.RawMessage, accepts bool) {
	var err error
	switch p := payload.(type) {
	case json.RawMessage:
		return p, false
	case []byte:
		return p, false
	case slack.SlashCommand:
		raw, err = json.Marshal(s.fillSlashCommand(p))
	case *slack.SlashCommand:
		raw, err = json.Marshal(s.fillSlashCommand(*p))
	case slack.InteractionCallback:
		raw, accepts, err = s.encodeInteraction(p)
	case *slack.InteractionCallback:
		raw, accepts, err = s.encodeInteraction(*p)
	default:
		raw, err = json.Marshal(payload)
	}
	if err != nil {
		panic(fmt.Sprintf("slackfake: encode %T: %v", payload, err))
	}
	return raw, accepts
}

func (s *Server) encodeInteraction(ic slack.InteractionCallback) (json.RawMessage, bool, error) {
	ic = s.fillInteraction(ic)
	// InteractionCallback's MarshalJSON has a pointer receiver: marshal a
	// pointer, or the state field is lost.
	raw, err := json.Marshal(&ic)
	accepts := ic.Type == slack.InteractionTypeViewSubmission || ic.Type == slack.InteractionTypeBlockSuggestion
	return raw, accepts, err
}

// WaitAck waits for the client to acknowledge an envelope and returns the
// payload it sent with the ack (nil if none), or ctx's error.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (json.RawMessage, error) {
	var payload json.RawMessage
	err := s.WaitUntil(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, ok := s.sock.acks[envelopeID]
		payload = p
		return ok
	})
	return payload, err
}

// WaitConnections waits until n Socket Mode connections in all have said
// hello (a reconnect counts as one more), or ctx is done.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.WaitUntil(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.sock.hellos >= n
	})
}

// Disconnect asks every open Socket Mode connection to go away, as Slack does
// before it recycles a server: {"type":"disconnect","reason":"refresh_requested"}.
// Those connections get no more envelopes; slack-go's client then calls
// apps.connections.open again and dials the new URL.
func (s *Server) Disconnect() {
	msg, _ := json.Marshal(obj{"type": "disconnect", "reason": "refresh_requested", "debug_info": obj{"host": "applink-fake"}})
	s.mu.Lock()
	var targets []*wsConn
	for _, c := range s.sock.conns {
		if !c.draining {
			c.draining = true
			targets = append(targets, c)
		}
	}
	s.touch()
	s.mu.Unlock()
	for _, c := range targets {
		c.write.Lock()
		_ = c.send(msg)
		c.write.Unlock()
	}
}

func newUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
