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

CREATE TABLE draft_versions (
    draft_id            BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    version             INTEGER NOT NULL,
    text                TEXT NOT NULL,
    text_hash           TEXT NOT NULL,
    author              TEXT NOT NULL,          -- Slack user id
    author_name         TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (draft_id, version)
);
-- A draft made before versions existed has one: its text now. (Its earlier
-- texts, if it was edited, are in draft_events as hashes.)
INSERT INTO draft_versions (draft_id, version, text, text_hash, author, author_name, created_at)
    SELECT id, 1, text, text_hash, author, author_name, created_at FROM drafts;

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
    created_at          TIMESTAMPTZ NOT NULL,
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
    created_at      TIMESTAMPTZ NOT NULL,
    approver_name   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (draft_id, approver, text_hash)
);
INSERT INTO approvals_by_hash (draft_id, approver, text_hash, created_at, approver_name)
    SELECT a.draft_id, a.approver, a.text_hash, a.created_at, a.approver_name
    FROM approvals a JOIN drafts d ON d.id = a.draft_id AND d.version = a.version;
DROP TABLE approvals;
ALTER TABLE approvals_by_hash RENAME TO approvals;
DROP TABLE draft_versions;
ALTER TABLE drafts DROP COLUMN version_author_name;
ALTER TABLE drafts DROP COLUMN version_author;
ALTER TABLE drafts DROP COLUMN version;
