package bot_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

// slackPing matches anything Slack could turn into a notification.
var slackPing = regexp.MustCompile(`<[!@#]|(?i)[@＠﹫](channel|here|everyone)\b`)

func TestSlackTextLetsNoPingThrough(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"<!channel> the app is down",
		"<!here|here> look",
		"<!everyone>",
		"<!subteam^S0123ABC|@product-team> please",
		"<@U01CAROL> you're wrong",
		"<#C01PRODUCT|product>",
		"@channel @here @everyone @Channel @HERE",
		"＠channel full-width",
		"﹫here small form",
		"<<!channel>>",
		"<<<!here>",
		"&lt;!channel&gt;",
		"<!channel",
		"<!date^1392734382^{date}|Feb 18>",
		"text <!chan\u200bnel> split",
		"<mailto:x@y.z|@channel>",
		strings.Repeat("<!channel>", 500),
		"\xff\xfe<!here> invalid utf-8",
	}
	for _, in := range hostile {
		out := bot.SlackText(in)
		if slackPing.MatchString(out) {
			t.Errorf("SlackText(%q) = %q, which can still ping", in, out)
		}
	}
}

func TestSlackTextKeepsOrdinaryTextReadable(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"the export button crashes", "the export button crashes"},
		{"a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"},
		{"mail me at bob@example.com", "mail me at bob@example.com"},
		{"@here", "@\u200bhere"},
		{"we're all @ the office", "we're all @ the office"},
	}
	for _, tt := range tests {
		if got := bot.SlackText(tt.in); got != tt.want {
			t.Errorf("SlackText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// discordPing matches text Discord would parse as a mass mention.
var discordPing = regexp.MustCompile(`(?i)[@＠﹫](everyone|here)\b`)

func TestDiscordTextBreaksMassMentionsAndSlackMarkup(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Thanks! We fixed it in 2.3.", "Thanks! We fixed it in 2.3."},
		{"@everyone update", "@\u200beveryone update"},
		{"<!here> new release", "@\u200bhere new release"},
		{"ask <!subteam^S1|@support>", "ask @support"},
		{"see <https://example.com/docs|the docs>", "see [the docs](https://example.com/docs)"},
		{"<https://example.com>", "https://example.com"},
		{"a &lt;b&gt; &amp; c", "a <b> & c"},
		{"ends <t:1764835200:R> (<t:1764835200:f>)", "ends <t:1764835200:R> (<t:1764835200:f>)"},
		{"<t:abc:R> <t:1:X>", "t:abc:R t:1:X"},
	}
	for _, tt := range tests {
		got := bot.DiscordText(tt.in)
		if got != tt.want {
			t.Errorf("DiscordText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if discordPing.MatchString(got) {
			t.Errorf("DiscordText(%q) = %q can still mass-ping", tt.in, got)
		}
	}
}
