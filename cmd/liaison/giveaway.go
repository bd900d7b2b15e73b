package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/liaison-bot/liaison/bot"
)

const giveawayHelp = `Usage: liaison giveaway verify FILE SEED [--commitment HEX] [--winners N] [--rerolls K]

Checks a giveaway's draw offline, from what its result message published:
FILE is the attached entrant list (one line "<user id> <tickets>" per entrant,
sorted by user id as a number), SEED the revealed seed (64 hex digits).

It prints the entrants hash (sha256 of FILE), the winners and the next K
reserves, in the order a reroll takes them. With --commitment (the hex shown on
the giveaway message before the draw) it first checks that sha256(SEED) is that
commitment, and exits 1 when it is not. The procedure is in the README,
"Giveaways: checking a draw".
`

func giveawayCmd(_ context.Context, args []string, std *Stdio) int {
	flags := newFlags("giveaway", giveawayHelp, std)
	commitment := flags.String("commitment", "", "the commitment published on the giveaway message (hex)")
	winners := flags.Int("winners", 1, "how many winners the giveaway had")
	rerolls := flags.Int("rerolls", 0, "how many reserves to show after the winners")
	// Flags may come before, between or after the arguments.
	var pos []string
	for {
		if code, done := parse(flags, args, std); done {
			return code
		}
		if flags.NArg() == 0 {
			break
		}
		pos = append(pos, flags.Arg(0))
		args = flags.Args()[1:]
	}
	if len(pos) != 3 || pos[0] != "verify" {
		fmt.Fprint(std.Err, giveawayHelp)
		return exitUsage
	}
	if *winners < 1 || *rerolls < 0 {
		fmt.Fprintln(std.Err, "liaison giveaway verify: --winners must be at least 1 and --rerolls at least 0")
		return exitUsage
	}
	file, err := os.ReadFile(pos[1])
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(std.Err, "%s: no such file\n", pos[1])
		} else {
			fmt.Fprintln(std.Err, err)
		}
		return exitError
	}
	seed, err := bot.ParseHex32(pos[2], "seed")
	if err != nil {
		fmt.Fprintln(std.Err, bot.ErrorMessage(err))
		return exitError
	}
	var commit []byte
	if *commitment != "" {
		if commit, err = bot.ParseHex32(*commitment, "commitment"); err != nil {
			fmt.Fprintln(std.Err, bot.ErrorMessage(err))
			return exitError
		}
	}
	c, err := bot.CheckDraw(file, seed, commit)
	if err != nil {
		fmt.Fprintf(std.Err, "%s: %s\n", pos[1], bot.ErrorMessage(err))
		return exitError
	}
	w := std.Out
	fmt.Fprintf(w, "entrants: %d (%d tickets)\n", len(c.Entrants), c.Tickets)
	fmt.Fprintf(w, "entrants hash: %s\n", bot.Hex(c.EntrantsHash))
	if commit != nil {
		fmt.Fprintf(w, "commitment: %s (matches sha256 of the seed)\n", bot.Hex(commit))
	} else {
		fmt.Fprintf(w, "commitment: %s (sha256 of the seed; compare it with the giveaway message)\n", bot.Hex(bot.Commitment(seed)))
	}
	n := min(*winners, len(c.Order))
	if n < *winners {
		fmt.Fprintf(w, "%d winners asked, %d entrants: every entrant wins\n", *winners, len(c.Order))
	}
	fmt.Fprintln(w, "winners:")
	for i, e := range c.Order[:n] {
		fmt.Fprintf(w, "  %d. %s (%d tickets)\n", i+1, e.UserID, e.Tickets)
	}
	if *rerolls > 0 {
		fmt.Fprintln(w, "reserves:")
		rest := c.Order[n:]
		if len(rest) == 0 {
			fmt.Fprintln(w, "  none: every entrant won")
		}
		for i, e := range rest[:min(*rerolls, len(rest))] {
			fmt.Fprintf(w, "  %d. %s (%d tickets)\n", n+i+1, e.UserID, e.Tickets)
		}
	}
	return exitOK
}
