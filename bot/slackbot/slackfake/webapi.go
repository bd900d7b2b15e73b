package slackfake

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// obj is a JSON object in an answer.
type obj = map[string]any

// apiRequest is a Web API call, parsed.
type apiRequest struct {
	method string
	params url.Values
}

// apiMethod answers a call with the fields of a successful answer, or an
// error code. It runs with s.mu held.
type apiMethod func(s *Server, r *apiRequest) (obj, string)

var apiMethods = map[string]apiMethod{
	"auth.test":                    (*Server).authTest,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.delete":                  (*Server).chatDelete,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"chat.getPermalink":            (*Server).chatGetPermalink,
	"reactions.add":                (*Server).reactionsAdd,
	"reactions.remove":             (*Server).reactionsRemove,
	"conversations.history":        (*Server).conversationsHistory,
	"conversations.replies":        (*Server).conversationsReplies,
	"conversations.info":           (*Server).conversationsInfo,
	"views.open":                   (*Server).viewsOpen,
	"views.update":                 (*Server).viewsUpdate,
	"views.publish":                (*Server).viewsPublish,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	"usergroups.users.list":        (*Server).usergroupsUsersList,
	"users.info":                   (*Server).usersInfo,
	"apps.connections.open":        (*Server).appsConnectionsOpen,
}

// reply is an HTTP answer.
type reply struct {
	status     int
	retryAfter string
	body       any // JSON, or []byte sent as HTML
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, err := io.ReadAll(r.Body)
	params, perr := requestParams(r, body)
	if err != nil {
		perr = err
	}

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params, Body: body, Header: r.Header.Clone(), At: s.now()})
	rep := s.answer(method, r, params, perr)
	scopes := s.scopeHeader(method)
	// Encode while holding the lock: answers share slices and maps with the
	// fake's state.
	html, isHTML := rep.body.([]byte)
	var payload []byte
	if !isHTML {
		payload, _ = json.Marshal(rep.body)
	}
	s.touch()
	s.mu.Unlock()

	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	if scopes != "" {
		w.Header().Set("X-OAuth-Scopes", scopes)
	}
	if isHTML {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(rep.status)
		_, _ = w.Write(html)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rep.status)
	_, _ = w.Write(payload)
}

func apiError(code string) obj { return obj{"ok": false, "error": code} }

// answer decides the reply to one call. Call with s.mu held.
func (s *Server) answer(method string, r *http.Request, params url.Values, perr error) reply {
	if in, ok := s.takeInjection(method); ok {
		switch {
		case in.rateLimit:
			return reply{status: http.StatusTooManyRequests, retryAfter: retryAfterHeader(in.retryAfter), body: apiError("ratelimited")}
		case in.status != 0:
			return reply{status: in.status, body: []byte("<html><body>" + http.StatusText(in.status) + "</body></html>")}
		default:
			return reply{status: http.StatusOK, body: apiError(in.errCode)}
		}
	}
	handle, ok := apiMethods[method]
	if !ok {
		return reply{status: http.StatusOK, body: obj{"ok": false, "error": "unknown_method", "req_method": method}}
	}
	if perr != nil {
		return reply{status: http.StatusOK, body: apiError("invalid_form_data")}
	}
	if code := s.authenticate(method, r, params); code != "" {
		return reply{status: http.StatusOK, body: apiError(code)}
	}
	if missing := s.missingScope(method); missing != nil {
		return reply{status: http.StatusOK, body: missing}
	}
	if rule := s.rates[method]; rule != nil {
		key := cmp.Or(params.Get("channel"), params.Get("channel_id"))
		if wait, ok := rule.take(key, s.now()); !ok {
			return reply{status: http.StatusTooManyRequests, retryAfter: retryAfterHeader(wait), body: apiError("ratelimited")}
		}
	}
	out, code := handle(s, &apiRequest{method: method, params: params})
	if code != "" {
		return reply{status: http.StatusOK, body: apiError(code)}
	}
	if out == nil {
		out = obj{}
	}
	out["ok"] = true
	return reply{status: http.StatusOK, body: out}
}

