package discordbot

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// DefaultCatchUpLimit is CatchUpOptions.Limit's default.
const DefaultCatchUpLimit = 100

// CatchUpOptions configure gap catch-up: when the gateway session could not
// be resumed, events dispatched meanwhile are lost, so the adapter reads the
// history of these channels after the last message it saw in each.
type CatchUpOptions struct {
	// Channels are the Discord channel ids to catch up (the feedback
	// channels, typically).
	Channels []string
	// Limit bounds the messages fetched per channel; default 100.
	Limit int
	// Cursors, when set, keep the newest message handled in each of
	// Channels across restarts: the first session of a run catches up from
	// them, so what was posted while Liaison was down is handled too.
	Cursors CursorStore
	// SaveEvery is how often moved cursors are saved (and at shutdown);
	// default 5 s. A crash loses at most that much progress: the next run
	// reads those messages again, which their keys make harmless.
	SaveEvery time.Duration
	// RetryAfter is how long after the handler lost a message of one of
	// Channels (an internal error, thrice) the channel is caught up again
	// from its cursor; default 30 s. Only with Cursors.
	RetryAfter time.Duration
}

// CursorStore keeps the cursors; *store.DB implements it.
type CursorStore interface {
	DiscordCursors(ctx context.Context) (map[string]string, error)
	SaveDiscordCursors(ctx context.Context, now time.Time, cursors map[string]string) error
}

// deliverer is all the catch-up asks of the adapter: hand the handler a
// message read from a channel's history, converted as the gateway's would
// be and marked Backfill, and report whether the handler lost it (an
// internal error through the adapter's retries). A message Liaison does not
// read (a bot's) is passed over, which is not a loss. *Adapter implements
// it.
type deliverer interface {
	deliverBackfill(ctx context.Context, m *discordgo.Message, guild string) (lost bool)
}

const (
	cursorTimeout  = 5 * time.Second // one read or save of the cursors
	catchUpTimeout = 2 * time.Minute // one channel's catch-up
)

// catchup makes sure nothing said in a watched channel (CatchUpOptions.
// Channels, threads and forum posts under it included) is missed, across
// sessions that could not be resumed, restarts and handler outages. It
// keeps a cursor per watched channel, the newest message the handler is
// done with, saved in the store (discord_cursors) every
// CatchUpOptions.SaveEvery and once more at shutdown.
//
// The cursor never passes a message that is not committed:
//   - the messages of one channel are handled on several workers (one per
//     author, and per thread), so they finish out of order; the cursor is a low-water mark,
//     held just before the oldest message still queued anywhere under the
//     channel;
//   - while the channel is being caught up it holds still, because a thread
//     read later may hold messages older than the channel's last;
//   - a message the handler lost puts it back before that message and
//     freezes it until a catch-up from there has read everything again.
//
// It catches up at the start of every session, as a channel-wide task of
// the adapter's queue so that live events of the new session queue behind
// the history: the first
// session of a run from the saved cursors (what was said while Liaison was
// down), a later one (the previous could not be resumed) from the last
// message seen in each channel. And RetryAfter (30 s) after a message was
// lost, or after a catch-up that could not read everything, it catches the
// channel up again from its cursor. A catch-up reads the channel, then its
// active threads and the public threads archived since, oldest message
// first; the keys of caught-up messages are those of live ones, so a
// message read twice is a no-op for the handler.
//
// The adapter tells it about each live message of a watched channel: seen,
// queued for the handler, then handled (committed or lost), or dropped
// when the queue refused it. It asks the adapter only to deliver what it
// reads (deliverer). Without CatchUpOptions.Cursors there are no cursors:
// only a session that could not be resumed is caught up, from the last
// message seen.
type catchup struct {
	opts    CatchUpOptions // defaults filled
	watched map[string]bool
	guild   string // the only configured guild, for channels the session's state does not know
	session *discordgo.Session
	deliver deliverer
	clock   bot.Clock
	log     *slog.Logger

	mu sync.Mutex
	// Kept across runs.
	lastReady time.Time         // when the last session began
	lastSeen  map[string]string // watched channel id → newest message id seen
	cursor    map[string]string // watched channel id → newest message id handled, in order
	dirty     map[string]bool   // cursors moved since the last save
	// This run's; start resets them.
	queue      *queue          // the adapter's workers: a catch-up runs on its channel's
	life       context.Context // ends with the run: the saver and pending retries stop
	stopLife   context.CancelFunc
	running    bool                  // retries may be scheduled
	tasks      sync.WaitGroup        // the saver and pending retries
	frozen     map[string]bool       // channels whose cursor waits for a catch-up after a loss
	pending    map[string]*queuedIDs // watched channel id → its messages queued for the handler
	done       map[string]string     // watched channel id → newest message the handler is done with
	catchingUp map[string]int        // watched channel id → catch-ups in progress
}

