package bot

import (
	"strconv"
	"strings"
)

// Outbox kinds and their payloads. Handlers describe what to post in these
// platform-neutral terms; each platform's sender renders them (Slack Block
// Kit, Discord content and components, the console's lines) and applies the
// platform's sanitiser to every piece of text, so user text never pings.
const (
	KindPost   = "post"   // payload: Post; a new message
	KindUpdate = "update" // payload: Post; edits the message Post.MessageID, or the parent message
	KindReact  = "react"  // payload: React; adds a reaction
	KindUpload = "upload" // payload: Upload; a file, in a channel or a thread
)

// Post is a message Liaison sends or edits.
type Post struct {
	ChannelID string `json:"channel_id"`
	// ThreadOf is the message this one answers: a Slack thread_ts, a Discord
	// message id (sent as a reply, message_reference). When empty and the
	// outbox message has a parent, the parent's platform id is used.
	ThreadOf string `json:"thread_of,omitempty"`
	// MessageID is the message a KindUpdate edits; when empty, the parent's.
	MessageID string `json:"message_id,omitempty"`
	// Notify lists user ids (or, on Slack, user group ids, S…) this post
	// deliberately pings (rendered as
	// mentions before the text). Nobody else can be pinged by a post.
	Notify  []string `json:"notify,omitempty"`
	Title   string   `json:"title,omitempty"`
	Text    string   `json:"text,omitempty"`
	Quote   string   `json:"quote,omitempty"` // quoted user text, shown as a block quote
	Fields  []Field  `json:"fields,omitempty"`
	Link    *Link    `json:"link,omitempty"`
	Context string   `json:"context,omitempty"` // small print at the bottom
	Buttons []Button `json:"buttons,omitempty"`
	// Sections are the headed parts of a longer message, such as a report:
	// shown after the fields, each under its heading (a block of its own in
	// Slack).
	Sections []Section `json:"sections,omitempty"`
}

// Section is one headed part of a Post: a heading and short lines under it.
type Section struct {
	Title string `json:"title"`
	Lines []Line `json:"lines,omitempty"`
}

// Line is one line of a Section; with a URL (http or https) it is a link.
type Line struct {
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
}

// Field is a label and a short value shown side by side.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Link is a titled URL.
type Link struct {
	URL   string `json:"url"`
	Label string `json:"label"`
}

// Button is a clickable action. Clicks come back as an Action with the same
// ActionID and Value.
type Button struct {
	ActionID string `json:"action_id"`
	Label    string `json:"label"`
	Value    string `json:"value,omitempty"`
	Style    string `json:"style,omitempty"` // "", "primary" or "danger"
}

// React adds Emoji (Unicode, or a Slack shortcode) to a message; MessageID
// empty means the parent outbox message.
type React struct {
	ChannelID string `json:"channel_id"`
	MessageID string `json:"message_id,omitempty"`
	Emoji     string `json:"emoji"`
}

// Upload posts a file, in the parent message's thread when there is one.
type Upload struct {
	ChannelID string `json:"channel_id"`
	// ToUser sends the file to one person instead, in their direct
	// message with Liaison (Slack): ChannelID is then empty.
	ToUser   string `json:"to_user,omitempty"`
	ThreadOf string `json:"thread_of,omitempty"`
	Filename string `json:"filename"`
	Title    string `json:"title,omitempty"`
	Comment  string `json:"comment,omitempty"`
	Data     []byte `json:"data"`
}

// Truncate cuts s to at most n bytes, at the start of a character so that
// no UTF-8 sequence is split.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// OneLine shows s on one line of at most about n bytes, for a list: its
// runs of white space (line breaks too) become one space, and a longer
// text is cut and ends with "…".
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return Truncate(s, n) + "…"
	}
	return s
}

// maxQuoted is how much of a person's input an error message quotes.
const maxQuoted = 80

// Quoted shows what someone typed inside an error message: in quotes, on
// one line, cut to about 80 characters. An option can hold thousands of
// characters, and an answer quoting it whole would pass the platform's
// limit (2,000 characters on Discord), which refuses it: the person would
// see no answer at all.
func Quoted(s string) string { return strconv.Quote(OneLine(s, maxQuoted)) }
