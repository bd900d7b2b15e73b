package discordfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// permAdministrator is the ADMINISTRATOR permission bit.
const permAdministrator = 1 << 3

// maxTimeout is the longest timeout Discord accepts.
const maxTimeout = 28 * 24 * time.Hour

// guildOr404 returns the guild named by the path, or answers 404. Called
// with mu held.
func (s *Server) guildOr404(w http.ResponseWriter, r *http.Request) *guildState {
	g, ok := s.guilds[r.PathValue("guild")]
	if !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownGuild, "Unknown Guild")
		return nil
	}
	return g
}

// memberOr404 returns the guild and member named by the path, or answers
// 404. Called with mu held.
func (s *Server) memberOr404(w http.ResponseWriter, r *http.Request) (*guildState, *Member) {
	g := s.guildOr404(w, r)
	if g == nil {
		return nil, nil
	}
	m, ok := g.members[r.PathValue("user")]
	if !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownMember, "Unknown Member")
		return nil, nil
	}
	return g, m
}

func (g *guildState) role(id string) *Role {
	for _, r := range g.roles {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// topPosition is the position of a member's highest role (0: @everyone).
func (g *guildState) topPosition(roleIDs []string) int {
	top := 0
	for _, id := range roleIDs {
		if r := g.role(id); r != nil && r.Position > top {
			top = r.Position
		}
	}
	return top
}

func (g *guildState) permissions(roleIDs []string) int64 {
	var p int64
	if r := g.role(g.id); r != nil {
		p = r.Permissions
	}
	for _, id := range roleIDs {
		if r := g.role(id); r != nil {
			p |= r.Permissions
		}
	}
	return p
}

// botOutranks reports whether role hierarchy lets the bot act on a user:
// never on the owner; otherwise, when the bot is a member, only on members
// whose highest role is below the bot's. Called with mu held.
func (s *Server) botOutranks(g *guildState, userID string) bool {
	if userID == g.ownerID {
		return false
	}
	bot, ok := g.members[s.botID]
	if !ok || s.botID == g.ownerID {
		return true
	}
	target, ok := g.members[userID]
	if !ok {
		return true
	}
	return g.topPosition(bot.Roles) > g.topPosition(target.Roles)
}

func (s *Server) botAboveRole(g *guildState, r *Role) bool {
	bot, ok := g.members[s.botID]
	if !ok || s.botID == g.ownerID {
		return true
	}
	return g.topPosition(bot.Roles) > r.Position
}

func forbidden(w http.ResponseWriter) {
	writeErr(w, http.StatusForbidden, CodeMissingPermissions, "Missing Permissions")
}

func (s *Server) getGuild(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	out := s.guildJSON(g)
	if r.URL.Query().Get("with_counts") == "true" {
		out["approximate_member_count"] = len(g.members)
		out["approximate_presence_count"] = 0
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getRoles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	out := make([]any, 0, len(g.roles))
	for _, role := range g.roles {
		out = append(out, roleJSON(role))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getGuildChannels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	chans, _ := s.channelsAndThreads(g) // threads: GET /guilds/{id}/threads/active
	out := make([]any, 0, len(chans))
	for _, c := range chans {
		out = append(out, channelJSON(c, true))
	}
	writeJSON(w, http.StatusOK, out)
}

// getActiveThreads answers the guild's threads that are not archived, as
// Discord does: {"threads": [...], "members": [...]} (the bot joins none).
func (s *Server) getActiveThreads(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	_, active := s.channelsAndThreads(g)
	threads := make([]any, 0, len(active))
	for _, c := range active {
		threads = append(threads, channelJSON(c, true))
	}
	writeJSON(w, http.StatusOK, map[string]any{"threads": threads, "members": []any{}})
}

func (s *Server) getMembers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	q := r.URL.Query()
	limit, ok := queryLimit(w, q, 1, 1, 1000)
	if !ok {
		return
	}
	after := q.Get("after")
	ids := make([]string, 0, len(g.members))
	for id := range g.members {
		if after == "" || snowflakeLess(after, id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		switch {
		case snowflakeLess(a, b):
			return -1
		case snowflakeLess(b, a):
			return 1
		}
		return 0
	})
	out := make([]any, 0, min(limit, len(ids)))
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, s.memberJSON(g.members[id], true))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, m := s.memberOr404(w, r); m != nil {
		writeJSON(w, http.StatusOK, s.memberJSON(m, true))
	}
}

func (s *Server) patchMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, m := s.memberOr404(w, r)
	if m == nil {
		return
	}
	var body map[string]json.RawMessage
	if !decodeBody(w, r, &body) {
		return
	}
	var (
		until    *time.Time
		setUntil bool
		roles    []string
		setRoles bool
		nick     *string
		setNick  bool
	)
	if raw, ok := body["communication_disabled_until"]; ok {
		setUntil = true
		if !isNull(raw) {
			var t time.Time
			if json.Unmarshal(raw, &t) != nil {
				writeFormErr(w, "communication_disabled_until", "DATE_TYPE_PARSE", "Could not parse "+string(raw)+". Should be ISO8601.")
				return
			}
			if t.Sub(s.now()) > maxTimeout {
				writeFormErr(w, "communication_disabled_until", "COMMUNICATION_DISABLED_UNTIL_TOO_LONG", "Timeouts cannot be longer than 28 days.")
				return
			}
			if t.After(s.now()) {
				if !s.botOutranks(g, m.UserID) || g.permissions(m.Roles)&permAdministrator != 0 {
					forbidden(w)
					return
				}
				until = &t
			}
		}
	}
	if raw, ok := body["roles"]; ok {
		setRoles = true
		if !isNull(raw) && json.Unmarshal(raw, &roles) != nil {
			writeFormErr(w, "roles", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
			return
		}
		for _, id := range roles {
			role := g.role(id)
			if role == nil {
				writeFormErr(w, "roles", "GUILD_ROLE_INVALID", "Role \""+id+"\" is not valid.")
				return
			}
			if !slices.Contains(m.Roles, id) && !s.botAboveRole(g, role) {
				forbidden(w)
				return
			}
		}
		if !s.botOutranks(g, m.UserID) && m.UserID != s.botID {
			forbidden(w)
			return
		}
	}
	if raw, ok := body["nick"]; ok {
		setNick = true
		if !isNull(raw) {
			var n string
			if json.Unmarshal(raw, &n) != nil || len([]rune(n)) > 32 {
				writeFormErr(w, "nick", "BASE_TYPE_MAX_LENGTH", "Must be 32 or fewer in length.")
				return
			}
			nick = &n
		}
	}
	if setUntil {
		m.CommunicationDisabledUntil = until
	}
	if setRoles {
		m.Roles = append([]string{}, roles...)
	}
	if setNick {
		m.Nick = ""
		if nick != nil {
			m.Nick = *nick
		}
	}
	s.echoMemberUpdate(g, m)
	writeJSON(w, http.StatusOK, s.memberJSON(m, true))
}

func (s *Server) echoMemberUpdate(g *guildState, m *Member) {
	d := s.memberJSON(m, true)
	d["guild_id"] = g.id
	s.dispatch("GUILD_MEMBER_UPDATE", func(*gwSession) any { return d })
}

func (s *Server) kickMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, m := s.memberOr404(w, r)
	if m == nil {
		return
	}
	if !s.botOutranks(g, m.UserID) {
		forbidden(w)
		return
	}
	s.removeMember(g, m.UserID)
	writeNoContent(w)
}

// removeMember deletes a membership and dispatches GUILD_MEMBER_REMOVE.
// Called with mu held.
func (s *Server) removeMember(g *guildState, userID string) {
	if _, ok := g.members[userID]; !ok {
		return
	}
	delete(g.members, userID)
	g.memberOrder = slices.DeleteFunc(g.memberOrder, func(id string) bool { return id == userID })
	d := map[string]any{"guild_id": g.id, "user": s.userJSON(userID)}
	s.dispatch("GUILD_MEMBER_REMOVE", func(*gwSession) any { return d })
}

func (s *Server) putMemberRole(w http.ResponseWriter, r *http.Request) {
	s.editMemberRole(w, r, true)
}

func (s *Server) deleteMemberRole(w http.ResponseWriter, r *http.Request) {
	s.editMemberRole(w, r, false)
}

func (s *Server) editMemberRole(w http.ResponseWriter, r *http.Request, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, m := s.memberOr404(w, r)
	if m == nil {
		return
	}
	role := g.role(r.PathValue("role"))
	if role == nil {
		writeErr(w, http.StatusNotFound, 10011, "Unknown Role")
		return
	}
	if !s.botAboveRole(g, role) {
		forbidden(w)
		return
	}
	has := slices.Contains(m.Roles, role.ID)
	switch {
	case add && !has:
		m.Roles = append(m.Roles, role.ID)
	case !add && has:
		m.Roles = slices.DeleteFunc(m.Roles, func(id string) bool { return id == role.ID })
	default:
		writeNoContent(w)
		return
	}
	s.echoMemberUpdate(g, m)
	writeNoContent(w)
}

// ---- Bans ----

func (s *Server) banJSON(b *Ban) map[string]any {
	return map[string]any{"reason": nullable(b.Reason), "user": s.userJSON(b.UserID)}
}

func (s *Server) getBans(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	ids := make([]string, 0, len(g.bans))
	for id := range g.bans {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if snowflakeLess(a, b) {
			return -1
		}
		if snowflakeLess(b, a) {
			return 1
		}
		return 0
	})
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.banJSON(g.bans[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getBan(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	b, ok := g.bans[r.PathValue("user")]
	if !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownBan, "Unknown Ban")
		return
	}
	writeJSON(w, http.StatusOK, s.banJSON(b))
}

func (s *Server) putBan(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	userID := r.PathValue("user")
	if _, ok := s.users[userID]; !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownUser, "Unknown User")
		return
	}
	var body struct {
		DeleteMessageSeconds *int `json:"delete_message_seconds"`
		DeleteMessageDays    *int `json:"delete_message_days"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	q := r.URL.Query()
	secs := 0
	switch {
	case body.DeleteMessageSeconds != nil:
		secs = *body.DeleteMessageSeconds
		if secs < 0 || secs > 604800 {
			writeFormErr(w, "delete_message_seconds", "NUMBER_TYPE_MAX", "int value should be less than or equal to 604800.")
			return
		}
	case body.DeleteMessageDays != nil || q.Get("delete_message_days") != "":
		days := 0
		if body.DeleteMessageDays != nil {
			days = *body.DeleteMessageDays
		} else if n, err := strconv.Atoi(q.Get("delete_message_days")); err == nil {
			days = n
		}
		if days < 0 || days > 7 {
			writeFormErr(w, "delete_message_days", "NUMBER_TYPE_MAX", "int value should be less than or equal to 7.")
			return
		}
		secs = days * 86400
	}
	if !s.botOutranks(g, userID) {
		forbidden(w)
		return
	}
	reason := r.Header.Get("X-Audit-Log-Reason")
	if dec, err := url.PathUnescape(reason); err == nil {
		reason = dec
	}
	if reason == "" {
		reason = q.Get("reason")
	}
	g.bans[userID] = &Ban{UserID: userID, Reason: reason, DeleteMessageSeconds: secs, At: s.now()}
	s.removeMember(g, userID)
	d := map[string]any{"guild_id": g.id, "user": s.userJSON(userID)}
	s.dispatch("GUILD_BAN_ADD", func(*gwSession) any { return d })
	if secs > 0 {
		since := s.now().Add(-time.Duration(secs) * time.Second)
		for _, cid := range g.channels {
			c := s.channels[cid]
			var ids []string
			for _, m := range slices.Clone(c.messages) {
				if m.AuthorID == userID && !m.Timestamp.Before(since) {
					c.remove(m.ID)
					ids = append(ids, m.ID)
				}
			}
			if len(ids) > 0 {
				d := map[string]any{"ids": ids, "channel_id": c.ID, "guild_id": g.id}
				s.dispatch("MESSAGE_DELETE_BULK", func(*gwSession) any { return d })
			}
		}
	}
	writeNoContent(w)
}

func (s *Server) deleteBan(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	userID := r.PathValue("user")
	if _, ok := g.bans[userID]; !ok {
		writeErr(w, http.StatusNotFound, CodeUnknownBan, "Unknown Ban")
		return
	}
	delete(g.bans, userID)
	d := map[string]any{"guild_id": g.id, "user": s.userJSON(userID)}
	s.dispatch("GUILD_BAN_REMOVE", func(*gwSession) any { return d })
	writeNoContent(w)
}

// getArchivedThreads answers a channel's archived public (and
// announcement) threads, newest archived first, before the ISO 8601 time in
// before (if any), limit at a time (default 50), with has_more, as Discord
// does; a bad limit or before gets Discord's form error.
func (s *Server) getArchivedThreads(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.channelOr404(w, r)
	if parent == nil {
		return
	}
	q := r.URL.Query()
	limit, ok := queryLimit(w, q, 50, 2, 100)
	if !ok {
		return
	}
	var before time.Time
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeFormErr(w, "before", "DATE_TIME_TYPE_PARSE", "Could not parse "+v+". Should be ISO8601.")
			return
		}
		before = t
	}
	var archived []*channelState
	for _, c := range s.channels {
		if c.ParentID == parent.ID && (c.Type == 10 || c.Type == 11) && c.Archived && (before.IsZero() || c.archivedAt.Before(before)) {
			archived = append(archived, c)
		}
	}
	slices.SortFunc(archived, func(a, b *channelState) int { return b.archivedAt.Compare(a.archivedAt) })
	more := len(archived) > limit
	if more {
		archived = archived[:limit]
	}
	threads := make([]any, 0, len(archived))
	for _, c := range archived {
		threads = append(threads, channelJSON(c, true))
	}
	writeJSON(w, http.StatusOK, map[string]any{"threads": threads, "members": []any{}, "has_more": more})
}

// channelsAndThreads splits a guild's channels as Discord lists them: the
// channels proper, and the threads not archived.
func (s *Server) channelsAndThreads(g *guildState) (chans, active []*channelState) {
	for _, id := range g.channels {
		switch c := s.channels[id]; {
		case !isThread(c.Type):
			chans = append(chans, c)
		case !c.Archived:
			active = append(active, c)
		}
	}
	return chans, active
}

// isThread reports whether a channel type is a thread's (announcement,
// public or private thread).
func isThread(typ int) bool { return typ == 10 || typ == 11 || typ == 12 }
