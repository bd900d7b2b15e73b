package slackbot

import (
	"fmt"
	"strings"
)

// shortcodes maps the Unicode emoji Liaison's configuration and handlers use
// to Slack's shortcodes. Slack's reactions.add takes a shortcode only; an
// emoji outside this table must be configured as a shortcode.
var shortcodes = map[string]string{
	"✅": "white_check_mark",
	"❌": "x",
	"👍": "+1",
	"👎": "-1",
	"📣": "mega",
	"👀": "eyes",
	"🎉": "tada",
	"❤": "heart",
	"🙏": "pray",
	"🔥": "fire",
	"🚀": "rocket",
	"⚠": "warning",
	"⏳": "hourglass_flowing_sand",
	"📌": "pushpin",
	"🐛": "bug",
	"💡": "bulb",
	"✍": "writing_hand",
	"🔁": "repeat",
	"🛑": "octagonal_sign",
	"📝": "memo",
	"🤔": "thinking_face",
	"😀": "grinning",
	"🙂": "slightly_smiling_face",
	"😢": "cry",
	"😡": "rage",
	"💯": "100",
	"⭐": "star",
	"🆗": "ok",
	"🔒": "lock",
	"📊": "bar_chart",
	"🗑": "wastebasket",
}

// Shortcode returns the Slack shortcode for an emoji given as Unicode (from
// the table above, variation selectors ignored) or as a shortcode with or
// without colons ("+1", ":tada:", "+1::skin-tone-2").
func Shortcode(emoji string) (string, error) {
	e := strings.TrimSpace(emoji)
	if e == "" {
		return "", fmt.Errorf("no emoji given")
	}
	if name, ok := shortcodes[strings.ReplaceAll(e, "\uFE0F", "")]; ok {
		return name, nil
	}
	name := strings.TrimSuffix(strings.TrimPrefix(e, ":"), ":")
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_+-':", r)) {
			return "", fmt.Errorf("Slack has no shortcode Liaison knows for %q: write it as a Slack shortcode (like :tada:) in liaison.yaml", emoji)
		}
	}
	return name, nil
}
