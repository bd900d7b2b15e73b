package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The public status board (feedback.board): each item said in Discord
// that has board_min_votes votes or more gets a post in a Discord forum,
// titled like the item, wearing its status as one of the forum's tags
// (bot.BoardTags), and showing its votes and merged duplicates in its
// first message. Every change of the item (a vote, a status, a merge, an
// edit) reaches the post through the outbox, under keys that follow from
// the item (board:ID, board:ID:edit:N), so a restart or a second replica
// never posts twice. A 👍 on the post is a vote for the item.
//
// Only what the community said in Discord is shown: what staff logged in
// Slack (a customer's words, a call's notes) stays internal. A status's
// note is not shown either: it is written for the team and approved only
// as part of a notice.

// boardQuoteMax bounds the item's text on its post, leaving room in
// Discord's 2,000 characters for the rest.
const boardQuoteMax = 1500

// syncBoard opens or edits the board post of it (locked in tx), as its
// state now asks: nothing when there is no board, when it is not on the
// board and should not be, or when its post already shows this.
func (fb *Feedback) syncBoard(ctx context.Context, tx *store.Tx, it *store.FeedbackItem) error {
	board := fb.cfg.Feedback.Board
	if board.ID == "" || it.Source != bot.PlatformDiscord {
		return nil
	}
	p, err := tx.BoardPost(ctx, it.ID)
	if err != nil {
		return err
	}
	if p == nil && (it.Votes < fb.cfg.Feedback.BoardMinVotes || it.DuplicateOf != nil || it.Status == store.FeedbackClosed) {
		return nil
	}
	dups, err := tx.Duplicates(ctx, it.ID)
	if err != nil {
		return err
	}
	fp := bot.ForumPost{
		ChannelID: board.ID, GuildID: board.GuildID, Name: boardTitle(it), Tag: boardTag(it), Tags: bot.BoardTags,
		Marker: boardMarker(it.ID), Post: fb.boardPost(it, dups),
	}
	shown := boardShown(fp)
	now := fb.clock.Now()
	if p == nil {
		m := &bot.OutboxMessage{Key: "board:" + strconv.FormatInt(it.ID, 10), Platform: bot.PlatformDiscord, Kind: bot.KindForumPost, Payload: bot.Payload(fp)}
		if _, err := tx.OpenBoardPost(ctx, now, it.ID, board.ID, shown, m); err != nil {
			return err
		}
		return tx.LogFeedback(ctx, now, it.ID, "Liaison", "put on the board", fmt.Sprintf("%d votes", it.Votes))
	}
	if p.Shown == shown {
		return nil
	}
	fp.ChannelID = p.ForumID // its tags are that forum's
	m := &bot.OutboxMessage{Key: p.NextEditKey(), Platform: bot.PlatformDiscord, Kind: bot.KindForumUpdate,
		Payload: bot.Payload(fp), ParentKey: p.LastKey()}
	return tx.EditBoardPost(ctx, now, p, shown, m)
}

// boardMarker is what every board post of item id says, by which a
// sender recognises a post it opened before a crash.
func boardMarker(id int64) string { return "Feedback #" + strconv.FormatInt(id, 10) }

// boardTitle is the post's title: a forum post's own, else the first line
// of the text, cut at 80 characters.
func boardTitle(it *store.FeedbackItem) string {
	if t := strings.TrimSpace(it.Title); t != "" {
		return cutRunes(t, 100)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(it.Text), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return boardMarker(it.ID)
	}
	return cutRunes(line, 80)
}

// cutRunes cuts s to n characters, ending with "…" when it cut.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// boardTag is the tag of the board that says its status; "" for an item
// closed without one (or merged into another), whose post keeps the tag
// it had.
func boardTag(it *store.FeedbackItem) string {
	if it.DuplicateOf != nil {
		return ""
	}
	switch it.Status {
	case store.FeedbackPlanned:
		return "Planned"
	case store.FeedbackInProgress:
		return "In progress"
	case store.FeedbackShipped:
		return "Shipped"
	case store.FeedbackDeclined:
		return "Declined"
	case store.FeedbackClosed:
		return ""
	}
	return "Open"
}

// boardPost is the first message of its post.
func (fb *Feedback) boardPost(it *store.FeedbackItem, dups []int64) bot.Post {
	status := boardTag(it)
	switch {
	case it.DuplicateOf != nil:
		status = fmt.Sprintf("merged into #%d, where its votes count now", *it.DuplicateOf)
	case it.Status == store.FeedbackClosed:
		status = "Closed"
	}
	votes := strconv.Itoa(it.Votes)
	if !store.FeedbackDone(it.Status) && it.DuplicateOf == nil {
		votes += " · react with " + fb.voteEmoji() + " to this post to add yours"
	}
	p := bot.Post{Fields: []bot.Field{{Name: "Status", Value: status}, {Name: "Votes", Value: votes}}}
	if it.Deleted {
		p.Text = "(The original message was deleted.)"
	} else {
		text := strings.TrimSpace(it.Text)
		if first, rest, _ := strings.Cut(text, "\n"); it.Title == "" && len([]rune(strings.TrimSpace(first))) <= 80 {
			text = strings.TrimSpace(rest) // the first line is the title
		}
		if len(text) > boardQuoteMax {
			text = bot.Truncate(text, boardQuoteMax) + " …"
		}
		p.Quote = text
		if it.Permalink != "" {
			p.Link = &bot.Link{URL: it.Permalink, Label: "The original message"}
		}
	}
	if len(dups) > 0 {
		ids := make([]string, len(dups))
		for i, d := range dups {
			ids[i] = "#" + strconv.FormatInt(d, 10)
		}
		p.Fields = append(p.Fields, bot.Field{Name: "Merged", Value: strings.Join(ids, ", ") + " (the same request; their votes count here)"})
	}
	where := ""
	if it.ChannelName != "" {
		where = " · from #" + it.ChannelName
	}
	p.Context = boardMarker(it.ID) + where
	return p
}

// voteEmoji is the vote emoji as Discord shows it.
func (fb *Feedback) voteEmoji() string {
	if e := bot.EmojiForShortcode(fb.cfg.Feedback.VoteEmoji); e != "" {
		return e
	}
	return fb.cfg.Feedback.VoteEmoji
}

// boardShown is a hash of what a post shows: its message and its tag.
func boardShown(fp bot.ForumPost) string {
	sum := sha256.Sum256(append(bot.Payload(fp.Post), "\x00"+fp.Tag...))
	return hex.EncodeToString(sum[:])
}

// boardItem returns the item whose board post a Discord reaction is on:
// the post's first message, whose id is the post's (thread's).
func (fb *Feedback) boardItem(ctx context.Context, tx *store.Tx, e *bot.Reaction) (*store.FeedbackItem, error) {
	if fb.cfg.Feedback.Board.ID == "" || e.ThreadID == "" || e.MessageID != e.ThreadID {
		return nil, bot.Errorf(bot.ENotFound, "not a board post")
	}
	return tx.FeedbackByBoardPost(ctx, e.ThreadID)
}
