package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/liaison-bot/liaison/bot"
)

// Outbox row states.
const (
	OutboxPending = "pending" // waiting for its next attempt
	OutboxSending = "sending" // claimed by a dispatcher
	OutboxSent    = "sent"    // the platform accepted it; platform_id recorded
	OutboxDead    = "dead"    // gave up; last_error says why
)

// Enqueue adds m to the outbox in this transaction, to be sent once it
// commits. It reports whether a row was added: a message whose key is already
// in the outbox is left as it is (false, nil), which makes redelivered events
// and retried requests harmless. now is the enqueue time from the caller's
// clock. A ParentKey must name a message already enqueued.
func (tx *Tx) Enqueue(ctx context.Context, now time.Time, m *bot.OutboxMessage) (bool, error) {
	if m.Key == "" || m.Platform == "" || m.Kind == "" {
		return false, fmt.Errorf("enqueue: key, platform and kind are required (key %q)", m.Key)
	}
	payload := m.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	var parentID any
	if m.ParentKey != "" {
		var id int64
		err := tx.tx.GetContext(ctx, &id, tx.rebind(`SELECT id FROM outbox WHERE key = ?`), m.ParentKey)
		if isNoRows(err) {
			return false, fmt.Errorf("enqueue %s: parent %q is not in the outbox", m.Key, m.ParentKey)
		} else if err != nil {
			return false, fmt.Errorf("enqueue %s: find parent: %w", m.Key, err)
		}
		parentID = id
	}
	due := now
	if m.NotBefore.After(now) {
		due = m.NotBefore
	}
	lane := bot.Lane(m.Platform, m.Kind, payload)
	res, err := tx.exec(ctx, `INSERT INTO outbox (key, platform, kind, payload, parent_id, lane, state, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`,
		m.Key, m.Platform, m.Kind, string(payload), parentID, lane, due.UTC(), now.UTC(), now.UTC())
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", m.Key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", m.Key, err)
	}
	if n > 0 {
		tx.enqueued.lane(lane)
	}
	return n > 0, nil
}

// Enqueue adds messages to the outbox in one transaction of their own. Use
// Tx.Enqueue to make them atomic with a state change.
func (d *DB) Enqueue(ctx context.Context, now time.Time, msgs ...*bot.OutboxMessage) error {
	return d.InTx(ctx, func(tx *Tx) error {
		for _, m := range msgs {
			if _, err := tx.Enqueue(ctx, now, m); err != nil {
				return err
			}
		}
		return nil
	})
}

type outboxRow struct {
	ID        int64     `db:"id"`
	Key       string    `db:"key"`
	Platform  string    `db:"platform"`
	Kind      string    `db:"kind"`
	Payload   string    `db:"payload"`
	ParentID  *int64    `db:"parent_id"`
	Attempts  int       `db:"attempts"`
	Reclaimed bool      `db:"reclaimed"`
	CreatedAt time.Time `db:"created_at"`
	Lane      string    `db:"lane"`
}

// ClaimOutbox marks up to limit due messages as sending, owned by owner, and
// returns them: at most limit of each lane, in id order, and at most limit
// without a lane. It is ClaimLanes for a claimer that does not pace lanes.
func (d *DB) ClaimOutbox(ctx context.Context, owner string, now time.Time, limit int) ([]*bot.OutboxMessage, error) {
	return d.ClaimLanes(ctx, OutboxClaim{Owner: owner, Now: now, PerLane: limit, Laneless: limit, Max: limit})
}

// fillParents sets ParentKey and ParentRef of claimed children.
func (d *DB) fillParents(ctx context.Context, rows []outboxRow, out []*bot.OutboxMessage) error {
	for i, r := range rows {
		if r.ParentID == nil {
			continue
		}
		var p struct {
			Key        string `db:"key"`
			PlatformID string `db:"platform_id"`
		}
		if err := d.db.GetContext(ctx, &p, d.db.Rebind(`SELECT key, platform_id FROM outbox WHERE id = ?`), *r.ParentID); err != nil {
			return fmt.Errorf("claim outbox: parent of %s: %w", r.Key, err)
		}
		out[i].ParentKey, out[i].ParentRef = p.Key, p.PlatformID
	}
	return nil
}

