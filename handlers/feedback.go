package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/sentiment"
	"github.com/liaison-bot/liaison/bot/store"
)

// The feedback loop: what the community says becomes a tracked item, routed
// into Slack channels as a relay message that shows its current state and
// carries the buttons to act on it.

// relayQuoteMax bounds the quoted text on a relay: Slack allows 3000
// characters a section, and the rest stays one click away in Discord.
const relayQuoteMax = 2500

func (r *Router) registerFeedback() {
	r.events = append(r.events, r.feedbackEvent)
	r.commands["feedback"] = r.feedbackCommand
	r.commands[sendToProduct] = r.feedbackCommand
	r.commands[sendToProductShortcut] = r.feedbackCommand
	r.actions["feedback"] = r.feedbackAction
	r.forms["feedback"] = r.feedbackForm
	r.subcommands["feedback"] = &Subcommand{
		Name: "feedback", Usage: "list [open|mine|tag:X] | show N | close N [reason]",
		Summary: "the feedback items Liaison tracks: list them, see one, close one",
		Run:     r.feedbackSubcommand,
	}
	r.subcommands["route"] = &Subcommand{
		Name: "route", Usage: `test "<text>" [#channel] | replay 7d`,
		Summary: "which routes a text would match, or where the last days' items would have gone",
		Run:     r.routeSubcommand,
	}
	if r.Config.Feedback.Enabled {
		r.specs = append(r.specs,
			bot.CommandSpec{Name: "feedback", Description: "Send feedback to the team", Options: []bot.OptionSpec{
				{Name: "text", Description: "What would you like the team to know?", Type: "string", Required: true},
			}},
			bot.CommandSpec{Name: sendToProduct, MessageMenu: true},
		)
	}
}

// sendToProduct is the message context-menu command that flags a message;
// Slack's message shortcut of the same name arrives by its callback id.
const (
	sendToProduct         = "Send to product"
	sendToProductShortcut = "send_to_product"
)

func (r *Router) feedbackEvent(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	f := r.Config.Feedback
	if !f.Enabled {
		return nil
	}
	switch e := ev.(type) {
	case *bot.Message:
		if e.Author.Bot {
			return nil
		}
		if e.Edited {
			return r.feedbackEdited(ctx, tx, e)
		}
		if e.Platform == bot.PlatformDiscord && r.isStaff(e.Author) {
			return r.staffReplied(ctx, tx, e)
		}
		if e.Platform == bot.PlatformDiscord && slices.ContainsFunc(f.Channels, func(c config.ChannelRef) bool { return c.ID == e.ChannelID || c.ID == e.ThreadID }) {
			_, err := r.intake(ctx, tx, e, "channel", e.Author)
			return err
		}
	case *bot.MessageDeleted:
		return r.feedbackDeleted(ctx, tx, e)
	case *bot.Reaction:
		return r.feedbackReaction(ctx, tx, e)
	}
	return nil
}

// sourceKey identifies the item of a platform message.
func sourceKey(platform, channelID, messageID string) string {
	return platform + ":" + channelID + ":" + messageID
}

// intake turns m into a feedback item and relays it, once per source message.
// by is who made it feedback (the author, or whoever flagged it).
func (r *Router) intake(ctx context.Context, tx *store.Tx, m *bot.Message, how string, by bot.User) (*store.FeedbackItem, error) {
	return r.intakeFor(ctx, tx, m, how, by, "")
}

