package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
	botwatch "github.com/liaison-bot/liaison/bot/watch"
)

const watchYAML = feedbackYAML + `watch:
  user_agent: "Liaison (+https://acme.example/community-bot)"
  queries:
    - {name: brand, query: '"Acme Cloud" OR acmecloud -jobs', route: marketing}
  on_call: {mon-fri: [carol]}
  respond_within: 2h
  escalate_to: product
  burst: 2
`

func setupWatch(t *testing.T, db *store.DB) *fbBundle {
	t.Helper()
	b := setupFeedbackYAML(t, db, watchYAML)
	// Monday 10:00 in Paris.
	b.clock.Set(time.Date(2026, 11, 23, 10, 0, 0, 0, b.caps.Feedback.cfg.Location))
	return b
}

func (b *fbBundle) ingest(t *testing.T, items ...botwatch.Item) {
	t.Helper()
	if err := b.caps.Watch.Ingest(context.Background(), items); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
}

// outboxWith returns the outbox messages whose key starts with prefix;
// for "watch:mention:", the posts only (not their edits).
func (b *fbBundle) outboxWith(t *testing.T, prefix string) []outboxed {
	t.Helper()
	var out []outboxed
	for _, o := range b.outbox(t) {
		if prefix == "watch:mention:" && o.e.Kind != bot.KindPost {
			continue
		}
		if strings.HasPrefix(o.e.Key, prefix) {
			out = append(out, o)
		}
	}
	return out
}

func buttonLabels(p bot.Post) string {
	var ls []string
	for _, btn := range p.Buttons {
		ls = append(ls, btn.Label)
	}
	return strings.Join(ls, ",")
}

func TestEachWebPageIsOneMentionAndAStoryIsOneThread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db)
		article := botwatch.Item{Source: botwatch.SourceFeeds, Feed: "tech-news", ID: "g1", Author: "Jane",
			URL: "https://www.news.example.com/acme-cloud-review/?utm_source=rss&utm_medium=feed", Title: "Acme Cloud review", Text: "We tried Acme Cloud for a month."}
		sameInAnotherFeed := article
		sameInAnotherFeed.Feed, sameInAnotherFeed.URL = "other-news", "https://news.example.com/acme-cloud-review?fbclid=xyz"
		hn := botwatch.Item{Source: botwatch.SourceHN, ID: "hn:42", Author: "jdoe", URL: "https://news.ycombinator.com/item?id=42",
			StoryURL: "https://news.example.com/acme-cloud-review?ref=hn", Title: "Acme Cloud review", Text: "", Score: 120, Comments: 33}
		unrelated := botwatch.Item{Source: botwatch.SourceHN, ID: "hn:43", URL: "https://news.ycombinator.com/item?id=43", Title: "Acme Cloud is hiring", Text: "jobs in Paris"}
		b.ingest(t, article, sameInAnotherFeed, hn, unrelated)
		b.ingest(t, article, hn) // the next poll, or a restart that repeats a page

		posts := b.outboxWith(t, "watch:mention:")
		if len(posts) != 2 {
			t.Fatalf("%d mention posts, want 2 (the article once, the HN story in its thread)", len(posts))
		}
		first, second := posts[0], posts[1]
		if first.post.ChannelID != "C01MARKETING" || first.post.Title != "Web mention #1 on feeds (tech-news) by Jane" ||
			first.post.Link.URL != "https://www.news.example.com/acme-cloud-review" || first.e.ParentID != nil {
			t.Errorf("first post = %+v (parent %v)", first.post, first.e.ParentID)
		}
		if got := buttonLabels(first.post); got != "Claim,Draft reply,Mute author,Mute site,Not about us" {
			t.Errorf("buttons = %s", got)
		}
		if !strings.Contains(fieldsText(first.post), `Query: brand (matched "Acme Cloud")`) {
			t.Errorf("fields = %s", fieldsText(first.post))
		}
		if second.e.ParentID == nil || *second.e.ParentID != first.e.ID || second.post.Title != "Also on hn: mention #2 by jdoe" ||
			!strings.Contains(fieldsText(second.post), "Engagement: 120 points, 33 comments") {
			t.Errorf("HN post = %+v (parent %v), want it in the article's thread", second.post, second.e.ParentID)
		}
		m, err := db.Mention(context.Background(), 2)
		// Mute site on a link post mutes the site it links to, not HN.
		if err != nil || m.Source != "hn" || m.Site != "news.example.com" || m.StoryHash != botwatch.URLHash("https://news.example.com/acme-cloud-review") {
			t.Errorf("mention 2 = %+v, %v", m, err)
		}
	})
}

