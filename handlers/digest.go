package handlers

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/chart"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// The community digest: a period's activity, members, feedback, response
// times, published replies and moderation, compared with the period before,
// posted to Slack (with its chart in the thread) and, for a Discord
// destination, as public "community highlights" with no internal figures.

// digestTop is how many channels, contributors and items a list shows:
// enough to be useful, short enough for a phone.
const digestTop = 5

// Digest is the community digest and the statistics it reads: every
// Discord message, join and leave is counted as it arrives, the figures
// are posted on each digest's schedule, and /liaison digest preview shows
// the period so far. It reads feedback, drafts and cases only as figures
// from the store.
type Digest struct {
	db    *store.DB
	cfg   *config.Config
	clock bot.Clock
	dir   directory
}

func newDigest(db *store.DB, cfg *config.Config, clock bot.Clock, dir directory) *Digest {
	return &Digest{db: db, cfg: cfg, clock: clock, dir: dir}
}

// Register declares what the digest answers: every event (for the
// statistics), /liaison digest, and its jobs: folding the statistics
// every 5 seconds and posting the digests when they fall due.
func (dc *Digest) Register(r *Router) {
	r.OnEvent(dc.statsEvent)
	r.OnSubcommand("digest", "preview [name]",
		"the community digest of the period so far, shown to you only", bot.Need("digest.preview"), dc.subcommand)
	r.AddJob(jobs.FoldStats(dc.db))
	r.AddJobFor(func(owner string, logger *slog.Logger) jobs.Job {
		return (&jobs.Digests{Store: dc.db, Poster: dc, Digests: dc.cfg.Digests, Owner: owner, Logger: logger}).Job()
	})
}

// subcommand is /liaison digest preview [name].
func (dc *Digest) subcommand(ctx context.Context, _ *bot.Command, args string) (*bot.Reply, error) {
	verb, name, _ := strings.Cut(strings.TrimSpace(args), " ")
	if !strings.EqualFold(verb, "preview") {
		return nil, bot.Errorf(bot.EInvalid, "Use /liaison digest preview, or /liaison digest preview weekly to name a digest.")
	}
	text, err := dc.Preview(ctx, strings.TrimSpace(name))
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: text}, nil
}

// Config returns the configured digest called name; "" means the
// first one.
func (dc *Digest) Config(name string) (config.Digest, error) {
	ds := dc.cfg.Digests
	if len(ds) == 0 {
		return config.Digest{}, bot.Errorf(bot.ENotFound, "No digest is set up: add a digests: section to liaison.yaml (see liaison.example.yaml).")
	}
	if name == "" {
		return ds[0], nil
	}
	var names []string
	for _, d := range ds {
		if strings.EqualFold(d.Name, name) {
			return d, nil
		}
		names = append(names, d.Name)
	}
	return config.Digest{}, bot.Errorf(bot.ENotFound, "There is no digest called %s. The digests are: %s.", bot.Quoted(name), strings.Join(names, ", "))
}

// Preview computes the digest called name (or the first) for the
// period its next run will report on, as far as it has gone, and renders
// it as text.
func (dc *Digest) Preview(ctx context.Context, name string) (string, error) {
	d, err := dc.Config(name)
	if err != nil {
		return "", err
	}
	now := dc.clock.Now()
	next := d.Schedule.Next(now)
	if next.IsZero() {
		return "", bot.Errorf(bot.EInvalid, "The digest %s has no next run, so there is no period to preview.", d.Name)
	}
	// Up to and including now: what happened this second counts.
	dg, err := dc.compute(ctx, d, bot.PeriodEnding(next, d.Location, string(d.Period)), now.Add(time.Second))
	if err != nil {
		return "", err
	}
	dg.SoFar = true
	return digestText(dc.internalPost(dg, "")), nil
}

// Compute computes the digest d for its run at slot: the period that
// ends when slot's day begins, compared with the period before.
func (dc *Digest) Compute(ctx context.Context, d config.Digest, slot time.Time) (*bot.Digest, error) {
	p := bot.PeriodEnding(slot, d.Location, string(d.Period))
	dg, err := dc.compute(ctx, d, p, p.End)
	if err != nil {
		return nil, err
	}
	dg.Slot = slot
	return dg, nil
}