// intakeFor is intake for feedback staff log on a customer's behalf.
func (r *Router) intakeFor(ctx context.Context, tx *store.Tx, m *bot.Message, how string, by bot.User, customer string) (*store.FeedbackItem, error) {
	now := r.Clock.Now()
	score := sentiment.Analyze(m.Text)
	it := &store.FeedbackItem{
		SourceKey: sourceKey(m.Platform, m.ChannelID, m.ID), Source: m.Platform, Intake: how,
		ScopeID: m.ScopeID, ChannelID: m.ChannelID, ChannelName: m.ChannelName, MessageID: m.ID, Permalink: m.Permalink,
		AuthorID: m.Author.ID, AuthorName: r.actor(m.Author), Text: m.Text, Customer: customer,
		Sentiment: score.Label, SentimentScore: score.Compound, SentimentReasons: strings.Join(score.Reasons, ", "),
	}
	if it.ChannelName == "" {
		it.ChannelName = r.discordChannelName(m.ChannelID)
	}
	if by.ID != m.Author.ID || customer != "" {
		it.LoggedBy = r.actor(by)
	}
	routing := bot.Route(r.Config.Feedback.Rules(), r.Config.Feedback.DefaultDestinations(), bot.RouteInput{
		Text: it.Text, Platform: it.Source, ChannelID: it.ChannelID, Sentiment: it.Sentiment,
	})
	it.Tags = routing.Tags
	created, err := tx.CreateFeedback(ctx, now, it)
	if err != nil || !created {
		return it, err
	}
	// The item's own columns (created_at, intake, author, logged_by) are
	// the first line of its history: no event row is written for it.
	for _, d := range routing.To {
		if err := r.relay(ctx, tx, it, d); err != nil {
			return nil, err
		}
	}
	return it, nil
}

// relay enqueues the relay message of it to one destination.
func (r *Router) relay(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, d bot.Destination) error {
	ref, err := r.Config.ResolveChannel(d.To)
	if err != nil {
		return fmt.Errorf("relay feedback %d: %w", it.ID, err)
	}
	key := fmt.Sprintf("relay:%d:%s", it.ID, d.To)
	post := r.relayPost(it, ref.ID, d.Rule)
	if _, err := tx.Enqueue(ctx, r.Clock.Now(), &bot.OutboxMessage{Key: key, Platform: ref.Platform, Kind: bot.KindPost, Payload: mustJSON(post)}); err != nil {
		return err
	}
	return tx.AddRelay(ctx, it.ID, d.To, d.Rule, key)
}

