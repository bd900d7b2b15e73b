package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// Help answers /liaison help from what the capabilities registered: the
// list of subcommands, or how to use one.
type Help struct {
	catalogue catalogue
}

// catalogue is implemented by *Router: the subcommands registered.
type catalogue interface {
	subcommand(name string) (*Subcommand, bool)
	subcommandList() []*Subcommand // in help order
}

func newHelp(c catalogue) *Help { return &Help{catalogue: c} }

// Register declares /liaison help.
func (h *Help) Register(r *Router) {
	r.OnSubcommand("help", "[command]", "what Liaison can do here, or how to use one command", h.help)
}

// help lists the subcommands, or explains one.
func (h *Help) help(_ context.Context, _ *bot.Command, args string) (*bot.Reply, error) {
	if args != "" {
		name := strings.ToLower(strings.Fields(args)[0])
		sc, ok := h.catalogue.subcommand(name)
		if !ok {
			return nil, bot.Errorf(bot.EInvalid, "There is no /liaison %s. Type /liaison help to see every command.", name)
		}
		return &bot.Reply{Text: fmt.Sprintf("/liaison %s %s\n%s", sc.Name, sc.Usage, sc.Summary)}, nil
	}
	var b strings.Builder
	b.WriteString("Liaison relays what the community says in Discord to the team here, and posts the team's approved answers back.\nCommands:")
	for _, sc := range h.catalogue.subcommandList() {
		fmt.Fprintf(&b, "\n  /liaison %s", sc.Name)
		if sc.Usage != "" {
			b.WriteString(" " + sc.Usage)
		}
		b.WriteString(" — " + sc.Summary)
	}
	return &bot.Reply{Text: b.String()}, nil
}
