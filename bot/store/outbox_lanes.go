package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/liaison-bot/liaison/bot"
)

// OutboxClaim says what one claim may take. Work is claimed per lane
// (bot.Lane), never as one global batch, so that a lane that is paced or
// paused holds no message another lane could send now.
type OutboxClaim struct {
	Owner string    // the claimer's replica name, recorded in claimed_by
	Now   time.Time // due messages are those whose next attempt is at or before Now

	// The cap of a lane, the most of its messages this claim takes: Lanes
	// has the caps of the lanes the claimer knows (0: none of it now);
	// another lane takes the cap of its longest prefix in Fresh ("slack:"
	// holds Slack's channels), else PerLane.
	Lanes   map[string]int
	Fresh   map[string]int
	PerLane int

	// MaxLanes is the most lanes claimed, those whose first due message is
	// oldest; 0 is no limit.
	MaxLanes int
	Laneless int // the most messages without a lane
	Max      int // the most messages in all: every lane's first before any lane's second
}

// ClaimLanes marks due messages as sending, owned by c.Owner, lane by lane
// within each lane's cap, and returns them grouped by lane, each lane's in
// id order, then those without a lane. Each claim counts as an attempt. A
// lane is claimed only from its first due message on, in id order, and
// only when nothing of it is being sent (by anyone): so its messages go out
// in the order they were made even across replicas, and one replica at a
// time paces it. A lane a rate-limited message holds (its Retry-After not
// passed) is left alone. A message whose parent is not sent yet is not due.
//
// Concurrent claimers never get the same message, nor the same lane: on
// Postgres each lane's first message is locked FOR UPDATE SKIP LOCKED
// before the lane is walked, which also skips a lane another replica
// claimed since this statement began (a locked row is read again), and
// messages without a lane are taken FOR UPDATE SKIP LOCKED; on SQLite
// writers run one at a time. It is one statement: one round trip.
func (d *DB) ClaimLanes(ctx context.Context, c OutboxClaim) ([]*bot.OutboxMessage, error) {
	now := c.Now.UTC()
	maxLanes := c.MaxLanes
	if maxLanes <= 0 {
		maxLanes = math.MaxInt32
	}
	stmt, err := d.claim.get(ctx, d, d.claimSQL)
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	var rows []outboxRow
	err = stmt.SelectContext(ctx, &rows,
		pairsJSON(c.Lanes), pairsJSON(c.Fresh), c.PerLane, now, now, maxLanes, now, now, max(c.Laneless, 0), now, c.Owner, now, max(c.Max, 0))
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if (a.Lane == "") != (b.Lane == "") {
			return b.Lane == "" // lanes first
		}
		if a.Lane != b.Lane {
			return a.Lane < b.Lane
		}
		return a.ID < b.ID
	})
	out := make([]*bot.OutboxMessage, len(rows))
	var children bool
	for i, r := range rows {
		out[i] = &bot.OutboxMessage{
			ID: r.ID, Key: r.Key, Platform: r.Platform, Kind: r.Kind,
			Payload: json.RawMessage(r.Payload), Attempts: r.Attempts,
			Reclaimed: r.Reclaimed, CreatedAt: r.CreatedAt.UTC(), Lane: r.Lane,
		}
		children = children || r.ParentID != nil
	}
	if children {
		if err := d.fillParents(ctx, rows, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// claimSQL is ClaimLanes's statement.
func (d *DB) claimSQL() string {
	// The distinct lanes with pending messages come from a skip scan (one
	// index probe each) rather than a read of every pending message; each
	// chosen lane is then walked in id order from its locked first due
	// message, one index probe per message. The rows to lock and update
	// are checked pending as "not any other state", which no partial index
	// on pending rows serves: so they are looked up by primary key, even
	// when Postgres's statistics are stale (after a burst of enqueues) and
	// make it believe a scan of the whole pending index is cheaper.
	return `WITH RECURSIVE lanes(lane) AS (
			SELECT lane FROM (SELECT lane FROM outbox WHERE state = 'pending' AND lane > '' ORDER BY lane LIMIT 1) AS first
			UNION ALL
			SELECT (SELECT o.lane FROM outbox o WHERE o.state = 'pending' AND o.lane > l.lane ORDER BY o.lane LIMIT 1)
			FROM lanes l WHERE l.lane IS NOT NULL
		),
		known(k, n) AS (` + d.dialect.pairs + `),
		fresh(k, n) AS (` + d.dialect.pairs + `),
		cand AS MATERIALIZED (
			SELECT l.lane AS lane,
				COALESCE(
					(SELECT known.n FROM known WHERE known.k = l.lane),
					(SELECT fresh.n FROM fresh WHERE substr(l.lane, 1, length(fresh.k)) = fresh.k ORDER BY length(fresh.k) DESC LIMIT 1),
					?) AS n,
				(SELECT o.id FROM outbox o WHERE o.lane = l.lane AND ` + laneDue + ` ORDER BY o.id LIMIT 1) AS first
			FROM lanes l
			WHERE l.lane IS NOT NULL AND ` + laneFree + `
		),
		heads AS MATERIALIZED (
			SELECT o.id AS id, o.lane AS lane FROM outbox o
			WHERE ` + d.dialect.idIn("o.id", `SELECT first FROM cand WHERE first IS NOT NULL AND n > 0 ORDER BY first LIMIT ?`) + `
			  AND o.state NOT IN ('sending', 'sent', 'dead')` + d.dialect.lockHeads + `
		),
		walk(lane, id, rank, n) AS (
			SELECT heads.lane, heads.id, 1, cand.n FROM heads JOIN cand ON cand.lane = heads.lane
			UNION ALL
			SELECT walk.lane, (SELECT o.id FROM outbox o WHERE o.lane = walk.lane AND o.id > walk.id AND ` + laneDue + ` ORDER BY o.id LIMIT 1), walk.rank + 1, walk.n
			FROM walk WHERE walk.id IS NOT NULL AND walk.rank < walk.n
		),
		picked(id, rank) AS (
			SELECT id, rank FROM walk WHERE id IS NOT NULL
			UNION ALL
			SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM (
				SELECT o.id FROM outbox o WHERE o.lane = '' AND ` + laneDue + `
				ORDER BY o.id LIMIT ?` + d.dialect.skipLocked + `) AS free
		)
		UPDATE outbox SET state = 'sending', attempts = attempts + 1, rate_limited = FALSE, claimed_at = ?, claimed_by = ?, updated_at = ?
		WHERE ` + d.dialect.idIn("id", `SELECT id FROM picked ORDER BY rank, id LIMIT ?`) + ` AND state NOT IN ('sending', 'sent', 'dead')
		RETURNING id, key, platform, kind, payload, parent_id, attempts, reclaimed, created_at, lane`
}

// prepared is a statement prepared once per DB: ClaimLanes's costs more to
// plan (and, on SQLite, to parse) than to run.
type prepared struct {
	mu   sync.Mutex
	stmt *sqlx.Stmt
}

func (p *prepared) get(ctx context.Context, d *DB, query func() string) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt == nil {
		stmt, err := d.db.PreparexContext(ctx, d.db.Rebind(query()))
		if err != nil {
			return nil, err
		}
		p.stmt = stmt
	}
	return p.stmt, nil
}

// pair is one row of dialect.pairs.
type pair struct {
	K string `json:"k"`
	N int    `json:"n"`
}

func pairsJSON(m map[string]int) string {
	ps := make([]pair, 0, len(m))
	for k, n := range m {
		ps = append(ps, pair{k, n})
	}
	b, _ := json.Marshal(ps) // strings and ints always marshal
	return string(b)
}

// laneDue is the condition that the outbox row o is due at the time in the
// query's next parameter: pending, its next attempt passed, its parent
// (if any) sent.
const laneDue = `o.state = 'pending' AND o.next_attempt_at <= ?
	AND (o.parent_id IS NULL OR EXISTS (SELECT 1 FROM outbox p WHERE p.id = o.parent_id AND p.state = 'sent'))`

// laneFree is the condition that nothing of the lane l.lane is being sent,
// nor held by a rate-limited message at the time in the query's next
// parameter.
const laneFree = `NOT EXISTS (SELECT 1 FROM outbox s WHERE s.state = 'sending' AND s.lane = l.lane)
	AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.state = 'pending' AND r.rate_limited AND r.lane = l.lane AND r.next_attempt_at > ?)`

// ReplicaLease is the name of the lease a replica holds while it lives
// (held by its dispatcher, renewed well within its TTL): its claims on
// outbox messages are taken back as soon as it lapses.
func ReplicaLease(owner string) string { return replicaLeasePrefix + owner }

const replicaLeasePrefix = "replica:"

// LaneBacklog is what waits in one lane of the outbox.
type LaneBacklog struct {
	Lane     string
	Messages int       // pending or being sent
	Oldest   time.Time // when the oldest of them was enqueued
	// PausedUntil is when a rate-limited message stops holding the lane;
	// zero when none does.
	PausedUntil time.Time
}

// OutboxLanes returns every lane with messages not sent yet, by name.
func (d *DB) OutboxLanes(ctx context.Context, now time.Time) ([]LaneBacklog, error) {
	// The oldest message and the pausing one are joined back by id, so
	// that their times come from real columns (SQLite types what it
	// returns by the column it reads).
	var rows []struct {
		Lane   string     `db:"lane"`
		N      int        `db:"n"`
		Oldest time.Time  `db:"oldest"`
		Paused *time.Time `db:"paused"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT g.lane AS lane, g.n AS n, f.created_at AS oldest, p.next_attempt_at AS paused
		FROM (SELECT lane, COUNT(*) AS n, MIN(id) AS first,
				MIN(CASE WHEN state = 'pending' AND rate_limited AND next_attempt_at > ? THEN id END) AS pausing
			FROM outbox WHERE state IN ('pending', 'sending') AND lane <> '' GROUP BY lane) AS g
		JOIN outbox f ON f.id = g.first
		LEFT JOIN outbox p ON p.id = g.pausing
		ORDER BY g.lane`), now.UTC())
	if err != nil {
		return nil, fmt.Errorf("outbox lanes: %w", err)
	}
	out := make([]LaneBacklog, len(rows))
	for i, r := range rows {
		out[i] = LaneBacklog{Lane: r.Lane, Messages: r.N, Oldest: r.Oldest.UTC()}
		if r.Paused != nil {
			out[i].PausedUntil = r.Paused.UTC()
		}
	}
	return out, nil
}
