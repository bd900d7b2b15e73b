package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/axiomhq/hyperloglog"
	"github.com/jmoiron/sqlx"
)

// The roll-up hierarchy: each server's messages, threads and authors per
// day, ISO week and month (stats_rollup), and each author's messages at the
// same three levels (stats_author_rollup). Any span of whole days is the
// union of at most a few of them — whole months, then whole weeks, then the
// days left over (cover) — so a digest of any period up to 31 days reads at
// most 16 rows per additive series, whatever the traffic. Distinct authors
// do not add up across rows: each row keeps a HyperLogLog sketch of its
// authors, and a period's estimate merges its rows' sketches. Digest
// periods configured before they began keep their exact per-period rows
// (stats_period); the sketches answer every other period.

// Levels of the roll-up hierarchy.
const (
	levelDay   = "day"
	levelWeek  = "week"
	levelMonth = "month"
)

// bucket is one row of the hierarchy, for every server: a day, an ISO week
// (from its Monday) or a month (from its 1st).
type bucket struct{ level, start string }

// bucketsOf returns the three rows a day is counted in.
func bucketsOf(day string) ([3]bucket, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return [3]bucket{}, fmt.Errorf("statistics day %q: %w", day, err)
	}
	return [3]bucket{{levelDay, day}, {levelWeek, weekStart(t)}, {levelMonth, t.Format("2006-01") + "-01"}}, nil
}

// weekStart is the Monday of t's ISO week, YYYY-MM-DD.
func weekStart(t time.Time) string {
	back := (int(t.Weekday()) + 6) % 7
	return t.AddDate(0, 0, -back).Format(time.DateOnly)
}

// cover returns the rows whose union is the days d with from <= d < to
// (YYYY-MM-DD): from the left, a whole month when one starts there and fits,
// else a whole ISO week when one does, else a day. A span of up to 31 days
// takes at most 16 rows (6 days, 4 weeks, 6 days).
func cover(from, to string) ([]bucket, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("period start %q: %w", from, err)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("period end %q: %w", to, err)
	}
	var out []bucket
	for d := f; d.Before(t); {
		switch {
		case d.Day() == 1 && !d.AddDate(0, 1, 0).After(t):
			out = append(out, bucket{levelMonth, d.Format(time.DateOnly)})
			d = d.AddDate(0, 1, 0)
		case d.Weekday() == time.Monday && !d.AddDate(0, 0, 7).After(t):
			out = append(out, bucket{levelWeek, d.Format(time.DateOnly)})
			d = d.AddDate(0, 0, 7)
		default:
			out = append(out, bucket{levelDay, d.Format(time.DateOnly)})
			d = d.AddDate(0, 0, 1)
		}
	}
	return out, nil
}

// bucketWhere is the condition that a row (alias prefix p, "" for none) is
// one of bs, with its parameters; bs must not be empty.
func bucketWhere(p string, bs []bucket) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(bs))
	b.WriteString("(")
	for i, k := range bs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(" + p + "level = ? AND " + p + "start_day = ?)")
		args = append(args, k.level, k.start)
	}
	b.WriteString(")")
	return b.String(), args
}

// newSketch returns an empty sketch of distinct authors. Precision 16
// (65,536 registers) has a standard error of 0.41 %, so an estimate is
// within 1 % of the truth in 98 % of cases; small sets are kept sparse and
// counted almost exactly.
func newSketch() *hyperloglog.Sketch { return hyperloglog.New16() }

// sketchItem is what a sketch counts: an author in a server.
func sketchItem(guild, author string) []byte { return []byte(guild + "\x00" + author) }

func readSketch(b []byte) (*hyperloglog.Sketch, error) {
	sk := newSketch()
	if len(b) == 0 {
		return sk, nil
	}
	if err := sk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("read authors sketch: %w", err)
	}
	return sk, nil
}

