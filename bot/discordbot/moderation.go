package discordbot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// Moderation on Discord: the REST actions of bot.KindModerate outbox
// messages (each with its X-Audit-Log-Reason), file uploads, the reads
// handlers need to apply the moderation rules (server, roles, members,
// bans, history), and the audit-log and AutoMod gateway events.

// Inbound key kinds of moderation events: an audit-log entry has its own
// id; an AutoMod execution has none, so it is keyed like a reaction, by
// what it is and the dispatch's session and sequence number.
const (
	KeyAuditLog = "discord_audit_log"
	KeyAutoMod  = "discord_automod"
)

// moderate performs a bot.ModAction.
func (s *Sender) moderate(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	var a bot.ModAction
	if err := json.Unmarshal(m.Payload, &a); err != nil {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: unreadable moderation action: %w", m.Key, err)}
	}
	who := cmp.Or(a.UserName, a.UserID)
	if a.Notice != "" && a.UserID != "" {
		// Before the action: after a ban or a kick from the last shared
		// server, Discord no longer delivers DMs to them. Best effort: a
		// member who takes no DMs is still acted on.
		_ = s.notice(ctx, a.UserID, a.Notice, m.Key+":notice")
	}
	var (
		method, ep, bucket string
		body               any
		gone               int // an error code meaning "already done"
		what               string
	)
	switch a.Op {
	case bot.OpTimeout, bot.OpUntimeout:
		var until any
		what = "time out " + who
		if a.Op == bot.OpTimeout {
			if a.Until == nil {
				return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: a timeout without its end", m.Key)}
			}
			until = a.Until.UTC().Format(time.RFC3339)
		} else {
			what = "lift the timeout of " + who
		}
		method, ep, bucket = "PATCH", discordgo.EndpointGuildMember(a.GuildID, a.UserID), discordgo.EndpointGuildMember(a.GuildID, "")
		body = map[string]any{"communication_disabled_until": until}
	case bot.OpKick:
		method, ep, bucket, gone, what = "DELETE", discordgo.EndpointGuildMember(a.GuildID, a.UserID), discordgo.EndpointGuildMember(a.GuildID, ""), discordgo.ErrCodeUnknownMember, "kick "+who
	case bot.OpBan:
		// delete_message_seconds in the body: discordgo's helper sends the
		// deprecated days, and the reason as a deprecated query.
		method, ep, bucket, what = "PUT", discordgo.EndpointGuildBan(a.GuildID, a.UserID), discordgo.EndpointGuildBan(a.GuildID, ""), "ban "+who
		body = map[string]int{"delete_message_seconds": a.DeleteMessageSeconds}
	case bot.OpUnban:
		method, ep, bucket, gone, what = "DELETE", discordgo.EndpointGuildBan(a.GuildID, a.UserID), discordgo.EndpointGuildBan(a.GuildID, ""), discordgo.ErrCodeUnknownBan, "unban "+who
	case bot.OpDelete:
		if len(a.MessageIDs) != 1 {
			return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: delete wants one message, got %d", m.Key, len(a.MessageIDs))}
		}
		method, ep, bucket, gone, what = "DELETE", discordgo.EndpointChannelMessage(a.ChannelID, a.MessageIDs[0]), discordgo.EndpointChannelMessage(a.ChannelID, ""), discordgo.ErrCodeUnknownMessage, "delete a message"
	case bot.OpBulkDelete:
		method, ep, what = "POST", discordgo.EndpointChannelMessagesBulkDelete(a.ChannelID), fmt.Sprintf("delete %d messages", len(a.MessageIDs))
		bucket, body = ep, map[string][]string{"messages": a.MessageIDs}
	case bot.OpSlowmode:
		method, ep, what = "PATCH", discordgo.EndpointChannel(a.ChannelID), "set slowmode"
		bucket, body = ep, map[string]int{"rate_limit_per_user": a.Seconds}
	case bot.OpAddRole:
		method, ep, what = "PUT", discordgo.EndpointGuildMemberRole(a.GuildID, a.UserID, a.RoleID), "give "+who+" the quarantine role"
		bucket = discordgo.EndpointGuildMemberRole(a.GuildID, "", "")
	case bot.OpRemoveRole:
		method, ep, what = "DELETE", discordgo.EndpointGuildMemberRole(a.GuildID, a.UserID, a.RoleID), "take the quarantine role from "+who
		bucket, gone = discordgo.EndpointGuildMemberRole(a.GuildID, "", ""), discordgo.ErrCodeUnknownMember
	default:
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: Liaison cannot %q on Discord", m.Key, a.Op)}
	}
	switch a.Op {
	case bot.OpTimeout, bot.OpUntimeout, bot.OpKick, bot.OpBan, bot.OpAddRole, bot.OpRemoveRole:
		// Before and after: a read meanwhile is not kept, and none before
		// stays.
		s.members.forget(a.GuildID, a.UserID)
		defer s.members.forget(a.GuildID, a.UserID)
	}
	_, err := s.requestWithReason(ctx, method, ep, body, bucket, a.Reason)
	if err == nil {
		return bot.SendResult{Channel: a.ChannelID}, nil
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil && gone != 0 && re.Message.Code == gone {
		return bot.SendResult{Channel: a.ChannelID}, nil // already done: what a re-send after a crash finds
	}
	return bot.SendResult{}, s.explainModeration(err, what, who)
}

// notice sends text to a user as a direct message from Liaison, pinging
// nobody, once per key (by nonce).
func (s *Sender) notice(ctx context.Context, userID, text, key string) error {
	ep := discordgo.EndpointUserChannels("@me")
	raw, err := s.requestWithReason(ctx, "POST", ep, map[string]string{"recipient_id": userID}, ep, "")
	if err != nil {
		return fmt.Errorf("open a DM with %s: %w", userID, err)
	}
	var ch struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &ch); err != nil || ch.ID == "" {
		return fmt.Errorf("open a DM with %s: no channel in %s", userID, raw)
	}
	out := TextOutgoing(text)
	body := map[string]any{"content": out.Content, "allowed_mentions": out.AllowedMentions, "nonce": Nonce(key), "enforce_nonce": true}
	msgs := discordgo.EndpointChannelMessages(ch.ID)
	_, err = s.requestWithReason(ctx, "POST", msgs, body, msgs, "")
	return err
}

