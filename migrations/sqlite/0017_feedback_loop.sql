-- +goose Up
-- The feedback loop closed (issue 14).
--
-- A draft answering a message in a Discord thread or forum post names the
-- thread's channel as its target; target_parent_id is the channel the
-- thread is under, whose per-channel approval policy applies ('' when the
-- target is in a channel itself). Drafts of thread items made before it
-- learn their parent from their item.
ALTER TABLE drafts ADD COLUMN target_parent_id TEXT NOT NULL DEFAULT '';
UPDATE drafts SET target_parent_id = (SELECT f.channel_id FROM feedback_items f WHERE f.id = drafts.feedback_id)
    WHERE feedback_id IS NOT NULL AND target_channel_id IN (SELECT f.thread_id FROM feedback_items f WHERE f.id = drafts.feedback_id AND f.thread_id <> '');

-- The statuses the community hears of: planned | in-progress | shipped |
-- declined join open | acknowledged | answered | closed. status_note is
-- what the team said with the last one (a declined item's reason).
ALTER TABLE feedback_items ADD COLUMN status_note TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE feedback_items DROP COLUMN status_note;
ALTER TABLE drafts DROP COLUMN target_parent_id;