// authenticate checks the token: "Authorization: Bearer" or the token
// parameter. apps.connections.open wants an app-level token, every other
// method a bot token.
func (s *Server) authenticate(method string, r *http.Request, params url.Values) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		tok = params.Get("token")
	}
	if tok == "" {
		return "not_authed"
	}
	isApp := strings.HasPrefix(tok, "xapp-")
	if method == "apps.connections.open" {
		switch {
		case !isApp:
			return "not_allowed_token_type"
		case s.appToken != "" && tok != s.appToken:
			return "invalid_auth"
		}
		return ""
	}
	switch {
	case isApp:
		return "not_allowed_token_type"
	case s.token != "" && tok != s.token:
		return "invalid_auth"
	}
	return ""
}

// requestParams merges the query string with the body's fields: form,
// multipart form, or a JSON object whose non-string values are kept as JSON
// text.
func requestParams(r *http.Request, body []byte) (url.Values, error) {
	params := r.URL.Query()
	if len(bytes.TrimSpace(body)) == 0 {
		return params, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return params, err
		}
		for k, v := range m {
			params.Set(k, flatten(v))
		}
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), ctParams["boundary"]).ReadForm(32 << 20)
		if err != nil {
			return params, err
		}
		for k, vs := range form.Value {
			params[k] = vs
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return params, err
		}
		for k, vs := range form {
			params[k] = vs
		}
	}
	return params, nil
}

func flatten(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func isTrue(v string) bool { return v == "1" || v == "true" }

// channel finds a channel by id, by name (with or without '#'), or opens the
// direct-message channel with a user given by id.
func (s *Server) channel(ref string) *channel {
	if ref == "" {
		return nil
	}
	if ch := s.channels[ref]; ch != nil {
		return ch
	}
	name := strings.TrimPrefix(ref, "#")
	for _, ch := range s.channels {
		if !ch.isIM && ch.name == name {
			return ch
		}
	}
	if u := s.users[ref]; u != nil && u.id != s.botUserID {
		id := "D" + strings.TrimPrefix(u.id, "U")
		ch := s.channels[id]
		if ch == nil {
			ch = &channel{id: id, name: u.id, isIM: true}
			s.channels[id] = ch
		}
		return ch
	}
	return nil
}

func (s *Server) authTest(*apiRequest) (obj, string) {
	return obj{
		"url":     "https://" + TeamDomain + ".slack.com/",
		"team":    TeamName,
		"user":    s.botName,
		"team_id": TeamID,
		"user_id": s.botUserID,
		"bot_id":  s.botID,
	}, ""
}

// content is what a message carries, as sent: text, blocks, attachments,
// metadata. The has* fields say which were sent at all.
type content struct {
	text                          string
	blocks, attachments, metadata json.RawMessage
	hasText, hasBlocks            bool
	hasAttachments, hasMetadata   bool
}

func (c content) empty() bool {
	return c.text == "" && len(c.blocks) <= 2 && len(c.attachments) <= 2 // "[]" counts as none
}

// parseContent validates a message's fields the way Slack rejects them.
func parseContent(p url.Values) (content, string) {
	var c content
	if _, c.hasText = p["text"]; c.hasText {
		c.text = p.Get("text")
		if len(c.text) > 40000 {
			return c, "msg_too_long"
		}
	}
	if _, c.hasBlocks = p["blocks"]; c.hasBlocks {
		var blocks []map[string]any
		if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil || len(blocks) > 50 {
			return c, "invalid_blocks"
		}
		for _, b := range blocks {
			if t, _ := b["type"].(string); t == "" {
				return c, "invalid_blocks"
			}
		}
		c.blocks = compact(p.Get("blocks"))
	}
	if _, c.hasAttachments = p["attachments"]; c.hasAttachments {
		var atts []map[string]any
		if err := json.Unmarshal([]byte(p.Get("attachments")), &atts); err != nil {
			return c, "invalid_attachments"
		}
		c.attachments = compact(p.Get("attachments"))
	}
	if raw := p.Get("metadata"); raw != "" {
		var md struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(raw), &md); err != nil || md.EventType == "" {
			return c, "invalid_metadata_format"
		}
		c.hasMetadata = true
		c.metadata = compact(raw)
	}
	return c, ""
}

