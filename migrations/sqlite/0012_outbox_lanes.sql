-- +goose Up
-- The dispatcher claims, paces and pauses work per lane (bot.Lane: a
-- platform's channel, or one of its route buckets), so that a busy or
-- rate-limited channel never holds up another. The lane is computed once,
-- when the message is enqueued.
ALTER TABLE outbox ADD COLUMN lane TEXT NOT NULL DEFAULT '';
-- The platform refused this message with a Retry-After: nothing of its lane
-- is sent before its next_attempt_at, even after a restart.
ALTER TABLE outbox ADD COLUMN rate_limited BOOLEAN NOT NULL DEFAULT 0;

-- The messages still to send get their lane as bot.Lane names it; a payload
-- that is not a JSON object naming a channel leaves it without one (sent on
-- its own, as before).
UPDATE outbox SET lane = CASE WHEN platform <> 'discord' OR kind IN ('post', 'upload') THEN platform || ':' || json_extract(payload, '$.channel_id')
        ELSE platform || '/' || kind || ':' || json_extract(payload, '$.channel_id') END
    WHERE state IN ('pending', 'sending')
      AND CASE WHEN NOT json_valid(payload) THEN 0
               WHEN json_type(payload, '$.channel_id') = 'text' THEN json_extract(payload, '$.channel_id') <> ''
               ELSE 0 END;

-- A lane's next messages, in order; whether one of it is being sent; and
-- whether a rate limit holds it.
CREATE INDEX outbox_lane_pending ON outbox (lane, id) WHERE state = 'pending';
CREATE INDEX outbox_lane_sending ON outbox (lane) WHERE state = 'sending';
CREATE INDEX outbox_lane_limited ON outbox (lane, next_attempt_at) WHERE state = 'pending' AND rate_limited;

-- +goose Down
DROP INDEX outbox_lane_limited;
DROP INDEX outbox_lane_sending;
DROP INDEX outbox_lane_pending;
ALTER TABLE outbox DROP COLUMN rate_limited;
ALTER TABLE outbox DROP COLUMN lane;
