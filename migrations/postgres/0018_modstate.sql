-- +goose Up
-- Moderation that knows what is in force and stops raids.

-- Messages moderation removed (automod, a purge, the Delete button of a
-- relay): left out of the digest's public figures and top contributors.
CREATE TABLE mod_removed_messages (
    guild_id        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL,      -- when the message was posted: the day it was counted on
    removed_by      TEXT NOT NULL,             -- automod, or the moderator's Discord id
    PRIMARY KEY (guild_id, message_id)
);
CREATE INDEX mod_removed_messages_sent ON mod_removed_messages (sent_at);

-- Joins, kept for the raid window (counted in the store, so across
-- restarts and replicas), the raid alert's list, and what the join gate did.
CREATE TABLE raid_joins (
    guild_id        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    user_name       TEXT NOT NULL,
    joined_at       TIMESTAMPTZ NOT NULL,
    account_at      TIMESTAMPTZ NOT NULL,      -- the account's creation, from its id
    gate            TEXT NOT NULL DEFAULT '',  -- what the join gate did: kick | timeout | role, '' nothing
    gate_case       BIGINT,                    -- the gate's case
    raid_id         BIGINT,                    -- the raid the gate acted in
    undone_case     BIGINT,                    -- the case that lifted it (/raid undo)
    PRIMARY KEY (guild_id, user_id, joined_at)
);
CREATE INDEX raid_joins_recent ON raid_joins (guild_id, joined_at);

-- Mentions sent by new members, a row per message, for the mention rate.
CREATE TABLE raid_mentions (
    guild_id        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    mentions        INTEGER NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, message_id)
);
CREATE INDEX raid_mentions_recent ON raid_mentions (guild_id, sent_at);

-- Raid mode, a row per raid. active_guild is the server while the raid
-- lasts and NULL after: one raid at a time per server, whichever replica
-- sees it first.
CREATE TABLE raids (
    id              BIGSERIAL PRIMARY KEY,
    guild_id        TEXT NOT NULL,
    active_guild    TEXT UNIQUE,
    trigger         TEXT NOT NULL,             -- what started it, in words
    window_start    TIMESTAMPTZ NOT NULL,      -- the joins listed in the alert joined from then
    started_at      TIMESTAMPTZ NOT NULL,
    ended_at        TIMESTAMPTZ,
    ended_by        TEXT NOT NULL DEFAULT '',
    undone_at       TIMESTAMPTZ
);
CREATE INDEX raids_guild ON raids (guild_id, id);

-- +goose Down
DROP TABLE raids;
DROP TABLE raid_mentions;
DROP TABLE raid_joins;
DROP TABLE mod_removed_messages;
