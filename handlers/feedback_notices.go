package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
)

// Closing the loop: when an item becomes planned, shipped or declined (or
// is closed as fixed), Liaison tells its author and voters in Discord, in a
// reply to the item's message (in its thread) that pings exactly them. The
// text is brand speech: a template from feedback.notices, approved once in
// the approvals channel when it changes (notices wait until it is); a
// notice carrying a note, which is user text, is approved on its own. The
// notice is queued in the transaction that changes the status.

// policies is implemented by *Approvals: the approvals policy resolved to
// Slack ids, for deciding on notices.
type policies interface {
	resolvePolicy(ctx context.Context, c config.ApprovalPolicy) (bot.ApprovalPolicy, error)
}

// notifiedStatuses are the statuses the community is told of.
var notifiedStatuses = []string{store.FeedbackPlanned, store.FeedbackShipped, store.FeedbackDeclined}

// noticeStatus is the notice a change to status tells, "" for none: closing
// an item as fixed ("fixed in 2.4") is told as shipped.
func noticeStatus(status, closeReason string) string {
	if slices.Contains(notifiedStatuses, status) {
		return status
	}
	if status == store.FeedbackClosed {
		if w := strings.Fields(bot.Fold(closeReason)); len(w) > 0 && (w[0] == "fixed" || w[0] == "corrige") {
			return store.FeedbackShipped
		}
	}
	return ""
}

// Discord's limits on one message, kept with a margin for escaping.
const (
	noticePingsMax = 100
	noticeCharsMax = 1900
)

