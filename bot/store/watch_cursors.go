package store

import (
	"context"
	"fmt"
	"time"
)

// WatchCursor is where one cursored request of a watch source resumes: the
// source's own cursor value and the validators of its last answer.
type WatchCursor struct {
	Source       string    `db:"source"`
	Key          string    `db:"key"`
	Value        string    `db:"value"`
	ETag         string    `db:"etag"`
	LastModified string    `db:"last_modified"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// WatchCursor returns the cursor of (source, key); a zero Value (and no
// error) when there is none yet.
func (d *DB) WatchCursor(ctx context.Context, source, key string) (WatchCursor, error) {
	var rows []WatchCursor
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT source, key, value, etag, last_modified, updated_at
		FROM watch_cursors WHERE source = ? AND key = ?`), source, key)
	if err != nil {
		return WatchCursor{}, fmt.Errorf("watch cursor %s %q: %w", source, key, err)
	}
	if len(rows) == 0 {
		return WatchCursor{Source: source, Key: key}, nil
	}
	rows[0].UpdatedAt = rows[0].UpdatedAt.UTC()
	return rows[0], nil
}

// SaveWatchCursor records c (replacing the cursor of its source and key).
// The poller calls it only after what the cursor covers was handed on.
func (d *DB) SaveWatchCursor(ctx context.Context, now time.Time, c WatchCursor) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO watch_cursors (source, key, value, etag, last_modified, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, etag = excluded.etag,
			last_modified = excluded.last_modified, updated_at = excluded.updated_at`),
		c.Source, c.Key, c.Value, c.ETag, c.LastModified, now.UTC())
	if err != nil {
		return fmt.Errorf("save watch cursor %s %q: %w", c.Source, c.Key, err)
	}
	return nil
}

// WatchHealth is a watch source's health: working (zero FailingSince) or
// failing since a time, with its last error, the failures counted since,
// and whether the outage was reported.
type WatchHealth struct {
	Source       string     `db:"source"`
	FailingSince *time.Time `db:"failing_since"`
	LastError    string     `db:"last_error"`
	Failures     int        `db:"failures"`
	Notified     bool       `db:"notified"`
}

// Failing reports whether the source is failing.
func (h WatchHealth) Failing() bool { return h.FailingSince != nil }

// WatchHealths returns the health of every source that has one recorded
// (for status pages and doctor), by source.
func (d *DB) WatchHealths(ctx context.Context) ([]WatchHealth, error) {
	var rows []WatchHealth
	err := d.db.SelectContext(ctx, &rows, `SELECT source, failing_since, last_error, failures, notified
		FROM watch_health ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("watch health: %w", err)
	}
	for i := range rows {
		rows[i].FailingSince = utcTime(rows[i].FailingSince)
	}
	return rows, nil
}

// watchHealth reads (and on Postgres locks) source's health row in tx.
func (tx *Tx) watchHealth(ctx context.Context, source string) (WatchHealth, error) {
	var rows []WatchHealth
	err := tx.tx.SelectContext(ctx, &rows, tx.rebind(`SELECT source, failing_since, last_error, failures, notified
		FROM watch_health WHERE source = ?`+tx.db.dialect.forUpdate), source)
	if err != nil {
		return WatchHealth{}, fmt.Errorf("watch health of %s: %w", source, err)
	}
	if len(rows) == 0 {
		return WatchHealth{Source: source}, nil
	}
	rows[0].FailingSince = utcTime(rows[0].FailingSince)
	return rows[0], nil
}

func (tx *Tx) putWatchHealth(ctx context.Context, now time.Time, h WatchHealth) error {
	var since any
	if h.FailingSince != nil {
		since = h.FailingSince.UTC()
	}
	_, err := tx.exec(ctx, `INSERT INTO watch_health (source, failing_since, last_error, failures, notified, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET failing_since = excluded.failing_since, last_error = excluded.last_error,
			failures = excluded.failures, notified = excluded.notified, updated_at = excluded.updated_at`,
		h.Source, since, h.LastError, h.Failures, h.Notified, now.UTC())
	if err != nil {
		return fmt.Errorf("save watch health of %s: %w", h.Source, err)
	}
	return nil
}

// RecordWatchFailure records that source failed at now with reason, in one
// transaction that also calls notify with the health after the failure:
// notify returns true when it reported the outage (writing its message with
// tx), which is then remembered so the outage is reported once. An error
// from notify rolls everything back.
func (d *DB) RecordWatchFailure(ctx context.Context, now time.Time, source, reason string,
	notify func(tx *Tx, h WatchHealth) (bool, error)) (WatchHealth, error) {
	var out WatchHealth
	err := d.InTx(ctx, func(tx *Tx) error {
		h, err := tx.watchHealth(ctx, source)
		if err != nil {
			return err
		}
		if h.FailingSince == nil {
			t := now.UTC()
			h.FailingSince, h.Failures, h.Notified = &t, 0, false
		}
		h.Failures++
		h.LastError = reason
		if !h.Notified && notify != nil {
			told, err := notify(tx, h)
			if err != nil {
				return err
			}
			h.Notified = told
		}
		out = h
		return tx.putWatchHealth(ctx, now, h)
	})
	return out, err
}

// RecordWatchSuccess records that source worked at now. When it was
// failing, the same transaction calls notify with the health as it was
// (notify reports the recovery when the outage had been reported) and the
// source is marked working. It returns the health as it was.
func (d *DB) RecordWatchSuccess(ctx context.Context, now time.Time, source string,
	notify func(tx *Tx, was WatchHealth) error) (WatchHealth, error) {
	var was WatchHealth
	err := d.InTx(ctx, func(tx *Tx) error {
		h, err := tx.watchHealth(ctx, source)
		if err != nil {
			return err
		}
		was = h
		if h.FailingSince == nil {
			return nil
		}
		if notify != nil {
			if err := notify(tx, h); err != nil {
				return err
			}
		}
		return tx.putWatchHealth(ctx, now, WatchHealth{Source: source})
	})
	return was, err
}

func utcTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
