-- +goose Up
-- Dead messages are few and counted on every metrics scrape: an index of
-- their own keeps that from reading the whole outbox, which keeps its sent
-- messages for good.
CREATE INDEX outbox_dead ON outbox (id) WHERE state = 'dead';

-- +goose Down
DROP INDEX outbox_dead;