func TestMutesDropTheNextMentionsAndCountThem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db)
		ctx := context.Background()
		item := func(n int, author, host, text string) botwatch.Item {
			return botwatch.Item{Source: botwatch.SourceReddit, ID: fmt.Sprint(n), Author: author,
				URL: fmt.Sprintf("https://%s/post/%d", host, n), Title: "About Acme Cloud", Text: text}
		}
		b.ingest(t, item(1, "spammy", "blog.example.com", "buy followers for Acme Cloud"))
		reply, err := b.r.HandleAction(ctx, action("watch.mute_author", "U01CAROL", 1))
		if err != nil || !strings.HasPrefix(reply.Text, "Muted the author spammy for brand (mute #1)") {
			t.Fatalf("Mute author = %+v, %v", reply, err)
		}
		reply, err = b.r.HandleAction(ctx, action("watch.mute_site", "U01CAROL", 1))
		if err != nil || !strings.HasPrefix(reply.Text, "Muted the site blog.example.com for brand (mute #2)") {
			t.Fatalf("Mute site = %+v, %v", reply, err)
		}
		b.ingest(t, item(2, "Spammy", "elsewhere.example.org", "Acme Cloud again"), item(3, "someone", "blog.example.com", "Acme Cloud"),
			item(4, "fan", "fans.example.net", "I like Acme Cloud"))
		if posts := b.outboxWith(t, "watch:mention:"); len(posts) != 2 || posts[1].post.Title != "Web mention #4 on reddit by fan" {
			t.Fatalf("posts after muting = %d (%+v), want the first and #4 only", len(posts), posts)
		}
		run := func(text string) (*bot.Reply, error) {
			return b.r.HandleCommand(ctx, slackCommand("liaison", text, "U01CAROL"))
		}
		reply, err = run("watch mutes")
		if err != nil || !strings.Contains(reply.Text, "#1 brand: author spammy, by carol, dropped 1") ||
			!strings.Contains(reply.Text, "#2 brand: site blog.example.com, by carol, dropped 1") || buttonLabels(bot.Post{Buttons: reply.Buttons}) != "Lift #1,Lift #2" {
			t.Fatalf("watch mutes = %+v, %v", reply, err)
		}
		reply, err = run("watch unmute 1")
		if err != nil || !strings.HasPrefix(reply.Text, "Lifted mute #1 (author spammy on brand, which dropped 1 mention(s))") {
			t.Fatalf("unmute = %+v, %v", reply, err)
		}
		b.ingest(t, item(5, "spammy", "other.example.org", "Acme Cloud, once more"))
		if posts := b.outboxWith(t, "watch:mention:"); len(posts) != 3 {
			t.Errorf("after lifting, spammy's mention is posted again: %d posts", len(posts))
		}
		if _, err := run("watch unmute 99"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("unmute 99: %v", err)
		}
	})
}

