package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

func (r *Router) registerHelp() {
	r.subcommands["help"] = &Subcommand{
		Name:    "help",
		Usage:   "[command]",
		Summary: "what Liaison can do here, or how to use one command",
		Run:     r.help,
	}
}

// help lists the subcommands, or explains one.
func (r *Router) help(_ context.Context, _ *bot.Command, args string) (*bot.Reply, error) {
	if args != "" {
		name := strings.ToLower(strings.Fields(args)[0])
		sc, ok := r.subcommands[name]
		if !ok {
			return nil, bot.Errorf(bot.EInvalid, "There is no /liaison %s. Type /liaison help to see every command.", name)
		}
		return &bot.Reply{Text: fmt.Sprintf("/liaison %s %s\n%s", sc.Name, sc.Usage, sc.Summary)}, nil
	}
	var b strings.Builder
	b.WriteString("Liaison relays what the community says in Discord to the team here, and posts the team's approved answers back.\nCommands:")
	for _, n := range r.subcommandNames() {
		sc := r.subcommands[n]
		fmt.Fprintf(&b, "\n  /liaison %s", sc.Name)
		if sc.Usage != "" {
			b.WriteString(" " + sc.Usage)
		}
		b.WriteString(" — " + sc.Summary)
	}
	return &bot.Reply{Text: b.String()}, nil
}
