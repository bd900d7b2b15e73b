package console

import (
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

var twoButtons = []bot.Button{{ActionID: "feedback.ack", Label: "Acknowledge"}, {ActionID: "feedback.close", Label: "Close"}}

func TestEntriesPrintInTheFormsDesignFixes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    entry
		want string
	}{
		{
			"a typed message is echoed with its reference",
			entry{platform: "discord", channel: "#feedback", ref: "d1", author: "alice", lines: []string{"the export button crashes"}},
			"[discord #feedback] d1 alice: the export button crashes",
		},
		{
			"Liaison's buttons follow a one-line text",
			entry{platform: "slack", channel: "#product", ref: "s2", author: "liaison", lines: []string{"text"}, buttons: twoButtons},
			"[slack #product] s2 liaison: text [Acknowledge] [Close]",
		},
		{
			"a Slack reply names its thread",
			entry{platform: "slack", channel: "#product", ref: "s4", parent: "s2", author: "liaison", lines: []string{"…"}},
			"[slack #product] s4 (thread s2) liaison: …",
		},
		{
			"a Discord reply names the message it answers",
			entry{platform: "discord", channel: "#feedback", ref: "d5", parent: "d1", author: "liaison", lines: []string{"…"}},
			"[discord #feedback] d5 (reply d1) liaison: …",
		},
		{
			"a reply to one person has no reference",
			entry{platform: "slack", channel: "#product", to: "bob", author: "liaison", lines: []string{"…"}},
			"[slack #product] (to bob) liaison: …",
		},
		{
			"a reply to one person with buttons has one",
			entry{platform: "slack", channel: "#product", ref: "s6", to: "bob", author: "liaison", lines: []string{"…"}},
			"[slack #product] s6 (to bob) liaison: …",
		},
		{
			"an edit is marked",
			entry{platform: "slack", channel: "#product", ref: "s2", mark: "edited", author: "liaison", lines: []string{"…"}},
			"[slack #product] s2 edited liaison: …",
		},
		{
			"a reaction shows the emoji before who added it",
			entry{platform: "slack", channel: "#product", ref: "s2", mark: "+✅", author: "liaison"},
			"[slack #product] s2 +✅ liaison",
		},
		{
			"a file shows its name",
			entry{platform: "slack", channel: "#community", ref: "s7", author: "liaison", lines: uploadLines(bot.Upload{Filename: "chart.png"})},
			"[slack #community] s7 liaison: [file chart.png]",
		},
		{
			"further lines are indented by four spaces and buttons come last, on their own line",
			entry{platform: "slack", channel: "#product", ref: "s2", author: "liaison", lines: []string{"Feedback #1", "> it crashes", ""}, buttons: twoButtons},
			"[slack #product] s2 liaison: Feedback #1\n    > it crashes\n\n    [Acknowledge] [Close]",
		},
		{
			"buttons alone follow the author",
			entry{platform: "discord", channel: "#general", ref: "d3", author: "liaison", buttons: twoButtons},
			"[discord #general] d3 liaison: [Acknowledge] [Close]",
		},
		{
			"a click is told as an action",
			entry{platform: "slack", channel: "#product", author: "bob", action: "clicked [Close] on s2"},
			"[slack #product] bob clicked [Close] on s2",
		},
		{
			"a deletion is marked",
			entry{platform: "discord", channel: "#feedback", ref: "d1", mark: "deleted"},
			"[discord #feedback] d1 deleted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.e.String(); got != tt.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPostsRenderPieceByPiece(t *testing.T) {
	t.Parallel()
	names := map[string]string{"U01CAROL": "carol"}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
	p := bot.Post{
		Notify:  []string{"U01CAROL", "U09UNKNOWN"},
		Title:   "Feedback #1 from alice",
		Text:    "Routed to product.\nPlease look.",
		Quote:   "the export\nbutton crashes",
		Fields:  []bot.Field{{Name: "Votes", Value: "2"}, {Name: "Status", Value: "open"}},
		Link:    &bot.Link{URL: "https://discord.com/channels/1/2/3", Label: "Open in Discord"},
		Context: "routed by bugs",
		Buttons: twoButtons,
	}
	e := entry{platform: "slack", channel: "#product", ref: "s2", author: "liaison", lines: postLines(p, name), buttons: p.Buttons}
	want := `[slack #product] s2 liaison: @carol @U09UNKNOWN Feedback #1 from alice
    Routed to product.
    Please look.
    > the export
    > button crashes
    Votes: 2
    Status: open
    Open in Discord <https://discord.com/channels/1/2/3>
    routed by bugs
    [Acknowledge] [Close]`
	if got := e.String(); got != want {
		t.Errorf("rendered post =\n%s\nwant\n%s", got, want)
	}
	if got := postLines(bot.Post{Link: &bot.Link{URL: "https://x.example"}}, name); len(got) != 1 || got[0] != "<https://x.example>" {
		t.Errorf("a link without a label = %q, want <https://x.example>", got)
	}
	if got := postLines(bot.Post{Notify: []string{"U01CAROL"}}, name); len(got) != 1 || got[0] != "@carol" {
		t.Errorf("a post that only notifies = %q, want @carol", got)
	}
}

func TestAFormListsItsFieldsAndHowToSendIt(t *testing.T) {
	t.Parallel()
	m := &bot.Modal{Title: "Reject the draft", Fields: []bot.ModalField{
		{ID: "reason", Label: "Why?"},
		{ID: "text", Label: "Text", Value: "Thanks!\nWe're on it", Multiline: true, Optional: true},
	}}
	e := entry{platform: "slack", channel: "#approvals", to: "carol", author: "liaison", lines: modalLines(m, "carol")}
	want := `[slack #approvals] (to carol) liaison: [form Reject the draft]
    reason: Why?
    text: Text (optional) = "Thanks!\nWe're on it"
    reply with: submit carol reason=… text=…`
	if got := e.String(); got != want {
		t.Errorf("form =\n%s\nwant\n%s", got, want)
	}
}
