package discordfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// What server event logs read: member updates and the member list chunk,
// the audit log's entries (who deleted a message), and invites with their
// use counts (which invite a newcomer used).

// Audit-log action types the fake records on its own.
const (
	AuditMessageDelete     = 72
	AuditMessageBulkDelete = 73
)

// recordAudit keeps an entry for GET /guilds/{id}/audit-logs. Called with
// mu held.
func (s *Server) recordAudit(g *guildState, d map[string]any) {
	g.auditLog = append(g.auditLog, d)
}

// ModeratorDeleteMessage has a moderator (not the author) delete a message
// by hand: the message goes, MESSAGE_DELETE is dispatched, and Discord's
// audit log gets a MESSAGE_DELETE entry (type 72: the moderator, the
// author as target, the channel and a count) dispatched as
// GUILD_AUDIT_LOG_ENTRY_CREATE. Discord logs nothing when authors delete
// their own messages: use MessageDelete for that.
func (s *Server) ModeratorDeleteMessage(channelID, messageID, moderatorID string) {
	s.mu.Lock()
	c := s.mustChannel(channelID)
	m := s.mustMessage(channelID, messageID)
	author := m.AuthorID
	guild := c.GuildID
	s.mu.Unlock()
	s.MessageDelete(channelID, messageID)
	s.GuildAuditLogEntryCreate(guild, AuditLogEntry{ActionType: AuditMessageDelete, UserID: moderatorID, TargetID: author,
		Options: map[string]any{"channel_id": channelID, "count": "1"}})
}

// MessageDeleteBulk has a moderator delete several messages at once (as a
// moderation bot or Discord's client does) and dispatches
// MESSAGE_DELETE_BULK.
func (s *Server) MessageDeleteBulk(channelID string, messageIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel(channelID)
	var deleted []string
	for _, id := range messageIDs {
		if c.remove(id) {
			deleted = append(deleted, id)
		}
	}
	s.dispatch("MESSAGE_DELETE_BULK", func(*gwSession) any {
		return map[string]any{"ids": deleted, "channel_id": c.ID, "guild_id": nullable(c.GuildID)}
	})
}

func (s *Server) getAuditLog(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	q := r.URL.Query()
	limit, ok := queryLimit(w, q, 50, 1, 100)
	if !ok {
		return
	}
	entries := []any{}
	users := map[string]bool{}
	for i := len(g.auditLog) - 1; i >= 0 && len(entries) < limit; i-- {
		e := g.auditLog[i]
		id, _ := e["id"].(string)
		if v := q.Get("action_type"); v != "" && v != strconv.Itoa(toInt(e["action_type"])) {
			continue
		}
		if v := q.Get("user_id"); v != "" && e["user_id"] != v {
			continue
		}
		if v := q.Get("before"); v != "" && !snowflakeLess(id, v) {
			continue
		}
		if v := q.Get("after"); v != "" && !snowflakeLess(v, id) {
			continue
		}
		entries = append(entries, e)
		for _, k := range []string{"user_id", "target_id"} {
			if u, ok := e[k].(string); ok && s.users[u] != nil {
				users[u] = true
			}
		}
	}
	us := []any{}
	for id := range users {
		us = append(us, s.userJSON(id))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"audit_log_entries": entries, "users": us, "integrations": []any{}, "threads": []any{}, "webhooks": []any{},
		"application_commands": []any{}, "auto_moderation_rules": []any{}, "guild_scheduled_events": []any{},
	})
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return -1
}

// Invite is a guild invite; Uses counts the members who joined with it.
type Invite struct {
	Code      string
	ChannelID string
	InviterID string
	Uses      int
	MaxUses   int
}

// AddInvite creates an invite and dispatches INVITE_CREATE (GUILD_INVITES
// intent).
func (s *Server) AddInvite(guildID string, inv Invite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	g.invites = append(g.invites, &inv)
	d := s.inviteJSON(g, &inv)
	d["guild_id"] = guildID
	s.dispatch("INVITE_CREATE", func(*gwSession) any { return d })
}