// refreshRelays enqueues an edit of every relay of it, so each channel shows
// its current state. Edits of one relay are chained: each waits for the one
// before, so they land in order.
func (r *Router) refreshRelays(ctx context.Context, tx *store.Tx, it *store.FeedbackItem) error {
	relays, err := tx.Relays(ctx, it.ID)
	if err != nil {
		return err
	}
	for _, rl := range relays {
		ref, err := r.Config.ResolveChannel(rl.Destination)
		if err != nil {
			continue // the channel left the config; its relay stays as it was
		}
		post := r.relayPost(it, ref.ID, rl.Route)
		// Edits are numbered: the event that causes one is handled once, so
		// the next number is this edit's stable identity.
		prefix := rl.OutboxKey + ":edit:"
		last, err := tx.LastOutboxKey(ctx, prefix)
		if err != nil {
			return err
		}
		n := 1
		if last != "" {
			prev, _ := strconv.Atoi(strings.TrimPrefix(last, prefix))
			n = prev + 1
		}
		m := &bot.OutboxMessage{Key: prefix + strconv.Itoa(n), Platform: ref.Platform, Kind: bot.KindUpdate,
			Payload: mustJSON(post), ParentKey: cmpOr(last, rl.OutboxKey)}
		if _, err := tx.Enqueue(ctx, r.Clock.Now(), m); err != nil {
			return err
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// relayPost renders an item as the message that shows it in a channel.
func (r *Router) relayPost(it *store.FeedbackItem, channelID, rule string) bot.Post {
	where := it.ChannelName
	if where != "" {
		where = " in #" + where
	}
	title := fmt.Sprintf("Feedback #%d from %s%s", it.ID, it.AuthorName, where)
	if it.Customer != "" {
		title = fmt.Sprintf("Feedback #%d from %s (logged by %s)", it.ID, it.Customer, it.LoggedBy)
	}
	quote := it.Text
	if len(quote) > relayQuoteMax {
		quote = truncate(quote, relayQuoteMax) + " … (truncated: the whole message is in Discord)"
	}
	p := bot.Post{ChannelID: channelID, Title: title, Quote: quote}
	sent := it.Sentiment
	if it.SentimentReasons != "" {
		sent += ": " + it.SentimentReasons
	}
	p.Fields = append(p.Fields, bot.Field{Name: "Sentiment", Value: sent})
	if len(it.Tags) > 0 {
		p.Fields = append(p.Fields, bot.Field{Name: "Tags", Value: strings.Join(it.Tags, ", ")})
	}
	p.Fields = append(p.Fields, bot.Field{Name: "Votes", Value: strconv.Itoa(it.Votes)}, bot.Field{Name: "Status", Value: statusLine(it)})
	if it.Permalink != "" {
		p.Link = &bot.Link{URL: it.Permalink, Label: "Open in Discord"}
	}
	var ctxt []string
	if it.LoggedBy != "" && it.Customer == "" {
		ctxt = append(ctxt, "flagged by "+it.LoggedBy)
	}
	if rule != "" && rule != bot.DefaultRule {
		ctxt = append(ctxt, "routed by "+rule)
	}
	if it.Edited {
		ctxt = append(ctxt, "edited")
	}
	if it.Deleted {
		ctxt = append(ctxt, "the original message was deleted")
	}
	p.Context = strings.Join(ctxt, " · ")
	if it.Status != store.FeedbackClosed {
		id := strconv.FormatInt(it.ID, 10)
		if it.Status == store.FeedbackOpen {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: "feedback.ack", Label: "Acknowledge", Value: id, Style: "primary"})
		}
		p.Buttons = append(p.Buttons,
			bot.Button{ActionID: "feedback.tag", Label: "Tag", Value: id},
			bot.Button{ActionID: "feedback.draft", Label: "Draft reply", Value: id},
			bot.Button{ActionID: "feedback.close", Label: "Close", Value: id})
		// The team can act on a Discord author from the relay (warn,
		// timeout, delete) when moderation is set up.
		if it.Source == bot.PlatformDiscord && r.Config.Moderation.Enabled && !it.Deleted {
			p.Buttons = append(p.Buttons, ModerateButton(it.ID))
		}
	}
	return p
}

func statusLine(it *store.FeedbackItem) string {
	var s string
	switch it.Status {
	case store.FeedbackAcknowledged:
		s = "acknowledged by " + it.HandledBy
	case store.FeedbackAnswered:
		s = "answered"
	case store.FeedbackClosed:
		s = "closed by " + it.HandledBy
		if it.CloseReason != "" {
			s += ": " + it.CloseReason
		}
		return s
	default:
		s = "open"
	}
	if it.Owner != "" {
		s += ", claimed by " + it.Owner
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func (r *Router) feedbackEdited(ctx context.Context, tx *store.Tx, m *bot.Message) error {
	it, err := tx.FeedbackBySource(ctx, sourceKey(m.Platform, m.ChannelID, m.ID))
	if bot.ErrorCode(err) == bot.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	if it.Text == m.Text {
		return nil
	}
	score := sentiment.Analyze(m.Text)
	it.Text, it.Edited = m.Text, true
	it.Sentiment, it.SentimentScore, it.SentimentReasons = score.Label, score.Compound, strings.Join(score.Reasons, ", ")
	now := r.Clock.Now()
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return err
	}
	if err := tx.LogFeedback(ctx, now, it.ID, m.Author.Label(), "edited", ""); err != nil {
		return err
	}
	return r.refreshRelays(ctx, tx, it)
}

func (r *Router) feedbackDeleted(ctx context.Context, tx *store.Tx, d *bot.MessageDeleted) error {
	it, err := tx.FeedbackBySource(ctx, sourceKey(d.Platform, d.ChannelID, d.ID))
	if bot.ErrorCode(err) == bot.ENotFound {
		return nil
	} else if err != nil || it.Deleted {
		return err
	}
	it.Deleted = true
	now := r.Clock.Now()
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return err
	}
	if err := tx.LogFeedback(ctx, now, it.ID, "", "source deleted", ""); err != nil {
		return err
	}
	return r.refreshRelays(ctx, tx, it)
}

// staffReplied marks the item m answers as answered: a reply to its source
// message, or a message in its thread.
func (r *Router) staffReplied(ctx context.Context, tx *store.Tx, m *bot.Message) error {
	var keys []string
	if m.ReplyTo != "" {
		keys = append(keys, sourceKey(m.Platform, m.ChannelID, m.ReplyTo))
	}
	if m.ThreadID != "" {
		// A Discord thread started from a message has the message's id.
		keys = append(keys, sourceKey(m.Platform, m.ChannelID, m.ThreadID))
		keys = append(keys, sourceKey(m.Platform, m.ThreadID, m.ThreadID))
	}
	for _, k := range keys {
		it, err := tx.FeedbackBySource(ctx, k)
		if bot.ErrorCode(err) == bot.ENotFound {
			continue
		} else if err != nil {
			return err
		}
		return r.markAnswered(ctx, tx, it, r.actor(m.Author))
	}
	return nil
}

// markAnswered records the first response; later answers change nothing.
func (r *Router) markAnswered(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, by string) error {
	if it.FirstResponseAt != nil {
		return nil
	}
	now := r.Clock.Now()
	it.FirstResponseAt = &now
	if it.Status == store.FeedbackOpen || it.Status == store.FeedbackAcknowledged {
		it.Status = store.FeedbackAnswered
	}
	if it.HandledBy == "" {
		it.HandledBy = by
	}
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return err
	}
	if err := tx.LogFeedback(ctx, now, it.ID, by, "answered", ""); err != nil {
		return err
	}
	return r.refreshRelays(ctx, tx, it)
}

