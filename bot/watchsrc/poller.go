package watchsrc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/watch"
	"github.com/liaison-bot/liaison/jobs"
)

// Watched is one Search and the sources its query reads (source ids from
// `watch.queries[].sources`).
type Watched struct {
	Search  watch.Search
	Sources []string
}

// pollerStore is implemented by *store.DB.
type pollerStore interface {
	WatchCursor(ctx context.Context, source, key string) (store.WatchCursor, error)
	SaveWatchCursor(ctx context.Context, now time.Time, c store.WatchCursor) error
	RecordWatchFailure(ctx context.Context, now time.Time, source, reason string, notify func(tx *store.Tx, h store.WatchHealth) (bool, error)) (store.WatchHealth, error)
	RecordWatchSuccess(ctx context.Context, now time.Time, source string, notify func(tx *store.Tx, was store.WatchHealth) error) (store.WatchHealth, error)
}

// Poller polls every source for the searches it is given, hands what is new
// to the Sink, and keeps cursors and health in the store. Sources are
// polled concurrently (Options.Parallel at once), so the Sink must be safe
// for concurrent use; each source's own targets are fetched in order. Each source is
// polled every Options.PollEvery, or less often when its rate limit cannot
// afford its requests that often. Run it as a job under the scheduler's
// lease (Job), so one replica polls at a time.
//
// Exactly once: a target's cursor is saved only after the Sink returned nil
// for its items, so a crash or a failing Sink repeats a page rather than
// missing it, and a restart (a new Poller on the same database) resumes from
// the saved cursors. Mentions are deduplicated by canonical URL downstream,
// so a repeated page posts nothing twice.
type Poller struct {
	db      pollerStore
	sources []Source
	sink    watch.Sink
	o       Options

	mu       sync.Mutex
	searches []Watched
	next     map[string]time.Time     // source → when it is next due
	paced    map[string]time.Duration // source → interval last logged
	lastErr  map[string]error         // health unit → its last failure, for the notice
}

func (p *Poller) noteFailure(unit string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastErr[unit] = err
}

func (p *Poller) lastFailure(unit string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr[unit]
}

func cmpErrs(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// NewPoller builds the sources from o and a Poller handing their items to
// sink. Call SetSearches before the first poll.
func NewPoller(db *store.DB, o Options, sink watch.Sink) (*Poller, error) {
	srcs, _, err := NewSources(o)
	if err != nil {
		return nil, err
	}
	return newPoller(db, o, sink, srcs), nil
}

func newPoller(db pollerStore, o Options, sink watch.Sink, srcs []Source) *Poller {
	return &Poller{db: db, sources: srcs, sink: sink, o: o.withDefaults(),
		next: map[string]time.Time{}, paced: map[string]time.Duration{}, lastErr: map[string]error{}}
}

// SetSearches replaces what is searched (the compiled queries' branches),
// from the next poll on. A source no search names is not polled; the feeds
// source is polled when any search names it.
func (p *Poller) SetSearches(ws []Watched) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.searches = slices.Clone(ws)
}

// JobName is the poller's job in the scheduler.
const JobName = "watch-poll"

// Job returns the poller as a scheduler job: it ticks every 30 seconds and
// polls the sources that are due.
func (p *Poller) Job() jobs.Job {
	return jobs.Job{Name: JobName, Every: 30 * time.Second, Run: p.Run}
}

// Run polls every source that is due at now, and returns how many items
// they handed to the Sink once all are done. Each health unit (a source's
// API, or one feed) is polled on its own, Options.Parallel at once: a slow
// or hanging source, or feed, delays only its own items; the others' reach
// the Sink (and Slack) as soon as they are fetched. Each source's cursors and health are its own
// rows in the store, written only by its poll. A source's failure is
// recorded (and reported once after Options.ReportAfter), never returned;
// an error from the Sink or the store stops that source's poll, leaving
// its cursors where they were, and is returned (joined with the others').
func (p *Poller) Run(ctx context.Context, now time.Time) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	slots := make(chan struct{}, p.o.Parallel)
	for _, src := range p.sources {
		for _, targets := range byUnit(p.due(src, now)) {
			wg.Go(func() {
				select {
				case slots <- struct{}{}:
					defer func() { <-slots }()
				case <-ctx.Done():
					return
				}
				n, err := p.poll(ctx, src, targets, now)
				mu.Lock()
				defer mu.Unlock()
				total += n
				if err != nil {
					errs = append(errs, err)
				}
			})
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		return total, err
	}
	return total, errors.Join(errs...)
}

