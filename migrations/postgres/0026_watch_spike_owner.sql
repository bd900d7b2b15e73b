-- +goose Up
-- A spike (a burst of alerts on one query collapsed into one message) gets
-- an owner and a clock like an alert: due_at is respond_within of business
-- hours after it opened; unclaimed by then it is escalated once. Its
-- outbox_key is deterministic (query and window start) and unique, so a
-- burst opens one spike message however many replicas ingest it.
ALTER TABLE watch_spikes ADD COLUMN due_at TIMESTAMPTZ;
ALTER TABLE watch_spikes ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE watch_spikes ADD COLUMN claimed_by_id TEXT NOT NULL DEFAULT '';
ALTER TABLE watch_spikes ADD COLUMN claimed_at TIMESTAMPTZ;
ALTER TABLE watch_spikes ADD COLUMN escalated_at TIMESTAMPTZ;
CREATE UNIQUE INDEX watch_spikes_key ON watch_spikes (outbox_key) WHERE outbox_key <> '';
CREATE INDEX watch_spikes_due ON watch_spikes (due_at) WHERE claimed_at IS NULL AND escalated_at IS NULL;
-- A spike's top 3 are read on every alert it takes: without a scan of every mention.
CREATE INDEX watch_mentions_spike ON watch_mentions (spike_id) WHERE spike_id IS NOT NULL;

-- +goose Down
DROP INDEX watch_mentions_spike;
DROP INDEX watch_spikes_due;
DROP INDEX watch_spikes_key;
ALTER TABLE watch_spikes DROP COLUMN escalated_at;
ALTER TABLE watch_spikes DROP COLUMN claimed_at;
ALTER TABLE watch_spikes DROP COLUMN claimed_by_id;
ALTER TABLE watch_spikes DROP COLUMN claimed_by;
ALTER TABLE watch_spikes DROP COLUMN due_at;