// requestWithReason is request with an audit-log reason, percent-encoded
// as Discord wants it in the X-Audit-Log-Reason header.
func (s *Sender) requestWithReason(ctx context.Context, method, endpoint string, body any, bucketID, reason string) ([]byte, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, &bot.PermanentError{Err: err}
		}
	}
	return s.lockedRequest(ctx, method, endpoint, "application/json", data, bucketID, reason)
}

func (s *Sender) lockedRequest(ctx context.Context, method, endpoint, contentType string, data []byte, bucketID, reason string) ([]byte, error) {
	b, err := s.lockBucket(ctx, bucketID)
	if err != nil {
		return nil, err
	}
	opts := []discordgo.RequestOption{discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0)}
	if reason != "" {
		opts = append(opts, discordgo.WithAuditLogReason(url.PathEscape(reason)))
	}
	raw, err := s.session.RequestWithLockedBucket(method, endpoint, contentType, data, b, 0, opts...)
	var rle *discordgo.RateLimitError
	if errors.As(err, &rle) {
		return nil, s.rateLimited(ctx, b, bucketID, rle)
	}
	return raw, err
}

// explainModeration turns a refusal of a moderation action into plain
// words: permanent when retrying cannot help.
func (s *Sender) explainModeration(err error, what, who string) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return err
	}
	status, code, msg := re.Response.StatusCode, 0, ""
	if re.Message != nil {
		code, msg = re.Message.Code, re.Message.Message
	}
	if status >= 500 || status == 401 {
		return fmt.Errorf("Discord answered %d when Liaison tried to %s: %w", status, what, err)
	}
	var plain string
	switch code {
	case discordgo.ErrCodeMissingPermissions:
		plain = fmt.Sprintf("Discord refused to let Liaison %s: give Liaison's role the permission, and put it above %s's highest role", what, who)
	case discordgo.ErrCodeUnknownMember:
		plain = fmt.Sprintf("%s is no longer on the server, so Liaison could not %s", who, what)
	case discordgo.ErrCodeUnknownUser:
		plain = fmt.Sprintf("Discord knows no user %s", who)
	case discordgo.ErrCodeUnknownChannel:
		plain = "the channel no longer exists, or Liaison cannot see it"
	case discordgo.ErrCodeMessageProvidedTooOldForBulkDelete:
		plain = "some messages were older than 14 days, which Discord does not delete in bulk"
	default:
		plain = fmt.Sprintf("Discord refused to let Liaison %s: %s (HTTP %d, code %d)", what, cmp.Or(msg, "no reason given"), status, code)
	}
	return &bot.PermanentError{Err: fmt.Errorf("%s: %w", plain, errPlain{err})}
}

