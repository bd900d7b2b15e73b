package moderation

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// Server event logs (moderation.logs): message edits and deletions, bulk
// deletions, joins, leaves, nickname and role changes, staff's changes to
// channels and roles, each kind opt-in and routed to a Discord log channel
// and/or a Slack channel. What Discord does not send (an edit's "before", a
// deleted message's text, a leaver's roles) comes from the store: the
// message cache and the member facts, kept up to date here from every
// event. Entries are batched like the mod log: the first entry of a channel
// gets a message, the entries of the next BurstWindow join it (the message
// is edited), so a burst is one message per channel per 10 s; outbox keys
// come from the events' own identities, so a redelivered event logs
// nothing twice.

// MessageCacheAge is the longest a message's text is kept for the logs.
const MessageCacheAge = 7 * 24 * time.Hour

// roleNamer is implemented by the Discord adapter: role names from its
// state, without a request.
type roleNamer interface {
	RoleNames(guildID string) map[string]string
}

// logsOn reports whether any server log kind is configured.
func (m *Moderation) logsOn() bool { return m.cfg.Moderation.Enabled && m.cfg.Moderation.Logs.Any() }

// registerServerLogs adds the server logs' event handler (which keeps the
// member facts modmail also reads) and the job that prunes the message
// cache.
func (m *Moderation) registerServerLogs(r registrar) {
	if !m.logsOn() && !m.modmailOn() {
		return
	}
	// Member facts serve modmail too ("member since …").
	r.OnEvent(m.serverLogEvent)
	if m.logsOn() {
		r.AddJob(jobs.Job{Name: "prune-message-cache", Every: time.Hour, Run: m.PruneMessageCache})
		r.AddJob(m.logCheckJob())
	}
}

// PruneMessageCache forgets message texts older than MessageCacheAge and
// beyond moderation.logs.cache per channel, for the scheduler (hourly). It
// also forgets log entries whose messages are long settled.
func (m *Moderation) PruneMessageCache(ctx context.Context, now time.Time) (int, error) {
	n, err := m.db.PruneMessageCache(ctx, now.Add(-MessageCacheAge), m.cfg.Moderation.Logs.Cache)
	if err != nil {
		return n, err
	}
	k, err := m.db.PruneLogEntries(ctx, now.Add(-24*time.Hour))
	return n + k, err
}

func (m *Moderation) serverLogEvent(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	switch e := ev.(type) {
	case *bot.Message:
		if e.Platform != bot.PlatformDiscord {
			return nil
		}
		return m.logMessage(ctx, tx, e)
	case *bot.MessageDeleted:
		if e.Platform != bot.PlatformDiscord {
			return nil
		}
		return m.logDeletion(ctx, tx, e)
	case *bot.MessagesDeleted:
		return m.logBulkDeletion(ctx, tx, e)
	case *bot.MemberChange:
		if e.Left {
			return m.logLeave(ctx, tx, e)
		}
		return m.logJoin(ctx, tx, e)
	case *bot.MemberUpdated:
		return m.logMemberUpdate(ctx, tx, e)
	case *bot.MembersChunk:
		for _, f := range e.Members {
			if _, err := tx.PutMemberFacts(ctx, m.clock.Now(), e.ScopeID, f); err != nil {
				return err
			}
		}
	case *bot.ServerChange:
		return m.logServerChange(ctx, tx, e)
	case *bot.InviteCounts:
		_, err := tx.InvitesUsed(ctx, e.ScopeID, e.Invites)
		return err
	}
	return nil
}

// cacheOn reports whether message texts are kept: edits or deletions are
// logged.
func (m *Moderation) cacheOn() bool {
	l := m.cfg.Moderation.Logs
	return len(l.Edits) > 0 || len(l.Deletes) > 0
}

