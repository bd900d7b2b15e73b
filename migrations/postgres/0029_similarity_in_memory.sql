-- +goose Up
-- The similarity keys live in memory (handlers' similarIndex), built from
-- the items' texts at the first look-up: their ~30 rows a message, and the
-- look-up reading them back, were half of Postgres's work at intake.
DROP TABLE feedback_terms;
-- Each replica's index learns of the items the others created, edited or
-- merged by reading the items changed since its last look (updated_at).
CREATE INDEX feedback_items_updated ON feedback_items (updated_at);

-- +goose Down
-- The keys come back empty: the version before this one then suggests
-- only the items created after it started.
DROP INDEX feedback_items_updated;
CREATE TABLE feedback_terms (
    term            TEXT COLLATE "C" NOT NULL,
    feedback_id     BIGINT NOT NULL,
    PRIMARY KEY (term, feedback_id)
);
