-- +goose Up
-- A feedback item keeps the place it came from down to the thread: a
-- message in a Discord thread or forum post lives in the thread's own
-- channel (thread_id), which is where Liaison reads it back and where a
-- reply to it is posted; channel_id stays the parent channel, which routes
-- and names it. thread_name is the thread's (or forum post's) name as the
-- relays show it ("in #ideas › Export to Parquet"); title is a forum post's
-- own title when the item is the post's opening message.
ALTER TABLE feedback_items ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback_items ADD COLUMN thread_name TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback_items ADD COLUMN title TEXT NOT NULL DEFAULT '';
-- A draft names the message it answers by the channel it lives in (the
-- thread's, for a message in a thread): its item is found by that pair.
CREATE INDEX feedback_items_thread_message ON feedback_items (thread_id, message_id) WHERE thread_id <> '';

-- +goose Down
DROP INDEX feedback_items_thread_message;
ALTER TABLE feedback_items DROP COLUMN title;
ALTER TABLE feedback_items DROP COLUMN thread_name;
ALTER TABLE feedback_items DROP COLUMN thread_id;
