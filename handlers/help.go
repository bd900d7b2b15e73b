package handlers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/liaison-bot/liaison/bot"
)

// Help answers /liaison help from what the capabilities registered: the
// list of subcommands the person asking may run, or how to use one and,
// when it is not theirs to run, who may.
type Help struct {
	catalogue catalogue

	mu    sync.RWMutex
	lists map[string]string // the list's text by listKey
}

// maxLists bounds the list texts Help keeps: one for each set of answers
// of the access checks, a handful in practice (staff, moderators, admins,
// everyone else).
const maxLists = 64

// catalogue is implemented by *Router: the subcommands registered, and
// what one person may run.
type catalogue interface {
	subcommand(name string) (*Subcommand, bool)
	subcommandList() []*Subcommand // in help order
	permitsFor(u bot.User) permits
}

func newHelp(c catalogue) *Help { return &Help{catalogue: c, lists: map[string]string{}} }

// Register declares /liaison help, which everyone may run.
func (h *Help) Register(r *Router) {
	r.OnSubcommand("help", "[command]", "what Liaison can do here, or how to use one command", bot.Needs{}, h.help) // everyone
}

// alternative is one form of a subcommand's usage ("close N [reason]")
// and the action it needs, from its first word: the verb.
type alternative struct {
	text, action string
}

// splitUsage splits sc's usage into its forms, separated by " | ".
func splitUsage(sc *Subcommand) []alternative {
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
	for _, a := range sc.forms {
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
	subs := h.catalogue.subcommandList()
	// The list is the same for everyone whose access checks answer the
	// same: it is written once for each set of answers. The checks are
	// made every time.
	key, err := listKey(ctx, p, subs)
	if err != nil {
		return nil, err
	}
	h.mu.RLock()
	text, ok := h.lists[key]
	h.mu.RUnlock()
	if !ok {
		if text, err = h.list(ctx, p, subs); err != nil {
			return nil, err
		}
		h.mu.Lock()
		if len(h.lists) < maxLists {
			h.lists[key] = text
		}
		h.mu.Unlock()
	}
	return &bot.Reply{Text: text, Stock: true}, nil
}

// listKey is what the list of subs depends on: the number of subcommands,
// and whether p's person may do each action of each (helpChecks), in
// order.
func listKey(ctx context.Context, p permits, subs []*Subcommand) (string, error) {
	key := strconv.AppendInt(make([]byte, 0, 128), int64(len(subs)), 10)
	key = append(key, ':')
	for _, sc := range subs {
		for _, a := range sc.checks {
			ok, err := p.may(ctx, a)
			if err != nil {
				return "", err
			}
			if ok {
				key = append(key, '1')
			} else {
				key = append(key, '0')
			}
		}
	}
	return string(key), nil
}

// helpChecks are the actions whose answers decide how the list shows sc:
// its bare form's and its verbs' (in the verbs' order). Each form needs
// one of these (Needs.ForVerb), so they decide its forms too.
func helpChecks(sc *Subcommand) []string {
	out := []string{sc.Needs.Action}
	for _, verb := range slices.Sorted(maps.Keys(sc.Needs.Verbs)) {
		out = append(out, sc.Needs.Verbs[verb])
	}
	return out
}

// list writes the list of subs as p's person sees it.
func (h *Help) list(ctx context.Context, p permits, subs []*Subcommand) (string, error) {
	var b strings.Builder
	b.WriteString("Liaison relays what the community says in Discord to the team here, and posts the team's approved answers back.\nCommands:")
	var others []string
	for _, sc := range subs {
		listed, err := p.lists(ctx, sc)
		if err != nil {
			return "", err
		}
		if !listed {
			others = append(others, "/liaison "+sc.Name)
			continue
		}
		mine, theirs, err := usageFor(ctx, p, sc)
		if err != nil {
			return "", err
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
	return b.String(), nil
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
		shown = sc.forms
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
