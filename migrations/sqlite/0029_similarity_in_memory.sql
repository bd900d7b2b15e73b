-- +goose Up
-- The similarity keys live in memory (handlers' similarIndex), built from
-- the items' texts at the first look-up: their ~30 rows a message, and the
-- look-up reading them back, were most of the work of intake. SQLite has
-- one replica, whose own commits keep its index: no index on updated_at
-- here (Postgres has one, for the other replicas' changes).
DROP TABLE feedback_terms;

-- +goose Down
-- The keys come back empty: the version before this one then suggests
-- only the items created after it started.
CREATE TABLE feedback_terms (
    term            TEXT NOT NULL,
    feedback_id     BIGINT NOT NULL,
    PRIMARY KEY (term, feedback_id)
) WITHOUT ROWID;
