package store

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// What the community digest reads: the roll-ups of a period, the feedback
// items of a span of time, published replies and moderation actions, and the
// job_runs rows that make each scheduled digest post once.

// ActivityQuery selects a period's activity.
type ActivityQuery struct {
	Period bot.Period
	// Previous is the period compared with, for each busiest channel's
	// change; zero leaves it out.
	Previous bot.Period
	Top      int // how many channels and contributors; default 5
	// StaffInTop keeps staff among the top contributors; they are always
	// counted in the totals.
	StaffInTop bool
	// Names maps Discord channel ids to the names the configuration gives
	// them, used when the platform never told Liaison a channel's name.
	Names map[string]string
}

// Activity returns what the community did in q.Period. It reads the
// per-period rows when they were kept for the whole period (a digest
// configured before the period began), exact; otherwise a few rows of the
// roll-up hierarchy (months, ISO weeks, days: see cover), exact for the
// additive figures and top contributors, with active members estimated
// from sketches (ActiveApprox). Daily figures (per day,
// per channel, joins and leaves) read the days of the period as written;
// they are stored in the configured timezone. Statistics events not yet
// folded into the roll-ups are folded first.
func (d *DB) Activity(ctx context.Context, q ActivityQuery) (bot.Activity, error) {
	var a bot.Activity
	if _, err := d.FoldStats(ctx); err != nil {
		return a, err
	}
	top := cmpOr(q.Top, 5)
	from, to := q.Period.FirstDay(), q.Period.EndDay()
	tracked, err := d.PeriodTracked(ctx, q.Period.Key())
	if err != nil {
		return a, err
	}
	if err := d.totals(ctx, &a, q.Period.Key(), from, to, tracked); err != nil {
		return a, err
	}
	if err := d.contributors(ctx, &a, q, top, tracked); err != nil {
		return a, err
	}
	if err := d.perDay(ctx, &a, q.Period); err != nil {
		return a, err
	}
	if err := d.channels(ctx, &a, q, top); err != nil {
		return a, err
	}
	err = d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COALESCE(SUM(joins), 0), COALESCE(SUM(leaves), 0) FROM stats_guild_daily WHERE day >= ? AND day < ?`),
		from, to).Scan(&a.NewMembers, &a.DepartedMembers)
	if err != nil {
		return a, fmt.Errorf("joins and leaves %s: %w", q.Period, err)
	}
	// Each server's member count at the end of its last day with a row.
	err = d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COALESCE(SUM(g.member_count), 0) FROM stats_guild_daily g
		WHERE g.day = (SELECT MAX(day) FROM stats_guild_daily h WHERE h.guild_id = g.guild_id AND h.day < ?)`), to).Scan(&a.CommunitySize)
	if err != nil {
		return a, fmt.Errorf("community size at %s: %w", to, err)
	}
	return a, nil
}

func (d *DB) totals(ctx context.Context, a *bot.Activity, key, from, to string, tracked bool) error {
	var err error
	if tracked {
		err = d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COALESCE(SUM(messages), 0), COALESCE(SUM(authors), 0), COALESCE(SUM(threads_started), 0)
			FROM stats_period WHERE period = ?`), key).Scan(&a.Messages, &a.ActiveMembers, &a.Discussions)
	} else {
		// Any other period: a few rows of the roll-up hierarchy, and the
		// distinct authors estimated from their sketches.
		var bs []bucket
		if bs, err = cover(from, to); err == nil {
			var c activityCounts
			err = d.rollupTotals(ctx, &c, bs)
			a.Messages, a.Discussions, a.ActiveMembers, a.ActiveApprox = c.messages, c.threads, c.authors, true
		}
	}
	if err != nil {
		return fmt.Errorf("activity totals %s: %w", key, err)
	}
	return nil
}

// memberName is how a contributor is named: display name, else username,
// else id.
const memberName = `COALESCE(NULLIF(m.display_name, ''), NULLIF(m.username, ''), t.author_id)`

func (d *DB) contributors(ctx context.Context, a *bot.Activity, q ActivityQuery, top int, tracked bool) error {
	var rows []struct {
		ID       string `db:"author_id"`
		Name     string `db:"name"`
		Messages int64  `db:"messages"`
		Staff    bool   `db:"staff"`
	}
	if tracked {
		sub := `SELECT guild_id, author_id, messages, staff FROM stats_author_period WHERE period = ?`
		args := []any{q.Period.Key()}
		if !q.StaffInTop {
			sub += ` AND staff = ?`
			args = append(args, false)
		}
		sub += ` ORDER BY messages DESC, author_id LIMIT ?`
		args = append(args, top)
		err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT t.author_id, `+memberName+` AS name, t.messages, t.staff FROM (`+sub+`) t
			LEFT JOIN members m ON m.platform = 'discord' AND m.scope_id = t.guild_id AND m.user_id = t.author_id
			ORDER BY t.messages DESC, t.author_id`), args...)
		if err != nil {
			return fmt.Errorf("top contributors %s: %w", q.Period, err)
		}
	} else {
		bs, err := cover(q.Period.FirstDay(), q.Period.EndDay())
		if err != nil {
			return err
		}
		tops, err := d.topAuthors(ctx, bs, top, q.StaffInTop)
		if err != nil {
			return fmt.Errorf("top contributors %s: %w", q.Period, err)
		}
		names, err := d.memberNames(ctx, tops)
		if err != nil {
			return fmt.Errorf("top contributors %s: %w", q.Period, err)
		}
		for _, t := range tops {
			rows = append(rows, struct {
				ID       string `db:"author_id"`
				Name     string `db:"name"`
				Messages int64  `db:"messages"`
				Staff    bool   `db:"staff"`
			}{t.author, cmp.Or(names[[2]string{t.guild, t.author}], t.author), t.messages, t.staff})
		}
	}
	for _, r := range rows {
		a.Contributors = append(a.Contributors, bot.Contributor{ID: r.ID, Name: r.Name, Messages: r.Messages, Staff: r.Staff})
	}
	return nil
}

