package discordfake

import (
	"net/http"
	"strconv"
)

// What an operator's checks (liaison doctor) read from Discord beyond the
// rest of the fake: the application (GET /applications/@me) with its flags,
// which say whether the privileged intents are enabled, and the permission
// overwrites of channels (Channel.PermissionOverwrites).

// Application flags that enable the privileged gateway intents. A verified
// application (in 100 servers or more) has the plain flag once Discord
// approved the intent; an unverified one has the _LIMITED flag when the
// toggle is on in the developer portal. Either enables the intent.
const (
	FlagGatewayPresence                    = 1 << 12
	FlagGatewayPresenceLimited             = 1 << 13
	FlagGatewayGuildMembers                = 1 << 14
	FlagGatewayGuildMembersLimited         = 1 << 15
	FlagGatewayMessageContent              = 1 << 18
	FlagGatewayMessageContentLimited       = 1 << 19
	DefaultApplicationFlags                = FlagGatewayGuildMembersLimited | FlagGatewayMessageContentLimited
	overwriteTypeRole, overwriteTypeMember = 0, 1
)

// Overwrite is a channel's permission overwrite for a role (the guild id
// for @everyone) or a member, as Discord stores it: bits the overwrite
// allows and bits it denies. The fake reports overwrites; it does not apply
// them to the bot's own REST calls.
type Overwrite struct {
	ID string
	// Member is true for a member's overwrite (type 1), false for a role's
	// (type 0).
	Member      bool
	Allow, Deny int64
}

// appState is the application's part of the fake.
type appState struct {
	flags    int
	flagsSet bool
}

// SetApplicationFlags sets the application's flags (see the Flag
// constants; default DefaultApplicationFlags: an unverified bot with the
// Server Members and Message Content intents turned on). The gateway does
// not enforce them: a session identifying with a disabled privileged intent
// still connects.
func (s *Server) SetApplicationFlags(flags int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app.flags, s.app.flagsSet = flags, true
}

// applicationFlags is the application's flags. Called with mu held.
func (s *Server) applicationFlags() int {
	if !s.app.flagsSet {
		return DefaultApplicationFlags
	}
	return s.app.flags
}

// getApplication answers GET /applications/@me: the application that owns
// the token, with its bot user and flags.
func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bot := s.userJSON(s.botID)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": s.applicationID(), "name": s.botName, "icon": nil, "description": "",
		"bot_public": true, "bot_require_code_grant": false, "bot": bot,
		"verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
		"flags":      s.applicationFlags(), "team": nil, "owner": map[string]any{"id": "1000000000000000099", "username": "owner", "discriminator": "0", "avatar": nil},
		"summary": "", "approximate_guild_count": len(s.guilds), "redirect_uris": []string{},
		"interactions_endpoint_url": nil, "role_connections_verification_url": nil,
		"tags": []string{}, "install_params": nil, "integration_types_config": map[string]any{},
	})
}

// overwritesJSON is a channel's permission_overwrites as Discord sends them:
// allow and deny as decimal strings.
func overwritesJSON(ows []Overwrite) []any {
	out := make([]any, 0, len(ows))
	for _, o := range ows {
		typ := overwriteTypeRole
		if o.Member {
			typ = overwriteTypeMember
		}
		out = append(out, map[string]any{
			"id": o.ID, "type": typ,
			"allow": strconv.FormatInt(o.Allow, 10), "deny": strconv.FormatInt(o.Deny, 10),
		})
	}
	return out
}