// feedbackReaction handles the flag emoji (make a message feedback) and the
// vote emoji (on the source message or a relay).
func (r *Router) feedbackReaction(ctx context.Context, tx *store.Tx, e *bot.Reaction) error {
	f := r.Config.Feedback
	if e.User.Bot {
		return nil
	}
	voter := e.User.Platform + ":" + e.User.ID
	if p := r.person(e.User); p != "" {
		voter = "person:" + p
	}
	switch {
	case e.Platform == bot.PlatformDiscord && bot.SameEmoji(e.Emoji, f.FlagEmoji) && !e.Removed:
		if r.Discord == nil {
			return nil
		}
		m, err := r.Discord.Message(ctx, e.ChannelID, e.MessageID)
		if err != nil {
			return fmt.Errorf("read flagged message %s: %w", e.MessageID, err)
		}
		_, err = r.intake(ctx, tx, m, "flag", e.User)
		return err
	case bot.SameEmoji(e.Emoji, f.VoteEmoji):
		var it *store.FeedbackItem
		var err error
		if e.Platform == bot.PlatformDiscord {
			it, err = tx.FeedbackBySource(ctx, sourceKey(e.Platform, e.ChannelID, e.MessageID))
		} else {
			it, err = reactedTo(ctx, r, tx, e, func() (*store.FeedbackItem, error) { return tx.FeedbackByRelay(ctx, e.ChannelID, e.MessageID) })
		}
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		var changed bool
		if e.Removed {
			changed, err = tx.RemoveVote(ctx, r.Clock.Now(), it.ID, voter)
		} else {
			changed, err = tx.AddVote(ctx, r.Clock.Now(), it.ID, voter)
		}
		if err != nil || !changed {
			return err
		}
		it, err = tx.Feedback(ctx, it.ID)
		if err != nil {
			return err
		}
		return r.refreshRelays(ctx, tx, it)
	}
	return nil
}