func TestNotAboutUsProposesExclusionsAdminsApply(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db)
		ctx := context.Background()
		b.ingest(t, botwatch.Item{Source: botwatch.SourceFeeds, ID: "1", URL: "https://cartoons.example.com/1",
			Title: "Acme Cloud in the roadrunner cartoon", Text: "The coyote orders an Acme Cloud machine; the coyote falls."})
		reply, err := b.r.HandleAction(ctx, action("watch.not_us", "U01CAROL", 1))
		if err != nil || !strings.Contains(reply.Text, "Admins are asked whether to exclude -coyote -roadrunner -cartoon from brand") {
			t.Fatalf("Not about us = %+v, %v", reply, err)
		}
		sugg := b.outboxWith(t, "watch:suggest:1")
		if len(sugg) != 1 || sugg[0].e.ParentID == nil || buttonLabels(sugg[0].post) != "Apply,Ignore" || sugg[0].post.ChannelID != "C01MARKETING" {
			t.Fatalf("suggestion = %+v", sugg)
		}
		if ed := b.outboxWith(t, "watch:mention:1:not-us"); len(ed) != 1 || !strings.Contains(fieldsText(ed[0].post), "Status: not about us") || len(ed[0].post.Buttons) != 0 {
			t.Errorf("the mention's edit = %+v", ed)
		}
		reply, err = b.r.HandleAction(ctx, action("watch.apply", "U01CAROL", 1))
		if err != nil || reply.Text != "carol applied it: brand now excludes -coyote -roadrunner -cartoon (lift with /liaison watch mutes)." {
			t.Fatalf("Apply = %+v, %v", reply, err)
		}
		if reply, _ := b.r.HandleAction(ctx, action("watch.ignore", "U01DAVE", 1)); reply == nil || reply.Text != "This suggestion was already applied by carol." {
			t.Errorf("a second decision = %+v", reply)
		}
		b.ingest(t, botwatch.Item{Source: botwatch.SourceFeeds, ID: "2", URL: "https://cartoons.example.com/2", Title: "Acme Cloud and the coyote"})
		if posts := b.outboxWith(t, "watch:mention:"); len(posts) != 1 {
			t.Errorf("a mention with an applied exclusion was posted: %d posts", len(posts))
		}
		// The same story, from another source: not about us either.
		b.ingest(t, botwatch.Item{Source: botwatch.SourceHN, ID: "3", URL: "https://news.ycombinator.com/item?id=3",
			StoryURL: "https://cartoons.example.com/1", Title: "Acme Cloud in cartoons"})
		if posts := b.outboxWith(t, "watch:mention:"); len(posts) != 1 {
			t.Errorf("the story marked not about us came back from HN: %d posts", len(posts))
		}
		ms, _ := db.Mutes(ctx)
		if len(ms) != 4 || ms[0].Kind != "story" || ms[0].Dropped != 1 || ms[1].Kind != "words" || ms[1].Value != "coyote" || ms[1].Dropped != 1 {
			t.Errorf("mutes = %+v", ms)
		}
		reply, err = b.r.HandleCommand(ctx, slackCommand("liaison", "watch mutes", "U01CAROL"))
		if err != nil || !strings.Contains(reply.Text, `#1 brand: not about us: the story "Acme Cloud in the roadrunner cartoon" (mention #1), by carol, dropped 1`) {
			t.Errorf("watch mutes = %+v, %v", reply, err)
		}
	})
}

