-- +goose Up
-- Nothing to do on SQLite: key prefixes are looked up as a range, which the
-- unique index on key serves (see store.keyPrefix). The migration exists so
-- that both dialects have the same versions.
SELECT 1;

-- +goose Down
SELECT 1;