// uploadBody is the payload_json of a message with a file.
type uploadBody struct {
	Content          string           `json:"content,omitempty"`
	AllowedMentions  *AllowedMentions `json:"allowed_mentions"`
	MessageReference *reference       `json:"message_reference,omitempty"`
	Nonce            string           `json:"nonce"`
	EnforceNonce     bool             `json:"enforce_nonce"`
	Attachments      []attachment     `json:"attachments"`
}

type attachment struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

// upload posts a file with its comment, as a reply to ThreadOf or to the
// parent message when there is one; exactly once, like a post, by nonce.
func (s *Sender) upload(ctx context.Context, m *bot.OutboxMessage) (bot.SendResult, error) {
	var u bot.Upload
	if err := json.Unmarshal(m.Payload, &u); err != nil {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: unreadable upload: %w", m.Key, err)}
	}
	if u.ChannelID == "" || u.Filename == "" {
		return bot.SendResult{}, &bot.PermanentError{Err: fmt.Errorf("outbox %s: the upload names no channel or file", m.Key)}
	}
	out := TextOutgoing(u.Comment)
	body := uploadBody{
		Content: fit(s.log, "upload "+m.Key, out.Content), AllowedMentions: out.AllowedMentions, Nonce: Nonce(m.Key), EnforceNonce: true,
		Attachments: []attachment{{ID: 0, Filename: u.Filename}},
	}
	if ref := cmp.Or(u.ThreadOf, m.ParentRef); ref != "" {
		body.MessageReference = &reference{MessageID: ref}
	}
	ctype, data, err := discordgo.MultipartBodyWithJSON(body, []*discordgo.File{{Name: u.Filename, ContentType: "text/plain; charset=utf-8", Reader: bytes.NewReader(u.Data)}})
	if err != nil {
		return bot.SendResult{}, &bot.PermanentError{Err: err}
	}
	ep := discordgo.EndpointChannelMessages(u.ChannelID)
	raw, err := s.lockedRequest(ctx, "POST", ep, ctype, data, ep, "")
	if err != nil {
		return bot.SendResult{}, s.explain(ctx, err, "post", u.ChannelID)
	}
	return decodeSent(raw, u.ChannelID)
}

// ---- Reads for the moderation rules ----

// GuildInfo returns a server's owner, roles, and Liaison's id and roles:
// from the gateway's state when it has them, else from the REST API.
func (a *Adapter) GuildInfo(ctx context.Context, guildID string) (*bot.Guild, error) {
	out := &bot.Guild{ID: guildID, SelfID: a.self()}
	st := a.session.State
	if g, err := st.Guild(guildID); err == nil {
		st.RLock()
		out.OwnerID = g.OwnerID
		for _, r := range g.Roles {
			out.Roles = append(out.Roles, bot.Role{ID: r.ID, Name: r.Name, Position: r.Position, Permissions: r.Permissions})
		}
		st.RUnlock()
	}
	if out.OwnerID == "" || len(out.Roles) == 0 {
		g, err := a.session.Guild(guildID, discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("read Discord server %s: %w", guildID, err)
		}
		out.OwnerID, out.Roles = g.OwnerID, nil
		for _, r := range g.Roles {
			out.Roles = append(out.Roles, bot.Role{ID: r.ID, Name: r.Name, Position: r.Position, Permissions: r.Permissions})
		}
	}
	if out.SelfID == "" {
		me, err := a.session.User("@me", discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("read Liaison's own Discord user: %w", err)
		}
		out.SelfID = me.ID
	}
	self, err := a.GuildMember(ctx, guildID, out.SelfID)
	if err != nil {
		return nil, fmt.Errorf("read Liaison's own roles in %s: %w", guildID, err)
	}
	out.SelfRoles = self.User.Roles
	return out, nil
}