func TestAlertsPingOnlyWhoIsOnCallAndFollowUpInBusinessHours(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db)
		ctx := context.Background()
		paris := b.caps.Feedback.cfg.Location
		// Monday 17:00: 2h of business hours end Tuesday 10:00.
		b.clock.Set(time.Date(2026, 11, 23, 17, 0, 0, 0, paris))
		b.ingest(t,
			botwatch.Item{Source: botwatch.SourceReddit, ID: "1", Author: "angry", URL: "https://reddit.com/r/x/1", Title: "Acme Cloud is a scam <!channel>", Text: "@here they took my money"},
			botwatch.Item{Source: botwatch.SourceReddit, ID: "2", Author: "sad", URL: "https://reddit.com/r/x/2", Title: "Acme Cloud is terrible and broken", Text: "awful, I hate it"},
			botwatch.Item{Source: botwatch.SourceReddit, ID: "3", Author: "happy", URL: "https://reddit.com/r/x/3", Title: "I love Acme Cloud", Text: "great"})
		alerts := b.outboxWith(t, "watch:alert:")
		if len(alerts) != 2 {
			t.Fatalf("%d alerts, want 2 (the scam and the negative one)", len(alerts))
		}
		a := alerts[0].post
		if a.ChannelID != "C01COMMUNITY" || !slices.Equal(a.Notify, []string{"U01CAROL"}) || a.Title != "Alert on brand: mention #1 on reddit by angry" ||
			a.Text != "On call: carol. Answer by Tue 24 Nov 10:00 (2h of business hours)." || !strings.Contains(fieldsText(a), "Why: says scam") {
			t.Errorf("alert = %+v", a)
		}
		if got := buttonLabels(a); got != "Claim,Answered,Draft reply" {
			t.Errorf("alert buttons = %s", got)
		}
		if !strings.Contains(fieldsText(alerts[1].post), "Why: negative") {
			t.Errorf("second alert = %s", fieldsText(alerts[1].post))
		}
		// carol claims the second one.
		if reply, err := b.r.HandleAction(ctx, action("watch.claim", "U01CAROL", 2)); err != nil || !strings.HasPrefix(reply.Text, "Mention #2 is yours") {
			t.Fatalf("claim = %+v, %v", reply, err)
		}
		follow := func(at time.Time) int {
			t.Helper()
			b.clock.Set(at)
			n, err := b.caps.Watch.FollowUpAlerts(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := follow(time.Date(2026, 11, 23, 23, 0, 0, 0, paris)); n != 0 {
			t.Fatalf("followed up %d alerts at night, before the deadline", n)
		}
		if n := follow(time.Date(2026, 11, 24, 9, 59, 0, 0, paris)); n != 0 {
			t.Fatalf("followed up %d alerts a minute early", n)
		}
		if n := follow(time.Date(2026, 11, 24, 10, 0, 0, 0, paris)); n != 2 {
			t.Fatalf("Tuesday 10:00: %d follow-ups, want an escalation and a reminder", n)
		}
		if n := follow(time.Date(2026, 11, 24, 11, 0, 0, 0, paris)); n != 0 {
			t.Fatalf("followed up twice")
		}
		esc := b.outboxWith(t, "watch:escalate:")
		if len(esc) != 1 || esc[0].post.ChannelID != "C01PRODUCT" || !strings.HasPrefix(esc[0].post.Title, "Alert on brand still unclaimed after 2h of business hours: mention #1") || len(esc[0].post.Notify) != 0 {
			t.Errorf("escalation = %+v", esc)
		}
		rem := b.outboxWith(t, "watch:remind:")
		if len(rem) != 1 || rem[0].e.ParentID == nil || !slices.Equal(rem[0].post.Notify, []string{"U01CAROL"}) || !strings.HasPrefix(rem[0].post.Text, "carol, you claimed alert #2") {
			t.Errorf("reminder = %+v", rem)
		}
		// Answered, with a link: the alert closes and its message says so.
		if _, err := b.r.HandleSubmission(ctx, &bot.Submission{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_view", Key: "v1"}}},
			Place: bot.Place{Platform: bot.PlatformSlack}, CallbackID: "watch.answered", Meta: "2",
			Values: map[string]string{"link": "not a link"}, User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}}); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("a bad link = %v, want invalid", err)
		}
		reply, err := b.r.HandleSubmission(ctx, &bot.Submission{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_view", Key: "v2"}}},
			Place: bot.Place{Platform: bot.PlatformSlack}, CallbackID: "watch.answered", Meta: "2",
			Values: map[string]string{"link": "https://reddit.com/r/x/2/answer"}, User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}})
		if err != nil || reply.Text != "Mention #2 is marked answered." {
			t.Fatalf("answered = %+v, %v", reply, err)
		}
		m, _ := db.Mention(ctx, 2)
		if m.AnsweredAt == nil || m.AnswerURL != "https://reddit.com/r/x/2/answer" || m.AlertState != store.AlertClosed {
			t.Errorf("mention 2 = %+v", m)
		}
		if ed := b.outboxWith(t, "watch:alert:2:answered"); len(ed) != 1 || !strings.Contains(fieldsText(ed[0].post), "Status: answered by carol: https://reddit.com/r/x/2/answer") || len(ed[0].post.Notify) != 0 {
			t.Errorf("the alert's edit = %+v", ed)
		}
	})
}

