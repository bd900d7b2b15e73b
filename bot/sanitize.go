package bot

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The two sanitisers, one per direction. Senders apply them to every piece
// of text they render, so a handler cannot forget: user text never pings.

// zwsp is a zero-width space: inserted after "@", it leaves the word readable
// and keeps every platform from treating it as a mention.
const zwsp = "\u200b"

// broadcast matches the words Slack and Discord may expand into a
// channel-wide ping, in any case and after any look-alike normalisation a
// client might do (full-width @).
var broadcast = regexp.MustCompile(`(?i)([@＠﹫])(channel|here|everyone|all)\b`)

// SlackText makes text that came from a user (a Discord message, a feed
// item) safe to put in a Slack message: Slack's control sequences start with
// "<" (<!channel>, <!here>, <!everyone>, <!subteam^…>, <@U…>, <#C…>), so
// escaping &, < and > as Slack asks turns all of them, nested or malformed,
// into plain text; and "@channel", "@here", "@everyone" typed as words are
// broken with a zero-width space so no auto-linking can revive them.
func SlackText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = slackEscaper.Replace(s)
	return breakBroadcasts(s)
}

// breakBroadcasts breaks @channel, @here, @everyone and @all with a
// zero-width space. The regular expression runs only on text with an at
// sign: on a long help text it was an eighth of a slash command's CPU.
func breakBroadcasts(s string) string {
	// ＠ and ﹫ both start with the byte 0xEF in UTF-8: two byte searches
	// say the text has none of the three, where strings.ContainsAny, given
	// characters outside ASCII, decodes every rune (a twentieth of a
	// signed help command's CPU).
	if strings.IndexByte(s, '@') < 0 && strings.IndexByte(s, 0xEF) < 0 {
		return s
	}
	return broadcast.ReplaceAllString(s, "$1"+zwsp+"$2")
}

var (
	slackEscaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	slackUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// DiscordText makes text written in Slack (a drafted reply, a note) safe to
// post in Discord. The Discord sender also sends allowed_mentions with
// nothing to parse, which is what stops pings; this is the second lock:
// @everyone and @here are broken with a zero-width space, and Slack's own
// mention syntax is turned into readable names instead of leaking ids.
func DiscordText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		if discordTimestamp.MatchString(m) {
			return m // <t:1764835200:R>: Discord shows a time in the reader's zone; it cannot ping
		}
		inner := m[1 : len(m)-1]
		if i := strings.IndexByte(inner, '|'); i >= 0 {
			label := inner[i+1:]
			if u := inner[:i]; strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
				return "[" + label + "](" + u + ")" // Discord's masked link
			}
			return label // <!subteam^S1|@team>, <@U1|carol>
		}
		switch {
		case strings.HasPrefix(inner, "!"):
			return "@" + strings.TrimPrefix(inner, "!")
		case strings.HasPrefix(inner, "@"), strings.HasPrefix(inner, "#"):
			return inner
		}
		return inner // a bare URL
	})
	s = slackUnescaper.Replace(s)
	return breakBroadcasts(s)
}

// discordTimestamp matches Discord's timestamp markup, <t:UNIX> or
// <t:UNIX:STYLE>.
var discordTimestamp = regexp.MustCompile(`^<t:-?[0-9]{1,13}(:[tTdDfFR])?>$`)

// DiscordTime writes t as Discord's timestamp markup in style (R: "in 2
// hours", f: the date and time), shown in each reader's own timezone.
func DiscordTime(t time.Time, style string) string {
	return "<t:" + strconv.FormatInt(t.Unix(), 10) + ":" + style + ">"
}

// slackMarkup matches Slack's <…> sequences: links, mentions, specials.
var slackMarkup = regexp.MustCompile(`<[^<>\n]+>`)