func compact(s string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return json.RawMessage(s)
	}
	return buf.Bytes()
}

func (s *Server) chatPostMessage(r *apiRequest) (obj, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	c, code := parseContent(r.params)
	if code != "" {
		return nil, code
	}
	if c.empty() {
		return nil, "no_text"
	}
	m := &message{ts: s.nextTS(), user: s.botUserID, botID: s.botID, text: c.text, blocks: c.blocks, attachments: c.attachments, metadata: c.metadata}
	s.post(ch, m, r.params.Get("thread_ts"), isTrue(r.params.Get("reply_broadcast")))
	s.echoMessage(ch, m)
	return obj{"channel": ch.id, "ts": m.ts, "message": s.messageJSON(ch, m, true)}, ""
}

// botMessage finds the message a chat.update or chat.delete names, which
// Slack lets a bot change only if the bot posted it; notOwn is the error
// code Slack gives otherwise.
func (s *Server) botMessage(r *apiRequest, notOwn string) (*channel, *message, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, nil, "channel_not_found"
	}
	m := ch.find(r.params.Get("ts"))
	if m == nil {
		return nil, nil, "message_not_found"
	}
	if m.user != s.botUserID {
		return nil, nil, notOwn
	}
	return ch, m, ""
}

func (s *Server) chatUpdate(r *apiRequest) (obj, string) {
	ch, m, code := s.botMessage(r, "cant_update_message")
	if code != "" {
		return nil, code
	}
	c, code := parseContent(r.params)
	if code != "" {
		return nil, code
	}
	if !c.hasText && !c.hasBlocks && !c.hasAttachments {
		return nil, "no_text"
	}
	if c.hasText {
		m.text = c.text
	}
	if c.hasBlocks {
		m.blocks = c.blocks
	}
	if c.hasAttachments {
		m.attachments = c.attachments
	}
	if c.hasMetadata {
		m.metadata = c.metadata
	}
	m.editedTS = s.nextTS()
	return obj{"channel": ch.id, "ts": m.ts, "text": m.text, "message": s.messageJSON(ch, m, true)}, ""
}

func (s *Server) chatDelete(r *apiRequest) (obj, string) {
	ch, m, code := s.botMessage(r, "cant_delete_message")
	if code != "" {
		return nil, code
	}
	ch.remove(m.ts)
	return obj{"channel": ch.id, "ts": m.ts}, ""
}

func (s *Server) chatPostEphemeral(r *apiRequest) (obj, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	if s.users[r.params.Get("user")] == nil {
		return nil, "user_not_in_channel"
	}
	c, code := parseContent(r.params)
	if code != "" {
		return nil, code
	}
	if c.empty() {
		return nil, "no_text"
	}
	e := Ephemeral{Channel: ch.id, User: r.params.Get("user"), TS: s.nextTS(), ThreadTS: r.params.Get("thread_ts"), Text: c.text, Blocks: c.blocks}
	s.ephemerals = append(s.ephemerals, e)
	return obj{"message_ts": e.TS}, ""
}

func (s *Server) chatGetPermalink(r *apiRequest) (obj, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	m := ch.find(r.params.Get("message_ts"))
	if m == nil {
		return nil, "message_not_found"
	}
	link := "https://" + TeamDomain + ".slack.com/archives/" + ch.id + "/p" + strings.ReplaceAll(m.ts, ".", "")
	if m.threadTS != "" && m.threadTS != m.ts {
		link += "?thread_ts=" + m.threadTS + "&cid=" + ch.id
	}
	return obj{"channel": ch.id, "permalink": link}, ""
}

func (s *Server) reactionTarget(r *apiRequest) (*message, string) {
	name := r.params.Get("name")
	if name == "" || strings.HasPrefix(name, ":") || strings.HasSuffix(name, ":") {
		return nil, "invalid_name"
	}
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	m := ch.find(r.params.Get("timestamp"))
	if m == nil {
		return nil, "message_not_found"
	}
	return m, ""
}

