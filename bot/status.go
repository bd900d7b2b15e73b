package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot/watch"
)

// Status is what a running Liaison knows about its own health: the facts
// behind `/liaison status` in Slack and GET /status on the admin listener,
// which show the same ones. Lines turns them into one line per check, each
// with what to do when it is bad.
type Status struct {
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	Now       time.Time `json:"now"`
	// Replica is the replica that answered; Replicas those seen in the
	// last minute (their replica lease renewed), this one included.
	Replica  string   `json:"replica"`
	Replicas []string `json:"replicas"`
	// SchedulerLease and GatewayLease name the replica holding each lease,
	// "" when nobody does.
	SchedulerLease string `json:"scheduler_lease"`
	GatewayLease   string `json:"gateway_lease"`

	Slack   *PlatformStatus `json:"slack"`   // nil: Slack is off
	Discord *PlatformStatus `json:"discord"` // nil: Discord is off

	Outbox OutboxStatus `json:"outbox"`
	// Pauses are the outbox lanes a platform's rate limit holds.
	Pauses  []LanePause    `json:"rate_limit_pauses"`
	Digests []DigestStatus `json:"digests"`
	// SLARemindersDue counts the feedback items owed a reminder now (the
	// scheduler sends them within a minute; more than a few means it is
	// not running).
	SLARemindersDue int `json:"sla_reminders_due"`
	// Watch is the web watch's health; nil when liaison.yaml has no
	// watch: section (or no query), so nothing is polled.
	Watch *WatchStatus `json:"watch"`
}

// WatchStatus is the web watch's health: the sources its queries poll and
// those failing now.
type WatchStatus struct {
	// Sources are the source ids the queries poll (watch.Sources' order).
	Sources []string `json:"sources"`
	// Failing are the sources whose last poll failed, the longest failing
	// first. A feed, a Mastodon instance and a subreddit fail on their own.
	Failing []WatchFailure `json:"failing"`
}

// WatchFailure is one watch source failing.
type WatchFailure struct {
	// Source is what fails: a source id ("github"), or one part of a
	// source: "feeds:NAME", "mastodon:HOST", "reddit:r/NAME".
	Source string `json:"source"`
	// Since is the first failure of this outage; Failures the failed polls
	// since, LastError the last one's reason.
	Since     time.Time `json:"failing_since"`
	Failures  int       `json:"failures"`
	LastError string    `json:"last_error"`
	// Reported is whether the outage was said in the watch's Slack channel
	// (once it lasted StatusWatchFailing).
	Reported bool `json:"reported"`
}

// PlatformStatus is one platform's connection, as this replica sees it.
type PlatformStatus struct {
	// Mode is how events arrive: "Socket Mode" or "HTTP" for Slack,
	// "gateway" (with "+ HTTP interactions" when that endpoint is on) for
	// Discord.
	Mode string `json:"mode"`
	// Session is the connection's state: "connected", "disconnected",
	// "held by another replica" (Discord's gateway), "listening for
	// webhooks" (Slack over HTTP, which has no connection).
	Session string `json:"session"`
	// LastEvent is when this replica last received an event from the
	// platform; zero when it has received none since it started.
	LastEvent time.Time `json:"last_event,omitzero"`
}

// OutboxStatus is what waits to be sent.
type OutboxStatus struct {
	Lanes []LaneStatus `json:"lanes"`
	// OldestDue is when the oldest message that is due now was enqueued;
	// zero when none is.
	OldestDue time.Time `json:"oldest_due,omitzero"`
	// Dead24h counts the messages given up in the last 24 hours.
	Dead24h int `json:"dead_last_24h"`
}

// LaneStatus is one lane's backlog.
type LaneStatus struct {
	Lane     string    `json:"lane"`
	Messages int       `json:"messages"`
	Oldest   time.Time `json:"oldest"`
}

// LanePause is a lane held by a rate limit until Until.
type LanePause struct {
	Lane  string    `json:"lane"`
	Until time.Time `json:"until"`
}

// DigestStatus is one digest schedule.
type DigestStatus struct {
	Name string `json:"name"`
	// LastSlot is the newest slot posted, zero when none was; LastStatus
	// the newest slot's record ("done" or "skipped") and Missed whether a
	// slot that came more than 10 minutes ago has no record at all.
	LastSlot time.Time `json:"last_posted,omitzero"`
	// LastPostedAt is when the newest slot posted was posted.
	LastPostedAt time.Time `json:"last_posted_at,omitzero"`
	LastStatus   string    `json:"last_status,omitempty"`
	Missed       bool      `json:"missed"`
	Next         time.Time `json:"next,omitzero"`
}

