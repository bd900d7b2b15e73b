-- +goose Up
-- Reactions and clicks on Liaison's own messages (a relay, an approval
-- message) find what the message shows by the platform id its outbox row
-- recorded; without this index that lookup scans the whole outbox.
CREATE INDEX outbox_platform ON outbox (platform_channel, platform_id);

-- +goose Down
DROP INDEX outbox_platform;
