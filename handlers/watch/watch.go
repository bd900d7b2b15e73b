// Package watch is Liaison's web watch capability: it matches what the
// sources fetched (bot/watch Items) against every configured query, turns
// each match into a mention (one per canonical URL, in the store), posts it
// to the query's Slack channel with Claim, Draft reply, Mute author, Mute
// site and Not about us, and raises alerts for negative or alarming
// mentions, with an on-call ping, a business-hours clock, escalation and
// burst collapse. It also answers /liaison watch.
//
// The sources themselves (HTTP adapters, cursors, the poller) live in
// bot/watchsrc; they hand their items to Ingest, a bot/watch.Sink. This
// package imports nothing of package handlers: it registers on the Router
// through registrar, like handlers/moderation.
package watch

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/sentiment"
	"github.com/liaison-bot/liaison/bot/store"
	botwatch "github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/jobs"
)

// registrar is implemented by *handlers.Router.
type registrar interface {
	OnSubcommand(name, usage, summary string, needs bot.Needs, run func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error))
	OnAction(id, action string, run func(ctx context.Context, a *bot.Action) (*bot.Reply, error))
	OnForm(id, action string, run func(ctx context.Context, s *bot.Submission) (*bot.Reply, error))
	AddJob(j jobs.Job)
}

// directory is implemented by the handlers package's directory.
type directory interface {
	// Actor names u in histories: their people: name, else their label.
	Actor(u bot.User) string
}

// Deps are what the capability is built from (handlers.Build gives a
// default clock and logger).
type Deps struct {
	DB     *store.DB
	Config *config.Config
	Clock  bot.Clock
	Logger *slog.Logger
	People directory
}

// Watch is the capability. Its only state is the compiled matcher (from
// config); mentions, mutes and alerts are in the store.
type Watch struct {
	db      *store.DB
	cfg     *config.Config
	clock   bot.Clock
	logger  *slog.Logger
	dir     directory
	matcher *botwatch.Matcher
	alertOn *botwatch.Query // watch.alert_on as one OR query; nil when empty
	drafts  drafts          // nil until AttachDrafts
}

// drafts is implemented by *handlers.Approvals: a reply drafted for a
// mention, approved, then confirmed posted by hand.
type drafts interface {
	PostedByHand(ctx context.Context, tx *store.Tx, id int64, by, link string) error
}

// AttachDrafts tells the watch who keeps the drafted replies (approvals),
// so that confirming a mention answered marks its approved draft posted.
// Call it before the Router serves.
func (w *Watch) AttachDrafts(d drafts) { w.drafts = d }

// New returns the capability, its matcher built from the configured queries.
func New(d Deps) *Watch {
	w := &Watch{db: d.DB, cfg: d.Config, clock: d.Clock, logger: d.Logger, dir: d.People}
	w.matcher = botwatch.NewMatcher(d.Config.Watch.Entries())
	var words []string
	for _, a := range d.Config.Watch.AlertOn {
		words = append(words, `"`+strings.ReplaceAll(a, `"`, "")+`"`)
	}
	if len(words) > 0 {
		if q, err := botwatch.Parse(strings.Join(words, " OR ")); err == nil {
			w.alertOn = q
		}
	}
	return w
}

// Button and form ids.
const (
	actClaim      = "watch.claim"
	actClaimSpike = "watch.claim_spike"
	actAnswered   = "watch.answered"
	actDraft      = "watch.draft"
	actMuteAuthor = "watch.mute_author"
	actMuteSite   = "watch.mute_site"
	actNotUs      = "watch.not_us"
	actApply      = "watch.apply"
	actIgnore     = "watch.ignore"
	actLift       = "watch.lift"
	formAnswered  = "watch.answered"
)

// spikeWindow is the window in which more than watch.burst alerts on one
// query collapse into one message.
const spikeWindow = 15 * time.Minute