// Status line states.
const (
	StatusOK   = "ok"
	StatusWarn = "warn"
	StatusBad  = "bad"
)

// StatusLine is one line of a status report: what was checked, what was
// found, and, when it is not ok, what to do.
type StatusLine struct {
	Check string `json:"check"`
	State string `json:"state"`
	Text  string `json:"text"`
	Fix   string `json:"fix,omitempty"`
}

// Thresholds of the status lines.
const (
	StatusBacklogAge   = 5 * time.Minute  // oldest due message older than this: bad
	StatusQuietEvents  = 30 * time.Minute // no event for this long: a warning
	StatusDigestMissed = 10 * time.Minute // a slot unrecorded this long after its time
	// StatusWatchFailing is how long a watch source may fail before its
	// line is bad (before, a warning: the next polls usually fix it). The
	// watch reports an outage in Slack after as long.
	StatusWatchFailing = 30 * time.Minute
)

// Lines is the report, one line per check, in a fixed order.
func (s *Status) Lines() []StatusLine {
	when := func(t time.Time) string { return FormatDuration(s.Now.Sub(t).Round(time.Second)) + " ago" }
	var out []StatusLine
	add := func(check, state, text, fix string) {
		out = append(out, StatusLine{Check: check, State: state, Text: text, Fix: fix})
	}
	add("version", StatusOK, fmt.Sprintf("Liaison %s, up %s", s.Version, FormatDuration(s.Now.Sub(s.StartedAt).Round(time.Second))), "")

	replicas := fmt.Sprintf("%d replica(s) seen in the last minute: %s", len(s.Replicas), strings.Join(s.Replicas, ", "))
	if len(s.Replicas) == 0 {
		add("replicas", StatusBad, "no replica renewed its lease in the last minute", "check that the database's clock and the replicas' agree, and that `liaison run` is running")
	} else {
		add("replicas", StatusOK, replicas, "")
	}
	if s.SchedulerLease == "" {
		add("scheduler", StatusBad, "no replica holds the scheduler lease: digests, reminders and expiries do not run",
			"check the replicas' logs for \"lease\" errors; a replica takes the lease within 10 seconds of starting")
	} else {
		add("scheduler", StatusOK, "the scheduler lease is held by "+s.SchedulerLease, "")
	}

	if s.Slack == nil {
		add("slack", StatusWarn, "Slack is off", "set SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET or SLACK_APP_TOKEN) to turn it on")
	} else {
		out = append(out, s.platformLine("slack", "Slack", s.Slack, when))
	}
	if s.Discord == nil {
		add("discord", StatusWarn, "Discord is off", "set DISCORD_BOT_TOKEN and DISCORD_APP_ID to turn it on")
	} else {
		out = append(out, s.platformLine("discord", "Discord", s.Discord, when))
		if s.GatewayLease == "" {
			add("gateway", StatusBad, "no replica holds the Discord gateway lease: Discord events are not received",
				"check the replicas' logs for \"discord\" errors (a refused token, a missing intent)")
		} else {
			add("gateway", StatusOK, "the Discord gateway lease is held by "+s.GatewayLease, "")
		}
	}

	backlog := 0
	var lanes []string
	for _, l := range s.Outbox.Lanes {
		backlog += l.Messages
		lanes = append(lanes, fmt.Sprintf("%s: %d, oldest enqueued %s", l.Lane, l.Messages, when(l.Oldest)))
	}
	switch {
	case backlog == 0:
		add("outbox", StatusOK, "the outbox is empty: every message was sent", "")
	case !s.Outbox.OldestDue.IsZero() && s.Now.Sub(s.Outbox.OldestDue) > StatusBacklogAge:
		add("outbox", StatusBad, fmt.Sprintf("%d message(s) waiting (%s); the oldest due was enqueued %s", backlog, strings.Join(lanes, "; "), when(s.Outbox.OldestDue)),
			"messages are not going out: check the log for \"outbox\" errors and that the platforms answer (liaison doctor)")
	default:
		add("outbox", StatusOK, fmt.Sprintf("%d message(s) waiting (%s)", backlog, strings.Join(lanes, "; ")), "")
	}
	if s.Outbox.Dead24h > 0 {
		add("dead", StatusBad, fmt.Sprintf("%d message(s) given up in the last 24 hours", s.Outbox.Dead24h),
			"the log says why each failed (search \"outbox\"); fix the cause (a permission, a channel), then Retry dead")
	} else {
		add("dead", StatusOK, "no message given up in the last 24 hours", "")
	}
	if len(s.Pauses) == 0 {
		add("rate limits", StatusOK, "no rate-limit pause in force", "")
	} else {
		var ps []string
		for _, p := range s.Pauses {
			ps = append(ps, fmt.Sprintf("%s for %s", p.Lane, FormatDuration(p.Until.Sub(s.Now).Round(time.Second))))
		}
		add("rate limits", StatusWarn, "paused by the platform's rate limit: "+strings.Join(ps, ", "),
			"nothing to do unless it lasts: the lanes resume by themselves; a pause that keeps coming back means too many messages to one channel")
	}

	for _, d := range s.Digests {
		text := "digest " + d.Name + ": "
		if d.LastSlot.IsZero() {
			text += "never posted yet"
		} else {
			text += "last posted for " + d.LastSlot.UTC().Format("2006-01-02 15:04 MST")
		}
		if !d.Next.IsZero() {
			text += "; next " + d.Next.UTC().Format("2006-01-02 15:04 MST")
		}
		switch {
		case d.Missed:
			add("digest "+d.Name, StatusBad, text+"; its last slot was missed",
				"the scheduler did not run it: check the scheduler line above and the log for \"digest\" errors; `liaison digest run "+d.Name+"` posts it by hand")
		case d.LastStatus == "skipped":
			add("digest "+d.Name, StatusWarn, text+"; its last slot was skipped (Liaison was down past the digest's grace)",
				"`liaison digest run "+d.Name+"` posts it by hand if it is still wanted")
		default:
			add("digest "+d.Name, StatusOK, text, "")
		}
	}
	if s.SLARemindersDue > 3 {
		add("sla", StatusWarn, fmt.Sprintf("%d SLA reminder(s) due and not sent", s.SLARemindersDue),
			"the scheduler sends them within a minute: if this stays, check the scheduler line above")
	} else {
		add("sla", StatusOK, fmt.Sprintf("%d SLA reminder(s) due", s.SLARemindersDue), "")
	}
	if s.Watch != nil {
		out = append(out, s.watchLines()...)
	}
	return out
}