func (s *Server) inviteJSON(g *guildState, inv *Invite) map[string]any {
	d := map[string]any{"code": inv.Code, "type": 0, "uses": inv.Uses, "max_uses": inv.MaxUses, "max_age": 0,
		"temporary": false, "created_at": timestamp(s.now()), "channel_id": inv.ChannelID}
	if inv.InviterID != "" {
		d["inviter"] = s.userJSON(inv.InviterID)
	}
	return d
}

// GuildMemberAddVia has a user join with an invite: its use count goes up
// before GUILD_MEMBER_ADD is dispatched, as on Discord (which never says
// which invite was used).
func (s *Server) GuildMemberAddVia(guildID, code string, m Member) {
	s.mu.Lock()
	g := s.mustGuild(guildID)
	for _, inv := range g.invites {
		if inv.Code == code {
			inv.Uses++
		}
	}
	s.mu.Unlock()
	s.GuildMemberAdd(guildID, m)
}

// getInvites serves GET /guilds/{id}/invites (Manage Server on Discord;
// Forbid it to play a bot without the permission).
func (s *Server) getInvites(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guildOr404(w, r)
	if g == nil {
		return
	}
	out := []any{}
	for _, inv := range g.invites {
		d := s.inviteJSON(g, inv)
		d["guild"] = map[string]any{"id": g.id, "name": g.name}
		d["channel"] = map[string]any{"id": inv.ChannelID}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// GuildMemberUpdate changes a member's nickname and roles as a moderator or
// the member would by hand, and dispatches GUILD_MEMBER_UPDATE (which, as
// on Discord, carries the new state only).
func (s *Server) GuildMemberUpdate(guildID, userID, nick string, roles []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGuild(guildID)
	m, ok := g.members[userID]
	if !ok {
		panic("discordfake: GuildMemberUpdate of a user who is not a member: " + userID)
	}
	m.Nick, m.Roles = nick, slices.Clone(roles)
	s.echoMemberUpdate(g, m)
}

// requestMembers answers REQUEST_GUILD_MEMBERS (op 8) with every member,
// in GUILD_MEMBERS_CHUNK dispatches of up to 1000, when asked for all of
// them (query "", limit 0), which needs the GUILD_MEMBERS intent.
func (s *Server) requestMembers(c *gwConn, raw json.RawMessage) {
	var req struct {
		GuildID json.RawMessage `json:"guild_id"`
		Query   string          `json:"query"`
		Limit   int             `json:"limit"`
		UserIDs json.RawMessage `json:"user_ids"`
		Nonce   string          `json:"nonce"`
	}
	if json.Unmarshal(raw, &req) != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	var guilds []string
	var one string
	if json.Unmarshal(req.GuildID, &one) == nil {
		guilds = []string{one}
	} else if json.Unmarshal(req.GuildID, &guilds) != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	sess := c.sess
	if sess == nil {
		return
	}
	s.gw.memberRequests++
	if sess.intents&IntentGuildMembers == 0 {
		c.closeWith(4014, "Disallowed intent(s).")
		return
	}
	for _, gid := range guilds {
		g, ok := s.guilds[gid]
		if !ok {
			continue
		}
		ids := slices.Clone(g.memberOrder)
		if req.Limit > 0 && len(ids) > req.Limit {
			ids = ids[:req.Limit]
		}
		count := max(1, (len(ids)+999)/1000)
		for i := range count {
			part := ids[min(i*1000, len(ids)):min((i+1)*1000, len(ids))]
			ms := make([]any, 0, len(part))
			for _, id := range part {
				ms = append(ms, s.memberJSON(g.members[id], true))
			}
			d := map[string]any{"guild_id": gid, "members": ms, "chunk_index": i, "chunk_count": count}
			if req.Nonce != "" {
				d["nonce"] = req.Nonce
			}
			s.sendLocked(sess, "GUILD_MEMBERS_CHUNK", d)
		}
	}
	go s.signal()
}

// MemberRequests is the number of REQUEST_GUILD_MEMBERS received.
func (s *Server) MemberRequests() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.memberRequests
}
