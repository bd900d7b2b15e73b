package bot

import "strings"

// Slack names emoji by shortcode ("white_check_mark", "+1::skin-tone-2") where
// Discord uses the Unicode characters (✅, 👍🏼). Configuration accepts either
// form; these two functions translate between them for the emoji Liaison and
// its users are likely to react with. Skin tones are a matter of taste, not
// meaning: both functions ignore them when matching.

// emojiNames pairs each emoji with its Slack shortcodes, the canonical one
// (what Slack reports) first. Emoji are written without the variation
// selector U+FE0F; lookups strip it too.
var emojiNames = []struct {
	emoji string
	codes []string
}{
	{"✅", []string{"white_check_mark"}},
	{"✔", []string{"heavy_check_mark"}},
	{"❌", []string{"x"}},
	{"❎", []string{"negative_squared_cross_mark"}},
	{"👍", []string{"+1", "thumbsup"}},
	{"👎", []string{"-1", "thumbsdown"}},
	{"📣", []string{"mega"}},
	{"📢", []string{"loudspeaker"}},
	{"👀", []string{"eyes"}},
	{"❤", []string{"heart"}},
	{"🎉", []string{"tada"}},
	{"🔥", []string{"fire"}},
	{"🚀", []string{"rocket"}},
	{"⭐", []string{"star"}},
	{"✨", []string{"sparkles"}},
	{"👏", []string{"clap"}},
	{"🙌", []string{"raised_hands"}},
	{"🙏", []string{"pray"}},
	{"👋", []string{"wave"}},
	{"👌", []string{"ok_hand"}},
	{"💯", []string{"100"}},
	{"😄", []string{"smile"}},
	{"🙂", []string{"slightly_smiling_face"}},
	{"😂", []string{"joy"}},
	{"😍", []string{"heart_eyes"}},
	{"🤔", []string{"thinking_face", "thinking"}},
	{"😢", []string{"cry"}},
	{"😭", []string{"sob"}},
	{"😞", []string{"disappointed"}},
	{"😠", []string{"angry"}},
	{"😡", []string{"rage"}},
	{"⚠", []string{"warning"}},
	{"🚨", []string{"rotating_light"}},
	{"🐛", []string{"bug"}},
	{"❓", []string{"question"}},
	{"❗", []string{"exclamation", "heavy_exclamation_mark"}},
	{"📝", []string{"memo", "pencil"}},
	{"📌", []string{"pushpin"}},
	{"🔔", []string{"bell"}},
	{"⏳", []string{"hourglass_flowing_sand"}},
	{"⌛", []string{"hourglass"}},
	{"💬", []string{"speech_balloon"}},
	{"🔨", []string{"hammer"}},
	{"🛡", []string{"shield"}},
	{"🔒", []string{"lock"}},
	{"🔗", []string{"link"}},
	{"🗑", []string{"wastebasket"}},
	{"📈", []string{"chart_with_upwards_trend"}},
	{"📉", []string{"chart_with_downwards_trend"}},
	{"📊", []string{"bar_chart"}},
	{"⛔", []string{"no_entry"}},
	{"🚫", []string{"no_entry_sign"}},
}

var (
	codeOf  = map[string]string{} // emoji (without U+FE0F) → canonical shortcode
	emojiOf = map[string]string{} // any shortcode → emoji
)

func init() {
	for _, e := range emojiNames {
		codeOf[e.emoji] = e.codes[0]
		for _, c := range e.codes {
			emojiOf[c] = e.emoji
		}
	}
}

// skinTones are the Fitzpatrick modifiers U+1F3FB to U+1F3FF, which Slack
// calls skin-tone-2 to skin-tone-6.
const skinToneFirst, skinToneLast = '\U0001F3FB', '\U0001F3FF'

// SlackShortcode returns the shortcode Slack reports for emoji: "✅" gives
// "white_check_mark" and "👍🏼" gives "+1::skin-tone-3". A shortcode, with or
// without colons, gives Slack's own name for it (":thumbsup:" gives "+1"),
// or itself when Liaison does not know it (a custom emoji). An emoji Liaison
// does not know gives "".
func SlackShortcode(emoji string) string {
	s := strings.TrimSpace(emoji)
	if isShortcode(s) {
		s = strings.Trim(s, ":")
		base, tone, _ := strings.Cut(s, "::skin-tone-")
		if e, ok := emojiOf[base]; ok && !strings.Contains(base, ":") {
			base = codeOf[e]
		}
		if tone != "" {
			return base + "::skin-tone-" + tone
		}
		return base
	}
	s = strings.ReplaceAll(s, "\uFE0F", "")
	tone := ""
	if r := []rune(s); len(r) > 1 && r[len(r)-1] >= skinToneFirst && r[len(r)-1] <= skinToneLast {
		tone = "::skin-tone-" + string(rune('2'+r[len(r)-1]-skinToneFirst))
		s = string(r[:len(r)-1])
	}
	code, ok := codeOf[s]
	if !ok {
		return ""
	}
	return code + tone
}

// EmojiForShortcode returns the Unicode emoji for a Slack shortcode, with or
// without colons and ignoring any skin tone: "+1::skin-tone-2" and ":+1:"
// both give "👍". An emoji given instead of a shortcode is returned without
// its skin tone. A shortcode Liaison does not know (a workspace's custom
// emoji) gives "".
func EmojiForShortcode(code string) string {
	s := strings.TrimSpace(code)
	if !isShortcode(s) {
		return stripTone(s)
	}
	s = strings.Trim(s, ":")
	if i := strings.Index(s, ":skin-tone-"); i >= 0 {
		s = strings.TrimRight(s[:i], ":")
	}
	e, ok := emojiOf[s]
	if !ok {
		return ""
	}
	if e == "❤" || e == "⚠" || e == "✔" || e == "🛡" || e == "🗑" {
		e += "\uFE0F" // these display as emoji only with the variation selector
	}
	return e
}

// SameEmoji reports whether a and b, each an emoji or a Slack shortcode,
// name the same emoji, skin tones aside: SameEmoji("👍", "+1::skin-tone-2").
func SameEmoji(a, b string) bool {
	ea, eb := EmojiForShortcode(a), EmojiForShortcode(b)
	if ea != "" && eb != "" {
		return strings.ReplaceAll(ea, "\uFE0F", "") == strings.ReplaceAll(eb, "\uFE0F", "")
	}
	return strings.Trim(strings.TrimSpace(a), ":") == strings.Trim(strings.TrimSpace(b), ":")
}

// isShortcode reports whether s is written in ASCII, as shortcodes are and
// emoji are not.
func isShortcode(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func stripTone(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= skinToneFirst && r <= skinToneLast {
			return -1
		}
		return r
	}, s)
}