// compute reads a period's figures up to until (its end, or now for
// a preview) and the previous period's, whole.
func (dc *Digest) compute(ctx context.Context, d config.Digest, p bot.Period, until time.Time) (*bot.Digest, error) {
	span := string(d.Period)
	prev := p.Previous(span)
	if until.After(p.End) {
		until = p.End
	}
	dg := &bot.Digest{Name: d.Name, Span: span, Period: p, Previous: prev}
	names := dc.dir.channelNames()
	// The reads are independent: run them side by side, the period's and
	// the previous one's, so a digest costs the slowest read, not the sum.
	var mod, prevMod map[string]int64
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		dg.Activity, err = dc.db.Activity(ctx, store.ActivityQuery{Period: p, Previous: prev, Top: digestTop, StaffInTop: d.StaffInTop, Names: names})
		return err
	})
	g.Go(func() (err error) {
		dg.PrevActivity, err = dc.db.Activity(ctx, store.ActivityQuery{Period: prev, Top: digestTop, StaffInTop: d.StaffInTop, Names: names})
		return err
	})
	g.Go(func() (err error) {
		dg.Feedback, err = dc.feedbackFigures(ctx, p.Start, until, true)
		return err
	})
	g.Go(func() (err error) {
		dg.PrevFeedback, err = dc.feedbackFigures(ctx, prev.Start, prev.End, false)
		return err
	})
	g.Go(func() (err error) {
		if dg.Replies, err = dc.db.RepliesPublished(ctx, p.Start, until); err != nil {
			return err
		}
		if dg.PrevReplies, err = dc.db.RepliesPublished(ctx, prev.Start, prev.End); err != nil {
			return err
		}
		if mod, err = dc.db.ModerationActions(ctx, p.Start, until); err != nil {
			return err
		}
		prevMod, err = dc.db.ModerationActions(ctx, prev.Start, prev.End)
		return err
	})
	if dc.cfg.Watch.Enabled {
		g.Go(func() (err error) {
			if dg.Web, err = dc.webFigures(ctx, p.Start, until); err != nil {
				return err
			}
			dg.PrevWeb, err = dc.webFigures(ctx, prev.Start, prev.End)
			return err
		})
	}
	g.Go(func() error {
		f, err := dc.db.GiveawayFigures(ctx, p.Start, until, dc.clock.Now())
		dg.Giveaways = bot.GiveawayFigures(f)
		return err
	})
	var moderated moderatedFigures
	g.Go(func() error { return moderated.read(ctx, dc, p, prev, until) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	dg.Moderation = bot.WithPrevious(bot.Tally(mod), bot.Tally(prevMod))
	moderated.apply(dg)
	return dg, nil
}

// feedbackFigures sums up the feedback created in [from, to) and what was
// waiting for an answer at to; with lists, the most-voted and the
// longest-waiting items too (a previous period needs only its numbers).
func (dc *Digest) feedbackFigures(ctx context.Context, from, to time.Time, lists bool) (bot.FeedbackFigures, error) {
	top := 0
	if lists {
		top = digestTop
	}
	st, err := dc.db.FeedbackCreated(ctx, from, to, min(top, 3))
	if err != nil {
		return bot.FeedbackFigures{}, err
	}
	t := bot.FeedbackTally{Items: st.Items, BySentiment: st.BySentiment, ByTag: st.ByTag}
	for i := range st.MostVoted {
		t.MostVoted = append(t.MostVoted, digestItem(&st.MostVoted[i], time.Time{}))
	}
	hours, loc := dc.cfg.BusinessHours, dc.cfg.Location
	for _, p := range st.Responses {
		t.Responses = append(t.Responses, hours.Elapsed(p[0], p[1], loc))
	}
	f := bot.SummarizeFeedback(t)
	n, oldest, err := dc.db.UnansweredAt(ctx, to, top)
	if err != nil {
		return bot.FeedbackFigures{}, err
	}
	f.Unanswered = n
	for i := range oldest {
		f.Oldest = append(f.Oldest, digestItem(&oldest[i], to))
	}
	return f, nil
}

// digestItem shows an item in a digest's list: who said what, a link, its
// votes and, when t is set, how long it has waited by then.
func digestItem(it *store.FeedbackFact, t time.Time) bot.DigestItem {
	who := cmp.Or(it.Customer, it.AuthorName)
	d := bot.DigestItem{ID: it.ID, Title: fmt.Sprintf("#%d %s: %s", it.ID, who, bot.OneLine(it.Text, 60)), URL: it.Permalink, Votes: it.Votes}
	if !t.IsZero() {
		d.Waiting = t.Sub(it.CreatedAt)
	}
	return d
}

// Publish computes the digest called name for its run at slot and, in
// one transaction, claims the slot (digest, slot) in job_runs and enqueues
// its messages: for each Slack destination the digest and, in its thread,
// the chart; for each Discord destination the public highlights. It reports
// false, having posted nothing, when the slot was already claimed (posted by
// another replica, or recorded as skipped). owner names who claims it.
func (dc *Digest) Publish(ctx context.Context, name string, slot time.Time, delayed bool, owner string) (bool, error) {
	d, err := dc.Config(name)
	if err != nil {
		return false, err
	}
	job := bot.DigestJob(d.Name)
	if run, err := dc.db.JobRunAt(ctx, job, slot); err != nil || run != nil {
		return false, err
	}
	dg, err := dc.Compute(ctx, d, slot)
	if err != nil {
		return false, fmt.Errorf("compute digest %s for %s: %w", d.Name, slot, err)
	}
	dg.Delayed = delayed
	var png []byte
	for _, to := range d.To {
		if to.Platform == config.PlatformSlack {
			if png, err = chart.Digest(dg); err != nil {
				return false, fmt.Errorf("digest %s: %w", d.Name, err)
			}
			break
		}
	}
	claimed := false
	err = dc.db.InTx(ctx, func(tx *store.Tx) error {
		now := dc.clock.Now()
		detail := fmt.Sprintf("%s, to %d channel(s)", dg.Period, len(d.To))
		ok, err := tx.ClaimJobRun(ctx, now, job, slot, delayed, owner, detail)
		if err != nil || !ok {
			return err
		}
		claimed = true
		for _, to := range d.To {
			key := fmt.Sprintf("digest:%s:%s:%s", d.Name, slot.UTC().Format(time.RFC3339), to)
			if to.Platform == config.PlatformDiscord {
				if n, _ := dg.PublicMessages(); n < int64(d.PublicMinMessages) {
					continue // a quiet period: no public highlights
				}
				m := &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: bot.Payload(publicPost(dg, to.ID))}
				if _, err := tx.Enqueue(ctx, now, m); err != nil {
					return err
				}
				continue
			}
			post := &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(dc.internalPost(dg, to.ID))}
			if _, err := tx.Enqueue(ctx, now, post); err != nil {
				return err
			}
			up := bot.Upload{ChannelID: to.ID, Filename: chart.Filename, Title: fmt.Sprintf("%s: messages per day and feedback by sentiment", digestTitle(dg)), Data: png}
			if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key + ":chart", Platform: bot.PlatformSlack, Kind: bot.KindUpload,
				Payload: bot.Payload(up), ParentKey: key}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("post digest %s for %s: %w", d.Name, slot, err)
	}
	return claimed, nil
}

