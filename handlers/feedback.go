package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	links   slackLinks    // links feedback logged in Slack to its Slack message
	// policies decides who approves notices (Build sets it: approvals).
	policies policies
	// templates approves the notice texts (Build sets it).
	templates *Templates
	shingles  shingleCache // of the items the Merge form compares an item with
	index     similarIndex // finds the items like a text
	routes    func() routes
}

// routes are the configuration's feedback routes as bot.Route takes them,
// made once: at every intake they were a twentieth of /feedback's
// allocations.
type routes struct {
	rules     []bot.Rule
	defaultTo []string
}

// route routes in by the configured routes.
func (fb *Feedback) route(in bot.RouteInput) bot.Routing {
	r := fb.routes()
	return bot.Route(r.rules, r.defaultTo, in)
}

// slackLinks is implemented by *slackbot.Directory and the console: the
// address of a Slack message (chat.getPermalink).
type slackLinks interface {
	Permalink(ctx context.Context, channelID, ts string) (string, error)
}

func newFeedback(db *store.DB, cfg *config.Config, clock bot.Clock, dir directory) *Feedback {
	return &Feedback{db: db, cfg: cfg, clock: clock, dir: dir, routes: sync.OnceValue(func() routes {
		return routes{rules: cfg.Feedback.Rules(), defaultTo: cfg.Feedback.DefaultDestinations()}
	})}
}

func (fb *Feedback) attach(discord messageReader, slack ownMessages) {
	fb.discord, fb.slack = discord, slack
	fb.links, _ = slack.(slackLinks)
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
	r.OnEventPrepare(fb.prepareEvent)
	r.OnEvent(fb.event)
	r.OnCommandOnce("feedback", "", fb.command)
	r.OnCommandOnce(bot.PlatformSlack+":feedback", "feedback.log", fb.logCommand)
	r.OnCommandOnce(sendToProduct, "", fb.command)
	r.OnCommandOnce(sendToProductShortcut, "", fb.command)
	r.OnAction("feedback.ack", "feedback.acknowledge", fb.action)
	r.OnAction("feedback.tag", "feedback.tag", fb.action)
	r.OnAction("feedback.claim", "feedback.claim", fb.action)
	r.OnAction("feedback.close", "feedback.close", fb.action)
	r.OnAction("feedback.status", "feedback.status", fb.action)
	r.OnAction("feedback.setstatus", "feedback.status", fb.statusClicked)
	r.OnAction("feedback.notice", "", fb.noticeDecided)
	r.OnAction("feedback.notices.off", "", fb.noticesOff)
	r.OnCommand("notices", "", fb.noticesCommand)
	r.OnForm("feedback.tag", "feedback.tag", fb.form)
	r.OnForm("feedback.status", "feedback.status", fb.statusSubmitted)
	r.OnAction("feedback.merge", "feedback.merge", fb.mergeClicked)
	r.OnForm("feedback.merge", "feedback.merge", fb.mergeSubmitted)
	r.OnSubcommand("feedback", "list [open|mine|tag:X] | show N | close N [reason] | status N planned|in-progress|shipped|declined [note] | reopen N | merge N into M | unmerge N | export [--since 90d] [--format csv|json]",
		"the feedback items Liaison tracks: list them, see one, close one, say what the team does about it, merge duplicates, export them as a file",
		bot.Needs{Action: "feedback.view", Verbs: map[string]string{"close": "feedback.close", "status": "feedback.status", "reopen": "feedback.reopen",
			"merge": "feedback.merge", "unmerge": "feedback.merge", "export": "feedback.export"}}, fb.subcommand)
	r.OnSubcommand("route", `test "<text>" [#channel] | replay 7d`,
		"which routes a text would match, or where the last days' items would have gone",
		bot.Needs{Verbs: map[string]string{"test": "route.test", "replay": "route.replay"}}, fb.routeSubcommand)
	if fb.cfg.Feedback.Enabled {
		r.AddDiscordCommand(bot.CommandSpec{Name: "feedback", Description: "Send feedback to the team", Options: []bot.OptionSpec{
			{Name: "text", Description: "What would you like the team to know?", Type: "string", Required: true},
		}})
		r.AddDiscordCommand(bot.CommandSpec{Name: sendToProduct, MessageMenu: true})
		r.AddDiscordCommand(bot.CommandSpec{Name: "notices", Description: "Whether Liaison tells you when feedback you wrote or voted for changes", Options: []bot.OptionSpec{
			{Name: "state", Description: "on or off", Type: "string", Required: true},
		}})
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
		if fb.channelFeedback(e) {
			p := preparedFor(ctx, e).intake
			if p == nil {
				p = fb.prepareIntake(ctx, e, "channel", e.Author, "")
			}
			_, err := p.create(ctx, tx)
			return err
		}
	case *bot.MessageDeleted:
		return fb.deleted(ctx, tx, e)
	case *bot.Reaction:
		return fb.reaction(ctx, tx, e)
	}
	return nil
}

