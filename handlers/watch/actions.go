package watch

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	botwatch "github.com/liaison-bot/liaison/bot/watch"
)

// action answers the buttons of mentions, alerts, suggestions and the
// mutes list.
func (w *Watch) action(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a web mention; nothing was changed.")
	}
	switch a.ActionID {
	case actAnswered:
		m, err := w.db.Mention(ctx, id)
		if err != nil {
			return nil, err
		}
		if m.AnsweredAt != nil {
			return &bot.Reply{Text: fmt.Sprintf("Mention #%d is already %s.", m.ID, mentionStatus(m))}, nil
		}
		return &bot.Reply{Modal: &bot.Modal{CallbackID: formAnswered, Title: fmt.Sprintf("Answered #%d", m.ID), Submit: "Save",
			Meta: a.Value, Fields: []bot.ModalField{{ID: "link", Label: "Link to your answer (where you replied)", Optional: true}}}}, nil
	case actApply, actIgnore:
		return w.decide(ctx, id, a)
	case actLift:
		return w.lift(ctx, id, a.User)
	case actClaimSpike:
		return w.claimSpike(ctx, id, a)
	}
	var msg string
	by := w.dir.Actor(a.User)
	err = w.db.InTx(ctx, func(tx *store.Tx) error {
		m, err := tx.Mention(ctx, id)
		if err != nil {
			return err
		}
		now := w.clock.Now()
		switch a.ActionID {
		case actClaim:
			if m.ClaimedAt != nil {
				msg = fmt.Sprintf("Mention #%d is already claimed by %s.", m.ID, m.ClaimedBy)
				return nil
			}
			t := now.UTC()
			m.ClaimedAt, m.ClaimedBy, m.ClaimedByID = &t, by, a.User.ID
			if m.Status == store.MentionNew {
				m.Status = store.MentionClaimed
			}
			// Claimed after its deadline: the claimer gets a full period
			// before the reminder.
			if m.AlertDue != nil && !now.Before(*m.AlertDue) {
				due := w.cfg.BusinessHours.Deadline(now, w.cfg.Watch.RespondWithin, w.cfg.Location)
				m.AlertDue = &due
			}
			msg = fmt.Sprintf("Mention #%d is yours: answer it at %s, then click Answered.", m.ID, m.URL)
			if err := tx.SaveMention(ctx, now, m); err != nil {
				return err
			}
			return w.refresh(ctx, tx, m, "claimed")
		case actMuteAuthor, actMuteSite:
			mu := store.Mute{Query: m.Query, Kind: store.MuteAuthor, Value: authorKey(m.Author), CreatedBy: by}
			shown := m.Author
			if a.ActionID == actMuteSite {
				mu.Kind, mu.Value, shown = store.MuteSite, m.Site, m.Site
			}
			if mu.Value == "" {
				return bot.Errorf(bot.EInvalid, "Mention #%d has no %s to mute; nothing was changed.", m.ID, mu.Kind)
			}
			added, err := tx.AddMute(ctx, now, &mu)
			if err != nil {
				return err
			}
			if !added {
				msg = fmt.Sprintf("The %s %s is already muted for %s (mute #%d).", mu.Kind, shown, m.Query, mu.ID)
				return nil
			}
			msg = fmt.Sprintf("Muted the %s %s for %s (mute #%d): the next mentions from there are dropped and counted. /liaison watch mutes lists and lifts mutes.",
				mu.Kind, shown, m.Query, mu.ID)
			return nil
		case actNotUs:
			if m.Status == store.MentionNotAboutUs {
				msg = fmt.Sprintf("Mention #%d is already marked not about us.", m.ID)
				return nil
			}
			m.Status = store.MentionNotAboutUs
			if m.AlertState == store.AlertOpen || m.AlertState == store.AlertEscalated {
				m.AlertState = store.AlertClosed
			}
			if err := tx.SaveMention(ctx, now, m); err != nil {
				return err
			}
			if err := w.refresh(ctx, tx, m, "not-us"); err != nil {
				return err
			}
			// The same story from another source is not about us either.
			if _, err := tx.AddMute(ctx, now, &store.Mute{Query: m.Query, Kind: store.MuteStory, Value: m.StoryHash,
				Label: fmt.Sprintf("%q (mention #%d)", bot.OneLine(m.Title, 80), m.ID), CreatedBy: by}); err != nil {
				return err
			}
			msg = fmt.Sprintf("Mention #%d is marked not about us.", m.ID)
			return w.suggest(ctx, tx, m, by, &msg)
		}
		return bot.Errorf(bot.ENotFound, "This button belongs to something Liaison no longer handles; nothing was changed.")
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// suggest proposes, in the mention's thread, the words that would keep
// such pages out of its query, for an admin to Apply or Ignore.
func (w *Watch) suggest(ctx context.Context, tx *store.Tx, m *store.Mention, by string, msg *string) error {
	q, ok := w.cfg.Watch.Query(m.Query)
	if !ok {
		return nil
	}
	words := botwatch.DistinctiveWords(q.Query, m.Title, m.Excerpt, 3)
	if len(words) == 0 {
		return nil
	}
	s := store.Suggestion{Query: m.Query, MentionID: m.ID, Words: strings.Join(words, " "), CreatedBy: by}
	created, err := tx.CreateSuggestion(ctx, w.clock.Now(), &s)
	if err != nil || !created {
		return err
	}
	id := strconv.FormatInt(s.ID, 10)
	p := bot.Post{ChannelID: m.ChannelID,
		Text: fmt.Sprintf("%s says mention #%d is not about us. Admins: exclude %s from %s, so pages with them are dropped?",
			by, m.ID, exclusionList(words), m.Query),
		Buttons: []bot.Button{{ActionID: actApply, Label: "Apply", Value: id, Style: "primary"}, {ActionID: actIgnore, Label: "Ignore", Value: id}}}
	msg2 := &bot.OutboxMessage{Key: "watch:suggest:" + id, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(p), ParentKey: m.OutboxKey}
	if m.OutboxKey == "" {
		p.ChannelID = w.cfg.Watch.Alerts.ID
		msg2.Payload, msg2.ParentKey = bot.Payload(p), ""
		if p.ChannelID == "" {
			return nil
		}
	}
	*msg += fmt.Sprintf(" Admins are asked whether to exclude %s from %s.", exclusionList(words), m.Query)
	_, err = tx.Enqueue(ctx, w.clock.Now(), msg2)
	return err
}

func exclusionList(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = "-" + w
	}
	return strings.Join(out, " ")
}

// decide applies or ignores an exclusion suggestion.
func (w *Watch) decide(ctx context.Context, id int64, a *bot.Action) (*bot.Reply, error) {
	var msg string
	by := w.dir.Actor(a.User)
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		s, err := tx.Suggestion(ctx, id)
		if err != nil {
			return err
		}
		if s.Status != "pending" {
			msg = fmt.Sprintf("This suggestion was already %s by %s.", s.Status, s.DecidedBy)
			return nil
		}
		now := w.clock.Now()
		words := strings.Fields(s.Words)
		s.DecidedBy = by
		text := ""
		if a.ActionID == actApply {
			s.Status = "applied"
			for _, word := range words {
				if _, err := tx.AddMute(ctx, now, &store.Mute{Query: s.Query, Kind: store.MuteWords, Value: word, CreatedBy: by}); err != nil {
					return err
				}
			}
			text = fmt.Sprintf("%s applied it: %s now excludes %s (lift with /liaison watch mutes).", by, s.Query, exclusionList(words))
		} else {
			s.Status = "ignored"
			text = fmt.Sprintf("%s ignored the suggestion to exclude %s from %s.", by, exclusionList(words), s.Query)
		}
		if err := tx.DecideSuggestion(ctx, now, s); err != nil {
			return err
		}
		msg = text
		key := "watch:suggest:" + strconv.FormatInt(s.ID, 10)
		m, err := tx.Mention(ctx, s.MentionID)
		if err != nil {
			return err
		}
		p := bot.Post{ChannelID: m.ChannelID, Text: text}
		if m.OutboxKey == "" {
			p.ChannelID = w.cfg.Watch.Alerts.ID
		}
		_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key + ":" + s.Status, Platform: bot.PlatformSlack, Kind: bot.KindUpdate,
			Payload: bot.Payload(p), ParentKey: key})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// lift lifts a mute.