// newCatchup fills opts' defaults. guilds are the configured guilds;
// session reads the history and d delivers it.
func newCatchup(opts CatchUpOptions, guilds []string, session *discordgo.Session, d deliverer, clock bot.Clock, log *slog.Logger) *catchup {
	opts.Limit = cmp.Or(opts.Limit, DefaultCatchUpLimit)
	opts.SaveEvery = cmp.Or(opts.SaveEvery, 5*time.Second)
	opts.RetryAfter = cmp.Or(opts.RetryAfter, 30*time.Second)
	c := &catchup{
		opts: opts, watched: map[string]bool{}, session: session, deliver: d, clock: clock, log: log,
		lastSeen: map[string]string{}, cursor: map[string]string{}, dirty: map[string]bool{},
		frozen: map[string]bool{}, pending: map[string]*queuedIDs{}, done: map[string]string{}, catchingUp: map[string]int{},
	}
	for _, ch := range opts.Channels {
		c.watched[ch] = true
	}
	if len(guilds) == 1 {
		c.guild = guilds[0]
	}
	return c
}

// start begins a run: catch-ups go to q's workers, and moved cursors are
// saved every SaveEvery until stop.
func (c *catchup) start(q *queue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.frozen)
	clear(c.pending)
	clear(c.done)
	clear(c.catchingUp)
	c.queue, c.running = q, true
	c.life, c.stopLife = context.WithCancel(context.Background())
	if c.opts.Cursors == nil {
		return
	}
	c.tasks.Add(1)
	go func(ctx context.Context) {
		defer c.tasks.Done()
		t := time.NewTicker(c.opts.SaveEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.save(ctx)
			}
		}
	}(c.life)
}

// stop ends the run's saver and pending retries, and waits for them; a
// loss after this is caught up by the next start, from the saved cursor.
// Catch-ups still queued run on; save once the queue is closed.
func (c *catchup) stop() {
	c.mu.Lock()
	c.running = false
	if c.stopLife != nil {
		c.stopLife()
	}
	c.mu.Unlock()
	c.tasks.Wait()
}

// sessionStarted catches up after a gateway session began: the first of a
// run from the saved cursors, a later one from the last message seen in
// each channel (nothing seen: since the previous session began).
func (c *catchup) sessionStarted(first bool) {
	c.mu.Lock()
	since := c.lastReady
	c.lastReady = c.clock.Now()
	// Snapshot now: events of the new session arrive after READY and move
	// lastSeen past the gap.
	after := map[string]string{}
	for _, ch := range c.opts.Channels {
		after[ch] = c.lastSeen[ch]
	}
	c.mu.Unlock()
	if first {
		saved := c.load()
		if len(saved) > 0 {
			c.log.Info("discord: catching up on messages posted while Liaison was down", "channels", len(saved))
		}
		for ch, id := range saved {
			c.queueRead(ch, id)
		}
		return
	}
	c.log.Warn("discord: the gateway session could not be resumed; catching up on missed messages", "channels", len(after))
	for ch, id := range after {
		if id == "" {
			// Nothing seen there this run: everything since the previous
			// session began was missed.
			id = snowflakeAt(since)
		}
		c.queueRead(ch, id)
	}
}

// queueRead queues a catch-up of channel from the id given on the
// channel's worker, behind the events queued there: live events queued
// after it reach the handler after the history.
func (c *catchup) queueRead(channel, from string) {
	c.mu.Lock()
	q := c.queue
	c.mu.Unlock()
	q.pushWide(channel, func(ctx context.Context) { c.read(ctx, channel, from) })
}