// OutboxOutcome is what became of one claimed message.
type OutboxOutcome struct {
	ID       int64
	Attempts int // the Attempts the message was claimed with: a stale outcome is ignored
	// State is OutboxSent, OutboxPending (try again at RetryAt) or OutboxDead.
	State   string
	Result  bot.SendResult // when sent
	Error   string         // when not sent
	RetryAt time.Time      // when pending
	// Uncounted gives the attempt back (a rate limit is not a failure, and
	// a message given back unsent was not tried).
	Uncounted bool
	// RateLimited says the platform refused it with a Retry-After: until
	// RetryAt nothing of its lane is claimed, by any replica, even after a
	// restart.
	RateLimited bool
}

// FinishOutbox records the outcomes of claimed messages, all or none.
// An outcome is applied only if the row still carries the attempt it was
// claimed with, so a slow sender whose row was reclaimed and claimed again
// cannot overwrite the newer attempt's state. A message marked dead takes its
// pending children with it (they could never be sent).
func (d *DB) FinishOutbox(ctx context.Context, now time.Time, outcomes []OutboxOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	if d.dialect.arrays && !slices.ContainsFunc(outcomes, func(o OutboxOutcome) bool { return o.State != OutboxSent }) {
		// The common case is one statement, atomic without a transaction:
		// two round trips fewer.
		return markSentArrays(ctx, d.db, now.UTC(), outcomes)
	}
	return d.InTx(ctx, func(tx *Tx) error {
		var sent []OutboxOutcome
		for _, o := range outcomes {
			if o.State == OutboxSent {
				sent = append(sent, o)
				continue
			}
			if err := tx.finishOutbox(ctx, now.UTC(), o); err != nil {
				return fmt.Errorf("finish outbox %d: %w", o.ID, err)
			}
		}
		return tx.markSent(ctx, now.UTC(), sent)
	})
}

// markSent records sent messages; in one statement where the dialect binds
// arrays, since this is the dispatcher's hot path.
func (tx *Tx) markSent(ctx context.Context, now time.Time, sent []OutboxOutcome) error {
	if len(sent) == 0 {
		return nil
	}
	if !tx.db.dialect.arrays {
		for _, o := range sent {
			if err := tx.finishOutbox(ctx, now, o); err != nil {
				return fmt.Errorf("finish outbox %d: %w", o.ID, err)
			}
		}
		return nil
	}
	return markSentArrays(ctx, tx.tx, now, sent)
}

// markSentArrays records sent messages in one statement, binding them as
// arrays (Postgres), in a transaction or not.
func markSentArrays(ctx context.Context, ex sqlx.ExtContext, now time.Time, sent []OutboxOutcome) error {
	ids, attempts := make([]int64, len(sent)), make([]int64, len(sent))
	pids, chans := make([]string, len(sent)), make([]string, len(sent))
	for i, o := range sent {
		ids[i], attempts[i], pids[i], chans[i] = o.ID, int64(o.Attempts), o.Result.PlatformID, o.Result.Channel
	}
	_, err := ex.ExecContext(ctx, ex.Rebind(`UPDATE outbox SET state = 'sent', platform_id = v.pid, platform_channel = v.ch, last_error = '', sent_at = ?, updated_at = ?
		FROM unnest(?::bigint[], ?::int[], ?::text[], ?::text[]) AS v(id, attempts, pid, ch)
		WHERE outbox.id = v.id AND outbox.attempts = v.attempts AND outbox.state IN ('sending', 'pending')`),
		now, now, pq.Array(ids), pq.Array(attempts), textArray(pids), textArray(chans))
	if err != nil {
		return fmt.Errorf("mark %d outbox messages sent: %w", len(sent), err)
	}
	return nil
}

func (tx *Tx) finishOutbox(ctx context.Context, now time.Time, o OutboxOutcome) error {
	var err error
	switch o.State {
	case OutboxSent:
		// Also accepted when the row was reclaimed but not yet claimed again:
		// the send did happen, and recording it spares a second one.
		_, err = tx.exec(ctx, `UPDATE outbox SET state = 'sent', platform_id = ?, platform_channel = ?, last_error = '', sent_at = ?, updated_at = ?
			WHERE id = ? AND attempts = ? AND state IN ('sending', 'pending')`,
			o.Result.PlatformID, o.Result.Channel, now, now, o.ID, o.Attempts)
	case OutboxPending:
		give := 0
		if o.Uncounted {
			give = 1
		}
		_, err = tx.exec(ctx, `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, attempts = attempts - ?, rate_limited = ?, updated_at = ?
			WHERE id = ? AND attempts = ? AND state = 'sending'`,
			o.RetryAt.UTC(), truncate(o.Error, 2000), give, o.RateLimited, now, o.ID, o.Attempts)
	case OutboxDead:
		var res interface{ RowsAffected() (int64, error) }
		res, err = tx.exec(ctx, `UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ?
			WHERE id = ? AND attempts = ? AND state = 'sending'`,
			truncate(o.Error, 2000), now, o.ID, o.Attempts)
		if err == nil {
			if n, _ := res.RowsAffected(); n > 0 {
				err = tx.killChildren(ctx, now, o.ID)
			}
		}
	default:
		err = fmt.Errorf("unknown outcome state %q", o.State)
	}
	return err
}