// GuildMember returns a member of a server, or a bot.ENotFound error: from
// the members read lately (memberCache), else from the REST API.
func (a *Adapter) GuildMember(ctx context.Context, guildID, userID string) (*bot.Member, error) {
	if m, ok := a.members.get(guildID, userID); ok {
		return member(m), nil
	}
	m, err := a.members.fetch(guildID, userID, func() (*discordgo.Member, error) {
		return a.session.GuildMember(guildID, userID, discordgo.WithContext(ctx))
	})
	if err != nil {
		if restCode(err) == discordgo.ErrCodeUnknownMember || restCode(err) == discordgo.ErrCodeUnknownUser {
			return nil, bot.Errorf(bot.ENotFound, "%s is not on the server.", userID)
		}
		return nil, fmt.Errorf("read member %s of %s: %w", userID, guildID, err)
	}
	return member(m), nil
}

func member(m *discordgo.Member) *bot.Member {
	out := &bot.Member{User: user(m.User, m), JoinedAt: m.JoinedAt.UTC()}
	if m.CommunicationDisabledUntil != nil {
		out.TimeoutUntil = m.CommunicationDisabledUntil.UTC()
	}
	return out
}

// GuildBanned reports whether a user is banned from a server.
func (a *Adapter) GuildBanned(ctx context.Context, guildID, userID string) (bool, error) {
	_, err := a.session.GuildBan(guildID, userID, discordgo.WithContext(ctx))
	if err == nil {
		return true, nil
	}
	if restCode(err) == discordgo.ErrCodeUnknownBan {
		return false, nil
	}
	return false, fmt.Errorf("read ban of %s in %s: %w", userID, guildID, err)
}