// preparedKey is the context key of the *prepared prepareEvent worked out.
type preparedKey struct{}

// prepared is what prepareEvent worked out for one event before its
// transaction: the item intake makes of the event's message, or the error
// that stopped it (a flagged message Discord did not give back), which
// the event's handler returns as if it had met it itself. Nothing in it
// changes once made, so a transaction run again uses it again.
type prepared struct {
	ev     bot.Event // the event it is for
	intake *preparedIntake
	err    error
}

// preparedFor returns what prepareEvent worked out for ev, or the zero
// prepared when it worked out nothing for this event: the handler then
// does the work itself.
func preparedFor(ctx context.Context, ev bot.Event) prepared {
	if p, ok := ctx.Value(preparedKey{}).(*prepared); ok && p.ev == ev {
		return *p
	}
	return prepared{}
}

// prepareEvent works out, before its transaction, the item of a message
// that is feedback by where it was posted, and reads back and works out
// the item of a message flagged on Discord (event creates them): a read
// from Discord takes tens of milliseconds, seconds when Discord limits
// the rate, and inside the transaction it would hold up every other
// transaction of its group commit as long.
func (fb *Feedback) prepareEvent(ctx context.Context, ev bot.Event) context.Context {
	if !fb.cfg.Feedback.Enabled {
		return ctx
	}
	p := &prepared{ev: ev}
	switch e := ev.(type) {
	case *bot.Message:
		if !fb.channelFeedback(e) {
			return ctx
		}
		p.intake = fb.prepareBeforeTx(ctx, e, "channel", e.Author, "")
	case *bot.Reaction:
		if e.User.Bot || !fb.flag(e) || fb.discord == nil {
			return ctx // votes and other reactions read nothing from Discord
		}
		p.intake, p.err = fb.readFlagged(ctx, e, fb.prepareBeforeTx)
	default:
		return ctx
	}
	return context.WithValue(ctx, preparedKey{}, p)
}

