-- +goose Up
-- Edits of a message are chained by key prefix ("relay:7:product:edit:"),
-- looked up with LIKE. The unique index on key serves LIKE only under the C
-- collation; with text_pattern_ops it does under any, so an edit does not
-- read the whole outbox (which keeps its sent messages for good).
CREATE INDEX outbox_key_prefix ON outbox (key text_pattern_ops);

-- +goose Down
DROP INDEX outbox_key_prefix;