// DiscordUser returns a user by id, or a bot.ENotFound error: from the
// users read lately (memberCache, usersKey), else from the REST API.
func (a *Adapter) DiscordUser(ctx context.Context, userID string) (bot.User, error) {
	if m, ok := a.members.get(usersKey, userID); ok {
		return user(m.User, nil), nil
	}
	m, err := a.members.fetch(usersKey, userID, func() (*discordgo.Member, error) {
		u, err := a.session.User(userID, discordgo.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		return &discordgo.Member{User: u}, nil
	})
	var u *discordgo.User
	if m != nil {
		u = m.User
	}
	if err != nil {
		if restCode(err) == discordgo.ErrCodeUnknownUser {
			return bot.User{}, bot.Errorf(bot.ENotFound, "Discord knows no user %s.", userID)
		}
		return bot.User{}, fmt.Errorf("read user %s: %w", userID, err)
	}
	return user(u, nil), nil
}

// maxMemberPages bounds SearchMembers: 10 pages of 1000 members.
const maxMemberPages = 10

// SearchMembers returns the members whose user name, global name or
// nickname is query, in any case.
func (a *Adapter) SearchMembers(ctx context.Context, guildID, query string) ([]bot.Member, error) {
	var out []bot.Member
	after := ""
	for range maxMemberPages {
		page, err := a.session.GuildMembers(guildID, after, 1000, discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("list members of %s: %w", guildID, err)
		}
		for _, m := range page {
			if m.User == nil {
				continue
			}
			if strings.EqualFold(m.User.Username, query) || strings.EqualFold(m.User.GlobalName, query) || strings.EqualFold(m.Nick, query) {
				out = append(out, *member(m))
			}
			after = m.User.ID
		}
		if len(page) < 1000 {
			break
		}
	}
	return out, nil
}

// ChannelHistory returns up to limit of a channel's latest messages,
// newest first.
func (a *Adapter) ChannelHistory(ctx context.Context, channelID string, limit int) ([]*bot.Message, error) {
	guild := ""
	if c, ok := stateChannel(a.session.State, channelID); ok {
		guild = c.GuildID
	} else if len(a.opts.Guilds) == 1 {
		guild = a.opts.Guilds[0]
	}
	var out []*bot.Message
	before := ""
	for len(out) < limit {
		n := min(100, limit-len(out))
		page, err := a.session.ChannelMessages(channelID, n, before, "", "", discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("read the history of channel %s: %w", channelID, err)
		}
		slices.SortFunc(page, func(x, y *discordgo.Message) int { return compareSnowflakes(y.ID, x.ID) }) // newest first
		for _, m := range page {
			msg := a.message(m, guild)
			msg.Keys = nil
			out = append(out, msg)
			before = m.ID
		}
		if len(page) < n {
			break
		}
	}
	return out, nil
}

// restCode returns the Discord error code of a REST error, or 0.
func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// ---- Gateway events ----

// onModeration converts GUILD_AUDIT_LOG_ENTRY_CREATE and
// AUTO_MODERATION_ACTION_EXECUTION and queues them on their server's
// worker.
func (a *Adapter) onModeration(_ *discordgo.Session, e *discordgo.Event) {
	defer a.recoverPanic("gateway event " + e.Type)
	switch ev := e.Struct.(type) {
	case *discordgo.GuildAuditLogEntryCreate:
		if ev.AuditLogEntry == nil || !a.inGuild(ev.GuildID) {
			return
		}
		if entry := a.auditLogEntry(ev); entry != nil {
			a.enqueue(ev.GuildID, "audit_log", entry)
		}
	case *discordgo.AutoModerationActionExecution:
		if !a.inGuild(ev.GuildID) {
			return
		}
		a.mu.Lock()
		session := a.sessionID
		a.mu.Unlock()
		x := &bot.AutoModExecution{
			Delivery: bot.Delivery{At: a.clock.Now(), Keys: []bot.InboundKey{{Kind: KeyAutoMod,
				Key: fmt.Sprintf("%s:%s:%s:%d:%s:%d", ev.GuildID, ev.RuleID, ev.UserID, ev.Action.Type, session, e.Sequence)}}},
			Place:  a.place(ev.GuildID, ev.ChannelID),
			RuleID: ev.RuleID, Trigger: automodTrigger(ev.RuleTriggerType), Action: automodAction(ev.Action.Type),
			User:      bot.User{Platform: bot.PlatformDiscord, ID: ev.UserID},
			MessageID: ev.MessageID, Content: ev.Content, Matched: cmp.Or(ev.MatchedKeyword, ev.MatchedContent),
		}
		a.enqueue(ev.GuildID, "automod", x)
	}
}

// auditLogEntry converts the entries moderation records (bans, unbans,
// kicks, timeouts); nil for the others.
func (a *Adapter) auditLogEntry(ev *discordgo.GuildAuditLogEntryCreate) *bot.AuditLogEntry {
	out := &bot.AuditLogEntry{
		Delivery: bot.Delivery{Keys: []bot.InboundKey{{Kind: KeyAuditLog, Key: ev.ID}}, At: snowflakeTime(ev.ID)},
		GuildID:  ev.GuildID, EntryID: ev.ID, ActorID: ev.UserID, TargetID: ev.TargetID, Reason: ev.Reason,
		ByLiaison: ev.UserID != "" && ev.UserID == a.self(),
	}
	if out.At.IsZero() {
		out.At = a.clock.Now()
	}
	if ev.ActionType == nil {
		return nil
	}
	switch *ev.ActionType {
	case discordgo.AuditLogActionMemberBanAdd:
		out.Action = bot.ActionBan
	case discordgo.AuditLogActionMemberBanRemove:
		out.Action = bot.ActionUnban
	case discordgo.AuditLogActionMemberKick:
		out.Action = bot.ActionKick
	case discordgo.AuditLogActionMemberUpdate:
		for _, c := range ev.Changes {
			if c.Key == nil || *c.Key != discordgo.AuditLogChangeKeyCommunicationDisabledUntil {
				continue
			}
			out.Action = bot.ActionUntimeout
			if s, ok := c.NewValue.(string); ok && s != "" {
				if t, err := time.Parse(time.RFC3339, s); err == nil && t.After(out.At) {
					out.Action, out.Until = bot.ActionTimeout, t.UTC()
				}
			}
		}
		if out.Action == "" {
			return nil // a nickname or roles: not moderation
		}
	default:
		return nil
	}
	return out
}

func automodTrigger(t discordgo.AutoModerationRuleTriggerType) string {
	switch t {
	case discordgo.AutoModerationEventTriggerKeyword:
		return "keyword"
	case discordgo.AutoModerationEventTriggerHarmfulLink:
		return "harmful link"
	case discordgo.AutoModerationEventTriggerSpam:
		return "spam"
	case discordgo.AutoModerationEventTriggerKeywordPreset:
		return "keyword preset"
	case 5:
		return "mention spam"
	case 6:
		return "member profile"
	}
	return fmt.Sprintf("trigger %d", t)
}

func automodAction(t discordgo.AutoModerationActionType) string {
	switch t {
	case discordgo.AutoModerationRuleActionBlockMessage:
		return "blocked a message"
	case discordgo.AutoModerationRuleActionSendAlertMessage:
		return "sent an alert"
	case discordgo.AutoModerationRuleActionTimeout:
		return "timed a member out"
	}
	return fmt.Sprintf("took action %d", t)
}