// logMessage caches a new message's text, and logs an edit with the text
// it replaces.
func (m *Moderation) logMessage(ctx context.Context, tx *store.Tx, e *bot.Message) error {
	if !m.cacheOn() {
		return nil
	}
	ch := cmp.Or(e.ThreadID, e.ChannelID)
	before, err := tx.CacheMessage(ctx, store.CachedMessage{MessageID: e.ID, ChannelID: ch, GuildID: e.ScopeID, AuthorID: e.Author.ID,
		AuthorName: e.Author.Label(), Content: e.Text, CreatedAt: snowflakeTime(e.ID, e.At)})
	if err != nil || !e.Edited {
		return err
	}
	if before != nil && before.Content == e.Text {
		return nil // an update that changed nothing Liaison shows
	}
	old := "(not in Liaison's cache: sent before it started keeping texts, or over 7 days ago)"
	if before != nil {
		old = before.Content
	}
	where := m.placeLabel(e.Place, e.ThreadName)
	entry := logEntry{
		post: bot.Post{Title: "✏️ Message edited", Fields: []bot.Field{{Name: "Author", Value: userLabel(e.Author)}, {Name: "Channel", Value: where}},
			Sections: []bot.Section{{Title: "Before", Lines: textLines(old)}, {Title: "After", Lines: textLines(e.Text)}},
			Link:     &bot.Link{URL: e.Permalink, Label: "Jump to the message"}},
		line: fmt.Sprintf("✏️ %s edited a message in %s: %s → %s", e.Author.Label(), where, bot.OneLine(old, 80), bot.OneLine(e.Text, 80)),
	}
	return m.postLog(ctx, tx, e.ScopeID, config.LogEdits, e.FirstKey(), entry, nil)
}

// logDeletion logs a deleted message with its cached text and, when the
// audit log says, who deleted it.
func (m *Moderation) logDeletion(ctx context.Context, tx *store.Tx, e *bot.MessageDeleted) error {
	gone, err := tx.UncacheMessages(ctx, []string{e.ID})
	if err != nil || len(m.cfg.Moderation.Logs.Deletes) == 0 {
		return err
	}
	removed, err := tx.Removals(ctx, e.ScopeID, []string{e.ID})
	if err != nil {
		return err
	}
	removal := removed[e.ID]
	where := m.placeLabel(e.Place, "")
	p := bot.Post{Title: "🗑️ Message deleted"}
	var line string
	if len(gone) == 0 {
		p.Fields = []bot.Field{{Name: "Channel", Value: where}, {Name: "Message", Value: e.ID}}
		p.Text = "Liaison did not have its text (sent before it started keeping texts, over 7 days ago, or beyond the cache)."
		line = fmt.Sprintf("🗑️ A message was deleted in %s (text unknown)", where)
		if removal.CaseNumber != 0 {
			p.Fields = append(p.Fields, bot.Field{Name: "Deleted by", Value: fmt.Sprintf("Liaison, case %d", removal.CaseNumber)})
			p.Text = fmt.Sprintf("Its text is archived with case %d in the mod log.", removal.CaseNumber)
			line = fmt.Sprintf("🗑️ A message was deleted in %s by Liaison (case %d, archived there)", where, removal.CaseNumber)
		}
	} else {
		c := gone[0]
		if c.ChannelID != e.ChannelID {
			where = m.channelLabel(c.ChannelID) + " (thread in " + where + ")"
		}
		p.Fields = []bot.Field{{Name: "Author", Value: fmt.Sprintf("%s (%s)", cmp.Or(c.AuthorName, c.AuthorID), c.AuthorID)}, {Name: "Channel", Value: where},
			{Name: "Sent", Value: when(c.CreatedAt, m.cfg.Location)}}
		p.Quote = c.Content
		line = fmt.Sprintf("🗑️ %s's message deleted in %s: %s", cmp.Or(c.AuthorName, c.AuthorID), where, bot.OneLine(c.Content, 100))
		if r := removal; r.CaseNumber != 0 {
			// Liaison's own deletion (a purge, the Delete button): its
			// text is archived with the case already.
			p.Quote = ""
			p.Fields = append(p.Fields, bot.Field{Name: "Deleted by", Value: fmt.Sprintf("Liaison, case %d", r.CaseNumber)})
			p.Context = fmt.Sprintf("its text is archived with case %d in the mod log", r.CaseNumber)
			line = fmt.Sprintf("🗑️ %s's message deleted in %s by Liaison (case %d, archived there)", cmp.Or(c.AuthorName, c.AuthorID), where, r.CaseNumber)
		} else if e.DeletedBy != "" && e.DeletedBy != c.AuthorID && (e.DeletedOf == "" || e.DeletedOf == c.AuthorID) {
			by := m.userName(ctx, tx, e.ScopeID, e.DeletedBy)
			p.Fields = append(p.Fields, bot.Field{Name: "Deleted by", Value: by})
			line += " (deleted by " + by + ")"
			// A moderator's deletion by hand in Discord is moderation: the
			// digest leaves it out of its figures, as it does a purge's.
			// (A deletion by its author has no audit-log entry, so no
			// deleter: it is not moderation and is not recorded.)
			if removal.RemovedBy == "" {
				if err := tx.RecordRemovedMessage(ctx, store.RemovedMessage{GuildID: e.ScopeID, ChannelID: c.ChannelID, MessageID: c.MessageID,
					AuthorID: c.AuthorID, SentAt: c.CreatedAt, RemovedBy: e.DeletedBy}); err != nil {
					return err
				}
			}
		}
	}
	return m.postLog(ctx, tx, e.ScopeID, config.LogDeletes, e.FirstKey(), logEntry{post: p, line: line}, nil)
}

