package discordbot

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/liaison-bot/liaison/bot"
)

// Discord's limits on what Liaison renders.
const (
	maxContent     = 2000 // characters of a message's content
	maxCustomID    = 100  // characters of a component's custom_id
	maxButtonLabel = 80
	maxModalTitle  = 45
	maxInputLabel  = 45
	maxInputValue  = 4000
	maxButtons     = 25 // five action rows of five
	maxModalFields = 5
	maxMentions    = 100 // users in allowed_mentions.users
)

// Custom ids. A button's custom_id is "<ActionID>|<Value>" and a modal's is
// "<CallbackID>|<Meta>": the part before the first "|" is the id, which
// therefore may not contain "|"; the rest, "|" included, is the value given
// back. Without a value the custom_id is the id alone. Discord allows 100
// characters in all, so ids and values must be short (a feedback number, a
// case number), never user text.

// encodeCustomID joins an id and a value into a custom_id.
func encodeCustomID(id, value string) (string, error) {
	if id == "" || strings.Contains(id, "|") {
		return "", fmt.Errorf("custom id %q: want a non-empty id without \"|\"", id)
	}
	s := id
	if value != "" {
		s += "|" + value
	}
	if utf8.RuneCountInString(s) > maxCustomID {
		return "", fmt.Errorf("custom id %q is longer than Discord's %d characters", s, maxCustomID)
	}
	return s, nil
}

// decodeCustomID splits a custom_id made by encodeCustomID.
func decodeCustomID(s string) (id, value string) {
	id, value, _ = strings.Cut(s, "|")
	return id, value
}

// markdown builds message content in which every piece of text that came
// from a handler went through bot.DiscordText: its methods take the text
// and the markup around it separately, and only the text is user-provided.
type markdown struct{ lines []string }

// line adds one line: prefix and suffix are Liaison's markup, text is
// sanitised. Empty text adds nothing.
func (b *markdown) line(prefix, text, suffix string) {
	if text == "" {
		return
	}
	b.lines = append(b.lines, prefix+bot.DiscordText(text)+suffix)
}

// lines adds each line of text with the same prefix ("> ", "-# ").
func (b *markdown) eachLine(prefix, text string) {
	if text == "" {
		return
	}
	for l := range strings.SplitSeq(text, "\n") {
		b.lines = append(b.lines, prefix+bot.DiscordText(l))
	}
}

// mentions adds the deliberate pings: <@id> for each id that is a
// snowflake, each once, at most 100 (all Discord lets one message ping).
func (b *markdown) mentions(ids []string) {
	var ms []string
	for _, id := range snowflakes(ids) {
		ms = append(ms, "<@"+id+">")
	}
	if len(ms) > 0 {
		b.lines = append(b.lines, strings.Join(ms, " "))
	}
}

// field adds "**Name:** value".
func (b *markdown) field(name, value string) {
	b.lines = append(b.lines, "**"+bot.DiscordText(name)+":** "+bot.DiscordText(value))
}

// link adds a masked link; a URL that is not http(s) is shown as text.
func (b *markdown) link(l *bot.Link) {
	label := bot.DiscordText(l.Label)
	u, err := url.Parse(l.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		b.line("", strings.TrimSpace(l.Label+" "+l.URL), "")
		return
	}
	target := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(u.String())
	if label == "" {
		label = bot.DiscordText(target)
	}
	label = strings.NewReplacer("[", "(", "]", ")").Replace(label)
	b.lines = append(b.lines, "["+label+"]("+target+")")
}

// String is the content. It may be longer than Discord takes: the Sender
// cuts it as a last guard (fit), and logs that it had to.
func (b *markdown) String() string { return strings.Join(b.lines, "\n") }

// postContent renders a Post as message content: the mentions it means to
// make, the title in bold, the text, the quote, the fields, the link and
// the small print.
func postContent(p *bot.Post) string {
	var b markdown
	b.mentions(p.Notify)
	b.line("**", p.Title, "**")
	b.line("", p.Text, "")
	b.eachLine("> ", p.Quote)
	for _, f := range p.Fields {
		b.field(f.Name, f.Value)
	}
	for _, sec := range p.Sections {
		b.line("**", sec.Title, "**")
		for _, l := range sec.Lines {
			if l.URL != "" {
				b.link(&bot.Link{URL: l.URL, Label: l.Text})
				b.lines[len(b.lines)-1] = "- " + b.lines[len(b.lines)-1]
				continue
			}
			b.line("- ", l.Text, "")
		}
	}
	if p.Link != nil && p.Link.URL != "" {
		b.link(p.Link)
	}
	b.eachLine("-# ", p.Context)
	return b.String()
}

