-- +goose Up
-- Drafted replies and approvals: what the approval message and the history
-- show without asking the platforms again (names, the channel's name, the
-- rejection's reason and who gave it), and the look-up of the drafts that
-- answer a Discord message when it is deleted.
ALTER TABLE drafts ADD COLUMN author_name TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN target_author_name TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN target_channel_name TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN reason TEXT NOT NULL DEFAULT '';       -- why it was rejected, refused or went stale
ALTER TABLE drafts ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';   -- Slack user id of who rejected it
ALTER TABLE approvals ADD COLUMN approver_name TEXT NOT NULL DEFAULT '';
CREATE INDEX drafts_target ON drafts (target_channel_id, target_message_id);

-- +goose Down
DROP INDEX drafts_target;
ALTER TABLE approvals DROP COLUMN approver_name;
ALTER TABLE drafts DROP COLUMN decided_by;
ALTER TABLE drafts DROP COLUMN reason;
ALTER TABLE drafts DROP COLUMN target_channel_name;
ALTER TABLE drafts DROP COLUMN target_author_name;
ALTER TABLE drafts DROP COLUMN author_name;