// logBulkDeletion logs messages deleted at once, archived as a file as a
// purge's are. Messages Liaison's own purge deleted are archived with
// their case already: the entry refers to the case and archives only the
// others.
func (m *Moderation) logBulkDeletion(ctx context.Context, tx *store.Tx, e *bot.MessagesDeleted) error {
	gone, err := tx.UncacheMessages(ctx, e.IDs)
	if err != nil || len(m.cfg.Moderation.Logs.Deletes) == 0 {
		return err
	}
	removed, err := tx.Removals(ctx, e.ScopeID, e.IDs)
	if err != nil {
		return err
	}
	var cases []int64
	purged := 0
	for _, r := range removed {
		if r.CaseNumber != 0 {
			purged++
			if !slices.Contains(cases, r.CaseNumber) {
				cases = append(cases, r.CaseNumber)
			}
		}
	}
	slices.Sort(cases)
	where := m.placeLabel(e.Place, "")
	if purged > 0 {
		gone = slices.DeleteFunc(gone, func(c store.CachedMessage) bool { return removed[c.MessageID].CaseNumber != 0 })
	}
	others := len(e.IDs) - purged
	var caseText string
	if purged > 0 {
		words := make([]string, len(cases))
		for i, n := range cases {
			words[i] = strconv.FormatInt(n, 10)
		}
		caseText = "case " + strings.Join(words, ", ")
		if len(cases) > 1 {
			caseText = "cases " + strings.Join(words, ", ")
		}
	}
	if others == 0 {
		entry := logEntry{
			post: bot.Post{Title: "🗑️ Messages deleted at once", Fields: []bot.Field{{Name: "Channel", Value: where},
				{Name: "Messages", Value: strconv.Itoa(len(e.IDs))}, {Name: "Deleted by", Value: "Liaison's purge, " + caseText}},
				Context: "their text is archived with the " + caseText + " in the mod log"},
			line: fmt.Sprintf("🗑️ %d messages deleted at once in %s by Liaison's purge (%s, archived there)", len(e.IDs), where, caseText),
		}
		return m.postLog(ctx, tx, e.ScopeID, config.LogDeletes, e.FirstKey(), entry, nil)
	}
	loc := m.cfg.Location
	var b strings.Builder
	fmt.Fprintf(&b, "%d message(s) deleted at once from %s on %s; the text of %d was in Liaison's cache\n", others, where, e.At.In(loc).Format("2006-01-02 15:04 MST"), len(gone))
	if purged > 0 {
		fmt.Fprintf(&b, "%d more deleted at the same time by Liaison's purge are archived with the %s in the mod log\n", purged, caseText)
	}
	b.WriteString("\n")
	slices.SortFunc(gone, func(a, b store.CachedMessage) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, c := range gone {
		fmt.Fprintf(&b, "[%s] %s (%s), message %s:\n", c.CreatedAt.In(loc).Format("2006-01-02 15:04"), cmp.Or(c.AuthorName, c.AuthorID), c.AuthorID, c.MessageID)
		for l := range strings.SplitSeq(c.Content, "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	stamp := e.At.In(loc).Format("20060102-150405")
	up := &bot.Upload{Filename: fmt.Sprintf("deleted-%s.txt", stamp), Title: "Messages deleted at once",
		Comment: fmt.Sprintf("Archive of the %d message(s) deleted from %s.", others, where), Data: []byte(b.String())}
	entry := logEntry{
		post: bot.Post{Title: "🗑️ Messages deleted at once", Fields: []bot.Field{{Name: "Channel", Value: where},
			{Name: "Messages", Value: fmt.Sprintf("%d (text known for %d)", others, len(gone))}}, Context: "their text is in the file below"},
		line: fmt.Sprintf("🗑️ %d messages deleted at once in %s (archived below)", others, where),
	}
	if purged > 0 {
		entry.post.Fields = append(entry.post.Fields, bot.Field{Name: "Also deleted", Value: fmt.Sprintf("%d by Liaison's purge, archived with the %s", purged, caseText)})
		entry.line += fmt.Sprintf("; %d more by Liaison's purge (%s)", purged, caseText)
	}
	return m.postLog(ctx, tx, e.ScopeID, config.LogDeletes, e.FirstKey(), entry, up)
}

// logJoin records the newcomer's facts and logs the join: account age and
// the invite they used when Liaison could read the invites.
func (m *Moderation) logJoin(ctx context.Context, tx *store.Tx, e *bot.MemberChange) error {
	now := m.clock.Now()
	if _, err := tx.PutMemberFacts(ctx, now, e.ScopeID, bot.MemberFacts{User: e.User, Nick: nickOf(e.User), JoinedAt: e.At}); err != nil {
		return err
	}
	var used []string
	if e.Invites != nil {
		var err error
		if used, err = tx.InvitesUsed(ctx, e.ScopeID, e.Invites); err != nil {
			return err
		}
	}
	if len(m.cfg.Moderation.Logs.Joins) == 0 {
		return nil
	}
	created := snowflakeTime(e.User.ID, time.Time{})
	p := bot.Post{Title: "📥 Member joined", Fields: []bot.Field{{Name: "Member", Value: userLabel(e.User)}}}
	line := "📥 " + userLabel(e.User) + " joined"
	if !created.IsZero() {
		age := bot.FormatDuration(e.At.Sub(created).Truncate(time.Hour))
		if e.At.Sub(created) < time.Hour {
			age = "under an hour"
		}
		p.Fields = append(p.Fields, bot.Field{Name: "Account age", Value: fmt.Sprintf("%s (created %s)", age, when(created, m.cfg.Location))})
		line += ", account " + age + " old"
	}
	switch {
	case len(used) == 1:
		p.Fields = append(p.Fields, bot.Field{Name: "Invite", Value: m.inviteLabel(ctx, tx, e.ScopeID, used[0], e.Invites)})
		line += ", invite " + used[0]
	case len(used) > 1:
		p.Fields = append(p.Fields, bot.Field{Name: "Invite", Value: "one of " + strings.Join(used, ", ") + " (several were used at once)"})
	}
	if e.User.Bot {
		p.Fields = append(p.Fields, bot.Field{Name: "Bot", Value: "yes"})
	}
	return m.postLog(ctx, tx, e.ScopeID, config.LogJoins, e.FirstKey(), logEntry{post: p, line: line}, nil)
}

func (m *Moderation) inviteLabel(ctx context.Context, tx *store.Tx, guildID, code string, invs []bot.Invite) string {
	for _, i := range invs {
		if i.Code == code && i.InviterID != "" {
			return fmt.Sprintf("%s (made by %s, used %d times)", code, m.userName(ctx, tx, guildID, i.InviterID), i.Uses)
		}
	}
	return code
}

// logLeave logs a member leaving with the roles they held and how long
// they were on the server, from the facts the store kept.
func (m *Moderation) logLeave(ctx context.Context, tx *store.Tx, e *bot.MemberChange) error {
	f, err := tx.ForgetMember(ctx, e.ScopeID, e.User.ID)
	if err != nil || len(m.cfg.Moderation.Logs.Leaves) == 0 {
		return err
	}
	u := e.User
	if f != nil {
		u.Name = cmp.Or(u.Name, f.User.Name)
	}
	p := bot.Post{Title: "📤 Member left", Fields: []bot.Field{{Name: "Member", Value: userLabel(u)}}}
	line := "📤 " + userLabel(u) + " left"
	if f == nil {
		p.Context = "Liaison had no record of this member (they joined before it kept member facts)"
	} else {
		roles := m.roleLabels(e.ScopeID, f.User.Roles)
		p.Fields = append(p.Fields, bot.Field{Name: "Roles", Value: cmp.Or(strings.Join(roles, ", "), "none")})
		if !f.JoinedAt.IsZero() {
			stay := bot.FormatDuration(e.At.Sub(f.JoinedAt).Truncate(time.Minute))
			p.Fields = append(p.Fields, bot.Field{Name: "On the server", Value: fmt.Sprintf("%s (joined %s)", stay, when(f.JoinedAt, m.cfg.Location))})
			line += " after " + stay
		}
		if len(roles) > 0 {
			line += ", roles: " + strings.Join(roles, ", ")
		}
	}
	return m.postLog(ctx, tx, e.ScopeID, config.LogLeaves, e.FirstKey(), logEntry{post: p, line: line}, nil)
}

// logMemberUpdate records a member's new nickname and roles and logs what
// changed against what the store knew.
func (m *Moderation) logMemberUpdate(ctx context.Context, tx *store.Tx, e *bot.MemberUpdated) error {
	before, err := tx.PutMemberFacts(ctx, m.clock.Now(), e.ScopeID, bot.MemberFacts{User: e.User, Nick: e.Nick, JoinedAt: e.JoinedAt})
	if err != nil || before == nil || len(m.cfg.Moderation.Logs.Members) == 0 {
		return err
	}
	p := bot.Post{Title: "👤 Member updated", Fields: []bot.Field{{Name: "Member", Value: userLabel(e.User)}}}
	var changes []string
	if before.Nick != e.Nick {
		c := fmt.Sprintf("%s → %s", cmp.Or(before.Nick, "(none)"), cmp.Or(e.Nick, "(none)"))
		p.Fields = append(p.Fields, bot.Field{Name: "Nickname", Value: c})
		changes = append(changes, "nickname "+c)
	}
	var added, removed []string
	for _, r := range e.User.Roles {
		if !slices.Contains(before.User.Roles, r) {
			added = append(added, r)
		}
	}
	for _, r := range before.User.Roles {
		if !slices.Contains(e.User.Roles, r) {
			removed = append(removed, r)
		}
	}
	if len(added) > 0 {
		names := strings.Join(m.roleLabels(e.ScopeID, added), ", ")
		p.Fields = append(p.Fields, bot.Field{Name: "Roles added", Value: names})
		changes = append(changes, "+"+names)
	}
	if len(removed) > 0 {
		names := strings.Join(m.roleLabels(e.ScopeID, removed), ", ")
		p.Fields = append(p.Fields, bot.Field{Name: "Roles removed", Value: names})
		changes = append(changes, "−"+names)
	}
	if len(changes) == 0 {
		return nil // a timeout, an avatar: logged elsewhere or not at all
	}
	line := "👤 " + e.User.Label() + ": " + strings.Join(changes, "; ")
	return m.postLog(ctx, tx, e.ScopeID, config.LogMembers, e.FirstKey(), logEntry{post: p, line: line}, nil)
}

// logServerChange logs a channel or role created, changed or deleted by
// staff.
func (m *Moderation) logServerChange(ctx context.Context, tx *store.Tx, e *bot.ServerChange) error {
	if len(m.cfg.Moderation.Logs.Server) == 0 {
		return nil
	}
	by := m.userName(ctx, tx, e.GuildID, e.ActorID)
	what := e.Subject + " " + cmp.Or(e.Name, e.TargetID)
	if e.Subject == "channel" && e.Name != "" {
		what = "channel #" + e.Name
	}
	p := bot.Post{Title: fmt.Sprintf("🛠️ %s %s", capitalize(e.Subject), e.Op), Fields: []bot.Field{{Name: capitalize(e.Subject), Value: cmp.Or(e.Name, e.TargetID)}, {Name: "By", Value: by}}}
	if len(e.Changes) > 0 {
		p.Sections = []bot.Section{{Title: "Changes", Lines: lines(e.Changes)}}
	}
	line := fmt.Sprintf("🛠️ %s %s %s", by, e.Op, what)
	if len(e.Changes) > 0 && e.Op == "updated" {
		line += ": " + bot.OneLine(strings.Join(e.Changes, "; "), 120)
	}
	return m.postLog(ctx, tx, e.GuildID, config.LogServer, e.FirstKey(), logEntry{post: p, line: line}, nil)
}

// logEntry is one entry: as a message of its own, and as a line of a batch.
type logEntry struct {
	post bot.Post
	line string
}

// postLog posts an entry of kind to each of its log channels: in the
// channel's open batch when its first entry is younger than BurstWindow
// (the batch's message is edited to show it), else as a new message that
// opens a batch. eventKey is the event's identity: the outbox keys follow
// from it, so the same event never logs twice. up, when set, is uploaded
// under the entry's message (a bulk deletion's archive).
func (m *Moderation) postLog(ctx context.Context, tx *store.Tx, guildID, kind, eventKey string, e logEntry, up *bot.Upload) error {
	now := m.clock.Now()
	for _, dst := range m.cfg.Moderation.Logs.To(kind) {
		if dst.Platform == bot.PlatformDiscord && dst.GuildID != guildID {
			continue
		}
		post := e.post
		post.ChannelID = dst.ID
		entry := &store.LogEntry{GuildID: guildID, Kind: kind, Platform: dst.Platform, ChannelID: dst.ID, Line: e.line,
			Post: string(bot.Payload(post)), CreatedAt: now}
		batch, state, err := m.openBatch(ctx, tx, dst, now)
		if err != nil {
			return err
		}
		if batch != nil {
			entry.BatchKey = batch[0].BatchKey
			if err := tx.AddLogEntry(ctx, entry); err != nil {
				return err
			}
			if err := m.show(ctx, tx, entry.BatchKey, dst.Platform, state, m.logBatchPost(append(batch, *entry), dst.ID)); err != nil {
				return err
			}
		} else {
			entry.BatchKey = fmt.Sprintf("srvlog:%s:%s:%s", dst.Platform, dst.ID, eventKey)
			if err := tx.AddLogEntry(ctx, entry); err != nil {
				return err
			}
			if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: entry.BatchKey, Platform: dst.Platform, Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
				return err
			}
		}
		if up != nil {
			u := *up
			u.ChannelID = dst.ID
			if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("srvlog:%s:%s:%s:archive", dst.Platform, dst.ID, eventKey),
				Platform: dst.Platform, Kind: bot.KindUpload, Payload: bot.Payload(u), ParentKey: entry.BatchKey}); err != nil {
				return err
			}
		}
	}
	return nil
}

