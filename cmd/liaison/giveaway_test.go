package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestGiveawayVerifyRecomputesWinnersAndReserves(t *testing.T) {
	t.Parallel()
	es := []bot.Entrant{{UserID: "1300000000000000004", Tickets: 3}, {UserID: "1500000000000000001", Tickets: 1},
		{UserID: "1500000000000000002", Tickets: 1}, {UserID: "1500000000000000003", Tickets: 2}}
	path := filepath.Join(t.TempDir(), "entrants.txt")
	if err := os.WriteFile(path, bot.EntrantsFile(es), 0o600); err != nil {
		t.Fatal(err)
	}
	seed := bytes.Repeat([]byte{0xab}, 32)
	order := bot.DrawOrder(seed, es)
	code, out, errOut := run(t, nil, "giveaway", "verify", path, bot.Hex(seed), "--commitment", bot.Hex(bot.Commitment(seed)), "--winners", "2", "--rerolls", "1")
	if code != 0 {
		t.Fatalf("verify exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"entrants: 4 (7 tickets)",
		"entrants hash: " + bot.Hex(bot.EntrantsHash(bot.EntrantsFile(es))),
		"(matches sha256 of the seed)",
		"winners:\n  1. " + order[0].UserID, "  2. " + order[1].UserID,
		"reserves:\n  3. " + order[2].UserID,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, order[3].UserID+" (") {
		t.Errorf("verify shows the fourth entrant though one reserve was asked:\n%s", out)
	}

	wrong := bytes.Repeat([]byte{0xac}, 32)
	code, out, errOut = run(t, nil, "giveaway", "verify", path, bot.Hex(wrong), "--commitment", bot.Hex(bot.Commitment(seed)))
	if code == 0 || !strings.Contains(errOut, "commitment does not match") || out != "" {
		t.Fatalf("verify with a wrong seed: exit %d, out %q, err %q; want a non-zero exit saying the commitment does not match", code, out, errOut)
	}
	code, _, errOut = run(t, nil, "giveaway", "verify", path, "xyz")
	if code == 0 || !strings.Contains(errOut, "64 hex digits") {
		t.Fatalf("verify with a malformed seed: exit %d, err %q", code, errOut)
	}
	if code, _, _ := run(t, nil, "giveaway", "check"); code != exitUsage {
		t.Fatalf("giveaway check exited %d, want %d", code, exitUsage)
	}
}
