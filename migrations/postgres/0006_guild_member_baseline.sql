-- +goose Up
-- A server's member count as Discord reports it when a session starts. Once
-- a server has one, its community size is that count plus the joins and
-- minus the leaves that follow; before, it is the members Liaison has seen.
CREATE TABLE stats_guild_baseline (
    guild_id        TEXT PRIMARY KEY,
    member_count    BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE stats_guild_baseline;