// channelFeedback says whether m is a new item by where it was posted: a
// community member's new Discord message in a watched place (a staff
// member's is an answer, an edit changes the item it is).
func (fb *Feedback) channelFeedback(m *bot.Message) bool {
	return !m.Author.Bot && !m.Edited && m.Platform == bot.PlatformDiscord && !fb.dir.IsStaff(m.Author) && fb.watched(m)
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

// preparedIntake is an item as intake makes it of a message before its
// transaction: its sentiment, routes and shingles, and the open item it
// may look like, worked out outside the transaction, so that a group
// commit's turn (one transaction after another on one committer) holds
// only the writes.
type preparedIntake struct {
	fb      *Feedback
	now     time.Time
	item    store.FeedbackItem
	routing bot.Routing
	sh      bot.Shingles
	bands   []uint64
	like    []store.Like
	liked   bool // like was looked up: the similarity index was loaded
}

// prepareBeforeTx is prepareIntake outside any transaction, which also
// reads which of the look-alikes is open (on a connection of its own:
// inside a transaction, that read is the transaction's).
func (fb *Feedback) prepareBeforeTx(ctx context.Context, m *bot.Message, how string, by bot.User, customer string) *preparedIntake {
	p := fb.prepareIntake(ctx, m, how, by, customer)
	if len(p.like) > 0 {
		// When it cannot be read now, the transaction reads it.
		if open, err := fb.db.FirstOpenLike(ctx, p.like, p.now.Add(-similarWindow)); err == nil {
			p.like = open
		}
	}
	return p
}

// prepareIntake works out m's item (by made it feedback, for customer
// when staff logged it), without the database. Its look-alikes are those
// the similarity index holds now: an item committed while this one waits
// for its transaction's turn may be missed, as two near-duplicates said
// at once miss each other.
func (fb *Feedback) prepareIntake(ctx context.Context, m *bot.Message, how string, by bot.User, customer string) *preparedIntake {
	now := fb.clock.Now()
	score := sentiment.Analyze(itemText(m.Title, m.Text))
	p := &preparedIntake{fb: fb, now: now, item: store.FeedbackItem{
		SourceKey: sourceKey(m.Platform, m.ChannelID, m.ID), Source: m.Platform, Intake: how,
		ScopeID: m.ScopeID, ChannelID: m.ChannelID, ChannelName: m.ChannelName, MessageID: m.ID, Permalink: m.Permalink,
		ThreadID: m.ThreadID, ThreadName: m.ThreadName, Title: m.Title,
		AuthorID: m.Author.ID, AuthorName: fb.dir.Actor(m.Author), Text: m.Text, Customer: customer,
		Sentiment: score.Label, SentimentScore: score.Compound, SentimentReasons: strings.Join(score.Reasons, ", "),
	}}
	it := &p.item
	if it.ChannelName == "" {
		it.ChannelName = fb.dir.ChannelName(m.ChannelID)
	}
	if m.Platform != bot.PlatformDiscord {
		it.ThreadID, it.ThreadName, it.Title = "", "", "" // a Slack thread is a message's, not a place
	}
	if by.ID != m.Author.ID || customer != "" {
		it.LoggedBy = fb.dir.Actor(by)
	}
	if m.Platform == bot.PlatformSlack && how == "menu" && it.Permalink == "" && fb.links != nil {
		// A Slack message sent to product links to it; if Slack does not
		// say where it is now, the next change of the item asks again.
		if link, err := fb.links.Permalink(ctx, m.ChannelID, m.ID); err == nil {
			it.Permalink = link
		}
	}
	p.routing = fb.route(bot.RouteInput{
		Text: itemText(it.Title, it.Text), Platform: it.Source, ChannelID: it.ChannelID, Sentiment: it.Sentiment,
	})
	it.Tags = p.routing.Tags
	p.sh = bot.ShinglesOf(itemText(it.Title, it.Text))
	p.bands = p.sh.BandKeys()
	p.like, p.liked = fb.index.likeLoaded(p.sh, p.bands, fb.cfg.Feedback.SimilarThreshold)
	return p
}

// create writes p's item and enqueues its relays in tx, and returns it
// (the item of its message when it had one already). A transaction run
// again creates it afresh from p.
func (p *preparedIntake) create(ctx context.Context, tx *store.Tx) (*store.FeedbackItem, error) {
	fb, it := p.fb, new(store.FeedbackItem)
	*it = p.item
	// The item's own columns (created_at, intake, author, logged_by) are
	// the first line of its history: no event row is written for it.
	relays := func(it *store.FeedbackItem) ([]store.RelayOut, error) {
		out := make([]store.RelayOut, 0, len(p.routing.To))
		for _, d := range p.routing.To {
			r, err := fb.relay(it, d)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	if _, err := fb.createIndexed(ctx, tx, p, it, relays); err != nil {
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
	key := "relay:" + strconv.FormatInt(it.ID, 10) + ":" + d.To
	post := fb.relayPost(it, ref.ID, d.Rule, relayView{link: it.Permalink})
	return store.RelayOut{Destination: d.To, Route: d.Rule,
		Message: &bot.OutboxMessage{Key: key, Platform: ref.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)}}, nil
}

// refreshRelays enqueues an edit of every relay of it, so each channel shows
// its current state, and brings its board post up to date. Edits of one
// relay are chained: each waits for the one before, so they land in order.
func (fb *Feedback) refreshRelays(ctx context.Context, tx *store.Tx, it *store.FeedbackItem) error {
	relays, err := tx.Relays(ctx, it.ID)
	if err != nil {
		return err
	}
	v, err := fb.view(ctx, tx, it, relays)
	if err != nil {
		return err
	}
	for _, rl := range relays {
		ref, err := fb.cfg.ResolveChannel(rl.Destination)
		if err != nil {
			continue // the channel left the config; its relay stays as it was
		}
		v := v
		if isSourceRelay(it, rl, relays) {
			v.link = "" // the message that logged it: it would link to itself
		}
		post := fb.relayPost(it, ref.ID, rl.Route, v)
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
	return fb.syncBoard(ctx, tx, it)
}

// sourceLink returns the address of the message it came from: its
// Discord message; for a Slack message sent to product, that message; for
// feedback logged with Slack's /feedback, which has no message of its own,
// its first relay, the Slack message that logged it. A Slack address is
// asked of Slack once and kept with the item (it must be locked in tx).
// "" when there is none yet (the relay is not sent).
func (fb *Feedback) sourceLink(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, relays []store.Relay) (string, error) {
	if it.Permalink != "" || it.Source != bot.PlatformSlack || fb.links == nil {
		return it.Permalink, nil
	}
	channel, ts := it.ChannelID, it.MessageID
	if it.Intake == "staff" {
		channel, ts = "", ""
		if rl, ok := firstSentRelay(relays); ok {
			channel, ts = rl.ChannelID, rl.MessageID
		}
	}
	if channel == "" || ts == "" {
		return "", nil
	}
	link, err := fb.links.Permalink(ctx, channel, ts)
	if err != nil {
		return "", fmt.Errorf("link feedback %d to its Slack message: %w", it.ID, err)
	}
	it.Permalink = link
	return link, tx.SaveFeedback(ctx, fb.clock.Now(), it)
}

// firstSentRelay is the relay of an item logged in Slack that stands for
// its source: the first one Slack has (relays come ordered by destination).
func firstSentRelay(relays []store.Relay) (store.Relay, bool) {
	for _, rl := range relays {
		if rl.MessageID != "" && rl.ChannelID != "" {
			return rl, true
		}
	}
	return store.Relay{}, false
}

// isSourceRelay says whether rl is the relay that stands for the source of
// it, an item logged with Slack's /feedback.
func isSourceRelay(it *store.FeedbackItem, rl store.Relay, relays []store.Relay) bool {
	if it.Source != bot.PlatformSlack || it.Intake != "staff" {
		return false
	}
	first, ok := firstSentRelay(relays)
	return ok && first.OutboxKey == rl.OutboxKey
}

// relayView is what a relay shows beyond the item's own columns.
type relayView struct {
	link       string  // the source's address, "" for none
	told       string  // whom the last notice told, "" for nobody
	dupLink    string  // a duplicate's: the relay of the item it went into
	duplicates []int64 // the items merged into this one
}

// view gathers what the relays of it (locked in tx) show beyond its
// columns.
func (fb *Feedback) view(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, relays []store.Relay) (relayView, error) {
	var v relayView
	var err error
	if v.link, err = fb.sourceLink(ctx, tx, it, relays); err != nil {
		return v, err
	}
	if v.duplicates, err = tx.Duplicates(ctx, it.ID); err != nil {
		return v, err
	}
	if it.DuplicateOf != nil && fb.links != nil {
		mRelays, err := tx.Relays(ctx, *it.DuplicateOf)
		if err != nil {
			return v, err
		}
		if rl, ok := firstSentRelay(mRelays); ok && rl.ChannelID != "" {
			if v.dupLink, err = fb.links.Permalink(ctx, rl.ChannelID, rl.MessageID); err != nil {
				return v, fmt.Errorf("link feedback %d to the relay of #%d: %w", it.ID, *it.DuplicateOf, err)
			}
		}
	}
	n, err := tx.LastSentNotice(ctx, it.ID)
	if err != nil {
		return v, err
	}
	if n != nil {
		v.told = fmt.Sprintf("%s: %d people pinged in Discord", statusName(n.Status), len(n.Recipients))
		if slices.Contains(n.Recipients, it.AuthorID) {
			v.told += fmt.Sprintf(" (%s and %d voter(s))", it.AuthorName, len(n.Recipients)-1)
		}
	}
	return v, nil
}

// relayPost renders an item as the message that shows it in a channel.
func (fb *Feedback) relayPost(it *store.FeedbackItem, channelID, rule string, v relayView) bot.Post {
	link := v.link
	where := it.ChannelName
	if where != "" {
		where = " in #" + where
		if it.ThreadName != "" {
			where += " › " + bot.OneLine(it.ThreadName, 100)
		}
	}
	num := strconv.FormatInt(it.ID, 10)
	title := "Feedback #" + num + " from " + it.AuthorName + where
	if it.Customer != "" {
		title = "Feedback #" + num + " from " + it.Customer + " (logged by " + it.LoggedBy + ")"
	}
	quote := itemText(it.Title, it.Text)
	if len(quote) > relayQuoteMax {
		quote = bot.Truncate(quote, relayQuoteMax) + " … (truncated: the whole message is in Discord)"
	}
	// Room for every field and button a relay may have: growing the
	// lists one by one was a fifth of a relay's allocations.
	p := bot.Post{ChannelID: channelID, Title: title, Quote: quote, Fields: make([]bot.Field, 0, 6)}
	sent := it.Sentiment
	if it.SentimentReasons != "" {
		sent += ": " + it.SentimentReasons
	}
	p.Fields = append(p.Fields, bot.Field{Name: "Sentiment", Value: sent})
	if len(it.Tags) > 0 {
		p.Fields = append(p.Fields, bot.Field{Name: "Tags", Value: strings.Join(it.Tags, ", ")})
	}
	p.Fields = append(p.Fields, bot.Field{Name: "Votes", Value: strconv.Itoa(it.Votes)}, bot.Field{Name: "Status", Value: statusLine(it)})
	if v.told != "" {
		p.Fields = append(p.Fields, bot.Field{Name: "Told", Value: v.told})
	}
	if len(v.duplicates) > 0 {
		var ids []string
		for _, d := range v.duplicates {
			ids = append(ids, "#"+strconv.FormatInt(d, 10))
		}
		p.Fields = append(p.Fields, bot.Field{Name: "Duplicates", Value: strings.Join(ids, ", ") + " (merged into this one, with their votes)"})
	}
	if it.DuplicateOf != nil {
		sec := bot.Section{Title: fmt.Sprintf("Duplicate of #%d", *it.DuplicateOf)}
		line := bot.Line{Text: fmt.Sprintf("Votes go to #%d now; /liaison feedback unmerge %d undoes it.", *it.DuplicateOf, it.ID)}
		if v.dupLink != "" {
			line = bot.Line{Text: fmt.Sprintf("Open #%d", *it.DuplicateOf), URL: v.dupLink}
		}
		sec.Lines = []bot.Line{line}
		p.Sections = append(p.Sections, sec)
	}
	similar := it.SimilarTo != nil && it.DuplicateOf == nil && !store.FeedbackDone(it.Status)
	if similar {
		// A line of its own, read with the Merge button below it.
		p.Sections = append(p.Sections, bot.Section{Title: fmt.Sprintf("Looks like #%d (%s)", *it.SimilarTo, bot.FormatScore(it.SimilarScore))})
	}
	if link != "" {
		p.Link = &bot.Link{URL: link, Label: "Open in Discord"}
		if it.Source == bot.PlatformSlack {
			p.Link.Label = "Open in Slack"
		}
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
	if !store.FeedbackDone(it.Status) {
		id := num
		p.Buttons = make([]bot.Button, 0, 8)
		if it.Status == store.FeedbackOpen {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: "feedback.ack", Label: "Acknowledge", Value: id, Style: "primary"})
		}
		p.Buttons = append(p.Buttons, bot.Button{ActionID: "feedback.tag", Label: "Tag", Value: id},
			bot.Button{ActionID: "feedback.status", Label: "Status", Value: id})
		// A reply is posted in Discord, under the message it answers:
		// feedback logged in Slack has none.
		if it.Source == bot.PlatformDiscord && !it.Deleted {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: draftReplyAction, Label: "Draft reply", Value: id})
		}
		p.Buttons = append(p.Buttons, bot.Button{ActionID: "feedback.close", Label: "Close", Value: id})
		if similar {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: "feedback.merge", Label: fmt.Sprintf("Merge into #%d", *it.SimilarTo), Value: fmt.Sprintf("%s:%d", id, *it.SimilarTo)})
		} else {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: "feedback.merge", Label: "Merge", Value: id})
		}
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
	case store.FeedbackPlanned, store.FeedbackInProgress, store.FeedbackShipped, store.FeedbackDeclined:
		s = statusName(it.Status)
		if it.HandledBy != "" {
			s += " (" + it.HandledBy + ")"
		}
		if it.StatusNote != "" {
			s += ": " + it.StatusNote
		}
		if store.FeedbackDone(it.Status) {
			return s
		}
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
	fb.reindexSimilarity(tx, it)
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