// openBatch returns the entries of dst's open batch and its message's
// outbox state, nil when there is none: the last entry's batch is open
// while its first entry is younger than BurstWindow, it holds fewer than
// batchMaxSize entries, and its message is not dead.
func (m *Moderation) openBatch(ctx context.Context, tx *store.Tx, dst config.ChannelRef, now time.Time) ([]store.LogEntry, string, error) {
	last, err := tx.LastLogEntry(ctx, dst.Platform, dst.ID)
	if err != nil || last == nil || now.Sub(last.CreatedAt) >= BurstWindow {
		return nil, "", err
	}
	state, _, err := tx.OutboxState(ctx, last.BatchKey) // locks it: entries join one after another
	if err != nil || state == "" || state == store.OutboxDead {
		return nil, "", err
	}
	batch, err := tx.LogBatch(ctx, last.BatchKey)
	if err != nil || len(batch) == 0 || len(batch) >= batchMaxSize || now.Sub(batch[0].CreatedAt) >= BurstWindow {
		return nil, "", err
	}
	return batch, state, nil
}

// logBatchPost renders a batch: its one entry as a message of its own, or
// one line per entry.
func (m *Moderation) logBatchPost(entries []store.LogEntry, channelID string) bot.Post {
	if len(entries) == 1 {
		var p bot.Post
		_ = json.Unmarshal([]byte(entries[0].Post), &p)
		p.ChannelID = channelID
		return p
	}
	ls := make([]string, len(entries))
	for i, e := range entries {
		ls[i] = e.Line
	}
	return bot.Post{ChannelID: channelID, Title: fmt.Sprintf("Server log · %d events", len(entries)), Text: strings.Join(ls, "\n"),
		Context: "posted together so a burst does not flood the log"}
}

