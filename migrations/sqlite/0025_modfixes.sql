-- +goose Up
-- What raid mode found before it set slowmode, so /raid off puts it back;
-- and the case that removed a message, so the server log recognises
-- Liaison's own purge instead of archiving its messages a second time.

-- The slowmode each raid channel had before raid mode set its own.
CREATE TABLE raid_slowmodes (
    raid_id          BIGINT NOT NULL,
    channel_id       TEXT NOT NULL,
    previous_seconds INTEGER NOT NULL,         -- what /raid off restores
    PRIMARY KEY (raid_id, channel_id)
);

-- The case a moderator's removal belongs to (a purge, the Delete button);
-- NULL for automod, which removes without a case.
ALTER TABLE mod_removed_messages ADD COLUMN case_number BIGINT;

-- +goose Down
ALTER TABLE mod_removed_messages DROP COLUMN case_number;
DROP TABLE raid_slowmodes;
