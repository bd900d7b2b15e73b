-- +goose Up
-- Trust of public speech (issue 13).
--
-- Four eyes on every exact text: each version of a draft's text is kept,
-- with who wrote it (the drafter, or whoever's edit produced it), and an
-- approval belongs to one version: approvals of one version never count for
-- another, and they are kept for the record when the text changes.
ALTER TABLE drafts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;     -- the current version
ALTER TABLE drafts ADD COLUMN version_author TEXT NOT NULL DEFAULT '';  -- Slack user id of who wrote it
ALTER TABLE drafts ADD COLUMN version_author_name TEXT NOT NULL DEFAULT '';
UPDATE drafts SET version_author = author, version_author_name = author_name;

-- One answer per message: at most one draft waits for approval per target.
-- pending_target is the target ("channel/message") while the draft is
-- pending and NULL otherwise (the store keeps it so); the partial unique
-- index refuses a second pending draft in the same statement that writes
-- it, with no read-then-write race. Drafts from before this rule that
-- duplicate one another keep waiting; the oldest holds the target, and
-- publishing decides between them (draft_targets, below).
ALTER TABLE drafts ADD COLUMN pending_target TEXT;
-- The earlier reply to the same target that this draft's approvers were
-- shown (it is then a follow-up), or NULL.
ALTER TABLE drafts ADD COLUMN follows_id BIGINT;
UPDATE drafts SET pending_target = target_channel_id || '/' || target_message_id
    WHERE id IN (SELECT MIN(id) FROM drafts WHERE status = 'pending' GROUP BY target_channel_id, target_message_id);
CREATE UNIQUE INDEX drafts_one_pending ON drafts (pending_target) WHERE pending_target IS NOT NULL;

-- The last reply published (or being published) to each target. The
-- transaction that publishes a draft moves it from the reply the draft's
-- approvers saw (none, or the one it follows up) to the draft, only if it
-- is still that: of two drafts approved at once, one wins and the other
-- becomes a follow-up of it.
CREATE TABLE draft_targets (
    target_channel_id   TEXT NOT NULL,
    target_message_id   TEXT NOT NULL,
    last_draft_id       BIGINT NOT NULL REFERENCES drafts (id),
    updated_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (target_channel_id, target_message_id)
);
INSERT INTO draft_targets (target_channel_id, target_message_id, last_draft_id, updated_at)
    SELECT target_channel_id, target_message_id, MAX(id), MAX(updated_at) FROM drafts
    WHERE status IN ('approved', 'posted', 'failed') GROUP BY target_channel_id, target_message_id;

CREATE TABLE draft_versions (
    draft_id            BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    version             INTEGER NOT NULL,
    text                TEXT NOT NULL,
    text_hash           TEXT NOT NULL,
    author              TEXT NOT NULL,          -- Slack user id
    author_name         TEXT NOT NULL DEFAULT '',
    follows_id          BIGINT,                 -- the earlier reply its message showed
    created_at          TIMESTAMP NOT NULL,
    -- Rejections stay with the version rejected, for good.
    rejected_by         TEXT NOT NULL DEFAULT '',   -- Slack user id
    rejected_by_name    TEXT NOT NULL DEFAULT '',
    reason              TEXT NOT NULL DEFAULT '',
    rejected_at         TIMESTAMP,
    PRIMARY KEY (draft_id, version)
);
-- Rejections stay rejections: expiry no longer relabels a rejected draft.
-- One relabelled before kept its rejecter (decided_by), which only a
-- resubmission clears: it is rejected again.
UPDATE drafts SET status = 'rejected' WHERE status = 'expired' AND decided_by <> '';

-- A draft made before versions existed has one: its text now, with its
-- rejection if it was rejected. (Its earlier texts, if it was edited, are
-- in draft_events as hashes.)
INSERT INTO draft_versions (draft_id, version, text, text_hash, author, author_name, created_at, rejected_by, reason, rejected_at)
    SELECT id, 1, text, text_hash, author, author_name, created_at,
        CASE WHEN status = 'rejected' THEN decided_by ELSE '' END,
        CASE WHEN status = 'rejected' THEN reason ELSE '' END,
        CASE WHEN status = 'rejected' THEN updated_at END
    FROM drafts;

-- Approvals keyed by version instead of by hash: a text edited back to an
-- earlier one is a new version and needs its approvals again. Rebuilt the
-- same way on both dialects (SQLite cannot change a primary key in place),
-- keeping the approvals of each draft's current text, the only ones that
-- counted.
CREATE TABLE approvals_by_version (
    draft_id            BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    version             INTEGER NOT NULL,
    approver            TEXT NOT NULL,          -- Slack user id
    approver_name       TEXT NOT NULL DEFAULT '',
    text_hash           TEXT NOT NULL,          -- the hash the approver was shown
    created_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (draft_id, version, approver)
);
INSERT INTO approvals_by_version (draft_id, version, approver, approver_name, text_hash, created_at)
    SELECT a.draft_id, 1, a.approver, a.approver_name, a.text_hash, a.created_at
    FROM approvals a JOIN drafts d ON d.id = a.draft_id AND d.text_hash = a.text_hash;
DROP TABLE approvals;
ALTER TABLE approvals_by_version RENAME TO approvals;

-- +goose Down
CREATE TABLE approvals_by_hash (
    draft_id        BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    approver        TEXT NOT NULL,
    text_hash       TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    approver_name   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (draft_id, approver, text_hash)
);
INSERT INTO approvals_by_hash (draft_id, approver, text_hash, created_at, approver_name)
    SELECT a.draft_id, a.approver, a.text_hash, a.created_at, a.approver_name
    FROM approvals a JOIN drafts d ON d.id = a.draft_id AND d.version = a.version;
DROP TABLE approvals;
ALTER TABLE approvals_by_hash RENAME TO approvals;
DROP TABLE draft_versions;
DROP TABLE draft_targets;
DROP INDEX drafts_one_pending;
ALTER TABLE drafts DROP COLUMN follows_id;
ALTER TABLE drafts DROP COLUMN pending_target;
ALTER TABLE drafts DROP COLUMN version_author_name;
ALTER TABLE drafts DROP COLUMN version_author;
ALTER TABLE drafts DROP COLUMN version;
