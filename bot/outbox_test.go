package bot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestLaneNamesWhatAPlatformLimitsTogether(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		platform, kind, payload string
		want                    string
	}{
		{bot.PlatformSlack, bot.KindPost, `{"channel_id":"C01PRODUCT","text":"hi"}`, "slack:C01PRODUCT"},
		{bot.PlatformSlack, bot.KindUpdate, `{"channel_id":"C01PRODUCT","message_id":"1.2"}`, "slack:C01PRODUCT"}, // one lane per Slack channel
		{bot.PlatformSlack, bot.KindReact, `{"channel_id":"C01PRODUCT","emoji":"+1"}`, "slack:C01PRODUCT"},
		{bot.PlatformDiscord, bot.KindPost, `{"channel_id":"123"}`, "discord:123"},
		{bot.PlatformDiscord, bot.KindUpload, `{"channel_id":"123","filename":"chart.png"}`, "discord:123"},
		{bot.PlatformDiscord, bot.KindUpdate, `{"channel_id":"123"}`, "discord/update:123"}, // Discord's route buckets
		{bot.PlatformDiscord, bot.KindReact, `{"channel_id":"123"}`, "discord/react:123"},
		{bot.PlatformDiscord, bot.KindModerate, `{"op":"delete","channel_id":"123"}`, "discord/moderate:123"},
		{bot.PlatformDiscord, bot.KindModerate, `{"op":"ban","guild_id":"9","user_id":"7"}`, ""}, // no channel: on its own
		{bot.PlatformSlack, bot.KindPost, `{}`, ""},
		{bot.PlatformSlack, bot.KindPost, `{"channel_id":5}`, ""},
		{bot.PlatformSlack, bot.KindPost, `not json`, ""},
		{bot.PlatformSlack, bot.KindPost, `["channel_id","C1"]`, ""},
		{bot.PlatformSlack, bot.KindPost, `{"blocks":[{"channel_id":"C9"}],"text":"x"}`, ""}, // only the top level's
		{bot.PlatformSlack, bot.KindPost, `{"text":"a \"channel_id\": here","channel_id":"C2"}`, "slack:C2"},
		{bot.PlatformSlack, bot.KindPost, `{"channel_id":"C\u0031","text":"x"}`, "slack:C1"}, // escaped: decoded
		{bot.PlatformSlack, bot.KindPost, `{"channel_id":"C\"1","text":"x"}`, "slack:C\"1"},
		{bot.PlatformSlack, bot.KindPost, "{\"channel_id\":\"C\t1\"}", ""}, // a control character: not JSON
		{bot.PlatformSlack, bot.KindPost, "{\"channel_id\":\"C\xff\"}", "slack:C\ufffd"},
		{bot.PlatformSlack, bot.KindPost, `{"channel_id":"C1`, ""}, // cut short
		{bot.PlatformSlack, bot.KindPost, `{ "channel_id": "C3" }`, "slack:C3"},
	} {
		if got := bot.Lane(tt.platform, tt.kind, []byte(tt.payload)); got != tt.want {
			t.Errorf("Lane(%s, %s, %s) = %q, want %q", tt.platform, tt.kind, tt.payload, got, tt.want)
		}
	}
}

// BenchmarkLane names the lane of a relay's payload (a few kilobytes),
// which every enqueue does.
func BenchmarkLane(b *testing.B) {
	payload, err := json.Marshal(bot.Post{ChannelID: "C01PRODUCT", Text: strings.Repeat("the export button crashes on big files ", 60)})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if bot.Lane(bot.PlatformSlack, bot.KindPost, payload) != "slack:C01PRODUCT" {
			b.Fatal("wrong lane")
		}
	}
}