// isAuthor says whether u wrote it: the same account, or the same person
// of people: on another platform. Feedback staff logged for a customer is
// the customer's, not the logger's.
func (fb *Feedback) isAuthor(it *store.FeedbackItem, u bot.User) bool {
	if it.Customer != "" || it.AuthorID == "" {
		return false
	}
	if u.Platform == it.Source && u.ID == it.AuthorID {
		return true
	}
	p := fb.dir.Person(u)
	return p != "" && p == fb.dir.Person(bot.User{Platform: it.Source, ID: it.AuthorID})
}

// flag says whether e flags a Discord message as feedback: the flag
// emoji added (taking it away changes nothing).
func (fb *Feedback) flag(e *bot.Reaction) bool {
	return e.Platform == bot.PlatformDiscord && bot.SameEmoji(e.Emoji, fb.cfg.Feedback.FlagEmoji) && !e.Removed
}

// readFlagged reads the message flag reaction e is on back from Discord
// (two REST calls: the message and its channel) and works out its item
// with prepare: prepareBeforeTx before the event's transaction,
// prepareIntake inside it.
func (fb *Feedback) readFlagged(ctx context.Context, e *bot.Reaction,
	prepare func(ctx context.Context, m *bot.Message, how string, by bot.User, customer string) *preparedIntake) (*preparedIntake, error) {
	m, err := fb.discord.Message(ctx, cmp.Or(e.ThreadID, e.ChannelID), e.MessageID)
	if err != nil {
		return nil, fmt.Errorf("read flagged message %s: %w", e.MessageID, err)
	}
	return prepare(ctx, m, "flag", e.User, ""), nil
}

