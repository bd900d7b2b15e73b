package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Statuses that mean something to the community: planned, in progress,
// shipped and declined (with a reason), set from the relay's Status menu or
// /liaison feedback status N planned|in-progress|shipped|declined [note];
// /liaison feedback reopen N for a closed or declined item.

// statusWords are the statuses /liaison feedback status takes, one word
// each, so that the note is the rest of the line.
var statusWords = []string{store.FeedbackPlanned, store.FeedbackInProgress, store.FeedbackShipped, store.FeedbackDeclined}

// statusName is how people read a status: "in progress".
func statusName(s string) string {
	return strings.ReplaceAll(s, "-", " ")
}

// parseStatus reads a status word: planned, in-progress (or "in_progress",
// "inprogress"), shipped, declined.
func parseStatus(word string) (string, error) {
	w := strings.ToLower(strings.TrimSpace(word))
	switch w {
	case "in_progress", "inprogress", "progress":
		w = store.FeedbackInProgress
	}
	for _, s := range statusWords {
		if w == s {
			return s, nil
		}
	}
	return "", bot.Errorf(bot.EInvalid, "%q is not a status: use planned, in-progress, shipped or declined (with the reason), like /liaison feedback status 12 shipped in v2.3", word)
}

// setStatus gives item it (locked in tx) status with note, on u's word,
// logs it, shows it on the relays and tells the community (queueNotice). A
// declined item needs a reason. It returns what to tell u.
func (fb *Feedback) setStatus(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, status, note string, u bot.User) (string, error) {
	by := fb.dir.Actor(u)
	note = strings.TrimSpace(note)
	if it.DuplicateOf != nil {
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is a duplicate of #%d: set #%d's status (or unmerge #%d first). Nothing was changed.", it.ID, *it.DuplicateOf, *it.DuplicateOf, it.ID)
	}
	if status == store.FeedbackDeclined && note == "" {
		return "", bot.Errorf(bot.EInvalid, "Say why feedback #%d is declined, so that the people who asked for it know: /liaison feedback status %d declined we will not support IE11", it.ID, it.ID)
	}
	if n := len([]rune(note)); n > 500 {
		return "", bot.Errorf(bot.EInvalid, "The note is %d characters long; keep it under 500. Nothing was changed.", n)
	}
	if it.Status == status && it.StatusNote == note {
		return fmt.Sprintf("Feedback #%d is already %s.", it.ID, statusLine(it)), nil
	}
	now := fb.clock.Now()
	it.Status, it.StatusNote, it.HandledBy = status, note, by
	it.CloseReason = ""
	if store.FeedbackDone(status) {
		it.ClosedAt = &now
	} else {
		it.ClosedAt = nil
	}
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return "", err
	}
	detail := statusName(status)
	if note != "" {
		detail += ": " + note
	}
	if err := tx.LogFeedback(ctx, now, it.ID, by, "set the status", detail); err != nil {
		return "", err
	}
	if err := fb.refreshRelays(ctx, tx, it); err != nil {
		return "", err
	}
	if err := fb.queueNotice(ctx, tx, it, status, note, u); err != nil {
		return "", err
	}
	return fmt.Sprintf("Feedback #%d is %s now.", it.ID, statusLine(it)), nil
}

// reopen opens a closed or declined item again, on by's word.
func (fb *Feedback) reopen(ctx context.Context, tx *store.Tx, it *store.FeedbackItem, by string) (string, error) {
	if it.DuplicateOf != nil {
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is closed as a duplicate of #%d: /liaison feedback unmerge %d makes it its own item again.", it.ID, *it.DuplicateOf, it.ID)
	}
	if it.Status != store.FeedbackClosed && it.Status != store.FeedbackDeclined {
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is %s, not closed or declined: there is nothing to reopen.", it.ID, statusLine(it))
	}
	now := fb.clock.Now()
	it.Status, it.StatusNote, it.CloseReason, it.ClosedAt, it.HandledBy = store.FeedbackOpen, "", "", nil, ""
	if err := tx.SaveFeedback(ctx, now, it); err != nil {
		return "", err
	}
	if err := tx.LogFeedback(ctx, now, it.ID, by, "reopened", ""); err != nil {
		return "", err
	}
	if err := fb.cancelNotices(ctx, tx, it.ID); err != nil {
		return "", err
	}
	if err := fb.refreshRelays(ctx, tx, it); err != nil {
		return "", err
	}
	return fmt.Sprintf("Feedback #%d is open again.", it.ID), nil
}

