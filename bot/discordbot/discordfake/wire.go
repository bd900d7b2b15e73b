package discordfake

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// discordEpochMS is the first millisecond of 2015, Discord's snowflake epoch.
const discordEpochMS = 1420070400000

// snowflakeAt returns a fresh snowflake whose timestamp is t. Called with mu
// held.
func (s *Server) snowflakeAt(t time.Time) string {
	ms := max(t.UnixMilli()-discordEpochMS, 0)
	s.idSeq++
	return strconv.FormatInt(ms<<22|s.idSeq&0x3FFFFF, 10)
}

// newID returns a snowflake for now, greater than every one newID returned
// before. Called with mu held.
func (s *Server) newID() string {
	ms := max(s.now().UnixMilli()-discordEpochMS, 0)
	s.idSeq++
	id := ms<<22 | s.idSeq&0x3FFFFF
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return strconv.FormatInt(id, 10)
}

// SnowflakeTime returns the creation time encoded in a Discord id.
func SnowflakeTime(id string) (time.Time, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(n>>22) + discordEpochMS).UTC(), true
}

// snowflakeLess orders ids numerically (non-numeric ids sort by text).
func snowflakeLess(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA != nil || errB != nil {
		return a < b
	}
	return x < y
}

// timestamp formats t as Discord does: ISO 8601 with microseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func orEmptyArray(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return json.RawMessage("[]")
	}
	return raw
}

// ---- JSON shapes. Called with mu held. ----

func (s *Server) userJSON(id string) map[string]any {
	u := s.users[id]
	if u == nil {
		u = &User{ID: id, Username: "user" + id}
	}
	m := map[string]any{
		"id": u.ID, "username": u.Username, "global_name": nullable(u.Username),
		"discriminator": "0", "avatar": nil, "public_flags": 0,
	}
	if u.Bot {
		m["bot"] = true
		m["global_name"] = nil
	}
	return m
}

func roleJSON(r *Role) map[string]any {
	return map[string]any{
		"id": r.ID, "name": r.Name, "color": r.Color, "hoist": r.Hoist,
		"icon": nil, "unicode_emoji": nil, "position": r.Position,
		"permissions": strconv.FormatInt(r.Permissions, 10),
		"managed":     r.Managed, "mentionable": r.Mentionable, "flags": 0,
	}
}

func channelJSON(c *channelState, withGuild bool) map[string]any {
	m := map[string]any{
		"id": c.ID, "type": c.Type, "name": c.Name, "position": c.Position,
		"parent_id": nullable(c.ParentID), "topic": nullable(c.Topic), "nsfw": c.NSFW,
		"rate_limit_per_user": c.RateLimitPerUser, "permission_overwrites": overwritesJSON(c.PermissionOverwrites),
		"flags": 0,
	}
	if withGuild {
		m["guild_id"] = c.GuildID
	}
	if c.Type == 10 || c.Type == 11 || c.Type == 12 || c.Archived || c.Locked {
		m["thread_metadata"] = map[string]any{"archived": c.Archived, "locked": c.Locked, "auto_archive_duration": 1440,
			"archive_timestamp": archiveTimestamp(c)}
	}
	if c.Type == ChannelTypeGuildForum {
		m["available_tags"] = tagsJSON(c.AvailableTags)
	}
	if c.Type == 10 || c.Type == 11 || c.Type == 12 {
		m["applied_tags"] = nonNil(c.AppliedTags)
		m["owner_id"] = nullable(c.OwnerID)
	}
	if n := len(c.messages); n > 0 {
		m["last_message_id"] = c.messages[n-1].ID
	} else {
		m["last_message_id"] = nil
	}
	return m
}

