-- +goose Up
-- Server event logs and modmail (issue 15).
--
-- What Liaison knows of each member of a Discord server, because Discord's
-- leave and update events carry no "before": roles (comma-separated ids),
-- nickname and when they joined. Updated from member events and from the
-- member list Liaison asks for once per gateway session.
CREATE TABLE member_facts (
    guild_id        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    username        TEXT NOT NULL DEFAULT '',
    nick            TEXT NOT NULL DEFAULT '',
    roles           TEXT NOT NULL DEFAULT '',
    is_bot          BOOLEAN NOT NULL DEFAULT 0,
    joined_at       TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- The text of recent messages, so an edit shows its "before" and a
-- deletion what was deleted: bounded per channel (moderation.logs.cache
-- messages, 7 days at most), pruned by the retention job.
CREATE TABLE message_cache (
    message_id      TEXT PRIMARY KEY,
    channel_id      TEXT NOT NULL,
    guild_id        TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    author_name     TEXT NOT NULL DEFAULT '',
    content         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX message_cache_channel ON message_cache (channel_id, created_at);
CREATE INDEX message_cache_created ON message_cache (created_at);

-- Invite use counts as last read: the invite whose count went up is the
-- one a newcomer used.
CREATE TABLE invite_uses (
    guild_id        TEXT NOT NULL,
    code            TEXT NOT NULL,
    uses            INTEGER NOT NULL,
    PRIMARY KEY (guild_id, code)
);

-- Server log entries, each in the log message (batch_key, an outbox key)
-- that shows it: one message per log channel per 10 s under bursts.
CREATE TABLE server_log_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    platform        TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    batch_key       TEXT NOT NULL,
    line            TEXT NOT NULL,
    post            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX server_log_entries_channel ON server_log_entries (platform, channel_id, id);
CREATE INDEX server_log_entries_batch ON server_log_entries (batch_key, id);

-- Modmail: a member's DMs to Liaison open a ticket, a Slack thread where
-- staff answer; one open ticket per member.
CREATE TABLE modmail_tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    user_name       TEXT NOT NULL,
    status          TEXT NOT NULL,
    slack_channel   TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    closed_at       TIMESTAMP,
    closed_by       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX modmail_tickets_open ON modmail_tickets (user_id) WHERE status = 'open';

-- Everything said in a ticket, for its log: the member's messages, staff's
-- answers (with who wrote them) and staff-only notes.
CREATE TABLE modmail_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       INTEGER NOT NULL REFERENCES modmail_tickets (id),
    kind            TEXT NOT NULL,
    author          TEXT NOT NULL,
    text            TEXT NOT NULL,
    outbox_key      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX modmail_messages_ticket ON modmail_messages (ticket_id, id);

-- +goose Down
DROP TABLE modmail_messages;
DROP TABLE modmail_tickets;
DROP TABLE server_log_entries;
DROP TABLE invite_uses;
DROP TABLE message_cache;
DROP TABLE member_facts;