func TestABurstOfAlertsCollapsesIntoOneSpike(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db) // burst: 2
		for i := 1; i <= 5; i++ {
			b.clock.Advance(time.Minute)
			b.ingest(t, botwatch.Item{Source: botwatch.SourceHN, ID: fmt.Sprint(i), Author: fmt.Sprint("user", i),
				URL: fmt.Sprintf("https://news.ycombinator.com/item?id=%d", i), Title: "Acme Cloud outage", Text: strings.Repeat("down again, awful. ", i)})
		}
		if alerts := b.outboxWith(t, "watch:alert:"); len(alerts) != 2 {
			t.Errorf("%d alerts posted one by one, want the burst's 2", len(alerts))
		}
		spikes := b.outboxWith(t, "watch:spike:")
		if len(spikes) != 3 {
			t.Fatalf("spike messages = %d, want the spike and two edits", len(spikes))
		}
		first, last := spikes[0], spikes[2]
		// The window starts at the burst's first alert (Monday 10:01 in
		// Paris), and so does the spike's key: one message per burst.
		if first.e.Kind != bot.KindPost || first.e.Key != "watch:spike:brand:20261123T090100Z" ||
			first.post.Title != "Spike on brand: 3 alerts since 10:01" || !slices.Equal(first.post.Notify, []string{"U01CAROL"}) ||
			first.post.Context != "On call: carol. Claim it by Mon 23 Nov 12:03 (2h of business hours), or it is escalated." ||
			buttonLabels(first.post) != "Claim" || fieldsText(first.post) != "Status: unclaimed" ||
			first.post.Text != "More than 2 alerts in 15 minutes: they are collected here instead of one message each. The most negative:" {
			t.Errorf("spike = %s %+v", first.e.Key, first.post)
		}
		if last.e.Kind != bot.KindUpdate || *last.e.ParentID != first.e.ID || !strings.HasPrefix(last.post.Title, "Spike on brand: 5 alerts since") ||
			len(last.post.Sections) != 3 || len(last.post.Notify) != 0 {
			t.Errorf("last edit = %+v", last.post)
		}
		// Fifteen quiet minutes later, alerts are posted one by one again.
		b.clock.Advance(16 * time.Minute)
		b.ingest(t, botwatch.Item{Source: botwatch.SourceHN, ID: "9", URL: "https://news.ycombinator.com/item?id=9", Title: "Acme Cloud outage over?", Text: "still down"})
		if alerts := b.outboxWith(t, "watch:alert:"); len(alerts) != 3 {
			t.Errorf("after the spike, %d alerts, want 3", len(alerts))
		}
	})
}

// burstOfAlerts ingests n negative mentions of the brand from HN, a minute
// apart, ids from first on.
func (b *fbBundle) burstOfAlerts(t *testing.T, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		b.clock.Advance(time.Minute)
		b.ingest(t, botwatch.Item{Source: botwatch.SourceHN, ID: fmt.Sprint(i), Author: fmt.Sprint("user", i),
			URL: fmt.Sprintf("https://news.ycombinator.com/item?id=%d", i), Title: "Acme Cloud outage", Text: "down again, awful."})
	}
}