func (s *Server) memberJSON(m *Member, withUser bool) map[string]any {
	out := map[string]any{
		"nick": nullable(m.Nick), "roles": nonNil(m.Roles), "joined_at": timestamp(m.JoinedAt),
		"premium_since": nil, "deaf": false, "mute": false, "flags": 0, "pending": false,
		"avatar": nil, "communication_disabled_until": nil,
	}
	if m.CommunicationDisabledUntil != nil {
		out["communication_disabled_until"] = timestamp(*m.CommunicationDisabledUntil)
	}
	if withUser {
		out["user"] = s.userJSON(m.UserID)
	}
	return out
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func (s *Server) guildJSON(g *guildState) map[string]any {
	roles := make([]any, 0, len(g.roles))
	for _, r := range g.roles {
		roles = append(roles, roleJSON(r))
	}
	return map[string]any{
		"id": g.id, "name": g.name, "icon": nil, "splash": nil, "discovery_splash": nil,
		"owner_id": g.ownerID, "afk_channel_id": nil, "afk_timeout": 300,
		"verification_level": 1, "default_message_notifications": 1,
		"explicit_content_filter": 2, "roles": roles, "emojis": []any{}, "features": []any{},
		"mfa_level": 0, "application_id": nil, "system_channel_id": nil,
		"system_channel_flags": 0, "rules_channel_id": nil, "vanity_url_code": nil,
		"description": nil, "banner": nil, "premium_tier": 0, "preferred_locale": "en-US",
		"public_updates_channel_id": nil, "nsfw_level": 0, "stickers": []any{},
		"premium_progress_bar_enabled": false,
	}
}

// guildCreateJSON is a guild as GUILD_CREATE carries it: with channels,
// members and the gateway-only fields.
func (s *Server) guildCreateJSON(g *guildState) map[string]any {
	m := s.guildJSON(g)
	// Threads come apart from the channels, and only the active ones.
	cs, active := s.channelsAndThreads(g)
	chans, threads := make([]any, 0, len(cs)), make([]any, 0, len(active))
	for _, c := range cs {
		chans = append(chans, channelJSON(c, false))
	}
	for _, c := range active {
		threads = append(threads, channelJSON(c, true))
	}
	members := make([]any, 0, len(g.members))
	for _, id := range g.memberOrder {
		if mem, ok := g.members[id]; ok {
			members = append(members, s.memberJSON(mem, true))
		}
	}
	joined := s.now()
	if bot, ok := g.members[s.botID]; ok {
		joined = bot.JoinedAt
	}
	m["channels"] = chans
	m["members"] = members
	m["member_count"] = len(g.members)
	m["threads"] = threads
	m["presences"] = []any{}
	m["voice_states"] = []any{}
	m["stage_instances"] = []any{}
	m["guild_scheduled_events"] = []any{}
	m["large"] = false
	m["unavailable"] = false
	m["joined_at"] = timestamp(joined)
	return m
}

var (
	userMention = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention = regexp.MustCompile(`<@&(\d+)>`)
)

// allowedMentions is the request field, decoded.
type allowedMentions struct {
	Parse       []string `json:"parse"`
	Users       []string `json:"users"`
	Roles       []string `json:"roles"`
	RepliedUser bool     `json:"replied_user"`
}

// mentions works out whom a message pings: the mentions in its content,
// narrowed by allowed_mentions as sent (all of them when absent), plus the
// author of the replied-to message when the reply pings.
func (s *Server) mentions(m *Message) (users, roles []string, everyone bool) {
	var am *allowedMentions
	if !isNull(m.AllowedMentions) {
		am = &allowedMentions{}
		if json.Unmarshal(m.AllowedMentions, am) != nil {
			am = &allowedMentions{}
		}
	}
	for _, sub := range userMention.FindAllStringSubmatch(m.Content, -1) {
		id := sub[1]
		if am == nil || slices.Contains(am.Parse, "users") || slices.Contains(am.Users, id) {
			if !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
	}
	for _, sub := range roleMention.FindAllStringSubmatch(m.Content, -1) {
		id := sub[1]
		if am == nil || slices.Contains(am.Parse, "roles") || slices.Contains(am.Roles, id) {
			if !slices.Contains(roles, id) {
				roles = append(roles, id)
			}
		}
	}
	if am == nil || slices.Contains(am.Parse, "everyone") {
		everyone = bytes.Contains([]byte(m.Content), []byte("@everyone")) || bytes.Contains([]byte(m.Content), []byte("@here"))
	}
	if m.Reference != nil && (am == nil || am.RepliedUser) {
		if c, ok := s.channels[m.Reference.ChannelID]; ok {
			if ref, ok := c.byID[m.Reference.MessageID]; ok && !slices.Contains(users, ref.AuthorID) {
				users = append(users, ref.AuthorID)
			}
		}
	}
	return users, roles, everyone
}

// messageView says how a message is rendered.
type messageView struct {
	gateway   bool // a gateway event: guild_id and member are included
	nonce     bool // the create response: the nonce is echoed
	noContent bool // the session lacks MESSAGE_CONTENT
	depth     int  // referenced_message nesting
}

func (s *Server) messageJSON(m *Message, v messageView) map[string]any {
	users, roles, everyone := s.mentions(m)
	mentionList := make([]any, 0, len(users))
	for _, id := range users {
		u := s.userJSON(id)
		if v.gateway && m.GuildID != "" {
			if g := s.guilds[m.GuildID]; g != nil {
				if mem, ok := g.members[id]; ok {
					u["member"] = s.memberJSON(mem, false)
				}
			}
		}
		mentionList = append(mentionList, u)
	}
	typ := 0
	if m.Reference != nil && m.Reference.MessageID != "" {
		typ = 19
	}
	if m.InteractionID != "" && typ == 0 {
		typ = 20
	}
	out := map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "author": s.userJSON(m.AuthorID),
		"content": m.Content, "timestamp": timestamp(m.Timestamp), "edited_timestamp": nil,
		"tts": m.TTS, "mention_everyone": everyone, "mentions": mentionList,
		"mention_roles": nonNil(roles), "attachments": attachmentsJSON(m),
		"embeds": orEmptyArray(m.Embeds), "components": orEmptyArray(m.Components),
		"pinned": false, "type": typ, "flags": m.Flags,
	}
	if m.EditedTimestamp != nil {
		out["edited_timestamp"] = timestamp(*m.EditedTimestamp)
	}
	if m.WebhookID != "" {
		out["webhook_id"] = m.WebhookID
		out["application_id"] = m.WebhookID
	}
	if len(m.Reactions) > 0 {
		var rs []any
		for _, r := range m.Reactions {
			rs = append(rs, map[string]any{
				"count": len(r.UserIDs), "me": slices.Contains(r.UserIDs, s.botID),
				"emoji": emojiJSON(r.Emoji), "burst_colors": []any{}, "me_burst": false,
				"count_details": map[string]int{"burst": 0, "normal": len(r.UserIDs)},
			})
		}
		out["reactions"] = rs
	}
	if m.Reference != nil {
		out["message_reference"] = m.Reference
		var ref any
		if c, ok := s.channels[m.Reference.ChannelID]; ok && v.depth == 0 {
			if r, ok := c.byID[m.Reference.MessageID]; ok {
				ref = s.messageJSON(r, messageView{gateway: v.gateway, noContent: v.noContent, depth: 1})
			}
		}
		if v.depth == 0 {
			out["referenced_message"] = ref
		}
	}
	if v.nonce && !isNull(m.nonceRaw) {
		out["nonce"] = m.nonceRaw
	}
	if v.gateway && m.GuildID != "" {
		out["guild_id"] = m.GuildID
		if g := s.guilds[m.GuildID]; g != nil {
			if mem, ok := g.members[m.AuthorID]; ok && m.WebhookID == "" {
				out["member"] = s.memberJSON(mem, false)
			}
		}
	}
	if v.noContent && m.AuthorID != s.botID && !slices.Contains(users, s.botID) {
		out["content"] = ""
		out["embeds"] = []any{}
		out["attachments"] = []any{}
		out["components"] = []any{}
	}
	return out
}

// emojiJSON renders "name:id" as a custom emoji and anything else as a
// unicode one.
func emojiJSON(e string) map[string]any {
	if i := bytes.LastIndexByte([]byte(e), ':'); i > 0 {
		if _, err := strconv.ParseUint(e[i+1:], 10, 64); err == nil {
			return map[string]any{"id": e[i+1:], "name": e[:i]}
		}
	}
	return map[string]any{"id": nil, "name": e}
}

// archiveTimestamp is when a thread was last archived, or a fixed past
// time for one that never was.
func archiveTimestamp(c *channelState) string {
	if c.archivedAt.IsZero() {
		return "2026-01-01T00:00:00.000000+00:00"
	}
	return c.archivedAt.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}
