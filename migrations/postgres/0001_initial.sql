-- +goose Up
-- The first schema: what the foundation needs (outbox, inbound de-duplication,
-- leases, job runs) and the tables the next capabilities fill (members,
-- feedback, drafts and approvals, moderation cases, daily statistics).
-- All times are UTC (timestamptz); days are local dates in the configured
-- timezone, stored as 'YYYY-MM-DD' text so both dialects compare them alike.

-- Everyone seen on either platform. A staff row links to its people: entry.
CREATE TABLE members (
    id              BIGSERIAL PRIMARY KEY,
    platform        TEXT NOT NULL,              -- 'discord' | 'slack'
    scope_id        TEXT NOT NULL,              -- Discord guild id or Slack team id
    user_id         TEXT NOT NULL,              -- platform user id
    username        TEXT NOT NULL DEFAULT '',
    display_name    TEXT NOT NULL DEFAULT '',
    person          TEXT,                       -- name from people: when staff
    is_bot          BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at       TIMESTAMPTZ,
    left_at         TIMESTAMPTZ,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, scope_id, user_id)
);
CREATE INDEX members_person ON members (person) WHERE person IS NOT NULL;

-- A tracked piece of feedback: one per source message.
CREATE TABLE feedback_items (
    id                  BIGSERIAL PRIMARY KEY,
    source_key          TEXT NOT NULL UNIQUE,   -- e.g. discord:<channel>:<message>, slack:<channel>:<ts>
    source              TEXT NOT NULL,          -- 'discord' | 'slack' | 'feed'
    intake              TEXT NOT NULL,          -- channel | flag | command | context_menu | staff | feed
    scope_id            TEXT NOT NULL DEFAULT '',
    channel_id          TEXT NOT NULL DEFAULT '',
    channel_name        TEXT NOT NULL DEFAULT '',
    message_id          TEXT NOT NULL DEFAULT '',
    permalink           TEXT NOT NULL DEFAULT '',
    author_id           TEXT NOT NULL DEFAULT '',
    author_name         TEXT NOT NULL DEFAULT '',
    customer            TEXT NOT NULL DEFAULT '', -- who said it, when staff log it for someone
    logged_by           TEXT NOT NULL DEFAULT '', -- staff who logged it, when not the author
    text                TEXT NOT NULL,
    tags                TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    sentiment           TEXT NOT NULL DEFAULT 'neutral',
    sentiment_score     DOUBLE PRECISION NOT NULL DEFAULT 0,
    sentiment_reasons   TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'open', -- open | acknowledged | answered | closed
    edited              BOOLEAN NOT NULL DEFAULT FALSE,
    deleted             BOOLEAN NOT NULL DEFAULT FALSE,
    votes               INTEGER NOT NULL DEFAULT 0,
    owner               TEXT NOT NULL DEFAULT '',     -- who claimed it
    handled_by          TEXT NOT NULL DEFAULT '',     -- who acknowledged / closed it
    close_reason        TEXT NOT NULL DEFAULT '',
    reminders_sent      INTEGER NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    first_response_at   TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ
);
CREATE INDEX feedback_items_created ON feedback_items (created_at);
CREATE INDEX feedback_items_open ON feedback_items (status, created_at);

-- Where each item was relayed, and the Slack message that shows it.
CREATE TABLE feedback_relays (
    feedback_id     BIGINT NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    destination     TEXT NOT NULL,              -- config channel reference
    route           TEXT NOT NULL DEFAULT '',   -- name of the rule that sent it there
    outbox_key      TEXT NOT NULL,
    channel_id      TEXT NOT NULL DEFAULT '',
    message_ts      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (feedback_id, destination)
);
CREATE INDEX feedback_relays_message ON feedback_relays (channel_id, message_ts);

-- One vote per person per item, whichever platform it came from.
CREATE TABLE feedback_votes (
    feedback_id     BIGINT NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    voter           TEXT NOT NULL,              -- platform:user id, or person name when mapped
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (feedback_id, voter)
);