// feedbackCommand handles /feedback (Discord and Slack) and the Send to
// product menu.
func (r *Router) feedbackCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	if !r.Config.Feedback.Enabled {
		return nil, bot.Errorf(bot.EInvalid, "Feedback is not set up here yet: ask an admin to add a feedback: section to liaison.yaml.")
	}
	var m *bot.Message
	how := "command"
	switch {
	case c.Target != nil:
		m, how = c.Target, "menu"
		if m.Author.Bot {
			return nil, bot.Errorf(bot.EInvalid, "That message comes from a bot; only what people say can be sent as feedback.")
		}
	case c.Platform == bot.PlatformSlack:
		text := strings.TrimSpace(c.Text)
		customer := ""
		if i := strings.LastIndex(text, " from "); i >= 0 {
			text, customer = strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+len(" from "):])
		}
		if text == "" {
			return nil, bot.Errorf(bot.EInvalid, "Write the feedback after the command: /feedback the export is too slow from Acme (call with Jane)")
		}
		if !r.isStaff(c.User) {
			return nil, bot.Errorf(bot.EForbidden, "Only staff listed in liaison.yaml's people: can log feedback from Slack.")
		}
		m = &bot.Message{Place: c.Place, ID: firstKey(c.Delivery), Author: c.User, Text: text}
		return r.logStaffFeedback(ctx, m, customer, c.User)
	default:
		text := strings.TrimSpace(cmpOr(c.Option("text"), c.Text))
		if text == "" {
			return nil, bot.Errorf(bot.EInvalid, "Write your feedback after /feedback, for example: /feedback the export button crashes on big files")
		}
		m = &bot.Message{Place: c.Place, ID: firstKey(c.Delivery), Author: c.User, Text: text}
	}
	var it *store.FeedbackItem
	err := r.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		it, err = r.intake(ctx, tx, m, how, c.User)
		return err
	})
	if err != nil {
		return nil, err
	}
	if how == "menu" {
		return &bot.Reply{Text: fmt.Sprintf("Sent to the team as feedback #%d. Thanks!", it.ID)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Thanks! The team has your feedback (#%d).", it.ID)}, nil
}

func firstKey(d bot.Delivery) string {
	if len(d.Keys) > 0 {
		return d.Keys[0].Key
	}
	return ""
}

func (r *Router) logStaffFeedback(ctx context.Context, m *bot.Message, customer string, by bot.User) (*bot.Reply, error) {
	var it *store.FeedbackItem
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		it, err = r.intakeFor(ctx, tx, m, "staff", by, customer)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Logged as feedback #%d.", it.ID)}, nil
}

// feedbackAction handles the relay's buttons.
func (r *Router) feedbackAction(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was changed.")
	}
	by := r.actor(a.User)
	switch a.ActionID {
	case "feedback.draft":
		return r.openDraftModal(ctx, id, a.User)
	case "feedback.tag":
		return &bot.Reply{Modal: &bot.Modal{CallbackID: "feedback.tag", Title: "Tag feedback", Submit: "Save", Meta: a.Value,
			Fields: []bot.ModalField{{ID: "tags", Label: "Tags, separated by commas"}}}}, nil
	case "feedback.ack", "feedback.close", "feedback.claim":
		var msg string
		err := r.DB.InTx(ctx, func(tx *store.Tx) error {
			it, err := tx.Feedback(ctx, id)
			if err != nil {
				return err
			}
			now := r.Clock.Now()
			switch a.ActionID {
			case "feedback.ack":
				if it.Status != store.FeedbackOpen {
					msg = fmt.Sprintf("Feedback #%d is already %s.", it.ID, statusLine(it))
					return nil
				}
				it.Status, it.HandledBy = store.FeedbackAcknowledged, by
				msg = fmt.Sprintf("You acknowledged feedback #%d.", it.ID)
			case "feedback.close":
				if it.Status == store.FeedbackClosed {
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
			return r.refreshRelays(ctx, tx, it)
		})
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Text: msg}, nil
	}
	return nil, bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was changed.")
}

// feedbackForm handles the Tag modal.
func (r *Router) feedbackForm(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
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
	err = r.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		if it, err = tx.Feedback(ctx, id); err != nil {
			return err
		}
		it.Tags = tags
		now := r.Clock.Now()
		if err := tx.SaveFeedback(ctx, now, it); err != nil {
			return err
		}
		if err := tx.LogFeedback(ctx, now, it.ID, r.actor(s.User), "tagged", strings.Join(tags, ", ")); err != nil {
			return err
		}
		return r.refreshRelays(ctx, tx, it)
	})
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return &bot.Reply{Text: fmt.Sprintf("Feedback #%d has no tags now.", it.ID)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Feedback #%d is tagged %s.", it.ID, strings.Join(tags, ", "))}, nil
}

// feedbackSubcommand is /liaison feedback list|show|close.
func (r *Router) feedbackSubcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "", "list":
		f := store.FeedbackFilter{Statuses: []string{store.FeedbackOpen, store.FeedbackAcknowledged}}
		switch {
		case rest == "" || rest == "open":
		case rest == "mine":
			f = store.FeedbackFilter{Person: r.actor(c.User)}
		case strings.HasPrefix(rest, "tag:"):
			f = store.FeedbackFilter{Tag: strings.TrimPrefix(rest, "tag:")}
		case rest == "all":
			f = store.FeedbackFilter{}
		default:
			return nil, bot.Errorf(bot.EInvalid, "List what? Use /liaison feedback list open, list mine, list all or list tag:bug.")
		}
		items, err := r.DB.ListFeedback(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &bot.Reply{Text: "No feedback items match."}, nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d feedback item(s), newest first:", len(items))
		for _, it := range items {
			fmt.Fprintf(&b, "\n#%d %s · %s · %d vote(s) · %s: %s", it.ID, it.AuthorName, statusLine(&it), it.Votes, it.Sentiment, oneLine(it.Text, 80))
		}
		return &bot.Reply{Text: b.String()}, nil
	case "show", "close":
		idText, reason, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
		if err != nil {
			return nil, bot.Errorf(bot.EInvalid, "Which item? Give its number: /liaison feedback %s 12", strings.ToLower(verb))
		}
		if strings.ToLower(verb) == "show" {
			return r.showFeedback(ctx, id)
		}
		return r.closeFeedback(ctx, id, strings.TrimSpace(reason), c.User)
	}
	return nil, bot.Errorf(bot.EInvalid, "There is no /liaison feedback %s: use list, show N or close N [reason].", verb)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return truncate(s, n) + "…"
	}
	return s
}

