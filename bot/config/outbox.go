package config

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Outbox tunes the delivery of outgoing messages. Every post, edit and
// moderation action is written to the outbox first and sent by the
// dispatcher, which retries failures with exponential backoff.
type Outbox struct {
	// MaxAttempts is how many times a message is tried before it is given
	// up as failed (and reported); 10 unless set, at least 1.
	MaxAttempts int
	// ReclaimAfter is how long a message may stay "sending" while the
	// replica that claimed it still lives (it hangs) before another
	// dispatcher takes it over; a replica that died loses its claims as
	// soon as its lease lapses. 90s unless set, and at most 2m: Discord
	// forgets the nonce that prevents a double post after a few minutes, so
	// a later re-send could post twice.
	ReclaimAfter time.Duration
	// BackoffMin is the wait before the first retry (1s unless set); each
	// retry doubles it, up to BackoffMax (10m unless set). A platform's
	// Retry-After, when longer, wins.
	BackoffMin, BackoffMax time.Duration
}

func defaultOutbox() Outbox {
	return Outbox{MaxAttempts: 10, ReclaimAfter: 90 * time.Second, BackoffMin: time.Second, BackoffMax: 10 * time.Minute}
}

func (d *decoder) outbox(n *yaml.Node, path string, o *Outbox) {
	before := len(d.errs)
	maxNode := n
	d.fields(n, path, []field{
		{name: "max_attempts", decode: func(v *yaml.Node, p string) {
			if i, ok := d.int(v, p, 1); ok {
				o.MaxAttempts = i
			}
		}},
		{name: "reclaim_after", decode: func(v *yaml.Node, p string) {
			d.positive(v, p, &o.ReclaimAfter)
			if o.ReclaimAfter > 2*time.Minute {
				d.errorf(v, p, "%s is too long: at most 2m, or Discord may have forgotten the nonce that stops a double post", bot.FormatDuration(o.ReclaimAfter))
			}
		}},
		{name: "backoff_min", decode: func(v *yaml.Node, p string) { d.positive(v, p, &o.BackoffMin) }},
		{name: "backoff_max", decode: func(v *yaml.Node, p string) { maxNode = v; d.positive(v, p, &o.BackoffMax) }},
	})
	if len(d.errs) == before && o.BackoffMin > o.BackoffMax {
		d.errorf(maxNode, join(path, "backoff_max"), "backoff_max (%s) is shorter than backoff_min (%s): the longest wait cannot be shorter than the first", bot.FormatDuration(o.BackoffMax), bot.FormatDuration(o.BackoffMin))
	}
}

// positive decodes a duration longer than zero into dst, leaving dst (its
// default) alone on error.
func (d *decoder) positive(n *yaml.Node, path string, dst *time.Duration) {
	if v, ok := d.duration(n, path, true); ok {
		*dst = v
	}
}
