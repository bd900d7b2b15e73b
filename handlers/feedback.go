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
	"github.com/liaison-bot/liaison/bot/sentiment"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers/moderation"
	"github.com/liaison-bot/liaison/jobs"
)

// Feedback is the feedback loop: what the community says becomes a tracked
// item, routed into Slack channels as a relay message that shows its
// current state and carries the buttons to act on it; votes and edits keep
// the relays current, a staff answer marks the item answered, and the SLA
// job reminds the team of items left waiting. It owns the feedback items:
// the other capabilities read and change them only through its exported
// methods (Item, ItemOfDiscordMessage, LogDraft, MarkAnswered).
type Feedback struct {
	db    *store.DB
	cfg   *config.Config
	clock bot.Clock
	dir   directory
	// Attached late (Capabilities.Attach); nil when the platform is off.
	discord messageReader // reads a flagged message back
	slack   ownMessages   // finds the relay a vote is on before its send is recorded
}

func newFeedback(db *store.DB, cfg *config.Config, clock bot.Clock, dir directory) *Feedback {
	return &Feedback{db: db, cfg: cfg, clock: clock, dir: dir}
}

func (fb *Feedback) attach(discord messageReader, slack ownMessages) {
	fb.discord, fb.slack = discord, slack
}

// relayQuoteMax bounds the quoted text on a relay: Slack allows 3000
// characters a section, and the rest stays one click away in Discord.
const relayQuoteMax = 2500

// Register declares what feedback answers: messages, reactions, edits and
// deletions; /feedback and the Send to product menu; the relay's buttons
// (but Draft reply, which approvals answers) and its Tag form; /liaison
// feedback and /liaison route; and the SLA reminders, every minute.
//
// The community's ways in are everyone's: a message in a feedback channel,
// Discord's /feedback, the Send to product menu and shortcut, a 📣 flag and
// a 👍 vote. Logging feedback from Slack and everything that handles an
// item (the relay's buttons and form, /liaison feedback, /liaison route)
// need the action each declares.
func (fb *Feedback) Register(r *Router) {
	r.OnEvent(fb.event)
	r.OnCommand("feedback", "", fb.command)
	r.OnCommand(bot.PlatformSlack+":feedback", "feedback.log", fb.logCommand)
	r.OnCommand(sendToProduct, "", fb.command)
	r.OnCommand(sendToProductShortcut, "", fb.command)
	r.OnAction("feedback.ack", "feedback.acknowledge", fb.action)
	r.OnAction("feedback.tag", "feedback.tag", fb.action)
	r.OnAction("feedback.claim", "feedback.claim", fb.action)
	r.OnAction("feedback.close", "feedback.close", fb.action)
	r.OnForm("feedback.tag", "feedback.tag", fb.form)
	r.OnSubcommand("feedback", "list [open|mine|tag:X] | show N | close N [reason]",
		"the feedback items Liaison tracks: list them, see one, close one",
		bot.Needs{Action: "feedback.view", Verbs: map[string]string{"close": "feedback.close"}}, fb.subcommand)
	r.OnSubcommand("route", `test "<text>" [#channel] | replay 7d`,
		"which routes a text would match, or where the last days' items would have gone",
		bot.Needs{Verbs: map[string]string{"test": "route.test", "replay": "route.replay"}}, fb.routeSubcommand)
	if fb.cfg.Feedback.Enabled {
		r.AddDiscordCommand(bot.CommandSpec{Name: "feedback", Description: "Send feedback to the team", Options: []bot.OptionSpec{
			{Name: "text", Description: "What would you like the team to know?", Type: "string", Required: true},
		}})
		r.AddDiscordCommand(bot.CommandSpec{Name: sendToProduct, MessageMenu: true})
	}
	r.AddJob(jobs.Job{Name: "sla-reminders", Every: time.Minute, Run: fb.RemindOverdue})
}

// What the other capabilities may ask of feedback.

// Item returns feedback item id.
func (fb *Feedback) Item(ctx context.Context, id int64) (*store.FeedbackItem, error) {
	return fb.db.Feedback(ctx, id)
}