// Register declares /liaison watch, the buttons of mentions, alerts and
// suggestions, the Answered form, and the alert and prune jobs: all of it
// when liaison.yaml has a watch: section, nothing otherwise.
func (w *Watch) Register(r registrar) {
	if !w.cfg.Watch.Enabled {
		return
	}
	r.OnSubcommand("watch", `test "<query>" "<text>" | mutes | unmute N`,
		"try a watch query on a text; list and lift the mutes of web mentions",
		bot.Needs{Verbs: map[string]string{"mutes": "watch.mute", "unmute": "watch.mute"}}, w.subcommand)
	r.OnAction(actClaim, "watch.claim", w.action)
	r.OnAction(actClaimSpike, "watch.claim", w.action)
	r.OnAction(actAnswered, "watch.claim", w.action)
	r.OnAction(actMuteAuthor, "watch.mute", w.action)
	r.OnAction(actMuteSite, "watch.mute", w.action)
	r.OnAction(actNotUs, "watch.mute", w.action)
	r.OnAction(actLift, "watch.mute", w.action)
	r.OnAction(actApply, "watch.configure", w.action)
	r.OnAction(actIgnore, "watch.configure", w.action)
	r.OnForm(formAnswered, "watch.claim", w.form)
	r.AddJob(jobs.Job{Name: "watch-alerts", Every: time.Minute, Run: w.FollowUpAlerts})
	r.AddJob(jobs.Job{Name: "watch-prune", Every: time.Hour, Run: w.Prune})
}

// Searches returns what to ask source for: every OR alternative of every
// query that listens to it.
func (w *Watch) Searches(source string) []botwatch.Search {
	var out []botwatch.Search
	for _, q := range w.cfg.Watch.Queries {
		if q.Query == nil || !slices.Contains(q.Sources, source) {
			continue
		}
		out = append(out, q.Query.Searches()...)
	}
	return out
}

var _ botwatch.Sink = (*Watch)(nil).Ingest

// Ingest matches every item against every query and records each match as
// a mention, posted to its query's route (and raised as an alert when it
// is negative or has an alert_on word), one transaction per item. An item
// seen before (same canonical URL) changes nothing, so a poll repeated
// after a crash is harmless. Items without a usable URL are logged and
// skipped. It returns an error only when the store fails, so the poller
// keeps its cursor and fetches the page again.
func (w *Watch) Ingest(ctx context.Context, items []botwatch.Item) error {
	for i := range items {
		if _, err := w.ingest(ctx, items[i]); err != nil {
			return err
		}
	}
	return nil
}

// ingest handles one item and returns its mention when it became one.
func (w *Watch) ingest(ctx context.Context, it botwatch.Item) (*store.Mention, error) {
	matches := w.matcher.Match(it)
	if len(matches) == 0 {
		return nil, nil
	}
	canon, err := botwatch.Canonical(it.URL)
	if err != nil {
		w.logger.Warn("watch: an item without a usable URL is skipped", "source", it.Source, "id", it.ID, "url", it.URL, "err", err)
		return nil, nil
	}
	story := canon
	if it.StoryURL != "" {
		if c, err := botwatch.Canonical(it.StoryURL); err == nil {
			story = c
		}
	}
	score := sentiment.Analyze(strings.TrimSpace(it.Title + "\n" + it.Text))
	lang := score.Lang // the scorer's guess, unless the source says
	if it.Lang != "" {
		lang = botwatch.ItemLang(it)
	}
	m := &store.Mention{
		URLHash: botwatch.URLHash(canon), URL: canon, StoryHash: botwatch.URLHash(story), Source: it.Source, ItemID: it.ID,
		Feed: it.Feed, Author: it.Author, Site: botwatch.Host(story), Title: bot.OneLine(it.Title, 300),
		Excerpt: bot.OneLine(it.Text, 600), Lang: lang, Sentiment: score.Label, SentimentScore: score.Compound,
		Score: it.Score, Comments: it.Comments,
	}
	if !it.Published.IsZero() {
		p := it.Published.UTC()
		if now := w.clock.Now(); p.After(now) {
			p = now.UTC() // a date in the future is the source's mistake
		}
		m.PublishedAt = &p
	}
	var created bool
	err = w.db.InTx(ctx, func(tx *store.Tx) error {
		chosen, mute, err := w.choose(ctx, tx, matches, it, m.Site, m.StoryHash)
		if err != nil {
			return err
		}
		m.Query, m.Terms = chosen.Name, strings.Join(chosen.Terms, " ")
		if mute != nil {
			m.Status, m.DroppedBy = store.MentionDropped, mute.Kind+":"+mute.Value
		}
		if created, err = tx.CreateMention(ctx, w.clock.Now(), m); err != nil || !created {
			return err
		}
		if mute != nil {
			return tx.CountDropped(ctx, mute.ID)
		}
		return w.post(ctx, tx, m, score, it.Title+"\n"+it.Text)
	})
	if err != nil {
		return nil, fmt.Errorf("ingest %s item %s: %w", it.Source, it.ID, err)
	}
	if !created {
		return nil, nil
	}
	return m, nil
}