// reaction handles the flag emoji (make a message feedback) and the
// vote emoji (on the source message or a relay).
func (fb *Feedback) reaction(ctx context.Context, tx *store.Tx, e *bot.Reaction) error {
	f := fb.cfg.Feedback
	if e.User.Bot {
		return nil
	}
	voter := fb.voterKey(e.User)
	switch {
	case fb.flag(e):
		if fb.discord == nil {
			return nil
		}
		p := preparedFor(ctx, e)
		if p.intake == nil && p.err == nil {
			// Nothing prepared for this event (its preparer did not run):
			// read here, inside the transaction.
			p.intake, p.err = fb.readFlagged(ctx, e, fb.prepareIntake)
		}
		if p.err != nil {
			return p.err
		}
		_, err := p.intake.create(ctx, tx)
		return err
	case bot.SameEmoji(e.Emoji, f.VoteEmoji):
		var it *store.FeedbackItem
		var err error
		if e.Platform == bot.PlatformDiscord {
			it, err = tx.FeedbackBySource(ctx, sourceKey(e.Platform, e.ChannelID, e.MessageID))
			if bot.ErrorCode(err) == bot.ENotFound {
				it, err = fb.boardItem(ctx, tx, e) // a vote on its board post
			}
		} else {
			it, err = reactedTo(ctx, tx, fb.slack, fb.clock, e, func() (*store.FeedbackItem, error) { return tx.FeedbackByRelay(ctx, e.ChannelID, e.MessageID) })
		}
		if bot.ErrorCode(err) == bot.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		if fb.isAuthor(it, e.User) {
			return nil // one's own feedback is not a "me too"
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
		if it.DuplicateOf != nil {
			// Merged: the vote counts for the item it went into.
			if err := fb.voteOnDuplicate(ctx, tx, it, voter, e.Removed); err != nil {
				return err
			}
		}
		it, err = tx.Feedback(ctx, it.ID)
		if err != nil {
			return err
		}
		return fb.refreshRelays(ctx, tx, it)
	}
	return nil
}
