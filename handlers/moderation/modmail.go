package moderation

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// Modmail (moderation.modmail): a member who DMs Liaison opens a ticket, a
// thread in the Slack mod channel ("Modmail #12 from mallory (member since
// …, 2 cases)") where her later DMs are appended. Staff answer with
// /liaison modmail reply 12 TEXT or the Reply button; the answer goes to
// her as a DM from Liaison signed by the team (by name with
// sign_with_name), through the outbox like every post. Note adds a
// staff-only line; Close closes the ticket (with an optional message to
// her) and attaches the ticket's log. When Discord refuses a DM (she
// blocked Liaison) the thread says so.

// Modmail limits.
const (
	// maxModmailIn is the longest DM passed on: a Slack section holds
	// 3,000 characters.
	maxModmailIn = 3000
	// maxModmailOut is the longest answer: a Discord message holds 2,000
	// characters, the signature included.
	maxModmailOut = 1900
)

const modmailAction = "moderation.modmail"

func (m *Moderation) modmailOn() bool {
	return m.cfg.Moderation.Enabled && m.cfg.Moderation.Modmail.Enabled && m.cfg.Moderation.Modmail.Slack.ID != ""
}

// registerModmail declares modmail's event, subcommand, buttons, forms and
// the job that reports DMs Discord refused.
func (m *Moderation) registerModmail(r registrar) {
	if !m.modmailOn() {
		return
	}
	r.OnEvent(m.modmailEvent)
	r.OnSubcommand("modmail", "reply|note|close N [text]",
		"answer a member's modmail ticket: reply N TEXT (sent to them as a DM), note N TEXT (staff only), close N [closing message]",
		bot.Need(modmailAction), m.modmailCommand)
	for _, id := range []string{"modmail.reply", "modmail.note", "modmail.close"} {
		r.OnAction(id, modmailAction, m.modmailButton)
		r.OnForm(id, modmailAction, m.modmailForm)
	}
	r.AddJob(jobs.Job{Name: "modmail-failures", Every: 0, Run: m.ReportFailedDMs})
}

func (m *Moderation) modmailEvent(ctx context.Context, tx *store.Tx, ev bot.Event) error {
	dm, ok := ev.(*bot.DirectMessage)
	if !ok {
		return nil
	}
	return m.receiveDM(ctx, tx, dm)
}

// receiveDM appends a member's DM to their open ticket, or opens one.
// Attachments alone and overlong texts are answered (by DM) and change
// nothing.
func (m *Moderation) receiveDM(ctx context.Context, tx *store.Tx, dm *bot.DirectMessage) error {
	now := m.clock.Now()
	text := strings.TrimSpace(dm.Text)
	refuse := func(why string) error {
		return m.enqueueDM(ctx, tx, "modmail:refused:"+dm.ID, dm.Author.ID, bot.Post{Text: why})
	}
	switch {
	case text == "" && len(dm.Attachments) > 0:
		return refuse("Liaison passes on text only, and your message had only a file. Please write what you want the moderators to know (describe the file, or paste a link to it).")
	case text == "":
		return nil
	case utf8.RuneCountInString(text) > maxModmailIn:
		return refuse(fmt.Sprintf("Your message is %d characters long; Liaison passes on up to %d. Please send it in shorter parts.",
			utf8.RuneCountInString(text), maxModmailIn))
	}
	if n := len(dm.Attachments); n > 0 {
		text += fmt.Sprintf("\n(+ %d file(s) not passed on: %s)", n, strings.Join(dm.Attachments, ", "))
	}
	t, err := tx.OpenTicketOf(ctx, dm.Author.ID)
	if err != nil {
		return err
	}
	name := dm.Author.Label()
	if t == nil {
		if t, err = m.openTicket(ctx, tx, dm.Author); err != nil {
			return err
		}
	}
	msg := &store.TicketMessage{TicketID: t.ID, Kind: store.TicketFromMember, Author: name, Text: text}
	if err := tx.AddTicketMessage(ctx, now, msg); err != nil {
		return err
	}
	return m.toThread(ctx, tx, t, fmt.Sprintf("modmail:%d:msg:%d", t.ID, msg.ID), bot.Post{Title: name + " wrote", Quote: text})
}

