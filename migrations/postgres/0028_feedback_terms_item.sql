-- +goose Up
-- An item's similarity keys are removed by the keys themselves (its text's,
-- which the App computes again): (term, feedback_id) is the primary key.
-- The index by item served only that removal (an edit, a merge) and took a
-- write for each of the ~30 keys of every message taken in.
DROP INDEX feedback_terms_item;

-- +goose Down
CREATE INDEX feedback_terms_item ON feedback_terms (feedback_id);
