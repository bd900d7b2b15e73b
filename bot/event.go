package bot

import (
	"context"
	"time"
)

// The platform-neutral events adapters produce. An adapter verifies and
// parses a platform's request or gateway event, fills one of these, and hands
// it to a Handler; it never decides what the event means.

// User is a person (or bot) on a platform.
type User struct {
	Platform string
	ID       string   // Slack U…, Discord snowflake
	Name     string   // handle: Slack name, Discord username
	Display  string   // display name, when the platform says
	Bot      bool     // bots are excluded from statistics and never treated as members
	Roles    []string // Discord role ids in the guild; nil when the event did not say, empty when none
}

// Label is how Liaison names the user in messages: the display name, else
// the handle, else the id.
func (u User) Label() string {
	switch {
	case u.Display != "":
		return u.Display
	case u.Name != "":
		return u.Name
	}
	return u.ID
}

// Place is where something happened.
type Place struct {
	Platform    string
	ScopeID     string // Discord guild id, Slack team id
	ChannelID   string
	ChannelName string // without # or the platform's prefix, when known
}

// InboundKey is a platform identity that makes an event unique; handlers
// record it in the transaction that handles the event, so a redelivery is
// recognised and a failed attempt can be retried. Kinds: "slack_event"
// (team:event_id), "slack_message" (channel:ts), "discord_message" (message
// id), "discord_interaction" (interaction id), "slack_command" (trigger id).
type InboundKey struct{ Kind, Key string }

// Delivery is how an event reached Liaison.
type Delivery struct {
	Keys     []InboundKey // the identities to de-duplicate on
	At       time.Time    // when the platform says it happened
	Backfill bool         // fetched by gap catch-up after a lost gateway session, not live
	Retry    int          // the platform's redelivery count (Slack's X-Slack-Retry-Num)
}

// Event is one of *Message (posted or edited), *MessageDeleted, *Reaction,
// *MemberChange or *GuildCount.
type Event interface{ Delivered() *Delivery }

// Message is a message posted, or edited when Edited is set.
type Message struct {
	Delivery
	Place
	ID       string // Discord message id; Slack ts
	ThreadID string // Slack thread_ts when in a thread; Discord thread channel id when posted in one
	// ThreadName is the Discord thread's (or forum post's) name when the
	// message is in one and the adapter knows it.
	ThreadName string
	// Title is a Discord forum post's title, set on the post's opening
	// message (whose id is the thread's): the post is its title and text.
	Title       string
	ReplyTo     string // Discord: the message it replies to
	Author      User
	Text        string
	Permalink   string
	ThreadStart bool // it opens a thread or forum post
	Edited      bool
	// Closed is set when a read-back finds the message in a thread that is
	// archived or locked: nobody can reply there.
	Closed bool
}

// MessageDeleted reports a deleted message.
type MessageDeleted struct {
	Delivery
	Place
	ID string
	// DeletedBy and DeletedOf are what Discord's audit log says, when it
	// says: a moderator (DeletedBy) deleted a message of DeletedOf in this
	// channel just now. Authors deleting their own messages are not logged.
	DeletedBy, DeletedOf string
}

// ThreadClosed reports a thread archived or locked: nobody replies in it
// any more (Place is its parent channel).
type ThreadClosed struct {
	Delivery
	Place
	ThreadID string
}

// Reaction is an emoji added to (or removed from) a message. Emoji is
// Unicode on Discord (or name:id for a custom one) and a shortcode on Slack
// ("white_check_mark", "+1::skin-tone-2").
type Reaction struct {
	Delivery
	Place
	MessageID string
	// ThreadID is the Discord thread (or forum post) the message is in,
	// "" when it is in the channel itself: Place names the parent channel,
	// the message is read back from the thread's.
	ThreadID string
	User     User
	Emoji    string
	Removed  bool
	// OwnMessage says the message reacted to is one Liaison posted, when
	// the platform tells (Slack's item_user).
	OwnMessage bool
}

// MemberChange is a member joining or leaving a server.
type MemberChange struct {
	Delivery
	ScopeID string
	User    User
	Left    bool
	// Invites are the server's invites with their use counts read as the
	// member joined (the one whose count went up is the one they used);
	// nil when Liaison did not or could not read them.
	Invites []Invite
}

// GuildCount is a server's member count as the platform reports it (Discord
// sends it with each guild when a session starts): the baseline the joins and
// leaves that follow are counted from.
type GuildCount struct {
	Delivery
	ScopeID string
	Members int
}

