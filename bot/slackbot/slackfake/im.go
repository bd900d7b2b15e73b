package slackfake

import (
	"strings"
)

// Direct messages with the bot: conversations.open gives the bot's DM
// with a user (its id starts with D; the same DM every time), which
// chat.postMessage and files.completeUploadExternal take. As Slack does,
// files.completeUploadExternal refuses a user id where it wants a
// channel's: a file reaches a person through their DM's id only.

func init() {
	apiMethods["conversations.open"] = (*Server).conversationsOpen
	methodScopes["conversations.open"] = []string{"im:write", "mpim:write", "channels:manage", "groups:write"}
}

// conversationsOpen answers conversations.open for one user (users=U…),
// or an existing DM (channel=D…).
func (s *Server) conversationsOpen(r *apiRequest) (obj, string) {
	users := r.params.Get("users")
	if users == "" {
		ch := s.channels[r.params.Get("channel")]
		if ch == nil || !ch.isIM {
			return nil, "channel_not_found"
		}
		return obj{"channel": obj{"id": ch.id}}, ""
	}
	if strings.Contains(users, ",") {
		return nil, "not_supported" // group DMs: not modelled
	}
	u := s.users[users]
	if u == nil || u.id == s.botUserID {
		return nil, "user_not_found"
	}
	ch := s.channel(u.id) // creates the DM
	already := len(ch.msgs) > 0
	return obj{"channel": obj{"id": ch.id}, "no_op": already, "already_open": already}, ""
}

// isUserID says whether ref names a user rather than a conversation.
func isUserID(ref string) bool {
	return strings.HasPrefix(ref, "U") || strings.HasPrefix(ref, "W")
}