func (r *Router) showFeedback(ctx context.Context, id int64) (*bot.Reply, error) {
	it, err := r.DB.Feedback(ctx, id)
	if err != nil {
		return nil, err
	}
	hist, err := r.DB.FeedbackHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Feedback #%d from %s", it.ID, it.AuthorName)
	if it.ChannelName != "" {
		fmt.Fprintf(&b, " in #%s", it.ChannelName)
	}
	fmt.Fprintf(&b, "\n%s\nStatus: %s · Votes: %d · Sentiment: %s", oneLine(it.Text, 300), statusLine(it), it.Votes, it.Sentiment)
	if len(it.Tags) > 0 {
		fmt.Fprintf(&b, " · Tags: %s", strings.Join(it.Tags, ", "))
	}
	if it.Permalink != "" {
		fmt.Fprintf(&b, "\n%s", it.Permalink)
	}
	fmt.Fprintf(&b, "\n%s %s", it.CreatedAt.In(r.Config.Location).Format("2006-01-02 15:04"), howMade(it))
	for _, h := range hist {
		fmt.Fprintf(&b, "\n%s %s %s", h.CreatedAt.In(r.Config.Location).Format("2006-01-02 15:04"), cmpOr(h.Actor, "Liaison"), h.Action)
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
		return cmpOr(it.LoggedBy, "someone") + " flagged " + it.AuthorName + "'s message" + where
	case "command":
		return it.AuthorName + " sent it with /feedback"
	case "menu":
		return cmpOr(it.LoggedBy, it.AuthorName) + " sent " + it.AuthorName + "'s message to product" + where
	case "staff":
		if it.Customer != "" {
			return cmpOr(it.LoggedBy, it.AuthorName) + " logged it from Slack, heard from " + it.Customer
		}
		return cmpOr(it.LoggedBy, it.AuthorName) + " logged it from Slack"
	}
	return it.AuthorName + " created it (" + it.Intake + ")"
}

