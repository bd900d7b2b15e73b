package store

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Mention statuses.
const (
	MentionNew        = "new"
	MentionClaimed    = "claimed"
	MentionAnswered   = "answered"
	MentionNotAboutUs = "not_about_us"
	MentionDropped    = "dropped" // a mute or an applied exclusion dropped it: never posted
)

// Alert states of a mention ("" when it is no alert).
const (
	AlertOpen      = "open"      // posted, waiting for an answer
	AlertEscalated = "escalated" // unclaimed past its deadline: sent to the escalation channel
	AlertSpiked    = "spiked"    // part of a spike message, not posted on its own
	AlertClosed    = "closed"    // answered
)

// Mention is one web page that matched a watch query: one per canonical URL
// (URLHash is unique), with what the Slack post and the alert made of it.
type Mention struct {
	ID             int64      `db:"id"`
	URLHash        string     `db:"url_hash"`
	URL            string     `db:"url"`
	StoryHash      string     `db:"story_hash"`
	Source         string     `db:"source"`
	ItemID         string     `db:"item_id"`
	Feed           string     `db:"feed"`
	Author         string     `db:"author"`
	Site           string     `db:"site"` // the host of the story (the page a link post links to), what Mute site mutes
	Title          string     `db:"title"`
	Excerpt        string     `db:"excerpt"`
	Lang           string     `db:"lang"`
	PublishedAt    *time.Time `db:"published_at"`
	Sentiment      string     `db:"sentiment"`
	SentimentScore float64    `db:"sentiment_score"`
	Query          string     `db:"query"`
	Terms          string     `db:"terms"`
	Score          int        `db:"score"`
	Comments       int        `db:"comments"`
	Status         string     `db:"status"`
	DroppedBy      string     `db:"dropped_by"`
	ChannelID      string     `db:"channel_id"`
	OutboxKey      string     `db:"outbox_key"`
	ThreadKey      string     `db:"thread_key"`
	ClaimedBy      string     `db:"claimed_by"`
	ClaimedByID    string     `db:"claimed_by_id"`
	ClaimedAt      *time.Time `db:"claimed_at"`
	AnsweredBy     string     `db:"answered_by"`
	AnsweredAt     *time.Time `db:"answered_at"`
	AnswerURL      string     `db:"answer_url"`
	DraftID        *int64     `db:"draft_id"`
	AlertState     string     `db:"alert_state"`
	AlertKey       string     `db:"alert_key"`
	AlertWhy       string     `db:"alert_why"`
	AlertDue       *time.Time `db:"alert_due"`
	EscalatedAt    *time.Time `db:"escalated_at"`
	RemindedAt     *time.Time `db:"reminded_at"`
	SpikeID        *int64     `db:"spike_id"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
}

const mentionColumns = `id, url_hash, url, story_hash, source, item_id, feed, author, site, title, excerpt, lang, published_at,
	sentiment, sentiment_score, query, terms, score, comments, status, dropped_by, channel_id, outbox_key, thread_key,
	claimed_by, claimed_by_id, claimed_at, answered_by, answered_at, answer_url, draft_id, alert_state, alert_key, alert_why, alert_due,
	escalated_at, reminded_at, spike_id, created_at, updated_at`

func (m *Mention) utc() {
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	for _, p := range []**time.Time{&m.PublishedAt, &m.ClaimedAt, &m.AnsweredAt, &m.AlertDue, &m.EscalatedAt, &m.RemindedAt} {
		if *p != nil {
			t := (*p).UTC()
			*p = &t
		}
	}
}

// CreateMention stores m unless a mention of its URLHash exists, and
// reports whether it was created (and m.ID set). A page seen again (the
// next poll, another feed, a restart that repeats a page) is not a new
// mention: dedupe lives here, not in the process's memory.
func (tx *Tx) CreateMention(ctx context.Context, now time.Time, m *Mention) (bool, error) {
	m.CreatedAt, m.UpdatedAt = now.UTC(), now.UTC()
	m.Status = cmpOrString(m.Status, MentionNew)
	m.Sentiment = cmpOrString(m.Sentiment, "neutral")
	// Look first, so that a page seen again does not use up a number
	// (mentions are numbered for people); the unique key settles races.
	var ids []int64
	if err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`SELECT id FROM watch_mentions WHERE url_hash = ?`), m.URLHash); err != nil {
		return false, fmt.Errorf("look up the mention of %s: %w", m.URL, err)
	}
	if len(ids) > 0 {
		return false, nil
	}
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`INSERT INTO watch_mentions (url_hash, url, story_hash, source, item_id, feed,
		author, site, title, excerpt, lang, published_at, sentiment, sentiment_score, query, terms, score, comments, status, dropped_by,
		created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (url_hash) DO NOTHING RETURNING id`),
		m.URLHash, m.URL, m.StoryHash, m.Source, m.ItemID, m.Feed, m.Author, m.Site, m.Title, m.Excerpt, m.Lang, utcPtr(m.PublishedAt),
		m.Sentiment, m.SentimentScore, m.Query, m.Terms, m.Score, m.Comments, m.Status, m.DroppedBy, m.CreatedAt, m.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("create mention of %s: %w", m.URL, err)
	}
	if len(ids) == 1 {
		m.ID = ids[0]
		return true, nil
	}
	return false, nil
}

// Mention returns mention id, locked for update, or a bot.ENotFound error.
func (tx *Tx) Mention(ctx context.Context, id int64) (*Mention, error) {
	var m Mention
	err := tx.tx.GetContext(ctx, &m, tx.rebind(`SELECT `+mentionColumns+` FROM watch_mentions WHERE id = ?`+tx.db.dialect.forUpdate), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no web mention %d (mentions are kept for watch.keep, then deleted).", id)
	} else if err != nil {
		return nil, fmt.Errorf("mention %d: %w", id, err)
	}
	m.utc()
	return &m, nil
}

// Mention returns mention id, or a bot.ENotFound error.
func (d *DB) Mention(ctx context.Context, id int64) (m *Mention, err error) {
	err = d.InTx(ctx, func(tx *Tx) error {
		m, err = tx.Mention(ctx, id)
		return err
	})
	return m, err
}

// SaveMention writes the mutable fields of m and stamps UpdatedAt.
func (tx *Tx) SaveMention(ctx context.Context, now time.Time, m *Mention) error {
	m.UpdatedAt = now.UTC()
	_, err := tx.exec(ctx, `UPDATE watch_mentions SET status = ?, dropped_by = ?, channel_id = ?, outbox_key = ?, thread_key = ?,
		claimed_by = ?, claimed_by_id = ?, claimed_at = ?, answered_by = ?, answered_at = ?, answer_url = ?, draft_id = ?,
		alert_state = ?, alert_key = ?, alert_why = ?, alert_due = ?, escalated_at = ?, reminded_at = ?, spike_id = ?, updated_at = ? WHERE id = ?`,
		m.Status, m.DroppedBy, m.ChannelID, m.OutboxKey, m.ThreadKey, m.ClaimedBy, m.ClaimedByID, utcPtr(m.ClaimedAt), m.AnsweredBy,
		utcPtr(m.AnsweredAt), m.AnswerURL, m.DraftID, m.AlertState, m.AlertKey, m.AlertWhy, utcPtr(m.AlertDue), utcPtr(m.EscalatedAt),
		utcPtr(m.RemindedAt), m.SpikeID, m.UpdatedAt, m.ID)
	if err != nil {
		return fmt.Errorf("save mention %d: %w", m.ID, err)
	}
	return nil
}

// StoryPost returns the first mention of a story that query posted to
// channelID, or nil when there is none: later mentions of the story go in
// its thread. The query repeats the story index's condition (a story hash
// not empty) so that SQLite uses that partial index: without it, every new
// mention scanned the whole table.
func (tx *Tx) StoryPost(ctx context.Context, storyHash, query, channelID string, except int64) (*Mention, error) {
	if storyHash == "" {
		return nil, nil
	}
	var ms []Mention
	err := tx.tx.SelectContext(ctx, &ms, tx.rebind(`SELECT `+mentionColumns+` FROM watch_mentions
		WHERE story_hash = ? AND story_hash <> '' AND query = ? AND channel_id = ? AND outbox_key <> '' AND thread_key = '' AND id <> ?
		ORDER BY id LIMIT 1`),
		storyHash, query, channelID, except)
	if err != nil {
		return nil, fmt.Errorf("story post of %s: %w", storyHash, err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	ms[0].utc()
	return &ms[0], nil
}

// Mute is what drops a query's next mentions: an author, a site, or words
// (an applied exclusion). Dropped counts the mentions it dropped.
type Mute struct {
	ID        int64     `db:"id"`
	Query     string    `db:"query"`
	Kind      string    `db:"kind"` // author | site | story | words
	Value     string    `db:"value"`
	Label     string    `db:"label"` // how lists show it (a story's title)
	CreatedBy string    `db:"created_by"`
	CreatedAt time.Time `db:"created_at"`
	Dropped   int       `db:"dropped"`
}

// Mute kinds.
const (
	MuteAuthor = "author"
	MuteSite   = "site"
	MuteStory  = "story" // a story marked "not about us": Value is its story hash
	MuteWords  = "words"
)

// AddMute records m unless the query has that mute already, and reports
// whether it was added; m.ID is set either way.
func (tx *Tx) AddMute(ctx context.Context, now time.Time, m *Mute) (bool, error) {
	m.CreatedAt = now.UTC()
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`INSERT INTO watch_mutes (query, kind, value, label, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (query, kind, value) DO NOTHING RETURNING id`), m.Query, m.Kind, m.Value, m.Label, m.CreatedBy, m.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("mute %s %s for %s: %w", m.Kind, m.Value, m.Query, err)
	}
	if len(ids) == 1 {
		m.ID = ids[0]
		return true, nil
	}
	err = tx.tx.GetContext(ctx, &m.ID, tx.rebind(`SELECT id FROM watch_mutes WHERE query = ? AND kind = ? AND value = ?`), m.Query, m.Kind, m.Value)
	return false, err
}

// QueryMutes returns the mutes of query, oldest first.
func (tx *Tx) QueryMutes(ctx context.Context, query string) ([]Mute, error) {
	var out []Mute
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT id, query, kind, value, label, created_by, created_at, dropped
		FROM watch_mutes WHERE query = ? ORDER BY id`), query); err != nil {
		return nil, fmt.Errorf("mutes of %s: %w", query, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// Mutes returns every mute, by query then age.
func (d *DB) Mutes(ctx context.Context) ([]Mute, error) {
	var out []Mute
	if err := d.db.SelectContext(ctx, &out, `SELECT id, query, kind, value, label, created_by, created_at, dropped
		FROM watch_mutes ORDER BY query, id`); err != nil {
		return nil, fmt.Errorf("mutes: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// CountDropped adds one to the mentions mute id dropped.
func (tx *Tx) CountDropped(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE watch_mutes SET dropped = dropped + 1 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("count a mention dropped by mute %d: %w", id, err)
	}
	return nil
}

// LiftMute deletes mute id and returns it, or a bot.ENotFound error.
func (tx *Tx) LiftMute(ctx context.Context, id int64) (*Mute, error) {
	var m Mute
	err := tx.tx.GetContext(ctx, &m, tx.rebind(`SELECT id, query, kind, value, label, created_by, created_at, dropped FROM watch_mutes WHERE id = ?`), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no mute %d: /liaison watch mutes lists them.", id)
	} else if err != nil {
		return nil, fmt.Errorf("mute %d: %w", id, err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM watch_mutes WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("lift mute %d: %w", id, err)
	}
	return &m, nil
}

// Suggestion is an exclusion "not about us" proposes to admins.
type Suggestion struct {
	ID        int64      `db:"id"`
	Query     string     `db:"query"`
	MentionID int64      `db:"mention_id"`
	Words     string     `db:"words"`
	CreatedBy string     `db:"created_by"`
	CreatedAt time.Time  `db:"created_at"`
	Status    string     `db:"status"` // pending | applied | ignored
	DecidedBy string     `db:"decided_by"`
	DecidedAt *time.Time `db:"decided_at"`
}

// CreateSuggestion stores s unless its mention has one, and reports whether
// it was created.
func (tx *Tx) CreateSuggestion(ctx context.Context, now time.Time, s *Suggestion) (bool, error) {
	s.CreatedAt, s.Status = now.UTC(), "pending"
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`INSERT INTO watch_suggestions (query, mention_id, words, created_by, created_at, status)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (mention_id) DO NOTHING RETURNING id`), s.Query, s.MentionID, s.Words, s.CreatedBy, s.CreatedAt, s.Status)
	if err != nil {
		return false, fmt.Errorf("suggest exclusions for mention %d: %w", s.MentionID, err)
	}
	if len(ids) == 1 {
		s.ID = ids[0]
		return true, nil
	}
	return false, nil
}

// Suggestion returns suggestion id, locked for update, or bot.ENotFound.
func (tx *Tx) Suggestion(ctx context.Context, id int64) (*Suggestion, error) {
	var s Suggestion
	err := tx.tx.GetContext(ctx, &s, tx.rebind(`SELECT id, query, mention_id, words, created_by, created_at, status, decided_by, decided_at
		FROM watch_suggestions WHERE id = ?`+tx.db.dialect.forUpdate), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no exclusion suggestion %d.", id)
	} else if err != nil {
		return nil, fmt.Errorf("suggestion %d: %w", id, err)
	}
	s.CreatedAt = s.CreatedAt.UTC()
	return &s, nil
}

// DecideSuggestion records an admin's decision (applied or ignored).
func (tx *Tx) DecideSuggestion(ctx context.Context, now time.Time, s *Suggestion) error {
	t := now.UTC()
	s.DecidedAt = &t
	if _, err := tx.exec(ctx, `UPDATE watch_suggestions SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?`, s.Status, s.DecidedBy, t, s.ID); err != nil {
		return fmt.Errorf("decide suggestion %d: %w", s.ID, err)
	}
	return nil
}

// RecentAlerts counts query's alerts raised since (spiked ones included).
func (tx *Tx) RecentAlerts(ctx context.Context, query string, since time.Time) (int, error) {
	var n int
	err := tx.tx.GetContext(ctx, &n, tx.rebind(`SELECT COUNT(*) FROM watch_mentions WHERE query = ? AND alert_state <> '' AND created_at >= ?`), query, since.UTC())
	if err != nil {
		return 0, fmt.Errorf("recent alerts of %s: %w", query, err)
	}
	return n, nil
}

// Spike is one message standing for a burst of alerts on a query. It has
// an owner and a clock like an alert: unclaimed by DueAt, it is escalated
// once. OutboxKey is its message, deterministic per query and window
// start, and unique.
type Spike struct {
	ID          int64      `db:"id"`
	Query       string     `db:"query"`
	StartedAt   time.Time  `db:"started_at"` // the first alert of the window
	LastAt      time.Time  `db:"last_at"`
	Alerts      int        `db:"alerts"`
	Edits       int        `db:"edits"`
	OutboxKey   string     `db:"outbox_key"`
	DueAt       *time.Time `db:"due_at"`
	ClaimedBy   string     `db:"claimed_by"`
	ClaimedByID string     `db:"claimed_by_id"`
	ClaimedAt   *time.Time `db:"claimed_at"`
	EscalatedAt *time.Time `db:"escalated_at"`
}

const spikeColumns = `id, query, started_at, last_at, alerts, edits, outbox_key, due_at, claimed_by, claimed_by_id, claimed_at, escalated_at`

func (s *Spike) utc() {
	s.StartedAt, s.LastAt = s.StartedAt.UTC(), s.LastAt.UTC()
	for _, p := range []**time.Time{&s.DueAt, &s.ClaimedAt, &s.EscalatedAt} {
		if *p != nil {
			t := (*p).UTC()
			*p = &t
		}
	}
}

// LockQueryAlerts serialises, until tx ends, the raising of query's alerts:
// counting the recent ones and opening a spike must not race with another
// replica or source ingesting at the same time. On Postgres a
// transaction-scoped advisory lock; SQLite's write transactions already run
// one at a time.
func (tx *Tx) LockQueryAlerts(ctx context.Context, query string) error {
	if tx.db.dialect.name == Postgres {
		if _, err := tx.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('liaison-watch-alerts:' || current_schema() || ':' || $1))`, query); err != nil {
			return fmt.Errorf("lock the alerts of %s: %w", query, err)
		}
	}
	return nil
}

// FirstRecentAlert returns when the oldest of query's alerts raised since
// and in no spike was created, or the zero time when there is none: the
// start of a spike's window.
func (tx *Tx) FirstRecentAlert(ctx context.Context, query string, since time.Time) (time.Time, error) {
	var ts []time.Time
	err := tx.tx.SelectContext(ctx, &ts, tx.rebind(`SELECT created_at FROM watch_mentions
		WHERE query = ? AND alert_state <> '' AND created_at >= ? AND spike_id IS NULL ORDER BY created_at LIMIT 1`), query, since.UTC())
	if err != nil {
		return time.Time{}, fmt.Errorf("first recent alert of %s: %w", query, err)
	}
	if len(ts) == 0 {
		return time.Time{}, nil
	}
	return ts[0].UTC(), nil
}

// OpenSpike returns query's spike that had an alert since, locked, or nil.
func (tx *Tx) OpenSpike(ctx context.Context, query string, since time.Time) (*Spike, error) {
	var ss []Spike
	err := tx.tx.SelectContext(ctx, &ss, tx.rebind(`SELECT `+spikeColumns+` FROM watch_spikes
		WHERE query = ? AND last_at >= ? ORDER BY id DESC LIMIT 1`+tx.db.dialect.forUpdate), query, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("open spike of %s: %w", query, err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	s := &ss[0]
	s.utc()
	return s, nil
}

// Spike returns spike id, locked for update, or a bot.ENotFound error.
func (tx *Tx) Spike(ctx context.Context, id int64) (*Spike, error) {
	var s Spike
	err := tx.tx.GetContext(ctx, &s, tx.rebind(`SELECT `+spikeColumns+` FROM watch_spikes WHERE id = ?`+tx.db.dialect.forUpdate), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no spike %d (spikes are kept for watch.keep, then deleted).", id)
	} else if err != nil {
		return nil, fmt.Errorf("spike %d: %w", id, err)
	}
	s.utc()
	return &s, nil
}

// CreateSpike stores s and sets its ID. Its OutboxKey is unique: a second
// spike for the same query and window is a conflict.
func (tx *Tx) CreateSpike(ctx context.Context, s *Spike) error {
	var id int64
	err := tx.tx.GetContext(ctx, &id, tx.rebind(`INSERT INTO watch_spikes (query, started_at, last_at, alerts, edits, outbox_key, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), s.Query, s.StartedAt.UTC(), s.LastAt.UTC(), s.Alerts, s.Edits, s.OutboxKey, utcPtr(s.DueAt))
	if err != nil {
		return fmt.Errorf("create spike of %s: %w", s.Query, err)
	}
	s.ID = id
	return nil
}

// SaveSpike writes s's counters, times, owner and key.
func (tx *Tx) SaveSpike(ctx context.Context, s *Spike) error {
	_, err := tx.exec(ctx, `UPDATE watch_spikes SET last_at = ?, alerts = ?, edits = ?, outbox_key = ?, due_at = ?,
		claimed_by = ?, claimed_by_id = ?, claimed_at = ?, escalated_at = ? WHERE id = ?`,
		s.LastAt.UTC(), s.Alerts, s.Edits, s.OutboxKey, utcPtr(s.DueAt), s.ClaimedBy, s.ClaimedByID, utcPtr(s.ClaimedAt), utcPtr(s.EscalatedAt), s.ID)
	if err != nil {
		return fmt.Errorf("save spike %d: %w", s.ID, err)
	}
	return nil
}

// PendingSpikes returns the spikes unclaimed past their deadline at now and
// not escalated yet, oldest deadline first.
func (d *DB) PendingSpikes(ctx context.Context, now time.Time, limit int) ([]Spike, error) {
	var ss []Spike
	err := d.db.SelectContext(ctx, &ss, d.db.Rebind(`SELECT `+spikeColumns+` FROM watch_spikes
		WHERE claimed_at IS NULL AND escalated_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?`), now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("pending spikes: %w", err)
	}
	for i := range ss {
		ss[i].utc()
	}
	return ss, nil
}

// SpikeAlerts returns the alerts of spike id, the most negative first.
func (tx *Tx) SpikeAlerts(ctx context.Context, id int64, limit int) ([]Mention, error) {
	var ms []Mention
	err := tx.tx.SelectContext(ctx, &ms, tx.rebind(`SELECT `+mentionColumns+` FROM watch_mentions WHERE spike_id = ?
		ORDER BY sentiment_score, score + comments DESC, id LIMIT ?`), id, limit)
	if err != nil {
		return nil, fmt.Errorf("alerts of spike %d: %w", id, err)
	}
	for i := range ms {
		ms[i].utc()
	}
	return ms, nil
}

// PendingAlerts returns the unanswered alerts whose deadline has passed at
// now and that still have a follow-up due: unclaimed and not escalated yet,
// or claimed and their claimer not reminded yet. Those followed up already
// are left out, so that old ones never crowd out new ones.
func (d *DB) PendingAlerts(ctx context.Context, now time.Time, limit int) ([]Mention, error) {
	var ms []Mention
	err := d.db.SelectContext(ctx, &ms, d.db.Rebind(`SELECT `+mentionColumns+` FROM watch_mentions
		WHERE alert_state IN ('open', 'escalated') AND alert_state <> '' AND answered_at IS NULL AND alert_due <= ?
		AND ((claimed_at IS NULL AND escalated_at IS NULL) OR (claimed_at IS NOT NULL AND reminded_at IS NULL))
		ORDER BY alert_due, id LIMIT ?`), now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("pending alerts: %w", err)
	}
	for i := range ms {
		ms[i].utc()
	}
	return ms, nil
}

// PruneMentions deletes up to limit mentions created before before (and
// the suggestions that point at them), and returns how many it deleted.
func (d *DB) PruneMentions(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := d.InTx(ctx, func(tx *Tx) error {
		var ids []int64
		if err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`SELECT id FROM watch_mentions WHERE created_at < ? ORDER BY id LIMIT ?`), before.UTC(), limit); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.exec(ctx, `DELETE FROM watch_suggestions WHERE mention_id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM watch_mentions WHERE id = ?`, id); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM watch_spikes WHERE last_at < ?`, before.UTC()); err != nil {
			return err
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune mentions: %w", err)
	}
	return n, nil
}

// MentionsSince returns the mentions created in [from, to), not dropped,
// oldest first, for the digest.
func (d *DB) MentionsSince(ctx context.Context, from, to time.Time) ([]Mention, error) {
	var ms []Mention
	err := d.db.SelectContext(ctx, &ms, d.db.Rebind(`SELECT `+mentionColumns+` FROM watch_mentions
		WHERE created_at >= ? AND created_at < ? AND status <> 'dropped' ORDER BY id`), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("mentions since %s: %w", from, err)
	}
	for i := range ms {
		ms[i].utc()
	}
	return ms, nil
}

// JoinSpike puts query's alerts raised since into spike id.
func (tx *Tx) JoinSpike(ctx context.Context, id int64, query string, since time.Time) error {
	_, err := tx.exec(ctx, `UPDATE watch_mentions SET spike_id = ? WHERE query = ? AND alert_state <> '' AND created_at >= ? AND spike_id IS NULL`,
		id, query, since.UTC())
	if err != nil {
		return fmt.Errorf("join spike %d: %w", id, err)
	}
	return nil
}
