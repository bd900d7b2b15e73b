-- +goose Up
-- What the roll-ups have yet to count: each message, join, leave and member
-- count report is appended here in the transaction that records its event
-- as seen, and folded into the stats_* tables in batches. Appending touches
-- no shared row, so busy channels do not serialise their events on the
-- roll-ups' counters.
CREATE TABLE stats_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,              -- message | join | leave | count
    guild_id        TEXT NOT NULL,
    channel_id      TEXT NOT NULL DEFAULT '',
    channel_name    TEXT NOT NULL DEFAULT '',
    user_id         TEXT NOT NULL DEFAULT '',
    user_name       TEXT NOT NULL DEFAULT '',
    user_display    TEXT NOT NULL DEFAULT '',
    day             TEXT NOT NULL,              -- YYYY-MM-DD in the configured timezone
    periods         TEXT NOT NULL DEFAULT '',   -- digest period keys, one per line
    thread_start    BOOLEAN NOT NULL DEFAULT 0,
    staff           BOOLEAN NOT NULL DEFAULT 0,
    member_count    BIGINT NOT NULL DEFAULT 0,
    happened_at     TIMESTAMP,                -- joins and leaves: when
    recorded_at     TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE stats_events;