func (s *Server) reactionsAdd(r *apiRequest) (obj, string) {
	m, code := s.reactionTarget(r)
	if code != "" {
		return nil, code
	}
	name := r.params.Get("name")
	for _, re := range m.reactions {
		if re.name == name {
			if slices.Contains(re.users, s.botUserID) {
				return nil, "already_reacted"
			}
			re.users = append(re.users, s.botUserID)
			return obj{}, ""
		}
	}
	m.reactions = append(m.reactions, &reaction{name: name, users: []string{s.botUserID}})
	return obj{}, ""
}

func (s *Server) reactionsRemove(r *apiRequest) (obj, string) {
	m, code := s.reactionTarget(r)
	if code != "" {
		return nil, code
	}
	name := r.params.Get("name")
	for i, re := range m.reactions {
		if re.name == name && slices.Contains(re.users, s.botUserID) {
			re.users = slices.DeleteFunc(re.users, func(u string) bool { return u == s.botUserID })
			if len(re.users) == 0 {
				m.reactions = slices.Delete(m.reactions, i, i+1)
			}
			return obj{}, ""
		}
	}
	return nil, "no_reaction"
}

// page applies oldest, latest, inclusive, cursor and limit to msgs, which are
// in the order they will be returned (newest first if newestFirst).
func page(msgs []*message, p url.Values, defaultLimit int, newestFirst bool) (out []*message, nextCursor string, code string) {
	inclusive := isTrue(p.Get("inclusive"))
	oldest, hasOldest := parseTS(p.Get("oldest"))
	latest, hasLatest := parseTS(p.Get("latest"))
	var cursor int64
	if c := p.Get("cursor"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		ts, ok := strings.CutPrefix(string(raw), "next_ts:")
		k, okTS := parseTS(ts)
		if err != nil || !ok || !okTS {
			return nil, "", "invalid_cursor"
		}
		cursor = k
	}
	limit := defaultLimit
	if l, err := strconv.Atoi(p.Get("limit")); err == nil && l > 0 {
		limit = min(l, 999)
	}
	var kept []*message
	for _, m := range msgs {
		k := tsKey(m.ts)
		switch {
		case hasOldest && (k < oldest || k == oldest && !inclusive):
			continue
		case hasLatest && (k > latest || k == latest && !inclusive):
			continue
		case cursor != 0 && newestFirst && k > cursor:
			continue
		case cursor != 0 && !newestFirst && k < cursor:
			continue
		}
		kept = append(kept, m)
	}
	if len(kept) > limit {
		nextCursor = base64.StdEncoding.EncodeToString([]byte("next_ts:" + kept[limit].ts))
		kept = kept[:limit]
	}
	return kept, nextCursor, ""
}

func (s *Server) conversationsHistory(r *apiRequest) (obj, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	var top []*message
	for _, m := range slices.Backward(ch.msgs) {
		if m.threadTS == "" || m.threadTS == m.ts || m.broadcast {
			top = append(top, m)
		}
	}
	msgs, next, code := page(top, r.params, 100, true)
	if code != "" {
		return nil, code
	}
	return s.messagesAnswer(ch, msgs, next, isTrue(r.params.Get("include_all_metadata"))), ""
}

func (s *Server) conversationsReplies(r *apiRequest) (obj, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	m := ch.find(r.params.Get("ts"))
	if m == nil {
		return nil, "thread_not_found"
	}
	parentTS := m.ts
	if m.threadTS != "" {
		parentTS = m.threadTS
	}
	var thread []*message
	for _, m := range ch.msgs {
		if m.ts == parentTS || m.threadTS == parentTS {
			thread = append(thread, m)
		}
	}
	msgs, next, code := page(thread, r.params, 1000, false)
	if code != "" {
		return nil, code
	}
	return s.messagesAnswer(ch, msgs, next, isTrue(r.params.Get("include_all_metadata"))), ""
}