func digestTitle(d *bot.Digest) string {
	return bot.SpanName(d.Span) + " community digest"
}

// internalPost renders the digest for the team's Slack: every figure, with
// its change, in one message short enough to read on a phone.
func (dc *Digest) internalPost(d *bot.Digest, channelID string) bot.Post {
	title := digestTitle(d) + " · " + d.Period.String()
	switch {
	case d.SoFar:
		title = digestTitle(d) + " so far · " + d.Period.String()
	case d.Delayed:
		title += " (delayed)"
	}
	a, pa := d.Activity, d.PrevActivity
	f, pf := d.Feedback, d.PrevFeedback
	p := bot.Post{ChannelID: channelID, Title: title}
	p.Text = "Compared with " + d.Previous.String() + "."
	if d.SoFar {
		p.Text = "The period is not over: compared with the whole of " + d.Previous.String() + "."
	}
	response := "no answers yet"
	if f.Answered > 0 {
		response = fmt.Sprintf("%s median · %s for 9 in 10", bot.Hours(f.MedianResponse), bot.Hours(f.P90Response))
		if pf.Answered > 0 {
			response += " (was " + bot.Hours(pf.MedianResponse) + ")"
		}
	}
	p.Fields = []bot.Field{
		{Name: "Messages", Value: bot.WithChange(d.PublicMessages())},
		{Name: "Active members", Value: approx(a, pa) + bot.WithChange(a.ActiveMembers, pa.ActiveMembers)},
		{Name: "New members", Value: bot.WithChange(a.NewMembers, pa.NewMembers)},
		{Name: "Members who left", Value: bot.WithChange(a.DepartedMembers, pa.DepartedMembers)},
		{Name: "Community size", Value: bot.WithChange(a.CommunitySize, pa.CommunitySize)},
		{Name: "Discussions started", Value: bot.WithChange(a.Discussions, pa.Discussions)},
		{Name: "Feedback items", Value: bot.WithChange(f.Items, pf.Items)},
		{Name: "First response (business hours)", Value: response},
		{Name: "Waiting for an answer", Value: bot.WithChange(f.Unanswered, pf.Unanswered)},
		{Name: "Replies published", Value: bot.WithChange(d.Replies, d.PrevReplies)},
	}
	if lines := countLines(a.Channels, "message"); len(lines) > 0 {
		p.Sections = append(p.Sections, bot.Section{Title: "Busiest channels", Lines: lines})
	}
	if len(a.Contributors) > 0 {
		sec := bot.Section{Title: "Top contributors"}
		for _, c := range a.Contributors {
			text := c.Name + ": " + bot.Plural(c.Messages, "message")
			if c.Staff {
				text += " (staff)"
			}
			sec.Lines = append(sec.Lines, bot.Line{Text: text})
		}
		p.Sections = append(p.Sections, sec)
	}
	if f.Items > 0 || pf.Items > 0 {
		p.Sections = append(p.Sections, bot.Section{Title: "Feedback by sentiment", Lines: countLines(bot.WithPrevious(f.BySentiment, pf.BySentiment), "")})
	}
	if tags := bot.WithPrevious(f.ByTag, pf.ByTag); len(tags) > 0 {
		p.Sections = append(p.Sections, bot.Section{Title: "Feedback by tag", Lines: countLines(tags[:min(len(tags), digestTop)], "")})
	}
	if len(f.MostVoted) > 0 {
		sec := bot.Section{Title: "Most-voted feedback"}
		for _, it := range f.MostVoted {
			sec.Lines = append(sec.Lines, bot.Line{Text: fmt.Sprintf("%s (%s)", it.Title, bot.Plural(int64(it.Votes), "vote")), URL: it.URL})
		}
		p.Sections = append(p.Sections, sec)
	}
	if len(f.Oldest) > 0 {
		sec := bot.Section{Title: "Waiting longest for an answer"}
		for _, it := range f.Oldest {
			sec.Lines = append(sec.Lines, bot.Line{Text: fmt.Sprintf("%s (waiting %s)", it.Title, bot.ShortDuration(it.Waiting)), URL: it.URL})
		}
		if more := f.Unanswered - int64(len(f.Oldest)); more > 0 {
			sec.Lines = append(sec.Lines, bot.Line{Text: fmt.Sprintf("and %d more: /liaison feedback list", more)})
		}
		p.Sections = append(p.Sections, sec)
	}
	mod := bot.Section{Title: "Moderation actions", Lines: countLines(d.Moderation, "")}
	if len(mod.Lines) == 0 {
		mod.Lines = []bot.Line{{Text: "none"}}
	}
	p.Sections = append(p.Sections, mod)
	if dc.cfg.Watch.Enabled {
		p.Sections = append(p.Sections, webSection(d))
	}
	if gf := d.Giveaways; gf.Held > 0 {
		sec := bot.Section{Title: "Giveaways", Lines: []bot.Line{{Text: fmt.Sprintf("%d held, %d entries", gf.Held, gf.Entrants)}}}
		if gf.Joined > 0 {
			who := "new members"
			if gf.Joined == 1 {
				who = "new member"
			}
			sec.Lines = append(sec.Lines, bot.Line{Text: fmt.Sprintf("%d %s joined during them; %d stayed a week", gf.Joined, who, gf.Stayed)})
		}
		p.Sections = append(p.Sections, sec)
	}
	p.Context = fmt.Sprintf("Discord messages from people (bots left out), by day in %s. Chart in the thread.", dc.cfg.Timezone)
	if d.SoFar {
		p.Context = fmt.Sprintf("Discord messages from people (bots left out), by day in %s.", dc.cfg.Timezone)
	}
	return p
}