// ItemOfDiscordMessage returns, in tx, the item the Discord message
// (channelID, messageID) became, or a bot.ENotFound error.
// channelID is where the message lives: a thread's own channel for a
// message in a thread or forum post.
func (fb *Feedback) ItemOfDiscordMessage(ctx context.Context, tx *store.Tx, channelID, messageID string) (*store.FeedbackItem, error) {
	it, err := tx.FeedbackBySource(ctx, sourceKey(bot.PlatformDiscord, channelID, messageID))
	if bot.ErrorCode(err) == bot.ENotFound {
		return tx.FeedbackByThreadMessage(ctx, channelID, messageID)
	}
	return it, err
}

// LogDraft writes in item id's history, in tx, that by drafted a reply to
// it (draft draftID).
func (fb *Feedback) LogDraft(ctx context.Context, tx *store.Tx, id int64, by string, draftID int64) error {
	return tx.LogFeedback(ctx, fb.clock.Now(), id, by, "drafted a reply", fmt.Sprintf("draft #%d", draftID))
}

// MarkAnswered records, in tx, that by answered item id (a reply was
// published for it), and shows it on its relays. Only the first answer
// counts; later ones change nothing.
func (fb *Feedback) MarkAnswered(ctx context.Context, tx *store.Tx, id int64, by string) error {
	it, err := tx.Feedback(ctx, id)
	if err != nil {
		return err
	}
	return fb.markAnswered(ctx, tx, it, by)
}

// draftReplyAction is the ActionID of a relay's Draft reply button. The
// relay carries it, but approvals answers it (Approvals.Register): it opens
// the form to draft a reply to the item.
const draftReplyAction = "feedback.draft"

// sendToProduct is the message context-menu command that flags a message;
// Slack's message shortcut of the same name arrives by its callback id.
const (
	sendToProduct         = "Send to product"
	sendToProductShortcut = "send_to_product"
)

func (fb *Feedback) event(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	f := fb.cfg.Feedback
	if !f.Enabled {
		return nil
	}
	switch e := ev.(type) {
	case *bot.Message:
		if e.Author.Bot {
			return nil
		}
		if e.Edited {
			return fb.edited(ctx, tx, e)
		}
		if e.Platform == bot.PlatformDiscord && fb.dir.IsStaff(e.Author) {
			return fb.staffReplied(ctx, tx, e)
		}
		if e.Platform == bot.PlatformDiscord && fb.watched(e) {
			_, err := fb.intake(ctx, tx, e, "channel", e.Author)
			return err
		}
	case *bot.MessageDeleted:
		return fb.deleted(ctx, tx, e)
	case *bot.Reaction:
		return fb.reaction(ctx, tx, e)
	}
	return nil
}

// watched says whether Discord message m is feedback by where it was
// posted: a message in a watched channel, or in a thread watched by its
// own id. In a thread or forum post under a watched channel only the
// opening message is (a forum post's, whose id is the thread's): the
// replies are its discussion, feedback only when someone flags them.
func (fb *Feedback) watched(m *bot.Message) bool {
	is := func(id string) bool {
		return id != "" && slices.ContainsFunc(fb.cfg.Feedback.Channels, func(c config.ChannelRef) bool { return c.ID == id })
	}
	if m.ThreadID != "" {
		return is(m.ThreadID) || (m.ID == m.ThreadID && is(m.ChannelID))
	}
	return is(m.ChannelID)
}

// sourceKey identifies the item of a platform message.
func sourceKey(platform, channelID, messageID string) string {
	return platform + ":" + channelID + ":" + messageID
}

// intake turns m into a feedback item and relays it, once per source message.
// by is who made it feedback (the author, or whoever flagged it).
func (fb *Feedback) intake(ctx context.Context, tx *store.Tx, m *bot.Message, how string, by bot.User) (*store.FeedbackItem, error) {
	return fb.intakeFor(ctx, tx, m, how, by, "")
}

