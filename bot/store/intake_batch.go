package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Intake in one statement per group. On Postgres an item, its
// outbox messages and its relays are one statement already
// (CreateFeedbackRelayed), but a group ran its items' statements one
// after another, each a round trip the committer waited on while the
// database did the same small amount of work for each: a burst of
// messages in a feedback channel cost a round trip and a statement's
// fixed work per message (BenchmarkDiscordIntake).
//
// So a group run without savepoints puts its intake items off (an
// intakeBatch on its connection) and writes them together, in one
// statement whose text does not change with their number: before any
// other statement runs on the connection, so that everything after an
// item still sees it as if it had been written at once (a later item of
// the group, a read of the item that made it), and at the latest at the
// commit. The inbound keys of a group whose items are all pure
// (InTxFirstPure) go with them, taken as new (addSeen). The item is taken
// as created when it is put off: an item whose source message turns out
// to have one already (two deliveries of one message in one group), or a
// key recorded before, makes the statement fail, writing nothing, and the
// whole group runs again with savepoints, each item written at once, as
// it was before batching.

// intakeBatch holds the intake items put off by a group's items: column
// by column, as the statement's arrays take them.
type intakeBatch struct {
	items intakeColumns
	// relays: the outbox message and the relay row of each.
	relays relayColumns
	// seen are the inbound keys of the group's items (InTxFirstPure),
	// taken as new until the statement finds one that is not.
	seen seenColumns
	// failed is set once a write of the batch failed or found an item
	// that was not new: the group must run again (runUnguarded checks it,
	// whatever its items did with the error).
	failed error
	// ids takes back the items' ids when their write failed: the group's
	// transaction is rolled back, and the items draw again as they run
	// again.
	ids *idBlock
}

type intakeColumns struct {
	id                                                                                []int64
	sourceKey, source, intake, scopeID, channelID, channelName, threadID, threadName  []string
	title, messageID, permalink, authorID, authorName, customer, loggedBy, text, tags []string
	sentiment, sentimentReasons, status, created, updated                             []string
	sentimentScore, similarScore                                                      []float64
	similarTo                                                                         []sql.NullInt64
}

type seenColumns struct{ kind, key, at []string }

type relayColumns struct {
	feedbackID                                                  []int64
	key, platform, kind, payload, lane, due, destination, route []string
	at                                                          []string
}

// errBatchRefused is a batch's answer when it wrote fewer items than it
// held, which its statement, failing instead, should never do: the group
// runs again, its items one by one.
var errBatchRefused = errors.New("store: a feedback item of the group exists already; the group runs again item by item")

// addSeen puts off the inbound keys of items (InTxFirstPure), taking each
// as new, and returns them as recordSeenAhead does: a key given twice in
// the group is new for its first item only. The batch's statement records
// them as it writes the items; it fails when one was recorded before (a
// redelivery), and the group then runs again, each item recording its
// own (runGroup).
func (b *intakeBatch) addSeen(items []*groupItem) map[[2]string]bool {
	ahead := map[[2]string]bool{}
	for _, it := range items {
		for _, r := range it.seen {
			k := [2]string{r.kind, r.key}
			if ahead[k] {
				continue
			}
			ahead[k] = true
			b.seen.kind = append(b.seen.kind, r.kind)
			b.seen.key = append(b.seen.key, r.key)
			b.seen.at = append(b.seen.at, stamp(r.now))
		}
	}
	return ahead
}

// chooseLike notes in it the first of like that is open and created since
// (none when none is), for a batched item.
func (tx *Tx) chooseLike(ctx context.Context, it *FeedbackItem, like []Like, since time.Time) error {
	best, err := firstOpenOfEach(ctx, tx.tx, [][]Like{like}, since)
	if err != nil {
		return fmt.Errorf("feedback %s looks like: %w", it.SourceKey, err)
	}
	it.SimilarTo, it.SimilarScore = nil, 0
	if len(best[0]) > 0 {
		it.SimilarTo, it.SimilarScore = &best[0][0].ID, best[0][0].Score
	}
	return nil
}

