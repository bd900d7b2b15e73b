package discordfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds a request body the fake reads.
const maxBody = 16 << 20

// routes builds the fake's HTTP handler: the REST API under /api/v9/ and
// /api/v10/, the gateway at /ws.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request)) {
		api.HandleFunc(pattern, h)
	}
	handle("GET /gateway", s.getGateway)
	handle("GET /gateway/bot", s.getGatewayBot)
	handle("GET /users/@me", s.getMe)
	handle("GET /users/{user}", s.getUser)

	handle("GET /channels/{channel}", s.getChannel)
	handle("PATCH /channels/{channel}", s.patchChannel)
	handle("POST /channels/{channel}/messages", s.postMessage)
	handle("GET /channels/{channel}/messages", s.getMessages)
	handle("GET /channels/{channel}/threads/archived/public", s.getArchivedThreads)
	handle("POST /channels/{channel}/threads", s.postThread)
	handle("GET /channels/{channel}/messages/{message}", s.getMessage)
	handle("PATCH /channels/{channel}/messages/{message}", s.patchMessage)
	handle("DELETE /channels/{channel}/messages/{message}", s.deleteMessage)
	handle("POST /channels/{channel}/messages/bulk-delete", s.bulkDelete)
	handle("PUT /channels/{channel}/messages/{message}/reactions/{emoji}/{user}", s.putReaction)
	handle("DELETE /channels/{channel}/messages/{message}/reactions/{emoji}/{user}", s.deleteReaction)

	handle("GET /guilds/{guild}", s.getGuild)
	handle("GET /guilds/{guild}/roles", s.getRoles)
	handle("GET /guilds/{guild}/channels", s.getGuildChannels)
	handle("GET /guilds/{guild}/threads/active", s.getActiveThreads)
	handle("GET /guilds/{guild}/members", s.getMembers)
	handle("GET /guilds/{guild}/members/{user}", s.getMember)
	handle("PATCH /guilds/{guild}/members/{user}", s.patchMember)
	handle("DELETE /guilds/{guild}/members/{user}", s.kickMember)
	handle("PUT /guilds/{guild}/members/{user}/roles/{role}", s.putMemberRole)
	handle("DELETE /guilds/{guild}/members/{user}/roles/{role}", s.deleteMemberRole)
	handle("GET /guilds/{guild}/audit-logs", s.getAuditLog)
	handle("GET /guilds/{guild}/invites", s.getInvites)
	handle("POST /users/@me/channels", s.createDM)
	handle("GET /guilds/{guild}/bans", s.getBans)
	handle("GET /guilds/{guild}/bans/{user}", s.getBan)
	handle("PUT /guilds/{guild}/bans/{user}", s.putBan)
	handle("DELETE /guilds/{guild}/bans/{user}", s.deleteBan)

	handle("GET /applications/@me", s.getApplication)
	handle("GET /applications/{app}/commands", s.getCommands)
	handle("PUT /applications/{app}/commands", s.putCommands)
	handle("GET /applications/{app}/guilds/{guild}/commands", s.getCommands)
	handle("PUT /applications/{app}/guilds/{guild}/commands", s.putCommands)

	handle("POST /interactions/{interaction}/{token}/callback", s.interactionCallback)
	handle("POST /webhooks/{app}/{token}", s.postFollowup)
	handle("GET /webhooks/{app}/{token}/messages/{message}", s.getWebhookMessage)
	handle("PATCH /webhooks/{app}/{token}/messages/{message}", s.patchWebhookMessage)
	handle("DELETE /webhooks/{app}/{token}/messages/{message}", s.deleteWebhookMessage)

	handle("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, APIError{Code: 0, Message: "404: Not Found"})
	})

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" || r.URL.Path == "/ws/" {
			s.serveGateway(w, r)
			return
		}
		version, rest, ok := apiPath(r.URL.Path)
		if !ok {
			writeJSON(w, http.StatusNotFound, APIError{Code: 0, Message: "404: Not Found"})
			return
		}
		s.serveAPI(w, r, api, version, rest)
	})
}

