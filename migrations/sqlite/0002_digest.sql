-- +goose Up
-- The community digest: what the roll-ups of 0001 lack to answer a digest
-- fast over a busy server. Counts only, never message text.

-- Distinct authors of the channel that day, and whether a message came from
-- staff (so staff can be left out of top contributors).
ALTER TABLE stats_channel_daily ADD COLUMN authors BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_author_daily ADD COLUMN staff BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX stats_author_daily_by_day ON stats_author_daily (day);

-- Per digest period (zone|first day|end day, see bot.Period.Key), kept up to
-- date as messages arrive: the digest reads one row instead of a week of
-- per-author rows.
CREATE TABLE stats_period (
    period          TEXT NOT NULL,
    guild_id        TEXT NOT NULL,
    messages        BIGINT NOT NULL DEFAULT 0,
    authors         BIGINT NOT NULL DEFAULT 0,  -- distinct authors in the period
    threads_started BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (period, guild_id)
);

CREATE TABLE stats_author_period (
    period          TEXT NOT NULL,
    guild_id        TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    messages        BIGINT NOT NULL DEFAULT 0,
    staff           BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (period, guild_id, author_id)
);
CREATE INDEX stats_author_period_top ON stats_author_period (period, staff, messages);

-- A period's rows are complete only when they were kept from its first day
-- on: registered_at, before the period starts, says so. Otherwise the
-- digest reads the daily roll-ups.
CREATE TABLE stats_periods_tracked (
    period          TEXT PRIMARY KEY,
    starts_at       TIMESTAMP   NOT NULL,
    registered_at   TIMESTAMP   NOT NULL
);

-- Channel names as the platform last reported them, for the digest.
CREATE TABLE stats_channels (
    guild_id        TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (guild_id, channel_id)
);

-- +goose Down
DROP TABLE stats_channels;
DROP TABLE stats_periods_tracked;
DROP TABLE stats_author_period;
DROP TABLE stats_period;
DROP INDEX stats_author_daily_by_day;
ALTER TABLE stats_author_daily DROP COLUMN staff;
ALTER TABLE stats_channel_daily DROP COLUMN authors;