// byUnit splits targets by health unit, in order: each unit (a source's
// API, or one feed) is polled on its own, its targets one after another.
func byUnit(targets []Target) [][]Target {
	var out [][]Target
	at := map[string]int{}
	for _, t := range targets {
		i, ok := at[t.Health]
		if !ok {
			i = len(out)
			at[t.Health] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], t)
	}
	return out
}

// due returns the targets of src when it is due at now, and schedules its
// next poll.
func (p *Poller) due(src Source, now time.Time) []Target {
	p.mu.Lock()
	defer p.mu.Unlock()
	var searches []watch.Search
	for _, w := range p.searches {
		if slices.Contains(w.Sources, src.ID()) {
			searches = append(searches, w.Search)
		}
	}
	if len(searches) == 0 || now.Before(p.next[src.ID()]) {
		return nil
	}
	seen := map[string]bool{}
	var targets []Target
	for _, t := range src.Targets(searches) {
		if !seen[t.Key] {
			seen[t.Key] = true
			targets = append(targets, t)
		}
	}
	every := p.o.PollEvery
	if src.ID() != watch.SourceFeeds { // feeds spread over many hosts, each with its own budget
		if r := src.Rate(); r.valid() {
			every = max(every, time.Duration(len(targets))*r.interval())
		}
	}
	if every != p.o.PollEvery && p.paced[src.ID()] != every {
		p.paced[src.ID()] = every
		p.o.Logger.Info("watch: polling a source less often than poll_every to stay within its rate limit",
			"source", src.ID(), "requests_per_poll", len(targets), "rate", src.Rate().String(), "every", every.String())
	}
	p.next[src.ID()] = now.Add(every)
	return targets
}

// later moves src's next poll earlier to until (a deferred target is tried
// again as soon as its host may be asked).
func (p *Poller) later(src string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.Before(p.next[src]) {
		p.next[src] = until
	}
}

type unitState struct {
	ok      bool
	failure error
	paced   bool // a target waits for the rate limit: no news about health
}