func (s *Server) messagesAnswer(ch *channel, msgs []*message, next string, withMeta bool) obj {
	out := make([]obj, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, s.messageJSON(ch, m, withMeta))
	}
	return obj{
		"messages":          out,
		"has_more":          next != "",
		"pin_count":         0,
		"response_metadata": obj{"next_cursor": next},
	}
}

// messageJSON renders a message as Slack's API returns it.
func (s *Server) messageJSON(ch *channel, m *message, withMeta bool) obj {
	o := obj{"type": "message", "ts": m.ts, "text": m.text, "team": TeamID}
	if m.user != "" {
		o["user"] = m.user
	}
	if m.botID != "" {
		o["bot_id"] = m.botID
		o["app_id"] = AppID
	}
	if len(m.blocks) > 0 {
		o["blocks"] = m.blocks
	}
	if len(m.attachments) > 0 {
		o["attachments"] = m.attachments
	}
	if withMeta && len(m.metadata) > 0 {
		o["metadata"] = m.metadata
	}
	if m.editedTS != "" {
		o["edited"] = obj{"user": m.user, "ts": m.editedTS}
	}
	if m.threadTS != "" {
		o["thread_ts"] = m.threadTS
		if m.threadTS == m.ts {
			var users []string
			latest, count := "", 0
			for _, r := range ch.msgs {
				if r.threadTS == m.ts && r.ts != m.ts {
					count++
					latest = r.ts
					if !slices.Contains(users, r.user) {
						users = append(users, r.user)
					}
				}
			}
			o["reply_count"] = count
			o["reply_users"] = users
			o["reply_users_count"] = len(users)
			o["latest_reply"] = latest
		} else {
			if parent := ch.find(m.threadTS); parent != nil {
				o["parent_user_id"] = parent.user
			}
			if m.broadcast {
				o["subtype"] = "thread_broadcast"
			}
		}
	}
	if len(m.reactions) > 0 {
		rs := make([]obj, 0, len(m.reactions))
		for _, r := range m.reactions {
			rs = append(rs, obj{"name": r.name, "users": r.users, "count": len(r.users)})
		}
		o["reactions"] = rs
	}
	if len(m.files) > 0 {
		fs := make([]obj, 0, len(m.files))
		for _, id := range m.files {
			if f := s.files[id]; f != nil {
				fs = append(fs, s.fileJSON(f))
			}
		}
		o["files"] = fs
		o["upload"] = false
	}
	return o
}

func (s *Server) conversationsInfo(r *apiRequest) (obj, string) {
	ch := s.channel(r.params.Get("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	c := obj{
		"id":              ch.id,
		"created":         1700000000,
		"context_team_id": TeamID,
	}
	s.channelFlags(ch.id, c)
	if ch.isIM {
		c["is_im"] = true
		c["user"] = ch.name
	} else {
		c["name"] = ch.name
		c["name_normalized"] = ch.name
		c["is_channel"] = true
	}
	return obj{"channel": c}, ""
}

func (s *Server) usersInfo(r *apiRequest) (obj, string) {
	u := s.users[r.params.Get("user")]
	if u == nil {
		return nil, "user_not_found"
	}
	return obj{"user": obj{
		"id":        u.id,
		"team_id":   TeamID,
		"name":      u.name,
		"real_name": u.name,
		"deleted":   false,
		"is_bot":    u.isBot,
		"tz":        "Europe/Paris",
		"profile":   obj{"real_name": u.name, "display_name": u.name, "team": TeamID},
	}}, ""
}

func (s *Server) usergroupsUsersList(r *apiRequest) (obj, string) {
	g := s.usergroups[r.params.Get("usergroup")]
	if g == nil {
		return nil, "no_such_subteam"
	}
	return obj{"users": slices.Clone(g.members)}, ""
}

func (s *Server) appsConnectionsOpen(*apiRequest) (obj, string) {
	ticket := randomHex(16)
	s.sock.tickets[ticket] = true
	u := strings.Replace(s.srv.URL, "http", "ws", 1) + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return obj{"url": u}, ""
}
