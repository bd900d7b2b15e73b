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

-- Notices: what Liaison tells an item's author and voters in Discord when
-- its status changes. Their texts are brand speech: each template (status,
-- language, text) is approved once by the approvals policy; approvers is
-- the JSON list of Slack ids that approved it.
CREATE TABLE notice_templates (
    status          TEXT NOT NULL,
    lang            TEXT NOT NULL,
    text_hash       TEXT NOT NULL,              -- sha256 of the text, hex
    text            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | approved | rejected
    approvers       TEXT NOT NULL DEFAULT '[]',
    decided_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (status, lang, text_hash)
);

-- One notice of one status change: waiting for its template's approval
-- (or, when it carries a note, which is user text, for its own), then sent
-- as replies to the item's source message pinging recipients (a JSON list
-- of Discord user ids), or rejected, or cancelled by a later change.
CREATE TABLE feedback_notices (
    id              BIGSERIAL PRIMARY KEY,
    feedback_id     BIGINT NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    lang            TEXT NOT NULL,
    template_hash   TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    author          TEXT NOT NULL DEFAULT '',   -- Slack id of who set the status
    author_name     TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT 'waiting', -- waiting | sent | rejected | cancelled
    approvers       TEXT NOT NULL DEFAULT '[]',
    recipients      TEXT NOT NULL DEFAULT '[]',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX feedback_notices_item ON feedback_notices (feedback_id, id);
CREATE INDEX feedback_notices_waiting ON feedback_notices (state, template_hash);

-- Discord members who asked not to be told (Stop telling me, /notices off).
CREATE TABLE notice_optouts (
    user_id         TEXT PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL
);

-- Duplicates: a merged item points at the one it duplicates; a vote copied
-- onto that one from a duplicate (its votes, its author) remembers where
-- it came from (via), so that unmerging takes exactly those back.
ALTER TABLE feedback_items ADD COLUMN duplicate_of BIGINT;
ALTER TABLE feedback_votes ADD COLUMN via BIGINT;
CREATE INDEX feedback_items_duplicate_of ON feedback_items (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Similarity at intake: each item's MinHash band keys (an inverted index),
-- so that the open items like a new one are found without a scan.
CREATE TABLE feedback_terms (
    term            TEXT NOT NULL,
    feedback_id     BIGINT NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    PRIMARY KEY (term, feedback_id)
);
CREATE INDEX feedback_terms_item ON feedback_terms (feedback_id);
-- The open item a new one looked like at intake, and how much (0 to 1),
-- when above feedback.similar_threshold: its relay offers a one-click Merge.
ALTER TABLE feedback_items ADD COLUMN similar_to BIGINT;
ALTER TABLE feedback_items ADD COLUMN similar_score DOUBLE PRECISION NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE feedback_items DROP COLUMN similar_score;
ALTER TABLE feedback_items DROP COLUMN similar_to;
DROP TABLE feedback_terms;
DROP INDEX feedback_items_duplicate_of;
ALTER TABLE feedback_votes DROP COLUMN via;
ALTER TABLE feedback_items DROP COLUMN duplicate_of;
DROP TABLE notice_optouts;
DROP TABLE feedback_notices;
DROP TABLE notice_templates;
ALTER TABLE feedback_items DROP COLUMN status_note;
ALTER TABLE drafts DROP COLUMN target_parent_id;
