package bot_test

import (
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestSlackShortcodeNamesEmojiAsSlackReportsThem(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"✅", "white_check_mark"},
		{"❌", "x"},
		{"👍", "+1"},
		{"📣", "mega"},
		{"👀", "eyes"},
		{"❤️", "heart"}, // with the variation selector
		{"❤", "heart"},  // without
		{"👍🏼", "+1::skin-tone-3"},
		{"👍🏿", "+1::skin-tone-6"},
		{"white_check_mark", "white_check_mark"},
		{":mega:", "mega"},
		{"+1::skin-tone-2", "+1::skin-tone-2"},
		{":thumbsup:", "+1"},
		{"thumbsup::skin-tone-4", "+1::skin-tone-4"},
		{"party_parrot", "party_parrot"},
		{" 👀 ", "eyes"},
		{"🦜", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := bot.SlackShortcode(tt.in); got != tt.want {
			t.Errorf("SlackShortcode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmojiForShortcodeIgnoresColonsAndSkinTones(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"white_check_mark", "✅"},
		{"x", "❌"},
		{"+1", "👍"},
		{"thumbsup", "👍"},
		{":+1:", "👍"},
		{"+1::skin-tone-2", "👍"},
		{":+1::skin-tone-5:", "👍"},
		{"mega", "📣"},
		{"eyes", "👀"},
		{"heart", "❤️"},
		{"👍🏽", "👍"}, // an emoji comes back without its tone
		{"party_parrot", ""},
	}
	for _, tt := range tests {
		if got := bot.EmojiForShortcode(tt.in); got != tt.want {
			t.Errorf("EmojiForShortcode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEveryKnownEmojiRoundTrips(t *testing.T) {
	t.Parallel()
	for _, e := range []string{"✅", "❌", "👍", "👎", "📣", "👀", "❤️", "🎉", "⚠️", "🐛", "🛡️", "🗑️"} {
		code := bot.SlackShortcode(e)
		if code == "" {
			t.Errorf("SlackShortcode(%q) = \"\", want a shortcode", e)
			continue
		}
		if back := bot.EmojiForShortcode(code); back != e {
			t.Errorf("EmojiForShortcode(SlackShortcode(%q) = %q) = %q, want %q", e, code, back, e)
		}
	}
}

func TestSameEmojiMatchesAcrossPlatforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"👍", "+1::skin-tone-2", true},
		{"📣", ":mega:", true},
		{"❤", "heart", true},
		{"✅", "x", false},
		{"party_parrot", ":party_parrot:", true},
		{"party_parrot", "mega", false},
	}
	for _, tt := range tests {
		if got := bot.SameEmoji(tt.a, tt.b); got != tt.want {
			t.Errorf("SameEmoji(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
