package slackbot

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// Whom a message notifies on Slack, read from what the Sender renders, as
// Slack parses it: the mentions written in Slack's own syntax in its mrkdwn
// text and its fallback text. User text cannot produce one (bot.SlackText
// escapes < and >), so only a post's Notify can ping. The console shows
// these under every message Liaison posts, from the same rendering as the
// Sender's, so the two cannot disagree.

// slackMention matches what Slack turns into a notification: <@U…>
// (optionally <@U…|name>), <!channel>, <!here>, <!everyone> and
// <!subteam^S…>.
var slackMention = regexp.MustCompile(`<(@[UW][A-Z0-9]+|!channel|!here|!everyone|!subteam\^[A-Z0-9]+)(?:\|[^<>]*)?>`)

// PostPings lists whom p notifies as the Sender renders it: "@U…" for a
// user, "!channel", "!here", "!everyone" or "!subteam^S…" for the special
// mentions, each once: the fallback text's first, in their order. It fails when the Sender
// would refuse p (an empty post, a Notify that is not a Slack user id).
func PostPings(p *bot.Post) ([]string, error) {
	blocks, text, err := renderPost(p)
	if err != nil {
		return nil, err
	}
	return pingsIn(blocks, text), nil
}

// ReplyPings lists whom an answer shown in the channel notifies.
func ReplyPings(r *bot.Reply) []string {
	m := replyMessage(r)
	var blocks []slack.Block
	if m.Blocks != nil {
		blocks = m.Blocks.BlockSet
	}
	return pingsIn(blocks, m.Text)
}

// UploadPings lists whom a file's comment notifies.
func UploadPings(u *bot.Upload) []string { return pingsIn(nil, esc(u.Comment)) }

// pingsIn finds the mentions in text and in the mrkdwn text objects of
// blocks (plain_text is never parsed for mentions).
func pingsIn(blocks []slack.Block, text string) []string {
	texts := []string{text}
	if raw, err := json.Marshal(blocks); err == nil {
		var tree any
		if json.Unmarshal(raw, &tree) == nil {
			texts = append(texts, mrkdwnTexts(tree)...)
		}
	}
	var out []string
	for _, t := range texts {
		for _, m := range slackMention.FindAllStringSubmatch(t, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// mrkdwnTexts collects the text of every mrkdwn text object in a block
// tree decoded from JSON.
func mrkdwnTexts(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if t, ok := v["text"].(string); ok && v["type"] == slack.MarkdownType {
			out = append(out, t)
		}
		for _, k := range slices.Sorted(maps.Keys(v)) { // a stable order
			out = append(out, mrkdwnTexts(v[k])...)
		}
	case []any:
		for _, child := range v {
			out = append(out, mrkdwnTexts(child)...)
		}
	}
	return out
}