-- What people did to an item: acknowledged, tagged, claimed, closed, edited…
CREATE TABLE feedback_events (
    id              BIGSERIAL PRIMARY KEY,
    feedback_id     BIGINT NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    actor           TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_events_item ON feedback_events (feedback_id, id);

-- A reply drafted in Slack, published to Discord after approval.
CREATE TABLE drafts (
    id                  BIGSERIAL PRIMARY KEY,
    feedback_id         BIGINT REFERENCES feedback_items (id),
    target_guild_id     TEXT NOT NULL,
    target_channel_id   TEXT NOT NULL,
    target_message_id   TEXT NOT NULL,
    target_author_id    TEXT NOT NULL DEFAULT '',
    target_text         TEXT NOT NULL DEFAULT '',
    text                TEXT NOT NULL,
    text_hash           TEXT NOT NULL,          -- sha256 of text and target, hex
    author              TEXT NOT NULL,          -- Slack user id
    status              TEXT NOT NULL DEFAULT 'pending', -- pending | approved | rejected | expired | stale | posted | failed
    slack_channel_id    TEXT NOT NULL DEFAULT '',
    slack_ts            TEXT NOT NULL DEFAULT '',
    discord_message_id  TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ,
    posted_at           TIMESTAMPTZ
);
CREATE INDEX drafts_status ON drafts (status, expires_at);

-- An approval is bound to the exact text (and target) it approved.
CREATE TABLE approvals (
    draft_id        BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    approver        TEXT NOT NULL,
    text_hash       TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (draft_id, approver, text_hash)
);

-- A draft's full history: created, edited, approved, rejected, expired, posted.
CREATE TABLE draft_events (
    id              BIGSERIAL PRIMARY KEY,
    draft_id        BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    actor           TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    text_hash       TEXT NOT NULL DEFAULT '',
    old_hash        TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX draft_events_draft ON draft_events (draft_id, id);

-- Per-server case numbers, gapless: the counter row is locked while a case is taken.
CREATE TABLE mod_case_counters (
    guild_id        TEXT PRIMARY KEY,
    last_number     BIGINT NOT NULL
);

CREATE TABLE mod_cases (
    guild_id            TEXT NOT NULL,
    number              BIGINT NOT NULL,
    action              TEXT NOT NULL,          -- warn | timeout | untimeout | kick | ban | unban | purge | slowmode | note
    target_id           TEXT NOT NULL DEFAULT '',
    target_name         TEXT NOT NULL DEFAULT '',
    moderator_id        TEXT NOT NULL DEFAULT '',
    moderator_name      TEXT NOT NULL DEFAULT '',
    reason              TEXT NOT NULL DEFAULT '',
    duration_seconds    BIGINT,
    expires_at          TIMESTAMPTZ,
    source              TEXT NOT NULL,          -- discord | slack | automod | manual
    trigger_message_id  TEXT NOT NULL DEFAULT '',
    linked_case         BIGINT,
    points              INTEGER NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, number)
);
CREATE INDEX mod_cases_target ON mod_cases (guild_id, target_id, created_at);
CREATE INDEX mod_cases_created ON mod_cases (created_at);

-- Temporary actions to undo or renew; a job acts on each once.
CREATE TABLE mod_expiries (
    id              BIGSERIAL PRIMARY KEY,
    guild_id        TEXT NOT NULL,
    case_number     BIGINT NOT NULL,
    action          TEXT NOT NULL,              -- unban | untimeout | renew_timeout
    target_id       TEXT NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | done | cancelled
    done_at         TIMESTAMPTZ,
    detail          TEXT NOT NULL DEFAULT '',
    UNIQUE (guild_id, case_number, action)
);
CREATE INDEX mod_expiries_due ON mod_expiries (status, due_at);

-- Every outgoing platform write. Written in the same transaction as the state
-- change that caused it; the key makes a retry or a redelivery a no-op.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    platform        TEXT NOT NULL,              -- 'slack' | 'discord'
    kind            TEXT NOT NULL,              -- post | update | react | upload | action …
    payload         TEXT NOT NULL,              -- JSON understood by the platform's sender
    parent_id       BIGINT REFERENCES outbox (id),
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    reclaimed       BOOLEAN NOT NULL DEFAULT FALSE,  -- taken back from a crashed sender: check before re-sending
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_at      TIMESTAMPTZ,
    claimed_by      TEXT NOT NULL DEFAULT '',
    platform_id     TEXT NOT NULL DEFAULT '',   -- Slack ts or Discord message id, once sent
    platform_channel TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (claimed_at) WHERE state = 'sending';
CREATE INDEX outbox_parent ON outbox (parent_id) WHERE parent_id IS NOT NULL;

-- Inbound de-duplication on platform identity: a second insert of the same
-- (kind, key) is the signal that the event was already handled.
CREATE TABLE inbound_events (
    kind            TEXT NOT NULL,              -- slack_event | slack_message | discord_message | discord_interaction …
    key             TEXT NOT NULL,              -- e.g. T123:Ev456, C123:1700000000.000100
    received_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX inbound_events_received ON inbound_events (received_at);

-- Leadership and ownership: a row with an expiry its holder renews.
CREATE TABLE leases (
    name            TEXT PRIMARY KEY,
    holder          TEXT NOT NULL,
    locked_until    TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- One row per scheduled slot of a job, so a slot runs once.
CREATE TABLE job_runs (
    job             TEXT NOT NULL,
    slot            TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL,              -- running | done | skipped | failed
    delayed         BOOLEAN NOT NULL DEFAULT FALSE,
    owner           TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    PRIMARY KEY (job, slot)
);

-- Daily roll-ups the digest reads. Counts only, never message text.
CREATE TABLE stats_channel_daily (
    guild_id        TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    day             TEXT NOT NULL,              -- YYYY-MM-DD in the configured timezone
    messages        BIGINT NOT NULL DEFAULT 0,
    threads_started BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, channel_id, day)
);
CREATE INDEX stats_channel_daily_day ON stats_channel_daily (guild_id, day);

CREATE TABLE stats_author_daily (
    guild_id        TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    day             TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    messages        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day, channel_id, author_id)
);

CREATE TABLE stats_guild_daily (
    guild_id        TEXT NOT NULL,
    day             TEXT NOT NULL,
    joins           BIGINT NOT NULL DEFAULT 0,
    leaves          BIGINT NOT NULL DEFAULT 0,
    member_count    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day)
);

-- +goose Down
DROP TABLE stats_guild_daily;
DROP TABLE stats_author_daily;
DROP TABLE stats_channel_daily;
DROP TABLE job_runs;
DROP TABLE leases;
DROP TABLE inbound_events;
DROP TABLE outbox;
DROP TABLE mod_expiries;
DROP TABLE mod_cases;
DROP TABLE mod_case_counters;
DROP TABLE draft_events;
DROP TABLE approvals;
DROP TABLE drafts;
DROP TABLE feedback_events;
DROP TABLE feedback_votes;
DROP TABLE feedback_relays;
DROP TABLE feedback_items;
DROP TABLE members;
