package slackbot

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// Slack's limits that the renderers respect.
const (
	maxSectionText  = 3000 // section text, context element text
	maxFieldText    = 2000 // one field of a section
	maxFields       = 10   // fields in one section
	maxBlocks       = 50   // blocks in a message
	maxModalBlocks  = 100  // blocks in a modal
	maxButtons      = 25   // elements in one actions block
	maxButtonLabel  = 75
	maxButtonValue  = 2000
	maxActionID     = 255
	maxModalTitle   = 24 // title, submit and close labels of a modal
	maxInputLabel   = 2000
	maxInitialValue = 3000
	maxFallback     = 3000 // the notification text; Slack allows more but shows less
	maxMetadata     = 3000 // a view's private_metadata
)

// esc is the one way text enters a message: escaped by bot.SlackText, so it
// cannot ping or inject markup.
func esc(s string) string { return bot.SlackText(s) }

// clip shortens escaped text to at most n characters, ending with "…"; it
// never cuts an escape sequence (&amp;) in half.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if cut == n-1 {
			s = s[:i]
			break
		}
		cut++
	}
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	return s + "…"
}

// mrkdwn is a mrkdwn text object that Slack shows as sent: verbatim, so
// nothing in it is auto-linked or turned into a mention.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

// userID matches a Slack user id; groupID a Slack user group's, which
// Notify may also name (an on-call group).
var (
	userID  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	groupID = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
)

// mentions renders Notify as "<@U1> <!subteam^S1> ", the only pings a post
// makes, each user or group once.
func mentions(ids []string) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		switch {
		case userID.MatchString(id):
			b.WriteString("<@" + id + "> ")
		case groupID.MatchString(id):
			b.WriteString("<!subteam^" + id + "> ")
		default:
			return "", fmt.Errorf("notify: %q is not a Slack user or user group id", id)
		}
	}
	return b.String(), nil
}

// maxLead is the longest mentions prefix that goes at the start of the
// first text block; a longer one gets sections of its own, so that no
// block passes Slack's 3,000 characters.
const maxLead = maxSectionText / 2

// mentionBlocks splits a long mentions prefix into sections of at most
// maxSectionText characters, cut between two mentions.
func mentionBlocks(pings string) []slack.Block {
	var out []slack.Block
	var cur strings.Builder
	for _, m := range strings.Fields(pings) {
		if cur.Len()+len(m)+1 > maxSectionText {
			out = append(out, section(cur.String()))
			cur.Reset()
		}
		cur.WriteString(m + " ")
	}
	if cur.Len() > 0 {
		out = append(out, section(cur.String()))
	}
	return out
}

// link renders a Link as <url|label>, or the label alone when the URL is not
// http(s). The label is escaped; the URL may not carry Slack's delimiters.
func link(l *bot.Link) string {
	if l == nil {
		return ""
	}
	label := strings.ReplaceAll(l.Label, "\n", " ")
	u, err := url.Parse(l.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return esc(label)
	}
	href := strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C", " ", "%20").Replace(l.URL)
	if len(href) > maxHref { // no room for it: the label alone
		return clip(esc(cmp.Or(strings.TrimSpace(label), "(link too long to show)")), 500)
	}
	if label == "" {
		return "<" + href + ">"
	}
	return "<" + href + "|" + clip(esc(label), 500) + ">"
}

// maxHref is the longest URL a link keeps.
const maxHref = 1000

