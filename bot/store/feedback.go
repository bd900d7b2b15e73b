package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Feedback item statuses.
const (
	FeedbackOpen         = "open"         // nobody has looked at it yet
	FeedbackAcknowledged = "acknowledged" // someone in the team has seen it
	FeedbackAnswered     = "answered"     // staff replied in Discord, or an approved reply was posted
	FeedbackClosed       = "closed"       // done
	// The statuses the community hears of (issue 14): what the team will
	// do about an item, and what it did.
	FeedbackPlanned    = "planned"     // the team means to do it
	FeedbackInProgress = "in-progress" // the team is on it
	FeedbackShipped    = "shipped"     // done and released; closed
	FeedbackDeclined   = "declined"    // the team will not do it, with a reason; closed
)

// FeedbackDone reports whether status ends an item's life: closed, shipped
// or declined. A done item has no buttons and is reminded of no more.
func FeedbackDone(status string) bool {
	return status == FeedbackClosed || status == FeedbackShipped || status == FeedbackDeclined
}

// FeedbackItem is one piece of feedback, from one source message.
type FeedbackItem struct {
	ID          int64  `db:"id"`
	SourceKey   string `db:"source_key"` // discord:<channel>:<message>, slack:<channel>:<ts>…
	Source      string `db:"source"`     // discord, slack, feed
	Intake      string `db:"intake"`     // channel, flag, command, menu, staff, feed
	ScopeID     string `db:"scope_id"`
	ChannelID   string `db:"channel_id"`
	ChannelName string `db:"channel_name"`
	// ThreadID is the Discord thread (or forum post) the source message is
	// in, "" when it is in the channel itself: the message lives in the
	// thread's channel, so it is read and answered there. ChannelID stays
	// the parent channel.
	ThreadID   string `db:"thread_id"`
	ThreadName string `db:"thread_name"`
	// Title is a forum post's own title when the item is its opening
	// message; Text is the message's text without it.
	Title            string  `db:"title"`
	MessageID        string  `db:"message_id"`
	Permalink        string  `db:"permalink"`
	AuthorID         string  `db:"author_id"`
	AuthorName       string  `db:"author_name"`
	Customer         string  `db:"customer"`
	LoggedBy         string  `db:"logged_by"`
	Text             string  `db:"text"`
	Tags             Strings `db:"tags"`
	Sentiment        string  `db:"sentiment"`
	SentimentScore   float64 `db:"sentiment_score"`
	SentimentReasons string  `db:"sentiment_reasons"`
	Status           string  `db:"status"`
	Edited           bool    `db:"edited"`
	Deleted          bool    `db:"deleted"`
	Votes            int     `db:"votes"`
	Owner            string  `db:"owner"`
	HandledBy        string  `db:"handled_by"`
	CloseReason      string  `db:"close_reason"`
	// StatusNote is what the team said with the item's last status
	// (planned, in progress, shipped or declined): a date, a version, the
	// reason it was declined.
	StatusNote string `db:"status_note"`
	// DuplicateOf is the item this one was merged into, nil when it was
	// not: it is then closed as "duplicate of #M".
	DuplicateOf *int64 `db:"duplicate_of"`
	// SimilarTo is the open item this one looked like at intake (above
	// feedback.similar_threshold), with its score; nil for none.
	SimilarTo       *int64     `db:"similar_to"`
	SimilarScore    float64    `db:"similar_score"`
	RemindersSent   int        `db:"reminders_sent"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
	FirstResponseAt *time.Time `db:"first_response_at"`
	ClosedAt        *time.Time `db:"closed_at"`
}

// Strings is a list of strings stored as a JSON array in a text column.
type Strings []string

// Scan implements sql.Scanner.
func (s *Strings) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*s = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan Strings from %T", src)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("scan Strings: %w", err)
	}
	*s = out
	return nil
}

func (s Strings) text() string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal([]string(s))
	return string(b)
}

const feedbackColumns = `id, source_key, source, intake, scope_id, channel_id, channel_name, thread_id, thread_name, title, message_id, permalink, author_id, author_name,
	customer, logged_by, text, tags, sentiment, sentiment_score, sentiment_reasons, status, edited, deleted, votes, owner,
	handled_by, close_reason, status_note, duplicate_of, similar_to, similar_score, reminders_sent, created_at, updated_at, first_response_at, closed_at`

// CreateFeedback stores it unless an item with its SourceKey exists, and
// reports whether it was created. Either way it.ID is set, and on a
// duplicate *it is replaced by the stored item: the same message posted and
// then flagged, or delivered twice, is one item.
func (tx *Tx) CreateFeedback(ctx context.Context, now time.Time, it *FeedbackItem) (bool, error) {
	return tx.createFeedback(ctx, now, it, 0)
}

// createFeedback is CreateFeedback with the item's id drawn already
// (nextFeedbackID), or 0 to take the sequence's next.
func (tx *Tx) createFeedback(ctx context.Context, now time.Time, it *FeedbackItem, id int64) (bool, error) {
	if id == 0 && tx.db.dialect.name == SQLite {
		// SQLite's AUTOINCREMENT counts a row that ON CONFLICT turned away:
		// a message flagged twice would skip a number. The committer is
		// SQLite's only writer, so nothing comes between the look and the
		// insert.
		switch err := tx.loadExisting(ctx, it); {
		case err == nil:
			return false, nil
		case bot.ErrorCode(err) != bot.ENotFound:
			return false, err
		}
	}
	it.defaults(now)
	q, args := insertFeedback(it, id)
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(q+` RETURNING id`), args...)
	if err != nil {
		return false, fmt.Errorf("create feedback %s: %w", it.SourceKey, err)
	}
	if len(ids) == 1 {
		it.ID = ids[0]
		return true, nil
	}
	return false, tx.loadExisting(ctx, it)
}

// feedbackInsert inserts an item (FeedbackItem.insertArgs), or nothing when
// its source message has one already.
const feedbackInsert = `INSERT INTO feedback_items (` + feedbackInsertColumns + `)
		VALUES (` + feedbackInsertValues + `) ON CONFLICT (source_key) DO NOTHING`

// feedbackInsertWithID is feedbackInsert with the item's id as its first
// value (one drawn by Tx.nextFeedbackID).
const feedbackInsertWithID = `INSERT INTO feedback_items (id, ` + feedbackInsertColumns + `)
		VALUES (?, ` + feedbackInsertValues + `) ON CONFLICT (source_key) DO NOTHING`

const feedbackInsertColumns = `source_key, source, intake, scope_id, channel_id, channel_name,
		thread_id, thread_name, title, message_id, permalink, author_id, author_name, customer, logged_by, text, tags, sentiment, sentiment_score, sentiment_reasons,
		status, created_at, updated_at, similar_to, similar_score`

const feedbackInsertValues = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ` + feedbackInsertLike

// feedbackInsertLike is where feedbackInsert's values end: the similar
// item and its score (createLike puts a choice there).
const feedbackInsertLike = `? /* similar_to */, ? /* similar_score */`

// insertFeedback is the statement that inserts it and its arguments:
// feedbackInsert, or feedbackInsertWithID with id first when its id was
// drawn (not 0).
func insertFeedback(it *FeedbackItem, id int64) (string, []any) {
	if id == 0 {
		return feedbackInsert, it.insertArgs()
	}
	return feedbackInsertWithID, append([]any{id}, it.insertArgs()...)
}

func (it *FeedbackItem) defaults(now time.Time) {
	it.CreatedAt, it.UpdatedAt = now.UTC(), now.UTC()
	it.Status = cmpOrString(it.Status, FeedbackOpen)
	it.Sentiment = cmpOrString(it.Sentiment, "neutral")
}

func (it *FeedbackItem) insertArgs() []any {
	return []any{it.SourceKey, it.Source, it.Intake, it.ScopeID, it.ChannelID, it.ChannelName, it.ThreadID, it.ThreadName, it.Title, it.MessageID, it.Permalink,
		it.AuthorID, it.AuthorName, it.Customer, it.LoggedBy, it.Text, it.Tags.text(), it.Sentiment, it.SentimentScore,
		it.SentimentReasons, it.Status, it.CreatedAt, it.UpdatedAt, it.SimilarTo, it.SimilarScore}
}

// loadExisting fills it with the item its source message has already.
func (tx *Tx) loadExisting(ctx context.Context, it *FeedbackItem) error {
	existing, err := tx.FeedbackBySource(ctx, it.SourceKey)
	if err != nil {
		return err
	}
	*it = *existing
	return nil
}

func cmpOrString(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// Feedback returns item id, locked for update in this transaction, or a
// bot.ENotFound error that names it.
func (tx *Tx) Feedback(ctx context.Context, id int64) (*FeedbackItem, error) {
	return tx.feedbackWhere(ctx, `id = ?`, id)
}

// FeedbackBySource returns the item of a source message, locked for update.
func (tx *Tx) FeedbackBySource(ctx context.Context, sourceKey string) (*FeedbackItem, error) {
	return tx.feedbackWhere(ctx, `source_key = ?`, sourceKey)
}

// FeedbackByThreadMessage returns the item of Discord message messageID in
// thread threadID (the channel a message in a thread lives in), locked for
// update.
func (tx *Tx) FeedbackByThreadMessage(ctx context.Context, threadID, messageID string) (*FeedbackItem, error) {
	var it FeedbackItem
	err := tx.tx.GetContext(ctx, &it, tx.rebind(`SELECT `+feedbackColumns+` FROM feedback_items
		WHERE source = 'discord' AND thread_id = ? AND message_id = ? AND thread_id <> ''`+tx.db.dialect.forUpdate), threadID, messageID)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "No feedback item came from Discord message %s.", messageID)
	} else if err != nil {
		return nil, fmt.Errorf("feedback of thread message %s/%s: %w", threadID, messageID, err)
	}
	it.utc()
	return &it, nil
}