// memberNames returns how each of ts is named: display name, else
// username (else nothing, and the caller shows the id).
func (d *DB) memberNames(ctx context.Context, ts []authorTotal) (map[[2]string]string, error) {
	out := map[[2]string]string{}
	if len(ts) == 0 {
		return out, nil
	}
	// By primary key: a pair of conditions per member.
	var args []any
	var pairs []string
	for _, t := range ts {
		pairs = append(pairs, "(scope_id = ? AND user_id = ?)")
		args = append(args, t.guild, t.author)
	}
	var rows []struct {
		Guild string `db:"scope_id"`
		ID    string `db:"user_id"`
		Name  string `db:"name"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT scope_id, user_id, COALESCE(NULLIF(display_name, ''), NULLIF(username, ''), '') AS name
		FROM members WHERE platform = 'discord' AND (`+strings.Join(pairs, " OR ")+`)`), args...)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[[2]string{r.Guild, r.ID}] = r.Name
	}
	return out, nil
}

func (d *DB) perDay(ctx context.Context, a *bot.Activity, p bot.Period) error {
	var rows []struct {
		Day string `db:"day"`
		N   int64  `db:"n"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT start_day AS day, SUM(messages) AS n FROM stats_rollup
		WHERE level = 'day' AND start_day >= ? AND start_day < ? GROUP BY start_day`),
		p.FirstDay(), p.EndDay())
	if err != nil {
		return fmt.Errorf("messages per day %s: %w", p, err)
	}
	byDay := map[string]int64{}
	for _, r := range rows {
		byDay[r.Day] = r.N
	}
	for _, day := range p.Days() {
		a.PerDay = append(a.PerDay, byDay[day])
	}
	return nil
}

// channels fills the busiest channels, with their messages in the period
// before for comparison.
func (d *DB) channels(ctx context.Context, a *bot.Activity, q ActivityQuery, top int) error {
	prev := q.Previous
	var rows []struct {
		Guild   string `db:"guild_id"`
		Channel string `db:"channel_id"`
		Name    string `db:"name"`
		N       int64  `db:"n"`
		Prev    int64  `db:"prev"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT t.guild_id, t.channel_id, COALESCE(c.name, '') AS name, t.n,
			COALESCE((SELECT SUM(messages) FROM stats_channel_daily p WHERE p.guild_id = t.guild_id AND p.channel_id = t.channel_id
				AND p.day >= ? AND p.day < ?), 0) AS prev
		FROM (SELECT guild_id, channel_id, SUM(messages) AS n FROM stats_channel_daily WHERE day >= ? AND day < ?
			GROUP BY guild_id, channel_id ORDER BY n DESC, channel_id LIMIT ?) t
		LEFT JOIN stats_channels c ON c.guild_id = t.guild_id AND c.channel_id = t.channel_id
		ORDER BY t.n DESC, t.channel_id`), prev.FirstDay(), prev.EndDay(), q.Period.FirstDay(), q.Period.EndDay(), top)
	if err != nil {
		return fmt.Errorf("busiest channels %s: %w", q.Period, err)
	}
	for _, r := range rows {
		name := r.Name
		if name == "" {
			name = q.Names[r.Channel]
		}
		if name == "" {
			name = r.Channel
		}
		a.Channels = append(a.Channels, bot.Count{Name: "#" + name, N: r.N, Prev: r.Prev})
	}
	return nil
}

