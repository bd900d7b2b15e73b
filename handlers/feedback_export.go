package handlers

import (
	"cmp"
	"context"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// ExportedFeedback is one item as `liaison feedback export` writes it.
type ExportedFeedback struct {
	ID        int64     `json:"id"`
	Source    string    `json:"source"` // discord, slack
	Link      string    `json:"link"`   // the source message, "" when unknown
	Author    string    `json:"author"`
	AuthorID  string    `json:"author_id"`
	Customer  string    `json:"customer,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
	Tags      []string  `json:"tags"`
	Sentiment string    `json:"sentiment"`
	Status    string    `json:"status"`
	// History is everything done to the item, oldest first: statuses,
	// merges, notices, reminders.
	History []ExportedEvent `json:"history"`
	Votes   int             `json:"votes"`
	// Voters are the voters' ids: discord:ID, slack:ID, or person:NAME
	// for the team's people.
	Voters      []string `json:"voters"`
	DuplicateOf *int64   `json:"duplicate_of,omitempty"`
	Merged      []int64  `json:"merged"` // the items merged into this one
	// FirstResponseSeconds is how long the first answer took, in seconds
	// of wall time; nil when unanswered.
	FirstResponseSeconds *int64          `json:"first_response_seconds,omitempty"`
	Replies              []ExportedReply `json:"replies"`
}

// ExportedEvent is one line of an item's history.
type ExportedEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // who did it; "Liaison" for what it did itself
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}

// ExportedReply is a reply posted in Discord in the brand's name.
type ExportedReply struct {
	Draft    int64     `json:"draft"`
	By       string    `json:"by"`
	Text     string    `json:"text"`
	PostedAt time.Time `json:"posted_at"`
	Link     string    `json:"link"`
}

// Export returns the items created since, oldest first, with their
// history, voters, merges and replies: what `liaison feedback export`
// writes. It reads only.
func (fb *Feedback) Export(ctx context.Context, since time.Time) ([]ExportedFeedback, error) {
	items, err := fb.db.ListFeedback(ctx, store.FeedbackFilter{Since: since, Limit: 1_000_000})
	if err != nil {
		return nil, err
	}
	out := make([]ExportedFeedback, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		e := ExportedFeedback{ID: it.ID, Source: it.Source, Link: it.Permalink, Author: it.AuthorName, AuthorID: it.AuthorID,
			Customer: it.Customer, CreatedAt: it.CreatedAt, Text: itemText(it.Title, it.Text), Tags: append([]string{}, it.Tags...),
			Sentiment: it.Sentiment, Status: it.Status, Votes: it.Votes, DuplicateOf: it.DuplicateOf,
			History: []ExportedEvent{}, Voters: []string{}, Merged: []int64{}, Replies: []ExportedReply{}}
		if it.FirstResponseAt != nil {
			s := int64(it.FirstResponseAt.Sub(it.CreatedAt) / time.Second)
			e.FirstResponseSeconds = &s
		}
		hist, err := fb.db.FeedbackHistory(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range hist {
			e.History = append(e.History, ExportedEvent{At: h.CreatedAt, Actor: cmp.Or(h.Actor, "Liaison"), Action: h.Action, Detail: h.Detail})
		}
		err = fb.db.InTx(ctx, func(tx *store.Tx) error {
			voters, err := tx.Voters(ctx, it.ID)
			if err != nil {
				return err
			}
			e.Voters = append(e.Voters, voters...)
			merged, err := tx.Duplicates(ctx, it.ID)
			e.Merged = append(e.Merged, merged...)
			return err
		})
		if err != nil {
			return nil, err
		}
		replies, err := fb.db.PostedReplies(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range replies {
			r := ExportedReply{Draft: d.ID, By: d.AuthorName, Text: d.Text}
			if d.PostedAt != nil {
				r.PostedAt = *d.PostedAt
			}
			if d.DiscordMessageID != "" {
				r.Link = bot.DraftTarget{GuildID: d.TargetGuildID, ChannelID: d.TargetChannelID, MessageID: d.DiscordMessageID}.Link()
			}
			e.Replies = append(e.Replies, r)
		}
		out = append(out, e)
	}
	return out, nil
}
