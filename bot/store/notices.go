package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Notices: what Liaison tells an item's author and voters in Discord when
// its status changes, and the approval of their texts.

// Notice template and notice states.
const (
	NoticePending   = "pending"   // a template waiting for approval
	NoticeApproved  = "approved"  // a template approved: notices using it go out
	NoticeRejected  = "rejected"  // a template or a notice refused by an approver
	NoticeWaiting   = "waiting"   // a notice waiting for its template's (or its own) approval
	NoticeSent      = "sent"      // a notice in the outbox
	NoticeCancelled = "cancelled" // a waiting notice whose item changed status again
)

// NoticeTemplate is one text of feedback.notices, as approved (or not).
type NoticeTemplate struct {
	Status    string    `db:"status"`
	Lang      string    `db:"lang"`
	TextHash  string    `db:"text_hash"`
	Text      string    `db:"text"`
	State     string    `db:"state"`
	Approvers Strings   `db:"approvers"` // Slack ids
	DecidedBy string    `db:"decided_by"`
	Author    string    `db:"author"` // Slack id of who wrote the text, "" when not known
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// NoticeTemplateKey is the outbox key of the approval message of a
// template.
func NoticeTemplateKey(status, lang, hash string) string {
	return "notice-template:" + status + ":" + lang + ":" + hash
}

// EnsureNoticeTemplate records t (with its author) as pending unless a
// template with its status, language and hash exists, and reports whether
// it was new; either way *t is the stored template.
func (tx *Tx) EnsureNoticeTemplate(ctx context.Context, now time.Time, t *NoticeTemplate) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO notice_templates (status, lang, text_hash, text, state, author, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (status, lang, text_hash) DO NOTHING`,
		t.Status, t.Lang, t.TextHash, t.Text, NoticePending, t.Author, now.UTC(), now.UTC())
	if err != nil {
		return false, fmt.Errorf("record notice template %s/%s: %w", t.Status, t.Lang, err)
	}
	n, _ := res.RowsAffected()
	stored, err := tx.NoticeTemplate(ctx, t.Status, t.Lang, t.TextHash)
	if err != nil {
		return false, err
	}
	*t = *stored
	return n == 1, nil
}

// NoticeTemplate returns a template, locked for update, or a bot.ENotFound
// error.
func (tx *Tx) NoticeTemplate(ctx context.Context, status, lang, hash string) (*NoticeTemplate, error) {
	var t NoticeTemplate
	err := tx.tx.GetContext(ctx, &t, tx.rebind(`SELECT status, lang, text_hash, text, state, approvers, decided_by, author, created_at, updated_at
		FROM notice_templates WHERE status = ? AND lang = ? AND text_hash = ?`+tx.db.dialect.forUpdate), status, lang, hash)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "That notice text is no longer in liaison.yaml; nothing was changed.")
	} else if err != nil {
		return nil, fmt.Errorf("notice template %s/%s: %w", status, lang, err)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// NoticeTemplatesKnown returns which notice texts were ever recorded, as
// "status/lang" (some text of it) and "status/lang/hash" (that text).
func (d *DB) NoticeTemplatesKnown(ctx context.Context) (map[string]bool, error) {
	var rows []struct {
		Status string `db:"status"`
		Lang   string `db:"lang"`
		Hash   string `db:"text_hash"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT status, lang, text_hash FROM notice_templates`); err != nil {
		return nil, fmt.Errorf("notice templates: %w", err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		out[r.Status+"/"+r.Lang] = true
		out[r.Status+"/"+r.Lang+"/"+r.Hash] = true
	}
	return out, nil
}

// SaveNoticeTemplate writes a template's state and approvers.
func (tx *Tx) SaveNoticeTemplate(ctx context.Context, now time.Time, t *NoticeTemplate) error {
	t.UpdatedAt = now.UTC()
	_, err := tx.exec(ctx, `UPDATE notice_templates SET state = ?, approvers = ?, decided_by = ?, updated_at = ?
		WHERE status = ? AND lang = ? AND text_hash = ?`, t.State, t.Approvers.text(), t.DecidedBy, t.UpdatedAt, t.Status, t.Lang, t.TextHash)
	if err != nil {
		return fmt.Errorf("save notice template %s/%s: %w", t.Status, t.Lang, err)
	}
	return nil
}

// Notice is one status change told (or to be told) in Discord.
type Notice struct {
	ID           int64      `db:"id"`
	FeedbackID   int64      `db:"feedback_id"`
	Status       string     `db:"status"`
	Lang         string     `db:"lang"`
	TemplateHash string     `db:"template_hash"`
	Note         string     `db:"note"`
	Text         string     `db:"text"`
	Author       string     `db:"author"` // Slack id of who set the status
	AuthorName   string     `db:"author_name"`
	State        string     `db:"state"`
	Approvers    Strings    `db:"approvers"`  // Slack ids, for a notice with a note
	Recipients   Strings    `db:"recipients"` // Discord ids pinged, once sent
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	SentAt       *time.Time `db:"sent_at"`
}

const noticeColumns = `id, feedback_id, status, lang, template_hash, note, text, author, author_name, state, approvers, recipients, created_at, updated_at, sent_at`

// NoticeApprovalKey is the outbox key of the approval message of a notice
// that carries a note.
func NoticeApprovalKey(id int64) string { return fmt.Sprintf("notice:%d:approval", id) }

// CreateNotice stores n (waiting) and sets its ID.
func (tx *Tx) CreateNotice(ctx context.Context, now time.Time, n *Notice) error {
	n.CreatedAt, n.UpdatedAt = now.UTC(), now.UTC()
	n.State = cmpOrString(n.State, NoticeWaiting)
	err := tx.tx.GetContext(ctx, &n.ID, tx.rebind(`INSERT INTO feedback_notices (feedback_id, status, lang, template_hash, note, text, author, author_name, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		n.FeedbackID, n.Status, n.Lang, n.TemplateHash, n.Note, n.Text, n.Author, n.AuthorName, n.State, n.CreatedAt, n.UpdatedAt)
	if err != nil {
		return fmt.Errorf("create notice of feedback %d: %w", n.FeedbackID, err)
	}
	return nil
}

// Notice returns notice id, locked for update, or a bot.ENotFound error.
func (tx *Tx) Notice(ctx context.Context, id int64) (*Notice, error) {
	var n Notice
	err := tx.tx.GetContext(ctx, &n, tx.rebind(`SELECT `+noticeColumns+` FROM feedback_notices WHERE id = ?`+tx.db.dialect.forUpdate), id)
	if isNoRows(err) {
		return nil, bot.Errorf(bot.ENotFound, "There is no notice %d; nothing was changed.", id)
	} else if err != nil {
		return nil, fmt.Errorf("notice %d: %w", id, err)
	}
	n.utc()
	return &n, nil
}

func (n *Notice) utc() {
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	if n.SentAt != nil {
		t := n.SentAt.UTC()
		n.SentAt = &t
	}
}

// SaveNotice writes a notice's state, approvers and recipients.
func (tx *Tx) SaveNotice(ctx context.Context, now time.Time, n *Notice) error {
	n.UpdatedAt = now.UTC()
	_, err := tx.exec(ctx, `UPDATE feedback_notices SET state = ?, approvers = ?, recipients = ?, updated_at = ?, sent_at = ? WHERE id = ?`,
		n.State, n.Approvers.text(), n.Recipients.text(), n.UpdatedAt, utcPtr(n.SentAt), n.ID)
	if err != nil {
		return fmt.Errorf("save notice %d: %w", n.ID, err)
	}
	return nil
}

// WaitingNotices returns the ids of the waiting notices of item feedbackID
// (0: of any item) that use the template hash (""): any), oldest first.
func (tx *Tx) WaitingNotices(ctx context.Context, feedbackID int64, templateHash string) ([]int64, error) {
	q, args := `SELECT id FROM feedback_notices WHERE state = ?`, []any{NoticeWaiting}
	if feedbackID != 0 {
		q += ` AND feedback_id = ?`
		args = append(args, feedbackID)
	}
	if templateHash != "" {
		q += ` AND template_hash = ? AND note = ''`
		args = append(args, templateHash)
	}
	var ids []int64
	if err := tx.tx.SelectContext(ctx, &ids, tx.rebind(q+` ORDER BY id`), args...); err != nil {
		return nil, fmt.Errorf("waiting notices: %w", err)
	}
	return ids, nil
}

// LastSentNotice returns the newest notice of item id that was sent, nil
// when none was.
func (tx *Tx) LastSentNotice(ctx context.Context, id int64) (*Notice, error) {
	var out []Notice
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT `+noticeColumns+` FROM feedback_notices WHERE feedback_id = ? AND state = ? ORDER BY id DESC LIMIT 1`), id, NoticeSent); err != nil {
		return nil, fmt.Errorf("last notice of feedback %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	out[0].utc()
	return &out[0], nil
}

// Notices returns the notices of item id, oldest first.
func (d *DB) Notices(ctx context.Context, id int64) ([]Notice, error) {
	var out []Notice
	if err := d.db.SelectContext(ctx, &out, d.db.Rebind(`SELECT `+noticeColumns+` FROM feedback_notices WHERE feedback_id = ? ORDER BY id`), id); err != nil {
		return nil, fmt.Errorf("notices of feedback %d: %w", id, err)
	}
	for i := range out {
		out[i].utc()
	}
	return out, nil
}

// Voters returns who voted on item id (voter keys: discord:ID, slack:ID,
// person:NAME), in the order they voted.
func (tx *Tx) Voters(ctx context.Context, id int64) ([]string, error) {
	var out []string
	if err := tx.tx.SelectContext(ctx, &out, tx.rebind(`SELECT voter FROM feedback_votes WHERE feedback_id = ? ORDER BY created_at, voter`), id); err != nil {
		return nil, fmt.Errorf("voters of feedback %d: %w", id, err)
	}
	return out, nil
}

// NotTold returns which of the Discord user ids should not hear of a
// notice: they left the server (as far as Liaison saw), or asked not to be
// told.
func (tx *Tx) NotTold(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	in := `(?` + strings.Repeat(", ?", len(ids)-1) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var gone []string
	err := tx.tx.SelectContext(ctx, &gone, tx.rebind(`SELECT user_id FROM members WHERE platform = 'discord' AND left_at IS NOT NULL AND user_id IN `+in+
		` UNION SELECT user_id FROM notice_optouts WHERE user_id IN `+in), append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("who hears notices: %w", err)
	}
	for _, id := range gone {
		out[id] = true
	}
	return out, nil
}

// SetNoticeOptOut records that Discord user userID does (off) or does not
// want to hear notices any more, and reports whether that changed.
func (tx *Tx) SetNoticeOptOut(ctx context.Context, now time.Time, userID string, off bool) (bool, error) {
	var err error
	var n int64
	if off {
		res, e := tx.exec(ctx, `INSERT INTO notice_optouts (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING`, userID, now.UTC())
		err = e
		if e == nil {
			n, _ = res.RowsAffected()
		}
	} else {
		res, e := tx.exec(ctx, `DELETE FROM notice_optouts WHERE user_id = ?`, userID)
		err = e
		if e == nil {
			n, _ = res.RowsAffected()
		}
	}
	if err != nil {
		return false, fmt.Errorf("notices of %s: %w", userID, err)
	}
	return n > 0, nil
}