// watchLines are the watch's: one ok line when no source fails, else one
// line per failing source with what to do about it.
func (s *Status) watchLines() []StatusLine {
	w := s.Watch
	if len(w.Failing) == 0 {
		return []StatusLine{{Check: "watch", State: StatusOK,
			Text: fmt.Sprintf("the watch reads %s: no source failing", strings.Join(w.Sources, ", "))}}
	}
	var out []StatusLine
	for _, f := range w.Failing {
		age := s.Now.Sub(f.Since)
		text := fmt.Sprintf("the watch cannot read %s since %s (%s, %d failed poll(s)): %s", WatchSourceName(f.Source),
			f.Since.UTC().Format("2006-01-02 15:04 MST"), FormatDuration(age.Round(time.Minute)), f.Failures, f.LastError)
		l := StatusLine{Check: "watch " + f.Source, State: StatusBad, Text: text,
			Fix: WatchFix(f.Source) + "; liaison doctor --only watch checks the setup"}
		if age < StatusWatchFailing && !f.Reported {
			l.State = StatusWarn
			l.Fix = "mentions are delayed, not lost, and each poll tries again: if it lasts, " + l.Fix
		}
		out = append(out, l)
	}
	return out
}

// WatchSourceName names a watch source (or a part of one, as
// WatchFailure.Source does) for people: "GitHub", "the feed tech-news",
// "Mastodon (mastodon.social)".
func WatchSourceName(unit string) string {
	src, part, _ := strings.Cut(unit, ":")
	if src == watch.SourceFeeds && part != "" {
		return "the feed " + part
	}
	name, ok := map[string]string{
		watch.SourceHN: "Hacker News", watch.SourceReddit: "Reddit", watch.SourceMastodon: "Mastodon",
		watch.SourceStackExchange: "Stack Exchange", watch.SourceGitHub: "GitHub", watch.SourceFeeds: "the feeds",
	}[src]
	if !ok {
		name = src
	}
	if part != "" {
		name += " (" + part + ")"
	}
	return name
}