// approx marks active members as estimated ("≈") when either period's
// count came from sketches rather than exact per-period rows.
func approx(a, pa bot.Activity) string {
	if a.ActiveApprox || pa.ActiveApprox {
		return "≈"
	}
	return ""
}

// countLines writes counts as "name: 12 (+3, +33%)" lines, or with a
// noun, "name: 12 messages (+3, +33%)".
func countLines(cs []bot.Count, noun string) []bot.Line {
	var out []bot.Line
	for _, c := range cs {
		n := bot.Thousands(c.N)
		if noun != "" {
			n = bot.Plural(c.N, noun)
		}
		out = append(out, bot.Line{Text: fmt.Sprintf("%s: %s (%s)", c.Name, n, bot.Delta(c.N, c.Prev))})
	}
	return out
}

// publicPost renders the digest for the community's Discord: activity
// only, no feedback, response times, moderation or staff, and no mentions.
// Members are named in plain text.
func publicPost(d *bot.Digest, channelID string) bot.Post {
	a, pa := d.Activity, d.PrevActivity
	p := bot.Post{ChannelID: channelID, Title: "Community highlights · " + d.Period.String()}
	p.Text = fmt.Sprintf("Here is what happened on the server this %s.", spanNoun(d.Span))
	p.Fields = []bot.Field{
		{Name: "Messages", Value: bot.WithChange(d.PublicMessages())},
		{Name: "Members who took part", Value: approx(a, pa) + bot.WithChange(a.ActiveMembers, pa.ActiveMembers)},
		{Name: "New members", Value: bot.Thousands(a.NewMembers)},
		{Name: "Discussions started", Value: bot.WithChange(a.Discussions, pa.Discussions)},
	}
	var names []string
	for _, c := range a.Contributors {
		if !c.Staff {
			names = append(names, c.Name)
		}
	}
	if len(names) > 0 {
		p.Sections = []bot.Section{{Title: "Thank you to our most active members", Lines: []bot.Line{{Text: strings.Join(names, ", ")}}}}
	}
	return p
}

func spanNoun(span string) string {
	switch span {
	case bot.SpanDay:
		return "day"
	case bot.SpanMonth:
		return "month"
	}
	return "week"
}

// digestText renders a digest post as plain text: for a preview in Slack
// (to one person) and on the terminal.
func digestText(p bot.Post) string {
	var b strings.Builder
	b.WriteString(p.Title)
	if p.Text != "" {
		b.WriteString("\n" + p.Text)
	}
	for _, f := range p.Fields {
		fmt.Fprintf(&b, "\n%s: %s", f.Name, f.Value)
	}
	for _, s := range p.Sections {
		b.WriteString("\n" + s.Title + ":")
		for _, l := range s.Lines {
			b.WriteString("\n- " + l.Text)
			if l.URL != "" {
				b.WriteString(" " + l.URL)
			}
		}
	}
	return b.String()
}