// killChildren marks dead every pending descendant of a dead message.
func (tx *Tx) killChildren(ctx context.Context, now time.Time, id int64) error {
	var children []int64
	if err := tx.tx.SelectContext(ctx, &children, tx.rebind(`SELECT id FROM outbox WHERE parent_id = ? AND state = 'pending'`), id); err != nil {
		return err
	}
	for _, c := range children {
		if _, err := tx.exec(ctx, `UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ?`,
			"not sent: the message it depends on could not be sent", now, c); err != nil {
			return err
		}
		if err := tx.killChildren(ctx, now, c); err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// ReclaimOutbox puts back to pending the messages whose claimer will not
// finish them, and returns how many: those of a replica whose lease
// (ReplicaLease) has lapsed, at once, for it is gone; those of a claimer
// that holds no lease at all (a replica of a version before leases, during
// a rolling upgrade) once claimed before unleasedBefore, the time a lease
// would have given it; and any claimed before olderThan, for its replica
// hangs. They are flagged as reclaimed so that the next sender checks
// whether the platform already has them.
func (d *DB) ReclaimOutbox(ctx context.Context, now, olderThan, unleasedBefore time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE outbox SET state = 'pending', reclaimed = ?, next_attempt_at = ?, updated_at = ?,
		last_error = CASE WHEN claimed_at < ? THEN 'reclaimed: the dispatcher that claimed it did not finish in time'
			ELSE 'reclaimed: the replica that claimed it is gone (its lease lapsed)' END
		WHERE state = 'sending' AND (claimed_at < ?
			OR EXISTS (SELECT 1 FROM leases l WHERE l.name = CAST(? AS TEXT) || outbox.claimed_by AND l.locked_until <= ?)
			OR (claimed_at < ? AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = CAST(? AS TEXT) || outbox.claimed_by)))`),
		true, now.UTC(), now.UTC(), olderThan.UTC(),
		olderThan.UTC(), replicaLeasePrefix, now.UTC(), unleasedBefore.UTC(), replicaLeasePrefix)
	if err != nil {
		return 0, fmt.Errorf("reclaim outbox: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// OutboxDepth counts outbox messages by state.
func (d *DB) OutboxDepth(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT state, COUNT(*) AS n FROM outbox GROUP BY state`); err != nil {
		return nil, fmt.Errorf("outbox depth: %w", err)
	}
	out := map[string]int{OutboxPending: 0, OutboxSending: 0, OutboxSent: 0, OutboxDead: 0}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// OutboxBacklog counts the messages not sent: pending, sending and dead,
// each through its partial index, so that counting does not read the sent
// messages the outbox keeps for good (OutboxDepth does, for tests).
func (d *DB) OutboxBacklog(ctx context.Context) (map[string]int, error) {
	var n struct {
		Pending int `db:"pending"`
		Sending int `db:"sending"`
		Dead    int `db:"dead"`
	}
	err := d.db.GetContext(ctx, &n, `SELECT
		(SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS pending,
		(SELECT COUNT(*) FROM outbox WHERE state = 'sending') AS sending,
		(SELECT COUNT(*) FROM outbox WHERE state = 'dead') AS dead`)
	if err != nil {
		return nil, fmt.Errorf("outbox backlog: %w", err)
	}
	return map[string]int{OutboxPending: n.Pending, OutboxSending: n.Sending, OutboxDead: n.Dead}, nil
}

// NextOutboxDue returns when the earliest pending message becomes due, and
// false when none is pending. Parents are not considered: a child waiting for
// its parent reports its own time.
func (d *DB) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	var t []time.Time
	err := d.db.SelectContext(ctx, &t, `SELECT next_attempt_at FROM outbox WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1`)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next outbox due: %w", err)
	}
	if len(t) == 0 {
		return time.Time{}, false, nil
	}
	return t[0].UTC(), true, nil
}

