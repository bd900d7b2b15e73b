-- +goose Up
-- Intake writes ~30 similarity keys per message. The table is rebuilt
-- without its foreign key (checked on every key inserted; its ON DELETE
-- CASCADE never fired: items are never deleted) and WITHOUT ROWID, so a
-- key is written once, in its primary key, instead of in a rowid table
-- and the primary key's index. Text already compares bytewise here.
CREATE TABLE feedback_terms_new (
    term            TEXT NOT NULL,
    feedback_id     BIGINT NOT NULL,
    PRIMARY KEY (term, feedback_id)
) WITHOUT ROWID;
INSERT INTO feedback_terms_new (term, feedback_id) SELECT term, feedback_id FROM feedback_terms;
DROP TABLE feedback_terms;
ALTER TABLE feedback_terms_new RENAME TO feedback_terms;
CREATE INDEX feedback_terms_item ON feedback_terms (feedback_id);

-- A relay's Slack message is found through its outbox row (platform
-- channel and id); the relay's own channel_id and message_ts were never
-- filled, and their index took a write on every relay for nothing.
DROP INDEX feedback_relays_message;

-- +goose Down
CREATE INDEX feedback_relays_message ON feedback_relays (channel_id, message_ts);
CREATE TABLE feedback_terms_old (
    term            TEXT NOT NULL,
    feedback_id     BIGINT NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    PRIMARY KEY (term, feedback_id)
);
INSERT INTO feedback_terms_old (term, feedback_id) SELECT term, feedback_id FROM feedback_terms;
DROP TABLE feedback_terms;
ALTER TABLE feedback_terms_old RENAME TO feedback_terms;
CREATE INDEX feedback_terms_item ON feedback_terms (feedback_id);
