-- +goose Up
-- The dispatcher claims, paces and pauses work per lane (bot.Lane: a
-- platform's channel, or one of its route buckets), so that a busy or
-- rate-limited channel never holds up another. The lane is computed once,
-- when the message is enqueued.
ALTER TABLE outbox ADD COLUMN lane TEXT NOT NULL DEFAULT '';
-- The platform refused this message with a Retry-After: nothing of its lane
-- is sent before its next_attempt_at, whichever replica asks, even after a
-- restart.
ALTER TABLE outbox ADD COLUMN rate_limited BOOLEAN NOT NULL DEFAULT FALSE;

-- The messages still to send get their lane as bot.Lane names it; a payload
-- that is not a JSON object naming a channel leaves it without one (sent on
-- its own, as before).
-- +goose StatementBegin
DO $$
DECLARE
    r  RECORD;
    ch TEXT;
BEGIN
    FOR r IN SELECT id, platform, kind, payload FROM outbox WHERE state IN ('pending', 'sending') LOOP
        BEGIN
            SELECT CASE WHEN jsonb_typeof(p -> 'channel_id') = 'string' THEN p ->> 'channel_id' END
            INTO ch FROM (SELECT r.payload::jsonb AS p) AS j;
        EXCEPTION WHEN others THEN
            ch := NULL;
        END;
        IF ch <> '' THEN
            UPDATE outbox SET lane = CASE WHEN r.platform <> 'discord' OR r.kind IN ('post', 'upload') THEN r.platform || ':' || ch
                ELSE r.platform || '/' || r.kind || ':' || ch END
            WHERE id = r.id;
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd

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