// choose returns the first matching query that has not muted the item,
// or, when all have, the first one and the mute that drops it.
func (w *Watch) choose(ctx context.Context, tx *store.Tx, matches []botwatch.Match, it botwatch.Item, site, story string) (botwatch.Match, *store.Mute, error) {
	var firstMute *store.Mute
	for i, mt := range matches {
		mutes, err := tx.QueryMutes(ctx, mt.Name)
		if err != nil {
			return botwatch.Match{}, nil, err
		}
		mu := mutedBy(mutes, it, site, story)
		if mu == nil {
			return mt, nil, nil
		}
		if i == 0 {
			firstMute = mu
		}
	}
	return matches[0], firstMute, nil
}

// mutedBy returns the mute that drops the item, or nil.
func mutedBy(mutes []store.Mute, it botwatch.Item, site, story string) *store.Mute {
	if len(mutes) == 0 {
		return nil
	}
	author := authorKey(it.Author)
	var words map[string]bool
	for i, mu := range mutes {
		switch mu.Kind {
		case store.MuteAuthor:
			if author != "" && author == mu.Value {
				return &mutes[i]
			}
		case store.MuteSite:
			if site == mu.Value || strings.HasSuffix(site, "."+mu.Value) {
				return &mutes[i]
			}
		case store.MuteStory:
			if story == mu.Value {
				return &mutes[i]
			}
		case store.MuteWords:
			if words == nil {
				words = map[string]bool{}
				for _, w := range botwatch.Fold(it.Title + "\n" + it.Text) {
					words[w] = true
				}
			}
			if words[mu.Value] {
				return &mutes[i]
			}
		}
	}
	return nil
}

// authorKey is how mutes compare authors: folded, without @ or u/.
func authorKey(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimPrefix(a, "@")
	a = strings.TrimPrefix(strings.TrimPrefix(a, "/u/"), "u/")
	return strings.Join(botwatch.Fold(a), " ")
}

// post enqueues the mention's message in its route's channel, threaded
// under the story's first post when another source carried it already,
// and raises its alert when it is one.
func (w *Watch) post(ctx context.Context, tx *store.Tx, m *store.Mention, score sentiment.Score, text string) error {
	q, _ := w.cfg.Watch.Query(m.Query)
	now := w.clock.Now()
	if q.Route.ID != "" {
		root, err := tx.StoryPost(ctx, m.StoryHash, m.Query, q.Route.ID, m.ID)
		if err != nil {
			return err
		}
		m.ChannelID, m.OutboxKey = q.Route.ID, mentionKey(m.ID)
		msg := &bot.OutboxMessage{Key: m.OutboxKey, Platform: bot.PlatformSlack, Kind: bot.KindPost}
		if root != nil {
			m.ThreadKey, msg.ParentKey = root.OutboxKey, root.OutboxKey
		}
		msg.Payload = bot.Payload(w.mentionPost(m, root != nil))
		if _, err := tx.Enqueue(ctx, now, msg); err != nil {
			return err
		}
	}
	if why := w.alertReason(score, text); why != "" {
		if err := w.raiseAlert(ctx, tx, m, why); err != nil {
			return err
		}
	}
	return tx.SaveMention(ctx, now, m)
}

func mentionKey(id int64) string { return "watch:mention:" + strconv.FormatInt(id, 10) }
func alertKey(id int64) string   { return "watch:alert:" + strconv.FormatInt(id, 10) }

// alertReason says why a text (a mention's title and text) scored score is
// an alert: "" when it is not.
func (w *Watch) alertReason(score sentiment.Score, text string) string {
	if w.alertOn != nil {
		ex := w.alertOn.Explain(botwatch.Item{Text: text})
		if ex.Match {
			var found []string
			for _, t := range ex.Matched {
				found = append(found, strings.Trim(t, `"`))
			}
			return "says " + strings.Join(found, ", ")
		}
	}
	if score.Label == sentiment.Negative {
		return score.Explain()
	}
	return ""
}