// statusCommand is /liaison feedback status N STATUS [note].
func (fb *Feedback) statusCommand(ctx context.Context, rest string, u bot.User) (*bot.Reply, error) {
	fields := strings.SplitN(strings.TrimSpace(rest), " ", 3)
	if len(fields) < 2 {
		return nil, bot.Errorf(bot.EInvalid, "Give the item's number and its status: /liaison feedback status 12 planned|in-progress|shipped|declined [note]")
	}
	id, err := parseItemID(fields[0], "status")
	if err != nil {
		return nil, err
	}
	status, err := parseStatus(fields[1])
	if err != nil {
		return nil, err
	}
	note := ""
	if len(fields) == 3 {
		note = fields[2]
	}
	return fb.changeStatus(ctx, id, status, note, u)
}

// changeStatus sets item id's status in a transaction of its own.
func (fb *Feedback) changeStatus(ctx context.Context, id int64, status, note string, u bot.User) (*bot.Reply, error) {
	var msg string
	err := fb.db.InTx(ctx, func(tx *store.Tx) error {
		it, err := tx.Feedback(ctx, id)
		if err != nil {
			return err
		}
		msg, err = fb.setStatus(ctx, tx, it, status, note, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// parseItemID reads an item's number, "12" or "#12".
func parseItemID(s, verb string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, bot.Errorf(bot.EInvalid, "Which item? Give its number: /liaison feedback %s 12", verb)
	}
	return id, nil
}

// statusMenu answers the relay's Status button: the statuses, as buttons,
// shown to the one who clicked.
func (fb *Feedback) statusMenu(id int64) *bot.Reply {
	r := &bot.Reply{Text: fmt.Sprintf("Set the status of feedback #%d. Planned, shipped and declined are told to its author and voters in Discord.", id)}
	for _, s := range statusWords {
		label := strings.ToUpper(statusName(s)[:1]) + statusName(s)[1:]
		r.Buttons = append(r.Buttons, bot.Button{ActionID: "feedback.setstatus", Label: label, Value: fmt.Sprintf("%d:%s", id, s)})
	}
	return r
}

// statusForm is the form a status button opens: the note to go with the
// status (the reason, for declined).
func statusForm(id int64, status string) *bot.Reply {
	label := "A note for the community (optional): a date, a version…"
	if status == store.FeedbackDeclined {
		label = "Why is it declined? The people who asked for it will read this."
	}
	return &bot.Reply{Modal: &bot.Modal{CallbackID: "feedback.status", Title: fmt.Sprintf("#%d: %s", id, statusName(status)), Submit: "Save",
		Meta:   fmt.Sprintf("%d:%s", id, status),
		Fields: []bot.ModalField{{ID: "note", Label: label, Multiline: true, Optional: status != store.FeedbackDeclined}}}}
}

// statusClicked answers a status in the Status menu: in progress is set at
// once; the others open the form for their note.
func (fb *Feedback) statusClicked(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	idText, word, _ := strings.Cut(a.Value, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was changed.")
	}
	status, err := parseStatus(word)
	if err != nil {
		return nil, err
	}
	if status == store.FeedbackInProgress {
		return fb.changeStatus(ctx, id, status, "", a.User)
	}
	return statusForm(id, status), nil
}

// statusSubmitted handles the status form.
func (fb *Feedback) statusSubmitted(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	idText, word, _ := strings.Cut(s.Meta, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This form does not name a feedback item; nothing was changed.")
	}
	status, err := parseStatus(word)
	if err != nil {
		return nil, err
	}
	return fb.changeStatus(ctx, id, status, s.Values["note"], s.User)
}
