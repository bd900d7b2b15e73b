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
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
)

// The mod log: every case posted, in one format, to the Discord mod-log
// channel (pinging nobody: posts carry no Notify, and the senders parse no
// mention) and to a Slack channel. A burst of cases (a raid) is batched: past
// BurstCases within BurstWindow, cases join one message per platform, posted
// at once and edited as the burst goes on, instead of one message each.
const (
	// BurstCases is how many cases of a server within BurstWindow get a
	// mod-log message each; the cases after them are batched.
	BurstCases = 5
	// BurstWindow is the window a burst is counted in, and how long a
	// batch stays open to more cases after its last one.
	BurstWindow  = 10 * time.Second
	batchMaxSize = 15
)

// logDestinations returns the mod-log channels of a server.
func (m *Moderation) logDestinations(guildID string) []config.ChannelRef {
	ml := m.cfg.Moderation.ModLog
	var out []config.ChannelRef
	if ml.Discord.ID != "" && ml.Discord.GuildID == guildID {
		out = append(out, ml.Discord)
	}
	if ml.Slack.ID != "" {
		out = append(out, ml.Slack)
	}
	return out
}

// logCase posts c to the mod log, on its own or in the current batch.
func (m *Moderation) logCase(ctx context.Context, tx *store.Tx, c *bot.Case) error {
	now := m.clock.Now()
	for _, dst := range m.logDestinations(c.GuildID) {
		recent, err := tx.RecentModLogPosts(ctx, c.GuildID, dst.Platform, now.Add(-BurstWindow))
		if err != nil {
			return err
		}
		if recent < BurstCases {
			key := fmt.Sprintf("%s:log:%s", c.Key(), dst.Platform)
			post := m.casePost(c, dst.ID)
			if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key, Platform: dst.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
				return err
			}
			if err := tx.AddModLogPost(ctx, now, c.GuildID, c.Number, dst.Platform, key); err != nil {
				return err
			}
			continue
		}
		if err := m.batchCase(ctx, tx, c, dst, now); err != nil {
			return err
		}
	}
	return nil
}

// batchCase adds c to the open batch of its server on dst's platform, or
// opens one. A batch is posted at once and edited as cases join it, so the
// mod log shows a burst as it happens; it stays open while its last case is
// younger than BurstWindow and it holds fewer than batchMaxSize cases.
func (m *Moderation) batchCase(ctx context.Context, tx *store.Tx, c *bot.Case, dst config.ChannelRef, now time.Time) error {
	prefix := fmt.Sprintf("modlog:%s:%s:", c.GuildID, dst.Platform)
	last, err := tx.LastModLogBatch(ctx, c.GuildID, dst.Platform)
	if err != nil {
		return err
	}
	if last != "" {
		state, _, err := tx.OutboxState(ctx, last) // locks it: cases join one after another
		if err != nil {
			return err
		}
		cases, err := tx.CasesInPost(ctx, last)
		if err != nil {
			return err
		}
		open := len(cases) > 0 && now.Sub(cases[len(cases)-1].CreatedAt) < BurstWindow
		if state != "" && state != store.OutboxDead && open && len(cases) < batchMaxSize {
			if err := tx.AddModLogPost(ctx, now, c.GuildID, c.Number, dst.Platform, last); err != nil {
				return err
			}
			return m.show(ctx, tx, last, dst.Platform, state, m.batchPost(append(cases, c), dst.ID))
		}
	}
	seq := 1
	if last != "" {
		n, _ := strconv.Atoi(strings.TrimPrefix(last, prefix))
		seq = n + 1
	}
	key := prefix + strconv.Itoa(seq)
	if err := tx.AddModLogPost(ctx, now, c.GuildID, c.Number, dst.Platform, key); err != nil {
		return err
	}
	post := m.batchPost([]*bot.Case{c}, dst.ID)
	_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: key, Platform: dst.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)})
	return err
}

