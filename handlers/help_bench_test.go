package handlers

import (
	"context"
	"testing"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// BenchmarkHelp measures /liaison help as the router answers it once the
// command is recorded: the access checks of every subcommand and the
// text, for a staff member (most listed) and a stranger (least).
//
//	go test ./handlers -run '^$' -bench Help -benchmem
func BenchmarkHelp(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	f := setupFeedbackTB(b, db)
	ctx := context.Background()
	for _, who := range []struct{ name, user string }{{"staff", "U01CAROL"}, {"stranger", "U0STRANGER"}} {
		b.Run(who.name, func(b *testing.B) {
			c := slackCommand("liaison", "help", who.user)
			b.ReportAllocs()
			for b.Loop() {
				r, err := f.r.runSubcommand(ctx, c)
				if err != nil || r.Text == "" {
					b.Fatalf("help = %+v, %v", r, err)
				}
			}
		})
	}
}