func (tx *Tx) feedbackWhere(ctx context.Context, where string, arg any) (*FeedbackItem, error) {
	var it FeedbackItem
	err := tx.tx.GetContext(ctx, &it, tx.rebind(`SELECT `+feedbackColumns+` FROM feedback_items WHERE `+where+tx.db.dialect.forUpdate), arg)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no feedback item %v. /liaison feedback list shows the open ones.", arg)
	} else if err != nil {
		return nil, fmt.Errorf("feedback %v: %w", arg, err)
	}
	it.utc()
	return &it, nil
}

func (it *FeedbackItem) utc() {
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	for _, p := range []**time.Time{&it.FirstResponseAt, &it.ClosedAt} {
		if *p != nil {
			t := (*p).UTC()
			*p = &t
		}
	}
}

// Feedback returns item id, or a bot.ENotFound error.
func (d *DB) Feedback(ctx context.Context, id int64) (it *FeedbackItem, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		it, err = tx.Feedback(ctx, id)
		return err
	})
	return it, err
}

// SaveFeedback writes the mutable fields of it (status, text, tags,
// sentiment, flags, people, times, the source's address once learned) and
// stamps UpdatedAt.
func (tx *Tx) SaveFeedback(ctx context.Context, now time.Time, it *FeedbackItem) error {
	it.UpdatedAt = now.UTC()
	_, err := tx.exec(ctx, `UPDATE feedback_items SET text = ?, tags = ?, sentiment = ?, sentiment_score = ?, sentiment_reasons = ?,
		status = ?, edited = ?, deleted = ?, owner = ?, handled_by = ?, close_reason = ?, reminders_sent = ?, updated_at = ?,
		first_response_at = ?, closed_at = ?, permalink = ?, status_note = ?, duplicate_of = ?, similar_to = ?, similar_score = ? WHERE id = ?`,
		it.Text, it.Tags.text(), it.Sentiment, it.SentimentScore, it.SentimentReasons, it.Status, it.Edited, it.Deleted,
		it.Owner, it.HandledBy, it.CloseReason, it.RemindersSent, it.UpdatedAt, utcPtr(it.FirstResponseAt), utcPtr(it.ClosedAt), it.Permalink, it.StatusNote, it.DuplicateOf, it.SimilarTo, it.SimilarScore, it.ID)
	if err != nil {
		return fmt.Errorf("save feedback %d: %w", it.ID, err)
	}
	return nil
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// LogFeedback records what someone did to an item, for its history.
func (tx *Tx) LogFeedback(ctx context.Context, now time.Time, id int64, actor, action, detail string) error {
	_, err := tx.exec(ctx, `INSERT INTO feedback_events (feedback_id, actor, action, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, actor, action, detail, now.UTC())
	if err != nil {
		return fmt.Errorf("log feedback %d %s: %w", id, action, err)
	}
	return nil
}

// FeedbackEvent is one line of an item's history.
type FeedbackEvent struct {
	Actor     string    `db:"actor"`
	Action    string    `db:"action"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}

// FeedbackHistory returns an item's history, oldest first.
func (d *DB) FeedbackHistory(ctx context.Context, id int64) ([]FeedbackEvent, error) {
	var out []FeedbackEvent
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT actor, action, detail, created_at FROM feedback_events WHERE feedback_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("feedback %d history: %w", id, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// Relay is where an item was relayed: the destination, the rule that sent
// it, and once sent, the Slack (or Discord) message showing it.
type Relay struct {
	FeedbackID  int64  `db:"feedback_id"`
	Destination string `db:"destination"`
	Route       string `db:"route"`
	OutboxKey   string `db:"outbox_key"`
	ChannelID   string `db:"channel_id"` // platform channel, once sent
	MessageID   string `db:"message_id"` // Slack ts or Discord id, once sent
}

// AddRelay records that item id goes to destination through the outbox
// message outboxKey; a second call for the same destination changes nothing.
func (tx *Tx) AddRelay(ctx context.Context, id int64, destination, route, outboxKey string) error {
	_, err := tx.exec(ctx, `INSERT INTO feedback_relays (feedback_id, destination, route, outbox_key) VALUES (?, ?, ?, ?)
		ON CONFLICT (feedback_id, destination) DO NOTHING`, id, destination, route, outboxKey)
	if err != nil {
		return fmt.Errorf("relay feedback %d to %s: %w", id, destination, err)
	}
	return nil
}

// RelayOut is one relay of a new item: its destination (a config channel
// reference), the rule that sent it there, and the outbox message that
// carries it (no parent).
type RelayOut struct {
	Destination, Route string
	Message            *bot.OutboxMessage
}

// EnqueueRelays enqueues the messages of rs and records them as item id's
// relays, as Enqueue and AddRelay would one by one: on Postgres in one
// statement (a data-modifying CTE), whatever the number of destinations.
func (tx *Tx) EnqueueRelays(ctx context.Context, now time.Time, id int64, rs []RelayOut) error {
	if len(rs) == 0 {
		return nil
	}
	if tx.db.dialect.name != Postgres {
		for _, r := range rs {
			if _, err := tx.Enqueue(ctx, now, r.Message); err != nil {
				return err
			}
			if err := tx.AddRelay(ctx, id, r.Destination, r.Route, r.Message.Key); err != nil {
				return err
			}
		}
		return nil
	}
	var q strings.Builder
	q.WriteString(`WITH `)
	args, lanes, err := relayCTEs(&q, make([]any, 0, 8*len(rs)+3), now, id, rs, false)
	if err != nil {
		return err
	}
	q.WriteString(` SELECT COUNT(*) FROM ob`)
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.rebind(q.String()), args...); err != nil {
		return fmt.Errorf("relay feedback %d: %w", id, err)
	}
	if n > 0 {
		tx.wakeLanes(lanes)
	}
	return nil
}

// relayValues checks relay r of item id and returns its outbox message's
// payload, lane and due time.
func relayValues(now time.Time, id int64, r RelayOut) (payload, lane string, due time.Time, err error) {
	m := r.Message
	if m.Key == "" || m.Platform == "" || m.Kind == "" || m.ParentKey != "" {
		return "", "", time.Time{}, fmt.Errorf("enqueue relay of feedback %d: key, platform and kind are required, and no parent (key %q)", id, m.Key)
	}
	p := m.Payload
	if len(p) == 0 {
		p = json.RawMessage("{}")
	}
	due = now
	if m.NotBefore.After(now) {
		due = m.NotBefore
	}
	return string(p), bot.Lane(m.Platform, m.Kind, p), due, nil
}

// relayCTEs writes to q, for Postgres, the common table expressions that
// enqueue the messages of rs and record them as item id's relays: v (their
// values), ob (the keys of the outbox rows inserted) and rel; it returns
// args with their arguments appended, and the messages' lanes. With
// afterItem, both inserts read the item from a CTE named item, which
// inserts it (feedbackInsertWithID … RETURNING id): they insert nothing
// when it inserted nothing (the item was there already).
func relayCTEs(q *strings.Builder, args []any, now time.Time, id int64, rs []RelayOut, afterItem bool) ([]any, []string, error) {
	lanes := make([]string, len(rs))
	q.WriteString(`v (key, platform, kind, payload, lane, due, destination, route) AS (VALUES `)
	for i, r := range rs {
		payload, lane, due, err := relayValues(now, id, r)
		if err != nil {
			return nil, nil, err
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(`(?, ?, ?, ?, ?, ?::timestamptz, ?, ?)`)
		lanes[i] = lane
		m := r.Message
		args = append(args, m.Key, m.Platform, m.Kind, payload, lane, due.UTC(), r.Destination, r.Route)
	}
	from, itemID := `FROM v`, `?`
	if afterItem {
		from, itemID = `FROM v WHERE EXISTS (SELECT FROM item)`, `(SELECT id FROM item)`
	}
	q.WriteString(`),
	ob AS (INSERT INTO outbox (key, platform, kind, payload, lane, state, next_attempt_at, created_at, updated_at)
		SELECT key, platform, kind, payload, lane, 'pending', due, ?::timestamptz, ?::timestamptz ` + from + `
		ON CONFLICT (key) DO NOTHING RETURNING key),
	rel AS (INSERT INTO feedback_relays (feedback_id, destination, route, outbox_key)
		SELECT ` + itemID + `, destination, route, key ` + from + ` ON CONFLICT (feedback_id, destination) DO NOTHING)`)
	args = append(args, now.UTC(), now.UTC())
	if !afterItem {
		args = append(args, id)
	}
	return args, lanes, nil
}

// CreateFeedbackRelayed is intake's creation of an item: it stores it
// unless its source message has one already, noting as the item it looks
// like (SimilarTo, SimilarScore) the first of like (best first) that is
// open and created since, and enqueues the relays relays makes of it (it.ID
// set) as EnqueueRelays does. It reports whether the item was created; when
// it was not, it holds the stored item and nothing was enqueued.
//
// On Postgres the look-alike's choice is part of the item's INSERT, and
// when like is empty (nothing to choose, so the relays show no
// suggestion) the item, its outbox messages and its relays are one
// statement: the item's id is drawn beforehand (nextFeedbackID), so the
// relays can name it. In a group run without savepoints that statement
// is put off and written with the group's other items (intake_batch.go),
// the look-alike chosen beforehand (chooseLike, or DB.FirstOpenLike
// before the transaction when like is marked Open): the item is reported
// created, and the group runs again, item by item, if it was not.
func (tx *Tx) CreateFeedbackRelayed(ctx context.Context, now time.Time, it *FeedbackItem, like []Like, since time.Time,
	relays func(*FeedbackItem) ([]RelayOut, error)) (bool, error) {
	var id int64
	if tx.db.dialect.name == Postgres {
		var err error
		if id, err = tx.nextFeedbackID(ctx); err != nil {
			return false, err
		}
	}
	if id == 0 || len(like) > 0 && tx.batch == nil {
		created, err := tx.createLike(ctx, now, it, like, since, id)
		if err == nil && !created {
			tx.db.feedbackIDs.giveBack(id)
		}
		if err != nil || !created {
			return created, err
		}
		rs, err := relays(it)
		if err != nil {
			return false, err
		}
		return true, tx.EnqueueRelays(ctx, now, it.ID, rs)
	}
	it.SimilarTo, it.SimilarScore = nil, 0
	switch { // batched: the item is written with the others
	case len(like) > 0 && like[0].Open:
		it.SimilarTo, it.SimilarScore = &like[0].ID, like[0].Score
	case len(like) > 0:
		if err := tx.chooseLike(ctx, it, like, since); err != nil {
			return false, err
		}
	}
	it.defaults(now)
	it.ID = id
	rs, err := relays(it)
	if err != nil {
		return false, err
	}
	if tx.batch != nil {
		lanes, err := tx.batch.add(now, it, id, rs)
		if err != nil {
			return false, err
		}
		tx.wakeLanes(lanes)
		return true, nil
	}
	q, args := insertFeedback(it, id)
	var b strings.Builder
	b.WriteString(`WITH item AS (` + q + ` RETURNING id)`)
	var lanes []string
	if len(rs) > 0 {
		b.WriteString(`, `)
		if args, lanes, err = relayCTEs(&b, args, now, id, rs, true); err != nil {
			return false, err
		}
		b.WriteString(` SELECT (SELECT COUNT(*) FROM item) AS items, (SELECT COUNT(*) FROM ob) AS enqueued`)
	} else {
		b.WriteString(` SELECT (SELECT COUNT(*) FROM item) AS items, 0 AS enqueued`)
	}
	var n struct {
		Items    int `db:"items"`
		Enqueued int `db:"enqueued"`
	}
	if err := tx.tx.GetContext(ctx, &n, tx.rebind(b.String()), args...); err != nil {
		return false, fmt.Errorf("create feedback %s: %w", it.SourceKey, err)
	}
	if n.Items == 0 {
		tx.db.feedbackIDs.giveBack(id)
		return false, tx.loadExisting(ctx, it)
	}
	if n.Enqueued > 0 {
		tx.wakeLanes(lanes)
	}
	return true, nil
}

// Item ids are drawn ahead in blocks (nextFeedbackID) whose size follows
// the load: enough for feedbackIDSpan at the rate ids were handed out
// since the last draw, a power of two, at most twice the last block and
// maxFeedbackIDBlock. While items come seldom that is one id at a time, so
// their numbers stay consecutive; at 640 items a second or more it is 64
// or more, and then the next block is drawn in the background when half of
// the current one is left (drawAhead), so that a group does not wait for
// it. A process that stops skips the numbers it holds: none while items
// come seldom, at most maxFeedbackIDBlock*3/2 under the heaviest load (two
// blocks, should a group run out while a draw ahead is late) (a
// rolled-back insert skips its number too, as any sequence does).
//
// A draw in the middle of a group is a round trip on the committer's
// connection, where the committer, and every caller of its group, waits
// behind the process's other work: saturated /feedback on one core drew
// once a group (blocks of 64, groups of ~60), and a fifth of a group's
// time (~5 ms of ~24 ms) was that draw and the other committer waiting for
// it. Drawn ahead, a block must outlast a group or two while the next draw
// comes back: with blocks of at most 64, half the groups still drew.
const (
	maxFeedbackIDBlock = 256
	drawAheadFrom      = 64
	feedbackIDSpan     = 100 * time.Millisecond
	drawAheadTimeout   = 5 * time.Second
)

// feedbackIDsQuery draws a block of item ids. It reads nothing a group's
// intake batch writes, so it runs before the batch is written (see
// stmtCacheConn.flushPending).
const feedbackIDsQuery = `SELECT nextval('feedback_items_id_seq') FROM generate_series(1, $1)`

// nextFeedbackID draws a new item's id from the items' sequence (Postgres)
// through tx's connection, unless a block drawn ahead holds one: a
// sequence is not rolled back, so what is drawn stays good whatever tx
// becomes.
func (tx *Tx) nextFeedbackID(ctx context.Context) (int64, error) {
	b := &tx.db.feedbackIDs
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ids) == 0 {
		now := b.clock()
		size := b.nextSize(now)
		var ids []int64
		if err := tx.tx.SelectContext(ctx, &ids, feedbackIDsQuery, size); err != nil {
			return 0, fmt.Errorf("draw feedback ids: %w", err)
		}
		b.drew(ids, size, now)
		b.inGroup++
	}
	id := b.ids[0]
	b.ids = b.ids[1:]
	b.used++
	if b.size >= drawAheadFrom && len(b.ids) <= b.size/2 && !b.ahead {
		b.ahead = true
		b.drawing.Add(1)
		go tx.db.drawAhead(b.nextSize(b.clock()))
	}
	return id, nil
}

func (b *idBlock) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// nextSize is the size of the next block at now (see maxFeedbackIDBlock).
func (b *idBlock) nextSize(now time.Time) int {
	want := 1
	if elapsed := now.Sub(b.drawn); elapsed <= 0 {
		want = maxFeedbackIDBlock
	} else if b.used > 0 {
		want = int(float64(b.used) * float64(feedbackIDSpan) / float64(elapsed))
	}
	size := 1
	for size < want && size < 2*b.size && size < maxFeedbackIDBlock {
		size *= 2
	}
	return size
}

// drawAhead draws the next block of item ids, of size, through a
// connection of its own, for nextFeedbackID to hand out. A draw that
// fails is left to nextFeedbackID, which draws when the block is empty.
func (d *DB) drawAhead(size int) {
	b := &d.feedbackIDs
	defer b.drawing.Done()
	ctx, cancel := context.WithTimeout(context.Background(), drawAheadTimeout)
	defer cancel()
	var ids []int64
	err := d.db.SelectContext(ctx, &ids, feedbackIDsQuery, size)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ahead = false
	if err == nil {
		b.drew(ids, size, b.clock())
		b.drawnAhead++
	}
}

// drew puts ids, a block of size drawn at now, with those b holds, in
// order, and starts counting the ids handed out from now.
func (b *idBlock) drew(ids []int64, size int, now time.Time) {
	b.ids = append(b.ids, ids...)
	slices.Sort(b.ids)
	b.drawn, b.size, b.used = now, size, 0
}

// giveBack returns ids, drawn by nextFeedbackID and left unused (their
// message had an item already, or the statement writing them failed and
// its transaction was rolled back), to be drawn next: a message delivered
// or flagged twice does not skip a number. 0 is no id.
func (b *idBlock) giveBack(ids ...int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		if i, found := slices.BinarySearch(b.ids, id); id != 0 && !found {
			b.ids = slices.Insert(b.ids, i, id)
		}
	}
}

// relaySelect reads relays with the platform ids their outbox messages got.
const relaySelect = `SELECT r.feedback_id, r.destination, r.route, r.outbox_key,
	COALESCE(o.platform_channel, '') AS channel_id, COALESCE(o.platform_id, '') AS message_id
	FROM feedback_relays r LEFT JOIN outbox o ON o.key = r.outbox_key`

// Relays returns where item id was relayed.
func (tx *Tx) Relays(ctx context.Context, id int64) ([]Relay, error) {
	var out []Relay
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(relaySelect+` WHERE r.feedback_id = ? ORDER BY r.destination`), id); err != nil {
		return nil, fmt.Errorf("relays of feedback %d: %w", id, err)
	}
	return out, nil
}

// FeedbackByRelay returns the item whose relay is the message (channel,
// message id), locked for update, or a bot.ENotFound error.
func (tx *Tx) FeedbackByRelay(ctx context.Context, channelID, messageID string) (*FeedbackItem, error) {
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`SELECT r.feedback_id FROM feedback_relays r JOIN outbox o ON o.key = r.outbox_key
		WHERE o.platform_channel = ? AND o.platform_id = ?`), channelID, messageID)
	if err != nil {
		return nil, fmt.Errorf("feedback by relay %s/%s: %w", channelID, messageID, err)
	}
	if len(ids) == 0 {
		return nil, bot.Errorf(bot.ENotFound, "That message is not a relayed feedback item.")
	}
	return tx.Feedback(ctx, ids[0])
}