// FeedbackFact is what the digest reads of a feedback item: enough to
// count it, time its first response and link to it.
type FeedbackFact struct {
	ID              int64      `db:"id"`
	AuthorName      string     `db:"author_name"`
	Customer        string     `db:"customer"`
	Text            string     `db:"text"` // its first 200 characters
	Permalink       string     `db:"permalink"`
	Sentiment       string     `db:"sentiment"`
	Votes           int        `db:"votes"`
	CreatedAt       time.Time  `db:"created_at"`
	FirstResponseAt *time.Time `db:"first_response_at"`
}

const factColumns = `f.id, f.author_name, f.customer, substr(f.text, 1, 200) AS text, f.permalink, f.sentiment, f.votes, f.created_at, f.first_response_at`

// FeedbackTally is the feedback created in a span of time, counted by the
// database: the digest reads a few rows, not every item.
type FeedbackTally struct {
	Items       int64
	BySentiment map[string]int64
	ByTag       map[string]int64
	MostVoted   []FeedbackFact // at least one vote, most first
	// Responses are the creation and first-response times of the items
	// answered, for response times counted in business hours.
	Responses [][2]time.Time
}

// FeedbackCreated counts the feedback items created in [from, to): by
// sentiment and by tag, the top most voted, and the answered items' times.
func (d *DB) FeedbackCreated(ctx context.Context, from, to time.Time, top int) (FeedbackTally, error) {
	t := FeedbackTally{BySentiment: map[string]int64{}, ByTag: map[string]int64{}}
	span := []any{from.UTC(), to.UTC()}
	const in = ` FROM feedback_items f WHERE f.created_at >= ? AND f.created_at < ?`
	var counts []struct {
		Name string `db:"name"`
		N    int64  `db:"n"`
	}
	err := d.db.SelectContext(ctx, &counts, d.db.Rebind(`SELECT f.sentiment AS name, COUNT(*) AS n`+in+` GROUP BY f.sentiment`), span...)
	if err != nil {
		return t, fmt.Errorf("feedback by sentiment %s to %s: %w", from, to, err)
	}
	for _, c := range counts {
		t.BySentiment[c.Name], t.Items = c.N, t.Items+c.N
	}
	// Tags are a JSON array in a text column; each dialect unnests it its way.
	tags := `SELECT j.value AS name, COUNT(*) AS n FROM feedback_items f, json_each(f.tags) j`
	if d.dialect.name == Postgres {
		tags = `SELECT j AS name, COUNT(*) AS n FROM feedback_items f, json_array_elements_text(f.tags::json) j`
	}
	counts = nil
	err = d.db.SelectContext(ctx, &counts, d.db.Rebind(tags+` WHERE f.created_at >= ? AND f.created_at < ? GROUP BY name`), span...)
	if err != nil {
		return t, fmt.Errorf("feedback by tag %s to %s: %w", from, to, err)
	}
	for _, c := range counts {
		t.ByTag[c.Name] = c.N
	}
	err = d.db.SelectContext(ctx, &t.MostVoted, d.db.Rebind(`SELECT `+factColumns+in+` AND f.votes > 0 ORDER BY f.votes DESC, f.id LIMIT ?`),
		append(span, top)...)
	if err != nil {
		return t, fmt.Errorf("most-voted feedback %s to %s: %w", from, to, err)
	}
	rows, err := d.db.QueryContext(ctx, d.db.Rebind(`SELECT f.created_at, f.first_response_at`+in+` AND f.first_response_at IS NOT NULL`), span...)
	if err != nil {
		return t, fmt.Errorf("feedback response times %s to %s: %w", from, to, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p [2]time.Time
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return t, fmt.Errorf("feedback response times: %w", err)
		}
		t.Responses = append(t.Responses, [2]time.Time{p[0].UTC(), p[1].UTC()})
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("feedback response times: %w", err)
	}
	return t, nil
}

// UnansweredAt returns how many items were waiting for a first answer at t
// (created before t, neither answered nor closed by then) and the limit
// that had waited longest.
func (d *DB) UnansweredAt(ctx context.Context, t time.Time, limit int) (int64, []FeedbackFact, error) {
	const where = ` FROM feedback_items f WHERE f.created_at < ? AND (f.first_response_at IS NULL OR f.first_response_at >= ?)
		AND (f.closed_at IS NULL OR f.closed_at >= ?) AND f.deleted = ?`
	args := []any{t.UTC(), t.UTC(), t.UTC(), false}
	var n int64
	if err := d.db.GetContext(ctx, &n, d.db.Rebind(`SELECT COUNT(*)`+where), args...); err != nil {
		return 0, nil, fmt.Errorf("unanswered feedback at %s: %w", t, err)
	}
	var oldest []FeedbackFact
	err := d.db.SelectContext(ctx, &oldest, d.db.Rebind(`SELECT `+factColumns+where+` ORDER BY f.created_at, f.id LIMIT ?`), append(args, limit)...)
	if err != nil {
		return 0, nil, fmt.Errorf("unanswered feedback at %s: %w", t, err)
	}
	return n, oldest, nil
}