// openTicket opens a ticket for u: its thread's first message in the Slack
// mod channel, and a DM telling u it reached the team.
func (m *Moderation) openTicket(ctx context.Context, tx *store.Tx, u bot.User) (*store.Ticket, error) {
	now := m.clock.Now()
	guild := ""
	var facts *bot.MemberFacts
	for _, g := range m.cfg.Discord.Guilds {
		f, err := tx.MemberFacts(ctx, g.ID, u.ID)
		if err != nil {
			return nil, err
		}
		if f != nil || guild == "" {
			guild, facts = g.ID, f
		}
		if f != nil {
			break
		}
	}
	t := &store.Ticket{GuildID: guild, UserID: u.ID, UserName: u.Label(), SlackChannel: m.cfg.Moderation.Modmail.Slack.ID}
	if err := tx.CreateTicket(ctx, now, t); err != nil {
		return nil, err
	}
	cases, err := tx.CountCases(ctx, guild, u.ID)
	if err != nil {
		return nil, err
	}
	since := "join date unknown"
	if facts != nil && !facts.JoinedAt.IsZero() {
		since = "member since " + facts.JoinedAt.In(m.cfg.Location).Format("2 Jan 2006")
	}
	caseWord := "cases"
	if cases == 1 {
		caseWord = "case"
	}
	v := strconv.FormatInt(t.ID, 10)
	post := bot.Post{ChannelID: t.SlackChannel, Title: fmt.Sprintf("Modmail #%d from %s (%s, %d %s)", t.ID, t.UserName, since, cases, caseWord),
		Context: fmt.Sprintf("Discord user %s · answer with /liaison modmail reply %d TEXT or the buttons; answers are sent as DMs signed by the team", u.ID, t.ID),
		Buttons: []bot.Button{{ActionID: "modmail.reply", Label: "Reply", Value: v, Style: "primary"}, {ActionID: "modmail.note", Label: "Note", Value: v},
			{ActionID: "modmail.close", Label: "Close", Value: v}}}
	if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: openerKey(t.ID), Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
		return nil, err
	}
	ack := fmt.Sprintf("Thanks, your message reached the moderators (ticket #%d). They will answer you here; anything else you send here is added to the ticket.", t.ID)
	return t, m.enqueueDM(ctx, tx, fmt.Sprintf("modmail:%d:ack", t.ID), u.ID, bot.Post{Text: ack})
}

// ModmailDrafts is implemented by *handlers.Approvals: with
// moderation.modmail.approval, a staff answer becomes a draft there, and
// approvals calls SendApproved once another person approved it.
type ModmailDrafts interface {
	DraftModmail(ctx context.Context, d ModmailDraft) (*bot.Reply, error)
}

// ModmailDraft is a staff answer to a ticket, to approve before it is sent.
type ModmailDraft struct {
	TicketID         int64
	UserID, UserName string // the member the answer goes to
	Quote            string // what the member last wrote, shown to approvers
	Text             string // the answer, without its signature
	By               bot.User
}

// AttachDrafts gives modmail the approvals that hold its answers when
// moderation.modmail.approval is on. Call it before the Router serves.
func (m *Moderation) AttachDrafts(d ModmailDrafts) { m.drafts = d }

// draftAnswer sends a staff answer to ticket id for approval.
func (m *Moderation) draftAnswer(ctx context.Context, u bot.User, id int64, text string) (*bot.Reply, error) {
	if m.drafts == nil {
		return nil, bot.Errorf(bot.EInvalid, "Modmail answers need approval here, and approvals are not set up: nothing was sent.")
	}
	var t *store.Ticket
	var quote string
	err := m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if t, err = tx.Ticket(ctx, id); err != nil {
			return err
		}
		msgs, err := tx.TicketMessages(ctx, id)
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Kind == store.TicketFromMember {
				quote = msgs[i].Text
				break
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if t.Status != store.TicketOpen {
		return nil, bot.Errorf(bot.EConflict, "Ticket #%d is closed; a new DM from %s opens a new one.", id, t.UserName)
	}
	r, err := m.drafts.DraftModmail(ctx, ModmailDraft{TicketID: id, UserID: t.UserID, UserName: t.UserName, Quote: quote, Text: text, By: u})
	if err != nil || r == nil || r.Modal != nil || len(r.Buttons) > 0 {
		return r, err
	}
	r.Text = fmt.Sprintf("Your answer to %s (ticket #%d) is sent as a DM once someone else approves it. %s", t.UserName, id, r.Text)
	return r, nil
}

// SendApproved sends an approved answer (text, by writer, approved by
// approvedBy) to the member of ticket id as a DM under key, and records it
// in the ticket and its thread, in tx. It is how approvals publishes a
// modmail draft.
func (m *Moderation) SendApproved(ctx context.Context, tx *store.Tx, id int64, key, text, writer, approvedBy string) error {
	t, err := tx.Ticket(ctx, id)
	if err != nil {
		return err
	}
	msg := &store.TicketMessage{TicketID: id, Kind: store.TicketAnswer, Author: writer, Text: text, OutboxKey: key}
	if err := tx.AddTicketMessage(ctx, m.clock.Now(), msg); err != nil {
		return err
	}
	if err := m.enqueueDM(ctx, tx, key, t.UserID, bot.Post{Text: m.signed(text, writer)}); err != nil {
		return err
	}
	return m.toThread(ctx, tx, t, fmt.Sprintf("modmail:%d:answer:%d:slack", id, msg.ID), bot.Post{
		Title: fmt.Sprintf("↩️ %s answered, approved by %s (sent to %s as a DM)", writer, approvedBy, t.UserName), Quote: text})
}

func openerKey(id int64) string { return fmt.Sprintf("modmail:%d", id) }

// toThread posts in a ticket's Slack thread.
func (m *Moderation) toThread(ctx context.Context, tx *store.Tx, t *store.Ticket, key string, p bot.Post) error {
	p.ChannelID = t.SlackChannel
	_, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost,
		Payload: bot.Payload(p), ParentKey: openerKey(t.ID)})
	return err
}

