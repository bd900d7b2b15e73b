-- +goose Up
-- The watch's side of the web: mentions (one per canonical URL, found by a
-- query and posted to its route; an alert when negative or alarming), the
-- mutes and applied exclusions that drop the next ones, the exclusion words
-- "not about us" suggests to admins, and the spikes that collapse a burst
-- of alerts into one message. All times are UTC (TIMESTAMP).

CREATE TABLE watch_mentions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    url_hash         TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the canonical URL: the dedupe key
    url              TEXT NOT NULL,              -- canonical URL (tracking parameters stripped)
    story_hash       TEXT NOT NULL DEFAULT '',   -- hash of the canonical story URL several sources share
    source           TEXT NOT NULL,              -- feeds | hn | reddit | mastodon | stackexchange | github
    item_id          TEXT NOT NULL DEFAULT '',
    feed             TEXT NOT NULL DEFAULT '',
    author           TEXT NOT NULL DEFAULT '',
    site             TEXT NOT NULL DEFAULT '',   -- host, without www.
    title            TEXT NOT NULL DEFAULT '',
    excerpt          TEXT NOT NULL DEFAULT '',
    lang             TEXT NOT NULL DEFAULT '',
    published_at     TIMESTAMP,
    sentiment        TEXT NOT NULL DEFAULT 'neutral',
    sentiment_score  REAL NOT NULL DEFAULT 0,
    query            TEXT NOT NULL,              -- the query that matched (its name in config)
    terms            TEXT NOT NULL DEFAULT '',   -- the terms that matched, as written
    score            INTEGER NOT NULL DEFAULT 0,
    comments         INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'new', -- new | claimed | answered | not_about_us | dropped
    dropped_by       TEXT NOT NULL DEFAULT '',   -- the mute that dropped it: author:NAME, site:HOST, words:W
    channel_id       TEXT NOT NULL DEFAULT '',   -- Slack channel of its post
    outbox_key       TEXT NOT NULL DEFAULT '',   -- its post
    thread_key       TEXT NOT NULL DEFAULT '',   -- the story's first post, when threaded under it
    claimed_by       TEXT NOT NULL DEFAULT '',
    claimed_by_id    TEXT NOT NULL DEFAULT '',   -- Slack user id of the claimer
    claimed_at       TIMESTAMP,
    answered_by      TEXT NOT NULL DEFAULT '',
    answered_at      TIMESTAMP,
    answer_url       TEXT NOT NULL DEFAULT '',
    draft_id         BIGINT,                     -- the reply drafted for it
    alert_state      TEXT NOT NULL DEFAULT '',   -- '' | open | escalated | spiked | closed
    alert_key        TEXT NOT NULL DEFAULT '',   -- the alert's post
    alert_why        TEXT NOT NULL DEFAULT '',   -- why it is an alert: "negative: scam", "says outage"
    alert_due        TIMESTAMP,                -- respond_within, in business hours
    escalated_at     TIMESTAMP,
    reminded_at      TIMESTAMP,
    spike_id         BIGINT,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX watch_mentions_story ON watch_mentions (story_hash, query) WHERE story_hash <> '';
CREATE INDEX watch_mentions_created ON watch_mentions (created_at);
CREATE INDEX watch_mentions_alerts ON watch_mentions (query, alert_state, created_at) WHERE alert_state <> '';

-- What drops a query's next mentions: an author, a site, a story marked
-- "not about us", or words (an applied exclusion suggestion). dropped
-- counts the mentions it dropped; label is how lists show it.
CREATE TABLE watch_mutes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    query       TEXT NOT NULL,
    kind        TEXT NOT NULL,                   -- author | site | story | words
    value       TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    dropped     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (query, kind, value)
);

-- Exclusion words "not about us" proposes to admins, with Apply / Ignore.
CREATE TABLE watch_suggestions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    query       TEXT NOT NULL,
    mention_id  BIGINT NOT NULL,
    words       TEXT NOT NULL,                   -- space-separated folded words
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending', -- pending | applied | ignored
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  TIMESTAMP,
    UNIQUE (mention_id)
);

-- More than watch.burst alerts in 15 minutes on one query: one message,
-- edited as more arrive (edits counts the edits sent).
CREATE TABLE watch_spikes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    query       TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    last_at     TIMESTAMP NOT NULL,
    alerts      INTEGER NOT NULL DEFAULT 0,
    edits       INTEGER NOT NULL DEFAULT 0,
    outbox_key  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX watch_spikes_query ON watch_spikes (query, last_at);

-- +goose Down
DROP TABLE watch_spikes;
DROP TABLE watch_suggestions;
DROP TABLE watch_mutes;
DROP TABLE watch_mentions;
