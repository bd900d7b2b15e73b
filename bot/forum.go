package bot

// Forum posts: the public status board's posts in a Discord forum channel
// (feedback.board). A post is a thread of the forum whose first message
// has the thread's id; its status is one of the forum's tags.
const (
	// KindForumPost opens a post in a forum: payload ForumPost. The
	// result's platform id is the post's thread id (its first message's
	// id too).
	KindForumPost = "forum_post"
	// KindForumUpdate edits a post's first message and, when Tag is set,
	// the tag it wears: payload ForumPost; the post is ThreadID, or the
	// parent outbox message's.
	KindForumUpdate = "forum_update"
)

// BoardTags are the forum tags the status board shows an item's status
// with, in the order Liaison adds them to a forum that lacks them.
var BoardTags = []string{"Open", "Planned", "In progress", "Shipped", "Declined"}

// ForumPost is a post of a forum channel as Liaison opens or edits it.
type ForumPost struct {
	// ChannelID is the forum.
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id"`
	// ThreadID is the post an update edits; when empty, the parent outbox
	// message's (the post's creation, or the edit before).
	ThreadID string `json:"thread_id,omitempty"`
	// Name is the post's title (the thread's name), set at creation only:
	// Discord limits renames hard.
	Name string `json:"name"`
	// Tag is the forum tag the post wears, by name, among Tags; "" leaves
	// its tags as they are.
	Tag string `json:"tag,omitempty"`
	// Tags are the tags a forum is given, by name, when it lacks them, as
	// far as its room allows (20 tags a forum): Tag first.
	Tags []string `json:"tags,omitempty"`
	// Marker is text the post's first message always contains ("Feedback
	// #12"), by which a sender that may already have opened the post (a
	// send reclaimed after a crash) finds it instead of opening another.
	Marker string `json:"marker"`
	// Post is the first message: content and buttons, never pings.
	Post Post `json:"post"`
}