// AddVote counts voter's "me too" on item id once, whichever platform and
// message it came from, and reports whether it was new.
func (tx *Tx) AddVote(ctx context.Context, now time.Time, id int64, voter string) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO feedback_votes (feedback_id, voter, created_at) VALUES (?, ?, ?) ON CONFLICT (feedback_id, voter) DO NOTHING`,
		id, voter, now.UTC())
	if err != nil {
		return false, fmt.Errorf("vote on feedback %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.exec(ctx, `UPDATE feedback_items SET votes = votes + 1, updated_at = ? WHERE id = ?`, now.UTC(), id)
	return err == nil, err
}

// RemoveVote takes voter's vote back and reports whether there was one.
func (tx *Tx) RemoveVote(ctx context.Context, now time.Time, id int64, voter string) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM feedback_votes WHERE feedback_id = ? AND voter = ?`, id, voter)
	if err != nil {
		return false, fmt.Errorf("unvote feedback %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.exec(ctx, `UPDATE feedback_items SET votes = votes - 1, updated_at = ? WHERE id = ?`, now.UTC(), id)
	return err == nil, err
}

// FeedbackFilter selects items for ListFeedback; zero fields select all.
type FeedbackFilter struct {
	Statuses   []string  // any of these
	Person     string    // owner or handler
	Tag        string    // carries this tag
	Since      time.Time // created at or after
	Unanswered bool      // no first response yet
	Limit      int       // default 20
}

// ListFeedback returns matching items, newest first.
func (d *DB) ListFeedback(ctx context.Context, f FeedbackFilter) ([]FeedbackItem, error) {
	var where []string
	var args []any
	if len(f.Statuses) > 0 {
		where = append(where, `status IN (?`+strings.Repeat(", ?", len(f.Statuses)-1)+`)`)
		for _, s := range f.Statuses {
			args = append(args, s)
		}
	}
	if f.Person != "" {
		where = append(where, `(owner = ? OR handled_by = ?)`)
		args = append(args, f.Person, f.Person)
	}
	if f.Tag != "" {
		// Tags are a JSON array of strings; match the quoted element.
		tag, _ := json.Marshal(f.Tag)
		where = append(where, `tags LIKE ?`)
		args = append(args, "%"+string(tag)+"%")
	}
	if f.Unanswered {
		where = append(where, `first_response_at IS NULL`)
	}
	if !f.Since.IsZero() {
		where = append(where, `created_at >= ?`)
		args = append(args, f.Since.UTC())
	}
	q := `SELECT ` + feedbackColumns + ` FROM feedback_items`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, cmpOr(f.Limit, 20))
	var out []FeedbackItem
	if err := d.db.SelectContext(ctx, &out, d.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}