// OutboxEntry is the stored state of one outbox message.
type OutboxEntry struct {
	ID              int64      `db:"id"`
	Key             string     `db:"key"`
	Platform        string     `db:"platform"`
	Kind            string     `db:"kind"`
	Payload         string     `db:"payload"`
	ParentID        *int64     `db:"parent_id"`
	State           string     `db:"state"`
	Attempts        int        `db:"attempts"`
	Reclaimed       bool       `db:"reclaimed"`
	NextAttemptAt   time.Time  `db:"next_attempt_at"`
	ClaimedAt       *time.Time `db:"claimed_at"`
	ClaimedBy       string     `db:"claimed_by"`
	PlatformID      string     `db:"platform_id"`
	PlatformChannel string     `db:"platform_channel"`
	LastError       string     `db:"last_error"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
	SentAt          *time.Time `db:"sent_at"`
	ReportedAt      *time.Time `db:"reported_at"`  // a dead message's failure was reported
	Lane            string     `db:"lane"`         // bot.Lane of the message
	RateLimited     bool       `db:"rate_limited"` // refused with a Retry-After: its lane waits for NextAttemptAt
}

const outboxColumns = `id, key, platform, kind, payload, parent_id, state, attempts, reclaimed, next_attempt_at, claimed_at, claimed_by,
	platform_id, platform_channel, last_error, created_at, updated_at, sent_at, reported_at, lane, rate_limited`

// OutboxByKey returns the message with the given key, or a bot.ENotFound error.
func (d *DB) OutboxByKey(ctx context.Context, key string) (*OutboxEntry, error) {
	var e OutboxEntry
	err := d.db.GetContext(ctx, &e, d.db.Rebind(`SELECT `+outboxColumns+` FROM outbox WHERE key = ?`), key)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "no outbox message with key %q", key)
	} else if err != nil {
		return nil, fmt.Errorf("outbox %q: %w", key, err)
	}
	e.NextAttemptAt = e.NextAttemptAt.UTC()
	return &e, nil
}

// RetryOutbox makes a dead message pending again, due now, with a fresh
// attempt count: the Retry a person clicks after fixing what made it fail.
func (d *DB) RetryOutbox(ctx context.Context, now time.Time, key string) error {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
		WHERE key = ? AND state = 'dead'`), now.UTC(), now.UTC(), key)
	if err != nil {
		return fmt.Errorf("retry outbox %q: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bot.Errorf(bot.EConflict, "that message is not waiting for a retry (it may have been sent already)")
	}
	d.signalEnqueued(nil)
	return nil
}

// ReplacePendingPayloadNow rewrites the payload of an outbox message nobody
// has claimed yet, as ReplacePendingPayload does, and makes it due now when
// it was only waiting for its NotBefore: a paced edit whose new text must
// not wait (a giveaway that ended). One that waits for a retry (the
// platform's Retry-After, or the backoff after a failed attempt) keeps its
// time, the new text going out with it. It reports whether it rewrote the
// message: false when it is already being sent, or sent.
func (tx *Tx) ReplacePendingPayloadNow(ctx context.Context, now time.Time, key string, payload []byte) (bool, error) {
	var lanes []string
	err := tx.tx.SelectContext(ctx, &lanes, tx.rebind(`UPDATE outbox SET payload = ?, updated_at = ?,
			next_attempt_at = CASE WHEN attempts = 0 AND NOT rate_limited AND next_attempt_at > ? THEN ? ELSE next_attempt_at END
		WHERE key = ? AND state = 'pending' RETURNING lane`),
		string(payload), now.UTC(), now.UTC(), now.UTC(), key)
	if err != nil {
		return false, fmt.Errorf("rewrite outbox %s to go now: %w", key, err)
	}
	if len(lanes) == 0 {
		return false, nil
	}
	tx.enqueued.lane(lanes[0]) // due sooner: the dispatcher may sleep until its old time
	return true, nil
}

// LastOutboxKey returns the key of the newest outbox message whose key starts
// with prefix, or "" when there is none. Handlers chain edits of one message
// with it, so they apply in order.
func (tx *Tx) LastOutboxKey(ctx context.Context, prefix string) (string, error) {
	var keys []string
	cond, args := tx.db.keyPrefix(prefix)
	err := tx.tx.SelectContext(ctx, &keys, tx.rebind(`SELECT key FROM outbox WHERE `+cond+` ORDER BY id DESC LIMIT 1`), args...)
	if err != nil {
		return "", fmt.Errorf("last outbox key %q: %w", prefix, err)
	}
	if len(keys) == 0 {
		return "", nil
	}
	return keys[0], nil
}

