-- +goose Up
-- Giveaways: one row per giveaway, its entries (one per person), the order
-- its draw fixed (winners, then reserves) and the rounds that made winners
-- (the draw, then each reroll with its public reason).

CREATE TABLE giveaways (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            TEXT NOT NULL,
    channel_id          TEXT NOT NULL,              -- where the giveaway message is
    prize               TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    winners             INTEGER NOT NULL,
    requires_role       TEXT NOT NULL DEFAULT '',   -- a role id, '' for none
    requires_role_name  TEXT NOT NULL DEFAULT '',   -- its name when the giveaway started
    min_account_age     BIGINT NOT NULL DEFAULT 0,  -- seconds
    min_member_for      BIGINT NOT NULL DEFAULT 0,  -- seconds
    bonus_role          TEXT NOT NULL DEFAULT '',
    bonus_role_name     TEXT NOT NULL DEFAULT '',
    bonus_tickets       INTEGER NOT NULL DEFAULT 0,
    host_id             TEXT NOT NULL,              -- the Discord id of who started it
    host_name           TEXT NOT NULL,
    source              TEXT NOT NULL,              -- discord | slack
    state               TEXT NOT NULL DEFAULT 'open', -- open | drawn | cancelled
    cancel_reason       TEXT NOT NULL DEFAULT '',
    seed                TEXT NOT NULL,              -- 32 bytes, lowercase hex; secret until drawn
    commitment          TEXT NOT NULL,              -- sha256(seed), lowercase hex
    entrants_hash       TEXT NOT NULL DEFAULT '',
    message_key         TEXT NOT NULL,              -- outbox key of the giveaway message
    message_id          TEXT NOT NULL DEFAULT '',   -- its Discord id, once known
    count_seq           INTEGER NOT NULL DEFAULT 0, -- entry-count edits enqueued so far
    count_due_at        TIMESTAMP,                -- when the last one was due
    ends_at             TIMESTAMP NOT NULL,
    drawn_at            TIMESTAMP,
    late_reason         TEXT NOT NULL DEFAULT '',   -- why the draw came after ends_at
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX giveaways_due ON giveaways (state, ends_at);

CREATE TABLE giveaway_entries (
    giveaway_id         BIGINT NOT NULL REFERENCES giveaways (id),
    user_id             TEXT NOT NULL,
    user_name           TEXT NOT NULL,
    tickets             INTEGER NOT NULL,
    entered_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (giveaway_id, user_id)
);

-- The whole order the draw fixed: won_round is the round that made the
-- entrant a winner (0: the draw), NULL while they are a reserve.
CREATE TABLE giveaway_draws (
    giveaway_id         BIGINT NOT NULL REFERENCES giveaways (id),
    position            INTEGER NOT NULL,           -- 1 is the first drawn
    user_id             TEXT NOT NULL,
    tickets             INTEGER NOT NULL,
    won_round           INTEGER,
    claimed_at          TIMESTAMP,
    forfeited_at        TIMESTAMP,                -- replaced by a reroll
    PRIMARY KEY (giveaway_id, position)
);

CREATE TABLE giveaway_rounds (
    giveaway_id         BIGINT NOT NULL REFERENCES giveaways (id),
    round               INTEGER NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',   -- a reroll's public reason
    actor               TEXT NOT NULL DEFAULT '',
    announcement_key    TEXT NOT NULL,
    claim_until         TIMESTAMP NOT NULL,
    failure_reported_at TIMESTAMP,                -- staff were told Discord refused the announcement
    unclaimed_at        TIMESTAMP,                -- staff were told who did not claim
    created_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (giveaway_id, round)
);
CREATE INDEX giveaway_rounds_claims ON giveaway_rounds (claim_until) WHERE unclaimed_at IS NULL;

-- +goose Down
DROP TABLE giveaway_rounds;
DROP TABLE giveaway_draws;
DROP TABLE giveaway_entries;
DROP TABLE giveaways;
