package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// Help answers /liaison help from what the capabilities registered: the
// list of subcommands the person asking may run, or how to use one and,
// when it is not theirs to run, who may.
type Help struct {
	catalogue catalogue
}

// catalogue is implemented by *Router: the subcommands registered, and
// what one person may run.
type catalogue interface {
	subcommand(name string) (*Subcommand, bool)
	subcommandList() []*Subcommand // in help order
	permitsFor(u bot.User) permits
}

func newHelp(c catalogue) *Help { return &Help{catalogue: c} }

// Register declares /liaison help, which everyone may run.
func (h *Help) Register(r *Router) {
	r.OnSubcommand("help", "[command]", "what Liaison can do here, or how to use one command", bot.Needs{}, h.help) // everyone
}

// alternative is one form of a subcommand's usage ("close N [reason]")
// and the action it needs, from its first word: the verb.
type alternative struct {
	text, action string
}

// alternatives splits sc's usage into its forms, separated by " | ".
func alternatives(sc *Subcommand) []alternative {
	var out []alternative
	for _, text := range strings.Split(sc.Usage, " | ") {
		verb, _, _ := strings.Cut(text, " ")
		out = append(out, alternative{text: text, action: sc.Needs.ForVerb(verb)})
	}
	return out
}

// usageFor splits sc's usage into the forms p's person may run and the
// others.
func usageFor(ctx context.Context, p permits, sc *Subcommand) (mine, others []alternative, err error) {
	for _, a := range alternatives(sc) {
		ok, err := p.may(ctx, a.action)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			mine = append(mine, a)
		} else {
			others = append(others, a)
		}
	}
	return mine, others, nil
}

func joinUsage(as []alternative) string {
	texts := make([]string, len(as))
	for i, a := range as {
		texts[i] = a.text
	}
	return strings.Join(texts, " | ")
}

// help lists the subcommands the caller may run, or explains one.
func (h *Help) help(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	p := h.catalogue.permitsFor(c.User)
	if args != "" {
		name := strings.ToLower(strings.Fields(args)[0])
		sc, ok := h.catalogue.subcommand(name)
		if !ok {
			return nil, bot.Errorf(bot.EInvalid, "There is no /liaison %s. Type /liaison help to see every command.", name)
		}
		return h.explain(ctx, p, sc)
	}
	var b strings.Builder
	b.WriteString("Liaison relays what the community says in Discord to the team here, and posts the team's approved answers back.\nCommands:")
	var others []string
	for _, sc := range h.catalogue.subcommandList() {
		listed, err := p.lists(ctx, sc)
		if err != nil {
			return nil, err
		}
		if !listed {
			others = append(others, "/liaison "+sc.Name)
			continue
		}
		mine, theirs, err := usageFor(ctx, p, sc)
		if err != nil {
			return nil, err
		}
		for _, a := range theirs {
			others = append(others, strings.TrimSpace("/liaison "+sc.Name+" "+a.text))
		}
		fmt.Fprintf(&b, "\n  /liaison %s", sc.Name)
		if u := joinUsage(mine); u != "" {
			b.WriteString(" " + u)
		}
		b.WriteString(" — " + sc.Summary)
	}
	if len(others) > 0 {
		fmt.Fprintf(&b, "\nFor others: %s. /liaison help COMMAND says who may run one.", strings.Join(others, ", "))
	}
	return &bot.Reply{Text: b.String()}, nil
}

// explain shows how to use sc: the forms the caller may run, and who may
// run the others.
func (h *Help) explain(ctx context.Context, p permits, sc *Subcommand) (*bot.Reply, error) {
	listed, err := p.lists(ctx, sc)
	if err != nil {
		return nil, err
	}
	mine, theirs, err := usageFor(ctx, p, sc)
	if err != nil {
		return nil, err
	}
	shown := mine
	if !listed {
		shown = alternatives(sc)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "/liaison %s %s\n%s", sc.Name, joinUsage(shown), sc.Summary)
	for _, a := range theirs {
		fmt.Fprintf(&b, "\n/liaison %s %s is for %s.", sc.Name, a.text, p.whoMay(a.action))
	}
	if !listed && len(theirs) == 0 {
		// Its forms are everyone's (/liaison mod shows its own help), but
		// each of its verbs is for someone.
		var who []string
		for _, a := range sc.Needs.Verbs {
			if w := p.whoMay(a); !slices.Contains(who, w) {
				who = append(who, w)
			}
		}
		slices.Sort(who)
		fmt.Fprintf(&b, "\n/liaison %s is for %s.", sc.Name, strings.Join(who, " or "))
	}
	return &bot.Reply{Text: b.String()}, nil
}