// intakeFor is intake for feedback staff log on a customer's behalf.
func (fb *Feedback) intakeFor(ctx context.Context, tx *store.Tx, m *bot.Message, how string, by bot.User, customer string) (*store.FeedbackItem, error) {
	now := fb.clock.Now()
	score := sentiment.Analyze(itemText(m.Title, m.Text))
	it := &store.FeedbackItem{
		SourceKey: sourceKey(m.Platform, m.ChannelID, m.ID), Source: m.Platform, Intake: how,
		ScopeID: m.ScopeID, ChannelID: m.ChannelID, ChannelName: m.ChannelName, MessageID: m.ID, Permalink: m.Permalink,
		ThreadID: m.ThreadID, ThreadName: m.ThreadName, Title: m.Title,
		AuthorID: m.Author.ID, AuthorName: fb.dir.Actor(m.Author), Text: m.Text, Customer: customer,
		Sentiment: score.Label, SentimentScore: score.Compound, SentimentReasons: strings.Join(score.Reasons, ", "),
	}
	if it.ChannelName == "" {
		it.ChannelName = fb.dir.ChannelName(m.ChannelID)
	}
	if m.Platform != bot.PlatformDiscord {
		it.ThreadID, it.ThreadName, it.Title = "", "", "" // a Slack thread is a message's, not a place
	}
	if by.ID != m.Author.ID || customer != "" {
		it.LoggedBy = fb.dir.Actor(by)
	}
	routing := bot.Route(fb.cfg.Feedback.Rules(), fb.cfg.Feedback.DefaultDestinations(), bot.RouteInput{
		Text: itemText(it.Title, it.Text), Platform: it.Source, ChannelID: it.ChannelID, Sentiment: it.Sentiment,
	})
	it.Tags = routing.Tags
	created, err := tx.CreateFeedback(ctx, now, it)
	if err != nil || !created {
		return it, err
	}
	// The item's own columns (created_at, intake, author, logged_by) are
	// the first line of its history: no event row is written for it.
	var relays []store.RelayOut
	for _, d := range routing.To {
		r, err := fb.relay(it, d)
		if err != nil {
			return nil, err
		}
		relays = append(relays, r)
	}
	if err := tx.EnqueueRelays(ctx, now, it.ID, relays); err != nil {
		return nil, err
	}
	return it, nil
}

// itemText is what an item says: a forum post's title and text as one, a
// message's text alone.
func itemText(title, text string) string {
	if title == "" {
		return text
	}
	if text == "" {
		return title
	}
	return title + "\n" + text
}

// relay is the relay of it to one destination: its outbox message, to be
// enqueued with the relay's record.
func (fb *Feedback) relay(it *store.FeedbackItem, d bot.Destination) (store.RelayOut, error) {
	ref, err := fb.cfg.ResolveChannel(d.To)
	if err != nil {
		return store.RelayOut{}, fmt.Errorf("relay feedback %d: %w", it.ID, err)
	}
	key := fmt.Sprintf("relay:%d:%s", it.ID, d.To)
	post := fb.relayPost(it, ref.ID, d.Rule)
	return store.RelayOut{Destination: d.To, Route: d.Rule,
		Message: &bot.OutboxMessage{Key: key, Platform: ref.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)}}, nil
}

// refreshRelays enqueues an edit of every relay of it, so each channel shows
// its current state. Edits of one relay are chained: each waits for the one
// before, so they land in order.
func (fb *Feedback) refreshRelays(ctx context.Context, tx *store.Tx, it *store.FeedbackItem) error {
	relays, err := tx.Relays(ctx, it.ID)
	if err != nil {
		return err
	}
	for _, rl := range relays {
		ref, err := fb.cfg.ResolveChannel(rl.Destination)
		if err != nil {
			continue // the channel left the config; its relay stays as it was
		}
		post := fb.relayPost(it, ref.ID, rl.Route)
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
			Payload: bot.Payload(post), ParentKey: cmp.Or(last, rl.OutboxKey)}
		if _, err := tx.Enqueue(ctx, fb.clock.Now(), m); err != nil {
			return err
		}
	}
	return nil
}