// rollups adds a run of messages to the hierarchy: one multi-row upsert for
// the authors' rows, one for the servers' rows, and a read and write of the
// sketch of each row that has a new author (an author already in a sketch
// changes nothing, so a busy day's sketch is rewritten only when someone
// new speaks).
func (f *folder) rollups(ctx context.Context, run []statsEvent) error {
	type count struct {
		b              bucket
		guild, author  string
		n, threads     int64
		staff          bool
		newAuthors     []string
		newAuthorsSeen map[string]bool
	}
	var rows, authors tally[count]
	for _, e := range run {
		bs, err := bucketsOf(e.Day)
		if err != nil {
			return err
		}
		for _, b := range bs {
			r := rows.get(key(b.level, b.start, e.GuildID), func() *count { return &count{b: b, guild: e.GuildID} })
			r.n++
			r.threads += int64(b2i(e.ThreadStart))
			a := authors.get(key(b.level, b.start, e.GuildID, e.UserID), func() *count { return &count{b: b, guild: e.GuildID, author: e.UserID} })
			a.n++
			a.staff = e.Staff
		}
	}
	tx := f.tx
	err := upsertRows(ctx, tx, `INSERT INTO stats_author_rollup (level, start_day, guild_id, author_id, messages, staff) VALUES `,
		`ON CONFLICT (level, start_day, guild_id, author_id) DO UPDATE SET messages = stats_author_rollup.messages + excluded.messages,
			staff = excluded.staff
		RETURNING level, start_day, guild_id, author_id, messages`, nil,
		authors.keys, func(k string) []any {
			a := authors.by[k]
			return []any{a.b.level, a.b.start, a.guild, a.author, a.n, a.staff}
		},
		func(rs *sqlx.Rows) error {
			var level, start, guild, author string
			var total int64
			if err := rs.Scan(&level, &start, &guild, &author, &total); err != nil {
				return err
			}
			if a := authors.by[key(level, start, guild, author)]; a != nil && total == a.n {
				r := rows.by[key(level, start, guild)]
				r.newAuthors = append(r.newAuthors, author)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("count messages by author in the roll-ups: %w", err)
	}
	err = upsertRows(ctx, tx, `INSERT INTO stats_rollup (level, start_day, guild_id, messages, threads_started) VALUES `,
		`ON CONFLICT (level, start_day, guild_id) DO UPDATE SET messages = stats_rollup.messages + excluded.messages,
			threads_started = stats_rollup.threads_started + excluded.threads_started`, nil,
		rows.keys, func(k string) []any {
			r := rows.by[k]
			return []any{r.b.level, r.b.start, r.guild, r.n, r.threads}
		}, nil)
	if err != nil {
		return fmt.Errorf("count messages in the roll-ups: %w", err)
	}
	return rows.each(func(r *count) error {
		if len(r.newAuthors) == 0 {
			return nil
		}
		var raw []byte
		err := tx.tx.GetContext(ctx, &raw, tx.rebind(`SELECT authors FROM stats_rollup WHERE level = ? AND start_day = ? AND guild_id = ?`),
			r.b.level, r.b.start, r.guild)
		if err != nil {
			return fmt.Errorf("authors of %s %s: %w", r.b.level, r.b.start, err)
		}
		sk, err := readSketch(raw)
		if err != nil {
			return err
		}
		for _, a := range r.newAuthors {
			sk.Insert(sketchItem(r.guild, a))
		}
		return tx.writeSketch(ctx, r.b, r.guild, sk)
	})
}

func (tx *Tx) writeSketch(ctx context.Context, b bucket, guild string, sk *hyperloglog.Sketch) error {
	raw, err := sk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("authors of %s %s: %w", b.level, b.start, err)
	}
	if _, err := tx.exec(ctx, `UPDATE stats_rollup SET authors = ? WHERE level = ? AND start_day = ? AND guild_id = ?`,
		raw, b.level, b.start, guild); err != nil {
		return fmt.Errorf("authors of %s %s: %w", b.level, b.start, err)
	}
	return nil
}

// RebuildRollups rebuilds the roll-up hierarchy from the daily rows: what
// the first fold after the migration that adds it does, and what a bulk
// load of daily rows needs.
func (d *DB) RebuildRollups(ctx context.Context) error {
	return d.ownTx(ctx, func(tx *Tx) error {
		if err := tx.foldLock(ctx); err != nil {
			return err
		}
		return tx.rebuildRollups(ctx)
	})
}

// rebuildIfPending rebuilds the hierarchy when the migration asked for it.
// The answer is remembered once committed, so later folds skip the query.
func (tx *Tx) rebuildIfPending(ctx context.Context) error {
	if tx.db.rollupsBuilt.Load() {
		return nil
	}
	var pending []bool
	if err := tx.tx.SelectContext(ctx, &pending, `SELECT pending FROM stats_rollup_state WHERE name = 'rebuild'`); err != nil {
		return fmt.Errorf("roll-ups state: %w", err)
	}
	if len(pending) == 1 && pending[0] {
		if err := tx.rebuildRollups(ctx); err != nil {
			return err
		}
	}
	db := tx.db
	tx.OnCommit(func() { db.rollupsBuilt.Store(true) })
	return nil
}

func (tx *Tx) rebuildRollups(ctx context.Context) error {
	// Each day's ISO week (its Monday) and month (its 1st), of the day
	// column start_day.
	week, anyStaff := `date(start_day, '-6 days', 'weekday 1')`, `MAX(staff)`
	if tx.db.dialect.name == Postgres {
		week, anyStaff = `to_char(date_trunc('week', start_day::date), 'YYYY-MM-DD')`, `bool_or(staff)`
	}
	month := `substr(start_day, 1, 7) || '-01'`
	steps := []string{
		`DELETE FROM stats_rollup`,
		`DELETE FROM stats_author_rollup`,
		`INSERT INTO stats_author_rollup (level, start_day, guild_id, author_id, messages, staff)
			SELECT 'day', day, guild_id, author_id, SUM(messages), ` + anyStaff + ` FROM stats_author_daily GROUP BY day, guild_id, author_id`,
		`INSERT INTO stats_rollup (level, start_day, guild_id, messages, threads_started)
			SELECT 'day', day, guild_id, SUM(messages), SUM(threads_started) FROM stats_channel_daily GROUP BY day, guild_id`,
	}
	for _, up := range []struct{ name, expr string }{{levelWeek, week}, {levelMonth, month}} {
		e := up.expr
		steps = append(steps,
			`INSERT INTO stats_author_rollup (level, start_day, guild_id, author_id, messages, staff)
				SELECT '`+up.name+`', `+e+`, guild_id, author_id, SUM(messages), `+anyStaff+` FROM stats_author_rollup
				WHERE level = 'day' GROUP BY `+e+`, guild_id, author_id`,
			`INSERT INTO stats_rollup (level, start_day, guild_id, messages, threads_started)
				SELECT '`+up.name+`', `+e+`, guild_id, SUM(messages), SUM(threads_started) FROM stats_rollup
				WHERE level = 'day' GROUP BY `+e+`, guild_id`)
	}
	for _, q := range steps {
		if _, err := tx.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuild the statistics roll-ups: %w", err)
		}
	}
	// The sketches: every author of every day, merged up into its week and
	// month. Read whole before writing: a connection runs one statement at
	// a time.
	type rowKey struct {
		b     bucket
		guild string
	}
	sketches := map[rowKey]*hyperloglog.Sketch{}
	get := func(k rowKey) *hyperloglog.Sketch {
		sk := sketches[k]
		if sk == nil {
			sk = newSketch()
			sketches[k] = sk
		}
		return sk
	}
	rs, err := tx.tx.QueryContext(ctx, `SELECT start_day, guild_id, author_id FROM stats_author_rollup WHERE level = 'day'`)
	if err != nil {
		return fmt.Errorf("rebuild the authors sketches: %w", err)
	}
	for rs.Next() {
		var day, guild, author string
		if err := rs.Scan(&day, &guild, &author); err != nil {
			rs.Close()
			return fmt.Errorf("rebuild the authors sketches: %w", err)
		}
		bs, err := bucketsOf(day)
		if err != nil {
			rs.Close()
			return err
		}
		for _, b := range bs {
			get(rowKey{b, guild}).Insert(sketchItem(guild, author))
		}
	}
	if err := rs.Close(); err != nil {
		return fmt.Errorf("rebuild the authors sketches: %w", err)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("rebuild the authors sketches: %w", err)
	}
	for k, sk := range sketches {
		if err := tx.writeSketch(ctx, k.b, k.guild, sk); err != nil {
			return err
		}
	}
	if _, err := tx.exec(ctx, `UPDATE stats_rollup_state SET pending = ? WHERE name = 'rebuild'`, false); err != nil {
		return fmt.Errorf("rebuild the statistics roll-ups: %w", err)
	}
	return nil
}

