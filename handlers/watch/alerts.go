package watch

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	botwatch "github.com/liaison-bot/liaison/bot/watch"
)

// Alerts: a negative mention, or one with an alert_on word, is posted to
// watch.alerts pinging whoever is on call (and nobody else), with its
// deadline, respond_within of business hours away. Unclaimed by then, it is
// escalated; claimed but unanswered, its claimer is reminded. More than
// watch.burst alerts in 15 minutes on one query collapse into one spike
// message, edited as more arrive.

// raiseAlert makes m an alert, in tx: its own message, or a place in the
// query's spike. m is saved by the caller.
func (w *Watch) raiseAlert(ctx context.Context, tx *store.Tx, m *store.Mention, why string) error {
	wc := w.cfg.Watch
	if wc.Alerts.ID == "" {
		return nil // no alerts channel: mentions only
	}
	now := w.clock.Now()
	due := w.cfg.BusinessHours.Deadline(now, wc.RespondWithin, w.cfg.Location)
	m.AlertDue, m.AlertWhy = &due, why
	if err := tx.LockQueryAlerts(ctx, m.Query); err != nil {
		return err
	}
	recent, err := tx.RecentAlerts(ctx, m.Query, now.Add(-spikeWindow))
	if err != nil {
		return err
	}
	if recent+1 > wc.Burst {
		return w.spike(ctx, tx, m, recent+1)
	}
	m.AlertState, m.AlertKey = store.AlertOpen, alertKey(m.ID)
	people, group := w.cfg.OnDuty(now)
	p := w.alertPost(m, w.notify(people, group))
	_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: m.AlertKey, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(p)})
	return err
}

// notify returns the Slack ids an alert pings: the on-duty people's, or
// the on-call user group.
func (w *Watch) notify(people []string, group string) []string {
	var ids []string
	for _, name := range people {
		if p, ok := w.cfg.Person(name); ok && p.Slack != "" {
			ids = append(ids, p.Slack)
		}
	}
	if group != "" {
		ids = append(ids, group)
	}
	return ids
}

// onCallLabel names who is on call, for the alert's text.
func (w *Watch) onCallLabel(people []string, group string) string {
	if group != "" {
		return w.cfg.GroupLabel(group)
	}
	if len(people) == 0 {
		return "nobody (set watch.on_call)"
	}
	return strings.Join(people, ", ")
}

// alertPost renders m's alert. notify is who it pings (nobody on edits).
func (w *Watch) alertPost(m *store.Mention, notify []string) bot.Post {
	why := m.AlertWhy
	p := bot.Post{ChannelID: w.cfg.Watch.Alerts.ID, Notify: notify,
		Title: fmt.Sprintf("Alert on %s: mention #%d on %s by %s", m.Query, m.ID, m.Source, cmp.Or(m.Author, "someone")),
		Quote: strings.TrimSpace(m.Title + "\n" + m.Excerpt)}
	people, group := w.cfg.OnDuty(m.CreatedAt)
	if m.AnsweredAt == nil && m.AlertDue != nil {
		p.Text = fmt.Sprintf("On call: %s. Answer by %s (%s of business hours).", w.onCallLabel(people, group),
			m.AlertDue.In(w.cfg.Location).Format("Mon 2 Jan 15:04"), bot.FormatDuration(w.cfg.Watch.RespondWithin))
	}
	p.Fields = []bot.Field{{Name: "Why", Value: why}, {Name: "Status", Value: mentionStatus(m)}}
	p.Link = &bot.Link{URL: m.URL, Label: "Open on " + cmp.Or(botwatch.Host(m.URL), m.Source)}
	if m.AnsweredAt == nil && m.Status != store.MentionNotAboutUs {
		id := strconv.FormatInt(m.ID, 10)
		if m.ClaimedAt == nil {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: actClaim, Label: "Claim", Value: id, Style: "primary"})
		}
		p.Buttons = append(p.Buttons, bot.Button{ActionID: actAnswered, Label: "Answered", Value: id},
			bot.Button{ActionID: actDraft, Label: "Draft reply", Value: id})
	}
	return p
}

