-- +goose Up
-- The digest for any period: a roll-up hierarchy over the daily rows, so a
-- period of up to 31 days reads a few rows per figure (whole months, then
-- whole ISO weeks, then single days) instead of every channel's and
-- author's days. Counts only, never message text.

-- A server's messages and threads started per day, ISO week (start_day is
-- its Monday) and month (start_day is its 1st), in the configured timezone;
-- authors is a HyperLogLog sketch of the distinct authors (guild, author)
-- that wrote in it (github.com/axiomhq/hyperloglog, precision 16), merged
-- across a period's rows for an estimate of its active members.
CREATE TABLE stats_rollup (
    level           TEXT NOT NULL,              -- day | week | month
    start_day       TEXT NOT NULL,              -- YYYY-MM-DD
    guild_id        TEXT NOT NULL,
    messages        BIGINT NOT NULL DEFAULT 0,
    threads_started BIGINT NOT NULL DEFAULT 0,
    authors         BLOB,
    PRIMARY KEY (level, start_day, guild_id)
);

-- Each author's messages per day, ISO week and month, all channels
-- together: the top contributors of any period. The busiest of a row are
-- read through stats_author_rollup_top; an author's rows of a period
-- through the primary key.
CREATE TABLE stats_author_rollup (
    level           TEXT NOT NULL,
    start_day       TEXT NOT NULL,
    guild_id        TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    messages        BIGINT NOT NULL DEFAULT 0,
    staff           BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, author_id, level, start_day)
);
CREATE INDEX stats_author_rollup_top ON stats_author_rollup (level, start_day, staff, messages);

-- The roll-ups are built from the daily rows once, by the first fold after
-- this migration (the sketches need Go), then kept by every fold.
CREATE TABLE stats_rollup_state (
    name            TEXT PRIMARY KEY,
    pending         BOOLEAN NOT NULL
);
INSERT INTO stats_rollup_state (name, pending) VALUES ('rebuild', 1);

-- +goose Down
DROP TABLE stats_rollup_state;
DROP TABLE stats_author_rollup;
DROP TABLE stats_rollup;
