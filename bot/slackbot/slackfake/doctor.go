package slackfake

import (
	"slices"
	"strings"
)

// What an operator's checks (liaison doctor) read from Slack, beyond the
// rest of the fake: the scopes granted to the bot token, sent back by Slack
// in the X-OAuth-Scopes header of every Web API answer and enforced per
// method (missing_scope); a channel's archived, private and membership
// state in conversations.info; the workspace's user groups
// (usergroups.list); and the bot's app (bots.info).

// DefaultScopes are the bot scopes a new Server grants: those of Liaison's
// slack-app-manifest.yaml, so that a client behaves as a correctly
// installed app until SetScopes says otherwise.
var DefaultScopes = []string{
	"chat:write", "commands", "channels:history", "groups:history", "channels:read", "groups:read",
	"reactions:read", "reactions:write", "files:write", "users:read", "usergroups:read", "im:write",
}

// methodScopes are the bot scopes each Web API method needs, any one of
// them. Slack asks for the scope of the channel's kind (channels: for public
// channels, groups: for private ones, im: for DMs); the fake accepts any
// scope of the family for every kind. Methods missing here need none (or,
// like apps.connections.open, an app-level token's).
var methodScopes = map[string][]string{
	"chat.postMessage":             {"chat:write"},
	"chat.update":                  {"chat:write"},
	"chat.delete":                  {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"reactions.add":                {"reactions:write"},
	"reactions.remove":             {"reactions:write"},
	"conversations.history":        {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.replies":        {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.info":           {"channels:read", "groups:read", "im:read", "mpim:read"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"usergroups.list":              {"usergroups:read"},
	"usergroups.users.list":        {"usergroups:read"},
	"users.info":                   {"users:read"},
	"bots.info":                    {"users:read"},
}

func init() {
	apiMethods["usergroups.list"] = (*Server).usergroupsList
	apiMethods["bots.info"] = (*Server).botsInfo
}

// doctorState is the part of the workspace only these checks read. Its
// maps are created on first write.
type doctorState struct {
	scopes    []string // nil means DefaultScopes
	archived  map[string]bool
	private   map[string]bool
	outside   map[string]bool // channels the bot is not a member of
	disabled  map[string]bool // user groups disabled by an admin
	scopesSet bool
}

// SetScopes replaces the bot scopes the token was granted: X-OAuth-Scopes
// lists them, and a method needing another answers missing_scope with the
// needed and provided fields, as Slack does.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doctor.scopes, s.doctor.scopesSet = slices.Clone(scopes), true
}

// ArchiveChannel marks a channel archived: conversations.info reports
// is_archived. (Posting there still works in the fake; inject is_archived
// with FailNext to test a sender.)
func (s *Server) ArchiveChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	setFlag(&s.doctor.archived, id, true)
	s.touch()
}

// SetPrivate marks a channel private: conversations.info reports
// is_private.
func (s *Server) SetPrivate(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	setFlag(&s.doctor.private, id, true)
	s.touch()
}

// SetBotMember says whether the bot is a member of a channel (it is of
// every channel by default): conversations.info reports is_member. (Other
// methods do not check membership; inject not_in_channel with FailNext to
// test a sender.)
func (s *Server) SetBotMember(id string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	setFlag(&s.doctor.outside, id, !member)
	s.touch()
}

// DisableUsergroup disables a user group: usergroups.list leaves it out
// unless include_disabled is set, and then reports its date_delete.
func (s *Server) DisableUsergroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	setFlag(&s.doctor.disabled, id, true)
	s.touch()
}

func setFlag(m *map[string]bool, key string, on bool) {
	if *m == nil {
		*m = map[string]bool{}
	}
	if on {
		(*m)[key] = true
	} else {
		delete(*m, key)
	}
}

// grantedScopes returns the token's scopes. Call with s.mu held.
func (s *Server) grantedScopes() []string {
	if !s.doctor.scopesSet {
		return DefaultScopes
	}
	return s.doctor.scopes
}

// scopeHeader is the X-OAuth-Scopes header of an answer to method: the
// granted scopes joined by commas, or "" for methods that take an
// app-level token. Call with s.mu held.
func (s *Server) scopeHeader(method string) string {
	if method == "apps.connections.open" {
		return ""
	}
	return strings.Join(s.grantedScopes(), ",")
}

// missingScope returns Slack's missing_scope answer when the token lacks
// every scope method accepts, or nil. Call with s.mu held.
func (s *Server) missingScope(method string) obj {
	need := methodScopes[method]
	granted := s.grantedScopes()
	if len(need) == 0 || slices.ContainsFunc(need, func(sc string) bool { return slices.Contains(granted, sc) }) {
		return nil
	}
	return obj{"ok": false, "error": "missing_scope", "needed": need[0], "provided": strings.Join(granted, ",")}
}

// channelFlags fills the doctor's part of a conversations.info channel.
// Call with s.mu held.
func (s *Server) channelFlags(id string, c obj) {
	c["is_archived"] = s.doctor.archived[id]
	c["is_private"] = s.doctor.private[id]
	c["is_member"] = !s.doctor.outside[id]
}

// usergroupsList answers usergroups.list: the workspace's enabled user
// groups, disabled ones too with include_disabled, their members with
// include_users and their member count with include_count.
func (s *Server) usergroupsList(r *apiRequest) (obj, string) {
	withDisabled, withUsers, withCount := isTrue(r.params.Get("include_disabled")), isTrue(r.params.Get("include_users")), isTrue(r.params.Get("include_count"))
	ids := make([]string, 0, len(s.usergroups))
	for id := range s.usergroups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	groups := []obj{}
	for _, id := range ids {
		g := s.usergroups[id]
		disabled := s.doctor.disabled[id]
		if disabled && !withDisabled {
			continue
		}
		out := obj{
			"id": g.id, "team_id": TeamID, "is_usergroup": true, "name": g.handle, "handle": g.handle,
			"description": "", "is_external": false, "date_create": 1700000000, "date_update": 1700000000,
			"date_delete": 0, "auto_type": nil, "created_by": "U0ADMIN", "updated_by": "U0ADMIN",
			"prefs": obj{"channels": []string{}, "groups": []string{}},
		}
		if disabled {
			out["date_delete"] = 1700000100
			out["deleted_by"] = "U0ADMIN"
		}
		if withUsers {
			out["users"] = slices.Clone(g.members)
		}
		if withCount {
			out["user_count"] = len(g.members)
		}
		groups = append(groups, out)
	}
	return obj{"usergroups": groups}, ""
}

// botsInfo answers bots.info for the fake's bot (the only bot it knows):
// its name, user and app.
func (s *Server) botsInfo(r *apiRequest) (obj, string) {
	if b := r.params.Get("bot"); b != "" && b != s.botID {
		return nil, "bot_not_found"
	}
	return obj{"bot": obj{
		"id": s.botID, "deleted": false, "name": s.botName, "updated": 1700000000,
		"app_id": AppID, "user_id": s.botUserID, "icons": obj{},
	}}, ""
}