// spike puts m in its query's spike message: the first alert past the
// burst opens it (taking in the window's earlier alerts), later ones edit
// it with the new count and top 3. The message's key names the query and
// the window's start, so the spike is posted once; like an alert, it pings
// who is on call and has respond_within of business hours to be claimed
// before it is escalated. The caller holds the query's alert lock.
func (w *Watch) spike(ctx context.Context, tx *store.Tx, m *store.Mention, count int) error {
	now := w.clock.Now()
	since := now.Add(-spikeWindow)
	s, err := tx.OpenSpike(ctx, m.Query, since)
	if err != nil {
		return err
	}
	first := s == nil
	if first {
		start, err := tx.FirstRecentAlert(ctx, m.Query, since)
		if err != nil {
			return err
		}
		if start.IsZero() || start.After(now) {
			start = now.UTC()
		}
		due := w.cfg.BusinessHours.Deadline(now, w.cfg.Watch.RespondWithin, w.cfg.Location)
		s = &store.Spike{Query: m.Query, StartedAt: start, LastAt: now, Alerts: count, DueAt: &due, OutboxKey: spikeKey(m.Query, start)}
		if err := tx.CreateSpike(ctx, s); err != nil {
			return err
		}
		if err := tx.JoinSpike(ctx, s.ID, m.Query, since); err != nil {
			return err
		}
	} else {
		s.Alerts++
		s.Edits++
		s.LastAt = now
	}
	m.AlertState, m.SpikeID = store.AlertSpiked, &s.ID
	if err := tx.SaveMention(ctx, now, m); err != nil {
		return err
	}
	if err := tx.SaveSpike(ctx, s); err != nil {
		return err
	}
	if first {
		people, group := w.cfg.OnDuty(now)
		p, err := w.spikePost(ctx, tx, s, w.notify(people, group))
		if err != nil {
			return err
		}
		_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: s.OutboxKey, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(p)})
		return err
	}
	return w.refreshSpike(ctx, tx, s, fmt.Sprintf("edit:%d", s.Edits))
}

// spikeKey is the outbox key of query's spike whose window started at
// start: the same burst always has the same key.
func spikeKey(query string, start time.Time) string {
	return "watch:spike:" + query + ":" + start.UTC().Format("20060102T150405Z")
}

// refreshSpike enqueues an edit of s's message showing where it stands;
// why names the edit, so the same change handled twice edits once.
func (w *Watch) refreshSpike(ctx context.Context, tx *store.Tx, s *store.Spike, why string) error {
	p, err := w.spikePost(ctx, tx, s, nil)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, w.clock.Now(), &bot.OutboxMessage{Key: s.OutboxKey + ":" + why, Platform: bot.PlatformSlack,
		Kind: bot.KindUpdate, ParentKey: s.OutboxKey, Payload: bot.Payload(p)})
	return err
}