// rollupTotals reads the messages and threads of the days from <= d < to
// from the hierarchy, and estimates the distinct authors from its sketches.
func (d *DB) rollupTotals(ctx context.Context, a *activityCounts, bs []bucket) error {
	if len(bs) == 0 {
		return nil
	}
	where, args := bucketWhere("", bs)
	var rows []struct {
		Messages int64  `db:"messages"`
		Threads  int64  `db:"threads_started"`
		Authors  []byte `db:"authors"`
	}
	err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT messages, threads_started, authors FROM stats_rollup WHERE `+where), args...)
	if err != nil {
		return err
	}
	merged := newSketch()
	for _, r := range rows {
		a.messages += r.Messages
		a.threads += r.Threads
		if len(r.Authors) == 0 {
			continue
		}
		sk, err := readSketch(r.Authors)
		if err != nil {
			return err
		}
		if err := merged.Merge(sk); err != nil {
			return fmt.Errorf("merge authors sketches: %w", err)
		}
	}
	a.authors = int64(merged.Estimate())
	return nil
}

type activityCounts struct{ messages, threads, authors int64 }

// authorTotal is an author's messages over a period, for the top
// contributors.
type authorTotal struct {
	guild, author string
	messages      int64
	staff         bool
}

// topAuthors returns the top authors of the rows bs, most messages first
// (ties by author id), exactly, without summing every author: Fagin's
// threshold algorithm. It reads each row's depth busiest authors, sums those
// candidates over all the rows, and stops when the top-th candidate has
// more messages than any author not yet read could have (the sum of each
// row's last value read); otherwise it reads deeper. Communities are
// skewed, so one or two rounds of a few dozen authors per row suffice; past
// maxDepth it sums every author of the period instead.
func (d *DB) topAuthors(ctx context.Context, bs []bucket, top int, staffIn bool) ([]authorTotal, error) {
	if len(bs) == 0 || top <= 0 {
		return nil, nil
	}
	const maxDepth = 2000
	staffCond := ""
	if !staffIn {
		staffCond = " AND staff = ?"
	}
	for depth := max(4*top, 20); ; depth *= 4 {
		if depth > maxDepth {
			return d.sumAuthors(ctx, bs, top, staffIn)
		}
		// Sorted access: each row's busiest authors.
		var parts []string
		var args []any
		for _, b := range bs {
			parts = append(parts, `SELECT * FROM (SELECT level, start_day, guild_id, author_id, messages FROM stats_author_rollup
				WHERE level = ? AND start_day = ?`+staffCond+` ORDER BY messages DESC LIMIT ?) s`)
			args = append(args, b.level, b.start)
			if !staffIn {
				args = append(args, false)
			}
			args = append(args, depth)
		}
		var seen []struct {
			Level    string `db:"level"`
			Start    string `db:"start_day"`
			Guild    string `db:"guild_id"`
			Author   string `db:"author_id"`
			Messages int64  `db:"messages"`
		}
		if err := d.db.SelectContext(ctx, &seen, d.db.Rebind(strings.Join(parts, " UNION ALL ")), args...); err != nil {
			return nil, err
		}
		type rowStat struct {
			n    int
			last int64
		}
		per := map[bucket]*rowStat{}
		candidates := map[[2]string]bool{}
		for _, s := range seen {
			b := bucket{s.Level, s.Start}
			st := per[b]
			if st == nil {
				st = &rowStat{}
				per[b] = st
			}
			st.n++
			if st.n == 1 || s.Messages < st.last {
				st.last = s.Messages
			}
			candidates[[2]string{s.Guild, s.Author}] = true
		}
		// What an author not read yet could have at most: in each row
		// read to its depth, no more than the last value read; in a row read
		// whole, nothing.
		var threshold int64
		for _, st := range per {
			if st.n >= depth {
				threshold += st.last
			}
		}
		totals, err := d.authorTotals(ctx, bs, candidates)
		if err != nil {
			return nil, err
		}
		var out []authorTotal
		for _, t := range totals {
			if staffIn || !t.staff {
				out = append(out, t)
			}
		}
		sortAuthors(out)
		if threshold == 0 || (len(out) >= top && out[top-1].messages > threshold) {
			return out[:min(top, len(out))], nil
		}
	}
}

func sortAuthors(out []authorTotal) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].messages != out[j].messages {
			return out[i].messages > out[j].messages
		}
		if out[i].author != out[j].author {
			return out[i].author < out[j].author
		}
		return out[i].guild < out[j].guild
	})
}

// authorTotals sums the candidates' messages over the rows bs (random
// access), in chunks of ids.
func (d *DB) authorTotals(ctx context.Context, bs []bucket, candidates map[[2]string]bool) ([]authorTotal, error) {
	byGuild := map[string][]string{}
	for c := range candidates {
		byGuild[c[0]] = append(byGuild[c[0]], c[1])
	}
	guilds := make([]string, 0, len(byGuild))
	for g := range byGuild {
		guilds = append(guilds, g)
	}
	sort.Strings(guilds)
	where, wargs := bucketWhere("", bs)
	var out []authorTotal
	for _, g := range guilds {
		list := byGuild[g]
		sort.Strings(list)
		for len(list) > 0 {
			n := min(len(list), 500)
			args := append([]any{g}, wargs...)
			for _, id := range list[:n] {
				args = append(args, id)
			}
			list = list[n:]
			var rows []struct {
				Author   string `db:"author_id"`
				Messages int64  `db:"messages"`
				Staff    int    `db:"staff"`
			}
			err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT author_id, SUM(messages) AS messages, MAX(CASE WHEN staff THEN 1 ELSE 0 END) AS staff
				FROM stats_author_rollup WHERE guild_id = ? AND `+where+` AND author_id IN (?`+strings.Repeat(", ?", n-1)+`)
				GROUP BY author_id`), args...)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				out = append(out, authorTotal{guild: g, author: r.Author, messages: r.Messages, staff: r.Staff == 1})
			}
		}
	}
	return out, nil
}