// quote renders text as a block quote, line by line.
func quote(s string) string {
	lines := strings.Split(esc(s), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// sectionText renders a Section as its bold heading and one line per Line,
// each line a link when it has an http(s) URL. Lines that would pass
// Slack's section limit are left out, and the last line says how many.
func sectionText(sec bot.Section) string {
	head := "*" + esc(sec.Title) + "*"
	if sec.Title == "" {
		head = ""
	}
	lines := []string{head}
	size := utf8.RuneCountInString(head)
	for i, l := range sec.Lines {
		var s string
		if l.URL != "" {
			s = "• " + link(&bot.Link{URL: l.URL, Label: l.Text})
		} else {
			s = "• " + esc(l.Text)
		}
		n := utf8.RuneCountInString(s) + 1
		if size+n > maxSectionText-40 {
			lines = append(lines, fmt.Sprintf("…and %d more", len(sec.Lines)-i))
			break
		}
		lines = append(lines, s)
		size += n
	}
	return strings.TrimPrefix(strings.Join(lines, "\n"), "\n")
}

// errEmpty is a post with nothing to show.
var errEmpty = errors.New("the message is empty: it has no title, text, quote, fields, link or buttons")

// renderPost renders a Post as Block Kit and the plain-text fallback Slack
// shows in notifications. Every string is escaped; Notify's mentions come
// first, in the first block and in the fallback.
func renderPost(p *bot.Post) ([]slack.Block, string, error) {
	pings, err := mentions(p.Notify)
	if err != nil {
		return nil, "", err
	}
	var blocks []slack.Block
	lead := pings // goes before the first text block
	if utf8.RuneCountInString(lead) > maxLead {
		blocks, lead = mentionBlocks(lead), ""
	}
	take := func() string { s := lead; lead = ""; return s }

	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	if !blank(p.Title) {
		blocks = append(blocks, section(clip(take()+"*"+esc(p.Title)+"*", maxSectionText)))
	}
	if l := link(p.Link); !blank(p.Text) || !blank(l) {
		pre := take()
		room := maxSectionText - utf8.RuneCountInString(pre)
		body := ""
		if !blank(p.Text) {
			body = esc(p.Text)
			if l != "" {
				room -= utf8.RuneCountInString(l) + 1
			}
			body = clip(body, max(room, 1))
		}
		switch {
		case body != "" && l != "":
			body += "\n" + l
		case l != "":
			body = clip(l, maxSectionText)
		}
		blocks = append(blocks, section(pre+body))
	}
	if !blank(p.Quote) {
		blocks = append(blocks, section(clip(take()+quote(p.Quote), maxSectionText)))
	}
	for i := 0; i < len(p.Fields); i += maxFields {
		var fields []*slack.TextBlockObject
		for _, f := range p.Fields[i:min(i+maxFields, len(p.Fields))] {
			fields = append(fields, mrkdwn(clip("*"+esc(f.Name)+"*\n"+esc(f.Value), maxFieldText)))
		}
		var text *slack.TextBlockObject
		if pre := take(); pre != "" {
			text = mrkdwn(pre)
		}
		blocks = append(blocks, slack.NewSectionBlock(text, fields, nil))
	}
	for _, sec := range p.Sections {
		if text := sectionText(sec); text != "" {
			blocks = append(blocks, section(clip(take()+text, maxSectionText)))
		}
	}
	if strings.TrimSpace(p.Context) != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(clip(esc(p.Context), maxSectionText))))
	}
	if lead != "" { // only mentions and buttons: the mentions need a block
		blocks = append([]slack.Block{section(lead)}, blocks...)
		lead = ""
	}
	actions := buttons(p.Buttons)
	if len(blocks)+len(actions) == 0 {
		return nil, "", errEmpty
	}
	return capBlocks(blocks, actions), fallback(pings, p), nil
}

// capBlocks joins the text blocks and the actions blocks, within Slack's 50
// blocks: when they do not fit, the first text blocks and the first
// actions blocks are kept (half the room at most for the buttons) and a
// last line says that more did not fit.
func capBlocks(blocks, actions []slack.Block) []slack.Block {
	if len(blocks)+len(actions) <= maxBlocks {
		return append(blocks, actions...)
	}
	room := maxBlocks - 1 // one for the note
	actions = actions[:min(len(actions), max(room/2, room-len(blocks)))]
	blocks = blocks[:min(len(blocks), room-len(actions))]
	out := append(blocks, slack.NewContextBlock("", mrkdwn("…and more that did not fit in one Slack message.")))
	return append(out, actions...)
}

// fallback is the plain text of a post: what notifications and clients
// without blocks show.
func fallback(pings string, p *bot.Post) string {
	var parts []string
	for _, s := range []string{p.Title, p.Text, p.Quote} {
		if s != "" {
			parts = append(parts, esc(s))
		}
	}
	if len(parts) == 0 && p.Link != nil {
		parts = append(parts, esc(p.Link.Label))
	}
	if len(parts) == 0 {
		parts = append(parts, esc(p.Context))
	}
	text := strings.Join(parts, ": ")
	if strings.TrimSpace(text) == "" {
		text = "Liaison"
	}
	return pings + clip(text, maxFallback)
}

