-- +goose Up
-- Moderation: the channel a case happened in, confirmations waiting for a
-- moderator's click (an escalation, a purge), and which mod-log message
-- shows each case (so a reason edit updates it, and a burst is batched).

ALTER TABLE mod_cases ADD COLUMN channel_id TEXT NOT NULL DEFAULT '';

-- A question asked of a moderator (confirm an escalation, confirm a purge):
-- what would be done, until the moderator clicks or it expires.
CREATE TABLE mod_pending (
    id              BIGSERIAL PRIMARY KEY,
    guild_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,              -- escalation | purge
    moderator_id    TEXT NOT NULL,              -- the Discord user id who must answer
    payload         TEXT NOT NULL,              -- JSON: the request, as the handler reads it
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | done | cancelled
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);

-- The mod-log message of each case, per platform: its own, or a batch
-- shared with the other cases of a burst.
CREATE TABLE mod_log_posts (
    guild_id        TEXT NOT NULL,
    case_number     BIGINT NOT NULL,
    platform        TEXT NOT NULL,              -- discord | slack
    outbox_key      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, case_number, platform)
);
CREATE INDEX mod_log_posts_key ON mod_log_posts (outbox_key);
CREATE INDEX mod_log_posts_recent ON mod_log_posts (guild_id, platform, created_at);

-- +goose Down
DROP TABLE mod_log_posts;
DROP TABLE mod_pending;
ALTER TABLE mod_cases DROP COLUMN channel_id;