// apiPath splits "/api/v10/channels/1" into "10" and "/channels/1".
func apiPath(p string) (version, rest string, ok bool) {
	after, ok := strings.CutPrefix(p, "/api/v")
	if !ok {
		return "", "", false
	}
	version, rest, ok = strings.Cut(after, "/")
	if !ok || (version != "9" && version != "10") {
		return "", "", false
	}
	return version, "/" + rest, true
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, api *http.ServeMux, version, path string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Code: 50109, Message: "The request body contains invalid JSON."})
		return
	}
	// Route on the path without the version prefix.
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	if raw := r.URL.RawPath; raw != "" {
		_, rawRest, _ := apiPath(raw)
		r2.URL.RawPath = rawRest
	}
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))

	reason := r.Header.Get("X-Audit-Log-Reason")
	if dec, err := url.PathUnescape(reason); err == nil {
		reason = dec
	}
	rec := &statusRecorder{ResponseWriter: w}
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{
		Method: r.Method, Path: path, Version: version, Query: r.URL.Query(),
		Body: body, Header: r.Header.Clone(), AuditLogReason: reason, At: time.Now(),
	})
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.calls[idx].Status = rec.status
		s.mu.Unlock()
		s.signal()
	}()

	if !s.authorized(r2) {
		writeJSON(rec, http.StatusUnauthorized, APIError{Code: 0, Message: "401: Unauthorized"})
		return
	}
	_, pattern := api.Handler(r2)
	bucketKey := s.bucketKey(r2.Method, pattern, path)

	s.mu.Lock()
	f, faulted := s.takeFault(r.Method, path)
	s.mu.Unlock()
	if faulted {
		s.writeFault(rec, f, bucketKey)
		return
	}
	s.rateLimitHeaders(rec.Header(), bucketKey)
	api.ServeHTTP(rec, r2)
}

// authorized checks "Authorization: Bot <token>". Interaction callbacks and
// webhook-token routes are authenticated by their token, as on Discord, and
// GET /gateway needs no token.
func (s *Server) authorized(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/interactions/") || (strings.HasPrefix(p, "/webhooks/") && strings.Count(p, "/") >= 3) {
		return true
	}
	if r.Method == http.MethodGet && p == "/gateway" {
		return true
	}
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bot ")
	return ok && s.tokenOK(token)
}

// bucketKey names a rate-limit bucket: the route with its major parameters
// (channel, guild, webhook and interaction ids) filled in.
func (s *Server) bucketKey(method, pattern, path string) string {
	_, tmpl, _ := strings.Cut(pattern, " ")
	if tmpl == "" || tmpl == "/" {
		return method + " " + path
	}
	ps := strings.Split(strings.Trim(tmpl, "/"), "/")
	vs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(vs) {
		return method + " " + path
	}
	for i, p := range ps {
		switch p {
		case "{channel}", "{guild}", "{app}", "{token}", "{interaction}":
			ps[i] = vs[i]
		}
	}
	return method + " /" + strings.Join(ps, "/")
}

type bucket struct {
	hash  string
	start time.Time
	used  int
}

// rateLimitHeaders counts the call against its bucket and sets the
// X-RateLimit-* headers Discord sends.
func (s *Server) rateLimitHeaders(h http.Header, key string) {
	s.mu.Lock()
	b := s.buckets[key]
	now := time.Now()
	if b == nil {
		sum := sha256.Sum256([]byte(key))
		b = &bucket{hash: hex.EncodeToString(sum[:16]), start: now}
		s.buckets[key] = b
	}
	if now.Sub(b.start) >= s.rlWindow {
		b.start, b.used = now, 0
	}
	b.used++
	remaining := max(s.rlLimit-b.used, 0)
	reset := b.start.Add(s.rlWindow)
	s.mu.Unlock()
	setRateLimit(h, s.rlLimit, remaining, reset, b.hash)
}