// spikePost renders s: its count, its window, its top 3 alerts (the most
// negative), who owns it or until when it may be claimed. notify is who it
// pings (nobody on edits).
func (w *Watch) spikePost(ctx context.Context, tx *store.Tx, s *store.Spike, notify []string) (bot.Post, error) {
	top, err := tx.SpikeAlerts(ctx, s.ID, 3)
	if err != nil {
		return bot.Post{}, err
	}
	loc := w.cfg.Location
	p := bot.Post{ChannelID: w.cfg.Watch.Alerts.ID, Notify: notify,
		Title: fmt.Sprintf("Spike on %s: %d alerts since %s", s.Query, s.Alerts, s.StartedAt.In(loc).Format("15:04")),
		Text: fmt.Sprintf("More than %s in 15 minutes: they are collected here instead of one message each. The most negative:",
			bot.Plural(int64(w.cfg.Watch.Burst), "alert"))}
	for _, t := range top {
		p.Sections = append(p.Sections, bot.Section{Title: fmt.Sprintf("#%d on %s by %s", t.ID, t.Source, cmp.Or(t.Author, "someone")),
			Lines: []bot.Line{{Text: bot.OneLine(cmp.Or(t.Title, t.Excerpt), 200), URL: t.URL}}})
	}
	status := "unclaimed"
	switch {
	case s.ClaimedAt != nil:
		status = "claimed by " + s.ClaimedBy
	case s.EscalatedAt != nil:
		status = "unclaimed: escalated " + s.EscalatedAt.In(loc).Format("Mon 2 Jan 15:04")
	case s.DueAt != nil:
		people, group := w.cfg.OnDuty(s.StartedAt)
		p.Context = fmt.Sprintf("On call: %s. Claim it by %s (%s of business hours), or it is escalated.", w.onCallLabel(people, group),
			s.DueAt.In(loc).Format("Mon 2 Jan 15:04"), bot.FormatDuration(w.cfg.Watch.RespondWithin))
	}
	p.Fields = []bot.Field{{Name: "Status", Value: status}}
	if s.ClaimedAt == nil {
		p.Buttons = []bot.Button{{ActionID: actClaimSpike, Label: "Claim", Value: strconv.FormatInt(s.ID, 10), Style: "primary"}}
	}
	return p, nil
}

// claimSpike makes the clicker the owner of spike id: its message says so
// and it is no longer escalated.
func (w *Watch) claimSpike(ctx context.Context, id int64, a *bot.Action) (*bot.Reply, error) {
	var msg string
	by := w.dir.Actor(a.User)
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		s, err := tx.Spike(ctx, id)
		if err != nil {
			return err
		}
		if s.ClaimedAt != nil {
			msg = fmt.Sprintf("The spike on %s is already claimed by %s.", s.Query, s.ClaimedBy)
			return nil
		}
		now := w.clock.Now().UTC()
		s.ClaimedAt, s.ClaimedBy, s.ClaimedByID = &now, by, a.User.ID
		if err := tx.SaveSpike(ctx, s); err != nil {
			return err
		}
		msg = fmt.Sprintf("The spike on %s (%d alerts) is yours: its mentions are in their channel, each with Draft reply and Answered.", s.Query, s.Alerts)
		return w.refreshSpike(ctx, tx, s, "claimed")
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// followUpSpikes escalates the spikes nobody claimed within respond_within
// (business hours), each once; it returns how many it escalated.
func (w *Watch) followUpSpikes(ctx context.Context, now time.Time) (int, error) {
	due, err := w.db.PendingSpikes(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range due {
		err := w.db.InTx(ctx, func(tx *store.Tx) error {
			s, err := tx.Spike(ctx, d.ID)
			if err != nil {
				return err
			}
			if s.ClaimedAt != nil || s.EscalatedAt != nil || s.DueAt == nil || now.Before(*s.DueAt) {
				return nil
			}
			t := now.UTC()
			s.EscalatedAt = &t
			if err := tx.SaveSpike(ctx, s); err != nil {
				return err
			}
			p, err := w.spikePost(ctx, tx, s, nil)
			if err != nil {
				return err
			}
			p.ChannelID = cmp.Or(w.cfg.Watch.EscalateTo.ID, w.cfg.Watch.Alerts.ID)
			p.Title = fmt.Sprintf("Spike on %s still unclaimed after %s of business hours: %d alerts since %s", s.Query,
				bot.FormatDuration(w.cfg.Watch.RespondWithin), s.Alerts, s.StartedAt.In(w.cfg.Location).Format("Mon 2 Jan 15:04"))
			p.Text, p.Fields = "", nil
			if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: s.OutboxKey + ":escalate", Platform: bot.PlatformSlack,
				Kind: bot.KindPost, Payload: bot.Payload(p)}); err != nil {
				return err
			}
			sent++
			return w.refreshSpike(ctx, tx, s, "escalated")
		})
		if err != nil {
			return sent, fmt.Errorf("follow up spike %d: %w", d.ID, err)
		}
	}
	return sent, nil
}