func TestASpikeHasAnOwnerAndAClockLikeAnAlert(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db) // burst: 2, respond_within: 2h, escalate_to: product
		ctx := context.Background()
		paris := b.caps.Feedback.cfg.Location
		follow := func(at time.Time) int {
			t.Helper()
			b.clock.Set(at)
			n, err := b.caps.Watch.FollowUpAlerts(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Monday 10:00: a burst of 3 alerts, the third opens the spike at
		// 10:03 (due 12:03). The first two alerts were posted on their own.
		b.burstOfAlerts(t, 1, 3)
		spikes := b.outboxWith(t, "watch:spike:")
		if len(spikes) != 1 {
			t.Fatalf("spike messages = %d, want 1", len(spikes))
		}
		key := spikes[0].e.Key
		// 12:02: the two single alerts (due 12:01 and 12:02) are escalated;
		// the spike, a minute later, once.
		if n := follow(time.Date(2026, 11, 23, 12, 2, 0, 0, paris)); n != 2 {
			t.Fatalf("12:02: %d follow-ups, want the two single alerts", n)
		}
		if esc := b.outboxWith(t, key+":escalate"); len(esc) != 0 {
			t.Fatalf("the spike was escalated before its deadline: %+v", esc)
		}
		if n := follow(time.Date(2026, 11, 23, 12, 3, 0, 0, paris)); n != 1 {
			t.Fatalf("12:03: %d follow-ups, want the spike escalated", n)
		}
		if n := follow(time.Date(2026, 11, 23, 13, 0, 0, 0, paris)); n != 0 {
			t.Fatalf("followed up again: %d", n)
		}
		esc := b.outboxWith(t, key+":escalate")
		if len(esc) != 2 || esc[0].e.Key != key+":escalate" || esc[1].e.Key != key+":escalated" || esc[0].e.Kind != bot.KindPost || esc[0].post.ChannelID != "C01PRODUCT" ||
			esc[0].post.Title != "Spike on brand still unclaimed after 2h of business hours: 3 alerts since Mon 23 Nov 10:01" ||
			len(esc[0].post.Sections) != 3 || buttonLabels(esc[0].post) != "Claim" || len(esc[0].post.Notify) != 0 {
			t.Errorf("spike escalation = %+v", esc)
		}
		if ed := b.outboxWith(t, key+":escalated"); len(ed) != 1 || ed[0].e.Kind != bot.KindUpdate || *ed[0].e.ParentID != spikes[0].e.ID ||
			fieldsText(ed[0].post) != "Status: unclaimed: escalated Mon 23 Nov 12:03" {
			t.Errorf("the spike's edit on escalation = %+v", ed)
		}
		// The escalation's Claim button claims the spike: its message says
		// whose it is and loses the button; a second click changes nothing.
		id := *mustMention(t, db, 3).SpikeID
		reply, err := b.r.HandleAction(ctx, action("watch.claim_spike", "U01DAVE", id))
		if err != nil || reply.Text != "The spike on brand (3 alerts) is yours: its mentions are in their channel, each with Draft reply and Answered." {
			t.Fatalf("claim the spike = %+v, %v", reply, err)
		}
		if reply, err := b.r.HandleAction(ctx, action("watch.claim_spike", "U01CAROL", id)); err != nil || reply.Text != "The spike on brand is already claimed by dave." {
			t.Errorf("claim it again = %+v, %v", reply, err)
		}
		ed := b.outboxWith(t, key+":claimed")
		if len(ed) != 1 || fieldsText(ed[0].post) != "Status: claimed by dave" || buttonLabels(ed[0].post) != "" {
			t.Errorf("the spike's edit on claim = %+v", ed)
		}
		if _, err := b.r.HandleAction(ctx, action("watch.claim_spike", "U01CAROL", 99)); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("claim a spike that does not exist = %v, want not found", err)
		}

		// Tuesday: a new burst, claimed in time by carol, is never escalated.
		b.clock.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, paris))
		b.burstOfAlerts(t, 10, 3)
		spikes = b.outboxWith(t, "watch:spike:")
		var second []outboxed
		for _, o := range spikes {
			if o.e.Kind == bot.KindPost && o.e.Key != key && !strings.HasPrefix(o.e.Key, key+":") {
				second = append(second, o)
			}
		}
		if len(second) != 1 || second[0].e.Key != "watch:spike:brand:20261124T080100Z" {
			t.Fatalf("the second burst's spike = %+v", second)
		}
		if _, err := b.r.HandleAction(ctx, action("watch.claim_spike", "U01CAROL", *mustMention(t, db, 6).SpikeID)); err != nil {
			t.Fatal(err)
		}
		follow(time.Date(2026, 11, 24, 17, 0, 0, 0, paris))
		if esc := b.outboxWith(t, second[0].e.Key+":escalate"); len(esc) != 0 || len(b.outboxWith(t, second[0].e.Key+":claimed")) != 1 {
			t.Errorf("a claimed spike was escalated: %+v", esc)
		}
	})
}

func TestAlertsIngestedConcurrentlyOpenOneSpike(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupWatch(t, db) // burst: 2
		// Sources are polled concurrently: eight alarming items arrive at
		// once, from as many goroutines.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 1; i <= 8; i++ {
			wg.Go(func() {
				errs <- b.caps.Watch.Ingest(context.Background(), []botwatch.Item{{Source: botwatch.SourceReddit, ID: fmt.Sprint(i),
					URL: fmt.Sprintf("https://reddit.com/r/x/%d", i), Title: "Acme Cloud outage", Text: "down again, awful."}})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if alerts := b.outboxWith(t, "watch:alert:"); len(alerts) != 2 {
			t.Errorf("%d alerts posted on their own, want the burst's 2", len(alerts))
		}
		var posts, edits int
		for _, o := range b.outboxWith(t, "watch:spike:") {
			if o.e.Kind == bot.KindPost {
				posts++
			} else {
				edits++
			}
		}
		if posts != 1 || edits != 5 {
			t.Errorf("spike posts = %d and edits = %d, want 1 and 5", posts, edits)
		}
	})
}

