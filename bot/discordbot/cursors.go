package discordbot

import (
	"cmp"
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

// track records that the handler is done with message id of channel: the
// cursor moves, unless the handler lost it (then the channel's cursor
// freezes and a catch-up from it is scheduled).
func (a *Adapter) track(channel, id string, lost bool) {
	if a.opts.CatchUp.Cursors == nil || !a.watched(channel) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if lost {
		// The cursor goes back to just before the lost message, whatever
		// was handled after it (a thread's messages are handled apart from
		// their channel's): the catch-up reads again from there.
		if prev := snowflakeBefore(id); a.handled[channel] == "" || snowflakeLess(prev, a.handled[channel]) {
			a.handled[channel], a.dirty[channel] = prev, true
		}
		if !a.frozen[channel] {
			a.frozen[channel] = true
			a.log.Warn("discord: a message could not be handled; the channel will be caught up from the last one handled",
				"channel", channel, "message", id, "in", a.recatchAfter())
			a.scheduleRecatch(channel)
		}
		return
	}
	if a.frozen[channel] {
		return
	}
	if cur := a.handled[channel]; cur == "" || snowflakeLess(cur, id) {
		a.handled[channel] = id
		a.dirty[channel] = true
	}
}

// scheduleRecatch catches channel up from its cursor after recatchAfter.
// a.mu is held.
func (a *Adapter) scheduleRecatch(channel string) {
	if a.closed {
		return // the next start catches up from the saved cursor
	}
	a.tasks.Add(1)
	life := a.life
	go func() {
		defer a.tasks.Done()
		t := time.NewTimer(a.recatchAfter())
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
			if !a.catchUp(ctx, channel, from) {
				a.track(channel, from, true) // Discord did not answer: again later
			}
		})
	}()
}

func (a *Adapter) recatchAfter() time.Duration {
	if d := a.opts.CatchUp.RetryAfter; d > 0 {
		return d
	}
	return 30 * time.Second
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
	t := time.NewTicker(cmp.Or(a.opts.CatchUp.SaveEvery, 5*time.Second))
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
