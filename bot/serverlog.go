package bot

import "time"

// Events and outbox kinds of the server event logs and modmail: what
// happens on a Discord server besides messages (member updates, bulk
// deletions, staff changing channels and roles) and the direct messages
// members send Liaison.

// MemberUpdated is a member's nickname or roles changed
// (GUILD_MEMBER_UPDATE). Discord sends the new state only: the "before"
// is what the store last recorded.
type MemberUpdated struct {
	Delivery
	ScopeID string
	User    User // Roles are the member's roles now
	Nick    string
	// JoinedAt is when the member joined, when Discord says.
	JoinedAt time.Time
}

// MemberFacts is what the store keeps of a member: roles, nickname and
// when they joined.
type MemberFacts struct {
	User     User // Roles are the member's role ids
	Nick     string
	JoinedAt time.Time
}

// MembersChunk is part of a server's member list, as Discord sends it when
// a session starts (Liaison asks for every member once): the facts of
// members who changed while Liaison was away are brought up to date.
type MembersChunk struct {
	Delivery
	ScopeID string
	Members []MemberFacts
	Index   int // this chunk's index, from 0
	Count   int // how many chunks the list has
}

// MessagesDeleted reports messages deleted at once (a bulk delete).
type MessagesDeleted struct {
	Delivery
	Place
	IDs []string
}

// ServerChange is a change staff made to the server's channels or roles,
// as the audit log records it.
type ServerChange struct {
	Delivery
	GuildID  string
	EntryID  string
	ActorID  string
	Subject  string // "channel" or "role"
	Op       string // "created", "updated" or "deleted"
	TargetID string
	Name     string   // the channel's or role's name, when the entry says
	Changes  []string // "name: old → new", one per changed key
}

// DirectMessage is a message a user sent Liaison in private (a Discord
// DM): modmail.
type DirectMessage struct {
	Delivery
	ID          string // the message id
	ChannelID   string // the DM channel
	Author      User
	Text        string
	Attachments []string // file names
}

// KindDM is the outbox kind of a direct message to a user; its payload is
// a DirectPost.
const KindDM = "dm"

// DirectPost is a message Liaison sends a user in private. Post.ChannelID
// is unused: the sender opens the user's DM channel.
type DirectPost struct {
	UserID string `json:"user_id"`
	// Lane is the user id again, under the name Lane reads: one user's
	// DMs are sent in the order they were made.
	Lane string `json:"channel_id"`
	// UserName is how errors name the user ("" for their id).
	UserName string `json:"user_name,omitempty"`
	Post     Post   `json:"post"`
}

// Invite is a server invite and how many joined with it.
type Invite struct {
	Code      string
	Uses      int
	InviterID string
}

// InviteCounts is a server's invites with their use counts, read when a
// gateway session starts: the baseline the next join is compared with.
type InviteCounts struct {
	Delivery
	ScopeID string
	Invites []Invite
}