func mustMention(t *testing.T, db *store.DB, id int64) *store.Mention {
	t.Helper()
	m, err := db.Mention(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.SpikeID == nil {
		t.Fatalf("mention %d is in no spike: %+v", id, m)
	}
	return m
}

func TestWatchTestSaysWhetherAndWhyATextMatches(t *testing.T) {
	t.Parallel()
	b := setupWatch(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	run := func(text string) (string, error) {
		reply, err := b.r.HandleCommand(ctx, slackCommand("liaison", text, "U01CAROL"))
		if reply == nil {
			return "", err
		}
		return reply.Text, err
	}
	tests := []struct{ in, want string }{
		{`watch test ""Acme Cloud" OR acmecloud -jobs" "Acme Cloud est en panne, quelle arnaque"`,
			"Query: \"Acme Cloud\" OR acmecloud -jobs\nIt matches: found \"Acme Cloud\".\nLanguage: fr. Sentiment: negative: arnaque.\nIt would raise an alert (says arnaque)."},
		{`watch test brand "Acme Cloud jobs in Paris"`,
			"Query brand: \"Acme Cloud\" OR acmecloud -jobs\nIt does not match: the exclusion -jobs is in the text (without it, \"Acme Cloud\" would match).\nLanguage: en. Sentiment: neutral."},
		{`watch test “acme panne” “ACME est lent”`,
			"Query: acme panne\nIt does not match: found acme, but not panne.\nLanguage: fr. Sentiment: negative: lent."},
	}
	for _, tt := range tests {
		if got, err := run(tt.in); err != nil || got != tt.want {
			t.Errorf("%s =\n%s (%v)\nwant\n%s", tt.in, got, err, tt.want)
		}
	}
	if _, err := run(`watch test "acme (cloud" "text"`); bot.ErrorMessage(err) != `The query "acme (cloud" is malformed at character 6: this '(' is never closed: add a ')'. Nothing was tested.` {
		t.Errorf("malformed query: %v", err)
	}
	if _, err := run(`watch test acme`); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("no text: %v", err)
	}
}

func TestADraftReplyToAMentionIsApprovedThenPostedByHand(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedbackYAML(t, db, watchYAML+"approvals: {channel: community, approvers: [carol, dave]}\n")
		ctx := context.Background()
		b.ingest(t, botwatch.Item{Source: botwatch.SourceStackExchange, ID: "q1", Author: "newbie", URL: "https://stackoverflow.com/q/1",
			Title: "How do I set up Acme Cloud?", Text: "The docs are unclear"})
		reply, err := b.r.HandleAction(ctx, action("watch.draft", "U01DAVE", 1))
		if err != nil || reply.Modal == nil || reply.Modal.Meta != "mention:1" || !strings.Contains(reply.Modal.Fields[0].Label, "you post it yourself at https://stackoverflow.com/q/1") {
			t.Fatalf("Draft reply = %+v, %v", reply, err)
		}
		reply, err = b.r.HandleSubmission(ctx, &bot.Submission{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_view", Key: "d1"}}},
			Place: bot.Place{Platform: bot.PlatformSlack}, CallbackID: "approvals.draft", Meta: "mention:1",
			Values: map[string]string{"text": "Hi! The setup guide is at https://acme.example/docs"}, User: bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}})
		if err != nil {
			t.Fatalf("submit draft = %+v, %v", reply, err)
		}
		drafts := b.outboxWith(t, "draft:1")
		if len(drafts) != 1 || drafts[0].post.Title != "Draft reply #1 to newbie on stackexchange (web mention #1), to post by hand" || drafts[0].post.Link.URL != "https://stackoverflow.com/q/1" {
			t.Fatalf("approval message = %+v", drafts)
		}
		d, _ := db.Draft(ctx, 1)
		reply, err = b.r.HandleAction(ctx, &bot.Action{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_action", Key: "a1"}}},
			Place: bot.Place{Platform: bot.PlatformSlack, ChannelID: "C01COMMUNITY"}, ActionID: "approvals.approve",
			Value: fmt.Sprintf("%d:v%d:%s", d.ID, d.Version, d.TextHash), User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}})
		if err != nil || reply.Text != "You approved draft #1: it is to be posted by hand at https://stackoverflow.com/q/1." {
			t.Fatalf("approve = %+v, %v", reply, err)
		}
		for _, o := range b.outbox(t) {
			if o.e.Platform == bot.PlatformDiscord {
				t.Errorf("a web reply went to Discord: %+v", o)
			}
		}
		asked := b.outboxWith(t, "watch:approved:1:1")
		if len(asked) != 1 || !slices.Equal(asked[0].post.Notify, []string{"U01DAVE"}) || !strings.HasPrefix(asked[0].post.Text, "Draft #1 is approved. dave, post it by hand at https://stackoverflow.com/q/1") {
			t.Errorf("the ask to post = %+v", asked)
		}
		if ed := b.outboxWith(t, "watch:mention:1:draft-1"); len(ed) != 1 || !strings.Contains(fieldsText(ed[0].post), "Status: reply approved (draft #1): to post manually at https://stackoverflow.com/q/1, by dave") {
			t.Errorf("the mention's edit = %+v", ed)
		}
		if d, _ := db.Draft(ctx, 1); d.Status != bot.DraftApproved {
			t.Errorf("draft status = %s", d.Status)
		}
		// dave posts it and confirms: the mention is answered, the draft posted.
		reply, err = b.r.HandleSubmission(ctx, &bot.Submission{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_view", Key: "d2"}}},
			Place: bot.Place{Platform: bot.PlatformSlack}, CallbackID: "watch.answered", Meta: "1",
			Values: map[string]string{"link": "https://stackoverflow.com/a/2"}, User: bot.User{Platform: bot.PlatformSlack, ID: "U01DAVE"}})
		if err != nil || reply.Text != "Mention #1 is marked answered." {
			t.Fatalf("answered = %+v, %v", reply, err)
		}
		if d, _ := db.Draft(ctx, 1); d.Status != bot.DraftPosted {
			t.Errorf("draft status after posting by hand = %s, want posted", d.Status)
		}
		hist, _ := db.DraftHistory(ctx, 1)
		if last := hist[len(hist)-1]; last.Action != "posted" || last.Detail != "by hand at https://stackoverflow.com/a/2" || last.Actor != "dave" {
			t.Errorf("the draft's last event = %+v", last)
		}
		audit, err := b.caps.Approvals.Audit(ctx, time.Time{})
		if err != nil || len(audit) != 1 || audit[0].Target != "https://stackoverflow.com/q/1" || audit[0].DiscordMessageID != "" {
			t.Errorf("the record of replies = %+v, %v", audit, err)
		}
	})
}