// FollowUpAlerts escalates the alerts and spikes nobody claimed within
// respond_within (business hours) and reminds the claimers of the alerts
// still unanswered: each once, keyed in the outbox. A job, every minute; it returns how many
// messages it sent.
func (w *Watch) FollowUpAlerts(ctx context.Context, now time.Time) (int, error) {
	if !w.cfg.Watch.Enabled {
		return 0, nil
	}
	due, err := w.db.PendingAlerts(ctx, now, 500)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range due {
		err := w.db.InTx(ctx, func(tx *store.Tx) error {
			m, err := tx.Mention(ctx, d.ID)
			if err != nil {
				return err
			}
			if m.AnsweredAt != nil || m.AlertDue == nil || now.Before(*m.AlertDue) {
				return nil
			}
			switch {
			case m.ClaimedAt == nil && m.EscalatedAt == nil:
				if err := w.escalate(ctx, tx, m, now); err != nil {
					return err
				}
			case m.ClaimedAt != nil && m.RemindedAt == nil:
				if err := w.remind(ctx, tx, m, now); err != nil {
					return err
				}
			default:
				return nil
			}
			sent++
			return tx.SaveMention(ctx, now, m)
		})
		if err != nil {
			return sent, fmt.Errorf("follow up alert %d: %w", d.ID, err)
		}
	}
	n, err := w.followUpSpikes(ctx, now)
	return sent + n, err
}

func (w *Watch) escalate(ctx context.Context, tx *store.Tx, m *store.Mention, now time.Time) error {
	to := cmp.Or(w.cfg.Watch.EscalateTo.ID, w.cfg.Watch.Alerts.ID)
	id := strconv.FormatInt(m.ID, 10)
	p := bot.Post{ChannelID: to,
		Title: fmt.Sprintf("Alert on %s still unclaimed after %s of business hours: mention #%d on %s by %s", m.Query,
			bot.FormatDuration(w.cfg.Watch.RespondWithin), m.ID, m.Source, cmp.Or(m.Author, "someone")),
		Quote:   strings.TrimSpace(m.Title + "\n" + m.Excerpt),
		Link:    &bot.Link{URL: m.URL, Label: "Open on " + cmp.Or(botwatch.Host(m.URL), m.Source)},
		Buttons: []bot.Button{{ActionID: actClaim, Label: "Claim", Value: id, Style: "primary"}, {ActionID: actAnswered, Label: "Answered", Value: id}}}
	t := now.UTC()
	m.EscalatedAt, m.AlertState = &t, store.AlertEscalated
	_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: "watch:escalate:" + id, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(p)})
	return err
}

func (w *Watch) remind(ctx context.Context, tx *store.Tx, m *store.Mention, now time.Time) error {
	id := strconv.FormatInt(m.ID, 10)
	p := bot.Post{ChannelID: w.cfg.Watch.Alerts.ID,
		Text: fmt.Sprintf("%s, you claimed alert #%d on %s: it still has no answer. Click Answered, with the link, once you have replied.",
			m.ClaimedBy, m.ID, m.Query),
		Buttons: []bot.Button{{ActionID: actAnswered, Label: "Answered", Value: id, Style: "primary"}}}
	if strings.HasPrefix(m.ClaimedByID, "U") || strings.HasPrefix(m.ClaimedByID, "W") {
		p.Notify = []string{m.ClaimedByID}
	}
	msg := &bot.OutboxMessage{Key: "watch:remind:" + id, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(p)}
	if m.AlertKey != "" {
		msg.ParentKey = m.AlertKey
	}
	t := now.UTC()
	m.RemindedAt = &t
	_, err := tx.Enqueue(ctx, now, msg)
	return err
}