func (w *Watch) lift(ctx context.Context, id int64, u bot.User) (*bot.Reply, error) {
	var msg string
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		mu, err := tx.LiftMute(ctx, id)
		if err != nil {
			return err
		}
		msg = fmt.Sprintf("Lifted mute #%d (%s %s on %s, which dropped %d mention(s)): such mentions are posted again.", mu.ID, mu.Kind, cmp.Or(mu.Label, mu.Value), mu.Query, mu.Dropped)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// form handles the Answered form.
func (w *Watch) form(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	id, err := strconv.ParseInt(s.Meta, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This form does not name a web mention; nothing was changed.")
	}
	link := strings.TrimSpace(s.Values["link"])
	if link != "" {
		if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, bot.Errorf(bot.EInvalid, "%q is not a link: paste the address of your answer, starting with https://. Nothing was changed.", link)
		}
	}
	var msg string
	err = w.db.InTx(ctx, func(tx *store.Tx) error {
		m, err := tx.Mention(ctx, id)
		if err != nil {
			return err
		}
		if m.AnsweredAt != nil {
			msg = fmt.Sprintf("Mention #%d is already %s.", m.ID, mentionStatus(m))
			return nil
		}
		return w.markAnswered(ctx, tx, m, w.dir.Actor(s.User), s.User.ID, link, &msg)
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// markAnswered records that by answered m (at link, when given), closes
// its alert and shows it on its messages.
func (w *Watch) markAnswered(ctx context.Context, tx *store.Tx, m *store.Mention, by, byID, link string, msg *string) error {
	now := w.clock.Now()
	t := now.UTC()
	m.AnsweredAt, m.AnsweredBy, m.AnswerURL, m.Status = &t, by, link, store.MentionAnswered
	if m.ClaimedAt == nil {
		m.ClaimedAt, m.ClaimedBy, m.ClaimedByID = &t, by, byID
	}
	if m.AlertState != "" && m.AlertState != store.AlertSpiked {
		m.AlertState = store.AlertClosed
	}
	if err := tx.SaveMention(ctx, now, m); err != nil {
		return err
	}
	if m.DraftID != nil && w.drafts != nil {
		if err := w.drafts.PostedByHand(ctx, tx, *m.DraftID, by, link); err != nil {
			return err
		}
	}
	*msg = fmt.Sprintf("Mention #%d is marked answered.", m.ID)
	return w.refresh(ctx, tx, m, "answered")
}

// ReplyApproved records, in tx, that draft draftID answering mention
// mentionID was approved: the mention shows it is to be posted by hand,
// and whoever handles it (its claimer, else the drafter, who then claims
// it) is asked in its thread to post it and click Answered. It is how
// approvals (handlers.Approvals) tells the watch.
func (w *Watch) ReplyApproved(ctx context.Context, tx *store.Tx, mentionID, draftID int64, drafterID string) error {
	m, err := tx.Mention(ctx, mentionID)
	if err != nil {
		return err
	}
	now := w.clock.Now()
	m.DraftID = &draftID
	if m.ClaimedAt == nil {
		t := now.UTC()
		m.ClaimedAt, m.ClaimedByID = &t, drafterID
		m.ClaimedBy = w.dir.Actor(bot.User{Platform: bot.PlatformSlack, ID: drafterID})
		if m.Status == store.MentionNew {
			m.Status = store.MentionClaimed
		}
	}
	if err := tx.SaveMention(ctx, now, m); err != nil {
		return err
	}
	if err := w.refresh(ctx, tx, m, fmt.Sprintf("draft-%d", draftID)); err != nil {
		return err
	}
	if m.OutboxKey == "" {
		return nil
	}
	p := bot.Post{ChannelID: m.ChannelID,
		Text:    fmt.Sprintf("Draft #%d is approved. %s, post it by hand at %s, then click Answered with the link to your post.", draftID, m.ClaimedBy, m.URL),
		Buttons: []bot.Button{{ActionID: actAnswered, Label: "Answered", Value: strconv.FormatInt(m.ID, 10), Style: "primary"}}}
	if strings.HasPrefix(m.ClaimedByID, "U") || strings.HasPrefix(m.ClaimedByID, "W") {
		p.Notify = []string{m.ClaimedByID}
	}
	_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("watch:approved:%d:%d", m.ID, draftID), Platform: bot.PlatformSlack,
		Kind: bot.KindPost, Payload: bot.Payload(p), ParentKey: m.OutboxKey})
	return err
}
