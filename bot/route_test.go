package bot_test

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
)

var demoRules = []bot.Rule{
	{Name: "bugs", Keywords: []string{"crash", "bug", "broken", "does not work"}, To: []string{"product"}, AddTags: []string{"bug"}, Stop: true},
	{Name: "praise", Sentiment: "positive", To: []string{"marketing"}, AddTags: []string{"praise"}},
	{Name: "pricing", Patterns: []*regexp.Regexp{regexp.MustCompile(`\bpric(e|ing)\b|€\d+`)}, To: []string{"marketing", "product"}},
	{Name: "vip", Channels: []string{"C-VIP"}, Platform: bot.PlatformDiscord, To: []string{"community"}},
	{Name: "tagged-bugs", Tags: []string{"bug"}, To: []string{"never"}},
}

func TestRouteEvaluatesRulesInOrderWithStopAndDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   bot.RouteInput
		want bot.Routing
	}{
		{
			name: "a crash goes to product, tagged bug, and stops",
			in:   bot.RouteInput{Text: "The export button CRASHES on big files, I love it otherwise", Sentiment: "positive"},
			want: bot.Routing{
				Matches: []bot.RuleMatch{{Rule: "bugs", Why: `mentions "crash"`}},
				To:      []bot.Destination{{To: "product", Rule: "bugs"}},
				Tags:    []string{"bug"},
			},
		},
		{
			name: "praise about pricing goes to both, each destination once",
			in:   bot.RouteInput{Text: "great pricing, thanks", Sentiment: "positive"},
			want: bot.Routing{
				Matches: []bot.RuleMatch{{Rule: "praise", Why: "positive"}, {Rule: "pricing", Why: `mentions /\bpric(e|ing)\b|€\d+/`}},
				To:      []bot.Destination{{To: "marketing", Rule: "praise"}, {To: "product", Rule: "pricing"}},
				Tags:    []string{"praise"},
			},
		},
		{
			name: "nothing matching goes to the default",
			in:   bot.RouteInput{Text: "how do I export to CSV?", Sentiment: "neutral"},
			want: bot.Routing{To: []bot.Destination{{To: "product", Rule: "default"}}},
		},
		{
			name: "a phrase matches words in a row",
			in:   bot.RouteInput{Text: "search does not work for me"},
			want: bot.Routing{
				Matches: []bot.RuleMatch{{Rule: "bugs", Why: `mentions "does not work"`}},
				To:      []bot.Destination{{To: "product", Rule: "bugs"}},
				Tags:    []string{"bug"},
			},
		},
		{
			name: "a keyword is a word prefix, not any substring",
			in:   bot.RouteInput{Text: "debugging tips please"},
			want: bot.Routing{To: []bot.Destination{{To: "product", Rule: "default"}}},
		},
		{
			name: "channel and platform conditions both have to hold",
			in:   bot.RouteInput{Text: "hello", Platform: bot.PlatformDiscord, ChannelID: "C-VIP"},
			want: bot.Routing{
				Matches: []bot.RuleMatch{{Rule: "vip", Why: "from discord, in its channel"}},
				To:      []bot.Destination{{To: "community", Rule: "vip"}},
			},
		},
		{
			name: "the same channel on another platform does not match",
			in:   bot.RouteInput{Text: "hello", Platform: bot.PlatformSlack, ChannelID: "C-VIP"},
			want: bot.Routing{To: []bot.Destination{{To: "product", Rule: "default"}}},
		},
		{
			name: "intake tags count for tag conditions",
			in:   bot.RouteInput{Text: "hi", Tags: []string{"bug"}},
			want: bot.Routing{
				Matches: []bot.RuleMatch{{Rule: "tagged-bugs", Why: "tagged bug"}},
				To:      []bot.Destination{{To: "never", Rule: "tagged-bugs"}},
				Tags:    []string{"bug"},
			},
		},
	}
	for _, tt := range tests {
		got := bot.Route(demoRules, []string{"product"}, tt.in)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []string) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b)) })); diff != "" {
			t.Errorf("%s: Route(%q) mismatch (-want +got):\n%s", tt.name, tt.in.Text, diff)
		}
	}
}

func TestWordsKeepsContractionsAndAccents(t *testing.T) {
	t.Parallel()
	got := bot.Words("L'export plante! It doesn't work… Café, 2.0")
	want := []string{"l'export", "plante", "it", "doesn't", "work", "café", "2", "0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Words mismatch (-want +got):\n%s", diff)
	}
}