// WatchFix is what to do about a watch source failing: the causes each
// source is known for, and where each is set.
func WatchFix(unit string) string {
	src, part, _ := strings.Cut(unit, ":")
	switch src {
	case watch.SourceFeeds:
		return fmt.Sprintf("open the feed's address (watch.feeds, the one named %s, in liaison.yaml) in a browser: if it moved, put its new address there; if it is gone, remove it", part)
	case watch.SourceHN:
		return "Hacker News' search (hn.algolia.com) is down or this machine cannot reach it: there is nothing to set, check that this machine reaches https://hn.algolia.com"
	case watch.SourceReddit:
		if part != "" {
			return fmt.Sprintf("if %s went private or was banned, remove it from watch.reddit.subreddits; if Reddit refuses anonymous requests (403), set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET", part)
		}
		return "a 401 or 403 means Reddit refuses Liaison: set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (a Reddit \"script\" app) or check them; a 429 means too many requests: lower watch.limits.reddit"
	case watch.SourceMastodon:
		if part == "" {
			part = "the instance"
		}
		return fmt.Sprintf("if %s requires a login, set MASTODON_ACCESS_TOKEN (an access token of an account there) or remove it from watch.mastodon.instances", part)
	case watch.SourceStackExchange:
		return "a spent quota comes back the next day (UTC): STACKEXCHANGE_KEY raises it from 300 to 10,000 requests a day; a refused key: check STACKEXCHANGE_KEY"
	case watch.SourceGitHub:
		return "a 401 means GITHUB_TOKEN is wrong or expired: make a new one (public search needs no scope); a 403 or 429 is GitHub's rate limit: set GITHUB_TOKEN, or lower watch.limits.github"
	}
	return "check the log for \"watch\" errors"
}

func (s *Status) platformLine(check, name string, p *PlatformStatus, when func(time.Time) string) StatusLine {
	last := "no event received yet"
	if !p.LastEvent.IsZero() {
		last = "last event " + when(p.LastEvent)
	}
	text := fmt.Sprintf("%s by %s, %s; %s", name, p.Mode, p.Session, last)
	switch {
	case p.Session == "disconnected":
		fix := "check the log for \"" + check + "\" errors and run liaison doctor --only " + check
		return StatusLine{Check: check, State: StatusBad, Text: text, Fix: fix}
	case p.Session != "held by another replica" && !p.LastEvent.IsZero() && s.Now.Sub(p.LastEvent) > StatusQuietEvents:
		return StatusLine{Check: check, State: StatusWarn, Text: text,
			Fix: "quiet for a while: if people are talking, run liaison doctor --round-trip to see whether events arrive"}
	}
	return StatusLine{Check: check, State: StatusOK, Text: text}
}

// StatusText renders the lines as text: a mark, the text, and for a line
// that is not ok, what to do.
func StatusText(lines []StatusLine) string {
	var b strings.Builder
	for _, l := range lines {
		mark := "✓"
		switch l.State {
		case StatusWarn:
			mark = "⚠"
		case StatusBad:
			mark = "✗"
		}
		b.WriteString(mark + " " + l.Text)
		if l.Fix != "" {
			b.WriteString(" → " + l.Fix)
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// RoundTrip is the outcome of `liaison doctor --round-trip`: for each
// platform, a marked test message posted by the running service, seen
// coming back through the real event path, and deleted.
type RoundTrip struct {
	Results []RoundTripResult `json:"results"`
}

// RoundTripResult is one platform's round trip.
type RoundTripResult struct {
	Platform string `json:"platform"`
	Channel  string `json:"channel"` // the channel's short name from liaison.yaml
	OK       bool   `json:"ok"`
	// Latency is from the post to its event's arrival, in milliseconds.
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
	Fix       string `json:"fix,omitempty"`
}

// Lines is the round trip as status lines.
func (rt *RoundTrip) Lines() []StatusLine {
	var out []StatusLine
	for _, r := range rt.Results {
		l := StatusLine{Check: "round trip " + r.Platform}
		if r.OK {
			l.State, l.Text = StatusOK, fmt.Sprintf("%s: a test message in %s came back through the events in %d ms, and was deleted", r.Platform, r.Channel, r.LatencyMS)
		} else {
			l.State, l.Text, l.Fix = StatusBad, fmt.Sprintf("%s: %s", r.Platform, r.Error), r.Fix
		}
		out = append(out, l)
	}
	return out
}