// mentionPost renders a mention as its Slack message.
func (w *Watch) mentionPost(m *store.Mention, inThread bool) bot.Post {
	who := cmp.Or(m.Author, "someone")
	where := m.Source
	if m.Feed != "" {
		where += " (" + m.Feed + ")"
	}
	title := fmt.Sprintf("Web mention #%d on %s by %s", m.ID, where, who)
	if inThread {
		title = fmt.Sprintf("Also on %s: mention #%d by %s", where, m.ID, who)
	}
	p := bot.Post{ChannelID: m.ChannelID, Title: title, Quote: strings.TrimSpace(m.Title + "\n" + m.Excerpt)}
	p.Fields = append(p.Fields,
		bot.Field{Name: "Query", Value: fmt.Sprintf("%s (matched %s)", m.Query, m.Terms)},
		bot.Field{Name: "Sentiment", Value: m.Sentiment},
		bot.Field{Name: "Language", Value: cmp.Or(m.Lang, "unknown")})
	if m.Score > 0 || m.Comments > 0 {
		p.Fields = append(p.Fields, bot.Field{Name: "Engagement", Value: fmt.Sprintf("%d points, %d comments", m.Score, m.Comments)})
	}
	p.Fields = append(p.Fields, bot.Field{Name: "Status", Value: mentionStatus(m)})
	p.Link = &bot.Link{URL: m.URL, Label: "Open on " + cmp.Or(botwatch.Host(m.URL), m.Source)}
	if m.PublishedAt != nil {
		p.Context = "published " + m.PublishedAt.In(w.cfg.Location).Format("Mon 2 Jan 15:04")
	}
	p.Buttons = mentionButtons(m)
	return p
}

func mentionStatus(m *store.Mention) string {
	if m.DraftID != nil && m.AnsweredAt == nil {
		return fmt.Sprintf("reply approved (draft #%d): to post manually at %s, by %s", *m.DraftID, m.URL, m.ClaimedBy)
	}
	switch m.Status {
	case store.MentionClaimed:
		return "claimed by " + m.ClaimedBy
	case store.MentionAnswered:
		if m.AnswerURL != "" {
			return fmt.Sprintf("answered by %s: %s", m.AnsweredBy, m.AnswerURL)
		}
		return "answered by " + m.AnsweredBy
	case store.MentionNotAboutUs:
		return "not about us"
	}
	return "new"
}

func mentionButtons(m *store.Mention) []bot.Button {
	if m.Status == store.MentionAnswered || m.Status == store.MentionNotAboutUs {
		return nil
	}
	id := strconv.FormatInt(m.ID, 10)
	var bs []bot.Button
	if m.ClaimedAt == nil {
		bs = append(bs, bot.Button{ActionID: actClaim, Label: "Claim", Value: id, Style: "primary"})
	} else {
		bs = append(bs, bot.Button{ActionID: actAnswered, Label: "Answered", Value: id, Style: "primary"})
	}
	bs = append(bs, bot.Button{ActionID: actDraft, Label: "Draft reply", Value: id})
	if m.Author != "" {
		bs = append(bs, bot.Button{ActionID: actMuteAuthor, Label: "Mute author", Value: id})
	}
	if m.Site != "" {
		bs = append(bs, bot.Button{ActionID: actMuteSite, Label: "Mute site", Value: id})
	}
	return append(bs, bot.Button{ActionID: actNotUs, Label: "Not about us", Value: id, Style: "danger"})
}

// refresh enqueues an edit of the mention's post and of its alert, so both
// show where it stands. Edits are numbered by the fields they change, so
// a click handled twice edits once.
func (w *Watch) refresh(ctx context.Context, tx *store.Tx, m *store.Mention, why string) error {
	now := w.clock.Now()
	if m.OutboxKey != "" {
		p := w.mentionPost(m, m.ThreadKey != "")
		k := m.OutboxKey + ":" + why
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: k, Platform: bot.PlatformSlack, Kind: bot.KindUpdate,
			Payload: bot.Payload(p), ParentKey: m.OutboxKey}); err != nil {
			return err
		}
	}
	if m.AlertKey != "" {
		p := w.alertPost(m, nil)
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: m.AlertKey + ":" + why, Platform: bot.PlatformSlack, Kind: bot.KindUpdate,
			Payload: bot.Payload(p), ParentKey: m.AlertKey}); err != nil {
			return err
		}
	}
	return nil
}

// Prune deletes the mentions older than watch.keep; a job, hourly.
func (w *Watch) Prune(ctx context.Context, now time.Time) (int, error) {
	if !w.cfg.Watch.Enabled {
		return 0, nil
	}
	return w.db.PruneMentions(ctx, now.Add(-w.cfg.Watch.Keep), 5000)
}