// enqueueDM sends a member a DM through the outbox.
func (m *Moderation) enqueueDM(ctx context.Context, tx *store.Tx, key, userID string, p bot.Post) error {
	_, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{Key: key, Platform: bot.PlatformDiscord, Kind: bot.KindDM,
		Payload: bot.Payload(bot.DirectPost{UserID: userID, Lane: userID, Post: p})})
	return err
}

// modmailCommand is /liaison modmail reply|note|close N [text].
func (m *Moderation) modmailCommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	num, text, _ := strings.Cut(strings.TrimSpace(rest), " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(num, "#"), 10, 64)
	usage := "Use /liaison modmail reply 12 TEXT, /liaison modmail note 12 TEXT or /liaison modmail close 12 [closing message]."
	if verb == "" || err != nil {
		return nil, bot.Errorf(bot.EInvalid, "Which ticket? %s", usage)
	}
	switch strings.ToLower(verb) {
	case "reply", "note", "close":
		return m.modmailAct(ctx, c.User, strings.ToLower(verb), id, text)
	}
	return nil, bot.Errorf(bot.EInvalid, "%q is not something Liaison does with a ticket. %s", verb, usage)
}

// modmailButton opens the form of Reply, Note or Close.
func (m *Moderation) modmailButton(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button names no ticket Liaison knows; nothing was done.")
	}
	var t *store.Ticket
	if err := m.db.InTx(ctx, func(tx *store.Tx) (err error) { t, err = tx.Ticket(ctx, id); return err }); err != nil {
		return nil, err
	}
	if t.Status != store.TicketOpen {
		return nil, bot.Errorf(bot.EConflict, "Ticket #%d is closed; a new DM from %s opens a new one.", id, t.UserName)
	}
	modal := &bot.Modal{CallbackID: a.ActionID, Meta: a.Value}
	switch a.ActionID {
	case "modmail.reply":
		modal.Title, modal.Submit = "Reply to "+clipTitle(t.UserName), "Send"
		label := fmt.Sprintf("Your answer, sent to %s as a DM signed by the team", t.UserName)
		if m.cfg.Moderation.Modmail.Approval {
			label += " once someone else approves it"
			modal.Submit = "Send for approval"
		}
		modal.Fields = []bot.ModalField{{ID: "text", Label: label, Multiline: true}}
	case "modmail.note":
		modal.Title, modal.Submit = fmt.Sprintf("Note on ticket #%d", id), "Add"
		modal.Fields = []bot.ModalField{{ID: "text", Label: "A note for staff (never sent to the member)", Multiline: true}}
	default:
		modal.Title, modal.Submit = fmt.Sprintf("Close ticket #%d", id), "Close"
		label := fmt.Sprintf("A closing message to %s (optional)", t.UserName)
		if m.cfg.Moderation.Modmail.Approval {
			label = fmt.Sprintf("Leave empty: answers to %s need approval, so send a closing message with Reply first", t.UserName)
		}
		modal.Fields = []bot.ModalField{{ID: "text", Label: label, Multiline: true, Optional: true}}
	}
	return &bot.Reply{Modal: modal}, nil
}

func clipTitle(s string) string {
	if utf8.RuneCountInString(s) > 15 {
		return string([]rune(s)[:14]) + "…"
	}
	return s
}

func (m *Moderation) modmailForm(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	id, err := strconv.ParseInt(s.Meta, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This form names no ticket Liaison knows; nothing was done.")
	}
	return m.modmailAct(ctx, s.User, strings.TrimPrefix(s.CallbackID, "modmail."), id, s.Values["text"])
}

