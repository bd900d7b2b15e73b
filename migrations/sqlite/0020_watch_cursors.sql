-- +goose Up
-- Where each of the watch's sources resumes: one cursor per (source, key),
-- the key naming one cursored request (a search, a feed, a subreddit, a
-- hashtag on an instance). value is the source's own cursor (newest time and
-- ids handled, newest status id, the ids a feed carried); etag and
-- last_modified are the validators of the last answer, sent back as a
-- conditional GET. A cursor is saved only after what it covers was handed
-- to the watch, so a restart neither misses nor repeats.
CREATE TABLE watch_cursors (
    source          TEXT NOT NULL,
    key             TEXT NOT NULL,
    value           TEXT NOT NULL DEFAULT '',
    etag            TEXT NOT NULL DEFAULT '',
    last_modified   TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (source, key)
);

-- Each source's health (a feed's, per feed: "feeds:NAME"): failing since
-- when (NULL: working), the last error, and whether the outage was reported
-- in Slack — once when it has lasted long enough, once when it ends.
CREATE TABLE watch_health (
    source          TEXT PRIMARY KEY,
    failing_since   TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    failures        INTEGER NOT NULL DEFAULT 0,
    notified        BOOLEAN NOT NULL DEFAULT 0,
    updated_at      TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE watch_health;
DROP TABLE watch_cursors;