func (p *Poller) poll(ctx context.Context, src Source, targets []Target, now time.Time) (int, error) {
	total := 0
	units := map[string]*unitState{}
	for _, t := range targets {
		u := units[t.Health]
		if u == nil {
			u = &unitState{}
			units[t.Health] = u
		}
		saved, err := p.db.WatchCursor(ctx, src.ID(), t.Key)
		if err != nil {
			return total, err
		}
		cur := Cursor{Value: saved.Value, ETag: saved.ETag, LastModified: saved.LastModified}
		items, next, err := src.Fetch(ctx, t, cur)
		var de *DeferredError
		switch {
		case ctx.Err() != nil:
			return total, ctx.Err()
		case errors.As(err, &de):
			if de.Failing {
				// Still in the backoff of a failure: the source keeps failing
				// for the reason last seen; keep the normal schedule.
				u.failure = cmpErrs(p.lastFailure(t.Health), err)
			} else {
				u.paced = true
				p.later(src.ID(), de.Until) // paced: try again as soon as the budget allows
			}
			p.o.Logger.Debug("watch: a request waits", "source", src.ID(), "target", t.Label, "until", de.Until, "why", de.Why)
			continue
		case err != nil:
			u.failure = err
			p.noteFailure(t.Health, err)
			p.o.Logger.Warn("watch: a source failed; its cursor stays and it is tried again",
				"source", src.ID(), "target", t.Label, "err", err)
			continue
		}
		if len(items) > 0 {
			if err := p.sink(ctx, items); err != nil {
				return total, fmt.Errorf("watch: hand %d items from %s %s on: %w", len(items), src.ID(), t.Label, err)
			}
			total += len(items)
		}
		if next != cur {
			if err := p.db.SaveWatchCursor(ctx, now, store.WatchCursor{Source: src.ID(), Key: t.Key,
				Value: next.Value, ETag: next.ETag, LastModified: next.LastModified}); err != nil {
				return total, err
			}
		}
		u.ok = true
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		u := units[name]
		var err error
		switch {
		case u.failure != nil:
			err = p.failed(ctx, now, name, u.failure)
		case u.ok && !u.paced:
			err = p.succeeded(ctx, now, name)
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (p *Poller) failed(ctx context.Context, now time.Time, unit string, cause error) error {
	reason := reasonFor(cause)
	_, err := p.db.RecordWatchFailure(ctx, now, unit, reason, func(tx *store.Tx, h store.WatchHealth) (bool, error) {
		if now.Sub(*h.FailingSince) < p.o.ReportAfter {
			return false, nil
		}
		text := fmt.Sprintf("The watch cannot read %s since %s (%s): %s. Mentions from it are delayed, not lost: Liaison keeps trying and will say here when it is back.",
			sourceName(unit), h.FailingSince.UTC().Format("Jan 2 15:04 MST"), roundDur(now.Sub(*h.FailingSince)), reason)
		p.o.Logger.Error("watch: a source has been failing; reported once", "source", unit, "since", *h.FailingSince, "err", reason)
		if p.o.Report == nil {
			return true, nil
		}
		if err := p.o.Report(ctx, tx, unit, text); err != nil {
			return false, fmt.Errorf("report %s failing: %w", unit, err)
		}
		return true, nil
	})
	return err
}

func (p *Poller) succeeded(ctx context.Context, now time.Time, unit string) error {
	_, err := p.db.RecordWatchSuccess(ctx, now, unit, func(tx *store.Tx, was store.WatchHealth) error {
		p.o.Logger.Info("watch: a source works again", "source", unit, "failing_since", *was.FailingSince, "reported", was.Notified)
		if !was.Notified || p.o.Report == nil {
			return nil // a short hiccup was never reported: nothing to take back
		}
		text := fmt.Sprintf("The watch reads %s again (it failed from %s to %s); what was published meanwhile is being caught up.",
			sourceName(unit), was.FailingSince.UTC().Format("Jan 2 15:04"), now.UTC().Format("15:04 MST"))
		if err := p.o.Report(ctx, tx, unit, text); err != nil {
			return fmt.Errorf("report %s recovered: %w", unit, err)
		}
		return nil
	})
	return err
}

// reasonFor is a failure as one short line for Slack: the status, not the
// body a remote server sent.
func reasonFor(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case 401, 403:
			if errors.Is(err, ErrLoginRequired) {
				return ErrLoginRequired.Error()
			}
			// the adapters' explanations come before the status error
			msg := err.Error()
			if i := strings.Index(msg, se.URL); i > 0 {
				why := strings.TrimRight(strings.TrimSpace(msg[:i]), ":")
				return fmt.Sprintf("%s (%d %s)", why, se.Status, statusText(se.Status))
			}
		}
		return fmt.Sprintf("%s answered %d %s", se.URL, se.Status, statusText(se.Status))
	}
	var de *DeferredError
	if errors.As(err, &de) {
		return de.Host + " is " + de.Why
	}
	return cut(err.Error(), 300)
}

func statusText(code int) string {
	if t := strings.TrimSpace(http.StatusText(code)); t != "" {
		return t
	}
	return "error"
}

var sourceNames = map[string]string{
	watch.SourceHN: "Hacker News", watch.SourceReddit: "Reddit", watch.SourceMastodon: "Mastodon",
	watch.SourceStackExchange: "Stack Exchange", watch.SourceGitHub: "GitHub", watch.SourceFeeds: "the feeds",
}

// sourceName names a health unit for people: "Hacker News", "the feed tech-news".
func sourceName(unit string) string {
	src, part, _ := strings.Cut(unit, ":")
	if src == watch.SourceFeeds && part != "" {
		return "the feed " + part
	}
	n, ok := sourceNames[src]
	if !ok {
		n = src
	}
	if part != "" {
		n += " (" + part + ")"
	}
	return n
}

func roundDur(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return strings.TrimSuffix(d.String(), "0s")
}
