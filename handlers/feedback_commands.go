package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Feedback's commands, buttons and forms: /feedback and the Send to
// product menu, the relay's Acknowledge, Tag, Claim and Close, and
// /liaison feedback list|show|close.

// errFeedbackOff answers a feedback command while feedback is not set up.
var errFeedbackOff = bot.Errorf(bot.EInvalid, "Feedback is not set up here yet: ask an admin to add a feedback: section to liaison.yaml.")

// command handles Discord's /feedback and the Send to product menu (and
// Slack's shortcut of that name).
func (fb *Feedback) command(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	if !fb.cfg.Feedback.Enabled {
		return nil, errFeedbackOff
	}
	var m *bot.Message
	how := "command"
	switch {
	case c.Target != nil:
		m, how = c.Target, "menu"
		if m.Author.Bot {
			return nil, bot.Errorf(bot.EInvalid, "That message comes from a bot; only what people say can be sent as feedback.")
		}
	default:
		text := strings.TrimSpace(cmp.Or(c.Option("text"), c.Text))
		if text == "" {
			return nil, bot.Errorf(bot.EInvalid, "Write your feedback after /feedback, for example: /feedback the export button crashes on big files")
		}
		m = &bot.Message{Place: c.Place, ID: c.FirstKey(), Author: c.User, Text: text}
	}
	var it *store.FeedbackItem
	// The item is worked out before its transaction, whose turn in a
	// group commit then only writes it. Intake changes nothing outside tx
	// but through OnCommit (the similarity index): pure, so a group of
	// commands is one statement.
	p := fb.prepareBeforeTx(ctx, m, how, c.User, "")
	first, err := fb.db.InTxFirstPure(ctx, fb.clock.Now(), c.Keys, func(tx *store.Tx) (err error) {
		it, err = p.create(ctx, tx)
		return err
	})
	if err != nil || !first {
		return nil, err
	}
	if how == "menu" {
		return &bot.Reply{Text: fmt.Sprintf("Sent to the team as feedback #%d. Thanks!", it.ID)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Thanks! The team has your feedback (#%d).", it.ID)}, nil
}

// logCommand handles Slack's /feedback <text> [from <customer>]: staff log
// what they heard elsewhere (feedback.log).
func (fb *Feedback) logCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	if !fb.cfg.Feedback.Enabled {
		return nil, errFeedbackOff
	}
	text, customer, err := staffFeedback(c.Text)
	if err != nil {
		return nil, err
	}
	m := &bot.Message{Place: c.Place, ID: c.FirstKey(), Author: c.User, Text: text}
	var it *store.FeedbackItem
	// Prepared, and pure, as command's.
	p := fb.prepareBeforeTx(ctx, m, "staff", c.User, customer)
	first, err := fb.db.InTxFirstPure(ctx, fb.clock.Now(), c.Keys, func(tx *store.Tx) (err error) {
		it, err = p.create(ctx, tx)
		return err
	})
	if err != nil || !first {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Logged as feedback #%d.", it.ID)}, nil
}

// staffFeedback reads /feedback's text: what was heard, and whom from
// when it says so, at the end ("the export is too slow from Acme") or at
// the start ("from Acme: the export is too slow").
func staffFeedback(s string) (text, customer string, err error) {
	text = strings.TrimSpace(s)
	if len(text) > len("from ") && strings.EqualFold(text[:len("from ")], "from ") {
		if who, said, ok := strings.Cut(text[len("from "):], ":"); ok && strings.TrimSpace(who) != "" {
			text, customer = strings.TrimSpace(said), strings.TrimSpace(who)
			if text == "" {
				return "", "", bot.Errorf(bot.EInvalid, "Write what %s said after the colon: /feedback from Acme: the export is too slow", bot.Truncate(customer, 100))
			}
			return text, customer, nil
		}
	}
	if i := strings.LastIndex(" "+text+" ", " from "); i >= 0 {
		before, after := strings.TrimSpace(text[:max(i-1, 0)]), strings.TrimSpace(text[min(i-1+len(" from "), len(text)):])
		if after == "" {
			return "", "", bot.Errorf(bot.EInvalid, "Say who it is from after “from”, or leave “from” out: /feedback the export is too slow from Acme (call with Jane)")
		}
		text, customer = before, after
	}
	if text == "" {
		return "", "", bot.Errorf(bot.EInvalid, "Write the feedback after the command: /feedback the export is too slow from Acme (call with Jane)")
	}
	return text, customer, nil
}

// action handles the relay's buttons (but Draft reply: approvals answers it).
func (fb *Feedback) action(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was changed.")
	}
	by := fb.dir.Actor(a.User)
	switch a.ActionID {
	case "feedback.status":
		return fb.statusMenu(id), nil
	case "feedback.tag":
		return &bot.Reply{Modal: &bot.Modal{CallbackID: "feedback.tag", Title: "Tag feedback", Submit: "Save", Meta: a.Value,
			Fields: []bot.ModalField{{ID: "tags", Label: "Tags, separated by commas"}}}}, nil
	case "feedback.ack", "feedback.close", "feedback.claim":
		var msg string
		err := fb.db.InTx(ctx, func(tx *store.Tx) error {
			it, err := tx.Feedback(ctx, id)
			if err != nil {
				return err
			}
			now := fb.clock.Now()
			switch a.ActionID {
			case "feedback.ack":
				if it.Status != store.FeedbackOpen {
					msg = fmt.Sprintf("Feedback #%d is already %s.", it.ID, statusLine(it))
					return nil
				}
				it.Status, it.HandledBy = store.FeedbackAcknowledged, by
				msg = fmt.Sprintf("You acknowledged feedback #%d.", it.ID)
			case "feedback.close":
				if store.FeedbackDone(it.Status) {
					msg = fmt.Sprintf("Feedback #%d is already %s.", it.ID, statusLine(it))
					return nil
				}
				it.Status, it.HandledBy, it.ClosedAt = store.FeedbackClosed, by, &now
				msg = fmt.Sprintf("You closed feedback #%d.", it.ID)
			case "feedback.claim":
				if it.Owner != "" {
					msg = fmt.Sprintf("Feedback #%d is already claimed by %s.", it.ID, it.Owner)
					return nil
				}
				it.Owner = by
				msg = fmt.Sprintf("Feedback #%d is yours.", it.ID)
			}
			if err := tx.SaveFeedback(ctx, now, it); err != nil {
				return err
			}
			done := map[string]string{"feedback.ack": "acknowledged", "feedback.close": "closed", "feedback.claim": "claimed"}[a.ActionID]
			if err := tx.LogFeedback(ctx, now, it.ID, by, done, ""); err != nil {
				return err
			}
			if err := fb.refreshRelays(ctx, tx, it); err != nil {
				return err
			}
			if a.ActionID == "feedback.close" {
				return fb.queueNotice(ctx, tx, it, it.Status, "", a.User)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Text: msg}, nil
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was changed.")
}

// form handles the Tag modal.
func (fb *Feedback) form(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	if s.CallbackID != "feedback.tag" {
		return nil, bot.Errorf(bot.ENotFound, "This form belongs to something Liaison no longer handles; nothing was changed.")
	}
	id, err := strconv.ParseInt(s.Meta, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This form does not name a feedback item; nothing was changed.")
	}
	var tags []string
	for _, t := range strings.Split(s.Values["tags"], ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	var it *store.FeedbackItem
	err = fb.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if it, err = tx.Feedback(ctx, id); err != nil {
			return err
		}
		it.Tags = tags
		now := fb.clock.Now()
		if err := tx.SaveFeedback(ctx, now, it); err != nil {
			return err
		}
		if err := tx.LogFeedback(ctx, now, it.ID, fb.dir.Actor(s.User), "tagged", strings.Join(tags, ", ")); err != nil {
			return err
		}
		return fb.refreshRelays(ctx, tx, it)
	})
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return &bot.Reply{Text: fmt.Sprintf("Feedback #%d has no tags now.", it.ID)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Feedback #%d is tagged %s.", it.ID, strings.Join(tags, ", "))}, nil
}

// subcommand is /liaison feedback list|show|close.
func (fb *Feedback) subcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "", "list":
		f := store.FeedbackFilter{Statuses: []string{store.FeedbackOpen, store.FeedbackAcknowledged, store.FeedbackPlanned, store.FeedbackInProgress}}
		switch {
		case rest == "" || rest == "open":
		case rest == "mine":
			f = store.FeedbackFilter{Person: fb.dir.Actor(c.User)}
		case strings.HasPrefix(rest, "tag:"):
			f = store.FeedbackFilter{Tag: strings.TrimPrefix(rest, "tag:")}
		case rest == "all":
			f = store.FeedbackFilter{}
		default:
			return nil, bot.Errorf(bot.EInvalid, "List what? Use /liaison feedback list open, list mine, list all or list tag:bug.")
		}
		items, err := fb.db.ListFeedback(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &bot.Reply{Text: "No feedback items match."}, nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d feedback item(s), newest first:", len(items))
		for _, it := range items {
			fmt.Fprintf(&b, "\n#%d %s · %s · %d vote(s) · %s: %s", it.ID, it.AuthorName, statusLine(&it), it.Votes, it.Sentiment, bot.OneLine(itemText(it.Title, it.Text), 80))
		}
		return &bot.Reply{Text: b.String()}, nil
	case "show", "close":
		idText, reason, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
		if err != nil {
			return nil, bot.Errorf(bot.EInvalid, "Which item? Give its number: /liaison feedback %s 12", strings.ToLower(verb))
		}
		if strings.ToLower(verb) == "show" {
			return fb.show(ctx, id)
		}
		return fb.closeItem(ctx, id, strings.TrimSpace(reason), c.User)
	case "status":
		return fb.statusCommand(ctx, rest, c.User)
	case "merge":
		return fb.mergeCommand(ctx, rest, c.User)
	case "unmerge":
		return fb.unmergeCommand(ctx, rest, c.User)
	case "export":
		return fb.exportCommand(ctx, c, rest)
	case "reopen":
		id, err := parseItemID(rest, "reopen")
		if err != nil {
			return nil, err
		}
		var msg string
		err = fb.db.InTx(ctx, func(tx *store.Tx) error {
			it, err := tx.Feedback(ctx, id)
			if err != nil {
				return err
			}
			msg, err = fb.reopen(ctx, tx, it, fb.dir.Actor(c.User))
			return err
		})
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Text: msg}, nil
	}
	return nil, bot.Errorf(bot.EInvalid, "There is no /liaison feedback %s: use list, show N, close N [reason], status N planned|in-progress|shipped|declined [note], reopen N, merge N into M or unmerge N.", verb)
}

func (fb *Feedback) show(ctx context.Context, id int64) (*bot.Reply, error) {
	var it *store.FeedbackItem
	err := fb.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if it, err = tx.Feedback(ctx, id); err != nil {
			return err
		}
		relays, err := tx.Relays(ctx, id)
		if err != nil {
			return err
		}
		_, err = fb.sourceLink(ctx, tx, it, relays)
		return err
	})
	if err != nil {
		return nil, err
	}
	hist, err := fb.db.FeedbackHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Feedback #%d from %s", it.ID, it.AuthorName)
	if it.ChannelName != "" {
		fmt.Fprintf(&b, " in #%s", it.ChannelName)
	}
	fmt.Fprintf(&b, "\n%s\nStatus: %s · Votes: %d · Sentiment: %s", bot.OneLine(itemText(it.Title, it.Text), 300), statusLine(it), it.Votes, it.Sentiment)
	if len(it.Tags) > 0 {
		fmt.Fprintf(&b, " · Tags: %s", strings.Join(it.Tags, ", "))
	}
	if it.Permalink != "" {
		fmt.Fprintf(&b, "\n%s", it.Permalink)
	}
	fmt.Fprintf(&b, "\n%s %s", it.CreatedAt.In(fb.cfg.Location).Format("2006-01-02 15:04"), howMade(it))
	for _, h := range hist {
		fmt.Fprintf(&b, "\n%s %s %s", h.CreatedAt.In(fb.cfg.Location).Format("2006-01-02 15:04"), cmp.Or(h.Actor, "Liaison"), h.Action)
		if h.Detail != "" {
			b.WriteString(": " + h.Detail)
		}
	}
	return &bot.Reply{Text: b.String()}, nil
}

// howMade says how an item became feedback, for its history.
func howMade(it *store.FeedbackItem) string {
	where := ""
	if it.ChannelName != "" {
		where = " in #" + it.ChannelName
	}
	switch it.Intake {
	case "channel":
		return it.AuthorName + " posted it" + where
	case "flag":
		return cmp.Or(it.LoggedBy, "someone") + " flagged " + it.AuthorName + "'s message" + where
	case "command":
		return it.AuthorName + " sent it with /feedback"
	case "menu":
		return cmp.Or(it.LoggedBy, it.AuthorName) + " sent " + it.AuthorName + "'s message to product" + where
	case "staff":
		if it.Customer != "" {
			return cmp.Or(it.LoggedBy, it.AuthorName) + " logged it from Slack, heard from " + it.Customer
		}
		return cmp.Or(it.LoggedBy, it.AuthorName) + " logged it from Slack"
	}
	return it.AuthorName + " created it (" + it.Intake + ")"
}

func (fb *Feedback) closeItem(ctx context.Context, id int64, reason string, u bot.User) (*bot.Reply, error) {
	by := fb.dir.Actor(u)
	var already string
	err := fb.db.InTx(ctx, func(tx *store.Tx) error {
		it, err := tx.Feedback(ctx, id)
		if err != nil {
			return err
		}
		if store.FeedbackDone(it.Status) {
			already = statusLine(it)
			return nil
		}
		now := fb.clock.Now()
		it.Status, it.HandledBy, it.CloseReason, it.ClosedAt = store.FeedbackClosed, by, reason, &now
		if err := tx.SaveFeedback(ctx, now, it); err != nil {
			return err
		}
		if err := tx.LogFeedback(ctx, now, it.ID, by, "closed", reason); err != nil {
			return err
		}
		if err := fb.refreshRelays(ctx, tx, it); err != nil {
			return err
		}
		// Closed as fixed ("fixed in 2.4"), it is told as shipped.
		return fb.queueNotice(ctx, tx, it, it.Status, reason, u)
	})
	if err != nil {
		return nil, err
	}
	if already != "" {
		return &bot.Reply{Text: fmt.Sprintf("Feedback #%d is already %s.", id, already)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Feedback #%d is closed.", id)}, nil
}