// replyContent renders an interaction reply's text.
func replyContent(text string) string {
	var b markdown
	b.line("", text, "")
	return b.String()
}

// truncate cuts s to n characters, ending with "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// snowflakes keeps the ids that are Discord ids (digits only): nothing else
// may go inside a mention. Each comes once, and no more than the 100 users
// Discord lets allowed_mentions name.
func snowflakes(ids []string) []string {
	var out []string
	for _, id := range ids {
		if len(out) == maxMentions {
			break
		}
		if id != "" && strings.Trim(id, "0123456789") == "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// AllowedMentions is Discord's allowed_mentions as Liaison sends it:
// nothing is parsed from the content, only the listed users are pinged.
// RepliedUser stays false: a reply pings its target only if Notify names
// them, through Users.
type AllowedMentions struct {
	Parse       []string `json:"parse"`
	Users       []string `json:"users,omitempty"`
	RepliedUser bool     `json:"replied_user"`
}

func mentionsOnly(users []string) *AllowedMentions {
	return &AllowedMentions{Parse: []string{}, Users: snowflakes(users)}
}

// Outgoing is the part of a message Liaison sends Discord that decides whom
// it notifies: its content and its allowed_mentions. The Sender sends
// exactly what PostOutgoing and TextOutgoing build, and the console shows
// whom a message pings from the same value (Outgoing.Pings), so the two
// cannot disagree.
type Outgoing struct {
	Content         string
	AllowedMentions *AllowedMentions
}

// PostOutgoing is a post or an edit as the Sender sends it: the mentions
// Notify asks for, then the rest of the post, with only those users
// allowed to be pinged.
func PostOutgoing(p *bot.Post) Outgoing {
	return Outgoing{Content: postContent(p), AllowedMentions: mentionsOnly(p.Notify)}
}

// TextOutgoing is a text that pings nobody: an interaction's answer, or a
// file's comment.
func TextOutgoing(text string) Outgoing {
	return Outgoing{Content: replyContent(text), AllowedMentions: mentionsOnly(nil)}
}

// Pings is whom Discord notifies for a message.
type Pings struct {
	Users       []string // user ids, in the order the content mentions them
	Roles       []string // role ids, likewise
	Everyone    bool     // @everyone
	Here        bool     // @here
	RepliedUser bool     // the author of the message it replies to
}

var (
	userMention = regexp.MustCompile(`<@!?([0-9]+)>`)
	roleMention = regexp.MustCompile(`<@&([0-9]+)>`)
)

// Pings works out whom Discord notifies when it receives o, by Discord's
// rules: a user or role mentioned in the content is notified when
// allowed_mentions parses that kind ("users", "roles") or lists its id;
// @everyone and @here when it parses "everyone"; the author of the message
// replied to when replied_user is set. Without allowed_mentions, Discord
// parses everything.
func (o Outgoing) Pings() Pings {
	am := o.AllowedMentions
	parses := func(kind string) bool { return am == nil || slices.Contains(am.Parse, kind) }
	var p Pings
	for _, m := range userMention.FindAllStringSubmatch(o.Content, -1) {
		if (parses("users") || slices.Contains(am.Users, m[1])) && !slices.Contains(p.Users, m[1]) {
			p.Users = append(p.Users, m[1])
		}
	}
	for _, m := range roleMention.FindAllStringSubmatch(o.Content, -1) {
		if parses("roles") && !slices.Contains(p.Roles, m[1]) {
			p.Roles = append(p.Roles, m[1])
		}
	}
	if parses("everyone") {
		p.Everyone = strings.Contains(o.Content, "@everyone")
		p.Here = strings.Contains(o.Content, "@here")
	}
	p.RepliedUser = am == nil || am.RepliedUser
	return p
}

// component is a message component as Discord takes it: an action row
// (type 1) of buttons (type 2) or of one text input (type 4).
type component struct {
	Type       int         `json:"type"`
	Components []component `json:"components,omitempty"`
	Style      int         `json:"style,omitempty"`
	Label      string      `json:"label,omitempty"`
	CustomID   string      `json:"custom_id,omitempty"`
	Value      string      `json:"value,omitempty"`
	Required   *bool       `json:"required,omitempty"`
}

// Button styles.
const (
	stylePrimary   = 1
	styleSecondary = 2
	styleDanger    = 4
)

// buttonRows renders buttons as action rows of up to five. It returns an
// empty, non-nil slice for no buttons, which removes them on an edit.
func buttonRows(buttons []bot.Button) ([]component, error) {
	rows := []component{}
	if len(buttons) > maxButtons {
		return nil, fmt.Errorf("%d buttons: Discord shows at most %d", len(buttons), maxButtons)
	}
	seen := map[string]bool{}
	i := 0
	for _, bt := range buttons {
		id, err := encodeCustomID(bt.ActionID, bt.Value)
		if err != nil {
			return nil, fmt.Errorf("button %q: %w", bt.Label, err)
		}
		if seen[id] {
			// Discord refuses two components with one custom_id; a second
			// button doing exactly what the first does adds nothing.
			continue
		}
		seen[id] = true
		style := styleSecondary
		switch bt.Style {
		case "primary":
			style = stylePrimary
		case "danger":
			style = styleDanger
		}
		if i%5 == 0 {
			rows = append(rows, component{Type: 1})
		}
		row := &rows[len(rows)-1]
		row.Components = append(row.Components, component{Type: 2, Style: style, Label: firstShown(maxButtonLabel, bt.Label, "…"), CustomID: id})
		i++
	}
	return rows, nil
}

// modalData is the data of a MODAL callback (type 9).
type modalData struct {
	CustomID   string      `json:"custom_id"`
	Title      string      `json:"title"`
	Components []component `json:"components"`
}

// renderModal renders a bot.Modal; its custom_id carries CallbackID and
// Meta. Discord's modals have no configurable submit label.
func renderModal(m *bot.Modal) (*modalData, error) {
	id, err := encodeCustomID(m.CallbackID, m.Meta)
	if err != nil {
		return nil, fmt.Errorf("modal: %w", err)
	}
	if len(m.Fields) == 0 || len(m.Fields) > maxModalFields {
		return nil, fmt.Errorf("modal %s has %d fields; Discord wants 1 to %d", m.CallbackID, len(m.Fields), maxModalFields)
	}
	out := &modalData{CustomID: id, Title: firstShown(maxModalTitle, m.Title, "Liaison")}
	ids := map[string]bool{}
	for _, f := range m.Fields {
		if f.ID == "" || utf8.RuneCountInString(f.ID) > maxCustomID || ids[f.ID] {
			return nil, fmt.Errorf("modal %s: field id %q must be unique and have 1 to %d characters", m.CallbackID, f.ID, maxCustomID)
		}
		ids[f.ID] = true
		style := 1
		if f.Multiline {
			style = 2
		}
		required := !f.Optional
		out.Components = append(out.Components, component{Type: 1, Components: []component{{
			Type: 4, CustomID: f.ID, Label: firstShown(maxInputLabel, f.Label, f.ID, "Answer"), Style: style,
			Value: truncate(f.Value, maxInputValue), Required: &required,
		}}})
	}
	return out, nil
}

// firstShown is the first of texts that is not blank once made safe for
// Discord and cut to max characters (Discord refuses a blank label). The
// check comes after DiscordText: Slack markup such as "<| >" is not blank
// as written but becomes " " when shown.
func firstShown(max int, texts ...string) string {
	var t string
	for _, s := range texts {
		if t = truncate(bot.DiscordText(s), max); strings.TrimSpace(t) != "" {
			return t
		}
	}
	return t
}

// fit is the last guard on content: Discord refuses more than 2,000
// characters (error 50035) and the person sees nothing. What people write
// is refused where they write it when too long, and errors quote user text
// cut short (bot.Quoted); a cut here means a renderer or a handler let a
// long text through, so it is logged as an error to be fixed.
func fit(log *slog.Logger, where, content string) string {
	if n := utf8.RuneCountInString(content); n > maxContent {
		if log != nil {
			log.Error("discord: message too long, cut to 2,000 characters", "in", where, "characters", n)
		}
		return truncate(content, maxContent)
	}
	return content
}
