package moderation

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Purge and slowmode. A purge shows the moderator what it would delete
// (how many recent messages go in one bulk delete, how many older than 14
// days go one by one, and how long that takes) and acts on confirmation;
// the deleted messages' text is archived as a file under the case's
// mod-log message, so nothing a moderator removes is lost to the team.

const (
	bulkDeleteMaxAge = 14*24*time.Hour - time.Hour // Discord's limit, with a margin for the time until it runs
	purgeScan        = 500                         // messages read to find the ones to purge
	bulkSize         = 100
	slowDeleteEach   = 1200 * time.Millisecond // one old message's delete, rate limit included
	maxSlowmode      = 6 * time.Hour
)

// purgeMessage is one message a purge deletes, as archived.
type purgeMessage struct {
	ID       string    `json:"id"`
	AuthorID string    `json:"author_id"`
	Author   string    `json:"author"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
}

// pendingPurgeReq is a purge waiting for confirmation.
type pendingPurgeReq struct {
	Inv      invocation     `json:"inv"`
	Filter   string         `json:"filter"`    // what was asked, for the case
	TargetID string         `json:"target_id"` // the member whose messages, when given
	Target   string         `json:"target"`
	Messages []purgeMessage `json:"messages"` // newest first
}

func (m *Moderation) cmdPurge(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	count, err := strconv.Atoi(strings.TrimSpace(c.Option("count")))
	if err != nil || count < 1 || count > 100 {
		return nil, bot.Errorf(bot.EInvalid, "Purge 1 to 100 messages at a time: /purge 20.")
	}
	userID := strings.TrimSpace(c.Option("user"))
	contains := strings.TrimSpace(c.Option("contains"))
	bots := c.Option("bots") == "true"
	s, err := m.check(ctx, inv, bot.ActionPurge, "")
	if err != nil {
		return nil, err
	}
	req := pendingPurgeReq{Inv: inv, TargetID: userID}
	var filters []string
	if userID != "" {
		req.Target = userID
		if mem, err := m.guilds.GuildMember(ctx, inv.GuildID, userID); err == nil {
			req.Target = mem.User.Label()
		} else if u, err := m.guilds.DiscordUser(ctx, userID); err == nil {
			req.Target = u.Label()
		}
		filters = append(filters, "from "+req.Target)
	}
	if contains != "" {
		filters = append(filters, fmt.Sprintf("containing %q", contains))
	}
	if bots {
		filters = append(filters, "from bots")
	}
	req.Filter = strings.Join(filters, ", ")
	history, err := m.guilds.ChannelHistory(ctx, inv.ChannelID, purgeScan)
	if err != nil {
		return nil, fmt.Errorf("read the history of %s: %w", inv.ChannelID, err)
	}
	lower := strings.ToLower(contains)
	for _, msg := range history {
		if len(req.Messages) == count {
			break
		}
		if (userID != "" && msg.Author.ID != userID) || (bots && !msg.Author.Bot) ||
			(lower != "" && !strings.Contains(strings.ToLower(msg.Text), lower)) {
			continue
		}
		req.Messages = append(req.Messages, purgeMessage{ID: msg.ID, AuthorID: msg.Author.ID, Author: msg.Author.Label(), Text: msg.Text, At: msg.At.UTC()})
	}
	where := m.channelLabel(inv.ChannelID)
	if len(req.Messages) == 0 {
		what := ""
		if req.Filter != "" {
			what = " " + req.Filter
		}
		return nil, bot.Errorf(bot.ENotFound, "No message%s among the last %d in %s: nothing to purge.", what, len(history), where)
	}
	recent, old := splitByAge(req.Messages, m.clock.Now())
	now := m.clock.Now()
	p := &store.Pending{GuildID: inv.GuildID, Kind: pendingPurge, ModeratorID: s.Mod.User.ID, ExpiresAt: now.Add(pendingLifetime), Payload: string(bot.Payload(req))}
	if err := m.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePending(ctx, now, p) }); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Purge %d message(s) in %s", len(req.Messages), where)
	if req.Filter != "" {
		fmt.Fprintf(&b, " (%s)", req.Filter)
	}
	b.WriteString("?")
	if len(recent) > 0 {
		fmt.Fprintf(&b, " %d recent: deleted at once.", len(recent))
	}
	if len(old) > 0 {
		fmt.Fprintf(&b, " %d older than 14 days: Discord deletes those one by one, about %s.", len(old), bot.FormatDuration(estimate(len(old))))
	}
	b.WriteString(" Their text is archived in the mod log.")
	id := strconv.FormatInt(p.ID, 10)
	return &bot.Reply{Text: b.String(), Buttons: []bot.Button{
		{ActionID: "mod.confirm", Label: "Confirm", Value: id, Style: "danger"},
		{ActionID: "mod.cancel", Label: "Cancel", Value: id},
	}}, nil
}

// splitByAge separates messages Discord bulk-deletes from those it
// deletes only one at a time (older than 14 days).
func splitByAge(msgs []purgeMessage, now time.Time) (recent, old []purgeMessage) {
	for _, msg := range msgs {
		if now.Sub(msg.At) < bulkDeleteMaxAge {
			recent = append(recent, msg)
		} else {
			old = append(old, msg)
		}
	}
	return recent, old
}

func estimate(old int) time.Duration {
	return (time.Duration(old)*slowDeleteEach + time.Second - 1).Truncate(time.Second)
}

// confirmPurge deletes the messages the moderator saw and archives them.
func (m *Moderation) confirmPurge(ctx context.Context, p *store.Pending) (*bot.Reply, error) {
	var req pendingPurgeReq
	if err := json.Unmarshal([]byte(p.Payload), &req); err != nil {
		return nil, fmt.Errorf("pending purge %d: %w", p.ID, err)
	}
	s, err := m.check(ctx, req.Inv, bot.ActionPurge, "")
	if err != nil {
		return nil, err
	}
	where := m.channelLabel(req.Inv.ChannelID)
	reason := fmt.Sprintf("%d message(s)", len(req.Messages))
	if req.Filter != "" {
		reason += " " + req.Filter
	}
	now := m.clock.Now()
	recent, old := splitByAge(req.Messages, now)
	var c *bot.Case
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		s.TargetID, s.TargetName = req.TargetID, req.Target
		c, _, err = m.record(ctx, tx, request{inv: req.Inv, subj: s, action: bot.ActionPurge, reason: reason, targetName: cmp.Or(req.Target, where)})
		if err != nil {
			return err
		}
		audit := bot.AuditReason(c)
		enqueue := func(key string, a bot.ModAction) error {
			a.GuildID, a.ChannelID, a.Reason = c.GuildID, req.Inv.ChannelID, audit
			_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindModerate, Payload: bot.Payload(a)})
			return err
		}
		for i := 0; i < len(recent); i += bulkSize {
			chunk := recent[i:min(i+bulkSize, len(recent))]
			ids := make([]string, len(chunk))
			for j, msg := range chunk {
				ids[j] = msg.ID
			}
			op := bot.OpBulkDelete
			if len(ids) == 1 {
				op = bot.OpDelete // bulk delete wants 2 to 100
			}
			if err := enqueue(fmt.Sprintf("%s:apply:bulk:%d", c.Key(), i/bulkSize+1), bot.ModAction{Op: op, MessageIDs: ids}); err != nil {
				return err
			}
		}
		for _, msg := range req.Messages {
			if err := tx.RecordRemovedMessage(ctx, store.RemovedMessage{GuildID: c.GuildID, ChannelID: req.Inv.ChannelID, MessageID: msg.ID,
				AuthorID: msg.AuthorID, SentAt: msg.At, RemovedBy: c.ModeratorID, CaseNumber: c.Number}); err != nil {
				return err
			}
		}
		for _, msg := range old {
			if err := enqueue(fmt.Sprintf("%s:apply:delete:%s", c.Key(), msg.ID), bot.ModAction{Op: bot.OpDelete, MessageIDs: []string{msg.ID}}); err != nil {
				return err
			}
		}
		return m.attachToLog(ctx, tx, c, bot.Upload{
			Filename: fmt.Sprintf("purge-case-%d.txt", c.Number),
			Title:    fmt.Sprintf("Messages purged in case %d", c.Number),
			Comment:  fmt.Sprintf("Archive of the %d message(s) purged from %s in case %d.", len(req.Messages), where, c.Number),
			Data:     m.archive(c, where, req.Messages),
		})
	})
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Purging %d message(s) in %s (case %d)", len(req.Messages), where, c.Number)
	if len(old) > 0 {
		text += fmt.Sprintf("; the %d older than 14 days take about %s", len(old), bot.FormatDuration(estimate(len(old))))
	}
	return &bot.Reply{Text: text + ". Their text is archived in the mod log."}, nil
}

// archive renders purged messages as a text file, oldest first.
func (m *Moderation) archive(c *bot.Case, where string, msgs []purgeMessage) []byte {
	loc := m.cfg.Location
	var b strings.Builder
	fmt.Fprintf(&b, "Case %d: %d message(s) purged from %s by %s on %s\n", c.Number, len(msgs), where, c.ModeratorName, c.CreatedAt.In(loc).Format("2006-01-02 15:04 MST"))
	if c.Reason != "" {
		fmt.Fprintf(&b, "Selection: %s\n", c.Reason)
	}
	b.WriteString("\n")
	for i := len(msgs) - 1; i >= 0; i-- {
		msg := msgs[i]
		fmt.Fprintf(&b, "[%s] %s (%s), message %s:\n", msg.At.In(loc).Format("2006-01-02 15:04"), msg.Author, msg.AuthorID, msg.ID)
		for l := range strings.SplitSeq(msg.Text, "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	return []byte(b.String())
}

func (m *Moderation) cmdSlowmode(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	inv, err := m.discordInvocation(c)
	if err != nil {
		return nil, err
	}
	d, err := slowmodeDelay(c.Option("seconds"))
	if err != nil {
		return nil, err
	}
	channel := cmp.Or(strings.TrimSpace(c.Option("channel")), inv.ChannelID)
	s, err := m.check(ctx, inv, bot.ActionSlowmode, "")
	if err != nil {
		return nil, err
	}
	where := m.channelLabel(channel)
	var cs *bot.Case
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		cs, _, err = m.record(ctx, tx, request{inv: inv, subj: s, action: bot.ActionSlowmode, duration: d, channelID: channel, targetName: where})
		return err
	})
	if err != nil {
		return nil, err
	}
	if d == 0 {
		return &bot.Reply{Text: fmt.Sprintf("Slowmode is off in %s (case %d).", where, cs.Number)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Members of %s now wait %s between messages (case %d).", where, bot.FormatDuration(d), cs.Number)}, nil
}

// slowmodeDelay reads a slowmode wait: seconds (30), a duration (5m), or
// off.
func slowmodeDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "off" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "s"
	}
	d, err := bot.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d%time.Second != 0 || d > maxSlowmode {
		return 0, bot.Errorf(bot.EInvalid, "Slowmode is a whole number of seconds up to 6h (21600): like 30, 5m or 1h; 0 turns it off.")
	}
	return d, nil
}