// modmailAct answers, notes or closes ticket id as u.
func (m *Moderation) modmailAct(ctx context.Context, u bot.User, verb string, id int64, text string) (*bot.Reply, error) {
	text = strings.TrimSpace(text)
	staff := m.dir.Actor(u)
	if text == "" && verb != "close" {
		return nil, bot.Errorf(bot.EInvalid, "Write the text after the ticket number, like /liaison modmail %s %d Thanks for telling us.", verb, id)
	}
	if m.cfg.Moderation.Modmail.Approval {
		switch {
		case verb == "reply":
			if n := utf8.RuneCountInString(m.signed(text, staff)); n > maxModmailOut {
				return nil, bot.Errorf(bot.EInvalid, "Your answer is %d characters with the signature; a Discord message holds %d. Shorten it, or send it in two parts.", n, maxModmailOut)
			}
			return m.draftAnswer(ctx, u, id, text)
		case verb == "close" && text != "":
			return nil, bot.Errorf(bot.EInvalid, "Answers wait for approval here, so a ticket closes without a message: send it with /liaison modmail reply %d TEXT, then close the ticket once it is approved. Nothing was changed.", id)
		}
	}
	var answer string
	if text != "" && verb != "note" {
		answer = m.signed(text, staff)
		if n := utf8.RuneCountInString(answer); n > maxModmailOut {
			return nil, bot.Errorf(bot.EInvalid, "Your answer is %d characters with the signature; a Discord message holds %d. Shorten it, or send it in two parts.", n, maxModmailOut)
		}
	}
	var reply string
	err := m.db.InTx(ctx, func(tx *store.Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return err
		}
		if t.Status != store.TicketOpen {
			return bot.Errorf(bot.EConflict, "Ticket #%d is closed; a new DM from %s opens a new one.", id, t.UserName)
		}
		now := m.clock.Now()
		if verb == "note" {
			msg := &store.TicketMessage{TicketID: id, Kind: store.TicketNote, Author: staff, Text: text}
			if err := tx.AddTicketMessage(ctx, now, msg); err != nil {
				return err
			}
			reply = fmt.Sprintf("Note added to ticket #%d (staff only).", id)
			return m.toThread(ctx, tx, t, fmt.Sprintf("modmail:%d:note:%d", id, msg.ID), bot.Post{Title: "📝 Note by " + staff + " (not sent)", Quote: text})
		}
		if answer != "" {
			msg := &store.TicketMessage{TicketID: id, Kind: store.TicketAnswer, Author: staff, Text: text}
			if err := tx.AddTicketMessage(ctx, now, msg); err != nil {
				return err
			}
			key := fmt.Sprintf("modmail:%d:answer:%d", id, msg.ID)
			if err := tx.SetTicketMessageKey(ctx, msg.ID, key); err != nil {
				return err
			}
			if err := m.enqueueDM(ctx, tx, key, t.UserID, bot.Post{Text: answer}); err != nil {
				return err
			}
			if err := m.toThread(ctx, tx, t, key+":slack", bot.Post{Title: fmt.Sprintf("↩️ %s answered (sent to %s as a DM)", staff, t.UserName), Quote: text}); err != nil {
				return err
			}
			reply = fmt.Sprintf("Sent to %s as a DM (ticket #%d).", t.UserName, id)
		}
		if verb != "close" {
			return nil
		}
		return m.closeTicket(ctx, tx, t, staff, &reply)
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: reply}, nil
}

