-- +goose Up
-- The public status board (feedback.board): one post per item that
-- reached board_min_votes votes, in a Discord forum channel. post_key is
-- the outbox message that opens the post (its platform id is the post's
-- thread id); edits counts the edits enqueued since, whose keys are
-- post_key:edit:N; shown is a hash of what the post shows now (its text
-- and tag), so that a change the board does not show enqueues nothing.
CREATE TABLE feedback_board (
    feedback_id     BIGINT PRIMARY KEY REFERENCES feedback_items (id) ON DELETE CASCADE,
    forum_id        TEXT NOT NULL,
    post_key        TEXT NOT NULL UNIQUE,
    edits           INTEGER NOT NULL DEFAULT 0,
    shown           TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE feedback_board;