func TestTheDigestHasAWebSection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedbackYAML(t, db, watchYAML+"digests: [{name: weekly, cron: \"0 9 * * MON\", period: week, to: [community]}]\n")
		ctx := context.Background()
		paris := b.caps.Feedback.cfg.Location
		b.clock.Set(time.Date(2026, 11, 24, 10, 0, 0, 0, paris))
		b.ingest(t,
			botwatch.Item{Source: botwatch.SourceFeeds, ID: "1", URL: "https://blog.example.com/acme-cloud", Title: "Acme Cloud, a great review", Text: "we love it"},
			botwatch.Item{Source: botwatch.SourceHN, ID: "2", URL: "https://news.ycombinator.com/item?id=2", StoryURL: "https://blog.example.com/acme-cloud", Title: "Acme Cloud, a great review", Score: 90, Comments: 10},
			botwatch.Item{Source: botwatch.SourceReddit, ID: "3", URL: "https://reddit.com/r/x/3", Title: "Acme Cloud is down", Text: "outage again"})
		b.clock.Set(time.Date(2026, 11, 24, 11, 30, 0, 0, paris))
		if _, err := b.r.HandleSubmission(ctx, &bot.Submission{Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: "slack_view", Key: "v1"}}},
			Place: bot.Place{Platform: bot.PlatformSlack}, CallbackID: "watch.answered", Meta: "3", User: bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"}}); err != nil {
			t.Fatal(err)
		}
		out, err := b.caps.Digest.Preview(ctx, "weekly")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"\nWeb:\n- Mentions: 3",
			"\n- On feeds: 1 (",
			"\n- Sentiment: positive 2 (66%,",
			"\n- Alerts: 1", ", 1 answered, median 1h30m to answer (business hours)",
			"\n- Top story: Acme Cloud, a great review (100 points and comments, on feeds, hn) https://blog.example.com/acme-cloud",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the digest lacks %q:\n%s", want, out)
			}
		}
	})
}
