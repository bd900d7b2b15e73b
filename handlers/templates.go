package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers/giveaways"
	"github.com/liaison-bot/liaison/jobs"
)

// Templates: the fixed texts Liaison says publicly in the brand's name —
// feedback notices (feedback.notices) and giveaway announcements
// (giveaways.announcement) — are brand speech. Each text (its kind, its
// language and its sha256) is recorded the first time it is needed and
// approved once, in the approvals channel, by the approvals policy; what
// uses a text not approved yet waits, and approving it releases what
// waited, in the approving transaction. A text that changes in
// liaison.yaml is a new text: it needs its own approval. The rows are
// store.NoticeTemplate, whose Status names the kind's text (a feedback
// status, or "giveaway").

// templateKind is one capability's templates: how their approval message
// and answers name them, and what waits for them.
type templateKind struct {
	// statuses are the Status values of its texts.
	statuses []string
	// action is the id of the Approve and Reject buttons.
	action string
	// source is where the texts are in liaison.yaml.
	source string
	// enabled says whether the capability speaks at all.
	enabled func() bool
	// text returns the text of status in lang as the file has it now.
	text func(status, lang string) string
	// title heads the approval message; what names the text in answers
	// ("the shipped (en) notice text"); when says when Liaison says it.
	title, what func(status, lang string) string
	when        func(status string) string
	// users names what uses a text, in the plural ("notices").
	users string
	// author returns who wrote the texts of status, a name from people:
	// ("" when the file does not say); nil for kinds whose file cannot
	// say. Four eyes: they may not approve them.
	author func(status string) string
	// release sends, in tx, what waited for t, now approved, and returns
	// how many.
	release func(ctx context.Context, tx *store.Tx, t *store.NoticeTemplate) (int, error)
}

// Templates asks for and records the approval of template texts.
type Templates struct {
	db    *store.DB
	cfg   *config.Config
	clock bot.Clock
	dir   directory
	// policies resolves the approvals policy; nil when approvals are off.
	policies policies
	kinds    []*templateKind
}

func newTemplates(db *store.DB, cfg *config.Config, clock bot.Clock, dir directory) *Templates {
	return &Templates{db: db, cfg: cfg, clock: clock, dir: dir}
}

// Register declares the Approve and Reject buttons of the kinds that have
// no handler of their own, and the job that asks for changed texts.
func (ts *Templates) Register(r *Router) {
	r.OnAction(templateAction, "", ts.Decide)
	r.AddJob(jobs.Job{Name: "notice-templates", Every: time.Minute, Run: ts.AskApprovals})
}

// templateAction is the buttons' action id of the kinds but feedback's
// (whose older approval messages carry "feedback.notice", answered by
// Feedback).
const templateAction = "template.decide"

func (ts *Templates) add(k *templateKind) { ts.kinds = append(ts.kinds, k) }

func (ts *Templates) kind(status string) *templateKind {
	for _, k := range ts.kinds {
		if slices.Contains(k.statuses, status) {
			return k
		}
	}
	return nil
}

func textHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Ensure returns the template of status in lang with text, recording it
// (and asking for its approval) the first time the text is seen.
func (ts *Templates) Ensure(ctx context.Context, tx *store.Tx, status, lang, text string) (*store.NoticeTemplate, error) {
	t, _, err := ts.ensure(ctx, tx, status, lang, text)
	return t, err
}

func (ts *Templates) ensure(ctx context.Context, tx *store.Tx, status, lang, text string) (*store.NoticeTemplate, bool, error) {
	t := &store.NoticeTemplate{Status: status, Lang: lang, TextHash: textHash(text), Text: text}
	if k := ts.kind(status); k != nil && k.author != nil {
		if p, ok := ts.cfg.Person(k.author(status)); ok {
			t.Author = p.Slack
		}
	}
	created, err := tx.EnsureNoticeTemplate(ctx, ts.clock.Now(), t)
	if err != nil || !created || !ts.cfg.Approvals.Enabled {
		return t, created, err
	}
	post := ts.post(ctx, t)
	_, err = tx.Enqueue(ctx, ts.clock.Now(), &bot.OutboxMessage{Key: store.NoticeTemplateKey(t.Status, t.Lang, t.TextHash),
		Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(post)})
	return t, created, err
}