// userName names a Discord user in a log: their people: name, else the
// name the store knows, else what Discord says, else the id.
func (m *Moderation) userName(ctx context.Context, tx *store.Tx, guildID, id string) string {
	if id == "" {
		return "someone"
	}
	u := bot.User{Platform: bot.PlatformDiscord, ID: id}
	if n := m.dir.Person(u); n != "" {
		return n
	}
	if f, err := tx.MemberFacts(ctx, guildID, id); err == nil && f != nil && f.User.Name != "" {
		return f.User.Name
	}
	if m.guilds != nil {
		if du, err := m.guilds.DiscordUser(ctx, id); err == nil && du.Label() != "" && du.Label() != id {
			return du.Label()
		}
	}
	return id
}

// roleLabels names roles: from Discord's state, else from discord: roles,
// else by id.
func (m *Moderation) roleLabels(guildID string, ids []string) []string {
	var names map[string]string
	if rn, ok := m.guilds.(roleNamer); ok {
		names = rn.RoleNames(guildID)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		n := names[id]
		if n == "" {
			for _, g := range m.cfg.Discord.Guilds {
				for short, rids := range g.Roles {
					if g.ID == guildID && slices.Contains(rids, id) {
						n = short
					}
				}
			}
		}
		if n == "" || n == "@everyone" {
			if n == "@everyone" {
				continue
			}
			n = "role " + id
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// placeLabel names where a message is: #channel, or #channel › thread.
func (m *Moderation) placeLabel(p bot.Place, thread string) string {
	l := m.channelLabel(p.ChannelID)
	if p.ChannelName != "" && strings.HasPrefix(l, "channel ") {
		l = "#" + p.ChannelName
	}
	if thread != "" {
		l += " › " + thread
	}
	return l
}

func userLabel(u bot.User) string {
	if u.Label() == u.ID {
		return u.ID
	}
	return fmt.Sprintf("%s (%s)", u.Label(), u.ID)
}

func nickOf(u bot.User) string {
	if u.Display != "" && u.Display != u.Name {
		return u.Display
	}
	return ""
}

func textLines(s string) []bot.Line {
	if s == "" {
		return []bot.Line{{Text: "(no text)"}}
	}
	return lines(strings.Split(s, "\n"))
}

func lines(ss []string) []bot.Line {
	out := make([]bot.Line, len(ss))
	for i, s := range ss {
		out[i] = bot.Line{Text: s}
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// snowflakeTime is when a Discord id was made (accounts, messages), or def
// when id is not a snowflake.
func snowflakeTime(id string, def time.Time) time.Time {
	ms, ok := bot.SnowflakeTime(id)
	if !ok || ms == bot.DiscordEpochMS {
		return def
	}
	return time.UnixMilli(ms).UTC()
}

// postChecker is implemented by the Discord adapter: what Liaison lacks to
// post (and attach files) in a channel.
type postChecker interface {
	MissingPostPermissions(ctx context.Context, channelID string, files bool) ([]string, error)
}

// logCheckJob checks, once per process start (retried every minute until
// Discord answers), that Liaison can post in every Discord log channel.
// Each channel it cannot post in is reported once: a log line, and a
// notice in the Slack mod log (or the first Slack log channel), keyed by
// channel and day so replicas and restarts do not repeat it.
func (m *Moderation) logCheckJob() jobs.Job {
	done := false
	return jobs.Job{Name: "log-channel-check", Every: time.Minute, Run: func(ctx context.Context, now time.Time) (int, error) {
		if done {
			return 0, nil
		}
		pc, ok := m.guilds.(postChecker)
		if !ok {
			return 0, nil // Discord is off
		}
		n, err := m.checkLogChannels(ctx, pc, now)
		if err == nil {
			done = true
		}
		return n, err
	}}
}

func (m *Moderation) checkLogChannels(ctx context.Context, pc postChecker, now time.Time) (int, error) {
	logs := m.cfg.Moderation.Logs
	var slackTo string
	if s := m.cfg.Moderation.ModLog.Slack; s.ID != "" {
		slackTo = s.ID
	}
	kindsOf := map[string][]string{}
	for _, k := range []string{config.LogEdits, config.LogDeletes, config.LogJoins, config.LogLeaves, config.LogMembers, config.LogServer} {
		for _, r := range logs.To(k) {
			if r.Platform == bot.PlatformSlack && slackTo == "" {
				slackTo = r.ID
			}
			if r.Platform == bot.PlatformDiscord {
				kindsOf[r.ID] = append(kindsOf[r.ID], k)
			}
		}
	}
	n := 0
	for _, r := range logs.All() {
		if r.Platform != bot.PlatformDiscord {
			continue
		}
		kinds := kindsOf[r.ID]
		missing, err := pc.MissingPostPermissions(ctx, r.ID, slices.Contains(kinds, config.LogDeletes))
		if err != nil {
			return n, fmt.Errorf("check the log channel %s: %w", r, err)
		}
		if len(missing) == 0 {
			continue
		}
		n++
		m.logger.Warn("Liaison cannot post in a log channel: those logs are lost until it can", "channel", r.String(), "logs", strings.Join(kinds, ", "), "missing", strings.Join(missing, ", "))
		if slackTo == "" {
			continue
		}
		text := fmt.Sprintf("⚠️ Liaison cannot post in Discord #%s, where the %s logs go: it lacks %s there. Give its role these permissions in the channel's settings; until then those entries are lost.",
			r.Name, strings.Join(kinds, ", "), strings.Join(missing, ", "))
		err = m.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("logcheck:%s:%s", r.ID, now.In(m.cfg.Location).Format("2006-01-02")),
				Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(bot.Post{ChannelID: slackTo, Text: text})})
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// SlackChannels is implemented by *slackbot.Directory: whether Liaison can
// post in a Slack channel.
type SlackChannels interface {
	// ChannelProblem says why Liaison cannot post in the channel (missing,
	// archived, Liaison not a member), "" when it can; an error when Slack
	// could not be asked.
	ChannelProblem(ctx context.Context, channelID string) (string, error)
}

// slackCheckJob checks, once per process start (retried every minute until
// Slack answers), that Liaison can post in every Slack channel moderation
// writes to: the mod log, the server logs and modmail. Each one it cannot
// post in is reported once, by a log line (Slack is where the other
// notices go); liaison doctor shows the same on the channel's row.
func (m *Moderation) slackCheckJob() jobs.Job {
	done := false
	return jobs.Job{Name: "slack-log-channel-check", Every: time.Minute, Run: func(ctx context.Context, _ time.Time) (int, error) {
		if done || m.slack == nil {
			return 0, nil
		}
		n, err := m.checkSlackLogChannels(ctx)
		if err == nil {
			done = true
		}
		return n, err
	}}
}

func (m *Moderation) checkSlackLogChannels(ctx context.Context) (int, error) {
	uses := m.cfg.SlackLogUses()
	n := 0
	for _, id := range slices.Sorted(maps.Keys(uses)) {
		problem, err := m.slack.ChannelProblem(ctx, id)
		if err != nil {
			return n, fmt.Errorf("check the Slack log channel %s: %w", id, err)
		}
		if problem == "" {
			continue
		}
		n++
		m.logger.Warn("Liaison cannot post in a Slack channel moderation writes to: what goes there is lost until it can",
			"channel", m.slackChannelLabel(id), "for", strings.Join(uses[id], ", "), "why", problem)
	}
	return n, nil
}

// slackChannelLabel names a Slack channel as liaison.yaml does: "#mod-log
// (C01MODLOG)".
func (m *Moderation) slackChannelLabel(id string) string {
	for name, cid := range m.cfg.Slack.Channels {
		if cid == id {
			return "#" + name + " (" + id + ")"
		}
	}
	return id
}