// buttons renders Buttons as actions blocks of at most 25 buttons each.
// Slack wants action_ids unique in a message: a button whose ActionID was
// already used gets "~N" added, which the receiver takes off (actionID).
func buttons(bs []bot.Button) []slack.Block {
	var out []slack.Block
	used := map[string]int{}
	for i := 0; i < len(bs); i += maxButtons {
		var els []slack.BlockElement
		for _, b := range bs[i:min(i+maxButtons, len(bs))] {
			id := truncate(b.ActionID, maxActionID-6)
			if id == "" {
				id = "button"
			}
			if n := used[id]; n > 0 {
				used[id]++
				id = fmt.Sprintf("%s~%d", id, n+1)
			} else {
				used[id] = 1
			}
			btn := slack.NewButtonBlockElement(id, truncate(b.Value, maxButtonValue), plain(clip(esc(orDefault(b.Label, "…")), maxButtonLabel)))
			switch b.Style {
			case "primary":
				btn = btn.WithStyle(slack.StylePrimary)
			case "danger":
				btn = btn.WithStyle(slack.StyleDanger)
			}
			els = append(els, btn)
		}
		out = append(out, slack.NewActionBlock("", els...))
	}
	return out
}

// dupSuffix is what buttons adds to a repeated action_id.
var dupSuffix = regexp.MustCompile(`~[0-9]+$`)

// actionID is the ActionID a button was rendered from.
func actionID(s string) string { return dupSuffix.ReplaceAllString(s, "") }

// truncate cuts an identifier (not shown to anyone) to n bytes of valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// replyMessage renders a Reply (text and buttons) as what a slash command's
// answer, an ack payload and a response_url take.
func replyMessage(r *bot.Reply) *slack.WebhookMessage {
	text := esc(r.Text)
	var blocks []slack.Block
	if strings.TrimSpace(text) != "" {
		blocks = append(blocks, section(clip(text, maxSectionText)))
	}
	blocks = capBlocks(blocks, buttons(r.Buttons))
	msg := &slack.WebhookMessage{Text: clip(text, maxFallback), ResponseType: slack.ResponseTypeEphemeral}
	if r.Public {
		msg.ResponseType = slack.ResponseTypeInChannel
	}
	if len(blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	if msg.Text == "" {
		msg.Text = " "
	}
	return msg
}

// notice is an ephemeral answer with one line of text.
func notice(text string) *slack.WebhookMessage {
	return replyMessage(&bot.Reply{Text: text})
}

// renderModal renders a Modal as a view: one plain-text input per field,
// whose block_id and action_id are the field's ID.
func renderModal(m *bot.Modal) (*slack.ModalViewRequest, error) {
	if utf8.RuneCountInString(m.Meta) > maxMetadata {
		return nil, fmt.Errorf("modal %s: Meta is %d characters, Slack keeps at most %d", m.CallbackID, utf8.RuneCountInString(m.Meta), maxMetadata)
	}
	if len(m.Fields) > maxModalBlocks {
		return nil, fmt.Errorf("modal %s: %d fields, Slack shows at most %d", m.CallbackID, len(m.Fields), maxModalBlocks)
	}
	if m.CallbackID == "" || len(m.CallbackID) > maxActionID {
		return nil, fmt.Errorf("modal %q: its callback id must have 1 to %d characters", m.CallbackID, maxActionID)
	}
	ids := map[string]bool{}
	for _, f := range m.Fields {
		if f.ID == "" || len(f.ID) > maxActionID || ids[f.ID] {
			return nil, fmt.Errorf("modal %s: field id %q must be unique and have 1 to %d characters", m.CallbackID, f.ID, maxActionID)
		}
		ids[f.ID] = true
	}
	v := &slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(clip(esc(orDefault(m.Title, "Liaison")), maxModalTitle)),
		Close:           plain("Cancel"),
		CallbackID:      m.CallbackID,
		PrivateMetadata: m.Meta,
	}
	if len(m.Fields) > 0 {
		v.Submit = plain(clip(esc(orDefault(m.Submit, "Submit")), maxModalTitle))
	}
	for _, f := range m.Fields {
		in := slack.NewPlainTextInputBlockElement(nil, f.ID).WithMultiline(f.Multiline)
		if f.Value != "" {
			in = in.WithInitialValue(truncate(f.Value, maxInitialValue))
		}
		block := slack.NewInputBlock(f.ID, plain(clip(esc(orDefault(orDefault(f.Label, f.ID), "Answer")), maxInputLabel)), nil, in).WithOptional(f.Optional)
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, block)
	}
	return v, nil
}

// noticeView is a modal that only shows text: what replaces a submitted form
// when the handler answers with text or a non-field error.
func noticeView(title, text string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(clip(esc(orDefault(title, "Liaison")), maxModalTitle)),
		Close:  plain("Done"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{section(clip(esc(orDefault(text, "Done.")), maxSectionText))}},
	}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