// AskApprovals posts for approval, for the scheduler, each template text
// of the configuration that replaces one used before: the first run after
// a text changes asks for it once. A text never used yet is asked for when
// the first message needs it (Ensure), so a new install does not fill the
// approvals channel with texts nobody needs yet. It returns how many it
// posted.
func (ts *Templates) AskApprovals(ctx context.Context, _ time.Time) (int, error) {
	if !ts.cfg.Approvals.Enabled {
		return 0, nil
	}
	known, err := ts.db.NoticeTemplatesKnown(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range ts.kinds {
		if !k.enabled() {
			continue
		}
		for _, status := range k.statuses {
			for _, lang := range config.NoticeLanguages {
				key, text := status+"/"+lang, k.text(status, lang)
				if !known[key] || known[key+"/"+textHash(text)] {
					continue // never used yet, or this text is known already
				}
				err := ts.db.InTx(ctx, func(tx *store.Tx) error {
					_, created, err := ts.ensure(ctx, tx, status, lang, text)
					if created {
						n++
					}
					return err
				})
				if err != nil {
					return n, fmt.Errorf("template %s/%s: %w", status, lang, err)
				}
			}
		}
	}
	return n, nil
}

// post is the approval message of a template.
func (ts *Templates) post(ctx context.Context, t *store.NoticeTemplate) bot.Post {
	k := ts.kind(t.Status)
	pol := ts.policy(ctx)
	p := bot.Post{ChannelID: ts.cfg.Approvals.Channel.ID,
		Title: k.title(t.Status, t.Lang),
		Quote: t.Text,
		Fields: []bot.Field{
			{Name: "When", Value: k.when(t.Status)},
			{Name: "Policy", Value: pol.Describe(t.Author, ts.authorName(t))},
			{Name: "Status", Value: templateState(k, t, pol)},
		},
		Context: "from liaison.yaml (" + k.source + "); approved once, until the text changes"}
	if name := ts.authorName(t); name != "" {
		p.Fields = append(p.Fields[:1], append([]bot.Field{{Name: "Written by", Value: name}}, p.Fields[1:]...)...)
	}
	if t.State == store.NoticePending {
		v := "t:" + t.Status + ":" + t.Lang + ":" + t.TextHash
		p.Buttons = []bot.Button{{ActionID: k.action, Label: "Approve", Value: "approve:" + v, Style: "primary"},
			{ActionID: k.action, Label: "Reject", Value: "reject:" + v, Style: "danger"}}
	}
	return p
}

func templateState(k *templateKind, t *store.NoticeTemplate, pol bot.ApprovalPolicy) string {
	switch t.State {
	case store.NoticeApproved:
		return "approved: " + k.users + " using it are posted"
	case store.NoticeRejected:
		return "rejected: " + k.users + " using it wait until the text changes in liaison.yaml"
	}
	return fmt.Sprintf("waiting for approval (%d of %d); %s using it wait", pol.Count(t.Author, t.Approvers), pol.Needed(t.Author), k.users)
}

// authorName names the writer of t's text, "" when not known.
func (ts *Templates) authorName(t *store.NoticeTemplate) string {
	if t.Author == "" {
		return ""
	}
	for _, p := range ts.cfg.People {
		if p.Slack == t.Author {
			return p.Name
		}
	}
	return t.Author
}

// policy is the approvals policy for templates: the section's own, no
// channel's.
func (ts *Templates) policy(ctx context.Context) bot.ApprovalPolicy {
	if ts.policies == nil {
		return bot.ApprovalPolicy{}
	}
	p, _ := ts.policies.resolvePolicy(ctx, ts.cfg.Approvals.Policy)
	return p
}

// Decide answers Approve and Reject on a template's approval message (its
// value "approve:t:STATUS:LANG:HASH").
func (ts *Templates) Decide(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	verb, ref, _ := strings.Cut(a.Value, ":")
	parts := strings.SplitN(strings.TrimPrefix(ref, "t:"), ":", 3)
	if (verb != "approve" && verb != "reject") || !strings.HasPrefix(ref, "t:") || len(parts) != 3 {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a text to approve; nothing was changed.")
	}
	var msg string
	err := ts.db.InTx(ctx, func(tx *store.Tx) (err error) {
		msg, err = ts.decide(ctx, tx, parts[0], parts[1], parts[2], verb, a.User)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// decide records u's decision on a template in tx; approving it releases
// what waited for it.
func (ts *Templates) decide(ctx context.Context, tx *store.Tx, status, lang, hash, verb string, u bot.User) (string, error) {
	k := ts.kind(status)
	if k == nil {
		return "", bot.Errorf(bot.ENotFound, "Liaison has no text like this one any more; nothing was changed.")
	}
	t, err := tx.NoticeTemplate(ctx, status, lang, hash)
	if err != nil {
		return "", err
	}
	what := k.what(status, lang)
	if t.State != store.NoticePending {
		return fmt.Sprintf("%s is %s already; nothing was changed.", upperFirst(what), t.State), nil
	}
	if ts.policies == nil {
		return "", bot.Errorf(bot.EConflict, "Approvals are not set up; nothing was changed.")
	}
	pol, err := ts.policies.resolvePolicy(ctx, ts.cfg.Approvals.Policy)
	if err != nil {
		return "", err
	}
	if t.Author != "" && u.ID == t.Author {
		return "", bot.Errorf(bot.EForbidden, "You wrote %s (liaison.yaml says so in %s), so you cannot %s it: it %s. Nothing was changed.",
			what, k.source+".written_by", verb, pol.Describe(t.Author, ts.authorName(t)))
	}
	if err := pol.Check(u.ID, t.Author, ts.authorName(t), verb); err != nil {
		return "", err
	}
	now := ts.clock.Now()
	by := ts.dir.Actor(u)
	switch verb {
	case "reject":
		t.State, t.DecidedBy = store.NoticeRejected, by
	default:
		if !slices.Contains(t.Approvers, u.ID) {
			t.Approvers = append(t.Approvers, u.ID)
		}
		if pol.Reached(t.Author, t.Approvers) {
			t.State, t.DecidedBy = store.NoticeApproved, by
		}
	}
	if err := tx.SaveNoticeTemplate(ctx, now, t); err != nil {
		return "", err
	}
	sent := 0
	if t.State == store.NoticeApproved {
		if sent, err = k.release(ctx, tx, t); err != nil {
			return "", err
		}
	}
	if err := editApproval(ctx, tx, now, store.NoticeTemplateKey(t.Status, t.Lang, t.TextHash), ts.post(ctx, t)); err != nil {
		return "", err
	}
	switch t.State {
	case store.NoticeApproved:
		return fmt.Sprintf("You approved %s: %s using it are posted; %d waiting went out now.", what, k.users, sent), nil
	case store.NoticeRejected:
		return fmt.Sprintf("You rejected %s: %s using it wait until it changes in liaison.yaml.", what, k.users), nil
	}
	return fmt.Sprintf("You approved %s; it needs %d more approval(s).", what, pol.Needed(t.Author)-pol.Count(t.Author, t.Approvers)), nil
}

// feedbackTemplates are feedback's notice texts.
func feedbackTemplates(fb *Feedback) *templateKind {
	return &templateKind{
		statuses: notifiedStatuses, action: "feedback.notice", source: "feedback.notices", users: "notices",
		enabled: func() bool { return fb.cfg.Feedback.Enabled },
		text:    func(status, lang string) string { return fb.cfg.Feedback.Notice(status, lang) },
		title: func(status, lang string) string {
			return fmt.Sprintf("Notice text to approve: %s (%s)", statusName(status), lang)
		},
		what: func(status, lang string) string {
			return fmt.Sprintf("the %s (%s) notice text", statusName(status), lang)
		},
		when: func(status string) string {
			return fmt.Sprintf("Liaison says this in Discord, in your brand's name, to the author and voters of an item set to %s, pinging them.", statusName(status))
		},
		release: fb.releaseNotices,
	}
}

// giveawayTemplates are the giveaway announcement texts.
func giveawayTemplates(cfg *config.Config, g *giveaways.Giveaways) *templateKind {
	return &templateKind{
		statuses: []string{giveaways.AnnouncementStatus}, action: templateAction, source: "giveaways.announcement", users: "announcements",
		enabled: func() bool { return true },
		text:    func(_, lang string) string { return cfg.Giveaways.AnnouncementText(lang) },
		author:  func(string) string { return cfg.Giveaways.AnnouncementBy },
		title:   func(_, lang string) string { return fmt.Sprintf("Giveaway announcement text to approve (%s)", lang) },
		what:    func(_, lang string) string { return fmt.Sprintf("the giveaway announcement text (%s)", lang) },
		when: func(string) string {
			return "Liaison says this in Discord, in your brand's name, when a giveaway is drawn: a reply to the giveaway pinging its winners, with the draw's proof. Until it is approved, draws still happen and their announcements wait."
		},
		release: g.ReleaseAnnouncements,
	}
}