// show makes the mod-log message key (in state, as OutboxState read it)
// show post: a message not sent yet is rewritten; a sent one is edited,
// edits chained in order, and an edit still waiting is rewritten rather
// than followed by another, so a burst costs few edits.
func (m *Moderation) show(ctx context.Context, tx *store.Tx, key, platform, state string, post bot.Post) error {
	now := m.clock.Now()
	if state == store.OutboxPending {
		if ok, err := tx.ReplacePendingPayload(ctx, now, key, bot.Payload(post)); err != nil || ok {
			return err
		}
	}
	prefix := key + ":edit:"
	last, err := tx.LastOutboxKey(ctx, prefix)
	if err != nil {
		return err
	}
	n := 1
	if last != "" {
		if ok, err := tx.ReplacePendingPayload(ctx, now, last, bot.Payload(post)); err != nil || ok {
			return err
		}
		prev, _ := strconv.Atoi(strings.TrimPrefix(last, prefix))
		n = prev + 1
	}
	_, err = tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: prefix + strconv.Itoa(n), Platform: platform, Kind: bot.KindUpdate,
		Payload: bot.Payload(post), ParentKey: cmp.Or(last, key)})
	return err
}

// casePost renders one case as its mod-log message.
func (m *Moderation) casePost(c *bot.Case, channelID string) bot.Post {
	loc := m.cfg.Location
	p := bot.Post{ChannelID: channelID, Title: fmt.Sprintf("Case %d · %s", c.Number, actionLabel(c))}
	add := func(name, value string) {
		if value != "" {
			p.Fields = append(p.Fields, bot.Field{Name: name, Value: value})
		}
	}
	switch c.Action {
	case bot.ActionSlowmode:
		add("Channel", c.TargetName)
	case bot.ActionPurge:
		add("Channel", m.channelLabel(c.ChannelID))
		if c.TargetID != "" {
			add("Member", memberLabel(c))
		}
	default:
		add("Member", memberLabel(c))
	}
	add("Moderator", c.ModeratorName)
	add("Reason", cmp.Or(c.Reason, "none given"))
	if c.Action == bot.ActionSlowmode {
		add("Wait", cmp.Or(map[bool]string{true: "off"}[c.Duration == 0], bot.FormatDuration(c.Duration)))
	} else if c.Duration > 0 {
		add("Duration", bot.FormatDuration(c.Duration))
	} else if c.Action == bot.ActionBan {
		add("Duration", "permanent")
	}
	if !c.ExpiresAt.IsZero() {
		add("Expires", when(c.ExpiresAt, loc))
	}
	if c.Points != 0 {
		add("Points", strconv.Itoa(c.Points))
	}
	add("Source", sourceLabel(c.Source))
	if c.LinkedCase > 0 {
		add("Follows", fmt.Sprintf("case %d", c.LinkedCase))
	}
	if c.TriggerMessageID != "" && c.ChannelID != "" {
		p.Link = &bot.Link{URL: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", c.GuildID, c.ChannelID, c.TriggerMessageID), Label: "Jump to the message"}
	}
	return p
}

// batchPost renders several cases as one mod-log message, a line each.
func (m *Moderation) batchPost(cases []*bot.Case, channelID string) bot.Post {
	title := fmt.Sprintf("Case %d", cases[0].Number)
	if len(cases) > 1 {
		title = fmt.Sprintf("Cases %d–%d (%d cases in a burst)", cases[0].Number, cases[len(cases)-1].Number, len(cases))
	}
	lines := make([]string, len(cases))
	for i, c := range cases {
		who := memberLabel(c)
		if c.Action == bot.ActionSlowmode || c.Action == bot.ActionPurge {
			who = cmp.Or(c.TargetName, m.channelLabel(c.ChannelID))
		}
		lines[i] = fmt.Sprintf("Case %d · %s · %s · by %s: %s", c.Number, actionLabel(c), who, c.ModeratorName, bot.OneLine(cmp.Or(c.Reason, "no reason"), 100))
	}
	return bot.Post{ChannelID: channelID, Title: title, Text: strings.Join(lines, "\n"), Context: "posted together so a burst does not flood the mod log; /case N shows one"}
}

func memberLabel(c *bot.Case) string {
	if c.TargetID == "" {
		return c.TargetName
	}
	if c.TargetName == "" || c.TargetName == c.TargetID {
		return c.TargetID
	}
	return fmt.Sprintf("%s (%s)", c.TargetName, c.TargetID)
}

func sourceLabel(s string) string {
	switch s {
	case bot.SourceDiscord:
		return "Discord command"
	case bot.SourceSlack:
		return "Slack (/liaison mod)"
	case bot.SourceAutomod:
		return "automod"
	case bot.SourceManual:
		return "by hand in Discord"
	case bot.SourceGate:
		return "join gate"
	case bot.SourceRaid:
		return "raid mode"
	}
	return s
}

// channelLabel names a Discord channel: #name when the configuration
// declares it, else its id.
func (m *Moderation) channelLabel(id string) string {
	if n := m.dir.ChannelName(id); n != "" {
		return "#" + n
	}
	return "channel " + id
}

// refreshLog shows c's current state in its mod-log messages: a message
// not sent yet is rewritten; a sent one is edited, edits chained in order.
func (m *Moderation) refreshLog(ctx context.Context, tx *store.Tx, c *bot.Case) error {
	posts, err := tx.ModLogPosts(ctx, c.GuildID, c.Number)
	if err != nil {
		return err
	}
	for _, lp := range posts {
		state, payload, err := tx.OutboxState(ctx, lp.OutboxKey)
		if err != nil {
			return err
		}
		var old bot.Post
		if err := json.Unmarshal([]byte(payload), &old); err != nil {
			return fmt.Errorf("mod-log post %s: %w", lp.OutboxKey, err)
		}
		post := m.casePost(c, old.ChannelID)
		if strings.HasPrefix(lp.OutboxKey, "modlog:") {
			cases, err := tx.CasesInPost(ctx, lp.OutboxKey)
			if err != nil {
				return err
			}
			for i := range cases {
				if cases[i].Number == c.Number {
					cases[i] = c
				}
			}
			post = m.batchPost(cases, old.ChannelID)
		}
		if err := m.show(ctx, tx, lp.OutboxKey, lp.Platform, state, post); err != nil {
			return err
		}
	}
	return nil
}

// noteOnLog posts a short message under each of c's mod-log messages (a
// reply on Discord, in the thread on Slack): that its temporary action
// ended, an archive… what says key is unique per note. slackButtons go on
// the Slack note only.
func (m *Moderation) noteOnLog(ctx context.Context, tx *store.Tx, c *bot.Case, key, text string, slackButtons ...bot.Button) error {
	posts, err := tx.ModLogPosts(ctx, c.GuildID, c.Number)
	if err != nil {
		return err
	}
	now := m.clock.Now()
	for _, lp := range posts {
		_, payload, err := tx.OutboxState(ctx, lp.OutboxKey)
		if err != nil {
			return err
		}
		var parent bot.Post
		_ = json.Unmarshal([]byte(payload), &parent)
		post := bot.Post{ChannelID: parent.ChannelID, Text: text}
		if lp.Platform == bot.PlatformSlack {
			post.Buttons = slackButtons
		}
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("%s:%s:%s", c.Key(), key, lp.Platform), Platform: lp.Platform,
			Kind: bot.KindPost, Payload: bot.Payload(post), ParentKey: lp.OutboxKey}); err != nil {
			return err
		}
	}
	return nil
}

// attachToLog uploads a file under each of c's mod-log messages.
func (m *Moderation) attachToLog(ctx context.Context, tx *store.Tx, c *bot.Case, up bot.Upload) error {
	posts, err := tx.ModLogPosts(ctx, c.GuildID, c.Number)
	if err != nil {
		return err
	}
	now := m.clock.Now()
	for _, lp := range posts {
		_, payload, err := tx.OutboxState(ctx, lp.OutboxKey)
		if err != nil {
			return err
		}
		var parent bot.Post
		_ = json.Unmarshal([]byte(payload), &parent)
		u := up
		u.ChannelID = parent.ChannelID
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("%s:archive:%s", c.Key(), lp.Platform), Platform: lp.Platform,
			Kind: bot.KindUpload, Payload: bot.Payload(u), ParentKey: lp.OutboxKey}); err != nil {
			return err
		}
	}
	return nil
}