// relayPost renders an item as the message that shows it in a channel.
func (fb *Feedback) relayPost(it *store.FeedbackItem, channelID, rule string) bot.Post {
	where := it.ChannelName
	if where != "" {
		where = " in #" + where
		if it.ThreadName != "" {
			where += " › " + bot.OneLine(it.ThreadName, 100)
		}
	}
	title := fmt.Sprintf("Feedback #%d from %s%s", it.ID, it.AuthorName, where)
	if it.Customer != "" {
		title = fmt.Sprintf("Feedback #%d from %s (logged by %s)", it.ID, it.Customer, it.LoggedBy)
	}
	quote := itemText(it.Title, it.Text)
	if len(quote) > relayQuoteMax {
		quote = bot.Truncate(quote, relayQuoteMax) + " … (truncated: the whole message is in Discord)"
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
			bot.Button{ActionID: draftReplyAction, Label: "Draft reply", Value: id},
			bot.Button{ActionID: "feedback.close", Label: "Close", Value: id})
		// The team can act on a Discord author from the relay (warn,
		// timeout, delete) when moderation is set up.
		if it.Source == bot.PlatformDiscord && fb.cfg.Moderation.Enabled && !it.Deleted {
			p.Buttons = append(p.Buttons, moderation.ModerateButton(it.ID))
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

func (fb *Feedback) edited(ctx context.Context, tx *store.Tx, m *bot.Message) error {
	it, err := tx.FeedbackBySource(ctx, sourceKey(m.Platform, m.ChannelID, m.ID))
	if bot.ErrorCode(err) == bot.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	if it.Text == m.Text {
		return nil
	}
	score := sentiment.Analyze(itemText(it.Title, m.Text))
	it.Text, it.Edited = m.Text, true
	it.Sentiment, it.SentimentScore, it.SentimentReasons = score.Label, score.Compound, strings.Join(score.Reasons, ", ")
	now := fb.clock.Now()
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return err
	}
	if err := tx.LogFeedback(ctx, now, it.ID, m.Author.Label(), "edited", ""); err != nil {
		return err
	}
	return fb.refreshRelays(ctx, tx, it)
}

func (fb *Feedback) deleted(ctx context.Context, tx *store.Tx, d *bot.MessageDeleted) error {
	it, err := tx.FeedbackBySource(ctx, sourceKey(d.Platform, d.ChannelID, d.ID))
	if bot.ErrorCode(err) == bot.ENotFound {
		return nil
	} else if err != nil || it.Deleted {
		return err
	}
	it.Deleted = true
	now := fb.clock.Now()
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return err
	}
	if err := tx.LogFeedback(ctx, now, it.ID, "", "source deleted", ""); err != nil {
		return err
	}
	return fb.refreshRelays(ctx, tx, it)
}

// staffReplied marks the item m answers as answered: a reply to its source
// message, or a message in its thread.
func (fb *Feedback) staffReplied(ctx context.Context, tx *store.Tx, m *bot.Message) error {
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
		return fb.markAnswered(ctx, tx, it, fb.dir.Actor(m.Author))
	}
	return nil
}

// markAnswered records the first response; later answers change nothing.
func (fb *Feedback) markAnswered(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, by string) error {
	if it.FirstResponseAt != nil {
		return nil
	}
	now := fb.clock.Now()
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
	return fb.refreshRelays(ctx, tx, it)
}

// reaction handles the flag emoji (make a message feedback) and the
// vote emoji (on the source message or a relay).
func (fb *Feedback) reaction(ctx context.Context, tx *store.Tx, e *bot.Reaction) error {
	f := fb.cfg.Feedback
	if e.User.Bot {
		return nil
	}
	voter := e.User.Platform + ":" + e.User.ID
	if p := fb.dir.Person(e.User); p != "" {
		voter = "person:" + p
	}
	switch {
	case e.Platform == bot.PlatformDiscord && bot.SameEmoji(e.Emoji, f.FlagEmoji) && !e.Removed:
		if fb.discord == nil {
			return nil
		}
		m, err := fb.discord.Message(ctx, cmp.Or(e.ThreadID, e.ChannelID), e.MessageID)
		if err != nil {
			return fmt.Errorf("read flagged message %s: %w", e.MessageID, err)
		}
		_, err = fb.intake(ctx, tx, m, "flag", e.User)
		return err
	case bot.SameEmoji(e.Emoji, f.VoteEmoji):
		var it *store.FeedbackItem
		var err error
		if e.Platform == bot.PlatformDiscord {
			it, err = tx.FeedbackBySource(ctx, sourceKey(e.Platform, e.ChannelID, e.MessageID))
		} else {
			it, err = reactedTo(ctx, tx, fb.slack, fb.clock, e, func() (*store.FeedbackItem, error) { return tx.FeedbackByRelay(ctx, e.ChannelID, e.MessageID) })
		}
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		var changed bool
		if e.Removed {
			changed, err = tx.RemoveVote(ctx, fb.clock.Now(), it.ID, voter)
		} else {
			changed, err = tx.AddVote(ctx, fb.clock.Now(), it.ID, voter)
		}
		if err != nil || !changed {
			return err
		}
		it, err = tx.Feedback(ctx, it.ID)
		if err != nil {
			return err
		}
		return fb.refreshRelays(ctx, tx, it)
	}
	return nil
}