func (d *Delivery) Delivered() *Delivery { return d }

// FirstKey is the first identity of the delivery, "" when it has none: a
// stable name for what the event causes (an outbox key).
func (d *Delivery) FirstKey() string {
	if len(d.Keys) > 0 {
		return d.Keys[0].Key
	}
	return ""
}

// Command is a slash command or a message context-menu command.
type Command struct {
	Delivery
	Place
	Name string // without the slash: "liaison", "feedback", "warn", or a menu's name ("Send to product")
	// Subcommand is the Discord subcommand run ("start" of /giveaway start),
	// "" for a command without subcommands; Options are then its options.
	Subcommand string
	Text       string   // Slack: everything after the command
	Options    []Option // Discord: the options, in the command's declared order
	Target     *Message // a context-menu command's message
	User       User
}

// Option is one named option of a Discord command.
type Option struct{ Name, Value string }

// Option returns the value of the option called name, or "".
func (c *Command) Option(name string) string {
	for _, o := range c.Options {
		if o.Name == name {
			return o.Value
		}
	}
	return ""
}

// Action is a click on a button Liaison posted.
type Action struct {
	Delivery
	Place
	MessageID string // the message carrying the button (Slack ts, Discord message id)
	ActionID  string // the button's ActionID
	Value     string // the button's Value
	User      User
}

// Submission is a modal (Slack view, Discord modal) submitted.
type Submission struct {
	Delivery
	Place
	CallbackID string            // the Modal's CallbackID
	Meta       string            // the Modal's Meta, round-tripped
	Values     map[string]string // field id → value
	User       User
}

// Reply is the answer to the request in hand: shown to the requester only
// unless Public, sent by the adapter directly (interaction response, Slack
// response_url or ephemeral), never through the outbox. A Reply with a Modal
// opens it instead of posting text.
type Reply struct {
	Text    string
	Public  bool
	Buttons []Button
	Modal   *Modal
	// Stock marks a reply given alike to many requests (the help list of
	// one set of access answers): an adapter may keep its rendering, found
	// again by the reply's text.
	Stock bool
}

// Modal is a form that opens in front of the user.
type Modal struct {
	CallbackID string
	Title      string // at most 24 characters on Slack
	Submit     string // the submit button's label
	Meta       string // opaque state given back in the Submission
	Fields     []ModalField
}

// ModalField is one text input of a Modal.
type ModalField struct {
	ID        string
	Label     string
	Value     string // prefilled text
	Multiline bool
	Optional  bool
}

// Handler is what adapters deliver events to; handlers.Router implements it.
// HandleEvent is for what happens in channels; the others answer a person
// and return what they should see. An error's user-facing message is
// bot.ErrorMessage(err); adapters show it to the requester only.
type Handler interface {
	HandleEvent(ctx context.Context, ev Event) error
	HandleCommand(ctx context.Context, c *Command) (*Reply, error)
	HandleAction(ctx context.Context, a *Action) (*Reply, error)
	HandleSubmission(ctx context.Context, s *Submission) (*Reply, error)
}

// CommandSpec declares a Discord application command a capability handles,
// as data; the Discord adapter registers the union on start.
type CommandSpec struct {
	Name        string
	Description string
	Options     []OptionSpec
	// MessageMenu makes it a message context-menu command ("Send to
	// product"); Description and Options are then unused.
	MessageMenu bool
	// Permission is Discord's default_member_permissions (a decimal
	// bitfield, "" for everyone). The server re-checks every call anyway.
	Permission string
	// Subcommands make it a command of subcommands (/giveaway start,
	// /giveaway end): each has a Name, a Description and its Options; the
	// command's own Options are then unused.
	Subcommands []CommandSpec
	// Example is the command typed right, options named
	// (`/ban user:mallory reason:"spam" duration:7d`), shown where it was
	// typed wrong; "" for none. Discord never sees it.
	Example string
}

// Sub returns the subcommand called name of a command of subcommands.
func (s CommandSpec) Sub(name string) (CommandSpec, bool) {
	for _, sub := range s.Subcommands {
		if sub.Name == name {
			return sub, true
		}
	}
	return CommandSpec{}, false
}

// OptionSpec is one option of a CommandSpec. Discord requires the required
// options first.
type OptionSpec struct {
	Name        string
	Description string
	Type        string // "string", "integer", "boolean", "user", "channel", "role"
	Required    bool
}

// Where returns the place: every event that embeds a Place has it, so
// code that sees only a bot.Event (metrics, logs) can tell its platform.
func (p Place) Where() Place { return p }