func (r *Router) closeFeedback(ctx context.Context, id int64, reason string, u bot.User) (*bot.Reply, error) {
	by := r.actor(u)
	var already string
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		it, err := tx.Feedback(ctx, id)
		if err != nil {
			return err
		}
		if it.Status == store.FeedbackClosed {
			already = statusLine(it)
			return nil
		}
		now := r.Clock.Now()
		it.Status, it.HandledBy, it.CloseReason, it.ClosedAt = store.FeedbackClosed, by, reason, &now
		if err := tx.SaveFeedback(ctx, now, it); err != nil {
			return err
		}
		if err := tx.LogFeedback(ctx, now, it.ID, by, "closed", reason); err != nil {
			return err
		}
		return r.refreshRelays(ctx, tx, it)
	})
	if err != nil {
		return nil, err
	}
	if already != "" {
		return &bot.Reply{Text: fmt.Sprintf("Feedback #%d is already %s.", id, already)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Feedback #%d is closed.", id)}, nil
}

// routeSubcommand is /liaison route test "<text>" [#channel] and
// /liaison route replay <duration>.
func (r *Router) routeSubcommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	f := r.Config.Feedback
	switch strings.ToLower(verb) {
	case "test":
		text, channel := rest, ""
		if strings.HasPrefix(text, `"`) {
			if end := strings.LastIndex(text, `"`); end > 0 {
				text, channel = text[1:end], strings.TrimSpace(text[end+1:])
			}
		}
		if text == "" {
			return nil, bot.Errorf(bot.EInvalid, `Give a text to test: /liaison route test "the app crashes" #feedback`)
		}
		in := bot.RouteInput{Text: text, Platform: bot.PlatformDiscord, Sentiment: sentiment.Analyze(text).Label}
		if channel != "" {
			ref, err := r.Config.ResolveChannel("discord:" + strings.TrimPrefix(channel, "#"))
			if err != nil {
				return nil, err
			}
			in.ChannelID = ref.ID
		}
		routing := bot.Route(f.Rules(), f.DefaultDestinations(), in)
		var b strings.Builder
		fmt.Fprintf(&b, "Sentiment: %s", sentiment.Analyze(text).Explain())
		if len(routing.Matches) == 0 {
			b.WriteString("\nNo route matches.")
		}
		for _, m := range routing.Matches {
			fmt.Fprintf(&b, "\nRoute %s matches: %s", m.Rule, m.Why)
		}
		var to []string
		for _, d := range routing.To {
			to = append(to, fmt.Sprintf("%s (%s)", d.To, d.Rule))
		}
		fmt.Fprintf(&b, "\nIt would go to: %s", cmpOr(strings.Join(to, ", "), "nowhere"))
		if len(routing.Tags) > 0 {
			fmt.Fprintf(&b, "\nTags: %s", strings.Join(routing.Tags, ", "))
		}
		return &bot.Reply{Text: b.String()}, nil
	case "replay":
		d, err := bot.ParseDuration(cmpOr(rest, "7d"))
		if err != nil {
			return nil, err
		}
		items, err := r.DB.ListFeedback(ctx, store.FeedbackFilter{Since: r.Clock.Now().Add(-d), Limit: 10000})
		if err != nil {
			return nil, err
		}
		counts := map[string]int{}
		var order []string
		for _, it := range items {
			routing := bot.Route(f.Rules(), f.DefaultDestinations(), bot.RouteInput{Text: it.Text, Platform: it.Source, ChannelID: it.ChannelID, Sentiment: it.Sentiment})
			for _, dst := range routing.To {
				k := dst.Rule + " → " + dst.To
				if counts[k] == 0 {
					order = append(order, k)
				}
				counts[k]++
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "With today's routes, the %d item(s) of the last %s would go:", len(items), bot.FormatDuration(d))
		if len(order) == 0 {
			b.WriteString(" nowhere (no items).")
		}
		slices.Sort(order)
		for _, k := range order {
			fmt.Fprintf(&b, "\n%s: %d", k, counts[k])
		}
		b.WriteString("\nNothing was posted.")
		return &bot.Reply{Text: b.String()}, nil
	}
	return nil, bot.Errorf(bot.EInvalid, `Use /liaison route test "<text>" [#channel] or /liaison route replay 7d.`)
}