// sumAuthors is the top authors of the rows bs the plain way: every
// author's sum. For periods with no skew worth the name.
func (d *DB) sumAuthors(ctx context.Context, bs []bucket, top int, staffIn bool) ([]authorTotal, error) {
	where, args := bucketWhere("", bs)
	q := `SELECT guild_id, author_id, SUM(messages) AS messages, MAX(CASE WHEN staff THEN 1 ELSE 0 END) AS staff
		FROM stats_author_rollup WHERE ` + where + ` GROUP BY guild_id, author_id`
	if !staffIn {
		q += ` HAVING MAX(CASE WHEN staff THEN 1 ELSE 0 END) = 0`
	}
	q += ` ORDER BY messages DESC, author_id, guild_id LIMIT ?`
	var rows []struct {
		Guild    string `db:"guild_id"`
		Author   string `db:"author_id"`
		Messages int64  `db:"messages"`
		Staff    int    `db:"staff"`
	}
	if err := d.db.SelectContext(ctx, &rows, d.db.Rebind(q), append(args, top)...); err != nil {
		return nil, err
	}
	out := make([]authorTotal, 0, len(rows))
	for _, r := range rows {
		out = append(out, authorTotal{guild: r.Guild, author: r.Author, messages: r.Messages, staff: r.Staff == 1})
	}
	return out, nil
}
