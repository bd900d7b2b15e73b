-- +goose Up
-- A draw's announcement is brand speech: its text (giveaways.announcement)
-- is a notice template approved once when it changes. Until it is, the
-- draw stands (winners committed) and its announcement waits: the text's
-- hash it waits for, '' once it is in the outbox.
ALTER TABLE giveaway_rounds ADD COLUMN announcement_waits TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE giveaway_rounds DROP COLUMN announcement_waits;