func setRateLimit(h http.Header, limit, remaining int, reset time.Time, hash string) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(max(time.Until(reset).Seconds(), 0), 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", hash)
}

func (s *Server) writeFault(w http.ResponseWriter, f fault, key string) {
	if f.retryAfter <= 0 {
		if f.status == 0 {
			f.status = http.StatusInternalServerError
		}
		if len(f.body) > 0 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.status)
		w.Write(f.body)
		return
	}
	secs := f.retryAfter.Seconds()
	sum := sha256.Sum256([]byte(key))
	h := w.Header()
	setRateLimit(h, s.rlLimit, 0, time.Now().Add(f.retryAfter), hex.EncodeToString(sum[:16]))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	if f.global {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
	} else {
		h.Set("X-RateLimit-Scope", "user")
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message": "You are being rate limited.", "retry_after": secs, "global": f.global, "code": 0,
	})
}

// ---- Helpers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, APIError{Code: code, Message: msg})
}

// writeFormErr answers 400 Invalid Form Body with Discord's nested errors
// object; path is the field path, e.g. "content" or "0.options.1".
func writeFormErr(w http.ResponseWriter, path, code, msg string) {
	var errs any = map[string]any{"_errors": []any{map[string]string{"code": code, "message": msg}}}
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		errs = map[string]any{parts[i]: errs}
	}
	writeJSON(w, http.StatusBadRequest, APIError{Code: CodeInvalidFormBody, Message: "Invalid Form Body", Errors: errs.(map[string]any)})
}

// decodeBody decodes a JSON body, or the payload_json part of a multipart
// one. It answers 400 itself and returns false on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	if err == nil {
		if mt, params, perr := mime.ParseMediaType(r.Header.Get("Content-Type")); perr == nil && mt == "multipart/form-data" {
			b, err = payloadJSON(b, params["boundary"])
		}
	}
	if err == nil {
		if len(bytes.TrimSpace(b)) == 0 {
			b = []byte("{}")
		}
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeErr(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return false
	}
	return true
}

func payloadJSON(body []byte, boundary string) ([]byte, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no payload_json part: %w", err)
		}
		if p.FormName() == "payload_json" {
			return io.ReadAll(p)
		}
	}
}

// ---- Gateway discovery and users ----

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"url": s.GatewayURL()})
}

func (s *Server) getGatewayBot(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"url": s.GatewayURL(), "shards": 1,
		"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
	})
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userJSON(s.botID)
	u["verified"], u["mfa_enabled"], u["flags"] = true, false, 0
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("user")
	if _, ok := s.users[id]; !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownUser, "Unknown User")
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(id))
}

// ---- Channels ----

// channelOr404 returns the channel named by the path, or answers 404.
// Called with mu held.
func (s *Server) channelOr404(w http.ResponseWriter, r *http.Request) *channelState {
	c, ok := s.channels[r.PathValue("channel")]
	if !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
		return nil
	}
	return c
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channelOr404(w, r); c != nil {
		if c.Type == ChannelTypeDM {
			writeJSON(w, http.StatusOK, s.dmChannelJSON(c))
			return
		}
		writeJSON(w, http.StatusOK, channelJSON(c, true))
	}
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelOr404(w, r)
	if c == nil {
		return
	}
	var body struct {
		Name             *string `json:"name"`
		Topic            *string `json:"topic"`
		NSFW             *bool   `json:"nsfw"`
		RateLimitPerUser *int    `json:"rate_limit_per_user"`
		ParentID         *string `json:"parent_id"`
		Position         *int    `json:"position"`
		forumPatch
	}
	if !decodeBody(w, r, &body) {
		return
	}
	applyForum, ok := s.patchForum(w, c, &body.forumPatch)
	if !ok {
		return
	}
	if body.RateLimitPerUser != nil && (*body.RateLimitPerUser < 0 || *body.RateLimitPerUser > 21600) {
		writeFormErr(w, "rate_limit_per_user", "NUMBER_TYPE_MAX", "int value should be less than or equal to 21600.")
		return
	}
	if body.Name != nil && (len(*body.Name) < 1 || len(*body.Name) > 100) {
		writeFormErr(w, "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		return
	}
	if body.Name != nil {
		c.Name = *body.Name
	}
	if body.Topic != nil {
		c.Topic = *body.Topic
	}
	if body.NSFW != nil {
		c.NSFW = *body.NSFW
	}
	if body.RateLimitPerUser != nil {
		c.RateLimitPerUser = *body.RateLimitPerUser
	}
	if body.ParentID != nil {
		c.ParentID = *body.ParentID
	}
	if body.Position != nil {
		c.Position = *body.Position
	}
	applyForum()
	out := channelJSON(c, true)
	s.dispatch("CHANNEL_UPDATE", func(*gwSession) any { return out })
	writeJSON(w, http.StatusOK, out)
}

