package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Moderation actions Discord refused. A case is recorded, answered and
// logged when the moderator acts; its Discord action goes through the
// outbox afterwards. When Discord refuses it for good (Liaison's role is
// below the member's, a permission is missing) the dead action is reported
// under the case's mod-log messages, once per failure, and a moderator can
// retry it once the cause is fixed: /liaison mod retry N in Slack, or the
// Retry button on the Slack note.

// ReportFailedActions notes in the mod log each moderation action Discord
// refused that nobody was told of yet, for the scheduler (every tick: one
// indexed query when there is nothing to report). It returns how many it
// reported.
func (m *Moderation) ReportFailedActions(ctx context.Context, _ time.Time) (int, error) {
	if !m.cfg.Moderation.Enabled {
		return 0, nil
	}
	dead, err := m.db.UnreportedDead(ctx, bot.KindModerate, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range dead {
		err := m.db.InTx(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkDeadReported(ctx, m.clock.Now(), e.Key)
			if err != nil || !ok {
				return err
			}
			n++
			return m.reportFailure(ctx, tx, &e)
		})
		if err != nil {
			return n, fmt.Errorf("report the failure of %s: %w", e.Key, err)
		}
	}
	return n, nil
}

// reportFailure posts what went wrong with the dead action e.
func (m *Moderation) reportFailure(ctx context.Context, tx *store.Tx, e *store.OutboxEntry) error {
	why := bot.PlainRefusal(e.LastError)
	// One note per failure: a retried action that fails again is reported
	// again, under a key of its own.
	noteKey := fmt.Sprintf("failed:%d", e.UpdatedAt.UnixMicro())
	guild, number, step, ok := parseCaseKey(e.Key)
	if !ok {
		// An automod deletion: no case to retry, only the mod log to tell.
		var a bot.ModAction
		if err := json.Unmarshal([]byte(e.Payload), &a); err != nil {
			return fmt.Errorf("moderation action %s: %w", e.Key, err)
		}
		text := fmt.Sprintf("⚠️ Automod could not act on Discord: %s.", why)
		for _, dst := range m.logDestinations(a.GuildID) {
			if _, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: fmt.Sprintf("%s:%s:%s", e.Key, noteKey, dst.Platform),
				Platform: dst.Platform, Kind: bot.KindPost, Payload: bot.Payload(bot.Post{ChannelID: dst.ID, Text: text})}); err != nil {
				return err
			}
		}
		return nil
	}
	c, err := tx.Case(ctx, guild, number)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("Case %d was not applied on Discord", c.Number)
	switch {
	case step == "expire":
		what = fmt.Sprintf("The end of case %d was not applied on Discord", c.Number)
	case strings.HasPrefix(step, "renew:"):
		what = fmt.Sprintf("Case %d's timeout could not be renewed on Discord", c.Number)
	}
	text := fmt.Sprintf("⚠️ %s: %s. The case stays in the record. Once that is fixed, retry it with /liaison mod retry %d in Slack.", what, why, c.Number)
	return m.noteOnLog(ctx, tx, c, noteKey, text, bot.Button{ActionID: "mod.retry", Label: "Retry", Value: fmt.Sprintf("%s:%d", c.GuildID, c.Number)})
}

// parseCaseKey splits an outbox key "case:<guild>:<n>:<step>".
func parseCaseKey(key string) (guild string, n int64, step string, ok bool) {
	parts := strings.SplitN(key, ":", 4)
	if len(parts) != 4 || parts[0] != "case" {
		return "", 0, "", false
	}
	n, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", 0, "", false
	}
	return parts[1], n, parts[3], true
}

// retry sends again case n's actions that Discord refused, for a
// moderator allowed to take the case's action against its member now.
func (m *Moderation) retry(ctx context.Context, inv invocation, n int64) (*bot.Reply, error) {
	c, err := m.db.Case(ctx, inv.GuildID, n)
	if err != nil {
		return nil, err
	}
	if _, err := m.check(ctx, inv, c.Action, c.TargetID); err != nil {
		return nil, err
	}
	var keys []string
	err = m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		keys, err = tx.RetryDead(ctx, m.clock.Now(), bot.KindModerate, c.Key()+":")
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, bot.Errorf(bot.EConflict, "Case %d has nothing Discord refused to retry: its action was applied, or is still on its way.", n)
	}
	return &bot.Reply{Text: fmt.Sprintf("Retrying case %d on Discord. The mod log will say if Discord refuses again.", n)}, nil
}

// retryClick answers the Retry button of a failure note: its value is
// "<guild>:<case number>".
func (m *Moderation) retryClick(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	guild, num, _ := strings.Cut(a.Value, ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || guild == "" {
		return nil, bot.Errorf(bot.EInvalid, "This button names no case Liaison knows; nothing was done.")
	}
	inv, err := m.slackInvocation(a.User, guild)
	if err != nil {
		return nil, err
	}
	return m.retry(ctx, inv, n)
}