// seen remembers the newest message id seen in a channel: a session that
// cannot be resumed is caught up from there.
func (c *catchup) seen(channel, id string) {
	if !c.watched[channel] {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.lastSeen[channel]; cur == "" || snowflakeLess(cur, id) {
		c.lastSeen[channel] = id
	}
}

// tracks reports whether channel has a cursor.
func (c *catchup) tracks(channel string) bool {
	return c.opts.Cursors != nil && c.watched[channel]
}

// queued records that message id, in channel or a thread under it, was
// queued for the handler: the channel's cursor stays before it until
// handled or dropped says otherwise.
func (c *catchup) queued(channel, id string) {
	if !c.tracks(channel) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[channel] == nil {
		c.pending[channel] = &queuedIDs{}
	}
	c.pending[channel].add(id)
}

// dropped records that message id of channel will not reach the handler
// after all (the queue refused it at shutdown).
func (c *catchup) dropped(channel, id string) {
	if !c.tracks(channel) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.pending[channel]; q != nil {
		q.remove(id)
	}
}

// handled records that the handler is done with message id of channel:
// committed, or lost. The cursor then moves up to the newest message done,
// or to just before the oldest one still queued, unless the channel is
// being caught up (it moves when that ends). A lost message puts the cursor
// back before it, and freezes it until a catch-up from there, RetryAfter
// later, has read everything again.
func (c *catchup) handled(channel, id string, lost bool) {
	if !c.tracks(channel) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.pending[channel]; q != nil {
		q.remove(id)
	}
	if lost {
		c.retryLocked(channel, snowflakeBefore(id), "a message could not be handled")
		return
	}
	if d := c.done[channel]; d == "" || snowflakeLess(d, id) {
		c.done[channel] = id
	}
	c.advanceLocked(channel)
}

// advanceLocked moves channel's cursor as far as is safe, unless it is
// frozen or being caught up. c.mu is held.
func (c *catchup) advanceLocked(channel string) {
	if c.frozen[channel] || c.catchingUp[channel] > 0 || c.done[channel] == "" {
		return
	}
	to := c.done[channel]
	// The oldest message still queued, if at or before to, pulls to
	// just before it.
	if q := c.pending[channel]; q != nil {
		if oldest := q.oldest(); oldest != "" && !snowflakeLess(to, oldest) {
			to = snowflakeBefore(oldest)
		}
	}
	if cur := c.cursor[channel]; cur == "" || snowflakeLess(cur, to) {
		c.cursor[channel] = to
		c.dirty[channel] = true
	}
}

// retryLocked puts channel's cursor back to from (if it was past it),
// freezes it, and catches the channel up from its cursor RetryAfter later.
// c.mu is held.
func (c *catchup) retryLocked(channel, from, why string) {
	if cur := c.cursor[channel]; cur == "" || snowflakeLess(from, cur) {
		c.cursor[channel], c.dirty[channel] = from, true
	}
	if c.frozen[channel] {
		return // a catch-up is already on its way
	}
	c.frozen[channel] = true
	c.log.Warn("discord: "+why+"; the channel will be caught up from the last message handled",
		"channel", channel, "from", from, "in", c.opts.RetryAfter)
	if !c.running {
		return // the next start catches up from the saved cursor
	}
	c.tasks.Add(1)
	life, q := c.life, c.queue
	go func() {
		defer c.tasks.Done()
		t := time.NewTimer(c.opts.RetryAfter)
		defer t.Stop()
		select {
		case <-life.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		from := c.cursor[channel]
		if from == "" {
			from = snowflakeAt(c.lastReady)
		}
		c.mu.Unlock()
		q.pushWide(channel, func(ctx context.Context) {
			c.mu.Lock()
			delete(c.frozen, channel)
			c.mu.Unlock()
			c.read(ctx, channel, from)
		})
	}()
}

// holdStill marks channel as being caught up from after (its cursor holds
// still) until the returned func is called with whether the catch-up read
// everything; if not, the channel is caught up again from after.
func (c *catchup) holdStill(channel, after string) (end func(ok bool)) {
	c.mu.Lock()
	c.catchingUp[channel]++
	c.mu.Unlock()
	return func(ok bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.catchingUp[channel]--
		if !ok && c.tracks(channel) {
			c.retryLocked(channel, after, "the catch-up could not read everything")
			return
		}
		c.advanceLocked(channel)
	}
}

// load reads the saved cursors of the watched channels, which become the
// cursors of this run. A channel never seen starts from now, so that a
// channel quiet during this run is caught up after the next restart all
// the same.
func (c *catchup) load() map[string]string {
	if c.opts.Cursors == nil {
		return nil
	}
	c.mu.Lock()
	life := c.life
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(life, cursorTimeout)
	defer cancel()
	all, err := c.opts.Cursors.DiscordCursors(ctx)
	if err != nil {
		c.log.Error("discord: reading where each channel was left; messages posted while Liaison was down will not be caught up", "err", err)
		return nil
	}
	out := map[string]string{}
	start := snowflakeAt(c.clock.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.opts.Channels {
		id := all[ch]
		if id == "" {
			c.cursor[ch], c.dirty[ch] = start, true
			continue
		}
		out[ch] = id
		if cur := c.cursor[ch]; cur == "" || snowflakeLess(cur, id) {
			c.cursor[ch] = id
		}
	}
	return out
}

// save saves the cursors that moved since the last save; those it could
// not save are saved with the next.
func (c *catchup) save(ctx context.Context) {
	if c.opts.Cursors == nil {
		return
	}
	c.mu.Lock()
	moved := map[string]string{}
	for ch := range c.dirty {
		moved[ch] = c.cursor[ch]
	}
	clear(c.dirty)
	c.mu.Unlock()
	if len(moved) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, cursorTimeout)
	defer cancel()
	if err := c.opts.Cursors.SaveDiscordCursors(ctx, c.clock.Now(), moved); err != nil {
		c.log.Warn("discord: saving where each channel was left", "err", err)
		c.mu.Lock()
		for ch := range moved {
			c.dirty[ch] = true
		}
		c.mu.Unlock()
	}
}

// read catches channel up: it delivers the channel's messages after the id
// given, oldest first, up to Limit, then those of the threads under it
// (forum posts included) with messages after it. It runs on the channel's
// worker. When Discord would not give the history, the channel is caught
// up again later.
func (c *catchup) read(ctx context.Context, channel, after string) {
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	guild := c.guild
	if ch, ok := stateChannel(c.session.State, channel); ok {
		guild = ch.GuildID
	}
	// The channel's cursor holds still until everything was read: a
	// thread read later may hold messages older than the channel's last.
	end := c.holdStill(channel, after)
	end(c.readHistory(ctx, channel, guild, after, channel) && c.readThreads(ctx, channel, guild, after))
}

// readThreads catches up the threads under channel (forum posts included)
// that have messages after the id given: the active ones, and those
// archived since (a post made and closed while Liaison was away).
func (c *catchup) readThreads(ctx context.Context, channel, guild, after string) bool {
	if guild == "" {
		return true
	}
	list, err := c.session.GuildThreadsActive(guild, discordgo.WithContext(ctx))
	if err != nil {
		c.log.Error("discord: catch-up could not list the server's threads; posts made in them while Liaison was disconnected may be missing",
			"channel", channel, "err", err)
		return false
	}
	threads := slices.DeleteFunc(list.Threads, func(th *discordgo.Channel) bool { return th.ParentID != channel })
	threads = append(threads, c.archivedSince(ctx, channel, snowflakeTime(after))...)
	for _, th := range threads {
		if th.LastMessageID == "" || !snowflakeLess(after, th.LastMessageID) {
			continue
		}
		if _, err := c.session.State.Channel(th.ID); err != nil {
			_ = c.session.State.ChannelAdd(slimChannel(th)) // so that its messages are placed under channel
		}
		if !c.readHistory(ctx, th.ID, guild, after, channel) {
			return false
		}
	}
	return true
}

// archivedSince lists channel's public threads archived after since, a
// page of 50 at a time, newest first. A channel Liaison may not list
// archived threads of is logged and skipped.
func (c *catchup) archivedSince(ctx context.Context, channel string, since time.Time) []*discordgo.Channel {
	var out []*discordgo.Channel
	var before *time.Time
	for range 10 { // 500 threads at most: a long outage's worth
		page, err := c.session.ThreadsArchived(channel, before, 50, discordgo.WithContext(ctx))
		if err != nil {
			c.log.Warn("discord: catch-up could not list the channel's archived threads", "channel", channel, "err", err)
			return out
		}
		for _, th := range page.Threads {
			if th.ThreadMetadata == nil || th.ThreadMetadata.ArchiveTimestamp.Before(since) {
				return out
			}
			out = append(out, th)
			t := th.ThreadMetadata.ArchiveTimestamp
			before = &t
		}
		if !page.HasMore || len(page.Threads) == 0 {
			return out
		}
	}
	return out
}

// readHistory delivers the messages of channel (the watched one, or a
// thread under it) after the id given, up to Limit, each handled on
// cursor's channel. It reports false when Discord would not give the
// history.
func (c *catchup) readHistory(ctx context.Context, channel, guild, after, cursor string) bool {
	limit, got := c.opts.Limit, 0
	for got < limit {
		n := min(100, limit-got)
		page, err := c.session.ChannelMessages(channel, n, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			c.log.Error("discord: catch-up could not read the channel's history; messages posted while Liaison was disconnected may be missing",
				"channel", channel, "after", after, "err", err)
			return false
		}
		slices.SortFunc(page, func(x, y *discordgo.Message) int { return compareSnowflakes(x.ID, y.ID) })
		for _, m := range page {
			after = m.ID
			got++
			c.seen(channel, m.ID)
			lost := c.deliver.deliverBackfill(ctx, m, guild)
			c.handled(cursor, m.ID, lost)
		}
		if len(page) < n {
			return true
		}
	}
	c.log.Warn("discord: catch-up stopped at its limit; older missed messages were not read",
		"channel", channel, "limit", limit)
	return true
}
