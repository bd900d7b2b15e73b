package discordbot

import (
	"context"
	"strconv"
	"time"
)

// Cursors: the newest message handled in each watched channel, kept in the
// database so that a restart (a session that cannot be resumed, like any
// other) catches up on what was posted while Liaison was down. A cursor
// only moves past a message once the handler is done with it, in the
// channel's order; a message the handler could not take (the database was
// unreachable) freezes its channel's cursor and the channel is caught up
// again from it a little later, so nothing posted in a watched channel is
// lost to an outage.

// CursorStore keeps the cursors; *store.DB implements it.
type CursorStore interface {
	DiscordCursors(ctx context.Context) (map[string]string, error)
	SaveDiscordCursors(ctx context.Context, now time.Time, cursors map[string]string) error
}

const (
	cursorTimeout = 5 * time.Second // one read or save of the cursors
)

// watched reports whether channel is caught up after gaps.
func (a *Adapter) watched(channel string) bool {
	for _, ch := range a.opts.CatchUp.Channels {
		if ch == channel {
			return true
		}
	}
	return false
}

// inFlight records that message id of channel was queued for the handler
// (queued true) or will not be after all (false): the channel's cursor
// never passes a message still queued.
func (a *Adapter) inFlight(channel, id string, queued bool) {
	if a.opts.CatchUp.Cursors == nil || !a.watched(channel) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !queued {
		delete(a.queued[channel], id)
		return
	}
	if a.queued[channel] == nil {
		a.queued[channel] = map[string]bool{}
	}
	a.queued[channel][id] = true
}

// track records that the handler is done with message id of channel. The
// cursor then moves up to the newest message done, or to just before the
// oldest message of the channel still queued, unless the channel is being
// caught up (it moves when that ends). A message the handler lost puts the
// cursor back before it, and freezes it until a catch-up from there, a
// little later, has read everything again.
func (a *Adapter) track(channel, id string, lost bool) {
	if a.opts.CatchUp.Cursors == nil || !a.watched(channel) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.queued[channel], id)
	if lost {
		a.retryLocked(channel, snowflakeBefore(id), "a message could not be handled")
		return
	}
	if d := a.done[channel]; d == "" || snowflakeLess(d, id) {
		a.done[channel] = id
	}
	a.advanceLocked(channel)
}

// advanceLocked moves channel's cursor as far as is safe, unless it is
// frozen or being caught up. a.mu is held.
func (a *Adapter) advanceLocked(channel string) {
	if a.frozen[channel] || a.catchingUp[channel] > 0 || a.done[channel] == "" {
		return
	}
	to := a.done[channel]
	for q := range a.queued[channel] {
		if snowflakeLess(q, to) {
			to = snowflakeBefore(q)
		}
	}
	if cur := a.handled[channel]; cur == "" || snowflakeLess(cur, to) {
		a.handled[channel] = to
		a.dirty[channel] = true
	}
}

// retryLocked puts channel's cursor back to from (if it was past it),
// freezes it, and schedules a catch-up from there. a.mu is held.
func (a *Adapter) retryLocked(channel, from, why string) {
	if cur := a.handled[channel]; cur == "" || snowflakeLess(from, cur) {
		a.handled[channel], a.dirty[channel] = from, true
	}
	if !a.frozen[channel] {
		a.frozen[channel] = true
		a.log.Warn("discord: "+why+"; the channel will be caught up from the last message handled",
			"channel", channel, "from", from, "in", a.opts.CatchUp.RetryAfter)
		a.scheduleRecatch(channel)
	}
}

// catching marks channel as being caught up (its cursor holds still) until
// the returned func is called with whether the catch-up read everything.
func (a *Adapter) catching(channel, after string) (end func(ok bool)) {
	a.mu.Lock()
	a.catchingUp[channel]++
	a.mu.Unlock()
	return func(ok bool) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.catchingUp[channel]--
		if !ok && a.watched(channel) && a.opts.CatchUp.Cursors != nil {
			a.retryLocked(channel, after, "the catch-up could not read everything")
			return
		}
		a.advanceLocked(channel)
	}
}

// scheduleRecatch catches channel up from its cursor after CatchUp.RetryAfter.
// a.mu is held.
func (a *Adapter) scheduleRecatch(channel string) {
	if a.closed {
		return // the next start catches up from the saved cursor
	}
	a.tasks.Add(1)
	life := a.life
	go func() {
		defer a.tasks.Done()
		t := time.NewTimer(a.opts.CatchUp.RetryAfter)
		defer t.Stop()
		select {
		case <-life.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		q, from := a.queue, a.handled[channel]
		if from == "" {
			from = snowflakeAt(a.lastReady)
		}
		a.mu.Unlock()
		q.push(channel, func(ctx context.Context) {
			a.mu.Lock()
			delete(a.frozen, channel)
			a.mu.Unlock()
			a.catchUp(ctx, channel, from)
		})
	}()
}

// loadCursors reads the saved cursors of the watched channels.
func (a *Adapter) loadCursors() map[string]string {
	if a.opts.CatchUp.Cursors == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(a.lifeCtx(), cursorTimeout)
	defer cancel()
	all, err := a.opts.CatchUp.Cursors.DiscordCursors(ctx)
	if err != nil {
		a.log.Error("discord: reading where each channel was left; messages posted while Liaison was down will not be caught up", "err", err)
		return nil
	}
	out := map[string]string{}
	start := snowflakeAt(a.clock.Now())
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ch := range a.opts.CatchUp.Channels {
		id := all[ch]
		if id == "" {
			// Never seen: start from now, so that a channel quiet during
			// this run is caught up after the next restart all the same.
			a.handled[ch], a.dirty[ch] = start, true
			continue
		}
		out[ch] = id
		if cur := a.handled[ch]; cur == "" || snowflakeLess(cur, id) {
			a.handled[ch] = id
		}
	}
	return out
}

// flushCursors saves the cursors that moved since the last save.
func (a *Adapter) flushCursors(ctx context.Context) {
	if a.opts.CatchUp.Cursors == nil {
		return
	}
	a.mu.Lock()
	moved := map[string]string{}
	for ch := range a.dirty {
		moved[ch] = a.handled[ch]
	}
	clear(a.dirty)
	a.mu.Unlock()
	if len(moved) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, cursorTimeout)
	defer cancel()
	if err := a.opts.CatchUp.Cursors.SaveDiscordCursors(ctx, a.clock.Now(), moved); err != nil {
		a.log.Warn("discord: saving where each channel was left", "err", err)
		a.mu.Lock()
		for ch := range moved {
			a.dirty[ch] = true // saved with the next flush
		}
		a.mu.Unlock()
	}
}

// keepCursors saves moved cursors every CatchUp.SaveEvery until the adapter
// stops; shutdown saves the last ones.
func (a *Adapter) keepCursors(ctx context.Context) {
	t := time.NewTicker(a.opts.CatchUp.SaveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.flushCursors(ctx)
		}
	}
}

// snowflakeBefore returns the id just before id.
func snowflakeBefore(id string) string {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return id
	}
	return strconv.FormatUint(n-1, 10)
}
