-- +goose Up
-- When a dead message's failure was reported to people (a moderation action
-- Discord refused, noted in the mod log). A retry clears it, so a second
-- failure is reported again.
ALTER TABLE outbox ADD COLUMN reported_at TIMESTAMPTZ;
CREATE INDEX outbox_dead_unreported ON outbox (id) WHERE state = 'dead' AND reported_at IS NULL;

-- +goose Down
DROP INDEX outbox_dead_unreported;
ALTER TABLE outbox DROP COLUMN reported_at;
