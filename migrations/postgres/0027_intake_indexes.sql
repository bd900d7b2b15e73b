-- +goose Up
-- Intake writes ~30 similarity keys and an outbox row per message; these
-- make each cheaper without changing what is stored.
--
-- A key's foreign key checked every row it inserted (one look-up of the
-- item per key, most of the insert's time), and its ON DELETE CASCADE never
-- fired: items are never deleted. The keys compare bytewise (COLLATE "C"):
-- they are hashes and words, looked up by equality, and the database's
-- collation (strcoll per comparison) bought nothing.
ALTER TABLE feedback_terms DROP CONSTRAINT IF EXISTS feedback_terms_feedback_id_fkey;
ALTER TABLE feedback_terms ALTER COLUMN term TYPE TEXT COLLATE "C";
-- The outbox key under the C collation: its unique index then also serves
-- the prefix look-ups of edit chains (LIKE 'relay:7:%'), which needed a
-- second, text_pattern_ops index written on every enqueue and every send.
ALTER TABLE outbox ALTER COLUMN key TYPE TEXT COLLATE "C";
DROP INDEX outbox_key_prefix;

-- A relay's Slack message is found through its outbox row (platform
-- channel and id); the relay's own channel_id and message_ts were never
-- filled, and their index took a write on every relay for nothing.
DROP INDEX feedback_relays_message;

-- +goose Down
CREATE INDEX feedback_relays_message ON feedback_relays (channel_id, message_ts);
CREATE INDEX outbox_key_prefix ON outbox (key text_pattern_ops);
ALTER TABLE outbox ALTER COLUMN key TYPE TEXT COLLATE "default";
ALTER TABLE feedback_terms ALTER COLUMN term TYPE TEXT COLLATE "default";
ALTER TABLE feedback_terms ADD CONSTRAINT feedback_terms_feedback_id_fkey
    FOREIGN KEY (feedback_id) REFERENCES feedback_items (id) ON DELETE CASCADE;
