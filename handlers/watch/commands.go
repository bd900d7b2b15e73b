package watch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/sentiment"
	botwatch "github.com/liaison-bot/liaison/bot/watch"
)

const watchUsage = `Use /liaison watch test "<query>" "<text>" (or a query's name instead of "<query>"), /liaison watch mutes, or /liaison watch unmute N.`

// subcommand is /liaison watch test|mutes|unmute.
func (w *Watch) subcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "test":
		return w.test(rest)
	case "mutes":
		return w.mutes(ctx)
	case "unmute":
		id, err := strconv.ParseInt(strings.TrimPrefix(rest, "#"), 10, 64)
		if err != nil {
			return nil, bot.Errorf(bot.EInvalid, "Give the number of the mute to lift, like /liaison watch unmute 3 (/liaison watch mutes lists them).")
		}
		return w.lift(ctx, id, c.User)
	}
	return nil, bot.Errorf(bot.EInvalid, "%s", watchUsage)
}

// normalizeQuotes turns the curly quotes Slack may type into straight ones.
var normalizeQuotes = strings.NewReplacer("“", `"`, "”", `"`)

// splitTest reads `"<query>" "<text>"`: the text is the last quoted part,
// the query everything before it (one pair of outer quotes removed).
func splitTest(s string) (query, text string, ok bool) {
	s = strings.TrimSpace(normalizeQuotes.Replace(s))
	if !strings.HasSuffix(s, `"`) || len(s) < 2 {
		return "", "", false
	}
	open := strings.LastIndex(s[:len(s)-1], `"`)
	if open < 0 {
		return "", "", false
	}
	text = s[open+1 : len(s)-1]
	query = strings.TrimSpace(s[:open])
	if len(query) >= 2 && strings.HasPrefix(query, `"`) && strings.HasSuffix(query, `"`) {
		query = strings.TrimSpace(query[1 : len(query)-1])
	}
	return query, text, query != "" && strings.TrimSpace(text) != ""
}

// test answers /liaison watch test: whether and why the text matches.
func (w *Watch) test(args string) (*bot.Reply, error) {
	qtext, text, ok := splitTest(args)
	if !ok {
		return nil, bot.Errorf(bot.EInvalid, `Give a query and a text, each in quotes: /liaison watch test "acme -jobs" "Acme is down again". Nothing was tested.`)
	}
	name := ""
	var q *botwatch.Query
	if cq, found := w.cfg.Watch.Query(qtext); found && cq.Query != nil {
		name, q, qtext = cq.Name, cq.Query, cq.Text
	} else {
		var err error
		if q, err = botwatch.Parse(qtext); err != nil {
			var qe *botwatch.QueryError
			if errors.As(err, &qe) {
				return nil, bot.Errorf(bot.EInvalid, "The query %q is malformed at character %d: %s. Nothing was tested.", qtext, qe.Pos, qe.Msg)
			}
			return nil, err
		}
	}
	it := botwatch.Item{Text: text}
	ex := q.Explain(it)
	var b strings.Builder
	if name != "" {
		fmt.Fprintf(&b, "Query %s: %s\n", name, qtext)
	} else {
		fmt.Fprintf(&b, "Query: %s\n", qtext)
	}
	switch {
	case ex.Match:
		fmt.Fprintf(&b, "It matches: found %s.", strings.Join(ex.Matched, ", "))
	case len(ex.Excluded) > 0:
		fmt.Fprintf(&b, "It does not match: the exclusion %s is in the text", strings.Join(prefixed(ex.Excluded), ", "))
		if len(ex.Missing) == 0 && len(ex.Matched) > 0 {
			fmt.Fprintf(&b, " (without it, %s would match)", strings.Join(ex.Matched, ", "))
		}
		b.WriteString(".")
	default:
		b.WriteString("It does not match:")
		if len(ex.Matched) > 0 {
			fmt.Fprintf(&b, " found %s, but", strings.Join(ex.Matched, ", "))
		}
		fmt.Fprintf(&b, " not %s.", strings.Join(ex.Missing, ", "))
	}
	score := sentiment.Analyze(text)
	fmt.Fprintf(&b, "\nLanguage: %s. Sentiment: %s.", score.Lang, score.Explain())
	if ex.Match {
		if why := w.alertReason(score, text); why != "" {
			fmt.Fprintf(&b, "\nIt would raise an alert (%s).", why)
		}
	}
	return &bot.Reply{Text: b.String()}, nil
}

func prefixed(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = "-" + t
	}
	return out
}

// mutes answers /liaison watch mutes: every mute and applied exclusion,
// with what it dropped, and a button to lift each.
func (w *Watch) mutes(ctx context.Context) (*bot.Reply, error) {
	ms, err := w.db.Mutes(ctx)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return &bot.Reply{Text: "Nothing is muted: every mention that matches a query is posted."}, nil
	}
	var b strings.Builder
	b.WriteString("Muted (the next matching mentions are dropped and counted):")
	r := &bot.Reply{}
	for _, mu := range ms {
		what := map[string]string{"author": "author", "site": "site", "story": "not about us: the story", "words": "excluded word"}[mu.Kind]
		fmt.Fprintf(&b, "\n#%d %s: %s %s, by %s, dropped %d", mu.ID, mu.Query, cmp.Or(what, mu.Kind), cmp.Or(mu.Label, mu.Value), cmp.Or(mu.CreatedBy, "someone"), mu.Dropped)
		if len(r.Buttons) < 20 {
			r.Buttons = append(r.Buttons, bot.Button{ActionID: actLift, Label: fmt.Sprintf("Lift #%d", mu.ID), Value: strconv.FormatInt(mu.ID, 10)})
		}
	}
	b.WriteString("\nLift one with its button or /liaison watch unmute N.")
	r.Text = b.String()
	return r, nil
}
