package handlers

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func init() {
	// `go test ./handlers -update` rewrites the golden files; another test
	// file may declare the flag first.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const digestYAML = `timezone: Europe/Paris
business_hours: {days: mon-fri, from: "09:00", to: "18:00"}
slack:
  channels: {product: C01PRODUCT, community: C01COMMUNITY}
discord:
  guild: "998877665544332211"
  channels: {feedback: "1100000000000000001", general: "1100000000000000002", announcements: "1100000000000000004"}
  roles: {staff: ["1200000000000000001"]}
people:
  - {name: carol, slack: U01CAROL}
  - {name: dave, slack: U01DAVE, discord: "1300000000000000004"}
feedback:
  channels: [feedback]
  vote_emoji: "👍"
  routes:
    - {name: bugs, match: {keywords: [crash, crashes, broken]}, to: [product], tags: [bug], stop: true}
    - {name: praise, match: {sentiment: positive}, to: [product], tags: [praise]}
  default_to: product
digests:
  - {name: weekly, cron: "0 9 * * MON", to: [community, discord:announcements], public_min_messages: 5}
`

const (
	dgGuild    = "998877665544332211"
	dgFeedback = "1100000000000000001"
	dgGeneral  = "1100000000000000002"
	dgAlice    = "1400000000000000001"
	dgEve      = "1400000000000000003"
	dgMallory  = "1400000000000000002"
	dgZed      = "1400000000000000009"
	dgDave     = "1300000000000000004"
	dgBot      = "1000000000000000042"
)

var dgParis, _ = time.LoadLocation("Europe/Paris")

// paris is a time in Paris in November 2026 (CET).
func paris(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, dgParis)
}

type digestBundle struct {
	r     *Router
	dg    *Digest
	db    *store.DB
	raw   *sqlx.DB // the same database, for rows of capabilities not built yet
	clock *bot.ManualClock
	n     int
}

func setupDigest(t *testing.T, dialect string) *digestBundle {
	t.Helper()
	cfg, err := config.Parse("liaison.yaml", []byte(digestYAML))
	if err != nil {
		t.Fatal(err)
	}
	u := storetest.URL(t, dialect)
	db := storetest.OpenURL(t, u, store.Options{})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(paris(16, 8, 0))
	c := Build(Deps{DB: db, Config: cfg, Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	return &digestBundle{r: c.Router, dg: c.Digest, db: db, raw: rawDB(t, u), clock: clock}
}

// rawDB opens the database at a storetest URL with plain sqlx.
func rawDB(t *testing.T, u string) *sqlx.DB {
	t.Helper()
	driver, dsn := "postgres", u
	if path, ok := strings.CutPrefix(u, "sqlite:"); ok {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Set("_time_format", "sqlite")
		driver, dsn = "sqlite", "file:"+path+"?"+q.Encode()
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// at moves the clock to when and delivers ev as happening then.
func (b *digestBundle) at(t *testing.T, when time.Time, ev bot.Event) {
	t.Helper()
	b.clock.Set(when)
	ev.Delivered().At = when
	if err := b.r.HandleEvent(context.Background(), ev); err != nil {
		t.Fatalf("HandleEvent at %s: %v", when, err)
	}
}

// say is a Discord message; opts adjust it.
func (b *digestBundle) say(channel, author, name, text string, opts ...func(*bot.Message)) *bot.Message {
	b.n++
	id := "17000000000000" + string(rune('0'+b.n/10)) + string(rune('0'+b.n%10))
	names := map[string]string{dgFeedback: "feedback", dgGeneral: "general"}
	m := &bot.Message{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_message", Key: id}}},
		Place:    bot.Place{Platform: bot.PlatformDiscord, ScopeID: dgGuild, ChannelID: channel, ChannelName: names[channel]},
		ID:       id, Text: text,
		Author:    bot.User{Platform: bot.PlatformDiscord, ID: author, Name: name},
		Permalink: "https://discord.com/channels/" + dgGuild + "/" + channel + "/" + id,
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

func (b *digestBundle) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := b.raw.Exec(b.raw.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// script plays two weeks of a small community: the week of 16 November,
// then the week of 23 November that the digest of Monday 30 November
// reports on. The figures the tests expect are counted by hand from it.
func (b *digestBundle) script(t *testing.T) {
	// The week before: alice twice, eve once, in #general.
	b.at(t, paris(16, 10, 0), b.say(dgGeneral, dgAlice, "alice", "morning all"))
	b.at(t, paris(16, 10, 5), b.say(dgGeneral, dgAlice, "alice", "anyone tried the beta?"))
	b.at(t, paris(17, 12, 0), b.say(dgGeneral, dgEve, "eve", "yes, it is nice"))

	// The week: three feedback items in #feedback, two answered by dave.
	crash := b.say(dgFeedback, dgAlice, "alice", "the export button crashes on big files")
	b.at(t, paris(23, 10, 0), crash)
	b.at(t, paris(23, 10, 5), b.say(dgGeneral, dgAlice, "alice", "new thread: dark mode?", func(m *bot.Message) { m.ThreadStart = true }))
	b.at(t, paris(23, 10, 10), b.say(dgFeedback, dgEve, "eve", "I love the new dashboard, great work"))
	b.at(t, paris(23, 11, 0), b.say(dgFeedback, dgDave, "dave", "thanks, looking into it", func(m *bot.Message) { m.ReplyTo = crash.ID }))
	hi := b.say(dgGeneral, dgEve, "eve", "hello")
	b.at(t, paris(24, 9, 30), hi)
	b.at(t, paris(24, 9, 31), hi) // delivered twice: counted once
	edited := *hi
	edited.Keys = []bot.InboundKey{{Kind: "discord_edit", Key: hi.ID + ":1"}}
	edited.Edited, edited.Text = true, "hello!"
	b.at(t, paris(24, 9, 32), &edited) // an edit is not a new message
	b.at(t, paris(24, 9, 40), b.say(dgGeneral, dgBot, "somebot", "beep", func(m *bot.Message) { m.Author.Bot = true }))
	b.at(t, paris(24, 11, 0), &bot.MemberChange{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_member", Key: "zed:join"}}},
		ScopeID: dgGuild, User: bot.User{Platform: bot.PlatformDiscord, ID: dgZed, Name: "zed"}})
	b.at(t, paris(24, 11, 5), &bot.MemberChange{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_member", Key: "bot:join"}}},
		ScopeID: dgGuild, User: bot.User{Platform: bot.PlatformDiscord, ID: dgBot, Name: "somebot", Bot: true}})
	broken := b.say(dgFeedback, dgMallory, "mallory", "the app is broken again")
	b.at(t, paris(25, 14, 0), broken)
	for i, voter := range []string{dgMallory, dgEve} {
		b.at(t, paris(25, 15, i), &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_reaction", Key: voter + ":crash"}}},
			Place: crash.Place, MessageID: crash.ID, User: bot.User{Platform: bot.PlatformDiscord, ID: voter}, Emoji: "👍"})
	}
	b.at(t, paris(25, 15, 5), &bot.Reaction{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_reaction", Key: "alice:broken"}}},
		Place: broken.Place, MessageID: broken.ID, User: bot.User{Platform: bot.PlatformDiscord, ID: dgAlice}, Emoji: "👍"})
	b.at(t, paris(26, 10, 0), b.say(dgFeedback, dgDave, "dave", "fixed in 2.4", func(m *bot.Message) { m.ReplyTo = broken.ID }))
	b.at(t, paris(28, 18, 0), &bot.MemberChange{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "discord_member", Key: "mallory:leave"}}},
		ScopeID: dgGuild, User: bot.User{Platform: bot.PlatformDiscord, ID: dgMallory, Name: "mallory"}, Left: true})
	b.at(t, paris(29, 23, 30), b.say(dgGeneral, dgAlice, "alice", "good night"))
	// Monday 00:30 belongs to the next week.
	b.at(t, paris(30, 0, 30), b.say(dgGeneral, dgAlice, "alice", "up late"))

	// Capabilities still landing: their rows, as they will write them.
	for _, c := range []struct {
		n      int
		action string
		at     time.Time
	}{{1, "warn", paris(18, 12, 0)}, {2, "warn", paris(24, 12, 0)}, {3, "timeout", paris(25, 12, 0)}, {4, "note", paris(26, 12, 0)}} {
		b.exec(t, `INSERT INTO mod_cases (guild_id, number, action, source, created_at, updated_at) VALUES (?, ?, ?, 'discord', ?, ?)`,
			dgGuild, c.n, c.action, c.at.UTC(), c.at.UTC())
	}
	for i, posted := range []time.Time{paris(19, 12, 0), paris(26, 12, 0)} {
		b.exec(t, `INSERT INTO drafts (target_guild_id, target_channel_id, target_message_id, text, text_hash, author, status, created_at, updated_at, posted_at)
			VALUES (?, ?, ?, 'thanks!', ?, 'U01CAROL', 'posted', ?, ?, ?)`, dgGuild, dgFeedback, "m"+string(rune('0'+i)), "h"+string(rune('0'+i)), posted.UTC(), posted.UTC(), posted.UTC())
	}
}

func TestEveryDigestMetricMatchesTheHandCountedFixture(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			b := setupDigest(t, dialect)
			b.script(t)
			d, err := b.dg.Config("weekly")
			if err != nil {
				t.Fatal(err)
			}
			slot := paris(30, 9, 0)
			b.clock.Set(slot)
			got, err := b.dg.Compute(context.Background(), d, slot)
			if err != nil {
				t.Fatal(err)
			}
			link := func(id string) string { return "https://discord.com/channels/" + dgGuild + "/" + dgFeedback + "/" + id }
			want := &bot.Digest{
				Name: "weekly", Slot: slot, Span: bot.SpanWeek,
				Period:   bot.Period{Start: paris(23, 0, 0), End: paris(30, 0, 0)},
				Previous: bot.Period{Start: paris(16, 0, 0), End: paris(23, 0, 0)},
				Activity: bot.Activity{
					// alice 3, eve 2, dave 2 (staff), mallory 1; the bot, the
					// edit and the second delivery are not counted.
					// Not a tracked period (the fixture is written after it
					// began): active members are estimated, shown with "≈".
					Messages: 8, ActiveMembers: 4, ActiveApprox: true, Discussions: 1,
					// zed joined (the bot does not count); mallory left.
					NewMembers: 1, DepartedMembers: 1,
					// alice and eve from the week before, dave, mallory and
					// zed, less mallory.
					CommunitySize: 4,
					PerDay:        []int64{4, 1, 1, 1, 0, 0, 1},
					Channels:      []bot.Count{{Name: "#feedback", N: 5}, {Name: "#general", N: 3, Prev: 3}},
					Contributors: []bot.Contributor{
						{ID: dgAlice, Name: "alice", Messages: 3}, {ID: dgEve, Name: "eve", Messages: 2}, {ID: dgMallory, Name: "mallory", Messages: 1},
					},
				},
				PrevActivity: bot.Activity{
					Messages: 3, ActiveMembers: 2, ActiveApprox: true, CommunitySize: 2, PerDay: []int64{2, 1, 0, 0, 0, 0, 0},
					Channels:     []bot.Count{{Name: "#general", N: 3}},
					Contributors: []bot.Contributor{{ID: dgAlice, Name: "alice", Messages: 2}, {ID: dgEve, Name: "eve", Messages: 1}},
				},
				Feedback: bot.FeedbackFigures{
					Items:       3,
					ByTag:       []bot.Count{{Name: "bug", N: 2}, {Name: "praise", N: 1}},
					BySentiment: []bot.Count{{Name: "positive", N: 1}, {Name: "neutral"}, {Name: "negative", N: 2}},
					MostVoted: []bot.DigestItem{
						{ID: 1, Title: "#1 alice: the export button crashes on big files", URL: link("1700000000000004"), Votes: 2},
						{ID: 3, Title: "#3 mallory: the app is broken again", URL: link("1700000000000010"), Votes: 1},
					},
					// Business hours: Monday 10:00 to 11:00 is 1h; Wednesday
					// 14:00 to Thursday 10:00 is 4h + 1h. The median of 1h and
					// 5h is 3h; the 90th percentile 1h + 0.9 × 4h.
					Answered: 2, MedianResponse: 3 * time.Hour, P90Response: 4*time.Hour + 36*time.Minute,
					// eve's praise is still waiting when the week ends.
					Unanswered: 1,
					Oldest: []bot.DigestItem{{ID: 2, Title: "#2 eve: I love the new dashboard, great work", URL: link("1700000000000006"),
						Waiting: paris(30, 0, 0).Sub(paris(23, 10, 10))}},
				},
				PrevFeedback: bot.FeedbackFigures{BySentiment: []bot.Count{{Name: "positive"}, {Name: "neutral"}, {Name: "negative"}}},
				Replies:      1, PrevReplies: 1,
				Moderation: []bot.Count{{Name: "timeout", N: 1}, {Name: "warn", N: 1, Prev: 1}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ComputeDigest (-want +got):\n%s", diff)
			}
			checkGolden(t, "digest_weekly.golden", digestText(b.dg.internalPost(got, "C01COMMUNITY"))+"\n\n---- public ----\n"+digestText(publicPost(got, "1100000000000000004"))+"\n")
		})
	}
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", path, diff)
	}
}

func TestThePublicHighlightsCarryNoInternalDataAndPingNobody(t *testing.T) {
	t.Parallel()
	b := setupDigest(t, store.SQLite)
	b.script(t)
	// A member whose name tries to ping everyone.
	b.at(t, paris(27, 12, 0), b.say(dgGeneral, "1400000000000000077", "@everyone", "<@&1200000000000000001> hi <!channel>"))
	d, _ := b.dg.Config("weekly")
	got, err := b.dg.Compute(context.Background(), d, paris(30, 9, 0))
	if err != nil {
		t.Fatal(err)
	}
	p := publicPost(got, "1100000000000000004")
	if len(p.Notify) != 0 || len(p.Buttons) != 0 || p.Link != nil {
		t.Errorf("the public post notifies %v, has buttons %v or a link %v", p.Notify, p.Buttons, p.Link)
	}
	raw, _ := json.Marshal(p)
	text := string(raw)
	for _, internal := range []string{"eedback", "esponse", "nswer", "aiting", "oderation", "eplies", "left", "dave", "staff", "export button", "#1", "http"} {
		if strings.Contains(text, internal) {
			t.Errorf("the public post shows %q, internal data:\n%s", internal, text)
		}
	}
	if !strings.Contains(text, "alice") || !strings.Contains(text, "Messages") {
		t.Errorf("the public post lacks the highlights:\n%s", text)
	}
}

func TestPublishingASlotTwiceEnqueuesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupDigest(t, db.Dialect())
		b.script(t)
		ctx := context.Background()
		slot := paris(30, 9, 0)
		for i, want := range []bool{true, false} {
			ok, err := b.dg.Publish(ctx, "weekly", slot, i == 1, "test")
			if err != nil || ok != want {
				t.Fatalf("PublishDigest #%d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
		entries, err := b.db.OutboxEntries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range entries {
			if strings.HasPrefix(e.Key, "digest:") {
				keys = append(keys, e.Key+" "+e.Kind)
			}
		}
		want := []string{
			"digest:weekly:2026-11-30T08:00:00Z:community post",
			"digest:weekly:2026-11-30T08:00:00Z:community:chart upload",
			"digest:weekly:2026-11-30T08:00:00Z:discord:announcements post",
		}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("digest outbox rows (-want +got):\n%s", diff)
		}
		run, err := b.db.JobRunAt(ctx, bot.DigestJob("weekly"), slot)
		if err != nil || run == nil || run.Status != store.JobRunDone || run.Delayed || run.Owner != "test" {
			t.Errorf("job run = %+v, %v", run, err)
		}
	})
}

func TestTheDigestPreviewShowsThePeriodSoFarToTheCallerOnly(t *testing.T) {
	t.Parallel()
	b := setupDigest(t, store.SQLite)
	b.at(t, paris(16, 10, 0), b.say(dgGeneral, dgAlice, "alice", "morning all"))
	b.at(t, paris(17, 12, 0), b.say(dgGeneral, dgEve, "eve", "yes, it is nice"))
	b.at(t, paris(23, 10, 0), b.say(dgFeedback, dgAlice, "alice", "the export button crashes on big files"))
	b.at(t, paris(24, 10, 0), b.say(dgGeneral, dgAlice, "alice", "anyone?"))
	b.at(t, paris(26, 11, 0), b.say(dgFeedback, dgEve, "eve", "I love the new dashboard, great work"))
	b.clock.Set(paris(26, 12, 0)) // Thursday: the week of 23 November so far
	reply, err := b.r.HandleCommand(context.Background(), &bot.Command{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_command", Key: "t1"}}},
		Place:    bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01COMMUNITY"}, Name: "liaison", Text: "digest preview",
		User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Public {
		t.Error("the preview is public; want it shown to the caller only")
	}
	for _, want := range []string{"Weekly community digest so far · 23–29 Nov 2026", "The period is not over", "Messages: 3 (+1, +50%)", "Feedback items: 2 (+2, new)",
		"- #2 eve: I love the new dashboard, great work (waiting 1h)", "- #1 alice: the export button crashes on big files (waiting 3d2h)"} {
		if !strings.Contains(reply.Text, want) {
			t.Errorf("the preview lacks %q:\n%s", want, reply.Text)
		}
	}
	for _, tt := range []struct{ args, want string }{
		{"digest preview monthly", `There is no digest called "monthly". The digests are: weekly.`},
		{"digest show", "Use /liaison digest preview"},
	} {
		_, err := b.r.HandleCommand(context.Background(), &bot.Command{Place: bot.Place{Platform: bot.PlatformSlack}, Name: "liaison", Text: tt.args,
			User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}})
		if !strings.Contains(bot.ErrorMessage(err), tt.want) {
			t.Errorf("/liaison %s = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestTheDigestCountsGiveawaysAndTheNewcomersWhoStayed(t *testing.T) {
	t.Parallel()
	b := setupDigest(t, store.SQLite)
	ctx := context.Background()
	g := &bot.Giveaway{GuildID: dgGuild, ChannelID: dgGeneral, Prize: "a mug", Winners: 1, HostID: dgDave, HostName: "dave",
		Source: bot.SourceDiscord, Seed: "00", Commitment: "11", EndsAt: paris(10, 12, 0)}
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateGiveaway(ctx, paris(9, 12, 0), g); err != nil {
			return err
		}
		for _, u := range []string{dgAlice, dgEve} {
			if _, err := tx.AddEntry(ctx, paris(9, 13, 0), g.ID, u, u, 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.at(t, paris(9, 14, 0), &bot.MemberChange{ScopeID: dgGuild, User: bot.User{Platform: bot.PlatformDiscord, ID: dgZed, Name: "zed"}})
	err = b.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.SaveDraw(ctx, paris(10, 12, 0), g.ID, "h", "", []bot.Entrant{{UserID: dgAlice, Tickets: 1}}, 1,
			bot.GiveawayRound{AnnouncementKey: "k", ClaimUntil: paris(12, 12, 0)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.FoldStats(ctx); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(paris(17, 9, 0)) // the week of 9 November is over, and zed's first week too
	d, err := b.dg.Compute(ctx, b.dg.cfg.Digests[0], paris(16, 9, 0))
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.GiveawayFigures{Held: 1, Entrants: 2, Joined: 1, Stayed: 1}); d.Giveaways != want {
		t.Errorf("the digest's giveaways = %+v, want %+v", d.Giveaways, want)
	}
	post := b.dg.internalPost(d, "C01COMMUNITY")
	if got := digestText(post); !strings.Contains(got, "Giveaways") || !strings.Contains(got, "1 held, 2 entries") ||
		!strings.Contains(got, "1 new member joined during them; 1 stayed a week") {
		t.Errorf("the digest lacks its giveaways section:\n%s", got)
	}
}
