package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

// statsWeek is the week the scripted stream falls in, and statsNext the one
// after, as Europe/Paris digest periods.
var (
	parisLoc, _ = time.LoadLocation("Europe/Paris")
	statsWeek   = bot.Period{Start: time.Date(2026, 11, 23, 0, 0, 0, 0, parisLoc), End: time.Date(2026, 11, 30, 0, 0, 0, 0, parisLoc)}
	statsNext   = bot.Period{Start: statsWeek.End, End: time.Date(2026, 12, 7, 0, 0, 0, 0, parisLoc)}
)

// recordStream counts a scripted week of messages and member changes.
func recordStream(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	msg := func(channel, chName, author, name, day string, thread, staff bool) {
		t.Helper()
		period := statsWeek.Key()
		if day >= statsWeek.EndDay() {
			period = statsNext.Key()
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.RecordMessage(ctx, t0, store.MessageStat{
				GuildID: "g1", ChannelID: channel, ChannelName: chName, AuthorID: author, AuthorName: name, AuthorDisplay: "",
				Day: day, ThreadStart: thread, Staff: staff, Periods: []string{period},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	member := func(user, day string, left bool) {
		t.Helper()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.RecordMemberChange(ctx, t0, store.MemberStat{GuildID: "g1", UserID: user, Name: user, Day: day, At: t0, Left: left})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	msg("c1", "general", "u-alice", "alice", "2026-11-23", true, false)
	msg("c1", "general", "u-alice", "alice", "2026-11-23", false, false)
	msg("c1", "general", "u-eve", "eve", "2026-11-23", false, false)
	msg("c2", "", "u-alice", "alice", "2026-11-24", false, false)
	msg("c2", "", "u-bob", "bob", "2026-11-24", false, true)
	member("u-zed", "2026-11-24", false)
	msg("c1", "general", "u-bob", "bob", "2026-11-25", false, true)
	member("u-eve", "2026-11-26", true)
	member("u-ghost", "2026-11-26", true) // never seen: a leave, but not one of ours
	member("u-zed", "2026-11-27", true)
	member("u-zed", "2026-11-28", false)
	msg("c2", "", "u-eve", "eve", "2026-11-29", true, false)
	msg("c1", "general", "u-mallory", "mallory", "2026-11-30", false, false)
}

func TestRollUpsFromAScriptedStream(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		recordStream(t, db)
		cs, as, gs, err := db.DailyStats(context.Background(), "2026-11-01", "2026-12-31")
		if err != nil {
			t.Fatal(err)
		}
		wantChannels := []store.ChannelDay{
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-23", Messages: 3, Authors: 2, ThreadsStarted: 1},
			{GuildID: "g1", ChannelID: "c2", Day: "2026-11-24", Messages: 2, Authors: 2},
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-25", Messages: 1, Authors: 1},
			{GuildID: "g1", ChannelID: "c2", Day: "2026-11-29", Messages: 1, Authors: 1, ThreadsStarted: 1},
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-30", Messages: 1, Authors: 1},
		}
		if diff := cmp.Diff(wantChannels, cs); diff != "" {
			t.Errorf("channel days (-want +got):\n%s", diff)
		}
		wantAuthors := []store.AuthorDay{
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-23", AuthorID: "u-alice", Messages: 2},
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-23", AuthorID: "u-eve", Messages: 1},
			{GuildID: "g1", ChannelID: "c2", Day: "2026-11-24", AuthorID: "u-alice", Messages: 1},
			{GuildID: "g1", ChannelID: "c2", Day: "2026-11-24", AuthorID: "u-bob", Messages: 1, Staff: true},
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-25", AuthorID: "u-bob", Messages: 1, Staff: true},
			{GuildID: "g1", ChannelID: "c2", Day: "2026-11-29", AuthorID: "u-eve", Messages: 1},
			{GuildID: "g1", ChannelID: "c1", Day: "2026-11-30", AuthorID: "u-mallory", Messages: 1},
		}
		if diff := cmp.Diff(wantAuthors, as); diff != "" {
			t.Errorf("author days (-want +got):\n%s", diff)
		}
		// Members are counted from when Liaison first sees them: alice and
		// eve speak on the 23rd, bob on the 24th, zed joins; eve leaves on
		// the 26th (a stranger's leave changes no count); zed leaves and
		// comes back; mallory speaks on the 30th.
		wantGuild := []store.GuildDay{
			{GuildID: "g1", Day: "2026-11-23", MemberCount: 2},
			{GuildID: "g1", Day: "2026-11-24", Joins: 1, MemberCount: 4},
			{GuildID: "g1", Day: "2026-11-26", Leaves: 2, MemberCount: 3},
			{GuildID: "g1", Day: "2026-11-27", Leaves: 1, MemberCount: 2},
			{GuildID: "g1", Day: "2026-11-28", Joins: 1, MemberCount: 3},
			{GuildID: "g1", Day: "2026-11-30", MemberCount: 4},
		}
		if diff := cmp.Diff(wantGuild, gs); diff != "" {
			t.Errorf("guild days (-want +got):\n%s", diff)
		}
	})
}

func TestActivityIsTheSameFromPeriodRowsAndFromDailyRows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		recordStream(t, db)
		want := bot.Activity{
			Messages: 7, ActiveMembers: 3, Discussions: 2, NewMembers: 2, DepartedMembers: 3, CommunitySize: 3,
			PerDay:       []int64{3, 2, 1, 0, 0, 0, 1},
			Channels:     []bot.Count{{Name: "#general", N: 4}, {Name: "#feedback", N: 3}},
			Contributors: []bot.Contributor{{ID: "u-alice", Name: "alice", Messages: 3}, {ID: "u-eve", Name: "eve", Messages: 2}},
		}
		q := store.ActivityQuery{Period: statsWeek, Previous: statsWeek.Previous(bot.SpanWeek), Names: map[string]string{"c2": "feedback"}}
		if ok, _ := db.PeriodTracked(ctx, statsWeek.Key()); ok {
			t.Fatal("an untracked period reads as tracked")
		}
		daily, err := db.Activity(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// The period's exact distinct count is kept only for tracked
		// periods: this one's is estimated from sketches (exact at this size).
		wantDaily := want
		wantDaily.ActiveApprox = true
		if diff := cmp.Diff(wantDaily, daily); diff != "" {
			t.Errorf("activity from the daily rows (-want +got):\n%s", diff)
		}
		// Registered before the period began: read from the period rows,
		// with the same figures.
		if err := db.TrackPeriod(ctx, statsWeek.Start.Add(-time.Hour), statsWeek.Key(), statsWeek.Start); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.PeriodTracked(ctx, statsWeek.Key()); !ok {
			t.Fatal("a period registered before it began reads as untracked")
		}
		fast, err := db.Activity(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, fast); diff != "" {
			t.Errorf("activity from the period rows (-want +got):\n%s", diff)
		}
		q.StaffInTop = true
		withStaff, err := db.Activity(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		wantTop := []bot.Contributor{{ID: "u-alice", Name: "alice", Messages: 3}, {ID: "u-bob", Name: "bob", Messages: 2, Staff: true}, {ID: "u-eve", Name: "eve", Messages: 2}}
		if diff := cmp.Diff(wantTop, withStaff.Contributors); diff != "" {
			t.Errorf("top contributors with staff (-want +got):\n%s", diff)
		}
		// Registered after it began: read from the daily rows.
		if err := db.TrackPeriod(ctx, statsNext.Start.Add(time.Hour), statsNext.Key(), statsNext.Start); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.PeriodTracked(ctx, statsNext.Key()); ok {
			t.Error("a period registered after it began reads as tracked")
		}
		next, err := db.Activity(ctx, store.ActivityQuery{Period: statsNext, Previous: statsWeek, StaffInTop: true})
		if err != nil {
			t.Fatal(err)
		}
		if next.Messages != 1 || next.ActiveMembers != 1 || len(next.Contributors) != 1 || next.Contributors[0].Name != "mallory" ||
			len(next.Channels) != 1 || next.Channels[0] != (bot.Count{Name: "#general", N: 1, Prev: 4}) || next.CommunitySize != 4 {
			t.Errorf("next week = %+v", next)
		}
		before, err := db.Activity(ctx, store.ActivityQuery{Period: statsWeek.Previous(bot.SpanWeek)})
		if err != nil || before.Messages != 0 || before.CommunitySize != 0 || len(before.Contributors) != 0 {
			t.Errorf("the week before = %+v, %v; want nothing", before, err)
		}
	})
}

func TestDiscordsMemberCountIsTheBaselineJoinsAndLeavesAdjust(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		do := func(f func(tx *store.Tx) error) {
			t.Helper()
			if err := db.InTx(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		msg := func(author, day string) {
			do(func(tx *store.Tx) error {
				return tx.RecordMessage(ctx, t0, store.MessageStat{GuildID: "g1", ChannelID: "c1", AuthorID: author, AuthorName: author, Day: day})
			})
		}
		member := func(user, day string, left bool) {
			do(func(tx *store.Tx) error {
				return tx.RecordMemberChange(ctx, t0, store.MemberStat{GuildID: "g1", UserID: user, Name: user, Day: day, At: t0, Left: left})
			})
		}
		counts := func() map[string]int64 {
			t.Helper()
			_, _, guilds, err := db.DailyStats(ctx, "2026-11-01", "2026-11-30")
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int64{}
			for _, g := range guilds {
				out[g.Day] = g.MemberCount
			}
			return out
		}
		// Before Discord reports a size, the members seen are the count.
		msg("u-alice", "2026-11-22")
		msg("u-bob", "2026-11-22")
		if got := counts()["2026-11-22"]; got != 2 {
			t.Fatalf("members seen = %d, want 2", got)
		}
		// Discord reports 1,000 members when the session starts.
		do(func(tx *store.Tx) error { return tx.SetGuildMemberCount(ctx, t0, "g1", "2026-11-23", 1000) })
		msg("u-carol", "2026-11-23") // already one of the 1,000
		member("u-new", "2026-11-24", false)
		member("u-never-seen", "2026-11-24", true) // counted in the 1,000, now gone
		member("u-new", "2026-11-25", true)
		want := map[string]int64{"2026-11-22": 2, "2026-11-23": 1000, "2026-11-24": 1000, "2026-11-25": 999}
		if diff := cmp.Diff(want, counts()); diff != "" {
			t.Errorf("member counts by day (-want +got):\n%s", diff)
		}
		// A later report replaces the day's count.
		do(func(tx *store.Tx) error { return tx.SetGuildMemberCount(ctx, t0, "g1", "2026-11-25", 1010) })
		if got := counts()["2026-11-25"]; got != 1010 {
			t.Errorf("after a new report: %d, want 1010", got)
		}
	})
}

// Messages are appended by concurrent event transactions while two folders
// fold them: every message is counted once, and distinct authors are
// distinct across folds.
func TestFoldCountsEachEventOnceWhileEventsArriveAndFoldersRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const writers, perWriter, authors = 4, 60, 7
		period := statsWeek.Key()
		var wg sync.WaitGroup
		done := make(chan struct{})
		errs := make(chan error, writers+2)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					author := fmt.Sprintf("u-%d", (w*perWriter+i)%authors)
					err := db.InTx(ctx, func(tx *store.Tx) error {
						return tx.RecordMessage(ctx, t0.Add(time.Duration(i)*time.Second), store.MessageStat{
							GuildID: "g1", ChannelID: "c1", ChannelName: "general", AuthorID: author, AuthorName: author,
							Day: "2026-11-23", ThreadStart: i == 0, Periods: []string{period},
						})
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		var folders sync.WaitGroup
		for range 2 {
			folders.Add(1)
			go func() {
				defer folders.Done()
				for {
					if _, err := db.FoldStats(ctx); err != nil {
						errs <- err
						return
					}
					select {
					case <-done:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}()
		}
		wg.Wait()
		close(done)
		folders.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		cs, as, gs, err := db.DailyStats(ctx, "2026-11-23", "2026-11-23")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.ChannelDay{{GuildID: "g1", ChannelID: "c1", Day: "2026-11-23", Messages: writers * perWriter, Authors: authors, ThreadsStarted: writers}}
		if diff := cmp.Diff(want, cs); diff != "" {
			t.Errorf("channel day (-want +got):\n%s", diff)
		}
		var sum int64
		for _, a := range as {
			sum += a.Messages
		}
		if len(as) != authors || sum != writers*perWriter {
			t.Errorf("%d author rows with %d messages, want %d with %d", len(as), sum, authors, writers*perWriter)
		}
		if len(gs) != 1 || gs[0].MemberCount != authors {
			t.Errorf("guild days = %+v, want one day with %d members", gs, authors)
		}
		a, err := db.Activity(ctx, store.ActivityQuery{Period: statsWeek})
		if err != nil {
			t.Fatal(err)
		}
		if a.Messages != writers*perWriter || a.ActiveMembers != authors || a.Discussions != writers {
			t.Errorf("activity = %d messages, %d members, %d discussions; want %d, %d, %d", a.Messages, a.ActiveMembers, a.Discussions, writers*perWriter, authors, writers)
		}
		if n, err := db.FoldStats(ctx); n != 0 || err != nil {
			t.Errorf("a fold after everything was folded = %d, %v; want nothing left", n, err)
		}
	})
}
