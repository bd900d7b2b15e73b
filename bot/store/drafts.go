package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/liaison-bot/liaison/bot"
)

// Draft is a reply drafted in Slack for a Discord message, with where it
// stands (bot.DraftPending…). Its text and target are bound by TextHash.
type Draft struct {
	ID                int64  `db:"id"`
	FeedbackID        *int64 `db:"feedback_id"` // the feedback item it answers, if any
	TargetGuildID     string `db:"target_guild_id"`
	TargetChannelID   string `db:"target_channel_id"`
	TargetMessageID   string `db:"target_message_id"`
	TargetAuthorID    string `db:"target_author_id"`
	TargetAuthorName  string `db:"target_author_name"`
	TargetChannelName string `db:"target_channel_name"`
	// TargetParentID is the channel a target in a thread (or forum post)
	// is under; "" when the target is in a channel itself. Per-channel
	// approval policies are the parent's: a thread has none of its own.
	TargetParentID string `db:"target_parent_id"`
	TargetText     string `db:"target_text"`
	Text           string `db:"text"`
	TextHash       string `db:"text_hash"`
	Author         string `db:"author"` // Slack user id of the drafter
	AuthorName     string `db:"author_name"`
	// Version is the number of the current text (1 for the drafted one);
	// VersionAuthor wrote it (the drafter, or whoever's edit produced it),
	// and may not approve it.
	Version           int    `db:"version"`
	VersionAuthor     string `db:"version_author"` // Slack user id
	VersionAuthorName string `db:"version_author_name"`
	// FollowsID is the earlier reply to the same target that this draft's
	// approvers are shown (it is a follow-up of it), or nil.
	FollowsID        *int64     `db:"follows_id"`
	Status           string     `db:"status"`
	Reason           string     `db:"reason"`     // why it was rejected, refused or went stale
	DecidedBy        string     `db:"decided_by"` // Slack user id of who rejected it
	SlackChannelID   string     `db:"slack_channel_id"`
	SlackTS          string     `db:"slack_ts"`
	DiscordMessageID string     `db:"discord_message_id"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedAt        time.Time  `db:"updated_at"`
	ExpiresAt        *time.Time `db:"expires_at"`
	PostedAt         *time.Time `db:"posted_at"`
}

// PolicyChannel is the Discord channel whose approval policy d follows:
// the parent of a thread, else the channel d's target is in.
func (d *Draft) PolicyChannel() string {
	return cmpOrString(d.TargetParentID, d.TargetChannelID)
}

// Target returns the Discord message the draft answers.
func (d *Draft) Target() bot.DraftTarget {
	return bot.DraftTarget{GuildID: d.TargetGuildID, ChannelID: d.TargetChannelID, MessageID: d.TargetMessageID}
}

const draftColumns = `id, feedback_id, target_guild_id, target_channel_id, target_message_id, target_author_id, target_author_name,
	target_channel_name, target_parent_id, target_text, text, text_hash, author, author_name, version, version_author, version_author_name, follows_id, status, reason, decided_by, slack_channel_id, slack_ts,
	discord_message_id, created_at, updated_at, expires_at, posted_at`

func (d *Draft) utc() {
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	for _, p := range []**time.Time{&d.ExpiresAt, &d.PostedAt} {
		if *p != nil {
			t := (*p).UTC()
			*p = &t
		}
	}
}

// ErrPendingDraft is returned (wrapped) when a draft would wait for
// approval for a target that already has a draft waiting: one message gets
// one answer. On Postgres the transaction is then aborted: end it, and read
// the waiting draft (PendingDraft) in another.
var ErrPendingDraft = errors.New("another draft for that message is waiting for approval")

// pendingTarget is what drafts.pending_target holds for d: its target while
// it is pending, so that the unique index drafts_one_pending allows one
// pending draft per target, and NULL otherwise.
func pendingTarget(d *Draft) any {
	if d.Status != bot.DraftPending {
		return nil
	}
	return d.TargetChannelID + "/" + d.TargetMessageID
}

// pendingConflict turns the violation of drafts_one_pending into
// ErrPendingDraft.
func pendingConflict(err error) error {
	var pqErr *pq.Error
	var liteErr interface{ Code() int }
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "drafts_one_pending":
	case errors.As(err, &liteErr) && liteErr.Code() == sqliteConstraintUnique: // the only unique index of drafts but its key
	default:
		return err
	}
	return fmt.Errorf("%w: %v", ErrPendingDraft, err)
}

// sqliteConstraintUnique is SQLITE_CONSTRAINT_UNIQUE, the extended code of a
// unique index's violation.
const sqliteConstraintUnique = 2067

// CreateDraft stores d as a new draft, its text as version 1 written by its
// author, and sets its ID and times. A pending draft for a target that has
// one already is refused with ErrPendingDraft.
func (tx *Tx) CreateDraft(ctx context.Context, now time.Time, d *Draft) error {
	d.CreatedAt, d.UpdatedAt = now.UTC(), now.UTC()
	d.Status = cmpOrString(d.Status, bot.DraftPending)
	d.Version = 1
	d.VersionAuthor, d.VersionAuthorName = d.Author, d.AuthorName
	err := tx.tx.GetContext(ctx, &d.ID, tx.rebind(`INSERT INTO drafts (feedback_id, target_guild_id, target_channel_id, target_message_id,
		target_author_id, target_author_name, target_channel_name, target_parent_id, target_text, text, text_hash, author, author_name,
		version, version_author, version_author_name, follows_id, pending_target, status, slack_channel_id, created_at, updated_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		d.FeedbackID, d.TargetGuildID, d.TargetChannelID, d.TargetMessageID, d.TargetAuthorID, d.TargetAuthorName,
		d.TargetChannelName, d.TargetParentID, d.TargetText, d.Text, d.TextHash, d.Author, d.AuthorName,
		d.Version, d.VersionAuthor, d.VersionAuthorName, d.FollowsID, pendingTarget(d), d.Status, d.SlackChannelID,
		d.CreatedAt, d.UpdatedAt, utcPtr(d.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create draft: %w", pendingConflict(err))
	}
	return tx.AddDraftVersion(ctx, now, d)
}

// DraftVersion is one text a draft has had, and who wrote it.
type DraftVersion struct {
	DraftID    int64     `db:"draft_id"`
	Version    int       `db:"version"`
	Text       string    `db:"text"`
	TextHash   string    `db:"text_hash"`
	Author     string    `db:"author"` // Slack user id
	AuthorName string    `db:"author_name"`
	FollowsID  *int64    `db:"follows_id"` // the earlier reply its approvers were shown
	CreatedAt  time.Time `db:"created_at"`
	// A rejected version keeps who rejected it, why and when, for good.
	RejectedBy     string     `db:"rejected_by"` // Slack user id
	RejectedByName string     `db:"rejected_by_name"`
	Reason         string     `db:"reason"`
	RejectedAt     *time.Time `db:"rejected_at"`
}

const versionColumns = `draft_id, version, text, text_hash, author, author_name, follows_id, created_at,
	rejected_by, rejected_by_name, reason, rejected_at`

func (v *DraftVersion) utc() {
	v.CreatedAt = v.CreatedAt.UTC()
	if v.RejectedAt != nil {
		t := v.RejectedAt.UTC()
		v.RejectedAt = &t
	}
}

// RejectVersion records that version of draft id was rejected by (named
// name) at now, for reason; called again with the reason a ❌ rejecter gave
// later, it keeps the time of the rejection.
func (tx *Tx) RejectVersion(ctx context.Context, now time.Time, id int64, version int, by, name, reason string) error {
	_, err := tx.exec(ctx, `UPDATE draft_versions SET rejected_by = ?, rejected_by_name = ?, reason = ?, rejected_at = COALESCE(rejected_at, ?)
		WHERE draft_id = ? AND version = ?`, by, name, reason, now.UTC(), id, version)
	if err != nil {
		return fmt.Errorf("reject draft %d version %d: %w", id, version, err)
	}
	return nil
}

// AddDraftVersion records d's current text as its version d.Version,
// written by d.VersionAuthor. Versions are never changed afterwards.
func (tx *Tx) AddDraftVersion(ctx context.Context, now time.Time, d *Draft) error {
	_, err := tx.exec(ctx, `INSERT INTO draft_versions (draft_id, version, text, text_hash, author, author_name, follows_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.Version, d.Text, d.TextHash, d.VersionAuthor, d.VersionAuthorName, d.FollowsID, now.UTC())
	if err != nil {
		return fmt.Errorf("draft %d version %d: %w", d.ID, d.Version, err)
	}
	return nil
}

// DraftVersions returns every version of draft id, oldest first.
func (tx *Tx) DraftVersions(ctx context.Context, id int64) ([]DraftVersion, error) {
	return draftVersions(ctx, tx.tx, id)
}

// DraftVersions returns every version of draft id, oldest first.
func (db *DB) DraftVersions(ctx context.Context, id int64) ([]DraftVersion, error) {
	return draftVersions(ctx, db.db, id)
}

// DraftVersion returns version n of draft id, or a bot.ENotFound error.
func (tx *Tx) DraftVersion(ctx context.Context, id int64, n int) (*DraftVersion, error) {
	var v DraftVersion
	err := tx.tx.GetContext(ctx, &v, tx.rebind(`SELECT `+versionColumns+` FROM draft_versions WHERE draft_id = ? AND version = ?`), id, n)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "Draft #%d has no version %d.", id, n)
	} else if err != nil {
		return nil, fmt.Errorf("draft %d version %d: %w", id, n, err)
	}
	v.utc()
	return &v, nil
}

func draftVersions(ctx context.Context, q sqlx.ExtContext, id int64) ([]DraftVersion, error) {
	var out []DraftVersion
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(`SELECT `+versionColumns+` FROM draft_versions WHERE draft_id = ? ORDER BY version`), id); err != nil {
		return nil, fmt.Errorf("versions of draft %d: %w", id, err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}

// Draft returns draft id locked for update in this transaction (Postgres;
// SQLite's write transactions run one at a time), so that two decisions on
// one draft serialise. A missing draft is a bot.ENotFound error that names
// it.
func (tx *Tx) Draft(ctx context.Context, id int64) (*Draft, error) {
	return tx.draft(ctx, id, tx.db.dialect.forUpdate)
}

func (tx *Tx) draft(ctx context.Context, id int64, lock string) (*Draft, error) {
	return getDraft(ctx, tx.tx, id, lock)
}

func getDraft(ctx context.Context, q sqlx.ExtContext, id int64, lock string) (*Draft, error) {
	var d Draft
	err := sqlx.GetContext(ctx, q, &d, q.Rebind(`SELECT `+draftColumns+` FROM drafts WHERE id = ?`+lock), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no draft #%d. /liaison drafts lists them.", id)
	} else if err != nil {
		return nil, fmt.Errorf("draft %d: %w", id, err)
	}
	d.utc()
	return &d, nil
}

// Draft returns draft id as the database has it now, or a bot.ENotFound
// error: read on a connection of its own, outside any transaction and
// without locking it (not a group commit's turn), for showing it or for
// what is worked out before the transaction that locks the draft and
// reads it again (what a decision on it reads from the platforms), never
// for changing it.
func (db *DB) Draft(ctx context.Context, id int64) (*Draft, error) {
	return getDraft(ctx, db.db, id, "")
}

// SaveDraft writes the mutable fields of d (text, hash, version and its
// author, the reply it follows up, status, reason, decider, platform ids,
// times) and stamps UpdatedAt. A new text is a new version: record it with
// AddDraftVersion. Making d pending again while another draft for its
// target is pending is refused with ErrPendingDraft.
func (tx *Tx) SaveDraft(ctx context.Context, now time.Time, d *Draft) error {
	d.UpdatedAt = now.UTC()
	_, err := tx.exec(ctx, `UPDATE drafts SET text = ?, text_hash = ?, version = ?, version_author = ?, version_author_name = ?,
		follows_id = ?, pending_target = ?, status = ?, reason = ?, decided_by = ?, slack_ts = ?, discord_message_id = ?, updated_at = ?,
		expires_at = ?, posted_at = ? WHERE id = ?`,
		d.Text, d.TextHash, d.Version, d.VersionAuthor, d.VersionAuthorName, d.FollowsID, pendingTarget(d), d.Status, d.Reason,
		d.DecidedBy, d.SlackTS, d.DiscordMessageID, d.UpdatedAt, utcPtr(d.ExpiresAt), utcPtr(d.PostedAt), d.ID)
	if err != nil {
		return fmt.Errorf("save draft %d: %w", d.ID, pendingConflict(err))
	}
	return nil
}

// PendingDraft returns the draft waiting for approval for the Discord
// message (channel, message), or a bot.ENotFound error.
func (db *DB) PendingDraft(ctx context.Context, channelID, messageID string) (*Draft, error) {
	var d Draft
	err := db.db.GetContext(ctx, &d, db.db.Rebind(`SELECT `+draftColumns+` FROM drafts WHERE pending_target = ?`), channelID+"/"+messageID)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "No draft is waiting for approval for that message.")
	} else if err != nil {
		return nil, fmt.Errorf("pending draft for %s/%s: %w", channelID, messageID, err)
	}
	d.utc()
	return &d, nil
}

// PeekDraft returns draft id as this transaction sees it, without locking
// it: for showing a draft next to another (the reply a follow-up follows),
// not for changing it.
func (tx *Tx) PeekDraft(ctx context.Context, id int64) (*Draft, error) {
	return tx.draft(ctx, id, "")
}

// LastReply returns the draft last published (or being published) to the
// Discord message (channel, message), or 0 when none was: the reply a new
// draft for it follows up.
func (tx *Tx) LastReply(ctx context.Context, channelID, messageID string) (int64, error) {
	var ids []int64
	err := tx.tx.SelectContext(ctx, &ids, tx.rebind(`SELECT last_draft_id FROM draft_targets WHERE target_channel_id = ? AND target_message_id = ?`),
		channelID, messageID)
	if err != nil {
		return 0, fmt.Errorf("last reply to %s/%s: %w", channelID, messageID, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// ClaimReply makes draft id the last reply to its target, provided the last
// one is still follows (0: none), the reply its approvers were shown. It
// returns the target's last reply after the attempt: id when the claim won,
// the reply that got there first otherwise. Of several transactions
// claiming one target from the same state (two replicas publishing two
// drafts), exactly one wins: the others wait for it on the row or the key,
// then find it changed.
func (tx *Tx) ClaimReply(ctx context.Context, now time.Time, d *Draft, follows int64) (int64, error) {
	var q string
	var args []any
	if follows == 0 {
		q = `INSERT INTO draft_targets (target_channel_id, target_message_id, last_draft_id, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (target_channel_id, target_message_id) DO NOTHING`
		args = []any{d.TargetChannelID, d.TargetMessageID, d.ID, now.UTC()}
	} else {
		q = `UPDATE draft_targets SET last_draft_id = ?, updated_at = ? WHERE target_channel_id = ? AND target_message_id = ? AND last_draft_id = ?`
		args = []any{d.ID, now.UTC(), d.TargetChannelID, d.TargetMessageID, follows}
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("claim the reply to %s/%s for draft %d: %w", d.TargetChannelID, d.TargetMessageID, d.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if n == 1 {
		return d.ID, nil
	}
	return tx.LastReply(ctx, d.TargetChannelID, d.TargetMessageID)
}

// DraftOutboxKey is the key of the Slack message that shows draft id for
// approval (its first version); its edits and thread replies have keys
// starting with it and ":".
func DraftOutboxKey(id int64) string { return "draft:" + strconv.FormatInt(id, 10) }

// DraftVersionKey is the key of the Slack message that shows version n of
// draft id for approval: the draft's first message for version 1, and for
// each later version a new message in that message's thread, so that a
// reaction always approves the text its message shows.
func DraftVersionKey(id int64, n int) string {
	if n <= 1 {
		return DraftOutboxKey(id)
	}
	return DraftOutboxKey(id) + ":v" + strconv.Itoa(n)
}

// PublishOutboxKey is the key of the Discord reply that publishes draft id:
// one per draft, whatever races lead to it.
func PublishOutboxKey(id int64) string { return "publish:" + strconv.FormatInt(id, 10) }

// DraftByMessage returns the draft one of whose approval messages is the
// Slack message (channel, ts), locked for update, and the version that
// message shows, or a bot.ENotFound error.
func (tx *Tx) DraftByMessage(ctx context.Context, channelID, ts string) (*Draft, int, error) {
	return draftByMessage(ctx, tx.tx, channelID, ts, tx.db.dialect.forUpdate)
}

// DraftByMessage is Tx.DraftByMessage read as DB.Draft reads: outside any
// transaction, without locking the draft.
func (db *DB) DraftByMessage(ctx context.Context, channelID, ts string) (*Draft, int, error) {
	return draftByMessage(ctx, db.db, channelID, ts, "")
}

func draftByMessage(ctx context.Context, q sqlx.ExtContext, channelID, ts, lock string) (*Draft, int, error) {
	var keys []string
	err := sqlx.SelectContext(ctx, q, &keys, q.Rebind(`SELECT key FROM outbox WHERE platform = ? AND kind = ? AND platform_channel = ? AND platform_id = ? AND key LIKE 'draft:%'`),
		bot.PlatformSlack, bot.KindPost, channelID, ts)
	if err != nil {
		return nil, 0, fmt.Errorf("draft by message %s/%s: %w", channelID, ts, err)
	}
	for _, k := range keys {
		idText, rest, _ := strings.Cut(strings.TrimPrefix(k, "draft:"), ":")
		version := 1
		if rest != "" {
			// A later version's message ("v2"), or a note in the thread.
			n, err := strconv.Atoi(strings.TrimPrefix(rest, "v"))
			if !strings.HasPrefix(rest, "v") || err != nil {
				continue
			}
			version = n
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			continue
		}
		d, err := getDraft(ctx, q, id, lock)
		return d, version, err
	}
	return nil, 0, bot.Errorf(bot.ENotFound, "That message is not a draft waiting for approval.")
}

// DraftsByTarget returns the ids of the drafts answering the Discord message
// (channel, message), or any message of channel when messageID is empty (a
// thread closed), that are in one of statuses, oldest first.
func (tx *Tx) DraftsByTarget(ctx context.Context, channelID, messageID string, statuses ...string) ([]int64, error) {
	q, args := `SELECT id FROM drafts WHERE target_channel_id = ?`, []any{channelID}
	if messageID != "" {
		q, args = q+` AND target_message_id = ?`, append(args, messageID)
	}
	q, args = inStatuses(q, args, statuses)
	var ids []int64
	if err := tx.tx.SelectContext(ctx, &ids, tx.rebind(q+` ORDER BY id`), args...); err != nil {
		return nil, fmt.Errorf("drafts answering %s/%s: %w", channelID, messageID, err)
	}
	return ids, nil
}

func inStatuses(q string, args []any, statuses []string) (string, []any) {
	if len(statuses) == 0 {
		return q, args
	}
	q += ` AND status IN (?` + strings.Repeat(", ?", len(statuses)-1) + `)`
	for _, s := range statuses {
		args = append(args, s)
	}
	return q, args
}

// Approval is one approver's approval of one version of a draft.
type Approval struct {
	Version      int       `db:"version"`
	Approver     string    `db:"approver"` // Slack user id
	ApproverName string    `db:"approver_name"`
	TextHash     string    `db:"text_hash"` // the text the approver was shown
	CreatedAt    time.Time `db:"created_at"`
}

const approvalColumns = `version, approver, approver_name, text_hash, created_at`

// AddApproval records that approver approved version of draft id, whose
// text has hash textHash, and reports whether it is new: approving one
// version twice counts once.
func (tx *Tx) AddApproval(ctx context.Context, now time.Time, id int64, version int, approver, name, textHash string) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO approvals (draft_id, version, approver, approver_name, text_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (draft_id, version, approver) DO NOTHING`, id, version, approver, name, textHash, now.UTC())
	if err != nil {
		return false, fmt.Errorf("approve draft %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RemoveApproval forgets approver's approval of version of draft id, and
// reports whether there was one.
func (tx *Tx) RemoveApproval(ctx context.Context, id int64, version int, approver string) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM approvals WHERE draft_id = ? AND version = ? AND approver = ?`, id, version, approver)
	if err != nil {
		return false, fmt.Errorf("withdraw an approval of draft %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Approvals returns the approvals of version of draft id, oldest first;
// version 0 returns those of every version.
func (tx *Tx) Approvals(ctx context.Context, id int64, version int) ([]Approval, error) {
	return approvals(ctx, tx.tx, id, version)
}

// Approvals returns the approvals of version of draft id, oldest first;
// version 0 returns those of every version.
func (db *DB) Approvals(ctx context.Context, id int64, version int) ([]Approval, error) {
	return approvals(ctx, db.db, id, version)
}

func approvals(ctx context.Context, q sqlx.ExtContext, id int64, version int) ([]Approval, error) {
	query, args := `SELECT `+approvalColumns+` FROM approvals WHERE draft_id = ?`, []any{id}
	if version > 0 {
		query, args = query+` AND version = ?`, append(args, version)
	}
	var out []Approval
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(query+` ORDER BY version, created_at, approver`), args...); err != nil {
		return nil, fmt.Errorf("approvals of draft %d: %w", id, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// DraftEvent is one line of a draft's history: created, edited (old and new
// hash), approved and rejected (by whom, which hash), expired, stale,
// publishing, posted (the Discord message id), failed, retried.
type DraftEvent struct {
	Actor     string    `db:"actor"`
	Action    string    `db:"action"`
	TextHash  string    `db:"text_hash"`
	OldHash   string    `db:"old_hash"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}

// LogDraft adds e to draft id's history.
func (tx *Tx) LogDraft(ctx context.Context, now time.Time, id int64, e DraftEvent) error {
	_, err := tx.exec(ctx, `INSERT INTO draft_events (draft_id, actor, action, text_hash, old_hash, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, e.Actor, e.Action, e.TextHash, e.OldHash, e.Detail, now.UTC())
	if err != nil {
		return fmt.Errorf("log draft %d %s: %w", id, e.Action, err)
	}
	return nil
}

// DraftHistory returns draft id's history, oldest first.
func (db *DB) DraftHistory(ctx context.Context, id int64) ([]DraftEvent, error) {
	var out []DraftEvent
	err := db.db.SelectContext(ctx, &out, db.db.Rebind(`SELECT actor, action, text_hash, old_hash, detail, created_at FROM draft_events
		WHERE draft_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("draft %d history: %w", id, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// DraftFilter selects drafts for ListDrafts; zero fields select all.
type DraftFilter struct {
	Statuses     []string  // any of these
	Author       string    // drafted by this Slack user id
	ExpiresUntil time.Time // expiring at or before this time
	Limit        int       // default 20
}

// ListDrafts returns matching drafts, newest first (oldest first when
// ExpiresUntil is set, for the jobs that work through them).
func (db *DB) ListDrafts(ctx context.Context, f DraftFilter) ([]Draft, error) {
	q, args := `SELECT `+draftColumns+` FROM drafts WHERE 1 = 1`, []any{}
	q, args = inStatuses(q, args, f.Statuses)
	if f.Author != "" {
		q += ` AND author = ?`
		args = append(args, f.Author)
	}
	order := ` ORDER BY id DESC`
	if !f.ExpiresUntil.IsZero() {
		q += ` AND expires_at <= ?`
		args = append(args, f.ExpiresUntil.UTC())
		order = ` ORDER BY expires_at, id`
	}
	q += order + ` LIMIT ?`
	args = append(args, cmpOr(f.Limit, 20))
	var out []Draft
	if err := db.db.SelectContext(ctx, &out, db.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}

// PublishState returns the outbox message that publishes draft id, as this
// transaction sees it (read after locking the draft, so that a reconciler
// and a Retry do not act on each other's stale view), or a bot.ENotFound
// error when the draft was never approved.
func (tx *Tx) PublishState(ctx context.Context, id int64) (*OutboxEntry, error) {
	var e OutboxEntry
	key := PublishOutboxKey(id)
	err := tx.tx.GetContext(ctx, &e, tx.rebind(`SELECT `+outboxColumns+` FROM outbox WHERE key = ?`), key)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "no outbox message with key %q", key)
	} else if err != nil {
		return nil, fmt.Errorf("outbox %q: %w", key, err)
	}
	return &e, nil
}

// PostedDrafts returns the drafts posted in Discord at or after since,
// oldest post first: the replies an audit accounts for.
func (db *DB) PostedDrafts(ctx context.Context, since time.Time) ([]Draft, error) {
	var out []Draft
	err := db.db.SelectContext(ctx, &out, db.db.Rebind(`SELECT `+draftColumns+` FROM drafts WHERE status = ? AND posted_at >= ? ORDER BY posted_at, id`),
		bot.DraftPosted, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("posted drafts: %w", err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}