// stamp is how a batch's arrays carry a time.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// add puts item it (id drawn, defaults set) and its relays off, and
// returns the lanes its messages go to.
func (b *intakeBatch) add(now time.Time, it *FeedbackItem, id int64, rs []RelayOut) ([]string, error) {
	lanes := make([]string, len(rs))
	type relay struct {
		r       RelayOut
		payload string
		due     time.Time
	}
	checked := make([]relay, len(rs))
	for i, r := range rs {
		payload, lane, due, err := relayValues(now, id, r)
		if err != nil {
			return nil, err
		}
		lanes[i], checked[i] = lane, relay{r, payload, due}
	}
	c := &b.items
	c.id = append(c.id, id)
	c.sourceKey = append(c.sourceKey, it.SourceKey)
	c.source = append(c.source, it.Source)
	c.intake = append(c.intake, it.Intake)
	c.scopeID = append(c.scopeID, it.ScopeID)
	c.channelID = append(c.channelID, it.ChannelID)
	c.channelName = append(c.channelName, it.ChannelName)
	c.threadID = append(c.threadID, it.ThreadID)
	c.threadName = append(c.threadName, it.ThreadName)
	c.title = append(c.title, it.Title)
	c.messageID = append(c.messageID, it.MessageID)
	c.permalink = append(c.permalink, it.Permalink)
	c.authorID = append(c.authorID, it.AuthorID)
	c.authorName = append(c.authorName, it.AuthorName)
	c.customer = append(c.customer, it.Customer)
	c.loggedBy = append(c.loggedBy, it.LoggedBy)
	c.text = append(c.text, it.Text)
	c.tags = append(c.tags, it.Tags.text())
	c.sentiment = append(c.sentiment, it.Sentiment)
	c.sentimentScore = append(c.sentimentScore, it.SentimentScore)
	c.sentimentReasons = append(c.sentimentReasons, it.SentimentReasons)
	c.status = append(c.status, it.Status)
	c.created = append(c.created, stamp(it.CreatedAt))
	c.updated = append(c.updated, stamp(it.UpdatedAt))
	var like sql.NullInt64
	if it.SimilarTo != nil {
		like = sql.NullInt64{Int64: *it.SimilarTo, Valid: true}
	}
	c.similarTo = append(c.similarTo, like)
	c.similarScore = append(c.similarScore, it.SimilarScore)
	r := &b.relays
	for i, x := range checked {
		m := x.r.Message
		r.feedbackID = append(r.feedbackID, id)
		r.key = append(r.key, m.Key)
		r.platform = append(r.platform, m.Platform)
		r.kind = append(r.kind, m.Kind)
		r.payload = append(r.payload, x.payload)
		r.lane = append(r.lane, lanes[i])
		r.due = append(r.due, stamp(x.due))
		r.destination = append(r.destination, x.r.Destination)
		r.route = append(r.route, x.r.Route)
		r.at = append(r.at, stamp(now))
	}
	return lanes, nil
}

// intakeBatchInsert writes a batch: the inbound keys (in key order, so
// that two statements sharing keys wait for each other in the same
// order), the items, and the outbox messages and relays of those; it
// counts the items written. Keys and items are all new, or it fails and
// writes nothing: they go without ON CONFLICT (as FirstSeen's
// seenInsertNew), because the statement may run alone (lazyTx.Commit),
// committed as it ends, before anyone could look at what it wrote.
const intakeBatchInsert = `WITH seen AS (INSERT INTO inbound_events (kind, key, received_at)
		SELECT * FROM unnest($37::text[], $38::text[], $39::timestamptz[]) AS u(kind, key, at) ORDER BY kind, key),
	item AS (INSERT INTO feedback_items (id, source_key, source, intake, scope_id, channel_id, channel_name,
		thread_id, thread_name, title, message_id, permalink, author_id, author_name, customer, logged_by, text, tags, sentiment, sentiment_score,
		sentiment_reasons, status, created_at, updated_at, similar_to, similar_score)
	SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
		$10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
		$20::float8[], $21::text[], $22::text[], $23::timestamptz[], $24::timestamptz[], $25::bigint[], $26::float8[])
	RETURNING id),
	v AS (SELECT * FROM unnest($27::bigint[], $28::text[], $29::text[], $30::text[], $31::text[], $32::text[], $33::timestamptz[],
		$34::text[], $35::text[], $36::timestamptz[]) AS v(feedback_id, key, platform, kind, payload, lane, due, destination, route, at)),
	ob AS (INSERT INTO outbox (key, platform, kind, payload, lane, state, next_attempt_at, created_at, updated_at)
		SELECT key, platform, kind, payload, lane, 'pending', due, at, at FROM v WHERE feedback_id IN (SELECT id FROM item)
		ON CONFLICT (key) DO NOTHING),
	rel AS (INSERT INTO feedback_relays (feedback_id, destination, route, outbox_key)
		SELECT feedback_id, destination, route, key FROM v WHERE feedback_id IN (SELECT id FROM item)
		ON CONFLICT (feedback_id, destination) DO NOTHING)
	SELECT COUNT(*) FROM item`

