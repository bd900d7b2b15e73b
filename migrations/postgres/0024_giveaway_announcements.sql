-- +goose Up
-- A draw's announcement is brand speech: its text (giveaways.announcement)
-- is a notice template approved once when it changes. Until it is, the
-- draw stands (winners committed) and its announcement waits: the text's
-- hash it waits for, '' once it is in the outbox.
ALTER TABLE giveaway_rounds ADD COLUMN announcement_waits TEXT NOT NULL DEFAULT '';

-- Who wrote a template's text (a Slack id, from the file's written_by), ''
-- when the file does not say: four eyes, they may not approve it.
ALTER TABLE notice_templates ADD COLUMN author TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notice_templates DROP COLUMN author;
ALTER TABLE giveaway_rounds DROP COLUMN announcement_waits;