// renderNotice fills a template for it.
func renderNotice(tpl string, it *store.FeedbackItem, note string) string {
	title := it.Title
	if title == "" {
		first, _, _ := strings.Cut(strings.TrimSpace(it.Text), "\n")
		title = bot.OneLine(first, 80)
	}
	r := strings.NewReplacer("{author}", it.AuthorName, "{title}", title, "{note}", strings.TrimSpace(note), "{votes}", strconv.Itoa(it.Votes))
	lines := strings.Split(r.Replace(tpl), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// queueNotice tells, in tx, the change of it (locked) to status: a waiting
// notice of an earlier change is cancelled; the new one goes out now when
// its template is approved and it has no note, else it waits. Only items
// from a Discord message that still exists are told.
func (fb *Feedback) queueNotice(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, status, note string, u bot.User) error {
	if err := fb.cancelNotices(ctx, tx, it.ID); err != nil {
		return err
	}
	ns := noticeStatus(status, note)
	if ns == "" || it.Source != bot.PlatformDiscord || it.Deleted || it.MessageID == "" {
		return nil
	}
	if status == store.FeedbackClosed {
		note = "" // "fixed in 2.4" is the team's word for the close, not a note for the community
	}
	lang := bot.Language(itemText(it.Title, it.Text))
	tpl := &store.NoticeTemplate{Status: ns, Lang: lang, Text: fb.cfg.Feedback.Notice(ns, lang)}
	tpl.TextHash = textHash(tpl.Text)
	if strings.TrimSpace(note) == "" {
		// Without a note the notice is the template's text alone: it goes
		// out once that text is approved (asked for now, the first time).
		var err error
		if tpl, err = fb.templates.Ensure(ctx, tx, ns, lang, tpl.Text); err != nil {
			return err
		}
	}
	n := &store.Notice{FeedbackID: it.ID, Status: ns, Lang: lang, TemplateHash: tpl.TextHash, Note: strings.TrimSpace(note),
		Text: renderNotice(tpl.Text, it, note), AuthorName: fb.dir.Actor(u)}
	if u.Platform == bot.PlatformSlack {
		n.Author = u.ID
	}
	if err := tx.CreateNotice(ctx, fb.clock.Now(), n); err != nil {
		return err
	}
	switch {
	case n.Note == "" && tpl.State == store.NoticeApproved:
		return fb.sendNotice(ctx, tx, it, n)
	case !fb.cfg.Approvals.Enabled:
		return tx.LogFeedback(ctx, fb.clock.Now(), it.ID, "", "notice waits", "nobody can approve it: liaison.yaml has no approvals: section")
	case n.Note != "":
		post := fb.noticePost(ctx, it, n)
		if _, err := tx.Enqueue(ctx, fb.clock.Now(), &bot.OutboxMessage{Key: store.NoticeApprovalKey(n.ID), Platform: bot.PlatformSlack,
			Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
			return err
		}
		return tx.LogFeedback(ctx, fb.clock.Now(), it.ID, "", "notice waits", "for approval of its note in #"+fb.cfg.Approvals.Channel.Name)
	}
	return tx.LogFeedback(ctx, fb.clock.Now(), it.ID, "", "notice waits", fmt.Sprintf("for approval of the %s (%s) notice text in #%s", statusName(ns), lang, fb.cfg.Approvals.Channel.Name))
}

// cancelNotices cancels the waiting notices of item id: its status changed
// again, so they would tell something no longer true.
func (fb *Feedback) cancelNotices(ctx context.Context, tx *store.Tx, id int64) error {
	ids, err := tx.WaitingNotices(ctx, id, "")
	if err != nil {
		return err
	}
	for _, nid := range ids {
		n, err := tx.Notice(ctx, nid)
		if err != nil {
			return err
		}
		n.State = store.NoticeCancelled
		if err := tx.SaveNotice(ctx, fb.clock.Now(), n); err != nil {
			return err
		}
		if n.Note != "" && fb.cfg.Approvals.Enabled { // its approval message
			it, err := tx.Feedback(ctx, n.FeedbackID)
			if err != nil {
				return err
			}
			if err := fb.editApproval(ctx, tx, store.NoticeApprovalKey(n.ID), fb.noticePost(ctx, it, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// notePolicy is the approvals policy of a notice with a note: that of the
// channel the item came from.
func (fb *Feedback) notePolicy(ctx context.Context, it *store.FeedbackItem) (bot.ApprovalPolicy, error) {
	if fb.policies == nil {
		return bot.ApprovalPolicy{}, bot.Errorf(bot.EConflict, "Approvals are not set up, so nobody can approve this notice.")
	}
	return fb.policies.resolvePolicy(ctx, fb.cfg.Approvals.For(it.ChannelID))
}

// noticePost is the approval message of a notice carrying a note.
func (fb *Feedback) noticePost(ctx context.Context, it *store.FeedbackItem, n *store.Notice) bot.Post {
	pol, _ := fb.notePolicy(ctx, it)
	p := bot.Post{ChannelID: fb.cfg.Approvals.Channel.ID,
		Title: fmt.Sprintf("Notice to approve: feedback #%d is %s", it.ID, statusName(n.Status)),
		Quote: n.Text,
		Fields: []bot.Field{
			{Name: "Note by", Value: n.AuthorName},
			{Name: "Policy", Value: pol.Describe(n.Author, n.AuthorName)},
		}}
	if it.Permalink != "" {
		p.Link = &bot.Link{URL: it.Permalink, Label: "Open the item in Discord"}
	}
	switch n.State {
	case store.NoticeWaiting:
		p.Fields = append(p.Fields, bot.Field{Name: "Status", Value: fmt.Sprintf("waiting for approval (%d of %d)", pol.Count(n.Author, n.Approvers), pol.Needed(n.Author))})
		v := "n:" + strconv.FormatInt(n.ID, 10)
		p.Buttons = []bot.Button{{ActionID: "feedback.notice", Label: "Approve", Value: "approve:" + v, Style: "primary"},
			{ActionID: "feedback.notice", Label: "Reject", Value: "reject:" + v, Style: "danger"}}
	case store.NoticeSent:
		p.Fields = append(p.Fields, bot.Field{Name: "Status", Value: fmt.Sprintf("approved and posted in Discord, telling %d people", len(n.Recipients))})
	case store.NoticeRejected:
		p.Fields = append(p.Fields, bot.Field{Name: "Status", Value: "rejected: nothing was posted"})
	case store.NoticeCancelled:
		p.Fields = append(p.Fields, bot.Field{Name: "Status", Value: "cancelled: the item's status changed since"})
	}
	return p
}

// editApproval enqueues an edit of the approval message with key base,
// chained after the edits before it.
func (fb *Feedback) editApproval(ctx context.Context, tx *store.Tx, base string, post bot.Post) error {
	return editApproval(ctx, tx, fb.clock.Now(), base, post)
}

// editApproval enqueues at now an edit of the Slack message with key base,
// chained after the edits before it.
func editApproval(ctx context.Context, tx *store.Tx, now time.Time, base string, post bot.Post) error {
	key, last, err := nextKey(ctx, tx, base+":update:")
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindUpdate,
		Payload: bot.Payload(post), ParentKey: cmp.Or(last, base)})
	return err
}

// recipients returns the Discord ids a notice about it pings: its author
// and its voters (a person of people: by their Discord account), each
// once, but those who left the server or asked not to be told.
func (fb *Feedback) recipients(ctx context.Context, tx *store.Tx, it *store.FeedbackItem) ([]string, error) {
	var ids []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if it.Source == bot.PlatformDiscord {
		add(it.AuthorID)
	}
	voters, err := tx.Voters(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range voters {
		kind, who, _ := strings.Cut(v, ":")
		switch kind {
		case bot.PlatformDiscord:
			add(who)
		case "person":
			if p, ok := fb.cfg.Person(who); ok {
				add(p.Discord)
			}
		}
	}
	gone, err := tx.NotTold(ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(id string) bool { return gone[id] }), nil
}

// noticeChunks splits the pings of a notice of text so that each message
// has at most 100 of them and fits in a Discord message; the first carries
// the text.
func noticeChunks(text string, ids []string) [][]string {
	var out [][]string
	var cur []string
	size := len([]rune(text)) + 1
	for _, id := range ids {
		cost := len(id) + 4 // "<@" id "> "
		if len(cur) == noticePingsMax || (len(cur) > 0 && size+cost > noticeCharsMax) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, id)
		size += cost
	}
	return append(out, cur)
}

// sendNotice enqueues notice n of it in Discord, in tx: replies to its
// message, in its thread, pinging exactly its people, split at Discord's
// limits; and shows on the relays who was told.
func (fb *Feedback) sendNotice(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, n *store.Notice) error {
	ids, err := fb.recipients(ctx, tx, it)
	if err != nil {
		return err
	}
	now := fb.clock.Now()
	stop := []bot.Button{{ActionID: "feedback.notices.off", Label: "Stop telling me"}}
	for i, chunk := range noticeChunks(n.Text, ids) {
		post := bot.Post{ChannelID: cmp.Or(it.ThreadID, it.ChannelID), ThreadOf: it.MessageID, Notify: chunk, Buttons: stop}
		if i == 0 {
			post.Text = n.Text
		}
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("notice:%d:%d", n.ID, i+1), Platform: bot.PlatformDiscord,
			Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
			return err
		}
	}
	n.State, n.Recipients, n.SentAt = store.NoticeSent, ids, &now
	if err := tx.SaveNotice(ctx, now, n); err != nil {
		return err
	}
	if n.Note != "" && fb.cfg.Approvals.Enabled {
		if err := fb.editApproval(ctx, tx, store.NoticeApprovalKey(n.ID), fb.noticePost(ctx, it, n)); err != nil {
			return err
		}
	}
	if err := tx.LogFeedback(ctx, now, it.ID, "", "told in Discord", fmt.Sprintf("%s, %d people", statusName(n.Status), len(ids))); err != nil {
		return err
	}
	return fb.refreshRelays(ctx, tx, it)
}

// noticeDecided answers Approve and Reject on a notice's (or a notice
// text's: Templates decides) approval message. The approvals policy says
// who decides.
func (fb *Feedback) noticeDecided(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	verb, ref, _ := strings.Cut(a.Value, ":")
	if verb != "approve" && verb != "reject" {
		return nil, bot.Errorf(bot.EInvalid, "This button does not say what to decide; nothing was changed.")
	}
	kind, rest, _ := strings.Cut(ref, ":")
	var msg string
	err := fb.db.InTx(ctx, func(tx *store.Tx) (err error) {
		switch kind {
		case "t":
			parts := strings.SplitN(rest, ":", 3)
			if len(parts) != 3 {
				return bot.Errorf(bot.EInvalid, "This button does not name a notice text; nothing was changed.")
			}
			msg, err = fb.templates.decide(ctx, tx, parts[0], parts[1], parts[2], verb, a.User)
		case "n":
			id, perr := strconv.ParseInt(rest, 10, 64)
			if perr != nil {
				return bot.Errorf(bot.EInvalid, "This button does not name a notice; nothing was changed.")
			}
			msg, err = fb.decideNotice(ctx, tx, id, verb, a.User)
		default:
			return bot.Errorf(bot.EInvalid, "This button does not name a notice; nothing was changed.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// releaseNotices sends, in tx, the notices that waited for template t,
// now approved, and returns how many.
func (fb *Feedback) releaseNotices(ctx context.Context, tx *store.Tx, t *store.NoticeTemplate) (int, error) {
	ids, err := tx.WaitingNotices(ctx, 0, t.TextHash)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		n, err := tx.Notice(ctx, id)
		if err != nil {
			return 0, err
		}
		it, err := tx.Feedback(ctx, n.FeedbackID)
		if err != nil {
			return 0, err
		}
		if err := fb.sendNotice(ctx, tx, it, n); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (fb *Feedback) decideNotice(ctx context.Context, tx *store.Tx, id int64, verb string, u bot.User) (string, error) {
	n, err := tx.Notice(ctx, id)
	if err != nil {
		return "", err
	}
	if n.State != store.NoticeWaiting {
		return fmt.Sprintf("That notice is %s already; nothing was changed.", n.State), nil
	}
	it, err := tx.Feedback(ctx, n.FeedbackID)
	if err != nil {
		return "", err
	}
	pol, err := fb.notePolicy(ctx, it)
	if err != nil {
		return "", err
	}
	if err := pol.Check(u.ID, n.Author, n.AuthorName, verb); err != nil {
		return "", err
	}
	now := fb.clock.Now()
	if verb == "reject" {
		n.State = store.NoticeRejected
		if err := tx.SaveNotice(ctx, now, n); err != nil {
			return "", err
		}
		if err := tx.LogFeedback(ctx, now, it.ID, fb.dir.Actor(u), "rejected the notice", ""); err != nil {
			return "", err
		}
		if err := fb.editApproval(ctx, tx, store.NoticeApprovalKey(n.ID), fb.noticePost(ctx, it, n)); err != nil {
			return "", err
		}
		return fmt.Sprintf("You rejected the notice of feedback #%d: nothing is posted.", it.ID), nil
	}
	if !slices.Contains(n.Approvers, u.ID) {
		n.Approvers = append(n.Approvers, u.ID)
	}
	if !pol.Reached(n.Author, n.Approvers) {
		if err := tx.SaveNotice(ctx, now, n); err != nil {
			return "", err
		}
		if err := fb.editApproval(ctx, tx, store.NoticeApprovalKey(n.ID), fb.noticePost(ctx, it, n)); err != nil {
			return "", err
		}
		return fmt.Sprintf("You approved the notice of feedback #%d; it needs %d more approval(s).", it.ID, pol.Needed(n.Author)-pol.Count(n.Author, n.Approvers)), nil
	}
	if err := fb.sendNotice(ctx, tx, it, n); err != nil {
		return "", err
	}
	return fmt.Sprintf("You approved the notice of feedback #%d: it is being posted in Discord, telling %d people.", it.ID, len(n.Recipients)), nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// noticesOff answers Stop telling me on a notice, and /notices off|on in
// Discord: whether its user hears of items' status changes.
func (fb *Feedback) noticesOff(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	return fb.setNotices(ctx, a.User, false)
}

func (fb *Feedback) noticesCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	switch strings.ToLower(strings.TrimSpace(cmp.Or(c.Option("state"), c.Text))) {
	case "off":
		return fb.setNotices(ctx, c.User, false)
	case "on":
		return fb.setNotices(ctx, c.User, true)
	}
	return nil, bot.Errorf(bot.EInvalid, "Say on or off: /notices off stops Liaison telling you when feedback you wrote or voted for changes; /notices on starts again.")
}

func (fb *Feedback) setNotices(ctx context.Context, u bot.User, on bool) (*bot.Reply, error) {
	if u.Platform != bot.PlatformDiscord {
		return nil, bot.Errorf(bot.EInvalid, "Notices are said in Discord: use /notices there.")
	}
	err := fb.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.SetNoticeOptOut(ctx, fb.clock.Now(), u.ID, !on)
		return err
	})
	if err != nil {
		return nil, err
	}
	if on {
		return &bot.Reply{Text: "Liaison will tell you again when feedback you wrote or voted for is planned, shipped or declined."}, nil
	}
	return &bot.Reply{Text: "Liaison will not ping you about feedback any more. /notices on starts again."}, nil
}
