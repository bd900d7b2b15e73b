package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/sentiment"
	"github.com/liaison-bot/liaison/bot/store"
)

// routeSubcommand is /liaison route test "<text>" [#channel] and
// /liaison route replay <duration>.
func (fb *Feedback) routeSubcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "test":
		text, channel := rest, ""
		if strings.HasPrefix(text, `"`) {
			if end := strings.LastIndex(text, `"`); end > 0 {
				text, channel = text[1:end], strings.TrimSpace(text[end+1:])
			}
		}
		if text == "" {
			return nil, bot.Errorf(bot.EInvalid, `Give a text to test: /liaison route test "the app crashes" #feedback`)
		}
		in := bot.RouteInput{Text: text, Platform: bot.PlatformDiscord, Sentiment: sentiment.Analyze(text).Label}
		if channel != "" {
			ref, err := fb.cfg.ResolveChannel("discord:" + strings.TrimPrefix(channel, "#"))
			if err != nil {
				return nil, err
			}
			in.ChannelID = ref.ID
		}
		routing := fb.route(in)
		var b strings.Builder
		fmt.Fprintf(&b, "Sentiment: %s", sentiment.Analyze(text).Explain())
		if len(routing.Matches) == 0 {
			b.WriteString("\nNo route matches.")
		}
		for _, m := range routing.Matches {
			fmt.Fprintf(&b, "\nRoute %s matches: %s", m.Rule, m.Why)
		}
		var to []string
		for _, d := range routing.To {
			to = append(to, fmt.Sprintf("%s (%s)", d.To, d.Rule))
		}
		fmt.Fprintf(&b, "\nIt would go to: %s", cmp.Or(strings.Join(to, ", "), "nowhere"))
		if len(routing.Tags) > 0 {
			fmt.Fprintf(&b, "\nTags: %s", strings.Join(routing.Tags, ", "))
		}
		return &bot.Reply{Text: b.String()}, nil
	case "replay":
		d, err := bot.ParseDuration(cmp.Or(rest, "7d"))
		if err != nil {
			return nil, err
		}
		items, err := fb.db.ListFeedback(ctx, store.FeedbackFilter{Since: fb.clock.Now().Add(-d), Limit: 10000})
		if err != nil {
			return nil, err
		}
		counts := map[string]int{}
		var order []string
		for _, it := range items {
			routing := fb.route(bot.RouteInput{Text: it.Text, Platform: it.Source, ChannelID: it.ChannelID, Sentiment: it.Sentiment})
			for _, dst := range routing.To {
				k := dst.Rule + " → " + dst.To
				if counts[k] == 0 {
					order = append(order, k)
				}
				counts[k]++
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "With today's routes, the %d item(s) of the last %s would go:", len(items), bot.FormatDuration(d))
		if len(order) == 0 {
			b.WriteString(" nowhere (no items).")
		}
		slices.Sort(order)
		for _, k := range order {
			fmt.Fprintf(&b, "\n%s: %d", k, counts[k])
		}
		b.WriteString("\nNothing was posted.")
		return &bot.Reply{Text: b.String()}, nil
	}
	return nil, bot.Errorf(bot.EInvalid, `Use /liaison route test "<text>" [#channel] or /liaison route replay 7d.`)
}