// ---- Messages ----

// messageBody is what POST and PATCH accept for a message.
type messageBody struct {
	Content          *string           `json:"content"`
	Nonce            json.RawMessage   `json:"nonce"`
	EnforceNonce     bool              `json:"enforce_nonce"`
	TTS              bool              `json:"tts"`
	Embeds           json.RawMessage   `json:"embeds"`
	Components       json.RawMessage   `json:"components"`
	AllowedMentions  json.RawMessage   `json:"allowed_mentions"`
	MessageReference *MessageReference `json:"message_reference"`
	StickerIDs       []string          `json:"sticker_ids"`
	Poll             json.RawMessage   `json:"poll"`
	Flags            *int              `json:"flags"`
	Attachments      json.RawMessage   `json:"attachments"`
}

// validate applies Discord's checks on message fields; it answers 400 and
// returns false on failure. create is true for a new message.
func (b *messageBody) validate(w http.ResponseWriter, create bool, multipart bool) bool {
	if b.Content != nil && len([]rune(*b.Content)) > 2000 {
		writeFormErr(w, "content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
		return false
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		max  int
	}{{"embeds", b.Embeds, 10}, {"components", b.Components, 5}} {
		if isNull(f.raw) {
			continue
		}
		var arr []json.RawMessage
		if json.Unmarshal(f.raw, &arr) != nil {
			writeFormErr(w, f.name, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
			return false
		}
		if len(arr) > f.max {
			writeFormErr(w, f.name, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", f.max))
			return false
		}
	}
	if !isNull(b.AllowedMentions) {
		var am allowedMentions
		if json.Unmarshal(b.AllowedMentions, &am) != nil {
			writeFormErr(w, "allowed_mentions", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
			return false
		}
		for _, p := range am.Parse {
			if (p == "users" && len(am.Users) > 0) || (p == "roles" && len(am.Roles) > 0) {
				writeFormErr(w, "allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", fmt.Sprintf("parse:[\"%s\"] and %s: [ids...] are mutually exclusive.", p, p))
				return false
			}
		}
	}
	if create {
		if !isNull(b.Nonce) {
			var str string
			var num json.Number
			if json.Unmarshal(b.Nonce, &str) == nil {
				if len(str) > 25 {
					writeFormErr(w, "nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
					return false
				}
			} else if json.Unmarshal(b.Nonce, &num) != nil {
				writeFormErr(w, "nonce", "NONCE_TYPE_INVALID", "Nonce must be a string or an integer.")
				return false
			}
		}
		empty := (b.Content == nil || *b.Content == "") && isEmptyArray(b.Embeds) && isEmptyArray(b.Components) &&
			len(b.StickerIDs) == 0 && isNull(b.Poll) && !multipart
		if empty {
			writeErr(w, http.StatusBadRequest, CodeEmptyMessage, "Cannot send an empty message")
			return false
		}
	}
	return true
}

func isEmptyArray(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return isNull(raw) || bytes.Equal(t, []byte("[]"))
}

func nonceString(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	return string(bytes.TrimSpace(raw))
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelOr404(w, r)
	if c == nil {
		return
	}
	var b messageBody
	if !decodeBody(w, r, &b) || !b.validate(w, true, isMultipart(r)) {
		return
	}
	if c.Type == ChannelTypeGuildCategory || c.Type == ChannelTypeGuildForum {
		writeErr(w, http.StatusBadRequest, CodeNonTextChannel, "Cannot send messages in a non-text channel")
		return
	}
	if c.Type == ChannelTypeDM && s.blocked[c.recipient] {
		writeErr(w, http.StatusForbidden, CodeCannotSendToUser, "Cannot send messages to this user")
		return
	}
	if ref := b.MessageReference; ref != nil {
		if ref.ChannelID == "" {
			ref.ChannelID = c.ID
		}
		if ref.GuildID == "" {
			ref.GuildID = c.GuildID
		}
		target, ok := s.channels[ref.ChannelID]
		exists := ok && target.byID[ref.MessageID] != nil
		if !exists {
			if ref.FailIfNotExists == nil || *ref.FailIfNotExists {
				writeFormErr(w, "message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
				return
			}
			b.MessageReference = nil
		}
	}
	nonce := nonceString(b.Nonce)
	if b.EnforceNonce && nonce != "" {
		if e, ok := c.nonces[nonce]; ok && s.now().Sub(e.at) < s.nonceWindow {
			if orig, ok := c.byID[e.messageID]; ok {
				writeJSON(w, http.StatusOK, s.messageJSON(orig, messageView{nonce: true}))
				return
			}
		}
	}
	m := &Message{
		ID: s.newID(), ChannelID: c.ID, GuildID: c.GuildID, AuthorID: s.botID,
		Embeds: nullToNil(b.Embeds), Components: nullToNil(b.Components),
		AllowedMentions: nullToNil(b.AllowedMentions), Reference: b.MessageReference,
		Nonce: nonce, EnforceNonce: b.EnforceNonce, nonceRaw: nullToNil(b.Nonce),
		TTS: b.TTS, Timestamp: s.now().UTC(),
	}
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Flags != nil {
		m.Flags = *b.Flags &^ 64 // ephemeral is for interaction responses only
	}
	c.insert(m)
	if nonce != "" {
		c.nonces[nonce] = nonceEntry{messageID: m.ID, at: s.now()}
	}
	s.echoMessage("MESSAGE_CREATE", m)
	writeJSON(w, http.StatusOK, s.messageJSON(m, messageView{nonce: true}))
}

func nullToNil(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	return append(json.RawMessage(nil), raw...)
}

// echoMessage dispatches a MESSAGE_CREATE or MESSAGE_UPDATE for m, stripped
// of its content for sessions without the MESSAGE_CONTENT intent. Called
// with mu held.
func (s *Server) echoMessage(eventType string, m *Message) {
	// Each view is encoded once, when a session first needs it.
	var with, without json.RawMessage
	encode := func(v messageView) json.RawMessage {
		b, err := json.Marshal(s.messageJSON(m, v))
		if err != nil {
			panic(fmt.Sprintf("discordfake: encoding %s: %v", eventType, err))
		}
		return b
	}
	need := eventIntent[eventType]
	if m.GuildID == "" {
		// A direct message: DIRECT_MESSAGES, and its content is always sent.
		need = IntentDirectMessages
	}
	s.dispatchNeeding(eventType, need, func(sess *gwSession) any {
		if sess.intents&IntentMessageContent != 0 || m.GuildID == "" {
			if with == nil {
				with = encode(messageView{gateway: true})
			}
			return with
		}
		if without == nil {
			without = encode(messageView{gateway: true, noContent: true})
		}
		return without
	})
}

func (s *Server) getMessages(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelOr404(w, r)
	if c == nil {
		return
	}
	q := r.URL.Query()
	limit, ok := queryLimit(w, q, 50, 1, 100)
	if !ok {
		return
	}
	msgs := c.messages // ascending
	var page []*Message
	switch {
	case q.Get("around") != "":
		id := q.Get("around")
		i := 0
		for i < len(msgs) && snowflakeLess(msgs[i].ID, id) {
			i++
		}
		// around: up to limit/2 older ones, the message itself if it exists,
		// then newer ones up to limit in all.
		lo := max(i-limit/2, 0)
		hi := min(lo+limit, len(msgs))
		page = msgs[lo:hi]
	case q.Get("before") != "":
		id := q.Get("before")
		i := 0
		for i < len(msgs) && snowflakeLess(msgs[i].ID, id) {
			i++
		}
		page = msgs[max(i-limit, 0):i]
	case q.Get("after") != "":
		id := q.Get("after")
		i := 0
		for i < len(msgs) && !snowflakeLess(id, msgs[i].ID) {
			i++
		}
		page = msgs[i:min(i+limit, len(msgs))]
	default:
		page = msgs[max(len(msgs)-limit, 0):]
	}
	out := make([]any, 0, len(page))
	for i := len(page) - 1; i >= 0; i-- { // newest first, as Discord returns them
		out = append(out, s.messageJSON(page[i], messageView{}))
	}
	writeJSON(w, http.StatusOK, out)
}

// messageOr404 returns the message named by the path, or answers 404.
// Called with mu held.
func (s *Server) messageOr404(w http.ResponseWriter, r *http.Request) (*channelState, *Message) {
	c := s.channelOr404(w, r)
	if c == nil {
		return nil, nil
	}
	m, ok := c.byID[r.PathValue("message")]
	if !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownMessage, "Unknown Message")
		return nil, nil
	}
	return c, m
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, m := s.messageOr404(w, r); m != nil {
		writeJSON(w, http.StatusOK, s.messageJSON(m, messageView{}))
	}
}

func (s *Server) patchMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.messageOr404(w, r)
	if m == nil {
		return
	}
	var b messageBody
	if !decodeBody(w, r, &b) || !b.validate(w, false, false) {
		return
	}
	if m.AuthorID != s.botID {
		writeErr(w, http.StatusForbidden, CodeCannotEditOthers, "Cannot edit a message authored by another user")
		return
	}
	s.applyEdit(m, &b)
	s.echoMessage("MESSAGE_UPDATE", m)
	writeJSON(w, http.StatusOK, s.messageJSON(m, messageView{}))
}

// applyEdit changes the fields an edit names. Called with mu held.
func (s *Server) applyEdit(m *Message, b *messageBody) {
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Embeds != nil {
		m.Embeds = nullToNil(b.Embeds)
	}
	if b.Components != nil {
		m.Components = nullToNil(b.Components)
	}
	if b.AllowedMentions != nil {
		m.AllowedMentions = nullToNil(b.AllowedMentions)
	}
	if b.Flags != nil {
		m.Flags = *b.Flags | m.Flags&64
	}
	m.Flags &^= 128 // no longer "thinking"
	t := s.now().UTC()
	m.EditedTimestamp = &t
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.messageOr404(w, r)
	if m == nil {
		return
	}
	c.remove(m.ID)
	s.dispatch("MESSAGE_DELETE", func(*gwSession) any {
		return map[string]any{"id": m.ID, "channel_id": c.ID, "guild_id": nullable(c.GuildID)}
	})
	writeNoContent(w)
}

// bulkDeleteMaxAge is Discord's limit on the age of bulk-deleted messages.
const bulkDeleteMaxAge = 14 * 24 * time.Hour

func (s *Server) bulkDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelOr404(w, r)
	if c == nil {
		return
	}
	var body struct {
		Messages []string `json:"messages"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body.Messages) < 2 || len(body.Messages) > 100 {
		writeFormErr(w, "messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
		return
	}
	for _, id := range body.Messages {
		at, ok := SnowflakeTime(id)
		if !ok {
			writeFormErr(w, "messages", "NUMBER_TYPE_COERCE", fmt.Sprintf("Value \"%s\" is not snowflake.", id))
			return
		}
		if s.now().Sub(at) > bulkDeleteMaxAge {
			writeErr(w, http.StatusBadRequest, CodeBulkDeleteTooOld, "You can only bulk delete messages that are under 14 days old.")
			return
		}
	}
	var deleted []string
	for _, id := range body.Messages {
		if c.remove(id) {
			deleted = append(deleted, id)
		}
	}
	if len(deleted) > 0 {
		s.dispatch("MESSAGE_DELETE_BULK", func(*gwSession) any {
			return map[string]any{"ids": deleted, "channel_id": c.ID, "guild_id": nullable(c.GuildID)}
		})
	}
	writeNoContent(w)
}

// ---- Reactions ----

func (s *Server) putReaction(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("user") != "@me" {
		writeErr(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.messageOr404(w, r)
	if m == nil {
		return
	}
	emoji := r.PathValue("emoji")
	if emoji == "" {
		writeErr(w, http.StatusBadRequest, 10014, "Unknown Emoji")
		return
	}
	if s.addReaction(c, m, s.botID, emoji) {
		s.echoReaction("MESSAGE_REACTION_ADD", c, m, s.botID, emoji)
	}
	writeNoContent(w)
}

func (s *Server) deleteReaction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.messageOr404(w, r)
	if m == nil {
		return
	}
	user := r.PathValue("user")
	if user == "@me" {
		user = s.botID
	}
	emoji := r.PathValue("emoji")
	if s.removeReaction(m, user, emoji) {
		s.echoReaction("MESSAGE_REACTION_REMOVE", c, m, user, emoji)
	}
	writeNoContent(w)
}

// addReaction records a reaction; false when it was already there. Called
// with mu held.
func (s *Server) addReaction(c *channelState, m *Message, userID, emoji string) bool {
	for i := range m.Reactions {
		if m.Reactions[i].Emoji == emoji {
			for _, u := range m.Reactions[i].UserIDs {
				if u == userID {
					return false
				}
			}
			m.Reactions[i].UserIDs = append(m.Reactions[i].UserIDs, userID)
			return true
		}
	}
	m.Reactions = append(m.Reactions, Reaction{Emoji: emoji, UserIDs: []string{userID}})
	return true
}

func (s *Server) removeReaction(m *Message, userID, emoji string) bool {
	for i := range m.Reactions {
		if m.Reactions[i].Emoji != emoji {
			continue
		}
		for j, u := range m.Reactions[i].UserIDs {
			if u == userID {
				m.Reactions[i].UserIDs = append(m.Reactions[i].UserIDs[:j], m.Reactions[i].UserIDs[j+1:]...)
				if len(m.Reactions[i].UserIDs) == 0 {
					m.Reactions = append(m.Reactions[:i], m.Reactions[i+1:]...)
				}
				return true
			}
		}
	}
	return false
}

func (s *Server) echoReaction(eventType string, c *channelState, m *Message, userID, emoji string) {
	d := map[string]any{
		"user_id": userID, "channel_id": c.ID, "message_id": m.ID,
		"emoji": emojiJSON(emoji), "burst": false, "type": 0,
	}
	if c.GuildID != "" {
		d["guild_id"] = c.GuildID
		if eventType == "MESSAGE_REACTION_ADD" {
			if mem, ok := s.guilds[c.GuildID].members[userID]; ok {
				d["member"] = s.memberJSON(mem, true)
			}
			d["message_author_id"] = m.AuthorID
		}
	}
	s.dispatch(eventType, func(*gwSession) any { return d })
}

// queryLimit reads the limit query parameter: def when absent, refused as
// Discord refuses it when not a number from lo to hi.
func queryLimit(w http.ResponseWriter, q url.Values, def, lo, hi int) (int, bool) {
	v := q.Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		msg := fmt.Sprintf("int value should be less than or equal to %d.", hi)
		if lo > 1 {
			msg = fmt.Sprintf("int value should be between %d and %d.", lo, hi)
		}
		writeFormErr(w, "limit", "NUMBER_TYPE_MAX", msg)
		return 0, false
	}
	return n, true
}