// closeTicket closes t: says so in its thread, attaches its log, and marks
// the opening message closed (its buttons go).
func (m *Moderation) closeTicket(ctx context.Context, tx *store.Tx, t *store.Ticket, staff string, reply *string) error {
	now := m.clock.Now()
	if err := tx.CloseTicket(ctx, now, t.ID, staff); err != nil {
		return err
	}
	msgs, err := tx.TicketMessages(ctx, t.ID)
	if err != nil {
		return err
	}
	loc := m.cfg.Location
	var b strings.Builder
	fmt.Fprintf(&b, "Modmail #%d with %s (Discord user %s), opened %s, closed %s by %s\n\n", t.ID, t.UserName, t.UserID,
		t.CreatedAt.In(loc).Format("2006-01-02 15:04 MST"), now.In(loc).Format("2006-01-02 15:04 MST"), staff)
	for _, msg := range msgs {
		who := msg.Author
		switch msg.Kind {
		case store.TicketAnswer:
			who += " (answer, sent)"
		case store.TicketNote:
			who += " (note, staff only)"
		}
		fmt.Fprintf(&b, "[%s] %s:\n", msg.CreatedAt.In(loc).Format("2006-01-02 15:04"), who)
		for l := range strings.SplitSeq(msg.Text, "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	if err := m.toThread(ctx, tx, t, fmt.Sprintf("modmail:%d:closed", t.ID), bot.Post{Text: fmt.Sprintf("🔒 Ticket #%d closed by %s. Its log is attached.", t.ID, staff)}); err != nil {
		return err
	}
	if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("modmail:%d:log", t.ID), Platform: bot.PlatformSlack, Kind: bot.KindUpload,
		ParentKey: openerKey(t.ID), Payload: bot.Payload(bot.Upload{ChannelID: t.SlackChannel, Filename: fmt.Sprintf("modmail-%d.txt", t.ID),
			Title: fmt.Sprintf("Modmail #%d log", t.ID), Data: []byte(b.String())})}); err != nil {
		return err
	}
	closed := bot.Post{ChannelID: t.SlackChannel, Title: fmt.Sprintf("Modmail #%d from %s · closed by %s", t.ID, t.UserName, staff),
		Context: "a new DM from them opens a new ticket"}
	if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: fmt.Sprintf("modmail:%d:closed:edit", t.ID), Platform: bot.PlatformSlack, Kind: bot.KindUpdate,
		ParentKey: openerKey(t.ID), Payload: bot.Payload(closed)}); err != nil {
		return err
	}
	*reply = strings.TrimSpace(*reply + fmt.Sprintf(" Ticket #%d is closed; its log is in the thread.", t.ID))
	return nil
}

// signed signs an answer: by the team, or by the staff member with
// sign_with_name.
func (m *Moderation) signed(text, staff string) string {
	if m.cfg.Moderation.Modmail.SignWithName {
		return text + "\n\n— " + staff + ", for the moderation team"
	}
	return text + "\n\n— the moderation team"
}

// ReportFailedDMs tells a ticket's thread when Discord refused a DM to its
// member (she blocked Liaison, or turned off DMs from server members), once
// per failure, for the scheduler (every tick).
func (m *Moderation) ReportFailedDMs(ctx context.Context, _ time.Time) (int, error) {
	dead, err := m.db.UnreportedDead(ctx, bot.KindDM, 100)
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
			var id int64
			what := "Liaison's message"
			if strings.Contains(e.Key, ":answer:") {
				what = "An answer"
			}
			if _, err := fmt.Sscanf(e.Key, "modmail:%d:", &id); err != nil {
				// An approved answer is sent under its draft's key.
				if id, err = tx.TicketOfAnswer(ctx, e.Key); err != nil {
					return err
				}
				if id == 0 {
					m.logger.Warn("a direct message could not be sent", "key", e.Key, "why", bot.PlainRefusal(e.LastError))
					return nil
				}
				what = "An approved answer"
			}
			t, err := tx.Ticket(ctx, id)
			if err != nil {
				return err
			}
			return m.toThread(ctx, tx, t, fmt.Sprintf("%s:failed:%d", e.Key, e.UpdatedAt.UnixMicro()), bot.Post{
				Text: fmt.Sprintf("⚠️ %s did not reach %s: %s. Staff may reach them another way; the ticket stays open.", what, t.UserName, cmp.Or(bot.PlainRefusal(e.LastError), "Discord refused it"))})
		})
		if err != nil {
			return n, fmt.Errorf("report the failure of %s: %w", e.Key, err)
		}
	}
	return n, nil
}

// banNotice is the DM a banned member gets, just before the ban, when
// moderation.appeals_url is set and they are on the server: a banned user
// cannot DM Liaison (they share no server any more), so the appeal form is
// how they are heard. "" when there is nothing to send.
func (m *Moderation) banNotice(c *bot.Case, member bool) string {
	appeal := m.cfg.Moderation.AppealsURL
	if appeal == "" || !member {
		return ""
	}
	server := "the server"
	for _, g := range m.cfg.Discord.Guilds {
		if g.ID == c.GuildID && g.Name != "" {
			server = g.Name
		}
	}
	text := "You have been banned from " + server + "."
	if c.Reason != "" {
		text += " Reason: " + strings.TrimSuffix(bot.OneLine(c.Reason, 300), ".") + "."
	}
	if !c.ExpiresAt.IsZero() {
		text += " The ban ends " + when(c.ExpiresAt, m.cfg.Location) + "."
	}
	return text + " If you think this is a mistake, you can appeal here: " + appeal
}