// empty reports whether the batch holds nothing to write.
func (b *intakeBatch) empty() bool { return len(b.items.id) == 0 && len(b.seen.key) == 0 }

// take empties the batch, returning its statement's arguments and how many
// items it held; no arguments when it held nothing to write. With binary,
// the text[] arguments are in binary (a connection that sends its
// parameters so): the times stay text, which their timestamptz[]
// parameters read.
func (b *intakeBatch) take(binary bool) ([]any, int) {
	c, r, k := b.items, b.relays, b.seen
	n := len(c.id)
	b.items, b.relays, b.seen = intakeColumns{}, relayColumns{}, seenColumns{}
	if n == 0 && len(k.key) == 0 {
		return nil, 0 // empty
	}
	t := func(a []string) driver.Valuer {
		if binary {
			return binaryTextArray(a)
		}
		return textArray(a)
	}
	return []any{pq.Array(c.id), t(c.sourceKey), t(c.source), t(c.intake), t(c.scopeID),
		t(c.channelID), t(c.channelName), t(c.threadID), t(c.threadName), t(c.title),
		t(c.messageID), t(c.permalink), t(c.authorID), t(c.authorName), t(c.customer),
		t(c.loggedBy), t(c.text), t(c.tags), t(c.sentiment), pq.Array(c.sentimentScore),
		t(c.sentimentReasons), t(c.status), textArray(c.created), textArray(c.updated), int8Array(c.similarTo), pq.Array(c.similarScore),
		pq.Array(r.feedbackID), t(r.key), t(r.platform), t(r.kind), t(r.payload),
		t(r.lane), textArray(r.due), t(r.destination), t(r.route), textArray(r.at),
		t(k.kind), t(k.key), textArray(k.at)}, n
}

// written checks what a write of n items reports: all of them new, or the
// batch has failed.
func (b *intakeBatch) written(n int, items int64, err error) error {
	switch {
	case err != nil:
		b.failed = fmt.Errorf("write %d feedback items and their group's inbound events: %w", n, err)
	case items != int64(n):
		b.failed = errBatchRefused
	}
	return b.failed
}

// flushConn writes what the batch holds on c, its group's connection,
// from inside the driver, where database/sql's handle cannot be used (it
// holds the connection): before another statement runs there, and at the
// commit (lazyTx.Commit).
func (b *intakeBatch) flushConn(ctx context.Context, c *stmtCacheConn) error {
	if b.failed != nil {
		return b.failed
	}
	ids := b.items.id
	args, n := b.take(c.binary)
	if args == nil {
		return nil
	}
	defer func() {
		if b.failed != nil && b.ids != nil {
			b.ids.giveBack(ids...)
		}
	}()
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := a.(driver.Valuer).Value() // the arrays' text form
		if err != nil {
			return b.written(n, 0, err)
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	st, err := c.prepared(ctx, intakeBatchInsert, nv)
	if err != nil {
		return b.written(n, 0, err)
	}
	var rows driver.Rows
	if st == nil { // the connection's cache is full
		rows, err = c.pqConn.QueryContext(ctx, intakeBatchInsert, nv)
	} else if rows, err = st.(driver.StmtQueryContext).QueryContext(ctx, nv); err != nil {
		c.forget(intakeBatchInsert, err)
	}
	if err != nil {
		return b.written(n, 0, err)
	}
	dest := []driver.Value{nil}
	err = rows.Next(dest)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	items, _ := dest[0].(int64)
	return b.written(n, items, err)
}