// OutboxEntries returns every outbox message, oldest first: for tests, the
// console and diagnostics, not for hot paths.
func (d *DB) OutboxEntries(ctx context.Context) ([]OutboxEntry, error) {
	var out []OutboxEntry
	if err := d.db.SelectContext(ctx, &out, `SELECT `+outboxColumns+` FROM outbox ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

// UnreportedDead returns up to limit dead messages of kind whose failure
// nobody was told of yet, oldest first.
func (d *DB) UnreportedDead(ctx context.Context, kind string, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT `+outboxColumns+` FROM outbox
		WHERE state = 'dead' AND reported_at IS NULL AND kind = ? ORDER BY id LIMIT ?`), kind, limit)
	if err != nil {
		return nil, fmt.Errorf("dead outbox messages: %w", err)
	}
	return out, nil
}

// MarkDeadReported records that the failure of the dead message key was
// reported, and reports whether this call did: false when another did
// first or the message is no longer dead (retried since).
func (tx *Tx) MarkDeadReported(ctx context.Context, now time.Time, key string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE outbox SET reported_at = ? WHERE key = ? AND state = 'dead' AND reported_at IS NULL`, now.UTC(), key)
	if err != nil {
		return false, fmt.Errorf("mark outbox %s reported: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RetryDead makes every dead message of kind whose key starts with prefix
// pending again, due now, and returns their keys: a moderation case's
// actions once the cause of their refusal is fixed.
func (tx *Tx) RetryDead(ctx context.Context, now time.Time, kind, prefix string) ([]string, error) {
	cond, args := tx.db.keyPrefix(prefix)
	var keys []string
	err := tx.tx.SelectContext(ctx, &keys, tx.rebind(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, reported_at = NULL
		WHERE `+cond+` AND state = 'dead' AND kind = ? RETURNING key`), append(append([]any{now.UTC(), now.UTC()}, args...), kind)...)
	if err != nil {
		return nil, fmt.Errorf("retry outbox %q: %w", prefix, err)
	}
	if len(keys) > 0 {
		tx.enqueued.any = true
	}
	sort.Strings(keys)
	return keys, nil
}

// CompactSentOutbox shrinks the payload of up to limit messages sent before
// before to the one thing still read of a sent message, its channel (the
// mod log's notes and edits find where a case was logged by it), and
// returns how many it shrank. Sent rows stay: their keys keep a message
// from being posted twice, and their platform ids are how later edits,
// votes and clicks find it.
func (d *DB) CompactSentOutbox(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE outbox SET payload = '{"channel_id":"' || platform_channel || '"}'
		WHERE id IN (SELECT id FROM outbox WHERE state = 'sent' AND sent_at < ? AND platform_channel <> '' AND length(payload) > 64 LIMIT ?)`),
		before.UTC(), limit)
	if err != nil {
		return 0, fmt.Errorf("compact sent outbox messages: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// NotePlatformID records that the message with key is id in channel, as
// the platform showed it before the dispatcher recorded its outcome, and
// reports whether it did (false when the row already knows its id, or
// there is no such row). The dispatcher's outcome later writes the same.
func (tx *Tx) NotePlatformID(ctx context.Context, now time.Time, key, channel, id string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE outbox SET platform_id = ?, platform_channel = ?, updated_at = ? WHERE key = ? AND platform_id = ''`,
		id, channel, now.UTC(), key)
	if err != nil {
		return false, fmt.Errorf("note the platform id of outbox %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// keyPrefix returns a condition on outbox.key matching the keys that start
// with prefix, and its arguments, in a form an index serves: on Postgres a
// LIKE, which the key's unique index serves because the key compares
// bytewise (COLLATE "C", migration 0027) whatever the database's collation;
// on SQLite, whose LIKE ignores case and so uses no index, a range, exact
// there because text compares bytewise.
func (d *DB) keyPrefix(prefix string) (string, []any) {
	if d.dialect.name == Postgres || prefix == "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix)
		return `key LIKE ? ESCAPE '\'`, []any{esc + "%"}
	}
	return `key >= ? AND key < ?`, []any{prefix, prefixEnd(prefix)}
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, bytewise; "" when there is none (prefix is all 0xff).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
