package handlers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// FeedbackExportFormats write an export: csv, one row per item (lists
// joined with " | "), or json, one array of objects. Times are in UTC.
var FeedbackExportFormats = map[string]func(io.Writer, []ExportedFeedback) error{
	"csv":  writeFeedbackCSV,
	"json": writeFeedbackJSON,
}

func writeFeedbackJSON(w io.Writer, items []ExportedFeedback) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(items)
}

func exportTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func writeFeedbackCSV(w io.Writer, items []ExportedFeedback) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "source", "link", "author", "author_id", "customer", "created_at", "text", "tags", "sentiment", "status",
		"history", "votes", "voters", "duplicate_of", "merged", "first_response_seconds", "replies"})
	for _, it := range items {
		var hist, merged, replies []string
		for _, h := range it.History {
			line := exportTime(h.At) + " " + h.Actor + " " + h.Action
			if h.Detail != "" {
				line += ": " + h.Detail
			}
			hist = append(hist, strings.TrimSpace(line))
		}
		for _, m := range it.Merged {
			merged = append(merged, strconv.FormatInt(m, 10))
		}
		for _, r := range it.Replies {
			replies = append(replies, fmt.Sprintf("%s %s: %s %s", exportTime(r.PostedAt), r.By, r.Text, r.Link))
		}
		dup, first := "", ""
		if it.DuplicateOf != nil {
			dup = strconv.FormatInt(*it.DuplicateOf, 10)
		}
		if it.FirstResponseSeconds != nil {
			first = strconv.FormatInt(*it.FirstResponseSeconds, 10)
		}
		_ = cw.Write([]string{strconv.FormatInt(it.ID, 10), it.Source, it.Link, it.Author, it.AuthorID, it.Customer, exportTime(it.CreatedAt),
			it.Text, strings.Join(it.Tags, " | "), it.Sentiment, it.Status, strings.Join(hist, " | "), strconv.Itoa(it.Votes),
			strings.Join(it.Voters, " | "), dup, strings.Join(merged, " | "), first, strings.Join(replies, " | ")})
	}
	cw.Flush()
	return cw.Error()
}

// exportMax bounds the file /liaison feedback export sends in Slack; a
// larger export is for the command line (liaison feedback export).
const exportMax = 50 << 20

// exportCommand answers /liaison feedback export [--since 90d] [--format
// csv|json]: the export, as a file in the asker's direct message with
// Liaison (through the outbox); the answer says what is coming.
func (fb *Feedback) exportCommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	if c.Platform != bot.PlatformSlack {
		return nil, bot.Errorf(bot.EInvalid, "The export comes as a file in Slack: run /liaison feedback export there.")
	}
	usage := "Use /liaison feedback export [--since 90d] [--format csv|json]: --since takes a duration back from now (90d, 2w) or a date (2026-11-01)."
	sinceText, format := "90d", "csv"
	words := strings.Fields(args)
	for i := 0; i < len(words); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(words[i], "-"), "=")
		if !strings.HasPrefix(words[i], "--") || (name != "since" && name != "format") {
			return nil, bot.Errorf(bot.EInvalid, "%s is not an option of the export. %s", bot.Quoted(words[i]), usage)
		}
		if !hasValue {
			if i+1 == len(words) {
				return nil, bot.Errorf(bot.EInvalid, "--%s needs a value. %s", name, usage)
			}
			i++
			value = words[i]
		}
		if name == "since" {
			sinceText = value
		} else {
			format = strings.ToLower(value)
		}
	}
	write, ok := FeedbackExportFormats[format]
	if !ok {
		return nil, bot.Errorf(bot.EInvalid, "%s is not a format of the export: use csv or json.", bot.Quoted(format))
	}
	now := fb.clock.Now()
	since, err := ExportSince(sinceText, now)
	if err != nil {
		return nil, err
	}
	items, err := fb.Export(ctx, since)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := write(&buf, items); err != nil {
		return nil, fmt.Errorf("write the feedback export: %w", err)
	}
	if buf.Len() > exportMax {
		return nil, bot.Errorf(bot.EInvalid, "The export of %d items is too big to send in Slack (%d MB): ask for less with --since, or run liaison feedback export on the server.", len(items), buf.Len()>>20)
	}
	name := fmt.Sprintf("feedback-%s.%s", now.In(fb.cfg.Location).Format("2006-01-02"), format)
	key := fmt.Sprintf("export:%s:%d", c.User.ID, now.UnixNano())
	if len(c.Keys) > 0 {
		key = fmt.Sprintf("export:%s:%s", c.User.ID, c.Keys[0].Key) // one file per command, however often it is delivered
	}
	up := bot.Upload{ToUser: c.User.ID, Filename: name, Title: fmt.Sprintf("Feedback since %s (%d items)", since.In(fb.cfg.Location).Format("2006-01-02 15:04"), len(items)),
		Comment: "Your feedback export: every item with its history, votes and voters, merges and replies.", Data: buf.Bytes()}
	err = fb.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindUpload, Payload: bot.Payload(up)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Exporting %d feedback item(s) created since %s: %s comes to you in a direct message from Liaison.",
		len(items), since.In(fb.cfg.Location).Format("2006-01-02 15:04"), name)}, nil
}

// ExportSince reads how far back an export goes: a duration back from now
// (90d, 2w, 12h) or a date (2026-11-01, or an RFC 3339 time).
func ExportSince(s string, now time.Time) (time.Time, error) {
	if d, err := bot.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, bot.Errorf(bot.EInvalid, "--since %s is neither a duration (90d) nor a date (2026-11-01).", bot.Quoted(s))
}
