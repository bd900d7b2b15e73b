-- +goose Up
-- The newest message Liaison handled in each watched Discord channel, so a
-- restart catches up on what was posted while it was down.
CREATE TABLE discord_cursors (
    channel_id      TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE discord_cursors;