// RepliesPublished counts the drafted replies posted to Discord in
// [from, to), answers to modmail tickets (private DMs) left out. Zero
// until approvals post drafts.
func (d *DB) RepliesPublished(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := d.db.GetContext(ctx, &n, d.db.Rebind(`SELECT COUNT(*) FROM drafts WHERE status = 'posted' AND posted_at >= ? AND posted_at < ?
		AND target_channel_id <> 'modmail'`),
		from.UTC(), to.UTC())
	if err != nil {
		return 0, fmt.Errorf("replies published %s to %s: %w", from, to, err)
	}
	return n, nil
}

// ModerationActions counts the moderation cases opened in [from, to) by
// action (warn, timeout, ban…), notes left out. Zero until moderation
// records cases.
func (d *DB) ModerationActions(ctx context.Context, from, to time.Time) (map[string]int64, error) {
	var rows []struct {
		Action string `db:"action"`
		N      int64  `db:"n"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT action, COUNT(*) AS n FROM mod_cases WHERE created_at >= ? AND created_at < ? AND action <> 'note'
		GROUP BY action`), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("moderation actions %s to %s: %w", from, to, err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Action] = r.N
	}
	return out, nil
}

// Job run states, as job_runs records them.
const (
	JobRunDone    = "done"
	JobRunSkipped = "skipped"
)

// JobRun is the record of one scheduled slot of a job.
type JobRun struct {
	Job        string     `db:"job"`
	Slot       time.Time  `db:"slot"`
	Status     string     `db:"status"`
	Delayed    bool       `db:"delayed"`
	Owner      string     `db:"owner"`
	Detail     string     `db:"detail"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
}

// ClaimJobRun records slot of job as done by owner, in this transaction,
// and reports whether it was the first to: a slot already recorded (posted,
// or skipped) is never claimed again. The caller enqueues the slot's
// messages in the same transaction, so the claim and the posts commit
// together or not at all.
func (tx *Tx) ClaimJobRun(ctx context.Context, now time.Time, job string, slot time.Time, delayed bool, owner, detail string) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO job_runs (job, slot, status, delayed, owner, detail, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job, slot) DO NOTHING`,
		job, slot.UTC(), JobRunDone, delayed, owner, detail, now.UTC(), now.UTC())
	if err != nil {
		return false, fmt.Errorf("claim %s at %s: %w", job, slot, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %s at %s: %w", job, slot, err)
	}
	return n > 0, nil
}

// SkipJobRun records that slot of job was not run, and why, unless the slot
// is already recorded.
func (d *DB) SkipJobRun(ctx context.Context, now time.Time, job string, slot time.Time, owner, why string) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO job_runs (job, slot, status, delayed, owner, detail, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job, slot) DO NOTHING`),
		job, slot.UTC(), JobRunSkipped, false, owner, why, now.UTC(), now.UTC())
	if err != nil {
		return fmt.Errorf("skip %s at %s: %w", job, slot, err)
	}
	return nil
}

// LastJobRun returns the latest slot of job that is recorded, and false
// when none is.
func (d *DB) LastJobRun(ctx context.Context, job string) (time.Time, bool, error) {
	var slots []time.Time
	err := d.db.SelectContext(ctx, &slots, d.db.Rebind(`SELECT slot FROM job_runs WHERE job = ? ORDER BY slot DESC LIMIT 1`), job)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last run of %s: %w", job, err)
	}
	if len(slots) == 0 {
		return time.Time{}, false, nil
	}
	return slots[0].UTC(), true, nil
}

// JobRunAt returns the record of slot of job, or nil when there is none.
func (d *DB) JobRunAt(ctx context.Context, job string, slot time.Time) (*JobRun, error) {
	var out []JobRun
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT job, slot, status, delayed, owner, detail, started_at, finished_at
		FROM job_runs WHERE job = ? AND slot = ?`), job, slot.UTC())
	if err != nil {
		return nil, fmt.Errorf("run of %s at %s: %w", job, slot, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	out[0].Slot, out[0].StartedAt = out[0].Slot.UTC(), out[0].StartedAt.UTC()
	return &out[0], nil
}

// JobRuns returns the recorded slots of job, oldest first.
func (d *DB) JobRuns(ctx context.Context, job string) ([]JobRun, error) {
	var out []JobRun
	err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT job, slot, status, delayed, owner, detail, started_at, finished_at
		FROM job_runs WHERE job = ? ORDER BY slot`), job)
	if err != nil {
		return nil, fmt.Errorf("runs of %s: %w", job, err)
	}
	for i := range out {
		out[i].Slot, out[i].StartedAt = out[i].Slot.UTC(), out[i].StartedAt.UTC()
	}
	return out, nil
}
